{#- Youzan (有赞) orders, one row per raw version, typed and renamed to canonical names.
    Platform facts: shared/channels/youzan.md §3 — naive Beijing yyyy-MM-dd HH:mm:ss strings ('' = not
    happened), yuan amounts (strings or numbers), text ids (tid 'E…', numeric-string oid), order-level refund_state.
    Fields read: macros/youzan/order_shape.sql; unconfirmed facts are dbt vars (macros/youzan/settings.sql). -#}

with raw as (
    {{ raw_records('youzan', 'orders') }}
),

parsed as (
    select _record_hash, _connection, _synced_at, {{ youzan_parse_order('_record') }} as r
    from raw
),

fields as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.kdt_id,                                   -- the shop the tap was configured for (its token's grant)
        r.order_info.tid,
        r.order_info.status,
        r.order_info.refund_state,
        -- times: naive Beijing strings
        r.order_info.created,
        r.order_info.pay_time,
        r.order_info.consign_time,                  -- set when every item has shipped
        r.order_info.success_time,                  -- TRADE_SUCCESS: received / confirmed
        r.order_info.update_time,
        r.address_info.delivery_end_time,           -- same-city delivery: latest promised arrival
        -- money: yuan (var youzan_amount_unit)
        r.pay_info.payment,                         -- what the buyer paid, freight included
        r.pay_info.post_fee,
        {{ list_map('r.orders', 'o', 'o.price') }} as line_prices,
        {{ list_map('r.orders', 'o', 'o.num') }} as line_nums,
        {{ list_map('r.orders', 'o', 'o.payment') }} as line_payments,
        -- per-line refund state, where the API sends one (unconfirmed; the sheet has it per order only)
        {{ list_map('r.orders', 'o', 'o.refund_state') }} as line_refund_states,
        -- presale: the deposit-presale tag, per-item presale markers, and the phases (1 = deposit, 2 = balance)
        r.order_info.order_tags.is_down_payment_pre as is_down_payment_pre,
        r.order_info.order_tags.is_feedback as is_feedback,
        {{ list_map('r.orders', 'o', 'o.pre_sale_type') }} as line_pre_sale_types,
        {{ list_map('r.orders', 'o', 'o.is_pre_sale') }} as line_is_pre_sale,
        {{ youzan_phases('r.pay_info.phase_payments') }} as phases,
        -- receiver: region names and the masks the tap leaves (plaintext never lands)
        r.address_info.delivery_province,
        r.address_info.delivery_city,
        r.address_info.receiver_tel,
        r.address_info.receiver_name,
        -- buyer identity, salted-hashed by the tap (buyer_id, else yz_open_id, else fans_id)
        coalesce(nullif(r.buyer_info.buyer_id, ''), nullif(r.buyer_info.yz_open_id, ''), nullif(r.buyer_info.fans_id, ''))
            as buyer_key
    from parsed
),

phased as (
    select
        *,
        {{ list_at(list_where('phases', 'x', "x.phase = '1'"), 1) }} as deposit_phase,
        {{ list_at(list_where('phases', 'x', "x.phase = '2'"), 1) }} as balance_phase,
        -- line list price × quantity, exact (decimal × integer)
        {{ list_map(zipped_lists(['line_prices', 'line_nums'], ['price', 'num']), 'z',
                    youzan_amount('z.price') ~ ' * ' ~ text_to_integer('z.num')) }} as line_goods_amounts
    from fields
),

typed as (
    select
        f._record_hash as raw_record_id,
        f._connection as connection_name,
        f._synced_at as source_synced_at,
        'youzan' as channel,
        'youzan' as source_system,
        f.kdt_id as shop_id,
        f.tid as channel_order_id,
        f.status as status_native,
        -- kept for reference: the refund dimension (0, 1, 2, 11, 12)
        f.refund_state as status_detail_native,

        {{ youzan_time('f.created') }} as ordered_at,
        {{ youzan_time('f.pay_time') }} as first_paid_at,
        {{ youzan_time('f.consign_time') }} as shipped_at,
        -- trades.sold.get carries no receipt time; TRADE_SUCCESS implies delivery (seeds/status_map.csv)
        cast(null as {{ instant_type() }}) as delivered_at,
        {{ youzan_time('f.success_time') }} as completed_at,
        -- order_info has close_type but no close time: fct_orders falls back to the first version seen closed (D-009)
        cast(null as {{ instant_type() }}) as cancelled_at,
        cast(null as {{ instant_type() }}) as promised_ship_by,
        {{ youzan_time('f.delivery_end_time') }} as promised_delivery_by,
        {{ youzan_time('f.update_time') }} as source_updated_at,

        -- goods before discounts = Σ line price × num (pay_info.total_fee is documented as the same sum;
        -- computing it from the lines keeps lines and order equal, gate R2)
        -- (cast to the type stg_douyin__orders has, so the channels union by name without widening)
        {{ list_total('f.line_goods_amounts') }}::decimal(38, 2) as goods_amount,
        -- every discount (item, coupon, member): goods + freight − paid. No shop/platform split in the API;
        -- var youzan_discounts_funded_by says who funds it (default: the shop; Youzan is its own storefront)
        {%- set discount = "(" ~ list_total('f.line_goods_amounts') ~ " + coalesce(" ~ youzan_amount('f.post_fee') ~ ", 0) - " ~ youzan_amount('f.payment') ~ ")" %}
        {% if youzan_var('youzan_discounts_funded_by') == 'shop' -%}
        {{ discount }}::{{ money_type() }} as shop_discount_amount,
        0.00::decimal(19, 2) as platform_discount_amount,
        {%- else -%}
        0.00::{{ money_type() }} as shop_discount_amount,
        {{ discount }}::decimal(19, 2) as platform_discount_amount,
        {%- endif %}
        {{ youzan_amount('f.post_fee') }} as freight_amount,
        0.00::{{ money_type() }} as tax_amount,
        {{ youzan_amount('f.payment') }} as paid_amount,
        -- refund_state 12 = fully refunded: the whole payment; otherwise the lines a per-line refund_state 12
        -- marks as refunded. A partial refund (2) without per-line states has no amount in this API.
        (case
            when f.refund_state = '12' then {{ youzan_amount('f.payment') }}
            else coalesce({{ list_total(list_map(
                zipped_lists(['f.line_refund_states', 'f.line_payments'], ['refund_state', 'payment']),
                'z', "case when z.refund_state = '12' then " ~ youzan_amount('z.payment') ~ " else 0 end"
            )) }}, 0)
        end)::{{ money_type() }} as refund_amount,
        f.refund_state in ('2', '12')
            or coalesce({{ list_any(list_map('f.line_refund_states', 'x', "x in ('2', '12')")) }}, false)
            as has_refund,
        -- a refund in progress (1 partial, 11 full) or a dispute (维权, order_tags.is_feedback)
        f.refund_state in ('1', '11') or coalesce(f.is_feedback = 'true', false)
            or coalesce({{ list_any(list_map('f.line_refund_states', 'x', "x in ('1', '11')")) }}, false)
            as has_open_after_sale,

        -- presale: deposit-presale tag, an item with pre_sale_type 1 / is_pre_sale 1, or phases
        coalesce(f.is_down_payment_pre = 'true', false)
            or coalesce({{ list_any(list_map('f.line_pre_sale_types', 'x', "x = '1'")) }}, false)
            or coalesce({{ list_any(list_map('f.line_is_pre_sale', 'x', "x = '1'")) }}, false)
            or coalesce({{ list_size('f.phases') }} > 0, false) as is_presale,
        -- phase real_price: fen by default (var youzan_phase_amount_unit)
        {{ youzan_amount('f.deposit_phase.real_price', 'youzan_phase_amount_unit') }} as deposit_amount,
        {{ youzan_amount('f.balance_phase.real_price', 'youzan_phase_amount_unit') }} as balance_amount,
        -- a phase is paid when it carries a payment transaction; the balance also when the status is past payment
        {%- set balance_paid -%}
        (coalesce(f.balance_phase.inner_transaction_no, '') <> '' or coalesce(f.balance_phase.outer_transaction_no, '') <> ''
         or f.status in ('TRADE_PAID', 'WAIT_CONFIRM', 'WAIT_SELLER_SEND_GOODS', 'WAIT_BUYER_CONFIRM_GOODS', 'TRADE_SUCCESS'))
        {%- endset %}
        {%- set deposit_paid -%}
        (coalesce(f.deposit_phase.inner_transaction_no, '') <> '' or coalesce(f.deposit_phase.outer_transaction_no, '') <> ''
         or {{ balance_paid }})
        {%- endset %}
        {{ deposit_paid }} as deposit_paid,
        {{ balance_paid }} as balance_paid,
        -- phases carry no payment time: order pay_time is read as the latest payment (unconfirmed, see docs)
        case when {{ balance_paid }} then {{ youzan_time('f.pay_time') }} end as balance_paid_at,
        case when {{ deposit_paid }} and not {{ balance_paid }} then {{ youzan_time('f.pay_time') }} end as deposit_paid_at,

        -- Youzan sends no currency (CNY storefronts): the connection's or channel's default applies
        cast(null as {{ text_type() }}) as currency,
        f.delivery_province as receiver_province,
        f.delivery_city as receiver_city,
        -- masks only: a value without '*' would be plaintext, which never reaches a canonical column
        case when f.receiver_tel like '%*%' then f.receiver_tel end as receiver_phone_masked,
        case when f.receiver_name like '%*%' then f.receiver_name end as receiver_name_masked,
        case when f.buyer_key like 'sha256:%' then f.buyer_key end as customer_key,
        -- trades.sold.get carries no waybills (logistics APIs do): none here
        cast(null as {{ list_type(text_type()) }}) as tracking_numbers,
        false as is_test,

        -- rule D3: why this version cannot be made canonical (NULL when it can)
        case
            when f.tid is null or not {{ full_match('f.tid', "'[A-Za-z0-9]{1,64}'") }} then 'missing or malformed tid'
            when f.kdt_id is null or not {{ full_match('f.kdt_id', "'[0-9]{1,32}'") }} then 'missing or malformed kdt_id'
            when {{ youzan_time('f.created') }} is null then 'missing or unparseable created'
            when {{ youzan_time('f.update_time') }} is null then 'missing or unparseable update_time'
            {%- for field in ['pay_time', 'consign_time', 'success_time', 'delivery_end_time'] %}
            when {{ youzan_time_is_invalid('f.' ~ field) }} then 'unparseable {{ field }}'
            {%- endfor %}
            {%- for field in ['payment', 'post_fee'] %}
            when {{ youzan_amount_is_invalid('f.' ~ field) }} then 'non-numeric {{ field }}'
            {%- endfor %}
            when f.payment is null then 'missing payment'
            when coalesce({{ list_size('f.line_prices') }}, 0) = 0 then 'no order lines'
            when {{ list_any(list_map('f.line_prices', 'x', 'x is null or ' ~ youzan_amount_is_invalid('x'))) }}
                then 'missing or non-numeric line price'
            when {{ list_any(list_map('f.line_nums', 'x', text_to_integer('x') ~ ' is null or ' ~ text_to_integer('x') ~ ' < 0')) }}
                then 'missing or non-integer line num'
            when coalesce({{ list_any(list_map('f.line_payments', 'x', youzan_amount_is_invalid('x'))) }}, false)
                then 'non-numeric line payment'
            when {{ youzan_amount_is_invalid('f.deposit_phase.real_price', 'youzan_phase_amount_unit') }}
                or {{ youzan_amount_is_invalid('f.balance_phase.real_price', 'youzan_phase_amount_unit') }}
                then 'non-numeric phase real_price'
        end as quarantine_reason
    from phased as f
)

select * from typed
