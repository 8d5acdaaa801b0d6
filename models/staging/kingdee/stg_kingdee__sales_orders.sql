{#- Kingdee K3Cloud sales orders (SAL_SaleOrder bills: ExecuteBillQuery rows grouped per FID by tap-kingdee), one
    row per raw version, in the shared ERP staging contract (docs/erp-reconciliation.md). Platform facts:
    shared/channels/kingdee_k3cloud.md. Fields read: macros/kingdee/sales_order_shape.sql. -#}

with raw as (
    {{ raw_records('kingdee', 'sales_orders') }}
),

parsed as (
    select _record_hash, _connection, _synced_at, {{ kingdee_parse_sales_order('_record') }} as r
    from raw
),

fields as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.FID,
        r.FBillNo,
        -- bill date and last modification: server-local times without an offset
        r.FDate,
        r.FModifyDate,
        r.{{ adapter.quote('FSaleOrgId.FNumber') }} as sale_org,
        r.{{ adapter.quote('FCustId.FNumber') }} as customer,
        r.{{ adapter.quote(kingdee_reference_field()) }} as reference,
        r.FDocumentStatus,
        r.FCloseStatus,
        r.FCancelStatus,
        r.{{ adapter.quote('FSettleCurrId.FNumber') }} as currency_number,
        -- finance sub-entity (T_SAL_ORDERFIN): excl. tax, tax, 价税合计 incl. tax, in the settlement currency
        r.FBillAmount,
        r.FBillTaxAmount,
        r.FBillAllAmount,
        -- delivery progress: remaining quantity to ship (base unit) against the ordered quantity
        {{ list_total(list_map('r.FSaleOrderEntry', 'e', 'e.FBaseRemainOutQty')) }} as remain_qty,
        {{ list_total(list_map('r.FSaleOrderEntry', 'e', 'e.FQty')) }} as ordered_qty
    from parsed
)

select
    f._record_hash as raw_record_id,
    f._connection as connection_name,
    f._synced_at as source_synced_at,
    'kingdee' as erp_system,
    nullif(trim(f.sale_org), '') as erp_company,
    nullif(trim(f.FBillNo), '') as erp_order_id,
    nullif(trim(f.customer), '') as erp_customer,
    nullif(trim(f.reference), '') as channel_reference,
    {{ kingdee_local_to_utc('f.FDate') }} as ordered_at,
    {{ kingdee_local_to_utc('f.FModifyDate') }} as erp_updated_at,
    coalesce(f.FDocumentStatus, '') || '/' || coalesce(f.FCloseStatus, '') || '/' || coalesce(f.FCancelStatus, '') as status_native,
    {{ kingdee_erp_status('f.FDocumentStatus', 'f.FCloseStatus', 'f.FCancelStatus', 'f.remain_qty', 'f.ordered_qty') }} as status,
    {{ decimal_to_amount('f.FBillAllAmount') }} as order_amount,
    {{ decimal_to_amount('f.FBillAmount') }} as net_amount,
    {{ decimal_to_amount('f.FBillTaxAmount') }} as tax_amount,
    {{ kingdee_currency('f.currency_number') }} as currency,
    -- sales returns are separate bills (SAL_RETURNSTOCK); the order carries none
    cast(null as {{ money_type() }}) as refund_amount,
    -- rule D3: why this version cannot be made canonical (NULL when it can)
    case
        when f.FBillNo is null or trim(f.FBillNo) = '' then 'missing FBillNo'
        when f.FID is null or not {{ full_match('trim(f.FID)', "'[0-9]{1,19}'") }} then 'missing or malformed FID'
        when {{ kingdee_local_to_utc('f.FModifyDate') }} is null then 'missing or unparseable FModifyDate'
        when {{ kingdee_time_is_invalid('f.FDate') }} then 'unparseable FDate'
        {%- for field in ['FBillAllAmount', 'FBillAmount', 'FBillTaxAmount'] %}
        when f.{{ field }} is null then 'missing or non-numeric {{ field }}'
        when {{ decimal_to_amount('f.' ~ field) }} is null then 'fractional-cent or out-of-range {{ field }}'
        {%- endfor %}
    end as quarantine_reason
from fields as f
