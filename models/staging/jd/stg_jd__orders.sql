{#- JD POP orders (jingdong.pop.order.search / enSearch), one row per raw version, typed and renamed to canonical
    names. Platform facts: shared/channels/jd.md §4 — naive 'yyyy-MM-dd HH:mm:ss' Beijing times, yuan decimal
    strings, numeric order ids kept as text; JD lists paid orders only. Fields read: macros/jd/order_shape.sql.
    Platform semantics the fact sheet leaves unconfirmed are dbt vars (docs/channels/jd.md): jd_presale_order_types,
    jd_open_after_sale_states, jd_cancelled_after_payment_is_refunded, jd_paid_amount_includes_balance_used.
    Refunds also come from the refund applications (stg_jd__refund_applies, cancel-order refunds) and the after-sale
    services (stg_jd__service_refunds, refunds after shipment): see the `version_refunds` step. -#}
{#- Incremental (docs/incremental.md "Staging"): an order's versions depend on each other (first seen shipped, the
    current version) and on its refund applications and after-sale services, so every version of an order with a
    version or a refund record landed is re-staged (macros/jd/incremental.sql). -#}

with raw as (
    {{ raw_records('jd', 'orders', restage=jd_orders_restage()) }}
),

parsed as (
    select _record_hash, _connection, _synced_at, {{ jd_parse_order('_record') }} as r
    from raw
),

fields as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.orderId as order_id,
        r.venderId as vender_id,
        r.orderType as order_type,
        r.orderState as order_state,
        r.orderStateRemark as order_state_remark,
        -- times: naive Beijing time; '' (or absent) while not reached
        r.orderStartTime as order_start_time,
        r.paymentConfirmTime as payment_confirm_time,
        r.orderEndTime as order_end_time,
        r.modified,
        -- money: yuan decimal strings
        r.orderPayment as order_payment,
        r.freightPrice as freight_price,
        r.sellerDiscount as seller_discount,
        r.balanceUsed as balance_used,
        r.taxFee as tax_fee,
        -- items: jdPrice (unit price, yuan) and itemTotal (quantity); JD has no line id
        {{ list_map('r.itemInfoList', 'i', 'i.jdPrice') }} as item_prices,
        {{ list_map('r.itemInfoList', 'i', 'i.itemTotal') }} as item_quantities,
        -- receiver: region names and the masks tap-jd derived before nulling the plaintext (JD sends no masks)
        r.consigneeInfo.province as receiver_province,
        r.consigneeInfo.city as receiver_city,
        r.consigneeInfo.ol_masked_mobile as receiver_phone_masked,
        r.consigneeInfo.ol_masked_fullname as receiver_name_masked,
        -- buyer identity, salted-hashed by the tap: the open id where JD sends one, else the account pin
        coalesce(nullif(r.open_id_buyer, ''), nullif(r.pin, '')) as buyer_key,
        -- waybill: the tracking number(s), comma-separated when an order ships in several parcels
        {{ list_distinct_sorted(list_where(list_map(split_text("coalesce(r.waybill, '')", "','"), 'w', 'trim(w)'), 'w', "w <> ''")) }}
            as tracking_numbers
    from parsed
),

typed as (
    select
        f.*,
        {{ to_utc('f.order_start_time', 'local', 'Asia/Shanghai') }} as ordered_at,
        {{ to_utc('f.payment_confirm_time', 'local', 'Asia/Shanghai') }} as first_paid_at,
        {{ to_utc('f.order_end_time', 'local', 'Asia/Shanghai') }} as ended_at,
        {{ to_utc('f.modified', 'local', 'Asia/Shanghai') }} as updated_at,
        -- goods: Σ jdPrice × itemTotal, the list value before discounts (orderTotalPrice carries the same [I])
        {{ list_total(list_map(
            list_zip_as(['f.item_prices', 'f.item_quantities'], ['price', 'quantity']), 'z',
            major_units_to_amount('z.price') ~ ' * ' ~ text_as_integer('z.quantity')
        )) }}::{{ money_type() }} as goods,
        -- paid: orderPayment, "amount payable by the buyer" (freight included);
        -- jd_paid_amount_includes_balance_used adds balanceUsed if JD turns out to deduct it from orderPayment
        ({{ major_units_to_amount('f.order_payment') }}
            {%- if var('jd_paid_amount_includes_balance_used', false) %}
            + coalesce({{ major_units_to_amount('f.balance_used') }}, 0)
            {%- endif %})::{{ money_type() }} as paid,
        {{ major_units_to_amount('f.seller_discount') }} as seller_discount_amount,
        {{ major_units_to_amount('f.freight_price') }} as freight
    from fields as f
),

