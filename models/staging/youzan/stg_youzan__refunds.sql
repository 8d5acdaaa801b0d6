{#- Youzan refunds (youzan.trade.refund.search) to the after-sale staging contract (docs/channels/youzan.md
    "Refunds"): one row per refund in its latest version by its own `modified`, ties by sync time (rule D1).
    Amounts are yuan; times naive text in the Youzan source zone (var youzan_source_timezone, as the orders). -#}
{#- Incremental (docs/incremental.md "Staging"): one row per refund, its latest version, so the rows of a refund
    with a new version are removed first (pre_hook); a refund only (no goods back) is a cancel-refund when its order
    had not shipped when it was applied for, which the order tells and which may land after the refund, so the
    refunds of an order with a version landed are re-staged too. -#}
{{ config(pre_hook="{{ delete_restaged_versions([('youzan', 'refunds')]) }}") }}

{%- set shape = {
    "kdt_id": "VARCHAR", "refund_id": "VARCHAR", "tid": "VARCHAR", "status": "VARCHAR", "return_goods": "VARCHAR",
    "reason": "VARCHAR", "refund_fee": "VARCHAR", "created": "VARCHAR", "modified": "VARCHAR"
} %}
{#- The SDK's reason codes (YouzanTradeRefundSearchResult): the platform's labels, never buyer text. -#}
{%- set reasons = {
    "11": "质量问题", "12": "拍错/多拍/不喜欢", "13": "商品描述不符", "14": "假货", "15": "商家发错货", "16": "商品破损/少件",
    "17": "其他", "51": "多买/买错/不想要", "52": "快递无记录", "53": "少货/空包裹", "54": "未按约定时间发货",
    "55": "快递一直未送达", "56": "其他", "101": "商品破损/少件", "102": "商家发错货", "103": "商品描述不符",
    "104": "拍错/多拍/不喜欢", "105": "质量问题", "107": "其他"
} %}

with parsed as (
    -- parsed_records, with a JSON-number refund_fee read as DuckDB writes it on Spark too (json_record_fields)
    select _record_hash, _connection, _synced_at, {{ json_record_fields('_record', shape) }} as r
    from ({{ raw_records('youzan', 'refunds', restage=restage_records_of_changed_orders('youzan', 'refunds', 'stg_youzan__orders')) }}) as landed
),

versions as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.*,
        {{ latest_version_rank('r.kdt_id, r.refund_id', youzan_time('r.modified')) }} as version_rank
    from parsed
),

-- when the order shipped, as its latest version says
shipments as (
    -- the latest version with a ship time (a version without one is passed over)
    select shop_id, channel_order_id, max_by(shipped_at, case when shipped_at is not null then source_updated_at end) as shipped_at
    from {{ ref('stg_youzan__orders') }}
    where channel_order_id in (select tid from versions)
    group by shop_id, channel_order_id
),

mapped as (
    select
        v.*,
        case
            when v.return_goods = 'true' then 'return_and_refund'
            when v.return_goods = 'false' and s.channel_order_id is not null
                 and (s.shipped_at is null or s.shipped_at > {{ youzan_time('v.created') }}) then 'cancel_refund'
            when v.return_goods = 'false' then 'refund_only'
        end as refund_type,
        case v.status
            when 'SUCCESS' then 'refunded'
            when 'SELLER_REFUSE_BUYER' then 'rejected'
            when 'CLOSED' then 'cancelled'
            when 'WAIT_BUYER_RETURN_GOODS' then 'approved'
            when 'WAIT_SELLER_CONFIRM_GOODS' then 'approved'
            when 'WAIT_SELLER_AGREE' then 'requested'
        end as canonical_status
    from versions as v
    left join shipments as s on s.shop_id = v.kdt_id and s.channel_order_id = v.tid
    where v.version_rank = 1
)

select
    m._record_hash as raw_record_id,
    m._connection as connection_name,
    m._synced_at as source_synced_at,
    'youzan' as channel,
    m.kdt_id as shop_id,
    m.refund_id,
    m._record_hash as after_sale_record_id,  -- the record is the refund (docs/refunds.md)
    m.tid as channel_order_id,
    -- the search result names no line (the refund detail API does)
    cast(null as {{ text_type() }}) as channel_line_id,
    m.refund_type,
    m.canonical_status as status,
    m.status as status_native,
    {{ major_units_to_amount('m.refund_fee') }} as refund_amount,
    coalesce(sh.currency, c.default_currency) as currency,
    {{ youzan_time('m.created') }} as requested_at,
    -- the search result has no refund time: a refund's last change once it succeeded is when it did
    case when m.canonical_status = 'refunded' then {{ youzan_time('m.modified') }} end as refunded_at,
    {{ youzan_time('m.modified') }} as source_updated_at,
    m.reason as reason_code,
    case m.reason
        {%- for code, label in reasons.items() %}
        when '{{ code }}' then '{{ label }}'
        {%- endfor %}
    end as reason_text,
    cast(null as {{ text_type() }}) as return_tracking_number,
    cast(null as {{ text_type() }}) as return_carrier,
    cast(null as {{ instant_type() }}) as return_received_at,
    cast(null as boolean) as is_restocked,
    -- rule D3: why this refund cannot be counted (NULL when it can)
    case
        when m.refund_id is null or m.refund_id = '' then 'missing refund_id'
        when m.kdt_id is null or not {{ full_match('m.kdt_id', "'[0-9]{1,32}'") }} then 'missing or malformed kdt_id'
        when m.tid is null or m.tid = '' then 'missing tid'
        when m.refund_type is null then 'unknown return_goods'
        when m.canonical_status is null then 'unknown status'
        when {{ youzan_time('m.created') }} is null then 'missing or unparseable created'
        when {{ youzan_time('m.modified') }} is null then 'missing or unparseable modified'
        when m.refund_fee is null or {{ amount_is_invalid('m.refund_fee', 'major') }} then 'missing or non-numeric refund_fee'
    end as quarantine_reason
from mapped as m
left join {{ ref('channels') }} as c on c.channel = 'youzan'
left join ({{ shop_settings() }}) as sh on sh.channel = 'youzan' and sh.shop_id = m.kdt_id
