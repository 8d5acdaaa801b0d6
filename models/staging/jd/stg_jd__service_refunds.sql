{#- JD after-sale services and their refunds (jingdong.asc.serviceAndRefund.view): refunds after shipment. One row
    per service: its latest version by the tap's `ol_changed_at` (the latest of afsApplyTime, approveDate,
    completeTime), ties broken by sync time (rule D1). Facts and what is unconfirmed: docs/channels/jd.md "Refunds
    after shipment". Options are dbt vars: jd_after_sale_amount_unit ('yuan' default: the SDK types refoundAmount
    as BigDecimal and integrations read it as yuan; or 'fen'), jd_after_sale_refunded_statuses (['13']: refund
    succeeded) and jd_after_sale_closed_statuses (['14']: refund failed or service refused); any other status is
    an open service. -#}
{#- Incremental (docs/incremental.md "Staging"): one row per record, its latest version, so every version of a
    record with a version landed is re-read (restage_all_versions) and the row it showed before is removed first
    (pre_hook). -#}
{{ config(restage_all_versions=true, pre_hook="{{ delete_restaged_versions([('jd', 'service_refunds')]) }}") }}

{%- set shape = {
    "serviceId": "VARCHAR", "venderId": "VARCHAR", "orderId": "VARCHAR", "afsRefundId": "VARCHAR",
    "refoundAmount": "VARCHAR", "status": "VARCHAR", "completeTime": "VARCHAR", "ol_changed_at": "VARCHAR",
    "sameOrderServiceBill": {"afsApplyTime": "VARCHAR", "approveDate": "VARCHAR", "wareId": "VARCHAR",
                             "applyReason": "VARCHAR", "customerExpect": "VARCHAR"}
} %}
{%- set unit = var('jd_after_sale_amount_unit', 'yuan') %}
{%- if unit not in ('fen', 'yuan') %}
{{ exceptions.raise_compiler_error("var jd_after_sale_amount_unit must be 'yuan' or 'fen', got '" ~ unit ~ "'") }}
{%- endif %}
{%- set fen = unit == 'fen' %}
{%- set refunded = var('jd_after_sale_refunded_statuses', ['13']) %}
{%- set closed = var('jd_after_sale_closed_statuses', ['14']) %}
{%- set refunded_sql = "'" ~ (refunded | map('string') | join("','")) ~ "'" %}
{%- set closed_sql = "'" ~ (closed | map('string') | join("','")) ~ "'" %}
{%- set is_refunded = ("coalesce(v.status in (" ~ refunded_sql ~ "), false)") if refunded else "false" %}
{%- set is_closed = ("coalesce(v.status in (" ~ closed_sql ~ "), false)") if closed else "false" %}

with raw as (
    {{ raw_records('jd', 'service_refunds') }}
),

parsed as (
    select _record_hash, _connection, _synced_at, {{ parse_json_shape('_record', shape) }} as r
    from raw
),

versions as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.serviceId as service_id,
        r.venderId as vender_id,
        r.orderId as order_id,
        r.afsRefundId as refund_id,
        trim(r.status) as status,
        r.refoundAmount as refund_amount_text,
        r.completeTime as complete_time,
        r.sameOrderServiceBill.afsApplyTime as apply_time,
        r.sameOrderServiceBill.approveDate as approve_time,
        r.sameOrderServiceBill.wareId as ware_id,
        r.sameOrderServiceBill.applyReason as apply_reason,
        nullif(trim(r.sameOrderServiceBill.customerExpect), '') as customer_expect,
        r.ol_changed_at as changed_at_text,
        row_number() over (
            partition by r.venderId, r.serviceId
            order by {{ to_utc('r.ol_changed_at', 'local', 'Asia/Shanghai') }} desc nulls last, _synced_at desc, _record_hash
        ) as version_rank
    from parsed
)

select
    v._record_hash as raw_record_id,
    v._connection as connection_name,
    v._synced_at as source_synced_at,
    'jd' as channel,
    v.vender_id as shop_id,
    v.service_id,
    v.refund_id,
    v.order_id as channel_order_id,
    v.ware_id,
    v.status as status_native,
    -- refoundAmount: the actual refund (yuan by default; var jd_after_sale_amount_unit); NULL until refunded
    {% if fen -%}
    {{ minor_units_to_amount('v.refund_amount_text') }}
    {%- else -%}
    {{ major_units_to_amount('v.refund_amount_text') }}
    {%- endif %} as refund_amount,
    {{ to_utc('v.apply_time', 'local', 'Asia/Shanghai') }} as applied_at,
    {{ to_utc('v.approve_time', 'local', 'Asia/Shanghai') }} as reviewed_at,
    {{ to_utc('v.complete_time', 'local', 'Asia/Shanghai') }} as refunded_at,
    -- when the service stopped being open: the refund's completion, or the review of a refused / failed one
    case
        when {{ is_refunded }} then {{ to_utc('v.complete_time', 'local', 'Asia/Shanghai') }}
        when {{ is_closed }} then coalesce({{ to_utc('v.complete_time', 'local', 'Asia/Shanghai') }}, {{ to_utc('v.approve_time', 'local', 'Asia/Shanghai') }})
    end as closed_at,
    {{ to_utc('v.changed_at_text', 'local', 'Asia/Shanghai') }} as source_updated_at,
    {{ is_refunded }} as is_refunded,
    not ({{ is_refunded }} or {{ is_closed }}) as is_open,
    v.apply_reason,
    -- customerExpect: what the buyer asked for (10 return, 20 exchange [I]); NULL where the list does not say
    v.customer_expect,
    -- rule D3: why this service cannot be counted (NULL when it can)
    case
        when v.service_id is null or not {{ full_match('v.service_id', "'[0-9]{1,32}'") }} then 'missing or malformed serviceId'
        when v.vender_id is null or not {{ full_match('v.vender_id', "'[0-9]{1,32}'") }} then 'missing or malformed venderId'
        when v.order_id is null or not {{ full_match('v.order_id', "'[0-9]{1,32}'") }} then 'missing or malformed orderId'
        when v.status is null or v.status = '' then 'missing status'
        when {{ is_refunded }} and (v.refund_amount_text is null or trim(v.refund_amount_text) = '') then 'refunded without refoundAmount'
        when {{ amount_is_invalid('v.refund_amount_text', 'minor' if fen else 'major') }} then 'non-numeric refoundAmount'
        when {{ to_utc('v.apply_time', 'local', 'Asia/Shanghai') }} is null then 'missing or unparseable afsApplyTime'
        when {{ time_is_invalid('v.approve_time', 'local') }} then 'unparseable approveDate'
        when {{ is_refunded }} and {{ to_utc('v.complete_time', 'local', 'Asia/Shanghai') }} is null then 'refunded without a parseable completeTime'
    end as quarantine_reason
from versions as v
where v.version_rank = 1
