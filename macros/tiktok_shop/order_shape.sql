{#- The TikTok Shop order search (202309) fields orderlayer reads, declared once (a per-channel column
    contract). Every value is read as text and typed by the rule macros, so a wrong-typed value becomes a
    quarantine reason instead of a failed build; a field the platform drops becomes NULL. The record is
    parsed once per row, not once per field. `shop_id` is stamped on by the tap. -#}
{% macro tiktok_shop_order_shape() -%}
{{ return({
    "id": "VARCHAR", "shop_id": "VARCHAR", "status": "VARCHAR", "order_type": "VARCHAR",
    "create_time": "VARCHAR", "update_time": "VARCHAR", "paid_time": "VARCHAR", "rts_time": "VARCHAR",
    "collection_time": "VARCHAR", "delivery_time": "VARCHAR", "shipping_due_time": "VARCHAR",
    "rts_sla_time": "VARCHAR", "delivery_sla_time": "VARCHAR", "delivery_due_time": "VARCHAR", "cancel_time": "VARCHAR",
    "is_buyer_request_cancel": "VARCHAR", "user_id": "VARCHAR", "tracking_number": "VARCHAR",
    "recipient_address": {"name": "VARCHAR", "phone": "VARCHAR", "state": "VARCHAR", "city": "VARCHAR"},
    "payment": {
        "currency": "VARCHAR", "total_amount": "VARCHAR", "original_total_product_price": "VARCHAR",
        "seller_discount": "VARCHAR", "platform_discount": "VARCHAR",
        "original_shipping_fee": "VARCHAR", "shipping_fee": "VARCHAR",
        "shipping_fee_seller_discount": "VARCHAR", "shipping_fee_platform_discount": "VARCHAR",
        "tax": "VARCHAR", "product_tax": "VARCHAR", "shipping_fee_tax": "VARCHAR"
    },
    "line_items": [{
        "id": "VARCHAR", "sku_id": "VARCHAR", "product_name": "VARCHAR", "sku_name": "VARCHAR",
        "original_price": "VARCHAR", "sale_price": "VARCHAR", "display_status": "VARCHAR",
        "tracking_number": "VARCHAR", "quantity": "VARCHAR"
    }]
}) }}
{%- endmacro %}

{#- Parse raw TikTok Shop order JSON into a STRUCT of the shape above. -#}
{% macro tiktok_shop_parse_order(record) -%}
    {{ json_record_fields(record, tiktok_shop_order_shape()) }}
{%- endmacro %}

{#- Units one line item stands for. TikTok's line-item model has no quantity: it sends one line item per
    unit (sheet §7, [S]). var `tiktok_shop_line_quantity`: 'one_per_item' (default) counts each item as one
    unit; 'quantity_field' reads a `quantity` when an item carries one (1 when absent). -#}
{% macro tiktok_shop_item_units(item) -%}
    {%- set mode = var('tiktok_shop_line_quantity', 'one_per_item') -%}
    {%- if mode == 'one_per_item' -%}
    1
    {%- elif mode == 'quantity_field' -%}
    coalesce(case when {{ full_match('trim(' ~ item ~ '.quantity)', "'[0-9]{1,9}'") }} then cast(trim({{ item }}.quantity) as integer) end, 1)
    {%- else -%}
    {{ exceptions.raise_compiler_error("var tiktok_shop_line_quantity must be 'one_per_item' or 'quantity_field', got '" ~ mode ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{#- The order types that make an order a presale (P1). TikTok's PRE_ORDER has no deposit: the whole
    price is captured a day before release, so deposit/balance stay NULL. var `tiktok_shop_presale_order_types`. -#}
{% macro tiktok_shop_presale_order_types() -%}
    {%- set types = var('tiktok_shop_presale_order_types', ['PRE_ORDER']) -%}
    ({% for t in types %}'{{ t }}'{{ ", " if not loop.last }}{% endfor %}{% if not types %}null{% endif %})
{%- endmacro %}
