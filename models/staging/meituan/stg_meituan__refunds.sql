{#- Meituan refunds, on the after-sale staging contract (docs/refunds.md): one row per refund record in its latest
    version (rule D1: the record's own `utime`, ties by landing). Meituan documents no after-sale list by time: the
    records are the documented refund query (`ecommerce/order/getOrderRefundDetail`) the tap attaches to each order it
    reads, so they come from the orders raw stream (docs/channels/meituan.md "After-sales"). Food is not sent back:
    a refund is a cancellation refund or a refund only. Fields: macros/meituan/refunds.sql. -#}
{#- Incremental (docs/incremental.md "Staging"): the records live in their order's versions, so every version of
    an order with a version landed is re-read (restage_all_versions: its records' latest versions are chosen from
    all of them), and the rows those versions showed before are removed first (pre_hook). -#}
{{ config(restage_all_versions=true, pre_hook="{{ delete_restaged_versions([('meituan', 'orders')]) }}") }}

with raw as (
    {{ raw_records('meituan', 'orders') }}
),

parsed as (
    select _record_hash, _connection, _synced_at, {{ parse_json_record('_record', meituan_refund_record_shape()) }} as r
    from raw
),

records as (
    select _record_hash, _connection, _synced_at, r.wm_order_id_view, r.app_poi_code, r.status as order_status,
           {{ json_list_value('r.detail', meituan_line_shape()) }} as lines,
           {{ unnest_values('r.refund_records') }} as f
    from parsed
    where {{ list_size('r.refund_records') }} > 0
),

versions as (
    select *,
           row_number() over (partition by app_poi_code, f.refund_id
                              order by {{ to_utc('f.utime', 'epoch_s') }} desc nulls last, _synced_at desc, _record_hash) as version_rank
    from records
),

latest as (
    select *,
           {{ list_distinct_sorted(list_map(list_or_empty('f.wmAppRetailForOrderPartRefundList'), 'i',
               "coalesce(nullif(trim(i.sku_id), ''), i.app_food_code)")) }} as refund_skus,
           {{ list_map(list_or_empty('lines'), 'l', "coalesce(nullif(trim(l.sku_id), ''), l.app_food_code)") }} as line_skus
    from versions
    where version_rank = 1
)

select
    _record_hash as raw_record_id,
    _connection as connection_name,
    _synced_at as source_synced_at,
    'meituan' as channel,
    app_poi_code as shop_id,
    f.refund_id,
    -- read from the order payload, not an after-sale stream: accounted with its order (docs/refunds.md)
    cast(null as {{ text_type() }}) as after_sale_record_id,
    wm_order_id_view as channel_order_id,
    -- a partial refund of one sku: the order line it is booked on (stg_meituan__order_lines: the first line of that
    -- sku, keyed order:sku:position); a full refund or several skus: NULL
    case when f.refund_type = '2' and {{ list_size('refund_skus') }} = 1 and {{ list_position_of('line_skus', list_at('refund_skus', 1)) }} is not null
         then wm_order_id_view || ':' || {{ list_at('refund_skus', 1) }} || ':' || {{ list_position_of('line_skus', list_at('refund_skus', 1)) }} end
        as channel_line_id,
    -- the refund the order's cancellation brings (apply_type 1, or the order cancelled), else a refund only
    case when f.apply_type = '1' or order_status = '9' then 'cancel_refund' else 'refund_only' end as refund_type,
    {{ meituan_refund_status('f.res_type') }} as status,
    f.res_type as status_native,
    -- money: yuan, a JSON number
    {{ major_units_to_amount('f.money') }} as refund_amount,
    'CNY' as currency,
    {{ to_utc('f.ctime', 'epoch_s') }} as requested_at,
    case when {{ meituan_refund_status('f.res_type') }} = 'refunded' then {{ to_utc('f.utime', 'epoch_s') }} end as refunded_at,
    {{ to_utc('f.utime', 'epoch_s') }} as source_updated_at,
    -- apply_type (1 cancellation, 2 after delivery): the platform's code; apply_reason (buyer's words) is not read
    f.apply_type as reason_code,
    cast(null as {{ text_type() }}) as reason_text,
    cast(null as {{ text_type() }}) as return_tracking_number,
    cast(null as {{ text_type() }}) as return_carrier,
    cast(null as {{ instant_type() }}) as return_received_at,
    cast(null as boolean) as is_restocked,
    case
        when f.refund_id is null or not {{ full_match('f.refund_id', "'[0-9]{1,32}'") }} then 'missing or malformed refund_id'
        when wm_order_id_view is null or wm_order_id_view = '' then 'missing wm_order_id_view'
        when app_poi_code is null or app_poi_code = '' then 'missing app_poi_code'
        when {{ meituan_refund_status('f.res_type') }} is null then 'unknown res_type'
        when f.money is null or trim(f.money) = '' then 'missing money'
        when {{ amount_is_invalid('f.money', 'major') }} then 'non-numeric money'
        when {{ to_utc('f.ctime', 'epoch_s') }} is null then 'missing or unparseable ctime'
        when {{ to_utc('f.utime', 'epoch_s') }} is null then 'missing or unparseable utime'
    end as quarantine_reason
from latest
