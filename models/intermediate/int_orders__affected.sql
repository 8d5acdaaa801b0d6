{#- Every channel order whose marts this build recomputes (docs/incremental.md): the orders that changed
    (int_orders__changed) and the orders whose ERP match may have changed with them. A channel order's match
    depends on the ERP orders whose reference fits it and on how many channel orders each of those fits
    (int_orders__erp_matches), so the scope takes, as channel order ids:
      - every reference any version of a changed ERP order made (its new match, and the old one to undo);
      - the references of the current ERP orders that fit a changed channel order (their fit counts may change).
    and adds every channel order with one of those ids (a superset: recomputing an unaffected order changes
    nothing). Matching rules, customers and tolerances are vars: changing one rebuilds everything. -#}
{{ config(materialized='table') }}

with changed as (
    select order_key, channel, shop_id, channel_order_id from {{ ref('int_orders__changed') }}
),

changed_erp_versions as (
    select v.channel_reference, v.erp_system
    from ({{ union_erps() }}) as v
    inner join {{ ref('int_erp_orders__changed') }} as c
        on c.erp_system = v.erp_system and c.erp_order_id = v.erp_order_id
    where v.channel_reference is not null
),

touched_erp as (
    select e.channel_reference, e.reference_normalized
    from {{ ref('int_erp_orders__current') }} as e
    where e.channel_reference in (select channel_order_id from changed)
       or e.reference_normalized in (select channel_order_id from changed)
),

refs as (
    select channel_reference as ref from changed_erp_versions
    union
    select {{ normalized_reference('channel_reference', 'erp_system') }} from changed_erp_versions
    union
    select channel_reference from touched_erp
    union
    select reference_normalized from touched_erp
)

select order_key, channel, shop_id from changed
union
select o.order_key, o.channel, o.shop_id
from {{ ref('int_orders__current') }} as o
where o.channel_order_id in (select ref from refs where ref is not null)
