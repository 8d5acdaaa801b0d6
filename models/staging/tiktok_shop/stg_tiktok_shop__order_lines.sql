{#- TikTok Shop order lines, one row per (SKU, unit list price) per raw version of its order.
    TikTok sends one line item per unit bought (3 units of a SKU = 3 line items with their own ids); the
    canonical grain is the SKU line, so the units are grouped here: quantity = number of units,
    line id = the first unit's id, position = where the SKU first appears. Units of one SKU at different
    list prices stay separate lines so unit_price × quantity = line_goods_amount holds exactly.
    Fields read: macros/tiktok_shop/order_shape.sql. -#}

-- depends_on: {{ ref('stg_tiktok_shop__orders') }} (run after it: both parse every raw order on a full build, and two such parses at once contend for memory: D-071)
with raw as (
    {{ raw_records('tiktok_shop', 'orders') }}
),

parsed as (
    select _record_hash, {{ tiktok_shop_parse_order('_record') }} as r
    from raw
),

items as (
    select
        _record_hash,
        r.id as order_id,
        r.shop_id,
        r.status as order_status,
        r.paid_time,
        {{ unnest_with_index('r.line_items', 'item_index', 'item') }}
    from parsed
),

units as (
    select
        _record_hash,
        order_id,
        shop_id,
        item_index,
        item.id as item_id,
        item.sku_id,
        -- product title plus the variant ("Yoga Mat 6mm / Lavender")
        concat_ws(' / ', item.product_name, nullif(trim(item.sku_name), '')) as item_name,
        {{ tiktok_shop_item_units('item') }} as item_units,
        {{ major_units_to_amount('item.original_price') }} as unit_price,
        -- a unit cancelled after payment is refunded its price after discounts (sale_price); a cancelled
        -- order refunds every unit
        case when {{ to_utc('paid_time', 'epoch_s') }} is not null
                  and (order_status = 'CANCELLED' or item.display_status = 'CANCELLED')
             then {{ major_units_to_amount('item.sale_price') }} * {{ tiktok_shop_item_units('item') }}
             else 0 end as unit_refund
    from items
),

lines as (
    select
        _record_hash,
        order_id,
        shop_id,
        sku_id,
        unit_price,
        min(item_index) as first_index,
        -- the first unit with a value (a unit without one is passed over)
        min_by(item_id, case when item_id is not null then item_index end) as first_item_id,
        min_by(item_name, case when item_name is not null then item_index end) as sku_name,
        sum(item_units) as quantity,
        sum(unit_price * item_units) as line_goods_amount,
        sum(unit_refund) as refund_amount
    from units
    group by _record_hash, order_id, shop_id, sku_id, unit_price
)

select
    _record_hash as raw_record_id,
    'tiktok_shop' as channel,
    shop_id,
    order_id as channel_order_id,
    cast(row_number() over (partition by _record_hash order by first_index) as integer) as line_number,
    first_item_id as channel_line_id,
    sku_id,
    sku_name,
    cast(quantity as integer) as quantity,
    unit_price,
    line_goods_amount::{{ money_type() }} as line_goods_amount,
    refund_amount::{{ money_type() }} as refund_amount
from lines
