{#- The youzan.trades.sold.get fields orderlayer reads, declared once (a per-channel column contract).
    Each raw record is one `full_order_info` plus the tap's top-level kdt_id / tid / update_time.
    Every value is read as text and typed by the rule macros, so a wrong-typed value becomes a quarantine
    reason instead of a failed build; a field the platform drops becomes NULL. The record is parsed once per
    row. `phase_payments` is kept as a JSON document: the sheet shows it as one object, integrations as a list
    (both are read, see youzan_phases). -#}
{% macro youzan_order_shape() -%}
{{ return({
    "kdt_id": "VARCHAR",
    "order_info": {
        "tid": "VARCHAR", "status": "VARCHAR", "type": "VARCHAR",
        "created": "VARCHAR", "update_time": "VARCHAR", "pay_time": "VARCHAR", "consign_time": "VARCHAR",
        "success_time": "VARCHAR", "refund_state": "VARCHAR", "close_type": "VARCHAR",
        "order_tags": {"is_down_payment_pre": "VARCHAR", "is_feedback": "VARCHAR"}
    },
    "buyer_info": {"buyer_id": "VARCHAR", "yz_open_id": "VARCHAR", "fans_id": "VARCHAR"},
    "pay_info": {"post_fee": "VARCHAR", "payment": "VARCHAR", "phase_payments": json_document_leaf()},
    "address_info": {
        "receiver_name": "VARCHAR", "receiver_tel": "VARCHAR", "delivery_province": "VARCHAR",
        "delivery_city": "VARCHAR", "delivery_end_time": "VARCHAR"
    },
    "orders": [{
        "oid": "VARCHAR", "item_id": "VARCHAR", "sku_id": "VARCHAR", "title": "VARCHAR", "num": "VARCHAR",
        "price": "VARCHAR", "payment": "VARCHAR", "pre_sale_type": "VARCHAR", "is_pre_sale": "VARCHAR",
        "refund_state": "VARCHAR"
    }]
}) }}
{%- endmacro %}

{#- One presale phase of pay_info.phase_payments. -#}
{% macro youzan_phase_shape() -%}
{{ return({"phase": "VARCHAR", "real_price": "VARCHAR", "outer_transaction_no": "VARCHAR", "inner_transaction_no": "VARCHAR"}) }}
{%- endmacro %}

{#- Parse a raw Youzan record into a STRUCT of the shape above. -#}
{% macro youzan_parse_order(record) -%}
    {{ json_record_fields(record, youzan_order_shape()) }}
{%- endmacro %}

{#- pay_info.phase_payments as a list of phases, whether the payload sent a list or a single object. -#}
{% macro youzan_phases(phase_json) -%}
    {{ json_one_or_many(phase_json, youzan_phase_shape()) }}
{%- endmacro %}
