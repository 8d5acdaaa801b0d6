{#- Douyin sku orders (子订单), one row per sku order per raw version of its parent order.
    Fields read: macros/douyin/order_shape.sql. -#}

-- depends_on: {{ ref('stg_douyin__orders') }} (run after it: both parse every raw order on a full build, and two such parses at once contend for memory: D-071)
with raw as (
    {{ raw_records('douyin', 'orders') }}
),

parsed as (
    select _record_hash, {{ douyin_parse_order('_record') }} as r
    from raw
),

skus as (
    select
        _record_hash,
        r.order_id,
        r.shop_id,
        {{ unnest_with_index('r.sku_order_list', 'sku_index', 'sku') }}
    from parsed
)

select
    _record_hash as raw_record_id,
    'douyin' as channel,
    shop_id,
    order_id as channel_order_id,
    cast(sku_index as integer) as line_number,
    sku.order_id as channel_line_id,
    sku.sku_id as sku_id,
    sku.product_name as sku_name,
    {{ text_as_integer('sku.item_num') }} as quantity,
    -- origin_amount: unit price in fen; sum_amount = origin_amount × item_num (list price, before discounts)
    {{ minor_units_to_amount('sku.origin_amount') }} as unit_price,
    {{ minor_units_to_amount('sku.sum_amount') }} as line_goods_amount,
    -- a sku order whose refund succeeded (refund_status 3) is refunded in full
    case when sku.after_sale_info.refund_status = '3'
         then {{ minor_units_to_amount('sku.pay_amount') }} else 0.00 end::{{ money_type() }} as refund_amount
from skus
