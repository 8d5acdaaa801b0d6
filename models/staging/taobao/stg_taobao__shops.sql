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

-- the candidates for each value: the landed trades, and on an incremental build the value the row already has
nicks as (
    select shop_id, seller_nick, modified_at as seen_at, _synced_at as synced_at from typed
    {%- if is_incremental() %}
    union all
    select shop_id, seller_nick, seller_nick_seen_at, seller_nick_synced_at from {{ this }}
    where shop_id in (select shop_id from typed)
    {%- endif %}
),

types as (
    select shop_id, seller_type, modified_at as seen_at, _synced_at as synced_at from typed
    where seller_type is not null
    {%- if is_incremental() %}
    union all
    select shop_id, seller_type, seller_type_seen_at, seller_type_synced_at from {{ this }}
    where seller_type is not null and shop_id in (select shop_id from typed)
    {%- endif %}
),

latest_nick as (
    select * from (
        select *, row_number() over (partition by shop_id order by seen_at desc nulls last, synced_at desc, seller_nick) as rank_
        from nicks
    ) as ranked
    where rank_ = 1
),

latest_type as (
    select * from (
        select *, row_number() over (partition by shop_id order by seen_at desc nulls last, synced_at desc, seller_type) as rank_
        from types
    ) as ranked
    where rank_ = 1
)

select
    'taobao' as channel,
    n.shop_id,
    n.seller_nick,
    t.seller_type,
    case t.seller_type when 'B' then 'tmall' when 'C' then 'taobao' end as shop_type,
    n.seen_at as seller_nick_seen_at,
    n.synced_at as seller_nick_synced_at,
    t.seen_at as seller_type_seen_at,
    t.synced_at as seller_type_synced_at
from latest_nick as n
left join latest_type as t on t.shop_id = n.shop_id