versions as (
    select
        t.*,
        -- JD's order list has no ship time: shipped_at is the `modified` of the first version seen in the shipped
        -- state (an observation bounded by sync frequency, like cancelled_at, DECISIONS D-009); never from a
        -- later version than the row's own
        min(case when t.order_state = 'WAIT_GOODS_RECEIVE_CONFIRM' then t.updated_at end) over (
            partition by t.vender_id, t.order_id order by t.updated_at
            rows between unbounded preceding and current row
        ) as first_seen_shipped_at,
        -- JD lists paid orders only, so a cancelled order with a payment time was refunded in full [I]
        {% if var('jd_cancelled_after_payment_is_refunded', true) -%}
        coalesce(t.order_state = 'TRADE_CANCELED' and t.first_paid_at is not null, false)
        {%- else -%}
        false
        {%- endif %} as refunded_in_full
    from typed as t
),

applications as (
    -- cancel-order refund applications count at their review; after-sale services at the refund's completion
    -- (closed_at: completion, or the review that refused it). Different money: both add up (D-035).
    select shop_id, channel_order_id, refund_amount, is_refunded, is_open, applied_at,
        reviewed_at as refunded_at, reviewed_at as closed_at
    from {{ ref('stg_jd__refund_applies') }}
    where quarantine_reason is null
    union all
    select shop_id, channel_order_id, refund_amount, is_refunded, is_open, applied_at, refunded_at, closed_at
    from {{ ref('stg_jd__service_refunds') }}
    where quarantine_reason is null
      -- an exchange swaps goods, no money back: not a refund (as stg_jd__refunds)
      and (customer_expect is null
           or customer_expect not in ('{{ var('jd_after_sale_exchange_expects', ['20']) | map('string') | join("','") }}'))
),

