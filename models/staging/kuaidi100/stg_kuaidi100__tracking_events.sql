{#- Kuaidi100 tracking events, one row per `data[]` event per raw version of a waybill's tracking object.
    Platform facts: shared/channels/push-and-logistics.md — event `time` is naive Beijing time, `statusCode` the
    event's state code (resultv2), `status` its text, `areaName` the parsed region; the canonical state is mapped
    in fct_shipment_events (seeds/carrier_states.csv). The event `context` (free text naming couriers) is not read. -#}

with raw as (
    {{ raw_records('kuaidi100', 'tracking') }}
),

parsed as (
    select _record_hash, _connection, _synced_at, {{ parse_json_record('_record', kuaidi100_tracking_shape()) }} as r
    from raw
),

events as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.nu,
        r.com,
        {{ unnest_with_index('r.data', 'position', 'event') }}
    from parsed
)

select
    _record_hash as raw_record_id,
    _connection as connection_name,
    _synced_at as source_synced_at,
    'kuaidi100' as tracking_source,
    nullif(lower(trim(com)), '') as carrier,
    trim(nu) as tracking_number,
    cast(position as integer) as event_index,
    -- `time`, else the formatted `ftime` (the same instant in the samples)
    {{ to_utc("coalesce(nullif(trim(event.time), ''), event.ftime)", 'local', 'Asia/Shanghai') }} as event_at,
    nullif(trim(event.statusCode), '') as native_code,
    nullif(trim(event.status), '') as native_status,
    -- the region Kuaidi100 parsed (resultv2): a city or district, never a person's address
    nullif(trim(event.areaName), '') as location,
    case
        when nu is null or trim(nu) = '' then 'missing nu'
        when com is null or trim(com) = '' then 'missing com'
        when {{ to_utc("coalesce(nullif(trim(event.time), ''), event.ftime)", 'local', 'Asia/Shanghai') }} is null
            then 'missing or unparseable time'
        when nullif(trim(event.statusCode), '') is null and nullif(trim(event.status), '') is null
            then 'no statusCode and no status'
    end as quarantine_reason
from events
