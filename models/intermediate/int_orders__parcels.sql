{#- Per order, what its parcels' carrier events say (docs/logistics.md): how many of the parcels it names have
    events, when the carrier first saw one, when the last one was delivered (only once every parcel it names is
    delivered), and the order's current parcel state: `delivered` when every parcel is, else the state of the
    least advanced parcel (an order is where its slowest parcel is), `no_carrier_event` when none has an event.
    Only orders whose channel names a tracking number have a row. Incremental by order: the orders of
    int_orders__affected (an order version landed, or a carrier event for a parcel it names) are recomputed, their
    old rows deleted first (an order may stop naming parcels). -#}
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='order_key',
          on_schema_change='fail', pre_hook="{{ delete_keys_in_scope('order_key', 'int_orders__affected') }}") }}

with named as (
    select order_key, channel, count(distinct t.tracking_number) as parcels
    from {{ ref('map_order_ids') }} as m
    {{ join_unnested('m.tracking_numbers', 't', 'tracking_number') }}
    where {{ in_scope('order_key', 'int_orders__affected') }}
    group by order_key, channel
),

per_parcel as (
    select
        order_key,
        tracking_number,
        min(event_at) as first_event_at,
        max(case when state = 'delivered' then event_at end) as delivered_at,
        max(case when is_latest then state end) as latest_state
    from {{ ref('fct_shipment_events') }}
    where order_key is not null and {{ in_scope('order_key', 'int_orders__affected') }}
    group by order_key, tracking_number
),

progress as (
    -- how far along each state is, for "the least advanced parcel"; unmapped codes count as in transit
    select *,
        case coalesce(latest_state, 'in_transit')
            when 'exception' then 0 when 'returned' then 1 when 'picked_up' then 2 when 'in_transit' then 3
            when 'customs' then 4 when 'out_for_delivery' then 5 when 'delivered' then 6
        end as rank
    from per_parcel
)

select
    n.order_key,
    n.channel,
    n.parcels,
    count(p.tracking_number) as parcels_with_events,
    min(p.first_event_at) as first_carrier_event_at,
    case when count(p.delivered_at) = n.parcels then max(p.delivered_at) end as carrier_delivered_at,
    case
        when count(p.tracking_number) = 0 then 'no_carrier_event'
        when count(p.delivered_at) = n.parcels and bool_and(p.latest_state = 'delivered') then 'delivered'
        else min_by(coalesce(p.latest_state, 'in_transit'), p.rank)
    end as parcel_state
from named as n
left join progress as p on p.order_key = n.order_key
group by n.order_key, n.channel, n.parcels
