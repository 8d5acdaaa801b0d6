{#- Ele.me partial refunds (`order.partrefund.get`, attached to the order by the tap as `part_refunds`): the fields
    the refunds model reads, and `status` → canonical status (the sets are dbt vars; the answer's shape is the
    sandbox's reading: docs/channels/eleme.md "After-sales"). -#}
{% macro eleme_part_refund_shape() -%}
{{ return({
    "order_id": "VARCHAR", "shop_id": "VARCHAR", "shop": {"id": "VARCHAR"}, "order": {"order_id": "VARCHAR"},
    "products": [[{"baidu_product_id": "VARCHAR", "custom_sku_id": "VARCHAR"}]],
    "part_refunds": [{
        "refund_id": "VARCHAR", "status": "VARCHAR", "refund_price": "VARCHAR", "apply_time": "VARCHAR", "update_time": "VARCHAR",
        "products": [{"custom_sku_id": "VARCHAR", "baidu_product_id": "VARCHAR"}]
    }]
}) }}
{%- endmacro %}

{% macro eleme_refund_status(status_expr) -%}
    {%- set groups = [
        ('refunded', var('eleme_part_refund_success_statuses', ['20'])),
        ('requested', var('eleme_part_refund_open_statuses', ['10'])),
        ('rejected', var('eleme_part_refund_rejected_statuses', ['30'])),
        ('cancelled', var('eleme_part_refund_cancelled_statuses', [])),
    ] -%}
    {{- after_sale_status(status_expr, groups) -}}
{%- endmacro %}
