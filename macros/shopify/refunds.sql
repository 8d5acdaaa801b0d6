{#- Shopify refunds (REST `refunds[]` embedded in the order). Refund transactions move money in the buyer's
    (presentment) currency; orderlayer states refunds in the shop currency. -#}

{#- Σ of `transactions` (a list of {amount, currency}) in the shop currency `currency`: transactions in the shop
    currency as they are; those in the presentment currency × (shop total / presentment total), rounded half up to
    the cent, once over the list. -#}
{% macro shopify_refund_shop_money(transactions, currency, total_price, total_price_presentment) -%}
    {%- set cents = wide_integer_type() -%}
            coalesce({{ list_total(list_map(
                list_where(transactions, 'x', 'coalesce(x.currency, ' ~ currency ~ ') = ' ~ currency),
                'x', major_units_to_amount('x.amount'))) }}, 0)
            + coalesce(
                {{ whole_division(
                    '2 * cast(' ~ list_total(list_map(list_where(transactions, 'x', 'x.currency <> ' ~ currency),
                                                       'x', major_units_to_amount('x.amount'))) ~ ' * 100 as ' ~ cents ~ ')'
                    ~ ' * cast(' ~ major_units_to_amount(total_price) ~ ' * 100 as ' ~ cents ~ ')'
                    ~ ' + cast(' ~ major_units_to_amount(total_price_presentment) ~ ' * 100 as ' ~ cents ~ ')',
                    '2 * nullif(cast(' ~ major_units_to_amount(total_price_presentment) ~ ' * 100 as ' ~ cents ~ '), 0)') }}
              * 0.01, 0)
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

{#- The orders whose after-sale rows an incremental build re-stages (stg_shopify__refunds; int_orders__changed reads
    it too), as (shop_id, order_id): every order with a version landed in the window (its refunds live in it), and
    every order that any version of a Return with a version landed names (a Return is its order's row, or settles
    the order's refunds; every version, so a Return that names another order than before leaves the first one's
    rows right too). From raw alone: the model's pre_hook runs before it reads anything. -#}
{% macro shopify_refund_orders() -%}
    {%- set orders = raw_relation('shopify', 'orders') -%}
    {%- set returns = raw_relation('shopify', 'returns') -%}
    select distinct shop_id, order_id from (
        select cast(null as {{ text_type() }}) as shop_id, cast(null as {{ text_type() }}) as order_id where false
        {%- if orders is not none %}
        union all
        -- keyed [shop_id, id] by tap-shopify: the record's own values, as the model reads them
        select {{ json_array_text('_primary_key', 0) }}, {{ json_array_text('_primary_key', 1) }}
        from {{ orders }} where {{ in_landing_window() }}
        {%- endif %}
        {%- if returns is not none %}
        union all
        select {{ json_field_text('_record', 'shop_id') }}, {{ json_field_text('_record', 'order_id') }}
        from {{ returns }} where _record_hash in ({{ restaged_versions('shopify', 'returns') }})
        {%- endif %}
    ) as landed_orders
{%- endmacro %}
