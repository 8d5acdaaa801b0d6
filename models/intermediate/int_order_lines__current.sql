-- The lines of each order's current version.
-- Incremental: the lines of the orders this build recomputes (their old lines are deleted first: a new current
-- version may have fewer).
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='order_key',
          on_schema_change='fail', pre_hook="{{ delete_keys_in_scope('order_key', 'int_orders__changed') }}") }}
select
    cur.order_key,
    cur.currency,
    lines.* except (raw_record_id, channel, shop_id, channel_order_id)
from (
    select * from {{ ref('int_orders__current') }}
    where {{ in_scope('order_key', 'int_orders__changed') }}
) as cur
inner join ({{ union_channels('order_lines') }}) as lines
    on lines.raw_record_id = cur.raw_record_id
