-- Rule D3 for the refund records some channels send beside their orders: every record whose latest version
-- cannot be counted, with the reason and its raw pointer. Its order's refund fields leave it out, so a refund
-- missing from an order is explained here, never dropped silently.
{%- set refund_models = [
    ('jd', 'stg_jd__refund_applies', 'refund_application', 'application_id'),
    ('jd', 'stg_jd__service_refunds', 'after_sale_refund', 'service_id'),
] %}
{%- for channel, model, record_type, id_column in refund_models if channel in staged_channels() %}
select
    raw_record_id,
    channel,
    shop_id,
    channel_order_id,
    '{{ record_type }}' as record_type,
    {{ id_column }} as record_id,
    quarantine_reason,
    source_synced_at
from {{ ref(model) }}
where quarantine_reason is not null
{%- if not loop.last %}
union all
{%- endif %}
{%- else %}
select
    null::varchar as raw_record_id, null::varchar as channel, null::varchar as shop_id,
    null::varchar as channel_order_id, null::varchar as record_type, null::varchar as record_id,
    null::varchar as quarantine_reason, null::timestamptz as source_synced_at
where false
{%- endfor %}
