{#- Shopify orders (REST Admin `Order`), one row per raw version, typed and renamed to canonical names.
    Platform facts: shared/channels/shopify.md §6 — ISO-8601 times with the shop's offset, decimal-string
    amounts in the shop currency (`currency`) with `*_set` shop/presentment twins, 64-bit numeric ids.
    Fields read: macros/shopify/order_shape.sql. Choices marked [var] are dbt vars (docs/channels/shopify.md). -#}

{%- set ordered_at_field = var('shopify_ordered_at_field', 'processed_at') -%}
{%- if ordered_at_field not in ('processed_at', 'created_at') -%}
    {{ exceptions.raise_compiler_error("var shopify_ordered_at_field must be 'processed_at' or 'created_at'") }}
{%- endif -%}
{%- set paid_statuses = "('paid', 'partially_refunded', 'refunded')" -%}

with raw as (
    {{ raw_records('shopify', 'orders') }}
),

parsed as (
    select _record_hash, _connection, _synced_at, {{ shopify_parse_order('_record') }} as r
    from raw
),

fields as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.id,
        r.shop_id,
        r.financial_status,
        nullif(r.fulfillment_status, '') as fulfillment_status,
        r.cancel_reason,
        -- times: ISO-8601 with the shop's UTC offset
        r.created_at,
        r.processed_at,
        r.updated_at,
        nullif(r.cancelled_at, '') as cancelled_at,
        r.closed_at,
        r.test,
        r.currency,
        -- money: decimal strings in the shop currency; the *_set.shop_money twin when present
        {{ shopify_shop_money('r.total_price_set', 'r.total_price') }} as total_price,
        r.total_price_set.presentment_money.amount as total_price_presentment,
        {{ shopify_shop_money('r.total_line_items_price_set', 'r.total_line_items_price') }} as total_line_items_price,
        {{ shopify_shop_money('r.total_discounts_set', 'r.total_discounts') }} as total_discounts,
        {{ shopify_shop_money('r.total_tax_set', 'r.total_tax') }} as total_tax,
        r.total_shipping_price_set.shop_money.amount as total_shipping_price,
        {{ list_map('r.shipping_lines', 's', shopify_shop_money('s.price_set', 's.price')) }} as shipping_line_prices,
        {{ list_map('r.line_items', 'l', shopify_shop_money('l.price_set', 'l.price')) }} as line_prices,
        {{ list_map('r.line_items', 'l', 'l.quantity') }} as line_quantities,
        -- refunds: the money actually returned = refund transactions that succeeded; Shopify moves it in the
        -- buyer's (presentment) currency
        {{ list_flatten(list_map('r.refunds', 'f', list_where('f.transactions', 'x', "x.kind = 'refund' and x.status = 'success'"))) }}
            as refund_transactions,
        {{ list_flatten(list_map('r.refunds', 'f', list_map('f.transactions', 'x', 'x.amount'))) }} as all_refund_amounts,
        -- shipments: a fulfilment that succeeded; cancelled / error / failure ones never left
        {{ list_where('r.fulfillments', 'f', "f.status = 'success'") }} as shipped_fulfillments,
        {{ list_map('r.fulfillments', 'f', 'f.created_at') }} as fulfillment_times,
        {{ list_where('r.fulfillments', 'f', "coalesce(f.status, '') not in ('cancelled', 'error', 'failure')") }} as live_fulfillments,
        -- receiver: masked by the tap; region names as sent
        r.shipping_address.province as receiver_province,
        r.shipping_address.city as receiver_city,
        r.shipping_address.phone as receiver_phone,
        r.shipping_address.name as receiver_name,
        -- buyer identity, salted-hashed by the tap
        r.customer.id as customer_id
    from parsed
),

