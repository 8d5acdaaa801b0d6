{#- The shop-days whose fct_reconciliation_daily rows this build recomputes (docs/incremental.md): every day any
    version of a recomputed channel order was placed on (its shop and reporting-zone day), every day any version
    of an affected ERP order sits on when no channel order accounts for it (its customer's shop, its own day), and
    every shop-day once the warehouse's first ERP orders landed (nothing was reconciled before). -#}
{{ config(materialized='table') }}

with erp_versions as (
    select v.erp_system, v.erp_customer, v.ordered_at
    from ({{ union_erps() }}) as v
    inner join {{ ref('int_erp_orders__affected') }} as a
        on a.erp_system = v.erp_system and a.erp_order_id = v.erp_order_id
    where v.quarantine_reason is null
),

customers as (
    {{ erp_customer_shops() }}
)

select v.channel, v.shop_id, {{ local_date('v.ordered_at', reporting_timezone()) }} as business_date
from {{ ref('int_orders__versions') }} as v
where v.order_key in (select order_key from {{ ref('int_orders__affected') }})
union
select c.channel, c.shop_id, {{ local_date('v.ordered_at', reporting_timezone()) }}
from erp_versions as v
left join customers as c on c.erp_system = v.erp_system and c.erp_customer = v.erp_customer
union
select o.channel, o.shop_id, o.business_date
from {{ ref('fct_orders') }} as o
where {{ first_erp_orders_landed() }}
union
select e.customer_channel, e.customer_shop_id, {{ local_date('e.ordered_at', reporting_timezone()) }}
from {{ ref('int_erp_orders__current') }} as e
where {{ first_erp_orders_landed() }}
