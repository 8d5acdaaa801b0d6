{#- TikTok Shop orders (Partner API 202309 order search), one row per raw version, typed and renamed to
    canonical names. Platform facts: shared/channels/tiktok_shop.md §7 — epoch seconds (UTC), amounts as
    decimal strings in major units of payment.currency, ids as numeric strings, one line item per unit.
    Fields read: macros/tiktok_shop/order_shape.sql; mapping table: docs/channels/tiktok_shop.md. -#}
{#- Per-record windows below (over the order's versions): re-stage every version of a changed order. -#}
{{ config(restage_all_versions=true) }}

with raw as (
    {{ raw_records('tiktok_shop', 'orders') }}
),

parsed as (
    select _record_hash, _connection, _synced_at, {{ tiktok_shop_parse_order('_record') }} as r
    from raw
),

shops as (
    {{ shop_settings() }}
),

fields as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.id,
        r.shop_id,
        r.status,
        r.order_type,
        -- times: unix seconds, UTC; a time not reached yet is absent
        r.create_time,
        r.paid_time,
        r.rts_time,
        r.collection_time,
        r.delivery_time,
        r.shipping_due_time,
        r.rts_sla_time,
        r.delivery_sla_time,
        r.delivery_due_time,
        r.cancel_time,  -- when the order was cancelled (request_cancel_time is the buyer's request, not read)
        r.update_time,
        -- money: decimal strings in major units of payment.currency
        upper(trim(r.payment.currency)) as currency,
        r.payment.total_amount,
        r.payment.original_total_product_price,
        r.payment.seller_discount,
        r.payment.platform_discount,
        r.payment.original_shipping_fee,
        r.payment.shipping_fee,
        r.payment.shipping_fee_seller_discount,
        r.payment.shipping_fee_platform_discount,
        r.payment.tax,
        r.payment.product_tax,
        r.payment.shipping_fee_tax,
        -- line items: one per unit bought; per-unit list price, price after discounts and status
        {{ list_map('r.line_items', 'l', 'l.original_price') }} as item_original_prices,
        {{ list_map('r.line_items', 'l', 'l.sale_price') }} as item_sale_prices,
        {{ list_map('r.line_items', 'l', 'l.display_status') }} as item_statuses,
        {{ list_map('r.line_items', 'l', tiktok_shop_item_units('l')) }} as item_units,
        r.is_buyer_request_cancel,
        -- receiver: TikTok's masks and region names only (the tap nulls unmasked names/phones and address lines)
        r.recipient_address.state as receiver_province,
        r.recipient_address.city as receiver_city,
        r.recipient_address.phone as receiver_phone_masked,
        r.recipient_address.name as receiver_name_masked,
        -- buyer identity, salted-hashed by the tap
        r.user_id,
        -- parcels: the order's tracking number and each line item's (a split shipment has several)
        {{ list_distinct_sorted(list_where(
            list_append(list_of(['r.tracking_number']), list_map('r.line_items', 'l', 'l.tracking_number')),
            't', "t is not null and trim(t) <> ''"
        )) }} as tracking_numbers
    from parsed
),

typed as (
    select
        f._record_hash as raw_record_id,
        f._connection as connection_name,
        f._synced_at as source_synced_at,
        'tiktok_shop' as channel,
        'tiktok_shop' as source_system,
        f.shop_id,
        f.id as channel_order_id,
        f.status as status_native,
        -- per-unit display_status values, distinct and sorted: shows an item-level cancellation or a split shipment
        {{ list_join(list_distinct_sorted('f.item_statuses'), "','") }} as status_detail_native,

        {{ to_utc('f.create_time', 'epoch_s') }} as ordered_at,
        {{ to_utc('f.paid_time', 'epoch_s') }} as first_paid_at,
        -- shipped = handed to the carrier (collection_time). Seller-shipped orders may carry only rts_time;
        -- it counts once the status is past collection (before that it only means "ready to ship").
        coalesce(
            {{ to_utc('f.collection_time', 'epoch_s') }},
            case when f.status in ('PARTIALLY_SHIPPING', 'IN_TRANSIT', 'DELIVERED', 'COMPLETED')
                 then {{ to_utc('f.rts_time', 'epoch_s') }} end
        ) as shipped_at,
        {{ to_utc('f.delivery_time', 'epoch_s') }} as delivered_at,
        -- TikTok sends no completion time: the update_time of the first version seen COMPLETED (like D-009)
        case when f.status = 'COMPLETED' then min(case when f.status = 'COMPLETED' then {{ to_utc('f.update_time', 'epoch_s') }} end)
            over (partition by f.shop_id, f.id) end as completed_at,
        case when f.status = 'CANCELLED' then {{ to_utc('f.cancel_time', 'epoch_s') }} end as cancelled_at,
        coalesce({{ to_utc('f.shipping_due_time', 'epoch_s') }}, {{ to_utc('f.rts_sla_time', 'epoch_s') }}) as promised_ship_by,
        coalesce({{ to_utc('f.delivery_sla_time', 'epoch_s') }}, {{ to_utc('f.delivery_due_time', 'epoch_s') }}) as promised_delivery_by,
        {{ to_utc('f.update_time', 'epoch_s') }} as source_updated_at,

        -- Σ unit list prices (original_price per unit); original_total_product_price when there are no items
        coalesce(
            {{ list_total(list_map(zipped_lists(['f.item_original_prices', 'f.item_units'], ['price', 'units']),
                'z', major_units_to_amount('z.price') ~ ' * z.units')) }},
            {{ major_units_to_amount('f.original_total_product_price') }}
        )::decimal(38, 2) as goods_amount,  -- the type stg_douyin__orders has (the channels are unioned by name)
        -- seller-funded product and shipping discounts
        (coalesce({{ major_units_to_amount('f.seller_discount') }}, 0)
            + coalesce({{ major_units_to_amount('f.shipping_fee_seller_discount') }}, 0))::{{ money_type() }} as shop_discount_amount,
        -- platform-funded product and shipping discounts
        (coalesce({{ major_units_to_amount('f.platform_discount') }}, 0)
            + coalesce({{ major_units_to_amount('f.shipping_fee_platform_discount') }}, 0))::decimal(19, 2) as platform_discount_amount,  -- as in stg_douyin__orders
        -- shipping before discounts (the discounts are in the two columns above)
        coalesce(
            {{ major_units_to_amount('f.original_shipping_fee') }},
            {{ major_units_to_amount('f.shipping_fee') }}
                + coalesce({{ major_units_to_amount('f.shipping_fee_seller_discount') }}, 0)
                + coalesce({{ major_units_to_amount('f.shipping_fee_platform_discount') }}, 0)
        )::{{ money_type() }} as freight_amount,
        -- sales tax added on top (US); product_tax + shipping_fee_tax when only the parts are sent; else 0
        coalesce(
            {{ major_units_to_amount('f.tax') }},
            coalesce({{ major_units_to_amount('f.product_tax') }}, 0) + coalesce({{ major_units_to_amount('f.shipping_fee_tax') }}, 0)
        )::{{ money_type() }} as tax_amount,
        {{ major_units_to_amount('f.total_amount') }} as paid_amount,
        -- The order search carries no refund amounts (returns live in the Return & Refund API). A paid order that
        -- was cancelled is refunded in full; a paid order with cancelled units is refunded those units' sale_price.
        least(
            case
                when {{ to_utc('f.paid_time', 'epoch_s') }} is null then 0
                when f.status = 'CANCELLED' then {{ major_units_to_amount('f.total_amount') }}
                else coalesce({{ list_total(list_map(
                    zipped_lists(['f.item_statuses', 'f.item_sale_prices', 'f.item_units'], ['status', 'price', 'units']),
                    'z', "case when z.status = 'CANCELLED' then " ~ major_units_to_amount('z.price') ~ ' * z.units else 0 end')) }}, 0)
            end,
            {{ major_units_to_amount('f.total_amount') }}
        )::{{ money_type() }} as refund_amount,
        {{ to_utc('f.paid_time', 'epoch_s') }} is not null
            and (f.status = 'CANCELLED' or coalesce({{ list_any(list_map('f.item_statuses', 's', "s = 'CANCELLED'")) }}, false))
            as has_refund,
        -- a buyer's cancellation request still open: flagged until the order is cancelled or leaves the warehouse
        coalesce(f.is_buyer_request_cancel = 'true', false)
            and f.status not in ('CANCELLED', 'IN_TRANSIT', 'DELIVERED', 'COMPLETED') as has_open_after_sale,

        -- presale: order_type PRE_ORDER (no deposit: the full price is captured a day before release)
        coalesce(f.order_type in {{ tiktok_shop_presale_order_types() }}, false) as is_presale,
        cast(null as {{ money_type() }}) as deposit_amount,
        cast(null as {{ money_type() }}) as balance_amount,
        false as deposit_paid,
        false as balance_paid,
        cast(null as {{ instant_type() }}) as balance_paid_at,
        cast(null as {{ instant_type() }}) as deposit_paid_at,

        f.currency,
        f.receiver_province,
        f.receiver_city,
        f.receiver_phone_masked,
        f.receiver_name_masked,
        f.user_id as customer_key,
        f.tracking_numbers,
        false as is_test,

        -- rule D3: why this version cannot be made canonical (NULL when it can)
        case
            when f.id is null or not {{ full_match('f.id', "'[0-9]{1,32}'") }} then 'missing or malformed id'
            when f.shop_id is null or not {{ full_match('f.shop_id', "'[0-9A-Za-z_-]{1,64}'") }} then 'missing or malformed shop_id'
            when {{ to_utc('f.create_time', 'epoch_s') }} is null then 'missing or unparseable create_time'
            when {{ to_utc('f.update_time', 'epoch_s') }} is null then 'missing or unparseable update_time'
            {%- for field in ['paid_time', 'rts_time', 'collection_time', 'delivery_time', 'shipping_due_time', 'rts_sla_time', 'delivery_sla_time', 'delivery_due_time', 'cancel_time'] %}
            when {{ time_is_invalid('f.' ~ field, 'epoch_s') }} then 'unparseable {{ field }}'
            {%- endfor %}
            {%- for field in ['total_amount', 'original_total_product_price', 'seller_discount', 'platform_discount', 'original_shipping_fee', 'shipping_fee', 'shipping_fee_seller_discount', 'shipping_fee_platform_discount', 'tax', 'product_tax', 'shipping_fee_tax'] %}
            when {{ amount_is_invalid('f.' ~ field, 'major') }} then 'non-numeric payment.{{ field }}'
            {%- endfor %}
            when f.total_amount is null then 'missing payment.total_amount'
            when coalesce({{ list_any(list_map('f.item_original_prices', 'x', amount_is_invalid('x', 'major'))) }}, false)
                then 'non-numeric line_items.original_price'
            when coalesce({{ list_any(list_map('f.item_sale_prices', 'x', amount_is_invalid('x', 'major'))) }}, false)
                then 'non-numeric line_items.sale_price'
            when f.currency is not null and not {{ full_match('f.currency', "'[A-Z]{3}'") }} then 'malformed payment.currency'
            -- multi-currency channel: no currency is guessed; the connection may state the shop's
            when f.currency is null and f.shop_id not in (
                select shop_id from shops where channel = 'tiktok_shop' and currency is not null and currency <> ''
            ) then 'missing payment.currency (and the connection sets no currency)'
        end as quarantine_reason
    from fields as f
)

select * from typed
