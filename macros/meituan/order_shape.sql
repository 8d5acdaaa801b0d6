{#- The Meituan order-detail fields orderlayer reads, declared once (a per-channel column contract).
    Every value is read as text and typed by the rule macros, so a wrong-typed value becomes a
    quarantine reason instead of a failed build; a field the platform drops becomes NULL. The record
    is parsed once per row (parse_json_record). `detail` and `extras` are read as JSON: the platform
    sends them as arrays or as JSON strings (pushes), and json_list_value reads both. -#}
{% macro meituan_order_shape() -%}
{{ return({
    "order_id": "VARCHAR", "wm_order_id_view": "VARCHAR", "app_poi_code": "VARCHAR",
    "status": "VARCHAR", "logistics_status": "VARCHAR", "pay_type": "VARCHAR",
    "ctime": "VARCHAR", "utime": "VARCHAR", "delivery_time": "VARCHAR", "order_send_time": "VARCHAR",
    "order_completed_time": "VARCHAR", "order_cancel_time": "VARCHAR", "logistics_fetch_time": "VARCHAR", "logistics_completed_time": "VARCHAR",
    "total": "VARCHAR", "original_price": "VARCHAR", "shipping_fee": "VARCHAR",
    "recipient_phone": "VARCHAR", "recipient_phone_masked": "VARCHAR", "recipient_name_masked": "VARCHAR",
    "detail": "JSON", "extras": "JSON",
    "refund_records": [{
        "refund_id": "VARCHAR", "refund_type": "VARCHAR", "res_type": "VARCHAR", "money": "VARCHAR",
        "ctime": "VARCHAR", "utime": "VARCHAR",
        "wmAppRetailForOrderPartRefundList": [{
            "app_food_code": "VARCHAR", "sku_id": "VARCHAR", "count": "VARCHAR", "refund_price": "VARCHAR"
        }]
    }]
}) }}
{%- endmacro %}

{#- One food line of `detail` (`quanity` is a misspelling some SDKs carry; both are read). -#}
{% macro meituan_line_shape() -%}
{{ return([{
    "app_food_code": "VARCHAR", "sku_id": "VARCHAR", "food_name": "VARCHAR", "spec": "VARCHAR",
    "quantity": "VARCHAR", "quanity": "VARCHAR", "price": "VARCHAR", "box_num": "VARCHAR", "box_price": "VARCHAR"
}]) }}
{%- endmacro %}

{#- One discount entry of `extras`: mt_charge is funded by Meituan, poi_charge by the store. -#}
{% macro meituan_extra_shape() -%}
{{ return([{"reduce_fee": "VARCHAR", "mt_charge": "VARCHAR", "poi_charge": "VARCHAR", "remark": "VARCHAR", "type": "VARCHAR"}]) }}
{%- endmacro %}

{#- Parse raw Meituan order JSON into a STRUCT of the shape above (`detail` and `extras` kept as JSON). -#}
{% macro meituan_parse_order(record) -%}
    {{ parse_json_record(record, meituan_order_shape()) }}
{%- endmacro %}
