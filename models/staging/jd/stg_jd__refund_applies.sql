{#- JD refund applications (jingdong.pop.afs.soa.refundapply.queryPageList), one row per application: its latest
    version by the tap's `ol_changed_at` (the later of applyTime, checkTime, modified), ties broken by sync time
    (rule D1). Platform facts and what is unconfirmed: docs/channels/jd.md "Refund applications". Options are dbt
    vars: jd_refund_apply_amount_unit ('fen', the doc's unit, or 'yuan'), jd_refund_apply_refunded_statuses
    (status codes whose amount counts as refunded) and jd_refund_apply_open_statuses (awaiting review). -#}
{#- Incremental (docs/incremental.md "Staging"): one row per record, its latest version, so every version of a
    record with a version landed is re-read (restage_all_versions) and the row it showed before is removed first
    (pre_hook). -#}
{{ config(restage_all_versions=true, pre_hook="{{ delete_restaged_versions([('jd', 'refund_applies')]) }}") }}

{%- set shape = {
    "id": "VARCHAR", "venderId": "VARCHAR", "orderId": "VARCHAR", "status": "VARCHAR",
    "applyRefundSum": "VARCHAR", "applyTime": "VARCHAR", "checkTime": "VARCHAR", "ol_changed_at": "VARCHAR",
    "reason": "VARCHAR"
} %}
{%- set unit = var('jd_refund_apply_amount_unit', 'fen') %}
{%- if unit not in ('fen', 'yuan') %}
{{ exceptions.raise_compiler_error("var jd_refund_apply_amount_unit must be 'fen' or 'yuan', got '" ~ unit ~ "'") }}
{%- endif %}
{%- set fen = unit == 'fen' %}
{#- approved by the shop (1), JD finance (3) or manually (5), intercepted / force-closed and refunded (6, 7, 9) -#}
{%- set refunded = var('jd_refund_apply_refunded_statuses', ['1', '3', '5', '6', '7', '9']) %}
{%- set open = var('jd_refund_apply_open_statuses', ['0']) %}
{%- set refunded_sql = "'" ~ (refunded | map('string') | join("','")) ~ "'" %}
{%- set open_sql = "'" ~ (open | map('string') | join("','")) ~ "'" %}

with raw as (
    {{ raw_records('jd', 'refund_applies') }}
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
        r.id as application_id,
        r.venderId as vender_id,
        r.orderId as order_id,
        trim(r.status) as status,
        r.applyRefundSum as apply_refund_sum,
        r.applyTime as apply_time,
        r.checkTime as check_time,
        r.ol_changed_at as changed_at_text,
        r.reason,
        row_number() over (
            partition by r.venderId, r.id
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
    v.application_id,
    v.order_id as channel_order_id,
    v.status as status_native,
    -- applyRefundSum: the amount applied for (integer fen per the API doc; var jd_refund_apply_amount_unit)
    {% if fen -%}
    {{ minor_units_to_amount('v.apply_refund_sum') }}
    {%- else -%}
    {{ major_units_to_amount('v.apply_refund_sum') }}
    {%- endif %} as refund_amount,
    {{ to_utc('v.apply_time', 'local', 'Asia/Shanghai') }} as applied_at,
    -- checkTime: the shop's review; '' while pending
    {{ to_utc('v.check_time', 'local', 'Asia/Shanghai') }} as reviewed_at,
    {{ to_utc('v.changed_at_text', 'local', 'Asia/Shanghai') }} as source_updated_at,
    {% if refunded %}coalesce(v.status in ({{ refunded_sql }}), false){% else %}false{% endif %} as is_refunded,
    {% if open %}coalesce(v.status in ({{ open_sql }}), false){% else %}false{% endif %} as is_open,
    v.reason,
    -- rule D3: why this application cannot be counted (NULL when it can)
    case
        when v.application_id is null or not {{ full_match('v.application_id', "'[0-9]{1,32}'") }} then 'missing or malformed id'
        when v.vender_id is null or not {{ full_match('v.vender_id', "'[0-9]{1,32}'") }} then 'missing or malformed venderId'
        when v.order_id is null or not {{ full_match('v.order_id', "'[0-9]{1,32}'") }} then 'missing or malformed orderId'
        when v.status is null or v.status = '' then 'missing status'
        when v.apply_refund_sum is null or trim(v.apply_refund_sum) = '' then 'missing applyRefundSum'
        when {{ amount_is_invalid('v.apply_refund_sum', 'minor' if fen else 'major') }} then 'non-numeric applyRefundSum'
        when {{ to_utc('v.apply_time', 'local', 'Asia/Shanghai') }} is null then 'missing or unparseable applyTime'
        when {{ time_is_invalid('v.check_time', 'local') }} then 'unparseable checkTime'
    end as quarantine_reason
from versions as v
where v.version_rank = 1
