{#- The ERP sales orders whose reconciliation rows this build recomputes (docs/incremental.md): the ones with a
    version landed in this build's window, and every current ERP order whose reference (as written, or
    normalised) names a channel order this build recomputes — a new or changed channel order can start or stop
    matching it, which moves it between "ERP only" and "linked". -#}
{{ config(materialized='table') }}

select erp_system, erp_order_id from {{ ref('int_erp_orders__changed') }}
union
select e.erp_system, e.erp_order_id
from {{ ref('int_erp_orders__current') }} as e
where e.channel_reference in (select o.channel_order_id from {{ ref('int_orders__current') }} as o
                              where o.order_key in (select order_key from {{ ref('int_orders__affected') }}))
   or e.reference_normalized in (select o.channel_order_id from {{ ref('int_orders__current') }} as o
                                 where o.order_key in (select order_key from {{ ref('int_orders__affected') }}))
