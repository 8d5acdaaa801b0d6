{#- TikTok Shop after-sales (Return & Refund API 202309): return requests (POST /return_refund/202309/returns/search)
    and cancellations (POST /return_refund/202309/cancellations/search), one row per request in its latest version:
    latest update_time, ties by landing (rule D1). The after-sale staging contract: docs/refunds.md; platform facts
    and what is inferred: docs/channels/tiktok_shop.md "After-sales". REPLACEMENT requests (exchanges: no money back)
    are left out. Fields: macros/tiktok_shop/returns.sql. -#}
{#- Incremental (docs/incremental.md "Staging"): one row per request, its latest version, so the rows of a request
    with a new version are removed first (pre_hook) and every version of it is re-read (refunded_at /
    return_received_at come from its earlier versions); its line comes from the order's latest version, which may
    land after the request, so the requests of an order with a version landed are re-staged too. -#}
{{ config(pre_hook="{{ delete_restaged_versions([('tiktok_shop', 'returns'), ('tiktok_shop', 'cancellations')]) }}") }}

with return_rows as (
    {{ raw_records('tiktok_shop', 'returns',
                   restage=restage_records_of_changed_orders('tiktok_shop', 'returns', 'stg_tiktok_shop__orders')) }}
),

cancellation_rows as (
    {{ raw_records('tiktok_shop', 'cancellations',
                   restage=restage_records_of_changed_orders('tiktok_shop', 'cancellations', 'stg_tiktok_shop__orders')) }}
),

shops as (
    {{ shop_settings() }}
),

-- both searches in one shape: the request, its canonical type and status, and the facts read from its versions
requests as (
    select
        _record_hash, _connection, _synced_at, r.shop_id, r.return_id as request_id, r.order_id,
        r.return_type = 'REPLACEMENT' as is_exchange,
        {{ tiktok_shop_refund_type('r.return_type') }} as refund_type,
        {{ tiktok_shop_refund_status('r.return_status') }} as status,
        r.return_status as status_native,
        r.return_status = 'RETURN_OR_REFUND_REQUEST_COMPLETE' as is_refunded,
        -- the seller accepted the goods back (TikTok sends no receipt time)
        r.return_type = 'RETURN_AND_REFUND' and r.return_status in ('RETURN_OR_REFUND_REQUEST_SUCCESS', 'RETURN_OR_REFUND_REQUEST_COMPLETE')
            as goods_back,
        r.refund_amount.refund_total, r.refund_amount.currency, r.create_time, r.update_time,
        r.return_reason as reason_code, r.return_reason_text as reason_text,
        case when r.return_type = 'RETURN_AND_REFUND' then r.return_tracking_number end as tracking_number,
        case when r.return_type = 'RETURN_AND_REFUND' then r.return_provider_name end as carrier,
        {{ list_map('r.return_line_items', 'l', 'l.order_line_item_id') }} as unit_ids,
        'return_id' as id_field, 'return_type' as type_field, 'return_status' as status_field
    from (select _record_hash, _connection, _synced_at, {{ json_record_fields('_record', tiktok_shop_return_shape()) }} as r
          from return_rows) as parsed
    union all
    select
        _record_hash, _connection, _synced_at, c.shop_id, c.cancel_id, c.order_id,
        false, 'cancel_refund',
        {{ tiktok_shop_cancel_status('c.cancel_status') }},
        c.cancel_status,
        c.cancel_status = 'CANCELLATION_REQUEST_COMPLETE',
        false,
        c.refund_amount.refund_total, c.refund_amount.currency, c.create_time, c.update_time,
        c.cancel_reason, c.cancel_reason_text,
        null, null,
        {{ list_map('c.cancel_line_items', 'l', 'l.order_line_item_id') }},
        'cancel_id', 'cancel_type', 'cancel_status'
    from (select _record_hash, _connection, _synced_at, {{ json_record_fields('_record', tiktok_shop_cancellation_shape()) }} as c
          from cancellation_rows) as parsed
),

versions as (
    select
        *,
        {{ to_utc('update_time', 'epoch_s') }} as updated_at,
        -- first seen refunded / with the goods accepted back (TikTok sends neither time: D-060)
        min(case when is_refunded then {{ to_utc('update_time', 'epoch_s') }} end)
            over (partition by shop_id, id_field, request_id) as first_seen_refunded_at,
        min(case when goods_back then {{ to_utc('update_time', 'epoch_s') }} end)
            over (partition by shop_id, id_field, request_id) as first_seen_received_at,
        row_number() over (
            partition by shop_id, id_field, request_id
            order by {{ to_utc('update_time', 'epoch_s') }} desc nulls last, _synced_at desc, _record_hash
        ) as version_rank
    from requests
),

latest as (
    -- a replacement (an exchange: no money back) stays as an `exchange` row: left out of the facts, counted
    -- (macros/refunds.sql)
    select * except (refund_type), case when coalesce(is_exchange, false) then 'exchange' else refund_type end as refund_type
    from versions where version_rank = 1
),

-- TikTok's line item is one unit; the canonical line is the first unit of its (sku_id, original_price) group
-- (stg_tiktok_shop__order_lines). Each unit is mapped to its line through the order's latest version.
order_units as (
    select shop_id, order_id, unit.id as unit_id, unit.sku_id, unit.original_price, unit_position
    from (select o.shop_id, o.id as order_id, {{ unnest_with_index('o.line_items', 'unit_position', 'unit') }}
    from (
        select r.shop_id, r.id, r.line_items,
               row_number() over (partition by r.shop_id, r.id order by {{ to_utc('r.update_time', 'epoch_s') }} desc nulls last,
                                  _synced_at desc, _record_hash) as version_rank
        from (select _record_hash, _synced_at, {{ tiktok_shop_parse_order('_record') }} as r
              -- incremental: every version of the orders of the requests staged (keyed [shop_id, id])
              from ({{ raw_records('tiktok_shop', 'orders',
                                   restage=json_array_text('_primary_key', 1) ~ ' in (select order_id from latest)') }}) as order_rows) as orders
        where r.id in (select order_id from latest)
    ) as o
    where o.version_rank = 1) as u
),

unit_lines as (
    select shop_id, order_id, unit_id,
           first_value(unit_id) over (partition by shop_id, order_id, sku_id, original_price order by unit_position) as line_id
    from order_units
),

request_lines as (
    select l.shop_id, l.id_field, l.request_id,
           count(*) as units,
           count(u.line_id) as mapped_units,
           count(distinct u.line_id) as lines,
           min(u.line_id) as line_id
    from (select shop_id, id_field, request_id, order_id, {{ unnest_values('unit_ids') }} as unit_id from latest) as l
    left join unit_lines as u on u.shop_id = l.shop_id and u.order_id = l.order_id and u.unit_id = l.unit_id
    group by l.shop_id, l.id_field, l.request_id
)

select
    v._record_hash as raw_record_id,
    v._connection as connection_name,
    v._synced_at as source_synced_at,
    'tiktok_shop' as channel,
    v.shop_id,
    v.request_id as refund_id,
    v._record_hash as after_sale_record_id,  -- the record is the refund (docs/refunds.md)
    v.order_id as channel_order_id,
    -- the one order line every unit belongs to; NULL when the units span several lines (a whole order) or the order's
    -- line items are not landed (the amount is then the request's, not a line's)
    case when rl.mapped_units = rl.units and rl.lines = 1 then rl.line_id end as channel_line_id,
    v.refund_type,
    v.status,
    v.status_native,
    -- refund_total: a decimal string in major units of the request's currency (VND: whole dong)
    {{ major_units_to_amount('v.refund_total') }} as refund_amount,
    -- the request's currency, else the connection's (as the orders are resolved)
    coalesce(upper(trim(v.currency)), nullif(sh.currency, '')) as currency,
    {{ to_utc('v.create_time', 'epoch_s') }} as requested_at,
    case when v.is_refunded then v.first_seen_refunded_at end as refunded_at,
    v.updated_at as source_updated_at,
    nullif(trim(v.reason_code), '') as reason_code,
    -- the platform's reason label (the list the buyer picks from); the buyer's own remarks are dropped by the tap
    nullif(trim(v.reason_text), '') as reason_text,
    nullif(trim(v.tracking_number), '') as return_tracking_number,
    nullif(trim(v.carrier), '') as return_carrier,
    case when v.goods_back then v.first_seen_received_at end as return_received_at,
    cast(null as boolean) as is_restocked,  -- the searches do not say
    -- rule D3: why this request cannot be counted (NULL when it can)
    case
        when v.request_id is null or not {{ full_match('v.request_id', "'[0-9]{1,32}'") }} then 'missing or malformed ' || v.id_field
        when v.shop_id is null or not {{ full_match('v.shop_id', "'[0-9A-Za-z_-]{1,64}'") }} then 'missing or malformed shop_id'
        when v.order_id is null or not {{ full_match('v.order_id', "'[0-9]{1,32}'") }} then 'missing or malformed order_id'
        when v.refund_type is null then 'unknown ' || v.type_field
        when v.status is null then 'unknown ' || v.status_field
        when v.updated_at is null then 'missing or unparseable update_time'
        when {{ to_utc('v.create_time', 'epoch_s') }} is null then 'missing or unparseable create_time'
        when v.refund_total is null or trim(v.refund_total) = '' then 'missing refund_amount.refund_total'
        when {{ amount_is_invalid('v.refund_total', 'major') }} then 'non-numeric refund_amount.refund_total'
        when v.currency is not null and not {{ full_match('upper(trim(v.currency))', "'[A-Z]{3}'") }} then 'malformed refund_amount.currency'
        when v.currency is null and nullif(sh.currency, '') is null
            then 'missing refund_amount.currency (and the connection sets no currency)'
    end as quarantine_reason
from latest as v
left join request_lines as rl on rl.shop_id = v.shop_id and rl.id_field = v.id_field and rl.request_id = v.request_id
left join shops as sh on sh.channel = 'tiktok_shop' and sh.shop_id = v.shop_id
