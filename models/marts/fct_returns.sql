-- One row per return shipment: every valid after-sale record whose goods come back (refund_type
-- `return_and_refund`, or a return waybill the platform gives). Tracking number and carrier of the buyer's parcel,
-- when the seller received it and whether it was restocked, each NULL where the platform does not say.
-- Incremental by order like fct_refunds, which it reads (same scope, same pre_hook).
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='order_key',
          on_schema_change='fail', pre_hook="{{ delete_keys_in_scope('order_key', 'int_orders__affected') }}") }}

with returns as (
    select
        {{ refund_key('r.channel', 'r.shop_id', 'r.refund_id') }} as refund_key,
        r.*
    from ({{ union_refunds() }}) as r
    where r.quarantine_reason is null
      and (r.refund_type = 'return_and_refund' or r.return_tracking_number is not null)
)

select
    r.refund_key::varchar as refund_key,
    f.order_key::varchar as order_key,
    f.channel::varchar as channel,
    f.shop_id::varchar as shop_id,
    f.channel_order_id::varchar as channel_order_id,
    f.channel_line_id::varchar as channel_line_id,
    f.refund_id::varchar as refund_id,
    f.status::varchar as refund_status,
    r.return_tracking_number::varchar as return_tracking_number,
    r.return_carrier::varchar as return_carrier,
    r.return_received_at::timestamptz as return_received_at,
    r.is_restocked::boolean as is_restocked,
    f.source_updated_at::timestamptz as source_updated_at,
    f.raw_record_id::varchar as raw_record_id
from returns as r
inner join {{ ref('fct_refunds') }} as f on f.refund_key = r.refund_key
where {{ in_scope('f.order_key', 'int_orders__affected') }}
