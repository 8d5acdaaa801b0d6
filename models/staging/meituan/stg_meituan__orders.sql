{#- Meituan Waimai orders, one row per raw version, typed and renamed to canonical names.
    Platform facts: shared/channels/meituan_eleme.md §A3 — Unix-second times (0 = not yet), yuan amounts
    sent as JSON doubles (read from the JSON text, never through a float), numeric ids kept as text.
    Fields read: macros/meituan/order_shape.sql. Mapping table: docs/channels/meituan.md. -#}

{%- set refund_ok = var('meituan_refund_success_res_types', ['2', '4', '5', '6']) -%}
{%- set refund_open = var('meituan_refund_open_res_types', ['0']) -%}
{%- set agreed = "x.res_type in ('" ~ (refund_ok | join("', '")) ~ "')" -%}

with raw as (
    {{ raw_records('meituan', 'orders') }}
),

parsed as (
    select _record_hash, _connection, _synced_at, {{ meituan_parse_order('_record') }} as r
    from raw
),

fields as (
    select
        _record_hash,
        _connection,
        _synced_at,
        -- ids: wm_order_id_view is the id merchants and buyers see (17 digits, or whatever text the
        -- payload gives); order_id is the internal numeric id, kept in raw
        r.wm_order_id_view,
        r.app_poi_code,
        r.status,
        r.logistics_status,
        r.pay_type,
        -- times: unix seconds; 0 is the platform's "not happened" (delivery_time 0 = as soon as possible)
        r.ctime,
        r.utime,
        r.order_send_time,
        r.logistics_fetch_time,
        r.logistics_completed_time,
        r.order_completed_time,
        r.order_cancel_time,
        r.delivery_time,
        -- money: yuan
        r.total,
        r.original_price,
        r.shipping_fee,
        r.detail,
        r.extras,
        {{ json_list_value('r.detail', meituan_line_shape()) }} as lines,
        {{ json_list_value('r.extras', meituan_extra_shape()) }} as discounts,
        {{ list_or_empty('r.refund_records') }} as refunds,
        -- receiver: masks derived by the tap; the phone arrives salted-hashed (the only buyer key)
        r.recipient_phone_masked,
        r.recipient_name_masked,
        r.recipient_phone
    from parsed
),

typed as (
    select
        f._record_hash as raw_record_id,
        f._connection as connection_name,
        f._synced_at as source_synced_at,
        'meituan' as channel,
        'meituan' as source_system,
        f.app_poi_code as shop_id,
        f.wm_order_id_view as channel_order_id,
        f.status as status_native,
        -- delivery progress (logistics_status), kept for reference
        f.logistics_status as status_detail_native,

        {{ to_utc('f.ctime', 'epoch_s') }} as ordered_at,
        -- Meituan sends no payment time. Online-paid orders (pay_type 2) reach the store only once paid,
        -- so the push to the store (order_send_time) is the paid instant; cash on delivery (pay_type 1)
        -- is paid when the order completes.
        case
            when f.pay_type = '2' then {{ to_utc('f.order_send_time', 'epoch_s') }}
            when f.pay_type = '1' then {{ to_utc('f.order_completed_time', 'epoch_s') }}
        end as first_paid_at,
        -- the rider picked the food up at the store (Meituan delivery; NULL when the store delivers itself)
        {{ to_utc('f.logistics_fetch_time', 'epoch_s') }} as shipped_at,
        {{ to_utc('f.logistics_completed_time', 'epoch_s') }} as delivered_at,
        {{ to_utc('f.order_completed_time', 'epoch_s') }} as completed_at,
        -- the platform's cancel time, only for a cancelled order (status 9); 0 = not cancelled
        case when f.status = '9' then {{ to_utc('f.order_cancel_time', 'epoch_s') }} end as cancelled_at,
        cast(null as {{ instant_type() }}) as promised_ship_by,
        {{ to_utc('f.delivery_time', 'epoch_s') }} as promised_delivery_by,
        {{ to_utc('f.utime', 'epoch_s') }} as source_updated_at,

        -- goods_amount is DECIMAL(38,2) and platform_discount_amount DECIMAL(19,2): the exact types of
        -- stg_douyin__orders, with which every channel is unioned by name (values always have 2 decimals)
        -- goods: each food line at list price plus its packaging boxes (price × quantity + box_price × box_num);
        -- original_price = goods + shipping_fee
        coalesce({{ list_total(list_map('f.lines', 'l',
            major_units_to_amount('l.price') ~ ' * try_cast(coalesce(l.quantity, l.quanity) as decimal(18, 3))
            + coalesce(' ~ major_units_to_amount('l.box_price') ~ ' * try_cast(l.box_num as decimal(18, 3)), 0)'
        )) }}, 0)::decimal(38, 2) as goods_amount,
        -- extras[]: poi_charge is funded by the store, mt_charge by Meituan
        coalesce({{ list_total(list_map('f.discounts', 'd', major_units_to_amount('d.poi_charge'))) }}, 0)::{{ money_type() }}
            as shop_discount_amount,
        coalesce({{ list_total(list_map('f.discounts', 'd', major_units_to_amount('d.mt_charge'))) }}, 0)::decimal(19, 2)
            as platform_discount_amount,
        {{ major_units_to_amount('f.shipping_fee') }} as freight_amount,
        0.00::{{ money_type() }} as tax_amount,
        {{ major_units_to_amount('f.total') }} as paid_amount,
        -- refund records (attached by the tap): money of the refunds the store or Meituan agreed to
        coalesce({{ list_total(list_map(list_where('f.refunds', 'x', agreed), 'x', major_units_to_amount('x.money'))) }}, 0)::{{ money_type() }}
            as refund_amount,
        coalesce({{ list_any(list_map('f.refunds', 'x', agreed)) }}, false) as has_refund,
        coalesce({{ list_any(list_map('f.refunds', 'x', "x.res_type in ('" ~ (refund_open | join("', '")) ~ "')")) }}, false)
            as has_open_after_sale,

        -- no deposit presale on Meituan Waimai (a reservation, is_pre_order, is paid in full up front)
        false as is_presale,
        cast(null as {{ money_type() }}) as deposit_amount,
        cast(null as {{ money_type() }}) as balance_amount,
        false as deposit_paid,
        false as balance_paid,
        cast(null as {{ instant_type() }}) as balance_paid_at,
        cast(null as {{ instant_type() }}) as deposit_paid_at,

        -- Meituan sends no currency (CNY only): the connection's or channel's default applies
        cast(null as {{ text_type() }}) as currency,
        -- the order carries a city_id code, not region names
        cast(null as {{ text_type() }}) as receiver_province,
        cast(null as {{ text_type() }}) as receiver_city,
        f.recipient_phone_masked as receiver_phone_masked,
        f.recipient_name_masked as receiver_name_masked,
        f.recipient_phone as customer_key,
        -- food delivery has no carrier waybill
        {{ empty_list(text_type()) }} as tracking_numbers,
        false as is_test,

        -- rule D3: why this version cannot be made canonical (NULL when it can)
        case
            when f.wm_order_id_view is null or not {{ full_match('f.wm_order_id_view', "'[0-9A-Za-z_-]{1,64}'") }}
                then 'missing or malformed wm_order_id_view'
            when f.app_poi_code is null or trim(f.app_poi_code) = '' then 'missing app_poi_code'
            when {{ to_utc('f.ctime', 'epoch_s') }} is null then 'missing or unparseable ctime'
            when {{ to_utc('f.utime', 'epoch_s') }} is null then 'missing or unparseable utime'
            {%- for field in ['order_send_time', 'logistics_fetch_time', 'logistics_completed_time', 'order_completed_time', 'order_cancel_time', 'delivery_time'] %}
            when {{ time_is_invalid('f.' ~ field, 'epoch_s') }} then 'unparseable {{ field }}'
            {%- endfor %}
            {%- for field in ['total', 'original_price', 'shipping_fee'] %}
            when {{ amount_is_invalid('f.' ~ field, unit='major') }} then 'non-numeric {{ field }}'
            {%- endfor %}
            when f.total is null then 'missing total'
            when {{ json_list_value_is_invalid('f.detail') }} then 'unparseable detail'
            when {{ json_list_value_is_invalid('f.extras') }} then 'unparseable extras'
            when coalesce({{ list_any(list_map('f.lines', 'l',
                    major_units_to_amount('l.price') ~ ' is null
                    or try_cast(coalesce(l.quantity, l.quanity) as decimal(18, 3)) is null
                    or ' ~ amount_is_invalid('l.box_price', unit='major'))) }}, false)
                then 'non-numeric detail price or quantity'
            when coalesce({{ list_any(list_map('f.discounts', 'd',
                    amount_is_invalid('d.mt_charge', unit='major') ~ ' or ' ~ amount_is_invalid('d.poi_charge', unit='major'))) }}, false)
                then 'non-numeric extras charge'
            when coalesce({{ list_any(list_map('f.refunds', 'x', amount_is_invalid('x.money', unit='major'))) }}, false)
                then 'non-numeric refund money'
        end as quarantine_reason
    from fields as f
)

select * from typed
