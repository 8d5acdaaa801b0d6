-- Horizontal integrity (Fivetran's integration-test style): per channel and business date, the order
-- facts, their lines and the event log tell the same story. Returns the days where they disagree.
with orders as (
    select channel, business_date, count(*) as orders, count(*) filter (where has_lines) as orders_with_lines,
           sum(paid_amount) filter (where has_lines) as paid, sum(goods_amount) filter (where has_lines) as goods
    from (
        select o.*, exists (select 1 from {{ ref('fct_order_lines') }} l where l.order_key = o.order_key) as has_lines
        from {{ ref('fct_orders') }} as o
    ) as flagged
    group by channel, business_date
),

lines as (
    select o.channel, o.business_date, count(distinct l.order_key) as orders_with_lines,
           sum(l.line_paid_amount) as paid, sum(l.line_goods_amount) as goods
    from {{ ref('fct_order_lines') }} as l
    inner join {{ ref('fct_orders') }} as o on o.order_key = l.order_key
    group by o.channel, o.business_date
),

created as (
    select o.channel, o.business_date, count(*) as orders
    from {{ ref('fct_order_events') }} as e
    inner join {{ ref('fct_orders') }} as o on o.order_key = e.order_key
    where e.event_type = 'created'
    group by o.channel, o.business_date
)

select o.channel, o.business_date, o.orders, c.orders as created_events,
       o.orders_with_lines, l.orders_with_lines as line_orders, o.paid, l.paid as line_paid, o.goods, l.goods as line_goods
from orders as o
left join lines as l on l.channel = o.channel and l.business_date = o.business_date
left join created as c on c.channel = o.channel and c.business_date = o.business_date
where o.orders is distinct from c.orders
   or o.orders_with_lines is distinct from coalesce(l.orders_with_lines, 0)
   or o.paid is distinct from l.paid
   or o.goods is distinct from l.goods
