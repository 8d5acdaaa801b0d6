{#- Shopify line items, one row per line item per raw version of its order.
    Fields read: macros/shopify/order_shape.sql. -#}

-- depends_on: {{ ref('stg_shopify__orders') }} (run after it: both parse every raw order on a full build, and two such parses at once contend for memory: D-071)
with raw as (
    {{ raw_records('shopify', 'orders') }}
),

parsed as (
    select _record_hash, {{ shopify_parse_order('_record') }} as r
    from raw
),

lines as (
    select
        _record_hash,
        r.id as order_id,
        r.shop_id,
        -- every refunded line of every refund of this version
        {{ list_flatten(list_map('r.refunds', 'f', 'f.refund_line_items')) }} as refunded,
        {{ unnest_with_index('r.line_items', 'line_index', 'line') }}
    from parsed
),

priced as (
    select
        *,
        -- unit price in the shop currency (`price_set.shop_money` when the API version sends it)
        {{ major_units_to_amount(shopify_shop_money('line.price_set', 'line.price')) }} as unit_price,
        {{ text_to_integer('line.quantity') }} as quantity,
        {{ list_where('refunded', 'x', 'x.line_item_id = line.id') }} as line_refunds
    from lines
)

select
    _record_hash as raw_record_id,
    'shopify' as channel,
    shop_id,
    order_id as channel_order_id,
    cast(line_index as integer) as line_number,
    line.id as channel_line_id,
    -- the platform's sku-level id is the variant; custom lines without a variant fall back to the merchant sku
    coalesce(line.variant_id, nullif(line.sku, '')) as sku_id,
    coalesce(line.name, line.title) as sku_name,
    quantity,
    unit_price,
    (unit_price * quantity)::{{ money_type() }} as line_goods_amount,
    -- refunded per line: the refund line's subtotal in the shop currency (its price × quantity when an older
    -- payload carries no subtotal)
    coalesce({{ list_total(list_map('line_refunds', 'x', 'coalesce('
        ~ major_units_to_amount(shopify_shop_money('x.subtotal_set', 'x.subtotal')) ~ ', '
        ~ major_units_to_amount('x.line_item.price') ~ ' * ' ~ text_to_integer('x.quantity') ~ ')')) }}, 0)::{{ money_type() }} as refund_amount
from priced
