"""YonSuite sales orders (``voucherorder`` list rows, ``isSum=false``) rendered from the shared ERP derivation.

Shapes follow shared/channels/yonyou.md §A: one flattened row per order line (header repeated), 16–17 digit
numeric ids around 2**53 (a float parser corrupts the larger ones), ``UO-…`` codes, naive ``yyyy-MM-dd HH:mm:ss``
China-time strings (``vouchdate``, ``auditTime``, ``pubts``), money as JSON numbers, ``nextStatusName`` codes.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from orderlayer.sandboxes.kit.erp_derive import ErpFormats, ErpOrder

#: First order id: 2**53 - 40, so ids cross the largest integer a double holds exactly.
FIRST_ID = 2**53 - 40
ID_STEP = 7
SALES_ORG_ID = 1_525_331_250_000_000
SALES_ORG_NAME = "华东销售公司"
CURRENCY_IDS = {"CNY": "1907236547575040", "USD": "1907236547575041", "HKD": "1907236547575042"}
CURRENCY_NAMES = {"CNY": "人民币", "USD": "美元", "HKD": "港币"}
SALESPEOPLE = ("陈静", "刘洋", "赵磊")

YONYOU_FORMATS = ErpFormats(
    order_id=lambda seq: f"UO-1648{seq:014d}",
    shop_customer=lambda k: f"C{k + 1:05d}",
    offline_customer=lambda j: f"K{j + 1:05d}",
)

_SIX = Decimal("0.000001")


def local_text(epoch: int, zone: dt.tzinfo) -> str:
    return dt.datetime.fromtimestamp(epoch, zone).strftime("%Y-%m-%d %H:%M:%S")


def order_id(order: ErpOrder) -> int:
    return FIRST_ID + order.seq * ID_STEP


def customer_id(code: str) -> int:
    """A stable numeric archive id for a customer code (the list answers ids; the code is separate)."""
    return 2_216_637_563_392_256 + sum((i + 1) * ord(c) for i, c in enumerate(code))


def status_name(order: ErpOrder, now: int) -> str:
    status = order.status_at(now)
    if status == "open":
        return "APPROVING" if order.channel is None and order.changed_at is None else "CONFIRMORDER"
    if status == "in_process":
        return "DELIVERY_PART" if len(order.lines) > 1 else "DELIVERGOODS"
    if status == "completed":
        return "ENDORDER"
    return "OPPOSE"


def order_rows(order: ErpOrder, now: int, *, zone: dt.tzinfo, reference_field: str, customer_names: dict[str, str]) -> list[dict]:
    """Every flattened list row of ``order`` at ``now`` (one per line, header repeated)."""
    status = status_name(order, now)
    oid = order_id(order)
    created = local_text(order.created_at, zone)
    currency_id = CURRENCY_IDS.get(order.currency, order.currency)
    header = {
        "id": oid,
        "code": order.erp_order_id,
        "vouchdate": created[:10] + " 00:00:00",
        "orderDate": created,
        "auditTime": created if status != "APPROVING" else None,
        "pubts": local_text(order.updated_at(now), zone),
        "salesOrgId": SALES_ORG_ID,
        "salesOrgId_name": SALES_ORG_NAME,
        "transactionTypeId": 1_525_331_250_000_101,
        "transactionTypeId_name": "普通销售",
        "agentId": customer_id(order.customer),
        "agentId_code": order.customer,
        "agentId_name": customer_names.get(order.customer, "线下客户"),
        "saleDepartmentId_name": "电商部" if order.channel else "大客户部",
        "corpContactUserName": SALESPEOPLE[order.seq % len(SALESPEOPLE)],
        "statusCode": status,
        "nextStatusName": status,
        "currency": currency_id,
        "currency_code": order.currency,
        "currency_name": CURRENCY_NAMES.get(order.currency, order.currency),
        "natCurrency": currency_id,
        "exchRate": Decimal("1"),
        "orderPrices": {"currency": currency_id, "natCurrency": currency_id, "exchRate": Decimal("1"), "taxInclusive": True},
        "payMoney": order.gross,
        "orderPayMoney": order.gross,
        "totalMoney": order.gross,
        "promotionMoney": Decimal("0"),
        "rebateMoney": Decimal("0"),
        reference_field: order.reference or None,
        "receiver": "李华" if order.plaintext_pii else None,
        "receiveMobile": "13800138000" if order.plaintext_pii else None,
        "receiveAddress": "浙江省杭州市西湖区文化路12号" if order.plaintext_pii else None,
    }
    rows = []
    shipped = status in ("DELIVERGOODS", "ENDORDER")
    for k, line in enumerate(order.lines):
        qty = Decimal(line.quantity)
        line_shipped = shipped or (status == "DELIVERY_PART" and k == 0)
        rows.append(
            {
                **header,
                "lineno": line.line_no,
                "orderDetailId": oid + 1 + k,
                "productId": 1_600_000_000_000_000 + int(line.material[-4:]),
                "productCode": line.material,
                "skuCode": line.material,
                "skuName": line.description,
                "qty": qty,
                "subQty": qty,
                "productUnitName": "件",
                "oriUnitPrice": (line.net / qty).quantize(_SIX, rounding=ROUND_HALF_UP),
                "oriTaxUnitPrice": (line.gross / qty).quantize(_SIX, rounding=ROUND_HALF_UP),
                "oriMoney": line.net,
                "oriSum": line.gross,
                "taxRate": (order.tax_rate * 100).quantize(Decimal("1")),
                "oriTax": line.tax,
                "sendDate": local_text(order.created_at + 2 * 86_400, zone)[:10] + " 00:00:00",
                "stockOrgId_name": SALES_ORG_NAME,
                "sendQty": qty if line_shipped else Decimal(0),
            }
        )
    return rows
