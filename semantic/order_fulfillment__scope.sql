{#- The orders order_fulfillment recomputes on an incremental build (docs/incremental.md), and publish and the read
    snapshot replace: the affected orders (int_orders__affected); in the shops of those, the orders whose due flags
    (ship in 24 h, due in the ERP) the shop's new as-of time changes — compared with what order_fulfillment holds,
    so a moving as-of time does not rewrite a shop's every order —; or every order when the warehouse's first ERP
    orders landed in this build (is_erp_expected turns on for all). -#}
{{ config(materialized='table', schema='staging') }}
{#- order_fulfillment as the previous build left it: read, never ref'd (it depends on this model) -#}
{%- set fulfilled = adapter.get_relation(database=this.database, schema=ref('shop_as_of').schema, identifier='order_fulfillment') if execute else none %}

with shops as (
    select distinct channel, shop_id from {{ ref('int_orders__affected') }}
),

erp as (
    select count(*) > 0 as erp_linked from {{ ref('int_erp_orders__current') }}
),

flags as (
    select
        o.order_key,
        coalesce({{ ship_24h_due('o', 'a.as_of_at') }}, false) as is_ship_24h_due,
        coalesce({{ erp_expected('o', 'a.as_of_at', 'e.erp_linked') }}, false) as is_erp_expected
    from {{ ref('fct_orders') }} as o
    inner join shops as s on s.channel = o.channel and s.shop_id = o.shop_id
    inner join {{ ref('shop_as_of') }} as a on a.channel = o.channel and a.shop_id = o.shop_id
    cross join erp as e
)

select order_key from {{ ref('int_orders__affected') }}
union
select f.order_key
from flags as f
{%- if fulfilled is not none %}
left join {{ fulfilled }} as prior on prior.order_key = f.order_key
where prior.order_key is null
   or prior.is_ship_24h_due is distinct from f.is_ship_24h_due
   or prior.is_erp_expected is distinct from f.is_erp_expected
{%- endif %}
union
select o.order_key from {{ ref('fct_orders') }} as o
where {{ first_erp_orders_landed() }}
