{#- The Pinduoduo pdd.order.number.list.increment.get fields orderlayer reads, declared once (a per-channel
    column contract). Every value is read as text and typed by the rule macros, so a wrong-typed value becomes
    a quarantine reason instead of a failed build; a field the platform drops becomes NULL. The record is
    parsed once per row (parse_json_shape), not once per field. -#}
{% macro pinduoduo_order_shape() -%}
{{ return({
    "order_sn": "VARCHAR", "shop_id": "VARCHAR",
    "order_status": "VARCHAR", "confirm_status": "VARCHAR", "group_status": "VARCHAR", "refund_status": "VARCHAR",
    "after_sales_status": "VARCHAR", "risk_control_status": "VARCHAR", "trade_type": "VARCHAR",
    "created_time": "VARCHAR", "pay_time": "VARCHAR", "confirm_time": "VARCHAR", "shipping_time": "VARCHAR",
    "receive_time": "VARCHAR", "last_ship_time": "VARCHAR", "promise_delivery_time": "VARCHAR", "updated_at": "VARCHAR",
    "goods_amount": "VARCHAR", "discount_amount": "VARCHAR", "seller_discount": "VARCHAR",
    "order_change_amount": "VARCHAR", "postage": "VARCHAR", "pay_amount": "VARCHAR",
    "province": "VARCHAR", "city": "VARCHAR", "receiver_phone_mask": "VARCHAR", "receiver_name_mask": "VARCHAR",
    "open_address_id": "VARCHAR",
    "tracking_number": "VARCHAR",
    "extra_delivery_list": [{"tracking_number": "VARCHAR"}],
    "step_order_info": {"step_trade_status": "VARCHAR", "advanced_paid_fee": "VARCHAR", "step_paid_fee": "VARCHAR"},
    "item_list": [{
        "goods_id": "VARCHAR", "sku_id": "VARCHAR", "goods_name": "VARCHAR", "goods_spec": "VARCHAR",
        "goods_price": "VARCHAR", "goods_count": "VARCHAR", "outer_id": "VARCHAR"
    }]
}) }}
{%- endmacro %}

{#- Parse raw Pinduoduo order JSON into a STRUCT of the shape above. -#}
{% macro pinduoduo_parse_order(record) -%}
    {{ parse_json_shape(record, pinduoduo_order_shape()) }}
{%- endmacro %}

{#- The composite native status code the status map (seeds/status_map.csv) is keyed on. Pinduoduo splits an
    order's state over independent fields; the four that decide the canonical status are joined in a fixed
    order: `os<order_status>-cs<confirm_status>-gs<group_status>-rs<refund_status>`, e.g. `os1-cs1-gs1-rs1`
    (dealt, group formed, awaiting shipment, no after-sale). A missing part leaves its slot empty (`os-cs1-…`),
    which no seed row matches, so the order shows as `unknown` (rule S2) instead of being guessed. -#}
{% macro pinduoduo_status_code(record) -%}
    ('os' || coalesce(trim({{ record }}.order_status), '')
     || '-cs' || coalesce(trim({{ record }}.confirm_status), '')
     || '-gs' || coalesce(trim({{ record }}.group_status), '')
     || '-rs' || coalesce(trim({{ record }}.refund_status), ''))
{%- endmacro %}

{#- goods_count as an INTEGER; NULL unless it is a whole number (a cast would silently round '1.5' to 2). -#}
{% macro pinduoduo_count(expr) -%}
    case when {{ full_match('trim(' ~ expr ~ ')', "'[0-9]{1,9}'") }} then cast(trim({{ expr }}) as integer) end
{%- endmacro %}

{#- A line's list value: goods_price (yuan) × goods_count, exact; NULL when either is unreadable. -#}
{% macro pinduoduo_line_goods(item) -%}
    try_cast({{ major_units_to_amount(item ~ '.goods_price') }} * {{ pinduoduo_count(item ~ '.goods_count') }} as {{ money_type() }})
{%- endmacro %}
