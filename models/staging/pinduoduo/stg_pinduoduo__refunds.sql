{#- Pinduoduo after-sales (pdd.refund.list.increment.get) to the after-sale staging contract
    (docs/channels/pinduoduo.md "After-sales"): one row per after-sale in its latest version by its own
    `updated_time`, ties by sync time (rule D1). Exchanges, resends and repairs move no money and are left out.
    Amounts are yuan text; times naive Beijing text (the SDK's newer example writes epoch seconds as text: both read). -#}
{#- Incremental (docs/incremental.md "Staging"): one row per record, its latest version, so the rows of a record
    with a new version are removed first (pre_hook); the line and the refund type come from the order (its lines
    name the sku's line, its shipment tells a refund before shipment from one after), which may land after the
    after-sale, so the records of an order with a version landed are re-staged too. -#}
{{ config(pre_hook="{{ delete_restaged_versions([('pinduoduo', 'refunds')]) }}") }}

{%- set shape = {
    "shop_id": "VARCHAR", "id": "VARCHAR", "order_sn": "VARCHAR", "after_sales_type": "VARCHAR",
    "after_sales_status": "VARCHAR", "after_sale_reason": "VARCHAR", "created_time": "VARCHAR",
    "updated_time": "VARCHAR", "refund_amount": "VARCHAR", "sku_id": "VARCHAR", "tracking_number": "VARCHAR",
    "shipping_name": "VARCHAR"
} %}
{#- A time as the list writes it: naive Beijing text, or epoch seconds as text. -#}
{%- set pdd_time = {} %}
{%- for expr in ['r.updated_time', 'v.created_time', 'm.created_time', 'm.updated_time'] %}
{%- do pdd_time.update({expr: "coalesce(" ~ to_utc(expr, 'local') ~ ", " ~ to_utc(expr, 'epoch_s') ~ ")"}) %}
{%- endfor %}

with parsed as (
    {{ parsed_records('pinduoduo', 'refunds', shape,
                        restage=restage_records_of_changed_orders('pinduoduo', 'refunds', 'stg_pinduoduo__orders')) }}
),

versions as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.*,
        {{ latest_version_rank('r.shop_id, r.id', pdd_time['r.updated_time']) }} as version_rank
    from parsed
),

-- the sku's line in its order (a sku on two lines names no one line)
sku_lines as (
    select shop_id, channel_order_id, sku_id, min(channel_line_id) as channel_line_id
    from {{ ref('stg_pinduoduo__order_lines') }}
    where channel_order_id in (select order_sn from versions)
    group by shop_id, channel_order_id, sku_id
    having count(distinct channel_line_id) = 1
),

-- when the order shipped, as its latest version says
shipments as (
    select shop_id, channel_order_id, max_by(shipped_at, source_updated_at) as shipped_at
    from {{ ref('stg_pinduoduo__orders') }}
    where channel_order_id in (select order_sn from versions)
    group by shop_id, channel_order_id
),

mapped as (
    select
        v.*,
        l.channel_line_id,
        -- 3 return and refund; 2 refund only: before the order shipped (or it never did) a cancel-refund
        case
            -- exchanges and resends (types 4, 5; states 14–27 exchange, resend, repair): no money back (left out,
            -- counted: macros/refunds.sql)
            when v.after_sales_type in ('4', '5')
                 or coalesce({{ text_as_integer('v.after_sales_status') }} between 14 and 27, false) then 'exchange'
            when v.after_sales_type = '3' then 'return_and_refund'
            when v.after_sales_type = '2' and s.channel_order_id is not null
                 and (s.shipped_at is null or s.shipped_at > {{ pdd_time['v.created_time'] }}) then 'cancel_refund'
            when v.after_sales_type = '2' then 'refund_only'
        end as refund_type,
        case
            when v.after_sales_status = '10' then 'refunded'
            when v.after_sales_status in ('6', '9') then 'rejected'
            when v.after_sales_status in ('11', '12', '13') then 'cancelled'
            when v.after_sales_status in ('4', '5', '7', '31') then 'approved'
            when v.after_sales_status in ('2', '3', '8') then 'requested'
        end as canonical_status
    from versions as v
    left join sku_lines as l on l.shop_id = v.shop_id and l.channel_order_id = v.order_sn and l.sku_id = v.sku_id
    left join shipments as s on s.shop_id = v.shop_id and s.channel_order_id = v.order_sn
    where v.version_rank = 1
)

select
    m._record_hash as raw_record_id,
    m._connection as connection_name,
    m._synced_at as source_synced_at,
    'pinduoduo' as channel,
    m.shop_id,
    m.id as refund_id,
    m._record_hash as after_sale_record_id,  -- the record is the refund (docs/refunds.md)
    m.order_sn as channel_order_id,
    m.channel_line_id,
    m.refund_type,
    m.canonical_status as status,
    m.after_sales_status as status_native,
    {{ major_units_to_amount('m.refund_amount') }} as refund_amount,
    coalesce(sh.currency, c.default_currency) as currency,
    {{ pdd_time['m.created_time'] }} as requested_at,
    -- the list has no refund time: a refunded after-sale's last update is when the refund succeeded
    case when m.canonical_status = 'refunded' then {{ pdd_time['m.updated_time'] }} end as refunded_at,
    {{ pdd_time['m.updated_time'] }} as source_updated_at,
    cast(null as {{ text_type() }}) as reason_code,
    nullif(trim(m.after_sale_reason), '') as reason_text,
    nullif(trim(m.tracking_number), '') as return_tracking_number,
    nullif(trim(m.shipping_name), '') as return_carrier,
    cast(null as {{ instant_type() }}) as return_received_at,
    cast(null as boolean) as is_restocked,
    -- rule D3: why this after-sale cannot be counted (NULL when it can)
    case
        when m.id is null or not {{ full_match('m.id', "'[0-9]{1,32}'") }} then 'missing or malformed id'
        when m.shop_id is null or m.shop_id = '' then 'missing shop_id'
        when m.order_sn is null or not {{ full_match('m.order_sn', "'[0-9]{6}-[0-9]{6,30}'") }} then 'missing or malformed order_sn'
        when m.refund_type is null then 'unknown after_sales_type'
        when m.canonical_status is null and m.refund_type <> 'exchange' then 'unknown after_sales_status'
        when {{ pdd_time['m.created_time'] }} is null then 'missing or unparseable created_time'
        when {{ pdd_time['m.updated_time'] }} is null then 'missing or unparseable updated_time'
        when m.refund_amount is null or {{ amount_is_invalid('m.refund_amount', 'major') }} then 'missing or non-numeric refund_amount'
    end as quarantine_reason
from mapped as m
left join {{ ref('channels') }} as c on c.channel = 'pinduoduo'
left join ({{ shop_settings() }}) as sh on sh.channel = 'pinduoduo' and sh.shop_id = m.shop_id
