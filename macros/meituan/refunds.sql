{#- Meituan refund records (`ecommerce/order/getOrderRefundDetail`, attached to the order by the tap as
    `refund_records`): the fields the refunds model reads. `res_type` → canonical status; the sets are dbt vars
    (docs/channels/meituan.md "After-sales"). -#}
{% macro meituan_refund_record_shape() -%}
{{ return({
    "wm_order_id_view": "VARCHAR", "app_poi_code": "VARCHAR", "status": "VARCHAR", "detail": "JSON",
    "refund_records": [{
        "refund_id": "VARCHAR", "refund_type": "VARCHAR", "res_type": "VARCHAR", "apply_type": "VARCHAR",
        "money": "VARCHAR", "ctime": "VARCHAR", "utime": "VARCHAR",
        "wmAppRetailForOrderPartRefundList": [{"app_food_code": "VARCHAR", "sku_id": "VARCHAR"}]
    }]
}) }}
{%- endmacro %}

{% macro meituan_refund_status(res_type) -%}
    {%- set groups = [
        ('refunded', var('meituan_refund_success_res_types', ['2', '4', '5', '6'])),
        ('requested', var('meituan_refund_open_res_types', ['0'])),
        ('rejected', var('meituan_refund_rejected_res_types', ['1', '3'])),
        ('cancelled', var('meituan_refund_cancelled_res_types', ['7', '8'])),
    ] -%}
    {{- after_sale_status(res_type, groups) -}}
{%- endmacro %}
