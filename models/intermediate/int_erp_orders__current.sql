-- The current version of every ERP sales order across the staged ERPs (latest erp_updated_at, then sync
-- time, then raw id: deterministic), with its reference normalised by the ERP's configured rules and the
-- channel shop its ERP customer stands for (orderlayer.yml `erp_matching.<erp>.customers`).

{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['erp_system', 'erp_order_id'],
          on_schema_change='fail') }}
-- depends_on: {{ ref('int_erp_orders__changed') }}

with versions as (
    select * from ({{ union_erps() }}) as v
    where quarantine_reason is null
    {%- if is_incremental() %}
      -- incremental: every version of the ERP orders with a version landed in this build
      and exists (
        select 1 from {{ ref('int_erp_orders__changed') }} as c
        where c.erp_system = v.erp_system and c.erp_order_id = v.erp_order_id
      )
    {%- endif %}
),

ranked as (
    select
        *,
        row_number() over (
            partition by erp_system, erp_order_id
            order by erp_updated_at desc, source_synced_at desc, raw_record_id desc
        ) as version_rank
    from versions
),

customers as (
    {{ erp_customer_shops() }}
)

select
    r.* except (version_rank),
    {{ normalized_reference('r.channel_reference', 'r.erp_system') }} as reference_normalized,
    c.channel as customer_channel,
    c.shop_id as customer_shop_id
from ranked as r
left join customers as c on c.erp_system = r.erp_system and c.erp_customer = r.erp_customer
where r.version_rank = 1
