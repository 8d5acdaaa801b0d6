{#- The SAP A_SalesOrder properties orderlayer reads (with to_Item expanded), declared once. Every value is
    read as text (OData V2 JSON sends Edm.Decimal as strings and dates as /Date(ms)/ strings) and typed by the
    rule macros, so a wrong-typed value becomes a quarantine reason, not a failed build. Parsed once per row. -#}
{% macro sap_sales_order_shape() -%}
{{ return({
    "SalesOrder": "VARCHAR", "SalesOrganization": "VARCHAR", "SoldToParty": "VARCHAR",
    "PurchaseOrderByCustomer": "VARCHAR", "CreationDate": "VARCHAR", "SalesOrderDate": "VARCHAR",
    "LastChangeDateTime": "VARCHAR", "TotalNetAmount": "VARCHAR", "TransactionCurrency": "VARCHAR",
    "OverallSDProcessStatus": "VARCHAR", "OverallTotalDeliveryStatus": "VARCHAR",
    "OverallSDDocumentRejectionSts": "VARCHAR",
    "to_Item": {"results": [{
        "SalesOrderItem": "VARCHAR", "NetAmount": "VARCHAR", "TaxAmount": "VARCHAR",
        "SalesDocumentRjcnReason": "VARCHAR"
    }]}
}) }}
{%- endmacro %}

{% macro sap_parse_sales_order(record) -%}
    {{ parse_json_record(record, sap_sales_order_shape()) }}
{%- endmacro %}
