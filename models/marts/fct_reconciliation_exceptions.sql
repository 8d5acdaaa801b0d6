-- The orders behind reconciliation differences, one row each: channel orders due in the ERP but not found
-- there, channel orders whose ERP counterpart disagrees (`conflict`, with the reasons), and ERP orders that no
-- channel order accounts for. Never personal data: keys, amounts and reasons only.
-- Incremental: the rows of the orders in order_fulfillment__scope (their match or their "due in the ERP" flag may
-- have changed) and of the ERP orders in int_erp_orders__affected are deleted and recomputed.
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          pre_hook=["{{ delete_keys_in_scope('order_key', 'order_fulfillment__scope') }}",
                    "{{ delete_erp_orders_in_scope('int_erp_orders__affected') }}"]) }}
-- depends_on: {{ ref('int_erp_orders__affected') }}

with orders as (
    select o.order_key, o.channel, o.shop_id, o.channel_order_id, o.business_date, o.currency, o.paid_amount,
           f.is_erp_expected
    from {{ ref('fct_orders') }} as o
    inner join {{ ref('order_fulfillment') }} as f on f.order_key = o.order_key
    where {{ in_scope('o.order_key', 'order_fulfillment__scope') }}
),

channel_exceptions as (
    select
        case when m.match_status = 'conflict' then 'conflict' else 'missing_in_erp' end as exception_type,
        o.order_key, o.channel, o.shop_id, o.channel_order_id, o.business_date, o.currency,
        o.paid_amount as channel_paid_amount,
        m.erp_system, m.erp_order_id, m.erp_amount, m.mismatch_reasons as reasons
    from orders as o
    inner join {{ ref('map_order_ids') }} as m on m.order_key = o.order_key
    where m.match_status = 'conflict' or (m.match_status = 'unmatched' and o.is_erp_expected)
),

erp_only as (
    select
        'erp_only' as exception_type,
        cast(null as {{ text_type() }}) as order_key,
        e.customer_channel as channel,
        e.customer_shop_id as shop_id,
        cast(null as {{ text_type() }}) as channel_order_id,
        {{ local_date('e.ordered_at', reporting_timezone()) }} as business_date,
        e.currency,
        cast(null as {{ money_type() }}) as channel_paid_amount,
        e.erp_system, e.erp_order_id, e.order_amount as erp_amount,
        case when e.channel_reference is null then {{ list_of(["'no_channel_reference'"]) }}
             else {{ list_of(["'reference_not_found'"]) }} end
            as reasons
    from {{ ref('int_erp_orders__current') }} as e
    where not exists (select 1 from {{ ref('int_orders__erp_matches') }} as m
                      where m.erp_system = e.erp_system and m.erp_order_id = e.erp_order_id)
      and e.status <> 'cancelled'
    {%- if is_incremental() %}
      and exists (select 1 from {{ ref('int_erp_orders__affected') }} as a
                  where a.erp_system = e.erp_system and a.erp_order_id = e.erp_order_id)
    {%- endif %}
)

select
    exception_type::{{ text_type() }} as exception_type,
    order_key::{{ text_type() }} as order_key,
    channel::{{ text_type() }} as channel,
    shop_id::{{ text_type() }} as shop_id,
    channel_order_id::{{ text_type() }} as channel_order_id,
    business_date::date as business_date,
    currency::{{ text_type() }} as currency,
    channel_paid_amount::{{ money_type() }} as channel_paid_amount,
    erp_system::{{ text_type() }} as erp_system,
    erp_order_id::{{ text_type() }} as erp_order_id,
    erp_amount::{{ money_type() }} as erp_amount,
    reasons::{{ list_type(text_type()) }} as reasons
from (
    select * from channel_exceptions
    -- the same columns in the same order
    union all
    select * from erp_only
) as exceptions
