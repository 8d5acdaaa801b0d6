{#- The Meituan order-detail fields orderlayer reads, declared once (a per-channel column contract).
    Every value is read as text and typed by the rule macros, so a wrong-typed value becomes a
    quarantine reason instead of a failed build; a field the platform drops becomes NULL. The record
    is parsed once per row (DuckDB from_json). `detail` and `extras` are read as JSON: the platform
    sends them as arrays or as JSON strings (pushes), and meituan_parse_list handles both. -#}
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

{#- Parse raw Meituan order JSON into a STRUCT of the shape above. -#}
{% macro meituan_parse_order(record) -%}
    from_json({{ record }}, '{{ tojson(meituan_order_shape()) }}')
{%- endmacro %}

{#- A list field sent as a JSON array or as a JSON string holding one: the typed list, or NULL when
    the value is missing or is not a JSON array (the caller quarantines the latter). Nested CASEs, not
    AND: a string that is not JSON must never reach a JSON function (DuckDB does not short-circuit AND). -#}
{% macro meituan_parse_list(json_expr, shape) -%}
    case
        when json_type({{ json_expr }}) = 'ARRAY' then from_json({{ json_expr }}, '{{ tojson(shape) }}')
        when json_type({{ json_expr }}) = 'VARCHAR' then
            case when json_valid({{ json_expr }} ->> '$') then
                case when json_type({{ json_expr }} ->> '$') = 'ARRAY' then from_json({{ json_expr }} ->> '$', '{{ tojson(shape) }}') end
            end
    end
{%- endmacro %}

{#- True when a list field is present but is neither an array nor a string holding one. -#}
{% macro meituan_list_is_invalid(json_expr) -%}
    (case
        when {{ json_expr }} is null then false
        when json_type({{ json_expr }}) in ('NULL', 'ARRAY') then false
        when json_type({{ json_expr }}) = 'VARCHAR' then
            case when json_valid({{ json_expr }} ->> '$') then json_type({{ json_expr }} ->> '$') <> 'ARRAY' else true end
        else true
    end)
{%- endmacro %}
