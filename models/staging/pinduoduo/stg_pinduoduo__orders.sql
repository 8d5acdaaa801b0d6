{#- Pinduoduo orders, one row per raw version, typed and renamed to canonical names.
    Platform facts: shared/channels/pinduoduo.md §5 — naive Beijing-time strings ('' = not yet), yuan amounts as
    JSON numbers, order_sn text ids, state split over several status fields (composite code, see
    macros/pinduoduo/order_shape.sql). Fields read: pinduoduo_order_shape(). -#}

with raw as (
    {{ raw_records('pinduoduo', 'orders') }}
),

parsed as (
    select _record_hash, _connection, _synced_at, {{ pinduoduo_parse_order('_record') }} as r
    from raw
),

fields as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.order_sn,
        -- the payload names no shop; the tap adds the configured mall id as shop_id
        r.shop_id,
        {{ pinduoduo_status_code('r') }} as status_code,
        r.refund_status,
        r.after_sales_status,
        r.risk_control_status,
        r.trade_type,
        -- times: naive Beijing strings, '' = not reached
        r.created_time,
        r.pay_time,
        -- confirm_time: the deal (成交) time; for a deposit order, when the balance was paid [I]
        r.confirm_time,
        r.shipping_time,
        -- receive_time: 确认收货 (buyer confirmed receipt); the only delivery evidence the order carries
        r.receive_time,
        r.last_ship_time,
        r.promise_delivery_time,
        r.updated_at,
        -- money: yuan
        r.pay_amount,
        r.discount_amount,
        r.seller_discount,
        r.order_change_amount,
        r.postage,
        {{ list_map('r.item_list', 'i', pinduoduo_line_goods('i')) }} as line_goods_amounts,
        {{ list_map('r.item_list', 'i', 'i.goods_price') }} as item_prices,
        {{ list_map('r.item_list', 'i', 'i.goods_count') }} as item_counts,
        -- deposit (presale) orders: trade_type 1 with step_order_info
        r.step_order_info.step_trade_status as step_trade_status,
        r.step_order_info.advanced_paid_fee as advanced_paid_fee,
        -- receiver: region names and the platform's masks only; ciphertexts stay in raw
        r.province as receiver_province,
        r.city as receiver_city,
        r.receiver_phone_mask as receiver_phone_masked,
        r.receiver_name_mask as receiver_name_masked,
        -- open_address_id (one per receiver), salted-hashed by the tap: the closest thing to a buyer id
        r.open_address_id,
        -- parcels: the main waybill plus the extra parcels of a split shipment
        {{ list_distinct_sorted(list_where(
            list_append(list_of(['r.tracking_number']), list_map('r.extra_delivery_list', 'd', 'd.tracking_number')),
            't', "t is not null and trim(t) <> ''"
        )) }} as tracking_numbers
    from parsed
),

