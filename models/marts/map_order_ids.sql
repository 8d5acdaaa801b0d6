-- One order across systems: each channel order with its ERP counterpart and its parcels' tracking numbers.
-- Matching rules: int_orders__erp_matches (docs/erp-reconciliation.md). No counterpart = `unmatched`.
-- Incremental: the orders in int_orders__affected are replaced.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='order_key',
          on_schema_change='fail') }}
select
    o.order_key::{{ text_type() }} as order_key,
    o.channel::{{ text_type() }} as channel,
    o.shop_id::{{ text_type() }} as shop_id,
    o.channel_order_id::{{ text_type() }} as channel_order_id,
    m.erp_system::{{ text_type() }} as erp_system,
    m.erp_order_id::{{ text_type() }} as erp_order_id,
    cast(coalesce(o.tracking_numbers, {{ empty_list(text_type()) }}) as {{ list_type(text_type()) }}) as tracking_numbers,
    coalesce(m.match_method, 'none')::{{ text_type() }} as match_method,
    coalesce(m.match_status, 'unmatched')::{{ text_type() }} as match_status,
    cast(coalesce(m.mismatch_reasons, {{ empty_list(text_type()) }}) as {{ list_type(text_type()) }}) as mismatch_reasons,
    m.erp_amount::{{ money_type() }} as erp_amount,
    m.erp_currency::{{ text_type() }} as erp_currency
from {{ ref('int_orders__current') }} as o
left join {{ ref('int_orders__erp_matches') }} as m on m.order_key = o.order_key
where {{ in_scope('o.order_key', 'int_orders__affected') }}
