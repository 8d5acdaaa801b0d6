-- After-sale records a platform lists that move no money — exchanges, resends, repairs, replacements (the staging
-- models type them `exchange`) — left out of fct_refunds by rule, with the rule. Not a problem to fix: gate R4
-- counts them so that raw after-sale records = fct_refunds + quarantine_refunds + these (docs/refunds.md).
-- A table, like quarantine_refunds: a record's latest version replaces its row.
select
    {{ refund_key('channel', 'shop_id', 'refund_id') }} as refund_key,
    raw_record_id,
    after_sale_record_id,
    channel,
    shop_id,
    channel_order_id,
    refund_id as record_id,
    'exchange: the goods are swapped, resent or repaired; no money goes back' as rule,
    source_synced_at
from ({{ union_refunds(left_out=true) }}) as r
