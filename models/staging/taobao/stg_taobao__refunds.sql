{#- Taobao / Tmall refunds (taobao.refunds.receive.get) to the after-sale staging contract (docs/channels/taobao.md
    "Refunds"): one row per refund (one sub-order's), its latest version by its own `modified`, ties by sync time
    (rule D1). Amounts are yuan strings, times naive Beijing text. -#}
{#- Incremental by refund: every version of a refund with a version in the landing window is re-staged
    (restage_all_versions), so the latest one is chosen among all of them; the row an earlier version gave is
    removed first (pre_hook, by raw version: a refund without an id is kept too, quarantined). -#}
{{ config(restage_all_versions=true, pre_hook="{{ delete_restaged_versions([('taobao', 'refunds')]) }}") }}

{%- set shape = {
    "shop_id": "VARCHAR", "refund_id": "VARCHAR", "tid": "VARCHAR", "oid": "VARCHAR", "status": "VARCHAR",
    "refund_fee": "VARCHAR", "created": "VARCHAR", "modified": "VARCHAR", "order_status": "VARCHAR",
    "has_good_return": "VARCHAR", "reason": "VARCHAR", "company_name": "VARCHAR", "sid": "VARCHAR"
} %}

with parsed as (
    {{ parsed_records('taobao', 'refunds', shape) }}
),

versions as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.*,
        {{ latest_version_rank('r.shop_id, r.refund_id', to_utc('r.modified', 'local')) }} as version_rank
    from parsed
),

mapped as (
    select
        v.*,
        -- goods come back, else: refunded before the sub-order shipped, else after it (no goods back)
        case
            when v.has_good_return = 'true' then 'return_and_refund'
            when v.order_status in ('WAIT_BUYER_PAY', 'PAY_PENDING', 'WAIT_SELLER_SEND_GOODS', 'PAID_FORBID_CONSIGN') then 'cancel_refund'
            when v.has_good_return = 'false' then 'refund_only'
        end as refund_type,
        case v.status
            when 'SUCCESS' then 'refunded'
            when 'SELLER_REFUSE_BUYER' then 'rejected'
            when 'CLOSED' then 'cancelled'
            when 'WAIT_BUYER_RETURN_GOODS' then 'approved'
            when 'WAIT_SELLER_CONFIRM_GOODS' then 'approved'
            when 'WAIT_SELLER_AGREE' then 'requested'
        end as canonical_status
    from versions as v
    where v.version_rank = 1
)

select
    m._record_hash as raw_record_id,
    m._connection as connection_name,
    m._synced_at as source_synced_at,
    'taobao' as channel,
    m.shop_id,
    m.refund_id,
    m._record_hash as after_sale_record_id,  -- the record is the refund (docs/refunds.md)
    m.tid as channel_order_id,
    -- TOP refunds one sub-order at a time: always a line
    m.oid as channel_line_id,
    m.refund_type,
    m.canonical_status as status,
    m.status as status_native,
    {{ major_units_to_amount('m.refund_fee') }} as refund_amount,
    coalesce(sh.currency, c.default_currency) as currency,
    {{ to_utc('m.created', 'local') }} as requested_at,
    -- the list has no refund time: a refund's last change once it succeeded is when it did
    case when m.canonical_status = 'refunded' then {{ to_utc('m.modified', 'local') }} end as refunded_at,
    {{ to_utc('m.modified', 'local') }} as source_updated_at,
    cast(null as {{ text_type() }}) as reason_code,
    nullif(trim(m.reason), '') as reason_text,
    nullif(trim(m.sid), '') as return_tracking_number,
    nullif(trim(m.company_name), '') as return_carrier,
    cast(null as {{ instant_type() }}) as return_received_at,
    cast(null as boolean) as is_restocked,
    -- rule D3: why this refund cannot be counted (NULL when it can)
    case
        when m.refund_id is null or not {{ full_match('m.refund_id', "'[0-9]{1,32}'") }} then 'missing or malformed refund_id'
        when m.shop_id is null or m.shop_id = '' then 'missing shop_id'
        when m.tid is null or not {{ full_match('m.tid', "'[0-9]{1,32}'") }} then 'missing or malformed tid'
        when m.oid is not null and not {{ full_match('m.oid', "'[0-9]{1,32}'") }} then 'malformed oid'
        when m.refund_type is null then 'unknown has_good_return'
        when m.canonical_status is null then 'unknown status'
        when {{ to_utc('m.created', 'local') }} is null then 'missing or unparseable created'
        when {{ to_utc('m.modified', 'local') }} is null then 'missing or unparseable modified'
        when m.refund_fee is null or {{ amount_is_invalid('m.refund_fee', 'major') }} then 'missing or non-numeric refund_fee'
    end as quarantine_reason
from mapped as m
left join {{ ref('channels') }} as c on c.channel = 'taobao'
left join ({{ shop_settings() }}) as sh on sh.channel = 'taobao' and sh.shop_id = m.shop_id
