-- Every typed version of every order across channels (quarantined versions excluded: typing rules in staging,
-- suspicion and conflicting-version rules in macros/quarantine.sql, judged in int_orders__judged), with `landed_seq` and the
-- canonical status and flags that version shows (rules S1–S3, P1). fct_orders takes the latest version;
-- fct_order_events compares consecutive ones.
-- Incremental: every version of the orders this build recomputes (int_orders__changed) is replaced; their rows are
-- deleted first (a version a later conflicting one displaced is quarantined now, D-051).
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='raw_record_id',
          on_schema_change='fail', pre_hook="{{ delete_keys_in_scope('order_key', 'int_orders__changed') }}") }}
-- depends_on: {{ ref('int_orders__changed') }}

with versions as (
    select
        {{ order_key('channel', 'shop_id', 'channel_order_id') }} as order_key,
        *
    from {{ ref('int_orders__judged') }} as v
    where quarantine_reason is null
    {%- if is_incremental() %}
      -- the versions of the orders this build recomputes (a clean landed version's order is one of them)
      and {{ landed_or_changed_version('v', ref('int_orders__changed')) }}
    {%- endif %}
),

statuses as (
    {{ status_maps() }}
),

flagged as (
    select
        v.*,
        s.status as mapped_status,
        coalesce(s.is_cancelled, false) as flag_cancelled,
        -- rule P1: a presale order with phases is paid only once the balance is paid too
        v.is_presale and (v.deposit_amount is not null or v.balance_amount is not null) as has_presale_phases,
        case
            when v.is_presale and (v.deposit_amount is not null or v.balance_amount is not null)
                then coalesce(v.deposit_paid and v.balance_paid, false)
            else v.first_paid_at is not null or coalesce(s.is_paid, false)
        end as flag_paid,
        v.shipped_at is not null or coalesce(s.is_shipped, false) as flag_shipped,
        v.delivered_at is not null or coalesce(s.is_delivered, false) as flag_delivered,
        v.completed_at is not null or coalesce(s.is_completed, false) as flag_completed
    from versions as v
    left join statuses as s on s.channel = v.channel and s.native_code = v.status_native
)

select
    * except (flag_cancelled, flag_paid, flag_shipped, flag_delivered, flag_completed, has_presale_phases, first_paid_at,
               deposit_paid_at, cancelled_at),
    -- the platform's cancel time, only on a version the status map calls cancelled (D-033)
    case when flag_cancelled then cancelled_at end as cancelled_at,
    -- paid_at: when the order became fully paid (presale: the balance payment)
    case
        when has_presale_phases then case when flag_paid then coalesce(balance_paid_at, first_paid_at) end
        else first_paid_at
    end as paid_at,
    {{ lifecycle_status('mapped_status', 'flag_cancelled', 'flag_completed', 'flag_delivered', 'flag_shipped', 'flag_paid') }}
        as status,
    flag_paid as is_paid,
    flag_cancelled as is_cancelled,
    flag_shipped as is_shipped,
    flag_delivered as is_delivered,
    flag_completed as is_completed,
    has_refund or coalesce(refund_amount, 0) > 0 as is_refunded,
    flag_paid and not flag_cancelled and not is_test as is_valid,
    -- rule P1: when a presale deposit was paid (the balance may still be open)
    case when has_presale_phases and deposit_paid then coalesce(deposit_paid_at, first_paid_at) end as deposit_paid_at_utc,
    -- rule T2/S2: row-level yellow flags — a time the status says must exist is missing (a sentinel or
    -- absent), or the native status is unmapped
    {{ list_where(list_of([
        "case when mapped_status is null then 'unmapped_status' end",
        "case when flag_paid and not has_presale_phases and first_paid_at is null then 'paid_without_paid_at' end",
        "case when flag_shipped and shipped_at is null then 'shipped_without_shipped_at' end",
        "case when flag_completed and completed_at is null then 'completed_without_completed_at' end",
    ]), 'x', 'x is not null') }} as quality_flags
from flagged
