-- Every typed version of every order across channels (quarantined versions excluded).
select
    {{ order_key('channel', 'shop_id', 'channel_order_id') }} as order_key,
    *
from ({{ union_channels('orders') }}) as versions
where quarantine_reason is null
