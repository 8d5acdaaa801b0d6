"""SAP S/4HANA ``API_SALES_ORDER_SRV`` (OData V2) protocol pieces shared by the tap and its sandbox.

Pure standard library (fact sheet shared/channels/sap_s4hana.md): the service paths, the ``/Date(ms)/`` and
``/Date(ms+0000)/`` JSON date formats, the ``datetimeoffset'…'`` filter literal, the incremental ``$filter``,
and the Gateway error body.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass

SERVICE_PATH = "/sap/opu/odata/sap/API_SALES_ORDER_SRV"
ENTITY_SET = "A_SalesOrder"
SALES_ORDER_PATH = f"{SERVICE_PATH}/{ENTITY_SET}"
#: OAuth 2.0 token endpoint of an ABAP system (client-credentials grant); unconfirmed for this API.
OAUTH_TOKEN_PATH = "/sap/bc/sec/oauth2/token"

REPLICATION_PROPERTY = "LastChangeDateTime"
#: Stable order for $skip paging (sheet §4): rows cannot swap between pages while nothing changes.
ORDER_BY = "LastChangeDateTime,SalesOrder"
EXPAND_ITEMS = "to_Item"
#: $top the tap asks for by default; KBA 3616518 shows 300/500/1000 working.
DEFAULT_TOP = 1000
MAX_TOP = 5000

AUTH_BASIC = "basic"
AUTH_OAUTH2 = "oauth2_client_credentials"
AUTH_METHODS = (AUTH_BASIC, AUTH_OAUTH2)

_DATE = re.compile(r"^/Date\((-?\d+)(?:([+-])(\d{4}))?\)/$")


@dataclass(frozen=True)
class ODataDate:
    """A ``/Date(ms[±hhmm])/`` value: milliseconds since the epoch (UTC) and the optional offset in minutes."""

    epoch_ms: int
    offset_minutes: int | None = None

    @property
    def epoch_seconds(self) -> int:
        return self.epoch_ms // 1000

    def as_datetime(self) -> dt.datetime:
        return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(milliseconds=self.epoch_ms)


def parse_odata_date(value: str) -> ODataDate:
    """Read ``/Date(1546992000000)/`` (Edm.DateTime) or ``/Date(1683923430388+0000)/`` (Edm.DateTimeOffset).

    The milliseconds are UTC in both; the four digits after the sign of a DateTimeOffset are the source's offset
    as a count of minutes (OData V2 JSON: ``+0060`` is one hour) and do not move the instant. JSON parsers have
    already turned the escaped ``\\/`` into ``/``.
    """
    match = _DATE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        msg = f"not an OData V2 JSON date: {value!r} (expected /Date(<ms>)/ or /Date(<ms>+0000)/)"
        raise ValueError(msg)
    ms, sign, offset = match.groups()
    minutes = None if sign is None else (int(offset) if sign == "+" else -int(offset))
    return ODataDate(int(ms), minutes)


def datetimeoffset_literal(epoch_seconds: int) -> str:
    """The V2 filter literal for a DateTimeOffset: ``datetimeoffset'2024-05-01T00:00:00Z'`` (never ``datetime'…'``)."""
    value = dt.datetime.fromtimestamp(epoch_seconds, dt.timezone.utc)
    return f"datetimeoffset'{value:%Y-%m-%dT%H:%M:%S}Z'"


def window_filter(start: int, end: int) -> str:
    """``$filter`` for the half-open window ``[start, end)`` of LastChangeDateTime (epoch seconds)."""
    return (
        f"{REPLICATION_PROPERTY} ge {datetimeoffset_literal(start)} and "
        f"{REPLICATION_PROPERTY} lt {datetimeoffset_literal(end)}"
    )


def basic_authorization(username: str, password: str) -> str:
    """The ``Authorization`` header value of HTTP Basic (communication user of SAP_COM_0109)."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def error_text(payload: object) -> tuple[str, str] | None:
    """``(code, message)`` of a Gateway error body, or None when the body is not one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("error"), dict):
        return None
    error = payload["error"]
    message = error.get("message")
    text = message.get("value") if isinstance(message, dict) else message
    return str(error.get("code") or ""), str(text or "")
