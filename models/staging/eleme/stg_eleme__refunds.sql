{#- Ele.me partial refunds, on the after-sale staging contract (docs/refunds.md): one row per partial-refund record in
    its latest version (rule D1: its `update_time`, ties by landing). Ele.me retail documents no after-sale list by
    time: the records are the refund query (`order.partrefund.get`) the tap attaches to each order it reads, so they
    come from the orders raw stream (docs/channels/eleme.md "After-sales"). A paid order cancelled whole is refunded
    in the order's own `refund_amount` (no refund record is sent for it). Fields: macros/eleme/refunds.sql. -#}
{#- Incremental (docs/incremental.md "Staging"): the records live in their order's versions, so every version of
    an order with a version landed is re-read (restage_all_versions: its records' latest versions are chosen from
    all of them), and the rows those versions showed before are removed first (pre_hook). -#}
{{ config(restage_all_versions=true, pre_hook="{{ delete_restaged_versions([('eleme', 'orders')]) }}") }}

with raw as (
    {{ raw_records('eleme', 'orders') }}
),

parsed as (
    select _record_hash, _connection, _synced_at, {{ parse_json_record('_record', eleme_part_refund_shape()) }} as r
    from raw
),

records as (
    select _record_hash, _connection, _synced_at,
           r.{{ adapter.quote('order') }}.order_id as order_id,
           coalesce(r.shop.id, r.shop_id) as shop_id,
           {{ list_map(eleme_products('r.products'), 'p', eleme_sku('p')) }} as line_skus,
           {{ unnest_values('r.part_refunds') }} as f
    from parsed
    where {{ list_size('r.part_refunds') }} > 0
),

latest as (
    select *,
           {{ list_distinct_sorted(list_map(list_or_empty('f.products'), 'p', eleme_sku('p'))) }} as refund_skus
    from (
        select *,
               row_number() over (partition by shop_id, f.refund_id
                                  order by {{ to_utc('f.update_time', 'epoch_s') }} desc nulls last, _synced_at desc, _record_hash) as version_rank
        from records
    ) as ranked
    where version_rank = 1
)

select
    _record_hash as raw_record_id,
    _connection as connection_name,
    _synced_at as source_synced_at,
    'eleme' as channel,
    shop_id,
    f.refund_id,
    -- read from the order payload, not an after-sale stream: accounted with its order (docs/refunds.md)
    cast(null as {{ text_type() }}) as after_sale_record_id,
    order_id as channel_order_id,
    -- one product's refund: the order line it is booked on (stg_eleme__order_lines: the first line of that sku,
    -- keyed order:sku:position); several products: NULL
    case when {{ list_size('refund_skus') }} = 1 and {{ list_position_of('line_skus', list_at('refund_skus', 1)) }} is not null
         then order_id || ':' || {{ list_at('refund_skus', 1) }} || ':' || {{ list_position_of('line_skus', list_at('refund_skus', 1)) }} end
        as channel_line_id,
    -- partial refunds of a delivered order: nothing is sent back
    'refund_only' as refund_type,
    {{ eleme_refund_status('f.status') }} as status,
    f.status as status_native,
    -- refund_price: fen
    {{ minor_units_to_amount('f.refund_price') }} as refund_amount,
    'CNY' as currency,
    coalesce({{ to_utc('f.apply_time', 'epoch_s') }}, {{ to_utc('f.update_time', 'epoch_s') }}) as requested_at,
    case when {{ eleme_refund_status('f.status') }} = 'refunded' then {{ to_utc('f.update_time', 'epoch_s') }} end as refunded_at,
    {{ to_utc('f.update_time', 'epoch_s') }} as source_updated_at,
    cast(null as {{ text_type() }}) as reason_code,
    cast(null as {{ text_type() }}) as reason_text,
    cast(null as {{ text_type() }}) as return_tracking_number,
    cast(null as {{ text_type() }}) as return_carrier,
    cast(null as {{ instant_type() }}) as return_received_at,
    cast(null as boolean) as is_restocked,
    case
        when f.refund_id is null or trim(f.refund_id) = '' then 'missing refund_id'
        when order_id is null or order_id = '' then 'missing order.order_id'
        when shop_id is null or shop_id = '' then 'missing shop_id'
        when {{ eleme_refund_status('f.status') }} is null then 'unknown status'
        when f.refund_price is null or trim(f.refund_price) = '' then 'missing refund_price'
        when {{ amount_is_invalid('f.refund_price') }} then 'non-numeric refund_price'
        when {{ to_utc('f.update_time', 'epoch_s') }} is null then 'missing or unparseable update_time'
        when {{ time_is_invalid('f.apply_time', 'epoch_s') }} then 'unparseable apply_time'
    end as quarantine_reason
from latest