typed as (
    select
        f._record_hash as raw_record_id,
        f._connection as connection_name,
        f._synced_at as source_synced_at,
        'pinduoduo' as channel,
        'pinduoduo' as source_system,
        f.shop_id,
        f.order_sn as channel_order_id,
        f.status_code as status_native,
        -- the state fields the composite leaves out, kept for reference
        'as' || coalesce(f.after_sales_status, '') || '-rc' || coalesce(f.risk_control_status, '') as status_detail_native,

        {{ to_utc('f.created_time', 'local', 'Asia/Shanghai') }} as ordered_at,
        {{ to_utc('f.pay_time', 'local', 'Asia/Shanghai') }} as first_paid_at,
        {{ to_utc('f.shipping_time', 'local', 'Asia/Shanghai') }} as shipped_at,
        {{ to_utc('f.receive_time', 'local', 'Asia/Shanghai') }} as delivered_at,
        {{ to_utc('f.receive_time', 'local', 'Asia/Shanghai') }} as completed_at,
        -- the order payload has no cancel time: fct_orders falls back to the first version seen cancelled (D-009)
        cast(null as {{ instant_type() }}) as cancelled_at,
        {{ to_utc('f.last_ship_time', 'local', 'Asia/Shanghai') }} as promised_ship_by,
        {{ to_utc('f.promise_delivery_time', 'local', 'Asia/Shanghai') }} as promised_delivery_by,
        {{ to_utc('f.updated_at', 'local', 'Asia/Shanghai') }} as source_updated_at,

        -- list value of the lines (goods_price × goods_count), so the lines sum exactly to it
        -- decimal(38, 2): the type a sum of money_type() values has on DuckDB, on every engine
        cast({{ list_total('f.line_goods_amounts') }} as decimal(38, 2)) as goods_amount,
        -- shop-funded: the shop's coupon (seller_discount) and its price change (order_change_amount)
        ({{ major_units_to_amount('f.seller_discount') }} + coalesce({{ major_units_to_amount('f.order_change_amount') }}, 0))::{{ money_type() }}
            as shop_discount_amount,
        -- everything else in discount_amount (platform_discount + capital_free_discount)
        {{ major_units_to_amount('f.discount_amount') }} - coalesce({{ major_units_to_amount('f.seller_discount') }}, 0)
            as platform_discount_amount,
        {{ major_units_to_amount('f.postage') }} as freight_amount,
        -- domestic orders carry no tax field
        0.00::{{ money_type() }} as tax_amount,
        {{ major_units_to_amount('f.pay_amount') }} as paid_amount,
        -- the order APIs carry no refund amount: refund_status 4 (退款成功) counts as refunded in full
        (case when f.refund_status = '4' then {{ major_units_to_amount('f.pay_amount') }} else 0 end)::{{ money_type() }}
            as refund_amount,
        coalesce(f.refund_status = '4', false) as has_refund,
        -- after-sale in progress: refund_status 2/3, or an after_sales_status that awaits someone
        coalesce(f.refund_status in ('2', '3'), false)
            or coalesce(f.after_sales_status in ('2', '3', '4', '5', '6', '7', '8', '14', '15', '18', '21', '22', '27', '31', '32'), false)
            as has_open_after_sale,

        coalesce(f.trade_type = '1', false) as is_presale,
        case when f.trade_type = '1' then {{ major_units_to_amount('f.advanced_paid_fee') }} end as deposit_amount,
        -- the balance is the rest of what the buyer pays [I]
        (case when f.trade_type = '1'
              then {{ major_units_to_amount('f.pay_amount') }} - {{ major_units_to_amount('f.advanced_paid_fee') }} end)::{{ money_type() }}
            as balance_amount,
        coalesce(f.step_trade_status in ('1', '2'), false) as deposit_paid,
        coalesce(f.step_trade_status = '2', false) as balance_paid,
        case when f.step_trade_status = '2' then {{ to_utc('f.confirm_time', 'local', 'Asia/Shanghai') }} end as balance_paid_at,
        case when f.step_trade_status in ('1', '2') then {{ to_utc('f.pay_time', 'local', 'Asia/Shanghai') }} end as deposit_paid_at,

        -- Pinduoduo sends no currency (CNY-only): the connection's or the channel's default applies
        cast(null as {{ text_type() }}) as currency,
        f.receiver_province,
        f.receiver_city,
        f.receiver_phone_masked,
        f.receiver_name_masked,
        f.open_address_id as customer_key,
        f.tracking_numbers,
        false as is_test,

        -- rule D3: why this version cannot be made canonical (NULL when it can)
        case
            when f.order_sn is null or not {{ full_match('f.order_sn', "'[0-9]{6}-[0-9]{6,30}'") }} then 'missing or malformed order_sn'
            when f.shop_id is null or not {{ full_match('f.shop_id', "'[0-9]{1,32}'") }} then 'missing or malformed shop_id'
            when {{ to_utc('f.created_time', 'local', 'Asia/Shanghai') }} is null then 'missing or unparseable created_time'
            when {{ to_utc('f.updated_at', 'local', 'Asia/Shanghai') }} is null then 'missing or unparseable updated_at'
            {%- for field in ['pay_time', 'confirm_time', 'shipping_time', 'receive_time', 'last_ship_time', 'promise_delivery_time'] %}
            when {{ time_is_invalid('f.' ~ field, 'local', 'Asia/Shanghai') }} then 'unparseable {{ field }}'
            {%- endfor %}
            {%- for field in ['pay_amount', 'discount_amount', 'seller_discount', 'order_change_amount', 'postage', 'advanced_paid_fee'] %}
            when {{ amount_is_invalid('f.' ~ field, 'major') }} then 'non-numeric {{ field }}'
            {%- endfor %}
            when f.pay_amount is null then 'missing pay_amount'
            when coalesce({{ list_any(list_map('f.item_prices', 'x', amount_is_invalid('x', 'major'))) }}, false)
                then 'non-numeric item goods_price'
            when coalesce({{ list_any(list_map('f.item_counts', 'x', pinduoduo_count('x') ~ ' is null')) }}, false)
                then 'non-numeric item goods_count'
        end as quarantine_reason
    from fields as f
)

select * from typed