typed as (
    select
        f._record_hash as raw_record_id,
        f._connection as connection_name,
        f._synced_at as source_synced_at,
        'shopify' as channel,
        'shopify' as source_system,
        f.shop_id,
        -- `id` (64-bit) as text; the display `name` (#1001) stays in raw: it is not unique across shops
        f.id as channel_order_id,
        -- composite native status (seeds/status_map.csv): financial × fulfillment [× cancelled];
        -- REST sends fulfillment_status null while nothing is fulfilled
        coalesce(f.financial_status, 'none') || '/' || coalesce(f.fulfillment_status, 'unfulfilled')
            || case when f.cancelled_at is not null then '/cancelled' else '' end as status_native,
        f.cancel_reason as status_detail_native,

        -- [var shopify_ordered_at_field] processed_at is when the order was placed (the original date for
        -- imported orders); created_at is when the Shopify record was created
        {{ to_utc('coalesce(f.' ~ ordered_at_field ~ ', f.created_at)', 'iso') }} as ordered_at,
        -- REST carries no payment time: a (once) fully paid order was paid when it was processed
        case when f.financial_status in {{ paid_statuses }}
             then {{ to_utc('coalesce(f.processed_at, f.created_at)', 'iso') }} end as first_paid_at,
        {{ list_smallest(list_map('f.shipped_fulfillments', 's', to_utc('s.created_at', 'iso'))) }} as shipped_at,
        {%- if var('shopify_delivered_from_shipment_status', true) %}
        -- [var shopify_delivered_from_shipment_status] delivered when every shipment's carrier status is
        -- `delivered`; that shipment's updated_at is when it was recorded
        case when {{ list_size('f.shipped_fulfillments') }} > 0
                  and {{ list_every(list_map('f.shipped_fulfillments', 's', "coalesce(s.shipment_status = 'delivered', false)")) }}
             then {{ list_largest(list_map('f.shipped_fulfillments', 's', to_utc('s.updated_at', 'iso'))) }} end
        {%- else %}
        cast(null as {{ instant_type() }})
        {%- endif %} as delivered_at,
        {%- if var('shopify_closed_is_completed', true) %}
        -- [var shopify_closed_is_completed] an archived (closed) order that was not cancelled is complete
        case when f.cancelled_at is null then {{ to_utc('f.closed_at', 'iso') }} end
        {%- else %}
        cast(null as {{ instant_type() }})
        {%- endif %} as completed_at,
        -- the platform's cancel time (null unless cancelled; it also makes status_native '/cancelled')
        {{ to_utc('f.cancelled_at', 'iso') }} as cancelled_at,
        -- the REST order carries no ship-by or delivery promise
        cast(null as {{ instant_type() }}) as promised_ship_by,
        cast(null as {{ instant_type() }}) as promised_delivery_by,
        {{ to_utc('f.updated_at', 'iso') }} as source_updated_at,

        -- decimal(38,2) / decimal(19,2) below: the exact types of stg_douyin__orders (the staging models are
        -- unioned by name; the marts cast every amount to money_type())
        cast({{ major_units_to_amount('f.total_line_items_price') }} as decimal(38, 2)) as goods_amount,
        -- every Shopify discount (codes, automatic discounts) is funded by the shop
        {{ major_units_to_amount('f.total_discounts') }} as shop_discount_amount,
        cast(0.00 as decimal(19, 2)) as platform_discount_amount,
        coalesce(
            {{ major_units_to_amount('f.total_shipping_price') }},
            {{ list_total(list_map('f.shipping_line_prices', 'x', major_units_to_amount('x'))) }},
            0.00
        )::{{ money_type() }} as freight_amount,
        -- included (VAT/GST) or added (US sales tax) alike: the tax the buyer was charged
        coalesce({{ major_units_to_amount('f.total_tax') }}, 0.00)::{{ money_type() }} as tax_amount,
        {{ major_units_to_amount('f.total_price') }} as paid_amount,
        -- refunded money in the shop currency (macros/shopify/refunds.sql)
        (
            {{ shopify_refund_shop_money('f.refund_transactions', 'f.currency', 'f.total_price', 'f.total_price_presentment') }}
        )::{{ money_type() }} as refund_amount,
        coalesce({{ list_size('f.refund_transactions') }} > 0, false) or f.financial_status in ('partially_refunded', 'refunded')
            as has_refund,
        -- the REST order shows completed refunds only; returns in progress are not on it
        false as has_open_after_sale,

        -- Shopify's REST order has no deposit/balance (presale) structure
        false as is_presale,
        cast(null as {{ money_type() }}) as deposit_amount,
        cast(null as {{ money_type() }}) as balance_amount,
        false as deposit_paid,
        false as balance_paid,
        cast(null as {{ instant_type() }}) as balance_paid_at,
        cast(null as {{ instant_type() }}) as deposit_paid_at,

        -- the payload's shop currency wins over the connection's and the channel's default
        f.currency,
        f.receiver_province,
        f.receiver_city,
        -- defence in depth: only a masked value may pass (the tap masks; a plaintext one would not contain *)
        case when f.receiver_phone like '%*%' then f.receiver_phone end as receiver_phone_masked,
        case when f.receiver_name like '%*%' then f.receiver_name end as receiver_name_masked,
        case when f.customer_id like 'sha256:%' then f.customer_id end as customer_key,
        -- parcels: every tracking number of a shipment that was not cancelled or failed
        coalesce({{ list_distinct_sorted(list_where(
            list_flatten(list_map('f.live_fulfillments', 'l',
                list_append('coalesce(l.tracking_numbers, ' ~ empty_list(text_type()) ~ ')', list_of(['l.tracking_number'])))),
            'n', "n is not null and n <> ''"
        )) }}, {{ empty_list(text_type()) }}) as tracking_numbers,
        coalesce(f.test = 'true', false) as is_test,

        -- rule D3: why this version cannot be made canonical (NULL when it can)
        case
            when f.id is null or not {{ full_match('f.id', "'[0-9]{1,20}'") }} then 'missing or malformed id'
            when f.shop_id is null or not {{ full_match('f.shop_id', "'[a-z0-9][a-z0-9-]{0,62}'") }} then 'missing or malformed shop_id'
            when {{ to_utc('f.created_at', 'iso') }} is null then 'missing or unparseable created_at'
            when {{ to_utc('f.updated_at', 'iso') }} is null then 'missing or unparseable updated_at'
            {%- for field in ['processed_at', 'cancelled_at', 'closed_at'] %}
            when {{ time_is_invalid('f.' ~ field, 'iso') }} then 'unparseable {{ field }}'
            {%- endfor %}
            when coalesce({{ list_any(list_map('f.fulfillment_times', 'x', time_is_invalid('x', 'iso'))) }}, false)
                then 'unparseable fulfillment created_at'
            {%- for field in ['total_price', 'total_line_items_price', 'total_discounts', 'total_tax', 'total_shipping_price', 'total_price_presentment'] %}
            when {{ amount_is_invalid('f.' ~ field, 'major') }} then 'non-numeric {{ field }}'
            {%- endfor %}
            when f.total_price is null then 'missing total_price'
            when f.currency is not null and not {{ full_match('f.currency', "'[A-Z]{3}'") }} then 'malformed currency'
            when coalesce({{ list_any(list_map('f.line_prices', 'x', amount_is_invalid('x', 'major'))) }}, false)
                then 'non-numeric line_items price'
            when coalesce({{ list_any(list_map('f.line_quantities', 'x', 'not ' ~ full_match("coalesce(x, '')", "'[0-9]{1,9}'"))) }}, false)
                then 'non-numeric line_items quantity'
            when coalesce({{ list_any(list_map('f.all_refund_amounts', 'x', amount_is_invalid('x', 'major'))) }}, false)
                then 'non-numeric refund transaction amount'
            when coalesce({{ list_any(list_map('f.refund_transactions', 'x', 'x.currency <> f.currency')) }}, false)
                 and coalesce({{ major_units_to_amount('f.total_price_presentment') }}, 0) = 0
                then 'refund in the presentment currency without a presentment total'
        end as quarantine_reason
    from fields as f
)

select * from typed
