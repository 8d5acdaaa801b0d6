"""Yonyou YonBIP / YonSuite open-API protocol pieces shared by the tap and its sandbox.

Pure standard library (fact sheet shared/channels/yonyou.md §A): the self-built-app token signature (HmacSHA256
over the sorted parameters, base64, URL-encoded), the sales-order list call ``/yonbip/sd/voucherorder/list``
with ``simpleVOs`` conditions and ``queryOrders``, its envelope, and the header / line split of the flattened
``isSum=false`` rows. The U8+ OpenAPI family (§B) is not covered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import typing as t
from urllib.parse import quote

TOKEN_PATH = "/open-auth/selfAppAuth/getAccessToken"
SALES_ORDER_LIST_PATH = "/yonbip/sd/voucherorder/list"

TOKEN_OK = "00000"
LIST_OK = "200"
#: Gateway answer for a token it does not accept (310036 seen for a fake token on the real gateway) or an
#: expired one (310037, secondary source); the tap renews the token once per rejection for either.
TOKEN_REJECTED_CODES = frozenset({"310036", "310037"})
#: Token lifetime stated by the docs (有效期为2小时).
TOKEN_TTL_SECONDS = 7_200
#: Calls per minute for list / detail / save from 2026-03-31 (secondary source).
DOCUMENTED_CALLS_PER_MINUTE = 60

DEFAULT_PAGE_SIZE = 500
#: Largest pageSize the tap asks for; the list API's maximum is not documented.
MAX_PAGE_SIZE = 500
#: The last-modified timestamp filtered on for increments (unconfirmed that simpleVOs accepts it; configurable).
DEFAULT_INCREMENTAL_FIELD = "pubts"
#: Field holding the channel order number (the sheet names none for sales orders; configurable).
DEFAULT_REFERENCE_FIELD = "srcBillNO"

#: Keys of a flattened list row that belong to the order line (everything else is the header).
LINE_FIELDS: tuple[str, ...] = (
    "lineno",
    "orderDetailId",
    "productId",
    "productCode",
    "skuCode",
    "skuName",
    "qty",
    "subQty",
    "productUnitName",
    "oriUnitPrice",
    "oriTaxUnitPrice",
    "oriMoney",
    "oriSum",
    "taxRate",
    "oriTax",
    "sendDate",
    "stockOrgId_name",
    "sendQty",
)
ORDER_ID_KEY = "id"
LINES_KEY = "orderDetails"


def sign(app_key: str, app_secret: str, timestamp: int | str) -> str:
    """base64(HmacSHA256(appSecret, "appKey" + appKey + "timestamp" + timestamp)): parameters sorted by name."""
    message = f"appKey{app_key}timestamp{timestamp}"
    digest = hmac.new(app_secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_param(app_key: str, app_secret: str, timestamp: int | str) -> str:
    """The ``signature`` query value as the docs write it: the base64 signature URL-encoded (``/`` ``+`` ``=`` escaped)."""
    return quote(sign(app_key, app_secret, timestamp), safe="")


def token_query(app_key: str, app_secret: str, timestamp_ms: int) -> str:
    """The full query string of getAccessToken (already encoded: send it verbatim)."""
    return f"appKey={quote(app_key, safe='')}&timestamp={timestamp_ms}&signature={signature_param(app_key, app_secret, timestamp_ms)}"


def list_body(page_index: int, page_size: int, field: str, start_local: str, end_local_inclusive: str) -> dict:
    """One list page: orders whose ``field`` is between the two local times (inclusive), ordered stably."""
    return {
        "pageIndex": page_index,
        "pageSize": page_size,
        "isSum": False,
        "simpleVOs": [{"field": field, "op": "between", "value1": start_local, "value2": end_local_inclusive}],
        "queryOrders": [{"field": field, "order": "asc"}, {"field": ORDER_ID_KEY, "order": "asc"}],
    }


def envelope_code(payload: t.Any) -> str | None:  # noqa: ANN401
    """The envelope ``code`` as text (docs show both "999" and 999), or None when there is none."""
    if not isinstance(payload, dict) or payload.get("code") is None:
        return None
    return str(payload["code"])


def split_row(row: t.Mapping[str, t.Any], line_fields: t.Collection[str] = LINE_FIELDS) -> tuple[dict, dict]:
    """A flattened row → (header part, line part)."""
    header, line = {}, {}
    for key, value in row.items():
        (line if key in line_fields else header)[key] = value
    return header, line


def group_rows(rows: t.Sequence[t.Mapping[str, t.Any]], line_fields: t.Collection[str] = LINE_FIELDS) -> dict:
    """The rows of one order → one record: the first row's header, every row's line under ``orderDetails``.

    A header value that differs on a later row is kept in that row's line (nothing the server sent is dropped).
    """
    header, _ = split_row(rows[0], line_fields)
    lines = []
    for row in rows:
        row_header, line = split_row(row, line_fields)
        line.update({k: v for k, v in row_header.items() if header.get(k) != v})
        lines.append(line)
    return {**header, LINES_KEY: lines}
