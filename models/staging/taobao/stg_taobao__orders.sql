{#- Taobao / Tmall trades (parent orders), one row per raw version, typed and renamed to canonical names.
    Platform facts: shared/channels/taobao.md §5 — naive Beijing-time strings, yuan strings, 18-digit text ids,
    sub-orders under orders.order[]. Fields read: macros/taobao/order_shape.sql. Tmall and Taobao shops are
    one channel, `taobao` (the shop type is in stg_taobao__shops). -#}
{#- Per-record windows below (over the order's versions): re-stage every version of a changed order. -#}
{{ config(restage_all_versions=true) }}

with raw as (
    {{ raw_records('taobao', 'orders') }}
),

parsed as (
    select _record_hash, _connection, _synced_at, {{ taobao_parse_order('_record') }} as r
    from raw
),

fields as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.tid,
        r.shop_id,
        r.status,
        r.type as trade_type,
        -- presale (type = step): FRONT_NOPAID_FINAL_NOPAID → FRONT_PAID_FINAL_NOPAID → FRONT_PAID_FINAL_PAID
        nullif(trim(r.step_trade_status), '') as step_trade_status,
        r.step_paid_fee,
        -- times: naive 'yyyy-MM-dd HH:mm:ss' in Beijing time
        r.created,
        r.pay_time,
        r.consign_time,
        r.sign_time,
        r.end_time,
        r.est_con_time,
        r.modified,
        -- money: yuan strings with two decimals
        r.payment,
        r.total_fee,
        r.post_fee,
        r.discount_fee,
        r.platform_subsidy_fee,
        r.order_tax_fee,
        -- sub-orders: list price × quantity, paid share, refund state, parcels
        {{ list_map('r.orders.order', 'o', 'o.price') }} as line_prices,
        {{ list_map('r.orders.order', 'o', 'o.num') }} as line_nums,
        {{ list_map('r.orders.order', 'o', 'o.payment') }} as line_payments,
        {{ list_map('r.orders.order', 'o', 'o.refund_status') }} as line_refund_statuses,
        {{ list_map('r.orders.order', 'o', 'o.oid') }} as line_oids,
        {{ list_map('r.orders.order', 'o', 'o.consign_time') }} as line_consign_times,
        -- receiver: region names and the platform's masks only (the tap nulls plaintext; a value without
        -- '*' is not a mask and is dropped here too). County-level cities come in receiver_district.
        r.receiver_state as receiver_province,
        coalesce(nullif(trim(r.receiver_city), ''), nullif(trim(r.receiver_district), '')) as receiver_city,
        case when contains(coalesce(nullif(r.receiver_mobile, ''), r.receiver_phone), '*')
             then coalesce(nullif(r.receiver_mobile, ''), r.receiver_phone) end as receiver_phone_masked,
        case when contains(r.receiver_name, '*') then r.receiver_name end as receiver_name_masked,
        -- buyer identity, salted-hashed by the tap (buyer_open_uid is the stable one; nick as a fallback)
        coalesce(nullif(r.buyer_open_uid, ''), nullif(r.buyer_nick, '')) as customer_key,
        {{ list_distinct_sorted(list_where(list_map('r.orders.order', 'o', 'o.invoice_no'), 't', "t is not null and t <> ''")) }}
            as tracking_numbers
    from parsed
),

