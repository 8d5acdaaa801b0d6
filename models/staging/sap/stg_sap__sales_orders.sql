{#- SAP S/4HANA sales orders (API_SALES_ORDER_SRV A_SalesOrder + to_Item), one row per raw version, in the
    shared ERP staging contract (docs/erp-reconciliation.md). Platform facts: shared/channels/sap_s4hana.md.
    Fields read: macros/sap/sales_order_shape.sql. -#}

with raw as (
    {{ raw_records('sap', 'sales_orders') }}
),

parsed as (
    select _record_hash, _connection, _synced_at, {{ sap_parse_sales_order('_record') }} as r
    from raw
),

fields as (
    select
        _record_hash,
        _connection,
        _synced_at,
        r.SalesOrder,
        r.SalesOrganization,
        r.SoldToParty,
        -- "Customer Reference" (BSTKD): integrations write the channel's order number here
        r.PurchaseOrderByCustomer,
        -- Edm.DateTime, date only: there is no creation time of day on A_SalesOrder
        r.CreationDate,
        r.SalesOrderDate,
        -- Edm.DateTimeOffset (UTC), the service's change stamp and the tap's replication key
        r.LastChangeDateTime,
        -- net value excluding tax; items with a rejection reason are not in it
        r.TotalNetAmount,
        r.TransactionCurrency,
        r.OverallSDProcessStatus,
        r.OverallTotalDeliveryStatus,
        r.OverallSDDocumentRejectionSts,
        -- the header has no tax or gross amount, so amounts come from the items: those without a rejection
        -- reason; when every item is rejected (the order is cancelled, TotalNetAmount 0) all of them, so a
        -- cancelled order keeps the value it had and stays comparable with its channel order
        r.to_Item.results as items,
        {{ list_where('r.to_Item.results', 'i', "coalesce(trim(i.SalesDocumentRjcnReason), '') = ''") }} as open_items
    from parsed
),

counted as (
    select
        *,
        case when {{ list_size('open_items') }} > 0 then open_items else items end as counted_items
    from fields
),

typed as (
    select
        f._record_hash as raw_record_id,
        f._connection as connection_name,
        f._synced_at as source_synced_at,
        'sap' as erp_system,
        nullif(trim(f.SalesOrganization), '') as erp_company,
        nullif(trim(f.SalesOrder), '') as erp_order_id,
        nullif(trim(f.SoldToParty), '') as erp_customer,
        nullif(trim(f.PurchaseOrderByCustomer), '') as channel_reference,
        -- midnight UTC of the creation date (SalesOrderDate when CreationDate is empty, e.g. right after creation)
        coalesce({{ sap_date_to_utc('f.CreationDate') }}, {{ sap_date_to_utc('f.SalesOrderDate') }}) as ordered_at,
        {{ sap_date_to_utc('f.LastChangeDateTime') }} as erp_updated_at,
        -- overall processing / overall delivery / rejection status, e.g. 'C/C/A'
        coalesce(f.OverallSDProcessStatus, '') || '/' || coalesce(f.OverallTotalDeliveryStatus, '') || '/'
            || coalesce(f.OverallSDDocumentRejectionSts, '') as status_native,
        {{ sap_erp_status('f.OverallSDProcessStatus', 'f.OverallTotalDeliveryStatus', 'f.OverallSDDocumentRejectionSts') }}
            as status,
        -- an order without items has a net value of 0 and no tax
        case when {{ list_size('f.items') }} > 0
            then {{ list_total(list_map('f.counted_items', 'i', sap_decimal_to_amount('i.NetAmount'))) }}::{{ money_type() }}
            else {{ sap_decimal_to_amount('f.TotalNetAmount') }}
        end as net_amount,
        case when {{ list_size('f.items') }} > 0
            then {{ list_total(list_map('f.counted_items', 'i', sap_decimal_to_amount('i.TaxAmount'))) }}::{{ money_type() }}
            else 0.00
        end as tax_amount,
        upper(nullif(trim(f.TransactionCurrency), '')) as currency,
        -- the sales order API carries no returns or credit memos
        cast(null as {{ money_type() }}) as refund_amount,

        -- rule D3: why this version cannot be made canonical (NULL when it can)
        case
            when f.SalesOrder is null or not {{ full_match('trim(f.SalesOrder)', "'[0-9A-Za-z]{1,10}'") }} then 'missing or malformed SalesOrder'
            when {{ sap_date_to_utc('f.LastChangeDateTime') }} is null then 'missing or unparseable LastChangeDateTime'
            when {{ sap_date_is_invalid('f.CreationDate') }} then 'unparseable CreationDate'
            when {{ sap_date_is_invalid('f.SalesOrderDate') }} then 'unparseable SalesOrderDate'
            when f.items is null then 'no to_Item results (the gross amount needs the items)'
            when f.TotalNetAmount is null or trim(f.TotalNetAmount) = '' then 'missing TotalNetAmount'
            when {{ sap_amount_is_invalid('f.TotalNetAmount') }} then 'non-numeric TotalNetAmount'
            when coalesce({{ list_any(list_map('f.items', 'i', sap_amount_is_invalid('i.NetAmount') ~ ' or i.NetAmount is null')) }}, false)
                then 'missing or non-numeric item NetAmount'
            when coalesce({{ list_any(list_map('f.items', 'i', sap_amount_is_invalid('i.TaxAmount') ~ ' or i.TaxAmount is null')) }}, false)
                then 'missing or non-numeric item TaxAmount'
        end as quarantine_reason
    from counted as f
)

select
    raw_record_id,
    connection_name,
    source_synced_at,
    erp_system,
    erp_company,
    erp_order_id,
    erp_customer,
    channel_reference,
    ordered_at,
    erp_updated_at,
    status_native,
    status,
    (net_amount + tax_amount)::{{ money_type() }} as order_amount,
    net_amount,
    tax_amount,
    currency,
    refund_amount,
    quarantine_reason
from typed
