{#- Douyin after-sales (afterSale/List) as refunds, to the after-sale staging contract (docs/channels/douyin.md
    "After-sales"): one row per after-sale in its latest version by its own `update_time`, ties by sync time
    (rule D1). Exchanges, resends and repairs (aftersale_type 3, 7, 8) move no money and are left out. Amounts are
    integer fen, times epoch seconds. -#}
{#- Incremental by after-sale: every version of an after-sale with a version in the landing window is re-staged
    (restage_all_versions), so the latest one is chosen among all of them; the row an earlier version gave is
    removed first (pre_hook, by raw version: an after-sale without an id is kept too, quarantined). -#}
{{ config(restage_all_versions=true, pre_hook="{{ delete_restaged_versions([('douyin', 'after_sales')]) }}") }}

{%- set shape = {
    "shop_id": "VARCHAR", "aftersale_id": "VARCHAR",
    "aftersale_info": {
        "aftersale_id": "VARCHAR", "aftersale_order_type": "VARCHAR", "aftersale_type": "VARCHAR",
        "aftersale_status": "VARCHAR", "refund_status": "VARCHAR", "related_id": "VARCHAR",
        "apply_time": "VARCHAR", "update_time": "VARCHAR", "refund_amount": "VARCHAR", "refund_post_amount": "VARCHAR",
        "return_logistics_code": "VARCHAR", "return_logistics_company_name": "VARCHAR",
        "reason_second_labels": [{"code": "VARCHAR", "name": "VARCHAR"}]
    },
    "order_info": {"shop_order_id": "VARCHAR"},
    "text_part": {"reason_text": "VARCHAR"}
} %}

with parsed as (
    {{ parsed_records('douyin', 'after_sales', shape) }}
),

versions as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.shop_id,
        coalesce(r.aftersale_info.aftersale_id, r.aftersale_id) as aftersale_id,
        r.aftersale_info.aftersale_order_type as order_type,
        r.aftersale_info.aftersale_type as aftersale_type,
        r.aftersale_info.aftersale_status as aftersale_status,
        r.aftersale_info.refund_status as refund_status,
        r.aftersale_info.related_id as related_id,
        r.order_info.shop_order_id as shop_order_id,
        r.aftersale_info.apply_time as apply_time,
        r.aftersale_info.update_time as update_time,
        r.aftersale_info.refund_amount as goods_fen,
        r.aftersale_info.refund_post_amount as post_fen,
        nullif(trim(r.aftersale_info.return_logistics_code), '') as return_tracking_number,
        nullif(trim(r.aftersale_info.return_logistics_company_name), '') as return_carrier,
        {{ list_at('r.aftersale_info.reason_second_labels', 1) }}.code as reason_label_code,
        {{ list_at('r.aftersale_info.reason_second_labels', 1) }}.name as reason_label_name,
        nullif(trim(r.text_part.reason_text), '') as reason_text,
        {{ latest_version_rank("r.shop_id, coalesce(r.aftersale_info.aftersale_id, r.aftersale_id)", to_utc('r.aftersale_info.update_time', 'epoch_s')) }} as version_rank
    from parsed
),

mapped as (
    select
        v.*,
        -- aftersale_type: 2 refund before shipment, 1 refund only after shipment, 6 price protection (money back,
        -- no goods), 0 return and refund
        case v.aftersale_type
            when '3' then 'exchange'  -- exchanges, resends, repairs: no money back (left out, counted: macros/refunds.sql)
            when '7' then 'exchange'
            when '8' then 'exchange'
            when '2' then 'cancel_refund'
            when '1' then 'refund_only'
            when '6' then 'refund_only'
            when '0' then 'return_and_refund'
        end as refund_type,
        -- money went back (refund_status 3) before anything else; then the after-sale's own state
        case
            when v.refund_status = '3' then 'refunded'
            when v.aftersale_status in ('27', '29') then 'rejected'
            when v.aftersale_status = '28' then 'cancelled'
            when v.aftersale_status in ('7', '8', '11', '12') then 'approved'
            when v.aftersale_status = '6' then 'requested'
        end as status,
        case when v.order_type = '2' then coalesce(v.shop_order_id, v.related_id) else v.shop_order_id end as order_id,
        {{ minor_units_to_amount('v.goods_fen') }} + coalesce({{ minor_units_to_amount('v.post_fen') }}, 0) as amount
    from versions as v
    where v.version_rank = 1
)

select
    m._record_hash as raw_record_id,
    m._connection as connection_name,
    m._synced_at as source_synced_at,
    'douyin' as channel,
    m.shop_id,
    m.aftersale_id as refund_id,
    m._record_hash as after_sale_record_id,  -- the record is the refund (docs/refunds.md)
    m.order_id as channel_order_id,
    -- a shop-order after-sale (aftersale_order_type 2) covers the whole order; else related_id is the sku order
    case when m.order_type = '2' then null else m.related_id end as channel_line_id,
    m.refund_type,
    m.status,
    m.aftersale_status || '/' || coalesce(m.refund_status, '') as status_native,
    m.amount::{{ money_type() }} as refund_amount,
    coalesce(sh.currency, c.default_currency) as currency,
    {{ to_utc('m.apply_time', 'epoch_s') }} as requested_at,
    -- the list has no refund time: a refunded after-sale's last update is when the refund succeeded
    case when m.status = 'refunded' then {{ to_utc('m.update_time', 'epoch_s') }} end as refunded_at,
    {{ to_utc('m.update_time', 'epoch_s') }} as source_updated_at,
    m.reason_label_code as reason_code,
    coalesce(m.reason_text, m.reason_label_name) as reason_text,
    m.return_tracking_number,
    m.return_carrier,
    cast(null as {{ instant_type() }}) as return_received_at,
    cast(null as boolean) as is_restocked,
    -- rule D3: why this after-sale cannot be counted (NULL when it can)
    case
        when m.aftersale_id is null or not {{ full_match('m.aftersale_id', "'[0-9]{1,32}'") }} then 'missing or malformed aftersale_id'
        when m.shop_id is null or not {{ full_match('m.shop_id', "'[0-9]{1,32}'") }} then 'missing or malformed shop_id'
        when m.order_id is null or not {{ full_match('m.order_id', "'[0-9]{1,32}'") }} then 'missing or malformed order_info.shop_order_id'
        when m.refund_type is null then 'unknown aftersale_type'
        when m.status is null then 'unknown aftersale_status'
        when {{ to_utc('m.apply_time', 'epoch_s') }} is null then 'missing or unparseable apply_time'
        when {{ to_utc('m.update_time', 'epoch_s') }} is null then 'missing or unparseable update_time'
        when {{ amount_is_invalid('m.goods_fen') }} or m.goods_fen is null then 'missing or non-numeric refund_amount'
        when {{ amount_is_invalid('m.post_fen') }} then 'non-numeric refund_post_amount'
    end as quarantine_reason
from mapped as m
left join {{ ref('channels') }} as c on c.channel = 'douyin'
left join ({{ shop_settings() }}) as sh on sh.channel = 'douyin' and sh.shop_id = m.shop_id
