{#- Pinduoduo order lines (item_list), one row per line per raw version of its order.
    The platform has no line id: a line is keyed by (order_sn, sku_id, position). It has no per-line paid or
    refunded amount either; an order refunded in full spreads its refund over the lines by list value
    (allocate_to_lines: whole cents, the remainder on the largest line), so the lines sum exactly to the order.
    Fields read: macros/pinduoduo/order_shape.sql. -#}

-- depends_on: {{ ref('stg_pinduoduo__orders') }} (run after it: both parse every raw order on a full build, and two such parses at once contend for memory: D-071)
with raw as (
    {{ raw_records('pinduoduo', 'orders') }}
),

parsed as (
    select _record_hash, {{ pinduoduo_parse_order('_record') }} as r
    from raw
),

items as (
    select
        _record_hash,
        r.order_sn,
        r.shop_id,
        -- refund_status 4 (退款成功): the whole paid amount was refunded (as in stg_pinduoduo__orders)
        (case when r.refund_status = '4' then {{ major_units_to_amount('r.pay_amount') }} else 0 end)::{{ money_type() }}
            as order_refund_amount,
        {{ unnest_with_index('r.item_list', 'position', 'item') }}
    from parsed
),

lines as (
    select
        _record_hash as raw_record_id,
        'pinduoduo' as channel,
        shop_id,
        order_sn as channel_order_id,
        cast(position as integer) as line_number,
        order_sn || ':' || coalesce(item.sku_id, '') || ':' || cast(position as {{ text_type() }}) as channel_line_id,
        item.sku_id as sku_id,
        item.goods_name as sku_name,
        {{ pinduoduo_count('item.goods_count') }} as quantity,
        -- goods_price: unit price in yuan
        {{ major_units_to_amount('item.goods_price') }} as unit_price,
        {{ pinduoduo_line_goods('item') }} as line_goods_amount,
        order_refund_amount
    from items
),

allocated as (
    {{ allocate_to_lines('lines', 'raw_record_id', 'coalesce(line_goods_amount, 0)', 'line_number', {
        'refund_amount': 'order_refund_amount',
    }) }}
)

select
    raw_record_id,
    channel,
    shop_id,
    channel_order_id,
    line_number,
    channel_line_id,
    sku_id,
    sku_name,
    quantity,
    unit_price,
    line_goods_amount,
    refund_amount
from allocated
