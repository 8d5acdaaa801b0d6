{#- The Kingdee SAL_SaleOrder fields orderlayer reads from a bill record (the tap names each ExecuteBillQuery row
    by its FieldKeys and groups the entry rows under FSaleOrderEntry), declared once and parsed once per row.
    Codes and times are read as text; amounts as DECIMAL(38,10), because the site sends them as JSON numbers
    and only a decimal target reads a JSON number digit for digit (a text target goes through a double). A
    value that is not a number reads as NULL, which the model quarantines for the required amounts. -#}
{% macro kingdee_sales_order_shape() -%}
{{ return({
    "FID": "VARCHAR", "FBillNo": "VARCHAR", "FDate": "VARCHAR", "FModifyDate": "VARCHAR",
    "FSaleOrgId.FNumber": "VARCHAR", "FCustId.FNumber": "VARCHAR",
    "FDocumentStatus": "VARCHAR", "FCloseStatus": "VARCHAR", "FCancelStatus": "VARCHAR",
    "FSettleCurrId.FNumber": "VARCHAR",
    "FBillAmount": "DECIMAL(38,10)", "FBillTaxAmount": "DECIMAL(38,10)", "FBillAllAmount": "DECIMAL(38,10)",
    kingdee_reference_field(): "VARCHAR",
    "FSaleOrderEntry": [{"FQty": "DECIMAL(38,10)", "FBaseRemainOutQty": "DECIMAL(38,10)"}]
}) }}
{%- endmacro %}

{#- The bill field holding the channel order number: a customer-specific custom field (the tap's
    reference_field_key). orderlayer.yml `erp_matching.kingdee.reference_field` can point matching elsewhere. -#}
{% macro kingdee_reference_field() -%}
{{ return('F_ora_ChannelOrderNo') }}
{%- endmacro %}

{% macro kingdee_parse_sales_order(record) -%}
    {{ parse_json_record(record, kingdee_sales_order_shape()) }}
{%- endmacro %}
