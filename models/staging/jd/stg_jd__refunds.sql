{#- JD's after-sale records to the after-sale staging contract (docs/refunds.md), one row per record in its latest
    version (rule D1, applied by the two models it reads):
      - refund applications (stg_jd__refund_applies): cancel-order refunds before shipment → `cancel_refund`;
      - after-sale services (stg_jd__service_refunds): refunds after shipment → `return_and_refund` when the service
        says goods come back (`customerExpect` in var jd_after_sale_return_expects, default ['10'] 退货), else
        `refund_only`; exchanges (var jd_after_sale_exchange_expects, default ['20'] 换货) move no money and are
        left out (docs/channels/jd.md "After-sale records as refunds").
    JD's lists carry no return waybill (jingdong.asc.freight.view, not read), no receipt or restock: those columns
    are NULL. -#}
{#- Incremental (docs/incremental.md "Staging"), like the two models it reads: the rows of a record with a new version
    are removed first (pre_hook) and its latest version staged again; a service's line comes from its order's current
    version, so the services of an order with a version landed are re-staged too. -#}
{{ config(pre_hook="{{ delete_restaged_versions([('jd', 'refund_applies'), ('jd', 'service_refunds')]) }}") }}

{%- set refunded_applications = var('jd_refund_apply_refunded_statuses', ['1', '3', '5', '6', '7', '9']) | map('string') | list %}
{%- set open_applications = var('jd_refund_apply_open_statuses', ['0']) | map('string') | list %}
{%- set return_expects = var('jd_after_sale_return_expects', ['10']) | map('string') | list %}
{%- set exchange_expects = var('jd_after_sale_exchange_expects', ['20']) | map('string') | list %}

with scoped_services as (
    select * from {{ ref('stg_jd__service_refunds') }} as s
    {%- if is_incremental() %}
    -- incremental: the services with a version landed, and those of an order with a version landed
    where s.raw_record_id in ({{ restaged_versions('jd', 'service_refunds') }})
       or exists (select 1 from {{ ref('stg_jd__orders') }} as o
                  where o.raw_record_id in ({{ landed_hashes('jd', 'orders') }})
                    and o.shop_id = s.shop_id and o.channel_order_id = s.channel_order_id)
    {%- endif %}
),

current_versions as (
    -- each order's current version (latest modified, then sync: rule D1)
    select raw_record_id from (
        select raw_record_id, row_number() over (
            partition by shop_id, channel_order_id order by source_updated_at desc, source_synced_at desc, raw_record_id
        ) as version_rank
        from {{ ref('stg_jd__orders') }}
        where quarantine_reason is null
        {%- if is_incremental() %}
          and channel_order_id in (select channel_order_id from scoped_services)
        {%- endif %}
    ) as ranked
    where version_rank = 1
),

current_items as (
    -- a service names a ware (wareId, the product), an order item carries skuId and wareId: the item's wareId is
    -- read here for the current versions only (stg_jd__order_lines keeps the orders' shared line columns)
    select _record_hash, item.wareId as ware_id, line_number
    from (
        select
            _record_hash,
            {{ unnest_with_index(parse_json_shape('_record', {"itemInfoList": [{"wareId": "VARCHAR"}]}) ~ '.itemInfoList', 'line_number', 'item') }}
        from ({{ raw_records('jd', 'orders', all_versions=true) }}) as raw
        where _record_hash in (select raw_record_id from current_versions)
    ) as items
),

current_lines as (
    -- the line of each ware in its order's current version; a ware on two lines (two SKUs) names no one line
    select l.shop_id, l.channel_order_id, i.ware_id, min(l.channel_line_id) as channel_line_id
    from current_items as i
    inner join {{ ref('stg_jd__order_lines') }} as l
        on l.raw_record_id = i._record_hash and l.line_number = i.line_number
    where i.ware_id is not null
    group by l.shop_id, l.channel_order_id, i.ware_id
    having count(*) = 1
),

applications as (
    select
        a.raw_record_id,
        a.connection_name,
        a.source_synced_at,
        a.channel,
        a.shop_id,
        a.application_id as refund_id,
        a.raw_record_id as after_sale_record_id,
        a.channel_order_id,
        -- an application cancels the whole order
        cast(null as {{ text_type() }}) as channel_line_id,
        'cancel_refund' as refund_type,
        case
            when a.status_native in ('{{ refunded_applications | join("','") }}') then 'refunded'
            when a.status_native in ('{{ open_applications | join("','") }}') then 'requested'
            -- 2 rejected by the shop, 4 by JD finance, 8 interception failed
            else 'rejected'
        end as status,
        a.status_native,
        -- applyRefundSum: applied for; approval is the refund (the list has no money-arrival time)
        a.refund_amount,
        cast(null as {{ text_type() }}) as currency,
        a.applied_at as requested_at,
        case when a.status_native in ('{{ refunded_applications | join("','") }}') then a.reviewed_at end as refunded_at,
        a.source_updated_at,
        cast(null as {{ text_type() }}) as reason_code,
        -- `reason`: the reason the buyer picked from JD's list (a label, never typed text)
        nullif(trim(a.reason), '') as reason_text,
        a.quarantine_reason
    from {{ ref('stg_jd__refund_applies') }} as a
    {%- if is_incremental() %}
    -- incremental: the applications with a version landed (nothing else changes one)
    where a.raw_record_id in ({{ restaged_versions('jd', 'refund_applies') }})
    {%- endif %}
),

services as (
    select
        s.raw_record_id,
        s.connection_name,
        s.source_synced_at,
        s.channel,
        s.shop_id,
        s.service_id as refund_id,
        s.raw_record_id as after_sale_record_id,
        s.channel_order_id,
        -- a service is for one ware: its line in the order's current version
        cl.channel_line_id,
        case
            -- an exchange swaps goods and moves no money: left out of the facts, counted (macros/refunds.sql)
            when s.customer_expect in ('{{ exchange_expects | join("','") }}') then 'exchange'
            when s.customer_expect in ('{{ return_expects | join("','") }}') then 'return_and_refund'
            else 'refund_only'
        end as refund_type,
        case
            when s.is_refunded then 'refunded'
            when not s.is_open then 'rejected'
            when s.reviewed_at is not null then 'approved'
            else 'requested'
        end as status,
        s.status_native,
        -- refoundAmount: the actual refund, NULL until refunded (the list has no amount applied for)
        s.refund_amount,
        cast(null as {{ text_type() }}) as currency,
        s.applied_at as requested_at,
        case when s.is_refunded then s.refunded_at end as refunded_at,
        s.source_updated_at,
        cast(null as {{ text_type() }}) as reason_code,
        -- applyReason: JD's reason label; questionDesc (the buyer's own words) is nulled by the tap and never read
        nullif(trim(s.apply_reason), '') as reason_text,
        s.quarantine_reason
    from scoped_services as s
    left join current_lines as cl
        on cl.shop_id = s.shop_id and cl.channel_order_id = s.channel_order_id and cl.ware_id = s.ware_id
)

{#- JD's lists carry no return parcel, receipt or restock (see above): those contract columns are NULL -#}
{%- set columns = refund_contract_columns() %}
{%- set absent = {'return_tracking_number': text_type(), 'return_carrier': text_type(), 'return_received_at': instant_type(),
                  'is_restocked': 'boolean'} %}
{%- for part in ['applications', 'services'] %}
select
    {%- for column in columns %}
    {% if column in absent %}cast(null as {{ absent[column] }}) as {{ column }}{% else %}{{ column }}{% endif %}{{ "," if not loop.last }}
    {%- endfor %}
from {{ part }}
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
