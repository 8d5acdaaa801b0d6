-- Each channel order's ERP counterpart (one row per channel order that an ERP order references).
-- Rules (docs/erp-reconciliation.md): an ERP order references a channel order through its documented reference
-- field; the exact text is tried first, then the text with the ERP's configured prefixes/suffixes removed. When
-- the ERP customer is mapped to a shop, only that shop's orders are candidates. A link is a `conflict` when the
-- amounts differ beyond the tolerance, the currencies differ, one side is cancelled and the other is not, the
-- channel order is referenced by several ERP orders, or the reference fits several channel orders.
-- Incremental: the orders in int_orders__affected, from every ERP order whose reference fits one of them (with
-- all of that ERP order's candidates, so its fit count is whole); their old rows are deleted first (a match can
-- end).
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='order_key',
          on_schema_change='fail', pre_hook="{{ delete_keys_in_scope('order_key', 'int_orders__affected') }}") }}

with orders as (
    select
        o.order_key,
        o.channel,
        o.shop_id,
        o.channel_order_id,
        o.paid_amount,
        o.is_cancelled,
        -- rule A4, as in fct_orders: the payload's currency, else the connection's, else the channel's
        coalesce(o.currency, sh.currency, c.default_currency) as currency
    from {{ ref('int_orders__current') }} as o
    left join {{ ref('channels') }} as c on c.channel = o.channel
    left join ({{ shop_settings() }}) as sh on sh.channel = o.channel and sh.shop_id = o.shop_id
),

erp as (
    select * from {{ ref('int_erp_orders__current') }}
    where channel_reference is not null
    {%- if is_incremental() %}
      and (channel_reference in (select o.channel_order_id from orders as o where {{ in_scope('o.order_key', 'int_orders__affected') }})
        or reference_normalized in (select o.channel_order_id from orders as o where {{ in_scope('o.order_key', 'int_orders__affected') }}))
    {%- endif %}
),

candidates as (
    select e.erp_system, e.erp_order_id, o.order_key, 'exact_reference' as match_method, 1 as priority
    from erp as e
    inner join orders as o
        on o.channel_order_id = e.channel_reference
        and (e.customer_channel is null or (o.channel = e.customer_channel and o.shop_id = e.customer_shop_id))
    union all
    select e.erp_system, e.erp_order_id, o.order_key, 'normalized_reference' as match_method, 2 as priority
    from erp as e
    inner join orders as o
        on o.channel_order_id = e.reference_normalized
        and e.reference_normalized <> e.channel_reference
        and (e.customer_channel is null or (o.channel = e.customer_channel and o.shop_id = e.customer_shop_id))
),

best as (
    -- an ERP order keeps only its best kind of candidate (exact before normalised)
    select * except (best_priority), count(*) over (partition by erp_system, erp_order_id) as fits
    from (
        select *, min(priority) over (partition by erp_system, erp_order_id) as best_priority
        from candidates
    ) as ranked
    where priority = best_priority
),

per_order as (
    select
        order_key,
        count(*) as erp_links,
        max(fits) as max_fits,
        {%- set best_first = ordering_tuple(['priority', 'erp_system', 'erp_order_id']) %}
        min_by(erp_system, {{ best_first }}) as erp_system,
        min_by(erp_order_id, {{ best_first }}) as erp_order_id,
        min_by(match_method, {{ best_first }}) as match_method
    from best
    where {{ in_scope('order_key', 'int_orders__affected') }}
    group by order_key
),

compared as (
    select
        p.order_key,
        p.erp_system,
        p.erp_order_id,
        p.match_method,
        e.order_amount as erp_amount,
        e.currency as erp_currency,
        e.status as erp_status,
        {{ list_where(list_of([
            "case when e.currency is not null and o.currency is not null and e.currency <> o.currency
                then 'currency_differs' end",
            "case when e.currency = o.currency
                    and abs(coalesce(e.order_amount, 0) - coalesce(o.paid_amount, 0))
                        > " ~ var('orderlayer_reconciliation_amount_tolerance', 0.01) ~ "
                then 'amount_differs' end",
            "case when o.is_cancelled and e.status <> 'cancelled' then 'cancelled_in_channel_only' end",
            "case when not o.is_cancelled and e.status = 'cancelled' then 'cancelled_in_erp_only' end",
            "case when p.erp_links > 1 then 'several_erp_orders' end",
            "case when p.max_fits > 1 then 'ambiguous_reference' end",
        ]), 'x', 'x is not null') }} as mismatch_reasons
    from per_order as p
    inner join orders as o on o.order_key = p.order_key
    inner join {{ ref('int_erp_orders__current') }} as e
        on e.erp_system = p.erp_system and e.erp_order_id = p.erp_order_id
)

select
    *,
    case when {{ list_size('mismatch_reasons') }} = 0 then 'matched' else 'conflict' end as match_status
from compared
