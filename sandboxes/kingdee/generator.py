"""Kingdee ``SAL_SaleOrder`` bills rendered from the shared ERP derivation, one named row per entry line.

Shapes follow shared/channels/kingdee_k3cloud.md §4–§6: integer ``FID``/entry ids, ``XSDD…`` bill numbers,
server-local times as ``yyyy-MM-ddTHH:mm:ss`` without an offset, decimal amounts as JSON numbers in the
settlement currency (``PRE001`` = CNY), FDocumentStatus Z/A/B/C/D, FCloseStatus and FCancelStatus A/B.
The server answers the requested FieldKeys of these rows as positional arrays.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from orderlayer.sandboxes.kit.erp_derive import ErpFormats, ErpOrder

SALE_ORG = "100"
FIRST_FID = 100_001
#: Kingdee's preset currency numbers (BD_Currency): PRE001 is 人民币.
CURRENCY_NUMBERS = {"CNY": "PRE001", "HKD": "PRE002", "EUR": "PRE003", "JPY": "PRE004", "GBP": "PRE006", "USD": "PRE007"}
#: Fields holding the receiver's contact data (personal): answered only when a query asks for them.
PII_FIELD_KEYS = ("FLinkMan", "FLinkPhone", "FReceiveAddress")

KINGDEE_FORMATS = ErpFormats(
    order_id=lambda seq: f"XSDD{seq:06d}",
    shop_customer=lambda k: f"CUST{k + 1:04d}",
    offline_customer=lambda j: f"CUST9{j + 1:03d}",
)

_SIX = Decimal("0.000001")


def local_text(epoch: int, zone: dt.tzinfo) -> str:
    return dt.datetime.fromtimestamp(epoch, zone).strftime("%Y-%m-%dT%H:%M:%S")


def status_codes(order: ErpOrder, now: int) -> tuple[str, str, str]:
    """(FDocumentStatus, FCloseStatus, FCancelStatus) at ``now``."""
    status = order.status_at(now)
    if status == "cancelled":
        return "D", "A", "B"  # un-audited (re-audit pending), then voided
    if status == "completed":
        return "C", "B", "A"
    if status == "open" and order.channel is None and order.changed_at is None:
        return "B", "A", "A"  # a manual order still under review
    return "C", "A", "A"


def bill_rows(order: ErpOrder, now: int, *, zone: dt.tzinfo, reference_field: str, customer_names: dict[str, str]) -> list[dict]:
    """Every entry row of the bill (header values repeated), keyed by field key."""
    document, close, cancel = status_codes(order, now)
    status = order.status_at(now)
    fid = FIRST_FID + order.seq
    created = local_text(order.created_at, zone)
    header = {
        "FID": fid,
        "FBillNo": order.erp_order_id,
        "FDate": local_text(order.created_at, zone)[:10] + "T00:00:00",
        "FBillTypeID.FNumber": "XSDD01_SYS",
        "FBusinessType": "NORMAL",
        "FSaleOrgId.FNumber": SALE_ORG,
        "FCustId.FNumber": order.customer,
        "FCustId.FName": customer_names.get(order.customer, "线下客户"),
        "FSalerId.FNumber": "0001",
        "FDocumentStatus": document,
        "FCloseStatus": close,
        "FCancelStatus": cancel,
        "FCreateDate": created,
        "FModifyDate": local_text(order.updated_at(now), zone),
        "FApproveDate": created if document == "C" or cancel == "B" else None,
        "FNote": "" if order.channel else "线下订单",
        "FSettleCurrId.FNumber": CURRENCY_NUMBERS.get(order.currency, order.currency),
        "FExchangeRate": Decimal("1.0"),
        "FIsIncludedTax": True,
        "FBillAmount": order.net,
        "FBillTaxAmount": order.tax,
        "FBillAllAmount": order.gross,
        reference_field: order.reference,
        "FLinkMan": "王小明" if order.plaintext_pii else "",
        "FLinkPhone": "13912345678" if order.plaintext_pii else "",
        "FReceiveAddress": "福建省厦门市思明区人民路88号" if order.plaintext_pii else "",
    }
    rows = []
    for k, line in enumerate(order.lines):
        qty = Decimal(line.quantity)
        shipped_all = status in ("completed",) or (status == "in_process" and k < max(1, len(order.lines) - 1))
        remain = Decimal(0) if shipped_all else qty
        rows.append(
            {
                **header,
                "FSaleOrderEntry_FEntryID": fid * 10 + k + 1,
                "FMaterialId.FNumber": line.material,
                "FMaterialName": line.description,
                "FUnitID.FNumber": "Pcs",
                "FQty": qty,
                "FPrice": (line.net / qty).quantize(_SIX, rounding=ROUND_HALF_UP),
                "FTaxPrice": (line.gross / qty).quantize(_SIX, rounding=ROUND_HALF_UP),
                "FTaxRate": (order.tax_rate * 100).quantize(Decimal("0.01")),
                "FAmount": line.net,
                "FAllAmount": line.gross,
                "FDeliveryDate": local_text(order.created_at + 3 * 86_400, zone)[:10] + "T00:00:00",
                "FBaseRemainOutQty": remain,
            }
        )
    return rows
