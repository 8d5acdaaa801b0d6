{#- Douyin shop (parent) orders, one row per raw version, typed and renamed to canonical names.
    Platform facts: shared/channels/douyin.md §4 — epoch seconds, integer fen, 19-digit text ids.
    Fields read: macros/douyin/order_shape.sql. -#}

with raw as (
    {{ raw_records('douyin', 'orders') }}
),

parsed as (
    select _record_hash, _connection, _synced_at, {{ douyin_parse_order('_record') }} as r
    from raw
),

fields as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.order_id,
        r.shop_id,
        r.order_status,
        r.main_status,
        -- times: unix seconds; 0 is the platform's "not happened"
        r.create_time,
        r.pay_time,
        r.ship_time,
        r.logistics_receipt_time,
        r.finish_time,
        r.exp_ship_time,
        r.update_time,
        -- money: integer fen
        r.pay_amount,
        r.post_amount,
        r.tax_amount,
        r.promotion_amount,
        r.promotion_shop_amount,
        -- sku orders: list-price totals (origin_amount × item_num), presale trade types, after-sale state
        {{ list_map('r.sku_order_list', 's', 's.sum_amount') }} as sku_sum_amounts,
        {{ list_map('r.sku_order_list', 's', 's.pay_amount') }} as sku_pay_amounts,
        {{ list_map('r.sku_order_list', 's', 's.trade_type') }} as sku_trade_types,
        {{ list_map('r.sku_order_list', 's', 's.after_sale_info.refund_status') }} as sku_refund_statuses,
        {{ list_map('r.sku_order_list', 's', 's.after_sale_info.after_sale_status') }} as sku_after_sale_statuses,
        -- presale phases: phase 1 is the deposit (定金), phase 2 the balance (尾款)
        {{ list_size('r.order_phase_list') }} > 0 as has_phases,
        {{ list_at(list_where('r.order_phase_list', 'p', "p.current_phase = '1'"), 1) }} as deposit_phase,
        {{ list_at(list_where('r.order_phase_list', 'p', "p.current_phase = '2'"), 1) }} as balance_phase,
        -- receiver: masks and region names only; ciphertexts stay in raw, plaintext never lands
        r.post_addr.province.name as receiver_province,
        r.post_addr.city.name as receiver_city,
        r.mask_post_tel as receiver_phone_masked,
        r.mask_post_receiver as receiver_name_masked,
        -- buyer identity, salted-hashed by the tap
        r.doudian_open_id,
        -- parcels: one tracking number per logistics_info entry (split shipments have several)
        {{ list_distinct_sorted(list_where(list_map('r.logistics_info', 'l', 'l.tracking_no'), 't', "t is not null and t <> ''")) }}
            as tracking_numbers
    from parsed
),

