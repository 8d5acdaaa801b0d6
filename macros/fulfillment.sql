{#- The two order_fulfillment flags that depend on the shop's as-of time (D-018), shared by order_fulfillment and
    its incremental scope (which recomputes an order whose flag the moved as-of time changes, and no other). -#}

{#- Paid, real, and paid at least 24 hours before the as-of time: its 24 hours to ship have fully elapsed. -#}
{% macro ship_24h_due(order, as_of_at) -%}
    ({{ order }}.is_paid and not {{ order }}.is_test and {{ order }}.paid_at is not null
        and {{ order }}.paid_at <= {{ as_of_at }} - interval 24 hour)
{%- endmacro %}

{#- Due in the ERP: an ERP is linked, the order is valid, and its grace period (gates.erp_grace_hours) has passed
    by the as-of time. -#}
{% macro erp_expected(order, as_of_at, erp_linked) -%}
    ({{ erp_linked }} and {{ order }}.is_valid
        and {{ order }}.paid_at <= {{ add_hours(as_of_at, -(var('orderlayer_erp_grace_hours', 24) | int)) }})
{%- endmacro %}
