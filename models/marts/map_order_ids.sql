-- One order across systems: each channel order with its ERP counterpart and its parcels' tracking numbers.
-- Matching rules: int_orders__erp_matches (docs/erp-reconciliation.md). No counterpart = `unmatched`.
-- Incremental: the orders in int_orders__affected are replaced.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='order_key',
          on_schema_change='fail') }}
select
    o.order_key::varchar as order_key,
    o.channel::varchar as channel,
    o.shop_id::varchar as shop_id,
    o.channel_order_id::varchar as channel_order_id,
    m.erp_system::varchar as erp_system,
    m.erp_order_id::varchar as erp_order_id,
    coalesce(o.tracking_numbers, []::varchar[])::varchar[] as tracking_numbers,
    coalesce(m.match_method, 'none')::varchar as match_method,
    coalesce(m.match_status, 'unmatched')::varchar as match_status,
    coalesce(m.mismatch_reasons, []::varchar[])::varchar[] as mismatch_reasons,
    m.erp_amount::{{ money_type() }} as erp_amount,
    m.erp_currency::varchar as erp_currency
from {{ ref('int_orders__current') }} as o
left join {{ ref('int_orders__erp_matches') }} as m on m.order_key = o.order_key
where {{ in_scope('o.order_key', 'int_orders__affected') }}
