-- Channel vs ERP per shop, business day and currency: order count, paid amount and refunds on each side,
-- the differences, and whether they are within the configured tolerances (orderlayer.yml `reconciliation:`).
-- Channel side: paid, non-test, not cancelled orders. ERP side: the non-cancelled ERP orders linked to those
-- orders (any match status), plus ERP-only orders of the shop (by its ERP customer) on their own local date.
-- Incremental: the shop-days in int_reconciliation_days__affected are deleted and recomputed from all their orders.
{{ config(materialized='incremental', incremental_strategy='delete+insert',
          unique_key=['channel', 'shop_id', 'business_date', 'currency'], on_schema_change='fail',
          pre_hook="{{ delete_days_in_scope('int_reconciliation_days__affected') }}") }}

with orders as (
    -- the match's ERP order (fct_orders carries erp_order_id too: name the columns, never two of one name)
    select o.order_key, o.channel, o.shop_id, o.business_date, o.currency, o.paid_amount, o.refund_amount,
           m.erp_system, m.erp_order_id
    from {{ ref('fct_orders') }} as o
    left join {{ ref('map_order_ids') }} as m on m.order_key = o.order_key
    where o.is_valid and {{ day_in_scope('o.channel', 'o.shop_id', 'o.business_date', 'int_reconciliation_days__affected') }}
),

erp as (
    select * from {{ ref('int_erp_orders__current') }}
    where status <> 'cancelled'
),

linked as (
    select distinct erp_system, erp_order_id from {{ ref('int_orders__erp_matches') }}
),

channel_side as (
    select
        channel, shop_id, business_date, currency,
        count(*) as channel_orders,
        sum(paid_amount) as channel_paid_amount,
        sum(coalesce(refund_amount, 0)) as channel_refund_amount,
        count(*) filter (where erp_order_id is not null) as matched_or_conflicting_orders
    from orders
    group by all
),

erp_side as (
    -- ERP orders linked to a valid channel order sit on that order's shop and day
    select o.channel, o.shop_id, o.business_date, e.currency, e.erp_system, e.erp_order_id, e.order_amount,
           e.refund_amount, false as is_erp_only
    from orders as o
    inner join erp as e on e.erp_system = o.erp_system and e.erp_order_id = o.erp_order_id
    union all
    -- ERP orders no channel order accounts for, on the shop their customer stands for
    select e.customer_channel, e.customer_shop_id, {{ local_date('e.ordered_at', reporting_timezone()) }}, e.currency,
           e.erp_system, e.erp_order_id, e.order_amount, e.refund_amount, true
    from erp as e
    where not exists (select 1 from linked as l where l.erp_system = e.erp_system and l.erp_order_id = e.erp_order_id)
      and {{ day_in_scope('e.customer_channel', 'e.customer_shop_id',
                         local_date('e.ordered_at', reporting_timezone()), 'int_reconciliation_days__affected') }}
),

erp_totals as (
    select
        channel, shop_id, business_date, currency,
        count(*) as erp_orders,
        sum(order_amount) as erp_amount,
        sum(coalesce(refund_amount, 0)) as erp_refund_amount,
        count(*) filter (where is_erp_only) as erp_only_orders
    from erp_side
    group by all
),

joined as (
    select
        coalesce(c.channel, e.channel) as channel,
        coalesce(c.shop_id, e.shop_id) as shop_id,
        coalesce(c.business_date, e.business_date) as business_date,
        coalesce(c.currency, e.currency) as currency,
        coalesce(c.channel_orders, 0) as channel_orders,
        coalesce(e.erp_orders, 0) as erp_orders,
        coalesce(c.channel_paid_amount, 0) as channel_paid_amount,
        coalesce(e.erp_amount, 0) as erp_amount,
        coalesce(c.channel_refund_amount, 0) as channel_refund_amount,
        coalesce(e.erp_refund_amount, 0) as erp_refund_amount,
        coalesce(c.channel_orders, 0) - coalesce(c.matched_or_conflicting_orders, 0) as channel_orders_without_erp,
        coalesce(e.erp_only_orders, 0) as erp_only_orders
    from channel_side as c
    full outer join erp_totals as e
        on e.channel is not distinct from c.channel and e.shop_id is not distinct from c.shop_id
        and e.business_date = c.business_date and e.currency = c.currency
)

select
    channel::{{ text_type() }} as channel,
    shop_id::{{ text_type() }} as shop_id,
    business_date::date as business_date,
    currency::{{ text_type() }} as currency,
    channel_orders::bigint as channel_orders,
    erp_orders::bigint as erp_orders,
    (erp_orders - channel_orders)::bigint as order_count_difference,
    channel_paid_amount::{{ money_type() }} as channel_paid_amount,
    erp_amount::{{ money_type() }} as erp_amount,
    (erp_amount - channel_paid_amount)::{{ money_type() }} as amount_difference,
    channel_refund_amount::{{ money_type() }} as channel_refund_amount,
    erp_refund_amount::{{ money_type() }} as erp_refund_amount,
    (erp_refund_amount - channel_refund_amount)::{{ money_type() }} as refund_difference,
    channel_orders_without_erp::bigint as channel_orders_without_erp,
    erp_only_orders::bigint as erp_only_orders,
    (
        abs(erp_orders - channel_orders) <= {{ var('orderlayer_reconciliation_count_tolerance', 0) }}
        and abs(erp_amount - channel_paid_amount)
            <= {{ var('orderlayer_reconciliation_amount_tolerance', 0.01) }}
               + {{ var('orderlayer_reconciliation_amount_tolerance_share', 0) }} * abs(channel_paid_amount)
    )::boolean as is_within_tolerance
from joined
-- no ERP in the warehouse: nothing to reconcile (rather than every day "out of tolerance")
where exists (select 1 from {{ ref('int_erp_orders__current') }})
