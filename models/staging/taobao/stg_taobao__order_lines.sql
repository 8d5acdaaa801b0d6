{#- Taobao sub-orders (子订单, `orders.order[]`), one row per sub-order per raw version of its trade.
    Fields read: macros/taobao/order_shape.sql. -#}

-- depends_on: {{ ref('stg_taobao__orders') }} (run after it: both parse every raw order on a full build, and two such parses at once contend for memory: D-071)
with raw as (
    {{ raw_records('taobao', 'orders') }}
),

parsed as (
    select _record_hash, {{ taobao_parse_order('_record') }} as r
    from raw
),

subs as (
    select
        _record_hash,
        r.tid,
        r.shop_id,
        {{ unnest_with_index('r.orders.order', 'sub_index', 'sub') }}
    from parsed
)

select
    _record_hash as raw_record_id,
    'taobao' as channel,
    shop_id,
    tid as channel_order_id,
    cast(sub_index as integer) as line_number,
    -- oid: the sub-order id (equal to tid for a single-item trade)
    sub.oid as channel_line_id,
    -- sku_id; an item without variants has none, and then the item (num_iid) is the sku
    coalesce(nullif(sub.sku_id, ''), sub.num_iid) as sku_id,
    sub.title as sku_name,
    {{ text_as_integer('sub.num') }} as quantity,
    -- price: unit list price in yuan; the line's list amount is price × num (before discounts)
    {{ major_units_to_amount('sub.price') }} as unit_price,
    ({{ major_units_to_amount('sub.price') }} * {{ text_as_integer('sub.num') }})::{{ money_type() }} as line_goods_amount,
    -- a sub-order whose refund succeeded (refund_status SUCCESS) is refunded for its paid share
    case when sub.refund_status = 'SUCCESS'
         then {{ major_units_to_amount('sub.payment') }} else 0.00 end::{{ money_type() }} as refund_amount
from subs