typed as (
    select
        f._record_hash as raw_record_id,
        f._connection as connection_name,
        f._synced_at as source_synced_at,
        'douyin' as channel,
        'douyin' as source_system,
        f.shop_id,
        f.order_id as channel_order_id,
        f.order_status as status_native,
        f.main_status as status_detail_native,

        {{ to_utc('f.create_time', 'epoch_s') }} as ordered_at,
        {{ to_utc('f.pay_time', 'epoch_s') }} as first_paid_at,
        {{ to_utc('f.ship_time', 'epoch_s') }} as shipped_at,
        {{ to_utc('f.logistics_receipt_time', 'epoch_s') }} as delivered_at,
        {{ to_utc('f.finish_time', 'epoch_s') }} as completed_at,
        -- the order list has no cancel time: fct_orders falls back to the first version seen cancelled (D-009)
        cast(null as {{ instant_type() }}) as cancelled_at,
        {{ to_utc('f.exp_ship_time', 'epoch_s') }} as promised_ship_by,
        cast(null as {{ instant_type() }}) as promised_delivery_by,
        {{ to_utc('f.update_time', 'epoch_s') }} as source_updated_at,

        -- decimal(38, 2): the type a sum of money_type() values has on DuckDB, on every engine
        cast({{ list_total(list_map('f.sku_sum_amounts', 'x', minor_units_to_amount('x'))) }} as decimal(38, 2)) as goods_amount,
        {{ minor_units_to_amount('f.promotion_shop_amount') }} as shop_discount_amount,
        -- every discount not funded by the shop: platform, influencer (talent) and payment-channel
        {{ minor_units_to_amount('f.promotion_amount') }} - coalesce({{ minor_units_to_amount('f.promotion_shop_amount') }}, 0)
            as platform_discount_amount,
        {{ minor_units_to_amount('f.post_amount') }} as freight_amount,
        coalesce({{ minor_units_to_amount('f.tax_amount') }}, 0.00) as tax_amount,
        {{ minor_units_to_amount('f.pay_amount') }} as paid_amount,
        -- Douyin's order list carries no refund amount: a sku order whose refund succeeded
        -- (after_sale_info.refund_status = 3) counts as refunded in full.
        coalesce({{ list_total(list_map(
            list_zip_as(['f.sku_refund_statuses', 'f.sku_pay_amounts'], ['refund_status', 'pay_amount']), 'z',
            "case when z.refund_status = '3' then " ~ minor_units_to_amount('z.pay_amount') ~ " else 0 end"
        )) }}, 0)::{{ money_type() }} as refund_amount,
        coalesce({{ list_any(list_map('f.sku_refund_statuses', 'x', "x = '3'")) }}, false) as has_refund,
        -- after-sale in progress: applied (6), returning (7), buyer shipped back (11), exchange shipping (13)
        coalesce({{ list_any(list_map('f.sku_after_sale_statuses', 'x', "x in ('6', '7', '11', '13')")) }}, false)
            as has_open_after_sale,

        -- presale: sku trade_type 2 (deposit presale) / 3 (deposit sourcing), or a phase list
        coalesce({{ list_any(list_map('f.sku_trade_types', 'x', "x in ('2', '3')")) }}, false)
            or coalesce(f.has_phases, false) as is_presale,
        {{ minor_units_to_amount('f.deposit_phase.phase_order_amount') }} as deposit_amount,
        {{ minor_units_to_amount('f.balance_phase.phase_order_amount') }} as balance_amount,
        coalesce(f.deposit_phase.pay_success = 'true', false) as deposit_paid,
        coalesce(f.balance_phase.pay_success = 'true', false) as balance_paid,
        {{ to_utc('f.balance_phase.phase_pay_time', 'epoch_s') }} as balance_paid_at,
        {{ to_utc('f.deposit_phase.phase_pay_time', 'epoch_s') }} as deposit_paid_at,

        -- Douyin sends no currency (the platform is CNY-only): the connection's or channel's default applies
        cast(null as {{ text_type() }}) as currency,
        f.receiver_province,
        f.receiver_city,
        f.receiver_phone_masked,
        f.receiver_name_masked,
        f.doudian_open_id as customer_key,
        f.tracking_numbers,
        false as is_test,

        -- rule D3: why this version cannot be made canonical (NULL when it can)
        case
            when f.order_id is null or not {{ full_match('f.order_id', "'[0-9]{1,32}'") }} then 'missing or malformed order_id'
            when f.shop_id is null or not {{ full_match('f.shop_id', "'[0-9]{1,32}'") }} then 'missing or malformed shop_id'
            when {{ to_utc('f.create_time', 'epoch_s') }} is null then 'missing or unparseable create_time'
            when {{ to_utc('f.update_time', 'epoch_s') }} is null then 'missing or unparseable update_time'
            {%- for field in ['pay_time', 'ship_time', 'logistics_receipt_time', 'finish_time', 'exp_ship_time'] %}
            when {{ time_is_invalid('f.' ~ field, 'epoch_s') }} then 'unparseable {{ field }}'
            {%- endfor %}
            {%- for field in ['pay_amount', 'post_amount', 'tax_amount', 'promotion_amount', 'promotion_shop_amount'] %}
            when {{ amount_is_invalid('f.' ~ field) }} then 'non-numeric {{ field }}'
            {%- endfor %}
            when f.pay_amount is null then 'missing pay_amount'
            when coalesce({{ list_any(list_map('f.sku_sum_amounts', 'x', amount_is_invalid('x'))) }}, false)
                then 'non-numeric sku sum_amount'
            when coalesce({{ list_any(list_map('f.sku_pay_amounts', 'x', amount_is_invalid('x'))) }}, false)
                then 'non-numeric sku pay_amount'
        end as quarantine_reason
    from fields as f
)

select * from typed
