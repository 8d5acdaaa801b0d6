{#- JD order lines (itemInfoList), one row per item per raw version of its order. JD has no line id: a line is
    keyed by (orderId, skuId, position). Fields read: macros/jd/order_shape.sql. -#}
{#- Incremental like stg_jd__orders (same raw rows re-staged): a line's refund comes from its order's version. -#}

with raw as (
    {{ raw_records('jd', 'orders', restage=jd_orders_restage()) }}
),

parsed as (
    select _record_hash, {{ jd_parse_order('_record') }} as r
    from raw
),

items as (
    select
        _record_hash,
        r.orderId as order_id,
        r.venderId as vender_id,
        r.orderState as order_state,
        r.paymentConfirmTime as payment_confirm_time,
        {{ unnest_with_index('r.itemInfoList', 'item_index', 'item') }}
    from parsed
)

select
    _record_hash as raw_record_id,
    'jd' as channel,
    vender_id as shop_id,
    order_id as channel_order_id,
    cast(item_index as integer) as line_number,
    -- no line id on JD: order id, sku id and position (the same sku may appear twice, e.g. as a gift)
    order_id || ':' || coalesce(item.skuId, '') || ':' || cast(item_index as {{ text_type() }}) as channel_line_id,
    item.skuId as sku_id,
    item.skuName as sku_name,
    {{ text_as_integer('item.itemTotal') }} as quantity,
    -- jdPrice: unit price in yuan; the list value of the line is jdPrice × itemTotal (before discounts)
    {{ major_units_to_amount('item.jdPrice') }} as unit_price,
    ({{ major_units_to_amount('item.jdPrice') }} * {{ text_as_integer('item.itemTotal') }})::{{ money_type() }} as line_goods_amount,
    -- a refunded order (cancelled after payment, or an approved refund application) is refunded at order level;
    -- JD does not say how per line: unknown (NULL), else 0
    case when o.has_refund then cast(null as {{ money_type() }}) else 0.00 end::{{ money_type() }} as refund_amount
from items
left join {{ ref('stg_jd__orders') }} as o on o.raw_record_id = items._record_hash
