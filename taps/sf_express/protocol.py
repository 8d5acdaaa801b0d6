"""SF Express CSIM gateway facts (shared/channels/sf_express.md), as data and pure functions the tap and the
sandbox share: the form a call sends, its ``msgDigest``, the two-level answer, and the gateway's codes.

Signing (fact sheet §2, the official SDK's ``callExpressRequest.py``)::

    msgDigest = base64( md5( quote_plus(msgData + timestamp + checkword) ) )   # raw 16-byte digest

The URL-encoding before MD5 is what the short description leaves out; the sheet's vector pins it
(tests/taps/test_sf_express.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import typing as t
from dataclasses import dataclass
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from orderlayer.taps.common.envelope import Action, ErrorTable, fatal, rule

if t.TYPE_CHECKING:
    from collections.abc import Sequence

DEFAULT_BASE_URL = "https://bspgw.sf-express.com/std/service"
SANDBOX_GATEWAY = "https://sfapi-sbox.sf-express.com/std/service"
SERVICE_ROUTES = "EXP_RECE_SEARCH_ROUTES"
#: acceptTime is naive China time (fact sheet §4).
ZONE = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: The gateway accepted the call; the business answer is inside apiResultData.
API_OK = "A1000"
BUSINESS_OK = "S0000"
#: trackingNumber is an array; SF's batch limit is unconfirmed, so the tap asks for at most this many (config).
MAX_BATCH = 10

#: Gateway codes (apiResultCode). A1000 is confirmed; the others follow SF's common-parameter page as public
#: copies show it [I]: A1005 flow control and A1009/A1099 service errors are retried, the rest name the fix.
ERRORS = ErrorTable(
    rules=(
        rule(Action.RETRY, "A1005", "A1009", "A1099"),
        fatal("A1006", hint="the digest was rejected: check the checkword credential of this partner_id (sandbox and production checkwords differ)"),
        fatal("A1004", hint="this partner_id may not call EXP_RECE_SEARCH_ROUTES: enable the route service in the 丰桥 console"),
        fatal("A1003", hint="the gateway refused this machine's IP: add it to the partner's IP allow-list in the 丰桥 console"),
        fatal("A1002", hint="the request timestamp was refused: check this machine's clock"),
        fatal("A1001", hint="a required field was missing: check partner_id"),
    ),
    fallback_hint="see the SF open platform's error code table; check base_url, partner_id and checkword",
    ok_codes=frozenset({API_OK}),
)


def msg_digest(msg_data: str, timestamp: str, checkword: str) -> str:
    """The ``msgDigest`` of a call (module docstring)."""
    encoded = quote_plus(msg_data + timestamp + checkword)
    return base64.b64encode(hashlib.md5(encoded.encode("utf-8")).digest()).decode("ascii")  # noqa: S324 - SF's scheme


def route_query(numbers: Sequence[str], check_phone_no: str | None = None) -> str:
    """``msgData`` of a route query by waybill number (trackingType 1, standard methodType 1), compact JSON."""
    body: dict[str, t.Any] = {"language": "0", "trackingType": "1", "trackingNumber": list(numbers), "methodType": "1"}
    if check_phone_no:
        body["checkPhoneNo"] = check_phone_no
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def signed_form(*, partner_id: str, request_id: str, timestamp: str, msg_data: str, checkword: str) -> dict[str, str]:
    """The form fields of one call (fact sheet §1)."""
    return {
        "partnerID": partner_id,
        "requestID": request_id,
        "serviceCode": SERVICE_ROUTES,
        "timestamp": timestamp,
        "msgDigest": msg_digest(msg_data, timestamp, checkword),
        "msgData": msg_data,
    }


@dataclass(frozen=True)
class GatewayAnswer:
    """The outer answer: ``apiResultCode`` and the parsed ``apiResultData`` (a JSON string in the body)."""

    code: str | None
    text: str
    request_id: str | None
    result: dict | None

    def describe(self, method: str) -> str:
        return f"{method} answered apiResultCode {self.code} ({self.text})"


def read_gateway(payload: t.Any) -> GatewayAnswer:  # noqa: ANN401
    """The outer answer of a parsed body; ValueError when it is not one."""
    if not isinstance(payload, dict) or "apiResultCode" not in payload:
        msg = "not an SF gateway answer (no apiResultCode)"
        raise ValueError(msg)
    data = payload.get("apiResultData")
    result = None
    if isinstance(data, str) and data:
        parsed = json.loads(data)  # the business answer travels as a JSON string: parsed twice
        result = parsed if isinstance(parsed, dict) else None
    elif isinstance(data, dict):
        result = data
    return GatewayAnswer(
        code=payload.get("apiResultCode"),
        text=str(payload.get("apiErrorMsg") or ""),
        request_id=payload.get("apiResponseID"),
        result=result,
    )


def parse_accept_time(value: str) -> dt.datetime:
    """An ``acceptTime`` (naive Beijing ``yyyy-MM-dd HH:mm:ss``) as an aware instant; ValueError otherwise."""
    return dt.datetime.strptime(value, TIME_FORMAT).replace(tzinfo=ZONE)
