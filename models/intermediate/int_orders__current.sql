-- Rules D1/D2: the current row of an order is its latest version by source_updated_at, ties broken by the
-- landing sequence (the version landed last: the later sync, the later line of the later file — D-051, never a
-- hash). A late older version never wins. Tied versions with different content were quarantined
-- (macros/quarantine.sql); ties left here say the same thing.
-- Incremental: the orders this build recomputes, from all their versions.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='order_key',
          on_schema_change='fail') }}
with ranked as (
    select
        *,
        row_number() over (
            partition by order_key
            order by source_updated_at desc, landed_seq desc
        ) as version_rank,
        count(*) over (partition by order_key) as version_count
    from {{ ref('int_orders__versions') }}
    where {{ in_scope('order_key', 'int_orders__changed') }}
)

select * except (version_rank)
from ranked
where version_rank = 1
