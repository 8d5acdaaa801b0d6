-- Every staged version of every channel's orders, judged once (macros/quarantine.sql `order_versions()`: the
-- staging typing rules, then suspicion and conflicting versions): int_orders__versions reads the clean ones,
-- quarantine_orders the rest, so the content hash and window over all versions run once per build, not twice.
-- Incremental: the versions landed in this build and every version of the orders it recomputes are judged again;
-- the changed orders' rows are deleted first (a version a later conflicting one displaced is judged anew).
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='raw_record_id',
          on_schema_change='fail', pre_hook="{{ delete_orders_in_scope('int_orders__changed') }}") }}
-- depends_on: {{ ref('int_orders__changed') }}
{{ order_versions(ref('int_orders__changed') if is_incremental() else none) }}
