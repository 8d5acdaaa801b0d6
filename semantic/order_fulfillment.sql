-- Per-order facts the fulfilment and ERP metrics count, derived from fct_orders (one row per order).
-- They need more than the order's own row — the shop's as-of time (shop_as_of), whether any ERP is linked — so
-- they are computed once here, published with the marts and joined by MetricFlow through the `order` entity.
-- Incremental: the orders in order_fulfillment__scope are replaced — the affected orders, the orders whose due
-- flags the shop's moved as-of time changes, or all of them when the first ERP orders landed.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='order_key',
          on_schema_change='fail') }}

with orders as (
    select o.* from {{ ref('fct_orders') }} as o
    where {{ in_scope('o.order_key', 'order_fulfillment__scope') }}
),

as_of as (
    select channel, shop_id, as_of_at from {{ ref('shop_as_of') }}
),

erp as (
    -- An ERP is in the warehouse once it holds any ERP sales order (D-022, D-025). Until then no channel
    -- order is expected in an ERP, and erp_consistency_rate has no denominator. Gate Y5 reads the same flags.
    select count(*) > 0 as erp_linked
    from {{ ref('int_erp_orders__current') }}
),

facts as (
    select
        o.order_key,
        o.business_date,
        -- paid, real orders whose 24 hours to ship have fully elapsed by the as-of time
        {{ ship_24h_due('o', 'a.as_of_at') }} as is_ship_24h_due,
        (o.shipped_at is not null and o.shipped_at <= o.paid_at + interval 24 hour) as shipped_in_24h,
        (not o.is_test and o.shipped_at is not null and o.promised_ship_by is not null) as has_ship_promise,
        (not o.is_test and o.delivered_at is not null and o.promised_delivery_by is not null) as has_delivery_promise,
        case
            when not o.is_test and o.paid_at is not null and o.delivered_at is not null
            then {{ seconds_between('o.paid_at', 'o.delivered_at') }} / 3600.0
        end as fulfillment_hours,
        -- the ERP should hold every valid order once the grace period (gates.erp_grace_hours) has passed
        {{ erp_expected('o', 'a.as_of_at', 'e.erp_linked') }} as is_erp_expected,
        coalesce(m.match_status = 'matched', false) as is_erp_matched,
        o.shipped_at,
        o.promised_ship_by,
        o.delivered_at,
        o.promised_delivery_by
    from orders as o
    inner join as_of as a on a.channel = o.channel and a.shop_id = o.shop_id
    cross join erp as e
    left join {{ ref('map_order_ids') }} as m on m.order_key = o.order_key
)

select
    order_key::{{ text_type() }} as order_key,
    business_date::date as business_date,
    coalesce(is_ship_24h_due, false)::boolean as is_ship_24h_due,
    coalesce(is_ship_24h_due and shipped_in_24h, false)::boolean as is_shipped_within_24h,
    has_ship_promise::boolean as has_ship_promise,
    coalesce(has_ship_promise and shipped_at <= promised_ship_by, false)::boolean as is_shipped_on_time,
    has_delivery_promise::boolean as has_delivery_promise,
    coalesce(has_delivery_promise and delivered_at <= promised_delivery_by, false)::boolean as is_delivered_on_time,
    fulfillment_hours::double as fulfillment_hours,
    coalesce(is_erp_expected, false)::boolean as is_erp_expected,
    -- matched = an ERP counterpart whose amount and status agree; a disagreement is match_status `conflict`
    coalesce(is_erp_expected and is_erp_matched, false)::boolean as is_erp_consistent
from facts
