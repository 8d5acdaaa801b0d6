{#- The ERP sales orders with a version landed in this build's window (docs/incremental.md). -#}
{{ config(materialized='table') }}

select distinct erp_system, erp_order_id
from ({{ union_erps() }}) as v
where raw_record_id in (select _record_hash from ({{ landed_record_ids() }}) as landed)
  and erp_order_id is not null
