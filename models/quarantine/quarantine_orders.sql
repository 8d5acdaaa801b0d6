-- Rule D3: every raw version that cannot be made canonical, with the reason and its raw pointer.
-- `has_valid_version` tells whether the order still reached fct_orders through another version.
with versions as (
    select * from ({{ union_channels('orders') }}) as v
)

select
    bad.raw_record_id,
    bad.channel,
    bad.shop_id,
    bad.channel_order_id,
    bad.quarantine_reason,
    bad.source_synced_at,
    exists (
        select 1 from versions as good
        where good.quarantine_reason is null
          and good.channel = bad.channel
          and good.shop_id = bad.shop_id
          and good.channel_order_id = bad.channel_order_id
    ) as has_valid_version
from versions as bad
where bad.quarantine_reason is not null
