{#- Yonyou YonBIP sales orders (voucherorder/list isSum=false rows regrouped per id by tap-yonyou), one row per raw
    version, in the shared ERP staging contract (docs/erp-reconciliation.md). Platform facts:
    shared/channels/yonyou.md §A. Fields read: macros/yonyou/sales_order_shape.sql. -#}

with raw as (
    {{ raw_records('yonyou', 'sales_orders') }}
),

parsed as (
    select _record_hash, _connection, _synced_at, {{ yonyou_parse_sales_order('_record') }} as r
    from raw
),

fields as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.id,
        r.code,
        -- document date and last-modified time: naive China time
        r.vouchdate,
        r.pubts,
        r.salesOrgId,
        -- the list answers the customer's archive id; the code where the tenant returns it
        coalesce(nullif(trim(r.agentId_code), ''), r.agentId) as customer,
        r.{{ adapter.quote(yonyou_reference_field()) }} as reference,
        coalesce(r.nextStatusName, r.statusCode) as status_code,
        r.currency_code,
        r.currency,
        r.currency_name,
        -- payMoney: total including tax (must equal the lines' tax-inclusive sum)
        r.payMoney,
        {{ list_map('r.orderDetails', 'd', 'coalesce(d.oriMoney, d.oriSum - d.oriTax)') }} as line_net,
        {{ list_map('r.orderDetails', 'd', 'd.oriTax') }} as line_tax,
        {{ list_size('r.orderDetails') }} as n_lines
    from parsed
)

select
    f._record_hash as raw_record_id,
    f._connection as connection_name,
    f._synced_at as source_synced_at,
    'yonyou' as erp_system,
    nullif(trim(f.salesOrgId), '') as erp_company,
    nullif(trim(f.code), '') as erp_order_id,
    nullif(trim(f.customer), '') as erp_customer,
    nullif(trim(f.reference), '') as channel_reference,
    {{ to_utc('f.vouchdate', 'local', yonyou_timezone()) }} as ordered_at,
    {{ to_utc('f.pubts', 'local', yonyou_timezone()) }} as erp_updated_at,
    f.status_code as status_native,
    {{ yonyou_erp_status('f.status_code') }} as status,
    {{ decimal_to_amount('f.payMoney') }} as order_amount,
    {{ decimal_to_amount(list_total('f.line_net')) }} as net_amount,
    {{ decimal_to_amount(list_total('f.line_tax')) }} as tax_amount,
    {{ yonyou_currency('f.currency_code', 'f.currency', 'f.currency_name') }} as currency,
    -- the order list carries no returns
    cast(null as {{ money_type() }}) as refund_amount,
    -- rule D3: why this version cannot be made canonical (NULL when it can)
    case
        when f.code is null or trim(f.code) = '' then 'missing code'
        when f.id is null or not {{ full_match('trim(f.id)', "'[0-9]{1,19}'") }} then 'missing or malformed id'
        when {{ to_utc('f.pubts', 'local', yonyou_timezone()) }} is null then 'missing or unparseable pubts'
        when {{ time_is_invalid('f.vouchdate', 'local', yonyou_timezone()) }} then 'unparseable vouchdate'
        when f.payMoney is null then 'missing or non-numeric payMoney'
        when {{ decimal_to_amount('f.payMoney') }} is null then 'fractional-cent or out-of-range payMoney'
        when coalesce(f.n_lines, 0) = 0 then 'no order lines'
        when {{ list_any(list_map('f.line_net', 'x', 'x is null')) }}
            or {{ list_any(list_map('f.line_tax', 'x', 'x is null')) }} then 'missing or non-numeric line oriMoney/oriSum/oriTax'
    end as quarantine_reason
from fields as f
