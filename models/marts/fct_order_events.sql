-- The status change log: one row per observed change of an order, built from every raw version
-- (complete across syncs, auditable). Milestones (created, paid, shipped, delivered, completed)
-- carry the platform's own timestamp; `cancelled` carries fct_orders.cancelled_at (the platform's
-- cancel time, else the first version seen cancelled: D-009, D-033); status changes and after-sale
-- changes carry the update time of the first version that showed them — except an order with after-sale records
-- (fct_refunds), whose refund events carry each record's own request and refund times. A late, older version is
-- placed by its own update time, so it cannot rewrite history (rule D2).
-- Incremental: the events of the orders in int_orders__affected are deleted and rebuilt from all their versions.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='order_key',
          on_schema_change='fail', pre_hook="{{ delete_keys_in_scope('order_key', 'int_orders__affected') }}") }}

with versions as (
    select
        *,
        row_number() over (
            partition by order_key order by source_updated_at, source_synced_at, raw_record_id
        ) as version_number
    from {{ ref('int_orders__versions') }}
    where {{ in_scope('order_key', 'int_orders__affected') }}
),

sequenced as (
    select
        *,
        lag(status) over w as previous_status,
        coalesce(lag(has_open_after_sale) over w, false) as previously_open_after_sale,
        coalesce(lag(is_refunded) over w, false) as previously_refunded,
        min(case when is_cancelled then version_number end) over (partition by order_key) as first_cancelled_version
    from versions
    window w as (partition by order_key order by version_number)
),

cancellations as (
    {{ order_cancellations(scoped_versions('int_orders__affected')) }}
),

refund_records as (
    -- an order with after-sale records (fct_refunds) takes its refund events from them, at the record's own times;
    -- the version-derived refund events below stay for orders without any (docs/refunds.md)
    select order_key, channel, requested_at, refunded_at, status, source_synced_at
    from {{ ref('fct_refunds') }}
    where {{ in_scope('order_key', 'int_orders__affected') }}
      and order_key in (select order_key from versions)
),

milestone_candidates as (
    select * from (
        select v.order_key, v.source_system, v.version_number, v.source_synced_at, m.event_type,
            case m.event_type
                when 'created' then v.ordered_at
                when 'paid' then v.paid_at
                when 'shipped' then v.shipped_at
                when 'delivered' then v.delivered_at
                when 'completed' then v.completed_at
            end as event_at
        from versions as v
        cross join (values ('created'), ('paid'), ('shipped'), ('delivered'), ('completed')) as m (event_type)
    ) as candidates
    where event_at is not null
),

milestones as (
    select
        order_key,
        event_type,
        -- the platform's time as the latest version states it; observed when it first appeared
        max_by(event_at, version_number) as event_at,
        cast(null as {{ text_type() }}) as status_before,
        case event_type when 'created' then 'pending_payment' else event_type end as status_after,
        max_by(source_system, version_number) as source_system,
        min(source_synced_at) as observed_at
    from milestone_candidates
    group by order_key, event_type
),

changes as (
    select
        order_key,
        'status_changed' as event_type,
        source_updated_at as event_at,
        previous_status as status_before,
        status as status_after,
        source_system,
        source_synced_at as observed_at
    from sequenced
    where previous_status is not null and previous_status <> status

    union all

    select s.order_key, 'cancelled', x.cancelled_at, s.previous_status, s.status, s.source_system, s.source_synced_at
    from sequenced as s
    inner join cancellations as x on x.order_key = s.order_key
    where s.version_number = s.first_cancelled_version

    union all

    select order_key, 'refund_requested', source_updated_at, previous_status, status, source_system, source_synced_at
    from sequenced
    where has_open_after_sale and not previously_open_after_sale
      and order_key not in (select order_key from refund_records)

    union all

    select order_key, 'refunded', source_updated_at, previous_status, status, source_system, source_synced_at
    from sequenced
    where is_refunded and not previously_refunded
      and order_key not in (select order_key from refund_records)

    union all

    -- one event per instant: refunds requested (or refunded) in the same second are one change of the order
    select order_key, 'refund_requested', requested_at, null, null, any_value(channel), min(source_synced_at)
    from refund_records
    where requested_at is not null
    group by order_key, requested_at

    union all

    select order_key, 'refunded', refunded_at, null, null, any_value(channel), min(source_synced_at)
    from refund_records
    where status = 'refunded' and refunded_at is not null
    group by order_key, refunded_at
)

select
    order_key::{{ text_type() }} as order_key,
    event_type::{{ text_type() }} as event_type,
    event_at::{{ instant_type() }} as event_at,
    status_before::{{ text_type() }} as status_before,
    status_after::{{ text_type() }} as status_after,
    source_system::{{ text_type() }} as source_system,
    observed_at::{{ instant_type() }} as observed_at
from (
    select * from milestones
    union all
    select * from changes
) as events
