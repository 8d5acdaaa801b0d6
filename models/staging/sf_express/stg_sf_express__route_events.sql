{#- SF Express route events, one row per route entry per raw version of a waybill's route list.
    Platform facts: shared/channels/sf_express.md §4–5 — acceptTime is naive Beijing time, opCode the event code,
    firstStatusName the newer aggregate status; the canonical state is mapped in fct_shipment_events
    (seeds/carrier_states.csv). The remark (free text naming couriers) is not read. -#}

with raw as (
    {{ raw_records('sf_express', 'routes') }}
),

parsed as (
    select _record_hash, _connection, _synced_at, {{ parse_json_record('_record', sf_express_route_shape()) }} as r
    from raw
),

events as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.mailNo as mail_no,
        {{ unnest_with_index('r.routes', 'position', 'route') }}
    from parsed
)

select
    _record_hash as raw_record_id,
    _connection as connection_name,
    _synced_at as source_synced_at,
    'sf_express' as tracking_source,
    -- the carrier as Kuaidi100 and the channels name it, so one parcel has one carrier whichever source tracked it
    'shunfeng' as carrier,
    trim(mail_no) as tracking_number,
    cast(position as integer) as event_index,
    {{ to_utc('route.acceptTime', 'local', 'Asia/Shanghai') }} as event_at,
    nullif(trim(route.opCode), '') as native_code,
    nullif(trim(route.firstStatusName), '') as native_status,
    -- the outlet or facility (营业部, 集散中心): a place of SF's, never a person's address
    nullif(trim(route.acceptAddress), '') as location,
    case
        when mail_no is null or trim(mail_no) = '' then 'missing mailNo'
        when {{ to_utc('route.acceptTime', 'local', 'Asia/Shanghai') }} is null then 'missing or unparseable acceptTime'
        when nullif(trim(route.opCode), '') is null and nullif(trim(route.firstStatusName), '') is null
            then 'no opCode and no firstStatusName'
    end as quarantine_reason
from events
