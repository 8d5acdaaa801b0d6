-- Rule D3: every raw version that cannot be made canonical or is suspicious (int_orders__judged), with the
-- reason and its raw pointer.
-- `has_valid_version` tells whether the order still reached fct_orders through another version.
-- Incremental: the versions landed in this build and every version of the orders it recomputes are replaced; the
-- changed orders' rows are deleted first (a version restaged with a joined file corrected is no longer quarantined).
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='raw_record_id',
          on_schema_change='fail', pre_hook="{{ delete_orders_in_scope('int_orders__changed') }}") }}
-- depends_on: {{ ref('int_orders__changed') }}
with versions as (
    select * from {{ ref('int_orders__judged') }} as v
    {%- if is_incremental() %}
    -- the versions landed in this build and every version of the orders it recomputes
    where {{ landed_or_changed_version('v', ref('int_orders__changed')) }}
    {%- endif %}
)

select
    bad.raw_record_id,
    bad.channel,
    bad.shop_id,
    bad.channel_order_id,
    bad.quarantine_reason,
    bad.source_synced_at,
    exists (
        select 1 from versions as good
        where good.quarantine_reason is null
          and good.channel = bad.channel
          and good.shop_id = bad.shop_id
          and good.channel_order_id = bad.channel_order_id
    ) as has_valid_version
from versions as bad
where bad.quarantine_reason is not null
