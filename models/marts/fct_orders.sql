-- One row per order as the buyer placed it on one channel: grain (channel, shop_id, channel_order_id),
-- at its latest version (rules D1/D2). Status and flags come per version from int_orders__versions.
-- Incremental: the orders in int_orders__affected (changed, or their ERP match may have) are replaced.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='order_key',
          on_schema_change='fail') }}

with orders as (
    select * from {{ ref('int_orders__current') }}
    where {{ in_scope('order_key', 'int_orders__affected') }}
),

channels as (
    select * from {{ ref('channels') }}
),

shops as (
    {{ shop_settings() }}
),

cancellations as (
    -- the platform's cancel time, else the first version observed cancelled (DECISIONS D-009, D-033)
    {{ order_cancellations(scoped_versions('int_orders__affected')) }}
),

located as (
    select
        o.*,
        -- rule A4: the payload's currency, else the connection's, else the channel's
        coalesce(o.currency, sh.currency, c.default_currency) as order_currency,
        coalesce(sh.timezone, c.source_timezone, {{ reporting_timezone() }}) as shop_timezone,
        {{ local_date('o.ordered_at', reporting_timezone()) }} as order_business_date
    from orders as o
    left join channels as c on c.channel = o.channel
    left join shops as sh on sh.channel = o.channel and sh.shop_id = o.shop_id
),

refund_records as (
    -- the order's after-sale records (fct_refunds): where any was refunded they win over the order payload's
    -- refund figure (docs/refunds.md, DECISIONS "after-sale records win")
    select
        order_key,
        coalesce(sum(refund_amount) filter (where status = 'refunded'), 0) as refunded_amount,
        bool_or(status = 'refunded') as any_refunded,
        bool_or(status in ('requested', 'approved')) as any_open
    from {{ ref('fct_refunds') }}
    where {{ in_scope('order_key', 'int_orders__affected') }}
    group by order_key
),

converted as (
    select
        l.*,
        {{ to_reporting_currency('l.paid_amount', 'l.order_currency', 'fx.rate') }} as paid_amount_in_reporting
    from located as l
    {{ join_fx_rate('l', 'order_currency', 'order_business_date', ref('fx_rates')) }}
)

select
    -- identity
    f.order_key::{{ text_type() }} as order_key,
    f.channel::{{ text_type() }} as channel,
    f.shop_id::{{ text_type() }} as shop_id,
    f.channel_order_id::{{ text_type() }} as channel_order_id,
    (case when f.is_presale then 'presale' else 'normal' end)::{{ text_type() }} as order_type,
    m.erp_order_id::{{ text_type() }} as erp_order_id,

    -- customer (no plaintext personal data)
    f.customer_key::{{ text_type() }} as customer_key,
    f.receiver_province::{{ text_type() }} as receiver_province,
    f.receiver_city::{{ text_type() }} as receiver_city,
    f.receiver_phone_masked::{{ text_type() }} as receiver_phone_masked,
    f.receiver_name_masked::{{ text_type() }} as receiver_name_masked,

    -- money
    f.order_currency::{{ text_type() }} as currency,
    f.goods_amount::{{ money_type() }} as goods_amount,
    f.shop_discount_amount::{{ money_type() }} as shop_discount_amount,
    f.platform_discount_amount::{{ money_type() }} as platform_discount_amount,
    f.freight_amount::{{ money_type() }} as freight_amount,
    f.tax_amount::{{ money_type() }} as tax_amount,
    f.paid_amount::{{ money_type() }} as paid_amount,
    cast(null as {{ money_type() }}) as platform_commission_amount,
    -- rule A3: never more than paid
    (case when rr.any_refunded then least(rr.refunded_amount, f.paid_amount) else f.refund_amount end)::{{ money_type() }}
        as refund_amount,
    f.deposit_amount::{{ money_type() }} as deposit_amount,
    f.balance_amount::{{ money_type() }} as balance_amount,
    f.paid_amount_in_reporting::{{ money_type() }} as paid_amount_reporting,

    -- time (UTC instants)
    f.ordered_at::{{ instant_type() }} as ordered_at,
    f.paid_at::{{ instant_type() }} as paid_at,
    f.deposit_paid_at_utc::{{ instant_type() }} as deposit_paid_at,
    f.shipped_at::{{ instant_type() }} as shipped_at,
    -- the channel's delivery time, else the carrier's once every parcel of the order is signed for (docs/logistics.md)
    cast(coalesce(f.delivered_at, pc.carrier_delivered_at) as {{ instant_type() }}) as delivered_at,
    cast(case when f.delivered_at is not null then 'channel' when pc.carrier_delivered_at is not null then 'carrier' end
         as {{ text_type() }}) as delivered_at_source,
    f.completed_at::{{ instant_type() }} as completed_at,
    (case when f.is_cancelled then coalesce(x.cancelled_at, f.source_updated_at) end)::{{ instant_type() }} as cancelled_at,
    (case when f.is_cancelled then coalesce(x.cancelled_at_source, 'observed') end)::{{ text_type() }} as cancelled_at_source,
    f.promised_ship_by::{{ instant_type() }} as promised_ship_by,
    f.promised_delivery_by::{{ instant_type() }} as promised_delivery_by,
    f.source_updated_at::{{ instant_type() }} as source_updated_at,
    f.order_business_date as business_date,
    {{ local_date('f.ordered_at', 'f.shop_timezone') }} as shop_local_date,

    -- state
    f.status::{{ text_type() }} as status,
    f.status_native::{{ text_type() }} as status_native,
    f.is_paid::boolean as is_paid,
    f.is_cancelled::boolean as is_cancelled,
    f.is_shipped::boolean as is_shipped,
    f.is_delivered::boolean as is_delivered,
    (f.is_refunded or coalesce(rr.any_refunded, false))::boolean as is_refunded,
    (f.has_open_after_sale or coalesce(rr.any_open, false))::boolean as has_open_after_sale,
    f.is_presale::boolean as is_presale,
    f.is_test::boolean as is_test,
    f.is_valid::boolean as is_valid,
    f.quality_flags::{{ list_type(text_type()) }} as quality_flags,

    -- lineage
    f.source_system::{{ text_type() }} as source_system,
    f.source_synced_at::{{ instant_type() }} as source_synced_at,
    f.raw_record_id::{{ text_type() }} as raw_record_id
from converted as f
left join cancellations as x on x.order_key = f.order_key
left join {{ ref('int_orders__erp_matches') }} as m on m.order_key = f.order_key
left join refund_records as rr on rr.order_key = f.order_key
left join {{ ref('int_orders__parcels') }} as pc on pc.order_key = f.order_key
