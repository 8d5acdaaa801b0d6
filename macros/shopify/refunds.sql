{#- Shopify refunds (REST `refunds[]` embedded in the order). Refund transactions move money in the buyer's
    (presentment) currency; orderlayer states refunds in the shop currency. -#}

{#- Σ of `transactions` (a list of {amount, currency}) in the shop currency `currency`: transactions in the shop
    currency as they are; those in the presentment currency × (shop total / presentment total), rounded half up to
    the cent, once over the list. -#}
{% macro shopify_refund_shop_money(transactions, currency, total_price, total_price_presentment) -%}
            coalesce(list_sum(list_transform(
                list_filter({{ transactions }}, lambda x: coalesce(x.currency, {{ currency }}) = {{ currency }}),
                lambda x: {{ major_units_to_amount('x.amount') }})), 0)
            + coalesce((
                (2 * cast(list_sum(list_transform(
                        list_filter({{ transactions }}, lambda x: x.currency <> {{ currency }}),
                        lambda x: {{ major_units_to_amount('x.amount') }})) * 100 as hugeint)
                    * cast({{ major_units_to_amount(total_price) }} * 100 as hugeint)
                  + cast({{ major_units_to_amount(total_price_presentment) }} * 100 as hugeint))
                // (2 * nullif(cast({{ major_units_to_amount(total_price_presentment) }} * 100 as hugeint), 0))
              ) * 0.01, 0)
{%- endmacro %}

{#- The order fields the refunds model reads (the refunds embedded in the REST order, and the lines a return's
    amount is valued from); every value read as text. -#}
{% macro shopify_order_refund_shape() -%}
{%- set money = shopify_money_set_shape() -%}
{{ return({
    "id": "VARCHAR", "shop_id": "VARCHAR", "updated_at": "VARCHAR", "cancelled_at": "VARCHAR", "currency": "VARCHAR",
    "total_price": "VARCHAR", "total_price_set": money,
    "refunds": [{
        "id": "VARCHAR", "created_at": "VARCHAR", "processed_at": "VARCHAR", "restock": "VARCHAR",
        "transactions": [{"kind": "VARCHAR", "status": "VARCHAR", "amount": "VARCHAR", "currency": "VARCHAR",
                          "processed_at": "VARCHAR", "created_at": "VARCHAR"}],
        "refund_line_items": [{"line_item_id": "VARCHAR", "restock_type": "VARCHAR"}]
    }],
    "line_items": [{
        "id": "VARCHAR", "quantity": "VARCHAR", "price": "VARCHAR", "price_set": money,
        "discount_allocations": [{"amount": "VARCHAR", "amount_set": money}]
    }]
}) }}
{%- endmacro %}

{#- The Admin GraphQL Return fields the refunds model reads (the tap's `returns` stream). -#}
{% macro shopify_return_shape() -%}
{{ return({
    "id": "VARCHAR", "shop_id": "VARCHAR", "order_id": "VARCHAR", "updated_at": "VARCHAR", "status": "VARCHAR",
    "createdAt": "VARCHAR",
    "returnLineItems": {"nodes": [{"quantity": "VARCHAR", "returnReason": "VARCHAR",
                                   "fulfillmentLineItem": {"lineItem": {"id": "VARCHAR"}}}]},
    "refunds": {"nodes": [{"id": "VARCHAR"}]},
    "reverseFulfillmentOrders": {"nodes": [{
        "reverseDeliveries": {"nodes": [{"deliverable": {"tracking": {"number": "VARCHAR", "carrierName": "VARCHAR"}}}]},
        "lineItems": {"nodes": [{"dispositions": [{"type": "VARCHAR", "quantity": "VARCHAR"}]}]}
    }]}
}) }}
{%- endmacro %}

{#- A Return's status → canonical status, while no refund is issued for it (a refunded return is its refund's row). -#}
{% macro shopify_return_status(status) -%}
    case {{ status }}
        when 'REQUESTED' then 'requested'
        when 'OPEN' then 'approved'
        when 'DECLINED' then 'rejected'
        when 'CANCELED' then 'cancelled'
    end
{%- endmacro %}
