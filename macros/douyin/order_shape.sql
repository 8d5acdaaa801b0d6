{#- The Douyin order.searchList fields orderlayer reads, declared once (a per-channel column contract).
    Every value is read as text and typed by the rule macros, so a wrong-typed value becomes a
    quarantine reason instead of a failed build; a field the platform drops becomes NULL. The record
    is parsed once per row (parse_json_shape), not once per field. -#}
{% macro douyin_order_shape() -%}
{{ return({
    "order_id": "VARCHAR", "shop_id": "VARCHAR", "order_status": "VARCHAR", "main_status": "VARCHAR",
    "create_time": "VARCHAR", "pay_time": "VARCHAR", "ship_time": "VARCHAR", "logistics_receipt_time": "VARCHAR",
    "finish_time": "VARCHAR", "exp_ship_time": "VARCHAR", "update_time": "VARCHAR",
    "pay_amount": "VARCHAR", "post_amount": "VARCHAR", "tax_amount": "VARCHAR",
    "promotion_amount": "VARCHAR", "promotion_shop_amount": "VARCHAR",
    "post_addr": {"province": {"name": "VARCHAR"}, "city": {"name": "VARCHAR"}},
    "mask_post_tel": "VARCHAR", "mask_post_receiver": "VARCHAR", "doudian_open_id": "VARCHAR",
    "logistics_info": [{"tracking_no": "VARCHAR", "company": "VARCHAR"}],
    "sku_order_list": [{
        "order_id": "VARCHAR", "sku_id": "VARCHAR", "product_name": "VARCHAR", "item_num": "VARCHAR",
        "origin_amount": "VARCHAR", "sum_amount": "VARCHAR", "pay_amount": "VARCHAR", "trade_type": "VARCHAR",
        "after_sale_info": {"after_sale_status": "VARCHAR", "refund_status": "VARCHAR"}
    }],
    "order_phase_list": [{
        "current_phase": "VARCHAR", "pay_success": "VARCHAR", "phase_order_amount": "VARCHAR",
        "phase_pay_time": "VARCHAR"
    }]
}) }}
{%- endmacro %}

{#- Parse raw Douyin order JSON into a STRUCT of the shape above. -#}
{% macro douyin_parse_order(record) -%}
    {{ parse_json_shape(record, douyin_order_shape()) }}
{%- endmacro %}
