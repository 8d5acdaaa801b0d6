-- One row per refund (after-sale record) from every refund_sources() model (macros/refunds.sql), valid rows only:
-- a record that cannot be counted is in quarantine.quarantine_refunds instead (gate R4 counts both). Keyed to the
-- order and line as the marts key them (order_key; line_number of the order's current line with that
-- channel_line_id). A refund whose order was never synced keeps its order_key (the order may land later).
-- Incremental by order (docs/incremental.md): a record landed since the watermark puts its order in
-- int_orders__changed, and every refund of the orders in int_orders__affected is deleted and re-derived (a record
-- can leave: quarantined by a later version, or an exchange).
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='order_key',
          on_schema_change='fail', pre_hook="{{ delete_keys_in_scope('order_key', 'int_orders__affected') }}") }}

with refunds as (
    select
        {{ order_key('r.channel', 'r.shop_id', 'r.channel_order_id') }} as order_key,
        r.*
    from ({{ union_refunds() }}) as r
    where r.quarantine_reason is null
),

scoped as (
    select * from refunds
    where {{ in_scope('order_key', 'int_orders__affected') }}
),

channels as (
    select * from {{ ref('channels') }}
),

shops as (
    {{ shop_settings() }}
)

select
    {{ refund_key('r.channel', 'r.shop_id', 'r.refund_id') }}::varchar as refund_key,
    r.order_key::varchar as order_key,
    l.line_number::integer as line_number,
    r.channel::varchar as channel,
    r.shop_id::varchar as shop_id,
    r.channel_order_id::varchar as channel_order_id,
    r.channel_line_id::varchar as channel_line_id,
    r.refund_id::varchar as refund_id,
    r.refund_type::varchar as refund_type,
    r.status::varchar as status,
    r.status_native::varchar as status_native,
    -- rule A4: the record's currency, else the connection's, else the channel's (as fct_orders)
    coalesce(r.currency, sh.currency, c.default_currency)::varchar as currency,
    r.refund_amount::{{ money_type() }} as refund_amount,
    r.requested_at::timestamptz as requested_at,
    r.refunded_at::timestamptz as refunded_at,
    -- the day the money went back, in the reporting zone (rule T3): metrics by refund date
    {{ local_date('r.refunded_at', reporting_timezone()) }} as refund_date,
    r.source_updated_at::timestamptz as source_updated_at,
    r.reason_code::varchar as reason_code,
    r.reason_text::varchar as reason_text,
    (r.refund_type = 'return_and_refund' or r.return_tracking_number is not null)::boolean as has_return,
    r.source_synced_at::timestamptz as source_synced_at,
    r.raw_record_id::varchar as raw_record_id
from scoped as r
left join channels as c on c.channel = r.channel
left join shops as sh on sh.channel = r.channel and sh.shop_id = r.shop_id
left join {{ ref('int_order_lines__current') }} as l
    on l.order_key = r.order_key and l.channel_line_id = r.channel_line_id