presale as (
    select
        f.*,
        -- The deposit (定金) is step_paid_fee while only the deposit is paid; it is taken from whichever synced
        -- version showed that phase (a later version's step_paid_fee is the deposit plus the balance).
        max(case when f.step_trade_status = 'FRONT_PAID_FINAL_NOPAID' then {{ major_units_to_amount('f.step_paid_fee') }} end)
            over (partition by f.shop_id, f.tid) as known_deposit,
        -- TOP gives no balance payment time: the first synced version showing the balance paid bounds it.
        min(case when f.step_trade_status = 'FRONT_PAID_FINAL_PAID' then {{ to_utc('f.modified', 'local') }} end)
            over (partition by f.shop_id, f.tid) as balance_seen_at,
        min(case when f.step_trade_status = 'FRONT_PAID_FINAL_NOPAID' then {{ to_utc('f.pay_time', 'local') }} end)
            over (partition by f.shop_id, f.tid) as deposit_phase_pay_time
    from fields as f
),

typed as (
    select
        f._record_hash as raw_record_id,
        f._connection as connection_name,
        f._synced_at as source_synced_at,
        'taobao' as channel,
        'taobao' as source_system,
        f.shop_id,
        f.tid as channel_order_id,
        f.status as status_native,
        f.step_trade_status as status_detail_native,

        {{ to_utc('f.created', 'local') }} as ordered_at,
        -- pay_time: the (first) payment; for a presale trade the deposit (unconfirmed, see docs)
        {{ to_utc('f.pay_time', 'local') }} as first_paid_at,
        -- consign_time is the first consignment; a sub-order's own consign_time covers a trade without it
        coalesce(
            {{ to_utc('f.consign_time', 'local') }},
            {{ list_smallest(list_map('f.line_consign_times', 'c', to_utc('c', 'local'))) }}
        ) as shipped_at,
        {{ to_utc('f.sign_time', 'local') }} as delivered_at,
        -- end_time is the success time, or the close time of a closed trade
        case when f.status = 'TRADE_FINISHED' then {{ to_utc('f.end_time', 'local') }} end as completed_at,
        case when f.status in ('TRADE_CLOSED', 'TRADE_CLOSED_BY_TAOBAO') then {{ to_utc('f.end_time', 'local') }} end
            as cancelled_at,
        -- est_con_time: the seller's promised ship time (its format is not documented: unreadable → NULL)
        {{ to_utc('f.est_con_time', 'local') }} as promised_ship_by,
        cast(null as {{ instant_type() }}) as promised_delivery_by,
        {{ to_utc('f.modified', 'local') }} as source_updated_at,

        -- total_fee: price × num of all sub-orders (商品金额); summed from the sub-orders when not requested
        coalesce(
            {{ major_units_to_amount('f.total_fee') }},
            {{ list_total(list_map(
                list_zip_as(['f.line_prices', 'f.line_nums'], ['price', 'num']), 'z',
                major_units_to_amount('z.price') ~ ' * ' ~ text_as_integer('z.num')
            )) }}
        -- (typed as stg_douyin__orders types it: the channels are unioned by name)
        )::decimal(38, 2) as goods_amount,
        -- discount_fee: system discounts (打折, VIP, 满就送 — the shop's promotion tools)
        coalesce({{ major_units_to_amount('f.discount_fee') }}, 0.00)::{{ money_type() }} as shop_discount_amount,
        -- platform_subsidy_fee: what the platform funds
        coalesce({{ major_units_to_amount('f.platform_subsidy_fee') }}, 0.00)::decimal(19, 2) as platform_discount_amount,
        coalesce({{ major_units_to_amount('f.post_fee') }}, 0.00)::{{ money_type() }} as freight_amount,
        -- order_tax_fee: import tax of Tmall global trades
        coalesce({{ major_units_to_amount('f.order_tax_fee') }}, 0.00)::{{ money_type() }} as tax_amount,
        {{ major_units_to_amount('f.payment') }} as paid_amount,
        -- The trade list carries no refund amount: a sub-order whose refund succeeded (refund_status SUCCESS)
        -- counts as refunded for its paid share (sub-order `payment`).
        coalesce({{ list_total(list_map(
            list_zip_as(['f.line_refund_statuses', 'f.line_payments'], ['refund_status', 'payment']), 'z',
            "case when z.refund_status = 'SUCCESS' then " ~ major_units_to_amount('z.payment') ~ " else 0 end"
        )) }}, 0)::{{ money_type() }} as refund_amount,
        coalesce({{ list_any(list_map('f.line_refund_statuses', 'x', "x = 'SUCCESS'")) }}, false) as has_refund,
        -- a refund requested and not finished: awaiting the seller, the return, its receipt, or refused (disputable)
        coalesce({{ list_any(list_map(
            'f.line_refund_statuses', 'x',
            "x in ('WAIT_SELLER_AGREE', 'WAIT_BUYER_RETURN_GOODS', 'WAIT_SELLER_CONFIRM_GOODS', 'SELLER_REFUSE_BUYER')"
        )) }}, false) as has_open_after_sale,

        -- presale: a step (分阶段付款) trade
        coalesce(f.trade_type = 'step' or f.step_trade_status is not null, false) as is_presale,
        case when f.trade_type = 'step' or f.step_trade_status is not null then f.known_deposit end as deposit_amount,
        case when f.trade_type = 'step' or f.step_trade_status is not null
             then ({{ major_units_to_amount('f.payment') }} - f.known_deposit)::{{ money_type() }} end as balance_amount,
        coalesce(f.step_trade_status in ('FRONT_PAID_FINAL_NOPAID', 'FRONT_PAID_FINAL_PAID'), false) as deposit_paid,
        coalesce(f.step_trade_status = 'FRONT_PAID_FINAL_PAID', false) as balance_paid,
        {% if var('taobao_pay_time_is_balance_payment', false) -%}
        -- configured: pay_time moves to the balance payment once the balance is paid
        case when f.step_trade_status = 'FRONT_PAID_FINAL_PAID' then {{ to_utc('f.pay_time', 'local') }} end as balance_paid_at,
        case when f.step_trade_status in ('FRONT_PAID_FINAL_NOPAID', 'FRONT_PAID_FINAL_PAID')
             then coalesce(f.deposit_phase_pay_time, {{ to_utc('f.pay_time', 'local') }}) end as deposit_paid_at,
        {%- else -%}
        -- default: pay_time stays the deposit payment; the balance time is when a sync first saw it paid
        case when f.step_trade_status = 'FRONT_PAID_FINAL_PAID' then f.balance_seen_at end as balance_paid_at,
        case when f.step_trade_status in ('FRONT_PAID_FINAL_NOPAID', 'FRONT_PAID_FINAL_PAID')
             then {{ to_utc('f.pay_time', 'local') }} end as deposit_paid_at,
        {%- endif %}

        -- TOP trades carry no currency (CNY; Tmall global trades are settled in CNY too): the connection's or
        -- the channel's default applies
        cast(null as {{ text_type() }}) as currency,
        f.receiver_province,
        f.receiver_city,
        f.receiver_phone_masked,
        f.receiver_name_masked,
        f.customer_key,
        f.tracking_numbers,
        false as is_test,

        -- rule D3: why this version cannot be made canonical (NULL when it can)
        case
            when f.tid is null or not {{ full_match('f.tid', "'[0-9]{1,32}'") }} then 'missing or malformed tid'
            when f.shop_id is null or trim(f.shop_id) = '' then 'missing shop_id'
            when {{ to_utc('f.created', 'local') }} is null then 'missing or unparseable created'
            when {{ to_utc('f.modified', 'local') }} is null then 'missing or unparseable modified'
            {%- for field in ['pay_time', 'consign_time', 'sign_time', 'end_time'] %}
            when {{ time_is_invalid('f.' ~ field, 'local') }} then 'unparseable {{ field }}'
            {%- endfor %}
            {%- for field in ['payment', 'total_fee', 'post_fee', 'discount_fee', 'platform_subsidy_fee', 'order_tax_fee', 'step_paid_fee'] %}
            when {{ amount_is_invalid('f.' ~ field, 'major') }} then 'non-numeric {{ field }}'
            {%- endfor %}
            when f.payment is null then 'missing payment'
            when coalesce({{ list_any(list_map('f.line_oids', 'x', "x is null or not " ~ full_match('x', "'[0-9]{1,32}'"))) }}, false)
                then 'missing or malformed sub-order oid'
            when coalesce({{ list_any(list_map('f.line_prices', 'x', amount_is_invalid('x', 'major'))) }}, false)
                then 'non-numeric sub-order price'
            when coalesce({{ list_any(list_map('f.line_payments', 'x', amount_is_invalid('x', 'major'))) }}, false)
                then 'non-numeric sub-order payment'
            when coalesce({{ list_any(list_map('f.line_nums', 'x', text_as_integer('x') ~ ' is null')) }}, false)
                then 'non-integer sub-order num'
        end as quarantine_reason
    from presale as f
)

select * from typed
