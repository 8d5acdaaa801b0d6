-- Rule D3 for after-sale records (every refund_sources() model, macros/refunds.sql): every record whose latest
-- version cannot be counted, with the reason and its raw pointer. fct_refunds and the order's refund fields leave it
-- out, so a refund missing there is explained here, never dropped silently (gate R4 counts both).
-- A table: a record's latest version replaces its row (another raw_record_id), and a corrected one leaves.
-- Keyed by the refund's own key, as fct_refunds keys it: where refunds come from the order payload (Shopify, Meituan,
-- Ele.me) two refunds of one order version share one raw_record_id.
select
    -- NULL when the record names no shop or no id of its own (then only raw_record_id points at it)
    {{ refund_key('channel', 'shop_id', 'refund_id') }} as refund_key,
    raw_record_id,
    after_sale_record_id,
    channel,
    shop_id,
    channel_order_id,
    -- the refund type where the record states it, else `refund`
    coalesce(refund_type, 'refund') as record_type,
    refund_id as record_id,
    quarantine_reason,
    source_synced_at
from ({{ union_refunds() }}) as r
where quarantine_reason is not null
