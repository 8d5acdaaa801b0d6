{#- Taobao / Tmall shops as the trades describe them: one row per shop. `shop_type` comes from the
    sub-orders' `seller_type` (B = Tmall 商城 seller, C = Taobao seller) of the shop's latest synced trade.
    Tmall is not a separate channel: fct_orders has `channel = 'taobao'` for both (the canonical model's
    channel codes); join this model on (channel, shop_id) to split them.
    Incremental by shop: each row keeps the time of the trade its nick and its type come from (`*_seen_at`, then
    sync time), so a build compares only the trades landed in its window with the row it has — the same latest
    trade a full build finds among all of them, without reading them all. -#}
{{ config(unique_key='shop_id') }}

with raw as (
    {{ raw_records('taobao', 'orders') }}
),

parsed as (
    select _synced_at, {{ taobao_parse_order('_record') }} as r
    from raw
),

typed as (
    select
        r.shop_id,
        r.seller_nick,
        {{ list_first_of('r.orders.order', 'o', 'o.seller_type', "o.seller_type in ('B', 'C')") }} as seller_type,
        {{ to_utc('r.modified', 'local') }} as modified_at,
        _synced_at
    from parsed
    where r.shop_id is not null
),

-- each value's candidates: the landed trades, and on an incremental build what the row already has
candidates as (
    select shop_id, 'nick' as field, seller_nick as value, modified_at as seen_at, _synced_at as synced_at from typed
    union all
    select shop_id, 'type', seller_type, modified_at, _synced_at from typed where seller_type is not null
    {%- if is_incremental() %}
    union all
    select shop_id, 'nick', seller_nick, seller_nick_seen_at, seller_nick_synced_at from {{ this }}
    where shop_id in (select shop_id from typed)
    union all
    select shop_id, 'type', seller_type, seller_type_seen_at, seller_type_synced_at from {{ this }}
    where seller_type is not null and shop_id in (select shop_id from typed)
    {%- endif %}
),

latest as (
    select * from (
        select *, row_number() over (partition by shop_id, field order by seen_at desc nulls last, synced_at desc, value) as rank_
        from candidates
    ) as ranked
    where rank_ = 1
)

select
    'taobao' as channel,
    shop_id,
    max(case when field = 'nick' then value end) as seller_nick,
    max(case when field = 'type' then value end) as seller_type,
    case max(case when field = 'type' then value end) when 'B' then 'tmall' when 'C' then 'taobao' end as shop_type,
    max(case when field = 'nick' then seen_at end) as seller_nick_seen_at,
    max(case when field = 'nick' then synced_at end) as seller_nick_synced_at,
    max(case when field = 'type' then seen_at end) as seller_type_seen_at,
    max(case when field = 'type' then synced_at end) as seller_type_synced_at
from latest
group by shop_id
