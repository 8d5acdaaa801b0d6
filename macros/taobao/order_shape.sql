{#- The Taobao trade fields orderlayer reads (taobao.trades.sold.increment.get, shared/channels/taobao.md §5),
    declared once (a per-channel column contract). Every value is read as text and typed by the rule macros,
    so a wrong-typed value becomes a quarantine reason instead of a failed build; a field the platform drops
    becomes NULL. The record is parsed once per row (parse_json_shape), not once per field.
    Note: amounts are yuan strings on TOP; should one arrive as a JSON number, DuckDB's JSON reader renders
    it through a double, which is exact up to 15 significant digits (amounts below 10^13 yuan). -#}
{% macro taobao_order_shape() -%}
{{ return({
    "tid": "VARCHAR", "shop_id": "VARCHAR", "status": "VARCHAR", "type": "VARCHAR",
    "step_trade_status": "VARCHAR", "step_paid_fee": "VARCHAR",
    "created": "VARCHAR", "pay_time": "VARCHAR", "consign_time": "VARCHAR", "sign_time": "VARCHAR",
    "end_time": "VARCHAR", "est_con_time": "VARCHAR", "modified": "VARCHAR",
    "payment": "VARCHAR", "total_fee": "VARCHAR", "post_fee": "VARCHAR", "discount_fee": "VARCHAR",
    "platform_subsidy_fee": "VARCHAR", "order_tax_fee": "VARCHAR",
    "seller_nick": "VARCHAR", "buyer_nick": "VARCHAR", "buyer_open_uid": "VARCHAR",
    "receiver_state": "VARCHAR", "receiver_city": "VARCHAR", "receiver_district": "VARCHAR",
    "receiver_name": "VARCHAR", "receiver_mobile": "VARCHAR", "receiver_phone": "VARCHAR",
    "orders": {"order": [{
        "oid": "VARCHAR", "num_iid": "VARCHAR", "sku_id": "VARCHAR", "title": "VARCHAR", "num": "VARCHAR",
        "price": "VARCHAR", "payment": "VARCHAR", "refund_status": "VARCHAR", "seller_type": "VARCHAR",
        "consign_time": "VARCHAR", "invoice_no": "VARCHAR"
    }]}
}) }}
{%- endmacro %}

{#- Parse raw Taobao trade JSON into a STRUCT of the shape above. -#}
{% macro taobao_parse_order(record) -%}
    {{ parse_json_shape(record, taobao_order_shape()) }}
{%- endmacro %}
