{#- Ele.me product lines, one row per product per raw version of its order. `products` is a list of
    lists (one list per bag); lines are numbered across bags in order. Ele.me has no line id: the line
    key is (order id, sku id, position) (docs/channels/eleme.md). Fields read: macros/eleme/order_shape.sql. -#}

{%- set refund_ok = var('eleme_part_refund_success_statuses', ['20']) -%}

-- depends_on: {{ ref('stg_eleme__orders') }} (run after it: both parse every raw order on a full build, and two such parses at once contend for memory: D-071)
with raw as (
    {{ raw_records('eleme', 'orders') }}
),

parsed as (
    select _record_hash, {{ eleme_parse_order('_record') }} as r
    from raw
),

orders as (
    select
        _record_hash,
        r.{{ adapter.quote('order') }}.order_id as order_id,
        coalesce(r.shop.id, r.shop_id) as shop_id,
        {{ eleme_products('r.products') }} as products,
        -- a paid order that was cancelled is refunded in full
        r.{{ adapter.quote('order') }}.status = '10' and r.{{ adapter.quote('order') }}.pay_status = '2' as fully_refunded,
        {{ list_where(list_or_empty('r.part_refunds'), 'x', "x.status in ('" ~ (refund_ok | join("', '")) ~ "')") }} as agreed
    from parsed
),

exploded as (
    select
        _record_hash, order_id, shop_id, fully_refunded, agreed,
        {{ unnest_with_index('products', 'position', 'product') }}
    from orders
),

keyed as (
    select *, {{ eleme_sku('product') }} as line_sku
    from exploded
),

first_of_sku as (
    -- a partial refund names a product, not a line: it is booked on the first line of that sku
    select *, row_number() over (partition by _record_hash, line_sku order by position) = 1 as is_first_of_sku
    from keyed
)

select
    _record_hash as raw_record_id,
    'eleme' as channel,
    shop_id,
    order_id as channel_order_id,
    cast(position as integer) as line_number,
    order_id || ':' || coalesce(line_sku, '') || ':' || position as channel_line_id,
    line_sku as sku_id,
    product.product_name as sku_name,
    {{ try_integer('product.product_amount') }} as quantity,
    {{ minor_units_to_amount('product.product_price') }} as unit_price,
    -- product_fee (price × amount) plus its packaging (package_fee), fen → CNY
    {{ minor_units_to_amount('product.total_fee') }} as line_goods_amount,
    (case
        when fully_refunded then {{ minor_units_to_amount('product.total_fee') }}
        when is_first_of_sku then coalesce({{ list_total(list_map(
            list_flatten(list_map('agreed', 'x', list_or_empty('x.products'))), 'i',
            'case when ' ~ eleme_sku('i') ~ ' = line_sku then ' ~ minor_units_to_amount('i.refund_price') ~ ' else 0 end'
        )) }}, 0)
        else 0
    end)::{{ money_type() }} as refund_amount
from first_of_sku
