-- One row per order line (SKU) of each order's current version. Discounts and the paid amount are
-- allocated to lines in proportion to line_goods_amount, so the lines sum exactly to the order.
-- Incremental: the lines of the orders in int_orders__affected are deleted and rebuilt.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='order_key',
          on_schema_change='fail', pre_hook="{{ delete_keys_in_scope('order_key', 'int_orders__affected') }}") }}

with lines as (
    select
        l.* except (currency),
        o.currency,
        o.paid_amount as order_paid_amount,
        coalesce(o.shop_discount_amount, 0) + coalesce(o.platform_discount_amount, 0) as order_discount_amount
    from {{ ref('int_order_lines__current') }} as l
    inner join {{ ref('fct_orders') }} as o on o.order_key = l.order_key
    where {{ in_scope('l.order_key', 'int_orders__affected') }}
),

allocated as (
    {{ allocate_to_lines('lines', 'order_key', 'coalesce(line_goods_amount, 0)', 'line_number', {
        'line_discount_amount': 'order_discount_amount',
        'line_paid_amount': 'order_paid_amount',
    }) }}
)

select
    order_key::{{ text_type() }} as order_key,
    line_number::integer as line_number,
    channel_line_id::{{ text_type() }} as channel_line_id,
    sku_id::{{ text_type() }} as sku_id,
    sku_name::{{ text_type() }} as sku_name,
    quantity::integer as quantity,
    unit_price::{{ money_type() }} as unit_price,
    line_goods_amount::{{ money_type() }} as line_goods_amount,
    line_discount_amount::{{ money_type() }} as line_discount_amount,
    line_paid_amount::{{ money_type() }} as line_paid_amount,
    refund_amount::{{ money_type() }} as refund_amount,
    currency::{{ text_type() }} as currency
from allocated
