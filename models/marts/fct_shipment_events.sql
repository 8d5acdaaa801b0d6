-- One row per carrier event of a parcel the channels name (docs/logistics.md): tracking number, carrier, the order
-- that shipped it, event time (UTC), canonical state with the native code kept, and the carrier's place text.
-- A carrier's record holds the whole route so far, so each parcel's events come from its latest raw version (D1:
-- by landing); a parcel two sources track takes the carrier's own API (carrier_event_sources() order). A parcel
-- shipped for several orders (a combined shipment) has its events once per order; a parcel no order names has a
-- NULL order_key. Quarantined events (unreadable time, no code) stay out (their staging rows say why).
-- A table, rebuilt every build: which order a parcel belongs to can change when an order lands after its parcel's
-- events, so neither the parcel nor the order alone scopes a change.
{{ config(materialized='table') }}

with states as (
    select source, code_type, native_code, state from {{ ref('carrier_states') }}
),

staged as (
    {%- for s in carrier_event_sources() %}
    select
        e.*,
        {{ loop.index }} as source_rank,
        coalesce(by_code.state, by_status.state) as state
    from {{ ref(s.model) }} as e
    left join states as by_code
        on by_code.source = '{{ s.source }}' and by_code.code_type = '{{ s.code }}' and by_code.native_code = e.native_code
    left join states as by_status
        on by_status.source = '{{ s.source }}' and by_status.code_type = '{{ s.status }}' and by_status.native_code = e.native_status
    where e.quarantine_reason is null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

latest_version as (
    -- each parcel's newest version: from the preferred source, then the last landed
    select carrier, tracking_number, raw_record_id
    from (
        select *, row_number() over (
            partition by carrier, tracking_number order by source_rank, source_synced_at desc, raw_record_id desc) as newest
        from (select distinct carrier, tracking_number, raw_record_id, source_rank, source_synced_at from staged) as v
    ) as ranked
    where newest = 1
),

events as (
    select s.*
    from staged as s
    inner join latest_version as l
        on l.carrier = s.carrier and l.tracking_number = s.tracking_number and l.raw_record_id = s.raw_record_id
),

parcels as (
    select distinct * from (
        select order_key, channel, {{ unnest_values('tracking_numbers') }} as tracking_number
        from {{ ref('map_order_ids') }}
    ) as named
),

placed as (
    select
        e.*,
        p.order_key,
        p.channel,
        row_number() over (
            partition by e.carrier, e.tracking_number, p.order_key order by e.event_at desc, e.event_index desc) = 1 as is_latest
    from events as e
    left join parcels as p on p.tracking_number = e.tracking_number
)

select
    md5(coalesce(order_key, '') || '|' || carrier || '|' || tracking_number || '|' || event_index)::{{ text_type() }} as shipment_event_key,
    order_key::{{ text_type() }} as order_key,
    channel::{{ text_type() }} as channel,
    carrier::{{ text_type() }} as carrier,
    tracking_number::{{ text_type() }} as tracking_number,
    tracking_source::{{ text_type() }} as tracking_source,
    event_index::integer as event_index,
    event_at::{{ instant_type() }} as event_at,
    state::{{ text_type() }} as state,
    native_code::{{ text_type() }} as native_code,
    native_status::{{ text_type() }} as native_status,
    location::{{ text_type() }} as location,
    is_latest::boolean as is_latest,
    raw_record_id::{{ text_type() }} as raw_record_id,
    source_synced_at::{{ instant_type() }} as source_synced_at
from placed
