{#- The channel orders this build recomputes (docs/incremental.md): every order with a raw version landed in the
    build's window, an order whose after-sale record landed (every refund_sources() model), an order of a file
    source whose line (or other joined) export landed, and an order whose parcel got a carrier event. Rebuilt on
    every build; small (what changed, not history). -#}
{{ config(materialized='table') }}
{%- for s in carrier_event_sources() %}
-- depends_on: {{ ref(s.model) }}
{%- endfor %}

with landed as (
    {{ landed_record_ids() }}
),

touched as (
    select channel, shop_id, channel_order_id
    from ({{ union_channels('orders') }}) as v
    where raw_record_id in (select _record_hash from landed)
    {%- for channel, model in refund_sources() %}
    union all
    -- an after-sale record landed: its order's refund facts and refund fields are re-derived
    select channel, shop_id, channel_order_id from {{ ref(model) }}
    where raw_record_id in (select _record_hash from landed)
    {%- endfor %}
    {%- if 'shopify' in staged_channels() %}
    union all
    -- Shopify's after-sales are re-staged by order: a landed Return changes its order's rows even where it is no row
    -- of its own (it settles the order's refunds, whose raw row is the order version's)
    select 'shopify', shop_id, order_id from ({{ shopify_refund_orders() }}) as shopify_refund_orders
    {%- endif %}
    {%- for channel in file_channels() if channel in staged_channels() %}
    {%- for node in graph.sources.values() if node.source_name == channel and node.name != 'orders' %}
    {%- set lines = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.identifier) %}
    {%- if lines is not none %}
    union all
    -- a file source's line, payment, refund… rows are keyed [shop_id, order_id, file, line] (tap-files)
    select '{{ channel }}', {{ json_array_text('_primary_key', 0) }}, {{ json_array_text('_primary_key', 1) }}
    from {{ lines }}
    where {{ in_landing_window() }}
    {%- endif %}
    {%- endfor %}
    {%- endfor %}
    {%- if carrier_tables_exist() %}
    union all
    -- an order whose parcel got a carrier event: its delivered_at may now come from the carrier (docs/logistics.md)
    select v.channel, v.shop_id, v.channel_order_id
    from ({{ union_channels('orders') }}) as v
    {{ join_unnested('v.tracking_numbers', 't', 'tracking_number') }}
    where t.tracking_number in ({{ landed_carrier_tracking_numbers() }})
    {%- endif %}
)

select distinct
    {{ order_key('channel', 'shop_id', 'channel_order_id') }} as order_key,
    channel,
    shop_id,
    channel_order_id
from touched
where shop_id is not null and channel_order_id is not null
