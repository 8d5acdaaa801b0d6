{#- The Ele.me order.get fields orderlayer reads, declared once (a per-channel column contract).
    Every value is read as text and typed by the rule macros, so a wrong-typed value becomes a
    quarantine reason instead of a failed build; a field the platform drops becomes NULL. The record
    is parsed once per row (parse_json_record). `products` is a list of lists (one list per bag). -#}
{% macro eleme_order_shape() -%}
{{ return({
    "order_id": "VARCHAR", "shop_id": "VARCHAR",
    "shop": {"id": "VARCHAR"},
    "order": {
        "order_id": "VARCHAR", "eleme_order_id": "VARCHAR", "status": "VARCHAR", "pay_status": "VARCHAR",
        "create_time": "VARCHAR", "confirm_time": "VARCHAR", "cancel_time": "VARCHAR", "finished_time": "VARCHAR",
        "send_time": "VARCHAR", "send_immediately": "VARCHAR", "pickup_time": "VARCHAR", "atshop_time": "VARCHAR",
        "delivery_time": "VARCHAR",
        "total_fee": "VARCHAR", "user_fee": "VARCHAR", "send_fee": "VARCHAR", "package_fee": "VARCHAR",
        "discount_fee": "VARCHAR", "commission": "VARCHAR"
    },
    "user": {"phone": "VARCHAR", "phone_masked": "VARCHAR", "name_masked": "VARCHAR", "province": "VARCHAR", "city": "VARCHAR"},
    "products": [[{
        "baidu_product_id": "VARCHAR", "custom_sku_id": "VARCHAR", "upc": "VARCHAR", "product_name": "VARCHAR",
        "product_price": "VARCHAR", "product_amount": "VARCHAR", "product_fee": "VARCHAR", "package_fee": "VARCHAR",
        "total_fee": "VARCHAR"
    }]],
    "discount": [{"fee": "VARCHAR", "shop_rate": "VARCHAR", "baidu_rate": "VARCHAR", "agent_rate": "VARCHAR", "logistics_rate": "VARCHAR"}],
    "part_refunds": [{
        "refund_id": "VARCHAR", "status": "VARCHAR", "refund_price": "VARCHAR", "update_time": "VARCHAR",
        "products": [{"custom_sku_id": "VARCHAR", "baidu_product_id": "VARCHAR", "upc": "VARCHAR", "number": "VARCHAR", "refund_price": "VARCHAR"}]
    }]
}) }}
{%- endmacro %}

{#- Parse raw Ele.me order JSON into a STRUCT of the shape above. -#}
{% macro eleme_parse_order(record) -%}
    {{ parse_json_record(record, eleme_order_shape()) }}
{%- endmacro %}

{#- The bags' product lists as one list of products (a missing bag is an empty one). -#}
{% macro eleme_products(products) -%}
    {{ list_flatten(list_map(list_or_empty(products), 'bag__', list_or_empty('bag__'))) }}
{%- endmacro %}

{#- The sku of a product line: the partner's custom_sku_id, else Ele.me's baidu_product_id. -#}
{% macro eleme_sku(product) -%}
    coalesce(nullif(trim({{ product }}.custom_sku_id), ''), {{ product }}.baidu_product_id)
{%- endmacro %}
