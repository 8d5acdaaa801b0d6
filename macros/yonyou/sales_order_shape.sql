{#- The YonBIP voucherorder fields orderlayer reads from an order record (the tap regroups the isSum=false rows
    per id, lines under orderDetails), declared once and parsed once per row. Ids, codes and times are read as
    text (ids beyond 2**53 stay exact on the integer path); amounts as DECIMAL(38,10), because the gateway sends
    JSON numbers and only a decimal target reads them digit for digit. -#}
{% macro yonyou_sales_order_shape() -%}
{{ return({
    "id": "VARCHAR", "code": "VARCHAR", "vouchdate": "VARCHAR", "pubts": "VARCHAR",
    "salesOrgId": "VARCHAR", "agentId": "VARCHAR", "agentId_code": "VARCHAR",
    "nextStatusName": "VARCHAR", "statusCode": "VARCHAR",
    "currency": "VARCHAR", "currency_code": "VARCHAR", "currency_name": "VARCHAR",
    "payMoney": "DECIMAL(38,10)",
    yonyou_reference_field(): "VARCHAR",
    "orderDetails": [{"oriMoney": "DECIMAL(38,10)", "oriSum": "DECIMAL(38,10)", "oriTax": "DECIMAL(38,10)"}]
}) }}
{%- endmacro %}

{#- Where the channel order number is kept: the source bill number (not named by the fact sheet for sales
    orders). orderlayer.yml `erp_matching.yonyou.reference_field` can point matching elsewhere. -#}
{% macro yonyou_reference_field() -%}
{{ return('srcBillNO') }}
{%- endmacro %}

{% macro yonyou_parse_sales_order(record) -%}
    {{ parse_json_record(record, yonyou_sales_order_shape()) }}
{%- endmacro %}
