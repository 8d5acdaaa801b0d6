{#- When each order was cancelled (DECISIONS D-009, D-033), one row per order that has a cancelled version,
    read from `versions` (int_orders__versions). fct_orders.cancelled_at and fct_order_events' `cancelled`
    event both come from here, so they cannot disagree.
      cancelled_at         the platform's own cancel time (staging `cancelled_at`) as the latest version stating
                           it says, else the update time of the first version seen cancelled (an observation,
                           bounded by sync frequency)
      cancelled_at_source  'platform' or 'observed': which of the two it is -#}
{% macro order_cancellations(versions) -%}
    select
        order_key,
        coalesce(platform_cancelled_at, observed_cancelled_at) as cancelled_at,
        case when platform_cancelled_at is not null then 'platform' else 'observed' end as cancelled_at_source
    from (
        select
            order_key,
            -- the latest version (rule D1 order) that carries the platform's time
            max_by(cancelled_at, {{ ordering_tuple(['source_updated_at', 'source_synced_at', 'raw_record_id']) }})
                filter (where cancelled_at is not null) as platform_cancelled_at,
            min(source_updated_at) as observed_cancelled_at
        from {{ versions }}
        where is_cancelled
        group by order_key
    ) as cancellations
{%- endmacro %}
