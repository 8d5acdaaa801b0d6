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
    cast({{ refund_key('r.channel', 'r.shop_id', 'r.refund_id') }} as {{ text_type() }}) as refund_key,
    cast(r.order_key as {{ text_type() }}) as order_key,
    cast(l.line_number as integer) as line_number,
    cast(r.channel as {{ text_type() }}) as channel,
    cast(r.shop_id as {{ text_type() }}) as shop_id,
    cast(r.channel_order_id as {{ text_type() }}) as channel_order_id,
    cast(r.channel_line_id as {{ text_type() }}) as channel_line_id,
    cast(r.refund_id as {{ text_type() }}) as refund_id,
    cast(r.refund_type as {{ text_type() }}) as refund_type,
    cast(r.status as {{ text_type() }}) as status,
    cast(r.status_native as {{ text_type() }}) as status_native,
    -- rule A4: the record's currency, else the connection's, else the channel's (as fct_orders)
    cast(coalesce(r.currency, sh.currency, c.default_currency) as {{ text_type() }}) as currency,
    cast(r.refund_amount as {{ money_type() }}) as refund_amount,
    cast(r.requested_at as {{ instant_type() }}) as requested_at,
    cast(r.refunded_at as {{ instant_type() }}) as refunded_at,
    -- the day the money went back, in the reporting zone (rule T3): metrics by refund date
    {{ local_date('r.refunded_at', reporting_timezone()) }} as refund_date,
    cast(r.source_updated_at as {{ instant_type() }}) as source_updated_at,
    cast(r.reason_code as {{ text_type() }}) as reason_code,
    cast(r.reason_text as {{ text_type() }}) as reason_text,
    cast(r.refund_type = 'return_and_refund' or r.return_tracking_number is not null as boolean) as has_return,
    cast(r.source_synced_at as {{ instant_type() }}) as source_synced_at,
    cast(r.raw_record_id as {{ text_type() }}) as raw_record_id,
    -- the after-sale stream's record this refund is or settles (gate R4 counts them; NULL: accounted with its order)
    cast(r.after_sale_record_id as {{ text_type() }}) as after_sale_record_id
from scoped as r
left join channels as c on c.channel = r.channel
left join shops as sh on sh.channel = r.channel and sh.shop_id = r.shop_id
left join {{ ref('int_order_lines__current') }} as l
    on l.order_key = r.order_key and l.channel_line_id = r.channel_line_id
