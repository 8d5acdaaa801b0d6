-- One order across systems: each channel order with its ERP counterpart and its parcels' tracking
-- numbers. Until an ERP connection exists every order is `unmatched` with match_method `none`; the ERP
-- issue adds the matching rules (reference field, configured normalisation) and `conflict`.
select
    order_key::varchar as order_key,
    channel::varchar as channel,
    shop_id::varchar as shop_id,
    channel_order_id::varchar as channel_order_id,
    cast(null as varchar) as erp_system,
    cast(null as varchar) as erp_order_id,
    coalesce(tracking_numbers, []::varchar[])::varchar[] as tracking_numbers,
    'none'::varchar as match_method,
    'unmatched'::varchar as match_status
from {{ ref('int_orders__current') }}
