{#- TikTok Shop after-sale requests (Return & Refund API 202309, POST /return_refund/202309/returns/search), one row
    per request in its latest version: latest update_time, ties by landing (rule D1). The after-sale staging contract:
    docs/refunds.md; platform facts and what is inferred: docs/channels/tiktok_shop.md
    "After-sales". REPLACEMENT requests (exchanges: no money back) are left out. Fields: macros/tiktok_shop/returns.sql. -#}
{#- A table, not incremental: one row per request (its latest version), so a new version replaces a row with another
    raw_record_id, and refunded_at / return_received_at are read from the request's earlier versions. -#}
{{ config(materialized='table') }}

with raw as (
    {{ raw_records('tiktok_shop', 'returns') }}
),

parsed as (
    select _record_hash, _connection, _synced_at, from_json(_record, '{{ tojson(tiktok_shop_return_shape()) }}') as r
    from raw
),

shops as (
    {{ shop_settings() }}
),

versions as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.*,
        {{ to_utc('r.update_time', 'epoch_s') }} as updated_at,
        -- first seen refunded / first seen with the goods accepted back (TikTok sends neither time: D-009's rule)
        min(case when r.return_status = 'RETURN_OR_REFUND_REQUEST_COMPLETE' then {{ to_utc('r.update_time', 'epoch_s') }} end)
            over (partition by r.shop_id, r.return_id) as first_seen_refunded_at,
        min(case when r.return_status in ('RETURN_OR_REFUND_REQUEST_SUCCESS', 'RETURN_OR_REFUND_REQUEST_COMPLETE')
                 then {{ to_utc('r.update_time', 'epoch_s') }} end)
            over (partition by r.shop_id, r.return_id) as first_seen_received_at,
        row_number() over (
            partition by r.shop_id, r.return_id
            order by {{ to_utc('r.update_time', 'epoch_s') }} desc nulls last, _synced_at desc, _record_hash
        ) as version_rank
    from parsed
),

latest as (
    select * from versions where version_rank = 1 and coalesce(return_type, '') <> 'REPLACEMENT'
),

-- TikTok's line item is one unit; the canonical line is the first unit of its (sku_id, original_price) group
-- (stg_tiktok_shop__order_lines). Each returned unit is mapped to its line through the order's latest version.
order_units as (
    select o.shop_id, o.id as order_id, u.unit.id as unit_id, u.unit.sku_id, u.unit.original_price, u.position
    from (
        select r.shop_id, r.id, r.line_items,
               row_number() over (partition by r.shop_id, r.id order by {{ to_utc('r.update_time', 'epoch_s') }} desc nulls last,
                                  _synced_at desc, _record_hash) as version_rank
        from (select _record_hash, _synced_at, {{ tiktok_shop_parse_order('_record') }} as r
              from ({{ raw_records('tiktok_shop', 'orders', all_versions=true) }}) as order_rows) as orders
        where r.id in (select order_id from latest)
    ) as o,
    lateral (select unnest(o.line_items) as unit, generate_subscripts(o.line_items, 1) as position) as u
    where o.version_rank = 1
),

unit_lines as (
    select shop_id, order_id, unit_id,
           first_value(unit_id) over (partition by shop_id, order_id, sku_id, original_price order by position) as line_id
    from order_units
),

returned_lines as (
    select l.shop_id, l.return_id,
           count(*) as returned_units,
           count(u.line_id) as mapped_units,
           count(distinct u.line_id) as lines,
           min(u.line_id) as line_id
    from (select shop_id, return_id, order_id, unnest(return_line_items).order_line_item_id as unit_id from latest) as l
    left join unit_lines as u on u.shop_id = l.shop_id and u.order_id = l.order_id and u.unit_id = l.unit_id
    group by l.shop_id, l.return_id
)

select
    v._record_hash as raw_record_id,
    v._connection as connection_name,
    v._synced_at as source_synced_at,
    'tiktok_shop' as channel,
    v.shop_id,
    v.return_id as refund_id,
    v.order_id as channel_order_id,
    -- the one order line every returned unit belongs to; NULL when the units span several lines or the order's
    -- line items are not landed (the amount is then the request's, not a line's)
    case when rl.mapped_units = rl.returned_units and rl.lines = 1 then rl.line_id end as channel_line_id,
    {{ tiktok_shop_refund_type('v.return_type') }} as refund_type,
    {{ tiktok_shop_refund_status('v.return_status') }} as status,
    v.return_status as status_native,
    -- refund_total: a decimal string in major units of refund_amount.currency (VND: whole dong)
    {{ major_units_to_amount('v.refund_amount.refund_total') }} as refund_amount,
    -- the request's currency, else the connection's (as the orders are resolved)
    coalesce(upper(trim(v.refund_amount.currency)), nullif(sh.currency, '')) as currency,
    {{ to_utc('v.create_time', 'epoch_s') }} as requested_at,
    case when v.return_status = 'RETURN_OR_REFUND_REQUEST_COMPLETE' then v.first_seen_refunded_at end as refunded_at,
    v.updated_at as source_updated_at,
    nullif(trim(v.return_reason), '') as reason_code,
    -- the platform's reason label (the list the buyer picks from); the buyer's own remarks are dropped by the tap
    nullif(trim(v.return_reason_text), '') as reason_text,
    case when v.return_type = 'RETURN_AND_REFUND' then nullif(trim(v.return_tracking_number), '') end as return_tracking_number,
    case when v.return_type = 'RETURN_AND_REFUND' then nullif(trim(v.return_provider_name), '') end as return_carrier,
    case when v.return_type = 'RETURN_AND_REFUND' and v.return_status in ('RETURN_OR_REFUND_REQUEST_SUCCESS', 'RETURN_OR_REFUND_REQUEST_COMPLETE')
         then v.first_seen_received_at end as return_received_at,
    cast(null as boolean) as is_restocked,  -- the return search does not say
    -- rule D3: why this request cannot be counted (NULL when it can)
    case
        when v.return_id is null or not regexp_full_match(v.return_id, '[0-9]{1,32}') then 'missing or malformed return_id'
        when v.shop_id is null or not regexp_full_match(v.shop_id, '[0-9A-Za-z_-]{1,64}') then 'missing or malformed shop_id'
        when v.order_id is null or not regexp_full_match(v.order_id, '[0-9]{1,32}') then 'missing or malformed order_id'
        when {{ tiktok_shop_refund_type('v.return_type') }} is null then 'unknown return_type'
        when {{ tiktok_shop_refund_status('v.return_status') }} is null then 'unknown return_status'
        when v.updated_at is null then 'missing or unparseable update_time'
        when {{ to_utc('v.create_time', 'epoch_s') }} is null then 'missing or unparseable create_time'
        when v.refund_amount.refund_total is null or trim(v.refund_amount.refund_total) = '' then 'missing refund_amount.refund_total'
        when {{ amount_is_invalid('v.refund_amount.refund_total', 'major') }} then 'non-numeric refund_amount.refund_total'
        when v.refund_amount.currency is not null and not regexp_full_match(upper(trim(v.refund_amount.currency)), '[A-Z]{3}')
            then 'malformed refund_amount.currency'
        when v.refund_amount.currency is null and nullif(sh.currency, '') is null
            then 'missing refund_amount.currency (and the connection sets no currency)'
    end as quarantine_reason
from latest as v
left join returned_lines as rl on rl.shop_id = v.shop_id and rl.return_id = v.return_id
left join shops as sh on sh.channel = 'tiktok_shop' and sh.shop_id = v.shop_id
