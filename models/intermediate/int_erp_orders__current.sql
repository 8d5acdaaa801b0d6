-- The current version of every ERP sales order across the staged ERPs (latest erp_updated_at, then sync
-- time, then raw id: deterministic), with its reference normalised by the ERP's configured rules and the
-- channel shop its ERP customer stands for (orderlayer.yml `erp_matching.<erp>.customers`).

with versions as (
    select * from ({{ union_erps() }}) as v
    where quarantine_reason is null
),

ranked as (
    select
        *,
        row_number() over (
            partition by erp_system, erp_order_id
            order by erp_updated_at desc, source_synced_at desc, raw_record_id desc
        ) as version_rank
    from versions
),

customers as (
    {{ erp_customer_shops() }}
)

select
    r.* exclude (version_rank),
    {{ normalized_reference('r.channel_reference', 'r.erp_system') }} as reference_normalized,
    c.channel as customer_channel,
    c.shop_id as customer_shop_id
from ranked as r
left join customers as c on c.erp_system = r.erp_system and c.erp_customer = r.erp_customer
where r.version_rank = 1
