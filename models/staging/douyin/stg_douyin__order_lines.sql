{#- Douyin sku orders (子订单), one row per sku order per raw version of its parent order. -#}

with raw as (
    {{ raw_records('douyin', 'orders') }}
),

skus as (
    select
        raw._record_hash,
        raw._record ->> 'order_id' as order_id,
        raw._record ->> 'shop_id' as shop_id,
        sku.value as sku,
        sku.rowid as sku_index
    from raw,
        lateral (
            select value, row_number() over () as rowid
            from json_each(raw._record -> 'sku_order_list')
        ) as sku
)

select
    _record_hash as raw_record_id,
    'douyin' as channel,
    shop_id,
    order_id as channel_order_id,
    cast(sku_index as integer) as line_number,
    sku ->> 'order_id' as channel_line_id,
    sku ->> 'sku_id' as sku_id,
    sku ->> 'product_name' as sku_name,
    try_cast(sku ->> 'item_num' as integer) as quantity,
    -- origin_amount: unit price in fen; sum_amount = origin_amount × item_num (list price, before discounts)
    {{ minor_units_to_amount("sku ->> 'origin_amount'") }} as unit_price,
    {{ minor_units_to_amount("sku ->> 'sum_amount'") }} as line_goods_amount,
    -- a sku order whose refund succeeded (refund_status 3) is refunded in full
    case when json_extract_string(sku, '$.after_sale_info.refund_status') = '3'
         then {{ minor_units_to_amount("sku ->> 'pay_amount'") }} else 0.00 end::{{ money_type() }} as refund_amount
from skus
