{#- Shopify after-sales, on the after-sale staging contract (docs/refunds.md): one row per refund and one per
    Return no refund of its order settles (yet), each in its latest version (rule D1). Refunds are read from the orders raw
    stream (REST embeds `refunds[]` in the order: no call of their own); Returns come from the tap's `returns` stream
    (Admin GraphQL) and give a refund issued for them its parcel, reason and what happened to the goods. Platform facts
    and what is inferred: docs/channels/shopify.md "After-sales". Fields: macros/shopify/refunds.sql.
    Every Return (the `returns` stream, an after-sale stream gate R4 balances: D-066) is a row's
    `after_sale_record_id`: the refunds that settle it, or its own row (requested, open, declined, cancelled; closed
    without money: an `exchange`, left out; refunds its order does not show yet: quarantined). -#}
{#- Incremental by ORDER (docs/incremental.md "Staging", D-070). A refund's row comes from its order's latest version and
    a Return's from its own latest version, a Return settles refunds of its order only, and an open Return is valued
    from its order's lines: everything a row depends on belongs to one (shop_id, channel_order_id). So an order with a
    version landed, or with a version of one of its Returns landed (shopify_refund_orders()), loses all its rows first
    (pre_hook) and gets them again from every version of the order and of its Returns (latest per D1,
    return_received_at over all of a Return's versions). A Return whose order never landed keeps its row (quarantined
    or left out, as before). -#}
{{ config(pre_hook="{{ delete_rows_of_orders(shopify_refund_orders()) }}") }}
{%- set return_src = source('shopify', 'returns') %}

with
{%- if is_incremental() %}
-- incremental: the orders re-staged, and every version of each order and of each Return of theirs
order_scope as (
    {{ shopify_refund_orders() }}
),
{%- endif %}

order_rows as (
    {{ raw_records('shopify', 'orders', restage=restage_filter(source('shopify', 'orders'),
        also=order_in(json_array_text('_primary_key', 0), json_array_text('_primary_key', 1), 'order_scope'))) }}
),

return_rows as (
    {{ raw_records('shopify', 'returns', restage=restage_filter(return_src,
        also='_primary_key in (select _primary_key from ' ~ return_src ~ ' where '
             ~ order_in(json_field_text('_record', 'shop_id'), json_field_text('_record', 'order_id'), 'order_scope') ~ ')')) }}
),

shops as (
    {{ shop_settings() }}
),

-- the latest version of each order that has a refund (rule D1: latest updated_at, ties by landing)
orders as (
    select * from (
        select _record_hash, _connection, _synced_at, r,
               row_number() over (partition by r.shop_id, r.id
                                  order by {{ to_utc('r.updated_at', 'iso') }} desc nulls last, _synced_at desc, _record_hash) as version_rank
        from (select _record_hash, _connection, _synced_at, {{ json_record_fields('_record', shopify_order_refund_shape()) }} as r
              from order_rows) as parsed
    ) as ranked
    where version_rank = 1 and {{ list_size('r.refunds') }} > 0
),

returns_parsed as (
    select _record_hash, _connection, _synced_at, {{ json_record_fields('_record', shopify_return_shape()) }} as t
    from return_rows
),

{%- set recorded_dispositions = list_where(list_flatten(list_flatten(list_map('t.reverseFulfillmentOrders.nodes', 'o',
        list_map('o.lineItems.nodes', 'l', 'l.dispositions')))), 'd', 'd.type is not null') %}

return_versions as (
    select
        _record_hash, _connection, _synced_at, t,
        {{ recorded_dispositions }} as dispositions,
        -- the goods are back once a disposition is recorded: first seen so (Shopify sends no time: D-060)
        min(case when {{ list_size(recorded_dispositions) }} > 0
                 then {{ to_utc('t.updated_at', 'iso') }} end) over (partition by t.shop_id, t.id) as first_seen_received_at,
        row_number() over (partition by t.shop_id, t.id
                           order by {{ to_utc('t.updated_at', 'iso') }} desc nulls last, _synced_at desc, _record_hash) as version_rank
    from returns_parsed
),

returns as (
    select
        r.*,
        {{ list_map('t.refunds.nodes', 'f', "regexp_extract(f.id, '[0-9]+$', 0)") }} as refund_ids,
        {{ list_distinct_sorted(list_map('t.returnLineItems.nodes', 'l', "regexp_extract(l.fulfillmentLineItem.lineItem.id, '[0-9]+$', 0)")) }} as line_ids,
        {{ list_join(list_distinct_sorted(list_map('t.returnLineItems.nodes', 'l', 'l.returnReason')), "','") }} as reasons,
        {{ list_flatten(list_map('t.reverseFulfillmentOrders.nodes', 'o',
            list_map('o.reverseDeliveries.nodes', 'd', 'd.deliverable.tracking'))) }} as parcels
    from return_versions as r
    where version_rank = 1
    {%- if is_incremental() %}
      -- a Return re-read because an earlier version named a re-staged order stays with the order it names now
      and {{ order_in('r.t.shop_id', 'r.t.order_id', 'order_scope') }}
    {%- endif %}
),

refunds as (
    select
        o._record_hash, o._connection, o._synced_at,
        o.r.shop_id, o.r.id as order_id, o.r.currency, o.r.cancelled_at,
        coalesce(o.r.total_price_set.shop_money.amount, o.r.total_price) as total_price,
        o.r.total_price_set.presentment_money.amount as total_price_presentment,
        {{ unnest_values('o.r.refunds') }} as f
    from orders as o
),

refund_rows as (
    select
        f.*,
        {{ list_where('f.f.transactions', 'x', "x.kind = 'refund'") }} as money_moves,
        {{ list_distinct_sorted(list_map('f.f.refund_line_items', 'l', 'l.line_item_id')) }} as line_ids,
        {{ list_map('f.f.refund_line_items', 'l', 'l.restock_type') }} as restock_types
    from refunds as f
),

refund_typed as (
    select
        r.*,
        case
            when {{ list_any(list_map('r.money_moves', 'x', "x.status = 'success'")) }} then 'success'
            when {{ list_any(list_map('r.money_moves', 'x', "x.status = 'pending'")) }} then 'pending'
            when {{ list_size('r.money_moves') }} > 0 then 'failed'
            else 'none'
        end as outcome
    from refund_rows as r
),

refund_facts as (
    select
        r._record_hash as raw_record_id,
        r._connection as connection_name,
        r._synced_at as source_synced_at,
        r.shop_id,
        r.f.id as refund_id,
        -- the Return this refund settles (its latest raw row); NULL for a refund without one: accounted with its order
        t._record_hash as after_sale_record_id,
        r.order_id as channel_order_id,
        case when {{ list_size('r.line_ids') }} = 1 then {{ list_at('r.line_ids', 1) }} end as channel_line_id,
        case
            when t.id is not null or {{ list_has('r.restock_types', "'return'") }} then 'return_and_refund'
            when {{ list_has('r.restock_types', "'cancel'") }} or r.cancelled_at is not null and r.cancelled_at <> '' then 'cancel_refund'
            else 'refund_only'
        end as refund_type,
        case r.outcome when 'success' then 'refunded' when 'pending' then 'approved' when 'failed' then 'cancelled' else 'refunded' end as status,
        -- the platform's own statuses: the refund transactions' (Shopify's refund has none of its own)
        nullif({{ list_join(list_distinct_sorted(list_map('r.money_moves', 'x', 'x.status')), "','") }}, '') as status_native,
        -- money that went back (or is on its way, or was attempted), in the shop currency (macros/shopify/refunds.sql)
        ({{ shopify_refund_shop_money(
                list_where('r.money_moves', 'x', "x.status = case r.outcome when 'failed' then x.status else r.outcome end"),
                'r.currency', 'r.total_price', 'r.total_price_presentment') }})::{{ money_type() }} as refund_amount,
        coalesce(upper(trim(r.currency)), nullif(sh.currency, '')) as currency,
        {{ to_utc('r.f.created_at', 'iso') }} as requested_at,
        -- a successful transaction's time; a transaction without one (or a refund moving no money) takes the
        -- refund's own processed_at / created_at: the money went back when the refund was made
        case
            when r.outcome = 'success' then coalesce(
                {{ list_max_of('r.money_moves', 'x', to_utc('coalesce(x.processed_at, x.created_at)', 'iso'), "x.status = 'success'") }},
                {{ to_utc('coalesce(r.f.processed_at, r.f.created_at)', 'iso') }})
            when r.outcome = 'none' then {{ to_utc('coalesce(r.f.processed_at, r.f.created_at)', 'iso') }}
        end as refunded_at,
        greatest({{ to_utc('r.f.created_at', 'iso') }}, {{ to_utc('r.f.processed_at', 'iso') }},
                 {{ list_max_of('r.money_moves', 'x', to_utc('coalesce(x.processed_at, x.created_at)', 'iso')) }}) as source_updated_at,
        nullif(t.reasons, '') as reason_code,
        {{ list_at('t.parcels', 1) }}.number as return_tracking_number,
        {{ list_at('t.parcels', 1) }}.carrierName as return_carrier,
        t.first_seen_received_at as return_received_at,
        case
            when {{ list_size('t.dispositions') }} > 0 then {{ list_any(list_map('t.dispositions', 'd', "d.type = 'RESTOCKED'")) }}
            when {{ list_size(list_where('r.restock_types', 'x', 'x is not null')) }} > 0
                then {{ list_any(list_map('r.restock_types', 'x', "x in ('return', 'cancel', 'legacy_restock')")) }}
            else {{ text_to_boolean('r.f.restock') }}
        end as is_restocked,
        case
            when r.f.id is null or not {{ full_match('r.f.id', "'[0-9]{1,20}'") }} then 'missing or malformed refunds.id'
            when r.order_id is null or not {{ full_match('r.order_id', "'[0-9]{1,20}'") }} then 'missing or malformed id'
            when {{ to_utc('r.f.created_at', 'iso') }} is null then 'missing or unparseable refunds.created_at'
            when coalesce({{ list_any(list_map('r.money_moves', 'x', amount_is_invalid('x.amount', 'major'))) }}, false)
                then 'non-numeric refund transaction amount'
            when coalesce({{ list_any(list_map('r.money_moves', 'x', 'x.currency <> r.currency')) }}, false)
                 and coalesce({{ major_units_to_amount('r.total_price_presentment') }}, 0) = 0
                then 'refund in the presentment currency without a presentment total'
            when r.currency is null and nullif(sh.currency, '') is null then 'missing currency (and the connection sets no currency)'
        end as quarantine_reason
    from refund_typed as r
    -- a Return settles refunds of its own order (Return.refunds): the rows of one order depend on that order alone
    left join returns as t on t.t.shop_id = r.shop_id and t.t.order_id = r.order_id and {{ list_has('t.refund_ids', 'r.f.id') }}
    left join shops as sh on sh.channel = 'shopify' and sh.shop_id = r.shop_id
),

-- a Return no refund row settles: none issued yet (requested, under way, declined or cancelled; closed without money
-- is an exchange), or refunds its order's latest version does not show yet (quarantined until the order is re-read).
-- Its amount is what the goods returned were sold for (each unit's price less its share of the line's discounts),
-- from the order's latest version.
returns_without_refund_rows as (
    select t.*
    from returns as t
    where t._record_hash not in (select after_sale_record_id from refund_facts where after_sale_record_id is not null)
),

order_lines as (
    select o.r.shop_id, o.r.id as order_id, o.r.currency,
           {{ unnest_values('o.r.line_items') }} as l
    from (
        select r, row_number() over (partition by r.shop_id, r.id
                                     order by {{ to_utc('r.updated_at', 'iso') }} desc nulls last, _synced_at desc, _record_hash) as version_rank
        from (select _record_hash, _synced_at, {{ json_record_fields('_record', shopify_order_refund_shape()) }} as r from order_rows) as parsed
        where r.id in (select t.order_id from returns_without_refund_rows)
    ) as o
    where o.version_rank = 1
),

line_values as (
    select shop_id, order_id, currency, l.id as line_id,
           {{ major_units_to_amount(shopify_shop_money('l.price_set', 'l.price')) }} as price,
           {{ text_to_integer('l.quantity') }} as quantity,
           coalesce({{ list_total(list_map('l.discount_allocations', 'd',
               major_units_to_amount(shopify_shop_money('d.amount_set', 'd.amount')))) }}, 0) as discount
    from order_lines
),

return_items as (
    select t.t.shop_id, t.t.id, t.t.order_id, {{ unnest_values('t.t.returnLineItems.nodes') }} as i
    from returns_without_refund_rows as t
),

return_values as (
    select i.shop_id, i.id,
           -- each unit's price less its share of the line's discounts, × the units returned, to the cent
           round(sum((v.price * v.quantity - v.discount) / nullif(v.quantity, 0) * {{ text_to_integer('i.i.quantity') }}), 2) as goods_value,
           count(*) as items,
           count(v.price) as valued,
           max(v.currency) as currency
    from return_items as i
    left join line_values as v
        on v.shop_id = i.shop_id and v.order_id = i.order_id and v.line_id = regexp_extract(i.i.fulfillmentLineItem.lineItem.id, '[0-9]+$', 0)
    group by i.shop_id, i.id
),

return_facts as (
    select
        t._record_hash as raw_record_id,
        t._connection as connection_name,
        t._synced_at as source_synced_at,
        t.t.shop_id,
        t.t.id as refund_id,
        t.t.order_id as channel_order_id,
        case when {{ list_size('t.line_ids') }} = 1 then {{ list_at('t.line_ids', 1) }} end as channel_line_id,
        t._record_hash as after_sale_record_id,
        -- closed with no refund: the goods were exchanged or kept, no money went back (D-064)
        case when t.t.status = 'CLOSED' and {{ list_size('t.refund_ids') }} = 0 then 'exchange' else 'return_and_refund' end as refund_type,
        {{ shopify_return_status('t.t.status') }} as status,
        t.t.status as status_native,
        (case when v.items = v.valued then v.goods_value end)::{{ money_type() }} as refund_amount,
        coalesce(upper(trim(v.currency)), nullif(sh.currency, '')) as currency,
        {{ to_utc('t.t.createdAt', 'iso') }} as requested_at,
        cast(null as {{ instant_type() }}) as refunded_at,
        -- a return has no update time of its own: the order's updatedAt of the version it came with (a return changes it)
        {{ to_utc('t.t.updated_at', 'iso') }} as source_updated_at,
        nullif(t.reasons, '') as reason_code,
        {{ list_at('t.parcels', 1) }}.number as return_tracking_number,
        {{ list_at('t.parcels', 1) }}.carrierName as return_carrier,
        t.first_seen_received_at as return_received_at,
        case when {{ list_size('t.dispositions') }} > 0 then {{ list_any(list_map('t.dispositions', 'd', "d.type = 'RESTOCKED'")) }} end
            as is_restocked,
        case
            when {{ list_size('t.refund_ids') }} > 0
                -- the apostrophe as chr(39): Spark (escapedStringLiterals) keeps a doubled quote in a literal as two
                then 'refunds.nodes of the Return not in its order' || chr(39) || 's latest version (order not landed or not re-read yet)'
            when t.t.id is null or not {{ full_match('t.t.id', "'[0-9]{1,20}'") }} then 'missing or malformed return id'
            -- a status Shopify may add later: named, never guessed (CLOSED without refund is the exchange above)
            when {{ shopify_return_status('t.t.status') }} is null and t.t.status is distinct from 'CLOSED'
                then 'Return status ' || coalesce('"' || t.t.status || '"', 'missing') || ' is not REQUESTED, OPEN, CLOSED, DECLINED or CANCELED'
            when t.t.order_id is null or not {{ full_match('t.t.order_id', "'[0-9]{1,20}'") }} then 'missing or malformed order_id'
            when {{ to_utc('t.t.createdAt', 'iso') }} is null then 'missing or unparseable createdAt'
            when {{ to_utc('t.t.updated_at', 'iso') }} is null then 'missing or unparseable updated_at'
            when v.items is null or v.items <> v.valued then 'order line of a returned item not landed (amount unknown)'
        end as quarantine_reason
    from returns_without_refund_rows as t
    left join return_values as v on v.shop_id = t.t.shop_id and v.id = t.t.id
    left join shops as sh on sh.channel = 'shopify' and sh.shop_id = t.t.shop_id
),

{%- set fact_columns = ['raw_record_id', 'connection_name', 'source_synced_at', 'shop_id', 'refund_id', 'after_sale_record_id',
    'channel_order_id', 'channel_line_id', 'refund_type', 'status', 'status_native', 'refund_amount', 'currency', 'requested_at',
    'refunded_at', 'source_updated_at', 'reason_code', 'return_tracking_number', 'return_carrier', 'return_received_at',
    'is_restocked', 'quarantine_reason'] %}

unioned as (
    select {{ fact_columns | join(', ') }} from refund_facts
    union all
    select {{ fact_columns | join(', ') }} from return_facts
)

select
    raw_record_id, connection_name, source_synced_at, 'shopify' as channel, shop_id, refund_id, after_sale_record_id,
    channel_order_id,
    channel_line_id, refund_type, status, status_native, refund_amount, currency, requested_at, refunded_at,
    source_updated_at, reason_code, cast(null as {{ text_type() }}) as reason_text, return_tracking_number, return_carrier,
    return_received_at, is_restocked, quarantine_reason
from unioned
