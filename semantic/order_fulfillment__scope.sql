{#- The orders order_fulfillment recomputes on an incremental build (docs/incremental.md), and publish replaces:
    every order of a shop with an order in int_orders__affected (the shop's as-of time moves with it), or every
    order when the warehouse's first ERP orders landed in this build (is_erp_expected turns on for all). -#}
{{ config(materialized='table', schema='staging') }}

with shops as (
    select distinct channel, shop_id from {{ ref('int_orders__affected') }}
)

select o.order_key
from {{ ref('fct_orders') }} as o
where exists (select 1 from shops as s where s.channel = o.channel and s.shop_id = o.shop_id)
   or {{ first_erp_orders_landed() }}
