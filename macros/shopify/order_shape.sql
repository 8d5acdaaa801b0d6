{#- The Shopify REST Order fields orderlayer reads, declared once (a per-channel column contract).
    Every value is read as text and typed by the rule macros, so a wrong-typed value becomes a quarantine
    reason instead of a failed build; a field the platform (or an older API version) drops becomes NULL.
    Money comes as decimal strings in major units, with `*_set` twins holding the shop and presentment
    currency amounts. The record is parsed once per row, not once per field. -#}
{% macro shopify_money_set_shape() -%}
{{ return({
    "shop_money": {"amount": "VARCHAR", "currency_code": "VARCHAR"},
    "presentment_money": {"amount": "VARCHAR", "currency_code": "VARCHAR"}
}) }}
{%- endmacro %}

{% macro shopify_order_shape() -%}
{%- set money = shopify_money_set_shape() -%}
{{ return({
    "id": "VARCHAR", "shop_id": "VARCHAR", "name": "VARCHAR",
    "created_at": "VARCHAR", "processed_at": "VARCHAR", "updated_at": "VARCHAR",
    "cancelled_at": "VARCHAR", "cancel_reason": "VARCHAR", "closed_at": "VARCHAR",
    "financial_status": "VARCHAR", "fulfillment_status": "VARCHAR", "test": "VARCHAR",
    "currency": "VARCHAR", "presentment_currency": "VARCHAR",
    "total_price": "VARCHAR", "total_line_items_price": "VARCHAR", "total_discounts": "VARCHAR", "total_tax": "VARCHAR",
    "total_price_set": money, "total_line_items_price_set": money, "total_discounts_set": money,
    "total_tax_set": money, "total_shipping_price_set": money,
    "shipping_lines": [{"price": "VARCHAR", "price_set": money}],
    "shipping_address": {"province": "VARCHAR", "city": "VARCHAR", "phone": "VARCHAR", "name": "VARCHAR"},
    "customer": {"id": "VARCHAR"},
    "fulfillments": [{
        "status": "VARCHAR", "created_at": "VARCHAR", "updated_at": "VARCHAR", "shipment_status": "VARCHAR",
        "tracking_number": "VARCHAR", "tracking_numbers": ["VARCHAR"]
    }],
    "refunds": [{
        "transactions": [{"kind": "VARCHAR", "status": "VARCHAR", "amount": "VARCHAR", "currency": "VARCHAR"}],
        "refund_line_items": [{
            "line_item_id": "VARCHAR", "quantity": "VARCHAR", "subtotal": "VARCHAR", "subtotal_set": money,
            "line_item": {"price": "VARCHAR"}
        }]
    }],
    "line_items": [{
        "id": "VARCHAR", "variant_id": "VARCHAR", "sku": "VARCHAR", "title": "VARCHAR", "name": "VARCHAR",
        "quantity": "VARCHAR", "price": "VARCHAR", "price_set": money
    }]
}) }}
{%- endmacro %}

{#- Parse raw Shopify order JSON into a STRUCT of the shape above. -#}
{% macro shopify_parse_order(record) -%}
    {{ json_record_fields(record, shopify_order_shape()) }}
{%- endmacro %}

{#- A money field in shop currency: the `*_set.shop_money` twin when the API version sends one, else the
    plain field (older versions and the official fixtures have only that; both are the shop currency). -#}
{% macro shopify_shop_money(set_expr, plain_expr) -%}
    coalesce({{ set_expr }}.shop_money.amount, {{ plain_expr }})
{%- endmacro %}
