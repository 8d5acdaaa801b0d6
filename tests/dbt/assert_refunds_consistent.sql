-- fct_orders, fct_order_events and fct_refunds tell one story about refunds (docs/refunds.md). Returns every
-- disagreement:
--   - an order with a refunded after-sale record whose refund_amount is not min(Σ refunded, paid_amount), or that
--     is not is_refunded;
--   - a refunded record with no `refunded` event at its own refunded_at (orders in fct_orders);
--   - a refund event of an order with records at a time no record has.
with refunded as (
    select order_key, sum(coalesce(refund_amount, 0)) as refunded_amount
    from {{ ref('fct_refunds') }}
    where status = 'refunded'
    group by order_key
),

amounts as (
    select o.order_key, 'refund_amount ' || o.refund_amount || ' is not min(refunded ' || r.refunded_amount
        || ', paid ' || o.paid_amount || ')' as problem
    from {{ ref('fct_orders') }} as o
    inner join refunded as r on r.order_key = o.order_key
    where o.refund_amount is distinct from least(r.refunded_amount, o.paid_amount) or not o.is_refunded
),

missing_events as (
    select f.order_key, 'no refunded event at ' || f.refunded_at || ' for refund ' || f.refund_id as problem
    from {{ ref('fct_refunds') }} as f
    where f.status = 'refunded'
      and f.order_key in (select order_key from {{ ref('fct_orders') }})
      and not exists (
        select 1 from {{ ref('fct_order_events') }} as e
        where e.order_key = f.order_key and e.event_type = 'refunded' and e.event_at = f.refunded_at
      )
),

stray_events as (
    select e.order_key, e.event_type || ' event at ' || e.event_at || ' matches no after-sale record' as problem
    from {{ ref('fct_order_events') }} as e
    where e.event_type in ('refunded', 'refund_requested')
      and e.order_key in (select order_key from {{ ref('fct_refunds') }})
      and not exists (
        select 1 from {{ ref('fct_refunds') }} as f
        where f.order_key = e.order_key
          and ((e.event_type = 'refunded' and f.status = 'refunded' and f.refunded_at = e.event_at)
               or (e.event_type = 'refund_requested' and f.requested_at = e.event_at))
      )
)

select * from amounts
union all
select * from missing_events
union all
select * from stray_events
