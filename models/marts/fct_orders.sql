-- One row per order as the buyer placed it on one channel: grain (channel, shop_id, channel_order_id).

with orders as (
    select * from {{ ref('int_orders__current') }}
),

statuses as (
    select * from {{ ref('status_map') }}
),

channels as (
    select * from {{ ref('channels') }}
),

shops as (
    {{ shop_settings() }}
),

cancellations as (
    -- the first version observed cancelled: the platform's list carries no cancel time
    select v.order_key, min(v.source_updated_at) as cancelled_at
    from {{ ref('int_orders__versions') }} as v
    inner join statuses as s
        on s.channel = v.channel and s.native_code = v.status_native and s.is_cancelled
    group by v.order_key
),

flagged as (
    select
        o.*,
        s.status as mapped_status,
        coalesce(s.is_cancelled, false) as flag_cancelled,
        -- rule P1: a presale order with phases is paid only once the balance is paid too
        case
            when o.is_presale and (o.deposit_amount is not null or o.balance_amount is not null)
                then coalesce(o.deposit_paid and o.balance_paid, false)
            else o.first_paid_at is not null or coalesce(s.is_paid, false)
        end as flag_paid,
        o.shipped_at is not null or coalesce(s.is_shipped, false) as flag_shipped,
        o.delivered_at is not null or coalesce(s.is_delivered, false) as flag_delivered,
        o.completed_at is not null or coalesce(s.is_completed, false) as flag_completed,
        coalesce(sh.timezone, c.source_timezone, {{ reporting_timezone() }}) as shop_timezone,
        coalesce(sh.currency, o.currency, c.default_currency) as order_currency
    from orders as o
    left join statuses as s on s.channel = o.channel and s.native_code = o.status_native
    left join channels as c on c.channel = o.channel
    left join shops as sh on sh.channel = o.channel and sh.shop_id = o.shop_id
)

select
    -- identity
    f.order_key::varchar as order_key,
    f.channel::varchar as channel,
    f.shop_id::varchar as shop_id,
    f.channel_order_id::varchar as channel_order_id,
    (case when f.is_presale then 'presale' else 'normal' end)::varchar as order_type,
    cast(null as varchar) as erp_order_id,

    -- customer (no plaintext personal data)
    f.customer_key::varchar as customer_key,
    f.receiver_province::varchar as receiver_province,
    f.receiver_city::varchar as receiver_city,
    f.receiver_phone_masked::varchar as receiver_phone_masked,
    f.receiver_name_masked::varchar as receiver_name_masked,

    -- money
    f.order_currency::varchar as currency,
    f.goods_amount::{{ money_type() }} as goods_amount,
    f.shop_discount_amount::{{ money_type() }} as shop_discount_amount,
    f.platform_discount_amount::{{ money_type() }} as platform_discount_amount,
    f.freight_amount::{{ money_type() }} as freight_amount,
    f.tax_amount::{{ money_type() }} as tax_amount,
    f.paid_amount::{{ money_type() }} as paid_amount,
    cast(null as {{ money_type() }}) as platform_commission_amount,
    f.refund_amount::{{ money_type() }} as refund_amount,
    f.deposit_amount::{{ money_type() }} as deposit_amount,
    f.balance_amount::{{ money_type() }} as balance_amount,
    -- rule A4 (v1): same-currency orders only; other currencies wait for the dated fx seed
    (case when f.order_currency = {{ reporting_currency() }} then f.paid_amount end)::{{ money_type() }}
        as paid_amount_reporting,

    -- time (UTC instants)
    f.ordered_at::timestamptz as ordered_at,
    (case
        when f.is_presale and (f.deposit_amount is not null or f.balance_amount is not null)
            then case when f.flag_paid then coalesce(f.balance_paid_at, f.first_paid_at) end
        else f.first_paid_at
    end)::timestamptz as paid_at,
    f.shipped_at::timestamptz as shipped_at,
    f.delivered_at::timestamptz as delivered_at,
    f.completed_at::timestamptz as completed_at,
    (case when f.flag_cancelled then coalesce(x.cancelled_at, f.source_updated_at) end)::timestamptz as cancelled_at,
    f.promised_ship_by::timestamptz as promised_ship_by,
    f.promised_delivery_by::timestamptz as promised_delivery_by,
    f.source_updated_at::timestamptz as source_updated_at,
    {{ local_date('f.ordered_at', reporting_timezone()) }} as business_date,
    {{ local_date('f.ordered_at', 'f.shop_timezone') }} as shop_local_date,

    -- state
    {{ lifecycle_status('f.mapped_status', 'f.flag_cancelled', 'f.flag_completed', 'f.flag_delivered',
                        'f.flag_shipped', 'f.flag_paid') }}::varchar as status,
    f.status_native::varchar as status_native,
    f.flag_paid::boolean as is_paid,
    f.flag_cancelled::boolean as is_cancelled,
    f.flag_shipped::boolean as is_shipped,
    f.flag_delivered::boolean as is_delivered,
    (f.has_refund or coalesce(f.refund_amount, 0) > 0)::boolean as is_refunded,
    f.has_open_after_sale::boolean as has_open_after_sale,
    f.is_presale::boolean as is_presale,
    f.is_test::boolean as is_test,
    (f.flag_paid and not f.flag_cancelled and not f.is_test)::boolean as is_valid,

    -- lineage
    f.source_system::varchar as source_system,
    f.source_synced_at::timestamptz as source_synced_at,
    f.raw_record_id::varchar as raw_record_id
from flagged as f
left join cancellations as x on x.order_key = f.order_key
