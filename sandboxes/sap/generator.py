"""SAP sales orders (``A_SalesOrder`` with ``to_Item``) rendered from the shared ERP derivation.

Shapes follow shared/channels/sap_s4hana.md §6 and §9: string keys, ``/Date(ms)/`` date-only values at
midnight UTC of the system's local date, ``/Date(ms+0000)/`` for ``LastChangeDateTime``, decimals as strings in
the currency's decimals, status codes A/B/C. A rejected item (reason set) leaves the header net value, as in
SD; an order whose items are all rejected is the ERP's cancellation (rejection status C, net value 0).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import quote

from orderlayer.sandboxes.kit.erp_derive import ErpFormats, ErpOrder
from orderlayer.sandboxes.sap import protocol as p

SALES_ORGANIZATION = "1710"
DISTRIBUTION_CHANNEL = "10"
#: Reason for rejection put on every item of a cancelled order.
REJECTION_REASON = "10"
#: Integration user that posts channel orders; clerks' user names (personal data) enter ERP-only orders.
INTEGRATION_USER = "CC0000000017"
CLERKS = ("WANG.FANG", "LI.NA", "ZHANG.WEI")

SAP_FORMATS = ErpFormats(
    order_id=lambda seq: str(10_000_000 + seq),
    shop_customer=lambda k: str(1_000_100 + k),
    offline_customer=lambda j: str(1_700_100 + j),
)

# (OverallSDProcessStatus, OverallTotalDeliveryStatus, OverallOrdReltdBillgStatus, OverallSDDocumentRejectionSts)
_HEADER_STATUS = {
    "open": ("A", "A", "A", "A"),
    "in_process": ("B", "B", "A", "A"),
    "completed": ("C", "C", "C", "A"),
    "cancelled": ("C", "", "", "C"),
}


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _etag(ms: int) -> str:
    stamp = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(milliseconds=ms)
    literal = f"{stamp:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}0000Z"
    return f"W/\"datetimeoffset'{quote(literal, safe='')}'\""


def last_change_ms(order: ErpOrder, now: int) -> int:
    """LastChangeDateTime in ms: the change second plus a stable sub-second part (SAP keeps 100 ns)."""
    return order.updated_at(now) * 1000 + (order.seq * 367) % 1000


def render_sales_order(order: ErpOrder, now: int, *, service_root: str, zone: dt.tzinfo) -> dict:
    """``A_SalesOrder`` entity (with ``to_Item`` expanded) of ``order`` as the service shows it at ``now``."""
    status = order.status_at(now)
    process, delivery, billing, rejection = _HEADER_STATUS[status]
    rejected = status == "cancelled"
    changed_ms = last_change_ms(order, now)
    so = order.erp_order_id
    created_date = p.format_odata_date(p.date_only_ms(order.created_at, zone))
    uri = f"{service_root}/{p.ENTITY_SET}('{so}')"
    items = []
    for line in order.lines:
        item_uri = f"{service_root}/A_SalesOrderItem(SalesOrder='{so}',SalesOrderItem='{line.line_no}')"
        items.append(
            {
                "__metadata": {"id": item_uri, "uri": item_uri, "type": "API_SALES_ORDER_SRV.A_SalesOrderItemType"},
                "SalesOrder": so,
                "SalesOrderItem": str(line.line_no),
                "HigherLevelItem": "0",
                "SalesOrderItemCategory": "TAN",
                "SalesOrderItemText": line.description,
                "PurchaseOrderByCustomer": order.reference,
                "Material": line.material,
                "MaterialByCustomer": "",
                "RequestedQuantity": str(line.quantity),
                "RequestedQuantityUnit": "PC",
                "RequestedQuantitySAPUnit": "ST",
                "RequestedQuantityISOUnit": "PCE",
                "TransactionCurrency": order.currency,
                "NetAmount": _money(line.net),
                "TaxAmount": _money(line.tax),
                "CostAmount": "0.00",
                "Subtotal1Amount": _money(line.net),
                "ProductionPlant": "1710",
                "ShippingPoint": "1710",
                "SalesDocumentRjcnReason": REJECTION_REASON if rejected else "",
                "ItemBillingBlockReason": "",
                "SDProcessStatus": "C" if rejected else process,
                "DeliveryStatus": "" if rejected else delivery,
                "OrderRelatedBillingStatus": "" if rejected else billing,
            }
        )
    net_value = Decimal("0.00") if rejected else order.net
    user = INTEGRATION_USER if order.channel else CLERKS[order.seq % len(CLERKS)]
    return {
        "__metadata": {"id": uri, "uri": uri, "type": "API_SALES_ORDER_SRV.A_SalesOrderType", "etag": _etag(changed_ms)},
        "SalesOrder": so,
        "SalesOrderType": "OR",
        "SalesOrganization": SALES_ORGANIZATION,
        "DistributionChannel": DISTRIBUTION_CHANNEL,
        "OrganizationDivision": "00",
        "SalesGroup": "",
        "SalesOffice": "",
        "SalesDistrict": "",
        "SoldToParty": order.customer,
        "CreationDate": created_date,
        "CreatedByUser": user,
        "LastChangeDate": p.format_odata_date(p.date_only_ms(order.updated_at(now), zone)),
        "SenderBusinessSystemName": "EC_MIDDLEWARE" if order.channel else "",
        "ExternalDocumentID": "",
        "LastChangeDateTime": p.format_odata_date(changed_ms, offset=True),
        "ExternalDocLastChangeDateTime": None,
        "PurchaseOrderByCustomer": order.reference,
        "PurchaseOrderByShipToParty": "",
        "CustomerPurchaseOrderType": "",
        "CustomerPurchaseOrderDate": None,
        "SalesOrderDate": created_date,
        "TotalNetAmount": _money(net_value),
        "TransactionCurrency": order.currency,
        "SDDocumentReason": "",
        "PricingDate": created_date,
        "PriceDetnExchangeRate": "1.00000",
        "RequestedDeliveryDate": p.format_odata_date(p.date_only_ms(order.created_at + 3 * 86_400, zone)),
        "ShippingCondition": "01",
        "CompleteDeliveryIsDefined": False,
        "ShippingType": "",
        "HeaderBillingBlockReason": "",
        "DeliveryBlockReason": "",
        "IncotermsClassification": "EXW",
        "IncotermsLocation1": "",
        "CustomerPaymentTerms": "0001",
        "PaymentMethod": "",
        "OverallSDProcessStatus": process,
        "OverallTotalDeliveryStatus": delivery,
        "OverallDeliveryStatus": delivery,
        "OverallOrdReltdBillgStatus": billing,
        "OverallSDDocumentRejectionSts": rejection,
        "TotalBlockStatus": "",
        "TotalCreditCheckStatus": "",
        "SalesDocApprovalStatus": "",
        "to_Item": {"results": items},
    }
