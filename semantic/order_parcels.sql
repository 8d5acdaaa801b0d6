-- Per real (non-test) order that names a parcel: where its parcels are and when the carrier delivered them
-- (docs/logistics.md), for the parcel metrics in semantic/shipments.yml. Built into `audit` beside the marts and
-- published with them. Incremental by order like the marts (publish and the read snapshot replace only the orders
-- a build recomputed): an order's row is recomputed when it is in int_orders__affected, deleted first (it may no
-- longer name a parcel, or have become a test order).
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='order_key',
          on_schema_change='fail', pre_hook="{{ delete_keys_in_scope('order_key', 'int_orders__affected') }}") }}

select
    cast(o.order_key as {{ text_type() }}) as order_key,
    cast(o.business_date as date) as business_date,
    cast(p.parcels as integer) as parcels,
    cast(p.parcels_with_events as integer) as parcels_with_events,
    -- an order the channel reports delivered is not tracked any more (core/carriers.py): delivered, not "no event"
    cast(case when p.parcel_state = 'no_carrier_event' and o.delivered_at is not null then 'delivered'
              else p.parcel_state end as {{ text_type() }}) as parcel_state,
    -- between shipped and signed for: the parcels are on their way (or stuck), not delivered, not back home
    cast(p.parcel_state in ('picked_up', 'in_transit', 'customs', 'out_for_delivery', 'exception') as boolean) as is_in_transit,
    cast(p.first_carrier_event_at as {{ instant_type() }}) as first_carrier_event_at,
    cast(p.carrier_delivered_at as {{ instant_type() }}) as carrier_delivered_at,
    cast(p.carrier_delivered_at is not null and o.promised_delivery_by is not null as boolean) as has_carrier_delivery_promise,
    cast(coalesce(p.carrier_delivered_at <= o.promised_delivery_by, false) as boolean) as is_carrier_delivered_on_time,
    cast(case when o.shipped_at is not null and p.carrier_delivered_at is not null
              then round({{ seconds_between('o.shipped_at', 'p.carrier_delivered_at') }} / 3600.0, 6) end as double) as transit_hours
from {{ ref('fct_orders') }} as o
inner join {{ ref('int_orders__parcels') }} as p on p.order_key = o.order_key
where not o.is_test and {{ in_scope('o.order_key', 'int_orders__affected') }}
