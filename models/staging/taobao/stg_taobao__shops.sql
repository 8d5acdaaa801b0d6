{#- Taobao / Tmall shops as the trades describe them: one row per shop. `shop_type` comes from the
    sub-orders' `seller_type` (B = Tmall 商城 seller, C = Taobao seller) of the shop's latest synced trade.
    Tmall is not a separate channel: fct_orders has `channel = 'taobao'` for both (the canonical model's
    channel codes); join this model on (channel, shop_id) to split them. -#}
{{ config(materialized='table') }}  {#- one row per shop over every trade -#}

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
        list_filter(list_transform(r.orders.order, lambda o: o.seller_type), lambda x: x in ('B', 'C'))[1] as seller_type,
        {{ to_utc('r.modified', 'local') }} as modified_at,
        _synced_at
    from parsed
    where r.shop_id is not null
)

select
    'taobao' as channel,
    shop_id,
    arg_max(seller_nick, (modified_at, _synced_at)) as seller_nick,
    arg_max(seller_type, (modified_at, _synced_at)) filter (where seller_type is not null) as seller_type,
    case arg_max(seller_type, (modified_at, _synced_at)) filter (where seller_type is not null)
        when 'B' then 'tmall' when 'C' then 'taobao' end as shop_type
from typed
group by shop_id
