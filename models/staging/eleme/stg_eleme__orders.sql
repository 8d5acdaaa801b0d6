{#- Ele.me retail orders, one row per raw version, typed and renamed to canonical names.
    Platform facts: shared/channels/meituan_eleme.md §B3 — Unix seconds sent as strings (0 = not yet),
    integer fen amounts [I], 14-digit order_id and 19-digit eleme_order_id kept as text.
    Fields read: macros/eleme/order_shape.sql. Mapping table: docs/channels/eleme.md. -#}

{%- set refund_ok = var('eleme_part_refund_success_statuses', ['20']) -%}
{%- set refund_open = var('eleme_part_refund_open_statuses', ['10']) -%}
{%- set agreed = "x.status in ('" ~ (refund_ok | join("', '")) ~ "')" -%}

with raw as (
    {{ raw_records('eleme', 'orders') }}
),

parsed as (
    select _record_hash, _connection, _synced_at, {{ eleme_parse_order('_record') }} as r
    from raw
),

fields as (
    select
        _record_hash,
        _connection,
        _synced_at,
        -- ids: order.order_id (14 digits) is the id every order command takes; eleme_order_id (19 digits)
        -- stays in raw
        r.{{ adapter.quote('order') }}.order_id as order_id,
        -- the partner's shop id (shop.id); the tap also copies it to the top level
        coalesce(r.shop.id, r.shop_id) as shop_id,
        r.{{ adapter.quote('order') }} as o,
        {{ eleme_products('r.products') }} as products,
        r.products is null as products_missing,
        {{ list_or_empty('r.discount') }} as discounts,
        {{ list_or_empty('r.part_refunds') }} as part_refunds,
        -- buyer: masks derived by the tap; the phone arrives salted-hashed (the only buyer key)
        r.{{ adapter.quote('user') }}.phone as buyer_phone,
        r.{{ adapter.quote('user') }}.phone_masked as phone_masked,
        r.{{ adapter.quote('user') }}.name_masked as name_masked,
        r.{{ adapter.quote('user') }}.province as province,
        r.{{ adapter.quote('user') }}.city as city
    from parsed
),

typed as (
    select
        f._record_hash as raw_record_id,
        f._connection as connection_name,
        f._synced_at as source_synced_at,
        'eleme' as channel,
        'eleme' as source_system,
        f.shop_id,
        f.order_id as channel_order_id,
        f.o.status as status_native,
        cast(null as {{ text_type() }}) as status_detail_native,

        {{ to_utc('f.o.create_time', 'epoch_s') }} as ordered_at,
        -- retail orders are paid online when placed: pay_status 2 (paid) dates payment at creation
        case when f.o.pay_status = '2' then {{ to_utc('f.o.create_time', 'epoch_s') }} end as first_paid_at,
        -- the rider picked the goods up at the shop
        {{ to_utc('f.o.pickup_time', 'epoch_s') }} as shipped_at,
        {{ to_utc('f.o.delivery_time', 'epoch_s') }} as delivered_at,
        {{ to_utc('f.o.finished_time', 'epoch_s') }} as completed_at,
        -- the platform's cancel time (a string of unix seconds), only for a cancelled order (status 10)
        case when f.o.status = '10' then {{ to_utc('f.o.cancel_time', 'epoch_s') }} end as cancelled_at,
        cast(null as {{ instant_type() }}) as promised_ship_by,
        -- send_time is the expected delivery; "1" with send_immediately = 1 means as soon as possible
        case when f.o.send_immediately = '1' then null else {{ to_utc('f.o.send_time', 'epoch_s') }} end as promised_delivery_by,
        -- order.get has no update time: the latest of the order's own event times (partial refunds included)
        greatest(
            {{ to_utc('f.o.create_time', 'epoch_s') }}, {{ to_utc('f.o.confirm_time', 'epoch_s') }},
            {{ to_utc('f.o.atshop_time', 'epoch_s') }}, {{ to_utc('f.o.pickup_time', 'epoch_s') }},
            {{ to_utc('f.o.delivery_time', 'epoch_s') }}, {{ to_utc('f.o.finished_time', 'epoch_s') }},
            {{ to_utc('f.o.cancel_time', 'epoch_s') }},
            {{ list_largest(list_map('f.part_refunds', 'x', to_utc('x.update_time', 'epoch_s'))) }}
        ) as source_updated_at,

        -- goods_amount is DECIMAL(38,2) and platform_discount_amount DECIMAL(19,2): the exact types of
        -- stg_douyin__orders, with which every channel is unioned by name (values always have 2 decimals)
        -- goods: each product's total_fee (product_fee + package_fee), fen; total_fee = goods + send_fee
        coalesce({{ list_total(list_map('f.products', 'x', minor_units_to_amount('x.total_fee'))) }}, 0)::decimal(38, 2)
            as goods_amount,
        -- discount[]: shop_rate is funded by the shop; the rest of discount_fee by Ele.me, agents, logistics
        coalesce({{ list_total(list_map('f.discounts', 'd', minor_units_to_amount('d.shop_rate'))) }}, 0)::{{ money_type() }}
            as shop_discount_amount,
        (coalesce({{ minor_units_to_amount('f.o.discount_fee') }}, 0)
            - coalesce({{ list_total(list_map('f.discounts', 'd', minor_units_to_amount('d.shop_rate'))) }}, 0))::decimal(19, 2)
            as platform_discount_amount,
        {{ minor_units_to_amount('f.o.send_fee') }} as freight_amount,
        0.00::{{ money_type() }} as tax_amount,
        {{ minor_units_to_amount('f.o.user_fee') }} as paid_amount,
        -- a paid order that was cancelled is refunded in full; otherwise the agreed partial refunds
        (case
            when f.o.status = '10' and f.o.pay_status = '2' then {{ minor_units_to_amount('f.o.user_fee') }}
            else coalesce({{ list_total(list_map(list_where('f.part_refunds', 'x', agreed), 'x', minor_units_to_amount('x.refund_price'))) }}, 0)
        end)::{{ money_type() }} as refund_amount,
        (f.o.status = '10' and f.o.pay_status = '2')
            or coalesce({{ list_any(list_map('f.part_refunds', 'x', agreed)) }}, false)
            as has_refund,
        coalesce({{ list_any(list_map('f.part_refunds', 'x', "x.status in ('" ~ (refund_open | join("', '")) ~ "')")) }}, false)
            as has_open_after_sale,

        -- no deposit presale in the retail order API
        false as is_presale,
        cast(null as {{ money_type() }}) as deposit_amount,
        cast(null as {{ money_type() }}) as balance_amount,
        false as deposit_paid,
        false as balance_paid,
        cast(null as {{ instant_type() }}) as balance_paid_at,
        cast(null as {{ instant_type() }}) as deposit_paid_at,

        -- Ele.me sends no currency (CNY only): the connection's or channel's default applies
        cast(null as {{ text_type() }}) as currency,
        f.province as receiver_province,
        f.city as receiver_city,
        f.phone_masked as receiver_phone_masked,
        f.name_masked as receiver_name_masked,
        f.buyer_phone as customer_key,
        -- local delivery has no carrier waybill
        {{ empty_list(text_type()) }} as tracking_numbers,
        false as is_test,

        -- rule D3: why this version cannot be made canonical (NULL when it can)
        case
            when f.order_id is null or not {{ full_match('f.order_id', "'[0-9A-Za-z_-]{1,64}'") }} then 'missing or malformed order_id'
            when f.shop_id is null or trim(f.shop_id) = '' then 'missing shop id'
            when {{ to_utc('f.o.create_time', 'epoch_s') }} is null then 'missing or unparseable create_time'
            {#- send_time "1" is the platform's "as soon as possible", not a time #}
            {%- for field in ['confirm_time', 'cancel_time', 'finished_time', 'pickup_time', 'atshop_time', 'delivery_time', 'send_time'] %}
            when {{ time_is_invalid('f.o.' ~ field, 'epoch_s') }}{% if field == 'send_time' %} and f.o.send_time <> '1'{% endif %}
                then 'unparseable {{ field }}'
            {%- endfor %}
            {%- for field in ['user_fee', 'total_fee', 'send_fee', 'discount_fee'] %}
            when {{ amount_is_invalid('f.o.' ~ field) }} then 'non-numeric {{ field }}'
            {%- endfor %}
            when f.o.user_fee is null then 'missing user_fee'
            when f.products_missing then 'missing or malformed products'
            when coalesce({{ list_any(list_map('f.products', 'x',
                    minor_units_to_amount('x.total_fee') ~ ' is null or ' ~ minor_units_to_amount('x.product_price') ~ ' is null
                    or ' ~ try_integer('x.product_amount') ~ ' is null')) }}, false)
                then 'non-numeric product price, amount or total_fee'
            when coalesce({{ list_any(list_map('f.discounts', 'd', amount_is_invalid('d.shop_rate'))) }}, false)
                then 'non-numeric discount shop_rate'
            when coalesce({{ list_any(list_map('f.part_refunds', 'x', amount_is_invalid('x.refund_price'))) }}, false)
                then 'non-numeric part refund price'
        end as quarantine_reason
    from fields as f
)

select * from typed
