{#- Youzan order lines (`orders[]` of full_order_info), one row per line per raw version of its order.
    Fields read: macros/youzan/order_shape.sql. -#}

-- depends_on: {{ ref('stg_youzan__orders') }} (run after it: both parse every raw order on a full build, and two such parses at once contend for memory: D-071)
with raw as (
    {{ raw_records('youzan', 'orders') }}
),

parsed as (
    select _record_hash, {{ youzan_parse_order('_record') }} as r
    from raw
),

lines as (
    select
        _record_hash,
        r.kdt_id,
        r.order_info.tid,
        r.order_info.refund_state as order_refund_state,
        {{ unnest_with_index('r.orders', 'line_position', 'line') }}
    from parsed
)

select
    _record_hash as raw_record_id,
    'youzan' as channel,
    kdt_id as shop_id,
    tid as channel_order_id,
    cast(line_position as integer) as line_number,
    -- oid is the platform's line id; without one the line is keyed by (tid, sku, position)
    coalesce(nullif(line.oid, ''), tid || ':' || coalesce(line.sku_id, '') || ':' || cast(line_position as {{ text_type() }})) as channel_line_id,
    -- sku_id 0 means "item without specs": the item is then the sku
    coalesce(nullif(nullif(line.sku_id, ''), '0'), line.item_id) as sku_id,
    line.title as sku_name,
    {{ text_to_integer('line.num') }} as quantity,
    -- price: the original unit price; line goods = price × num (before item and coupon discounts)
    {{ youzan_amount('line.price') }} as unit_price,
    ({{ youzan_amount('line.price') }} * {{ text_to_integer('line.num') }})::{{ money_type() }} as line_goods_amount,
    -- the line's final payment when it is refunded: the whole order (refund_state 12), or this line (a per-line 12)
    (case when order_refund_state = '12' or line.refund_state = '12'
          then coalesce({{ youzan_amount('line.payment') }}, 0) else 0 end)::{{ money_type() }} as refund_amount
from lines
