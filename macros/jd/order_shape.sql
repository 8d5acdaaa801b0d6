{#- The JD orderInfo fields orderlayer reads (jingdong.pop.order.search / enSearch), declared once: a
    per-channel column contract. Every value is read as text and typed by the rule macros, so a wrong-typed
    value becomes a quarantine reason instead of a failed build; a field the platform drops becomes NULL.
    The record is parsed once per row (parse_json_shape), not once per field. -#}
{% macro jd_order_shape() -%}
{{ return({
    "orderId": "VARCHAR", "venderId": "VARCHAR", "orderType": "VARCHAR",
    "orderState": "VARCHAR", "orderStateRemark": "VARCHAR",
    "orderStartTime": "VARCHAR", "paymentConfirmTime": "VARCHAR", "orderEndTime": "VARCHAR", "modified": "VARCHAR",
    "orderPayment": "VARCHAR", "freightPrice": "VARCHAR", "sellerDiscount": "VARCHAR",
    "balanceUsed": "VARCHAR", "taxFee": "VARCHAR",
    "waybill": "VARCHAR",
    "pin": "VARCHAR", "open_id_buyer": "VARCHAR",
    "consigneeInfo": {
        "province": "VARCHAR", "city": "VARCHAR",
        "ol_masked_fullname": "VARCHAR", "ol_masked_mobile": "VARCHAR"
    },
    "itemInfoList": [{
        "skuId": "VARCHAR", "skuName": "VARCHAR", "jdPrice": "VARCHAR", "itemTotal": "VARCHAR"
    }]
}) }}
{%- endmacro %}

{#- Parse raw JD order JSON into a STRUCT of the shape above. -#}
{% macro jd_parse_order(record) -%}
    {{ parse_json_shape(record, jd_order_shape()) }}
{%- endmacro %}

{#- `expr IN (the list in dbt var `name`)`, false for an empty list (the default of every JD option var). -#}
{% macro jd_in_var(expr, name) -%}
    {%- set values = var(name, []) -%}
    {%- if values | length > 0 -%}
    coalesce({{ expr }} in ({% for v in values %}'{{ v | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor %}), false)
    {%- else -%}
    false
    {%- endif -%}
{%- endmacro %}
