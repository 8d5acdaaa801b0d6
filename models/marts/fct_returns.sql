-- One row per refund whose goods come back (refund_type `return_and_refund`, or a return waybill the platform
-- gives): one per return shipment, except a Shopify Return settled by several refunds (a row per refund, same parcel). Tracking number and carrier of the buyer's parcel,
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
    cast(r.refund_key as {{ text_type() }}) as refund_key,
    cast(f.order_key as {{ text_type() }}) as order_key,
    cast(f.channel as {{ text_type() }}) as channel,
    cast(f.shop_id as {{ text_type() }}) as shop_id,
    cast(f.channel_order_id as {{ text_type() }}) as channel_order_id,
    cast(f.channel_line_id as {{ text_type() }}) as channel_line_id,
    cast(f.refund_id as {{ text_type() }}) as refund_id,
    cast(f.status as {{ text_type() }}) as refund_status,
    cast(r.return_tracking_number as {{ text_type() }}) as return_tracking_number,
    cast(r.return_carrier as {{ text_type() }}) as return_carrier,
    cast(r.return_received_at as {{ instant_type() }}) as return_received_at,
    cast(r.is_restocked as boolean) as is_restocked,
    cast(f.source_updated_at as {{ instant_type() }}) as source_updated_at,
    cast(f.raw_record_id as {{ text_type() }}) as raw_record_id
from returns as r
inner join {{ ref('fct_refunds') }} as f on f.refund_key = r.refund_key
where {{ in_scope('f.order_key', 'int_orders__affected') }}