{#- What the refund applications and after-sale services say about each order version. The current version
    (latest by modified, then sync time: rule D1) shows every one as it is now, so a refund after the order's last
    change still counts. An earlier version shows them as they stood at its own `modified`: applied by then, and
    refunded (closed) by then or still open. So fct_order_events dates a refund no earlier than the version that
    shows it. -#}
version_refunds as (
    select
        v._record_hash,
        sum(case when a.is_refunded and (v.is_current or a.refunded_at <= v.updated_at) then a.refund_amount end)
            as approved_amount,
        coalesce(bool_or(case
            when v.is_current then a.is_open
            else a.applied_at <= v.updated_at and (a.closed_at is null or a.closed_at > v.updated_at)
        end), false) as open_application
    from (
        select
            _record_hash, vender_id, order_id, updated_at,
            row_number() over (partition by vender_id, order_id order by updated_at desc nulls last, _synced_at desc) = 1
                as is_current
        from versions
    ) as v
    join applications as a on a.shop_id = v.vender_id and a.channel_order_id = v.order_id
    group by v._record_hash
)

select
    v._record_hash as raw_record_id,
    v._connection as connection_name,
    v._synced_at as source_synced_at,
    'jd' as channel,
    'jd' as source_system,
    v.vender_id as shop_id,
    v.order_id as channel_order_id,
    v.order_state as status_native,
    v.order_state_remark as status_detail_native,

    v.ordered_at,
    v.first_paid_at,
    v.first_seen_shipped_at as shipped_at,
    -- FINISHED_L is the buyer's receipt confirmation (or JD's automatic one, days later): no delivery time
    cast(null as {{ instant_type() }}) as delivered_at,
    case when v.order_state = 'FINISHED_L' then v.ended_at end as completed_at,
    -- no cancel time is read: fct_orders falls back to the first version seen cancelled (D-009)
    cast(null as {{ instant_type() }}) as cancelled_at,
    -- promise times (JD splits promise_date + promise_time, rule T4) are not in the order list payload
    cast(null as {{ instant_type() }}) as promised_ship_by,
    cast(null as {{ instant_type() }}) as promised_delivery_by,
    v.updated_at as source_updated_at,

    -- goods_amount and platform_discount_amount carry stg_douyin__orders' exact types (the channels are unioned by name)
    v.goods::decimal(38, 2) as goods_amount,
    v.seller_discount_amount as shop_discount_amount,
    -- every other discount (JD coupons, points, platform promotions): what closes goods − shop discount + freight
    -- to what the buyer paid (couponDetailList's sub-fields are unconfirmed, so it is derived, not summed)
    (v.goods - coalesce(v.seller_discount_amount, 0) + coalesce(v.freight, 0) - v.paid)::decimal(19, 2)
        as platform_discount_amount,
    v.freight as freight_amount,
    coalesce({{ major_units_to_amount('v.tax_fee') }}, 0.00) as tax_amount,
    v.paid as paid_amount,
    -- a paid-then-cancelled order is refunded in full once (its cancel-refund application is the same money);
    -- otherwise the approved applications' plus the refunded after-sale services' amounts, never more than paid
    -- (rule A3, D-035)
    (case when v.refunded_in_full then v.paid else least(coalesce(r.approved_amount, 0.00), v.paid) end)::{{ money_type() }}
        as refund_amount,
    v.refunded_in_full or coalesce(r.approved_amount, 0) > 0 as has_refund,
    {{ jd_in_var('v.order_state', 'jd_open_after_sale_states') }} or coalesce(r.open_application, false) as has_open_after_sale,

    -- presale: no deposit/balance fields are documented for JD; orderType codes listed in jd_presale_order_types
    -- mark an order presale (deposit and balance stay NULL, so it is paid when its payment is confirmed)
    {{ jd_in_var('v.order_type', 'jd_presale_order_types') }} as is_presale,
    cast(null as {{ money_type() }}) as deposit_amount,
    cast(null as {{ money_type() }}) as balance_amount,
    false as deposit_paid,
    false as balance_paid,
    cast(null as {{ instant_type() }}) as balance_paid_at,
    cast(null as {{ instant_type() }}) as deposit_paid_at,

    -- JD sends no currency (CNY-only marketplace): the connection's or channel's default applies
    cast(null as {{ text_type() }}) as currency,
    v.receiver_province,
    v.receiver_city,
    v.receiver_phone_masked,
    v.receiver_name_masked,
    v.buyer_key as customer_key,
    v.tracking_numbers,
    false as is_test,

    -- rule D3: why this version cannot be made canonical (NULL when it can)
    case
        when v.order_id is null or not {{ full_match('v.order_id', "'[0-9]{1,32}'") }} then 'missing or malformed orderId'
        when v.vender_id is null or not {{ full_match('v.vender_id', "'[0-9]{1,32}'") }} then 'missing or malformed venderId'
        when v.ordered_at is null then 'missing or unparseable orderStartTime'
        when v.updated_at is null then 'missing or unparseable modified'
        when {{ time_is_invalid('v.payment_confirm_time', 'local') }} then 'unparseable paymentConfirmTime'
        when {{ time_is_invalid('v.order_end_time', 'local') }} then 'unparseable orderEndTime'
        {%- for field, name in [('order_payment', 'orderPayment'), ('freight_price', 'freightPrice'),
                                ('seller_discount', 'sellerDiscount'), ('balance_used', 'balanceUsed'), ('tax_fee', 'taxFee')] %}
        when {{ amount_is_invalid('v.' ~ field, 'major') }} then 'non-numeric {{ name }}'
        {%- endfor %}
        when v.order_payment is null or trim(v.order_payment) = '' then 'missing orderPayment'
        when coalesce({{ list_any(list_map('v.item_prices', 'x', amount_is_invalid('x', 'major'))) }}, false)
            then 'non-numeric item jdPrice'
        when coalesce({{ list_any(list_map('v.item_quantities', 'x', "x is null or not " ~ full_match('trim(x)', "'[0-9]{1,9}'"))) }}, false)
            then 'missing or non-integer item itemTotal'
    end as quarantine_reason
from versions as v
left join version_refunds as r on r._record_hash = v._record_hash
