-- Per real (non-test) order that names a parcel: where its parcels are and when the carrier delivered them
-- (docs/logistics.md), for the parcel metrics in semantic/shipments.yml. Built into `audit` beside the marts and
-- published with them. A table: it follows int_orders__parcels, which follows the carrier events (a table too).
{{ config(materialized='table') }}

select
    o.order_key::varchar as order_key,
    o.business_date::date as business_date,
    p.parcels::integer as parcels,
    p.parcels_with_events::integer as parcels_with_events,
    -- an order the channel reports delivered is not tracked any more (core/carriers.py): delivered, not "no event"
    (case when p.parcel_state = 'no_carrier_event' and o.delivered_at is not null then 'delivered'
          else p.parcel_state end)::varchar as parcel_state,
    -- between shipped and signed for: the parcels are on their way (or stuck), not delivered, not back home
    (p.parcel_state in ('picked_up', 'in_transit', 'customs', 'out_for_delivery', 'exception'))::boolean as is_in_transit,
    p.first_carrier_event_at::timestamptz as first_carrier_event_at,
    p.carrier_delivered_at::timestamptz as carrier_delivered_at,
    (p.carrier_delivered_at is not null and o.promised_delivery_by is not null)::boolean as has_carrier_delivery_promise,
    coalesce(p.carrier_delivered_at <= o.promised_delivery_by, false)::boolean as is_carrier_delivered_on_time,
    (case when o.shipped_at is not null and p.carrier_delivered_at is not null
          then round(epoch(p.carrier_delivered_at - o.shipped_at) / 3600.0, 6) end)::double as transit_hours
from {{ ref('fct_orders') }} as o
inner join {{ ref('int_orders__parcels') }} as p on p.order_key = o.order_key
where not o.is_test
