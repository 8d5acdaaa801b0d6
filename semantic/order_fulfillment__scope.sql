{#- The orders order_fulfillment recomputes on an incremental build (docs/incremental.md), and publish replaces:
    every order of a shop with an order in int_orders__affected (the shop's as-of time moves with it), or every
    order when the warehouse's first ERP orders landed in this build (is_erp_expected turns on for all). -#}
{{ config(materialized='table', schema='staging') }}

with shops as (
    select distinct channel, shop_id from {{ ref('int_orders__affected') }}
),

first_erp_orders as (
    -- an ERP order is current now, and none of the typed ERP versions landed before this build's window
    select
        exists (select 1 from {{ ref('int_erp_orders__current') }})
        and not exists (
            select 1 from ({{ union_erps() }}) as v
            where v.quarantine_reason is null
              and v.raw_record_id not in (select _record_hash from ({{ landed_record_ids() }}) as landed)
        ) as yes
)

select o.order_key
from {{ ref('fct_orders') }} as o
where exists (select 1 from shops as s where s.channel = o.channel and s.shop_id = o.shop_id)
   or (select yes from first_erp_orders)
