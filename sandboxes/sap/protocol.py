"""What SAP S/4HANA's ``API_SALES_ORDER_SRV`` (OData V2) serves and checks, from shared/channels/sap_s4hana.md.

The sandbox's own reading of the service, independent of the tap's ``protocol`` module. Requests
are not signed (§2: HTTP Basic, or an OAuth bearer token), so there is no signature to check here;
what the two sides must agree on is the ``$filter`` grammar, the JSON dates and the error body.
"""

from __future__ import annotations

import base64
import datetime as dt
import re

# §1: the service root, the header entity set and the sandbox's OAuth token endpoint (unconfirmed for this API).
SERVICE_PATH = "/sap/opu/odata/sap/API_SALES_ORDER_SRV"
ENTITY_SET = "A_SalesOrder"
SALES_ORDER_PATH = SERVICE_PATH + "/" + ENTITY_SET
OAUTH_TOKEN_PATH = "/sap/bc/sec/oauth2/token"

#: §4: the stable sort ``$skip`` paging needs; the sandbox accepts no other.
ORDER_BY = "LastChangeDateTime,SalesOrder"
#: The largest ``$top`` the sandbox serves (§4 shows 300–1000 working; no server cap is documented).
MAX_TOP = 5000

#: The tap config's ``auth_method`` values the sandbox's ``tap_config`` writes (§2: Basic, or OAuth client credentials).
AUTH_BASIC, AUTH_OAUTH2 = "basic", "oauth2_client_credentials"

#: §3: ``LastChangeDateTime ge datetimeoffset'…' and LastChangeDateTime lt datetimeoffset'…'``; a literal has
#: up to 7 fractional digits and ends in ``Z`` or an offset (``datetime'…'`` on this property is an error).
_LITERAL = r"datetimeoffset'(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d{1,7})?)?)(Z|[+-]\d\d:\d\d)'"
_WINDOW = re.compile(rf"\s*LastChangeDateTime\s+ge\s+{_LITERAL}\s+and\s+LastChangeDateTime\s+lt\s+{_LITERAL}\s*")


def _literal_ms(stamp: str, zone: str) -> int:
    """Milliseconds since the epoch of one datetimeoffset literal (seconds optional, fraction cut to ms)."""
    whole, _, fraction = stamp.partition(".")
    if whole.count(":") == 1:
        whole += ":00"
    moment = dt.datetime.fromisoformat(whole + ("+00:00" if zone == "Z" else zone))
    return int(moment.timestamp()) * 1000 + int((fraction + "000")[:3])


def parse_window_filter(text: str) -> tuple[int, int]:
    """§3: the half-open ``[start_ms, end_ms)`` a ``$filter`` asks for; ValueError for any other filter."""
    match = _WINDOW.fullmatch(text)
    if match is None:
        msg = f"unsupported $filter: {text!r}"
        raise ValueError(msg)
    return _literal_ms(match[1], match[2]), _literal_ms(match[3], match[4])


def format_odata_date(epoch_ms: int, *, offset: bool = False) -> str:
    """§5: ``/Date(ms)/`` for Edm.DateTime, ``/Date(ms+0000)/`` for Edm.DateTimeOffset (offset in minutes, UTC here)."""
    return "/Date(" + str(epoch_ms) + ("+0000" if offset else "") + ")/"


def date_only_ms(epoch_seconds: int, zone: dt.tzinfo) -> int:
    """§5: a date-only Edm.DateTime is midnight UTC of the calendar date (here: the date in the system's zone)."""
    local = dt.datetime.fromtimestamp(epoch_seconds, zone)
    return int(dt.datetime.combine(local.date(), dt.time(), dt.timezone.utc).timestamp()) * 1000


def basic_authorization(username: str, password: str) -> str:
    """§2: the ``Authorization`` value HTTP Basic expects for this user."""
    token = base64.b64encode((username + ":" + password).encode("utf-8")).decode("ascii")
    return "Basic " + token


def odata_error(code: str, message: str, *, transaction_id: str = "") -> dict:
    """§7: the SAP Gateway JSON error body."""
    detail = {"code": code, "message": message, "propertyref": "", "severity": "error", "target": ""}
    application = {"component_id": "SD-SLS-API", "service_namespace": "/SAP/", "service_id": "API_SALES_ORDER_SRV", "service_version": "0001"}
    inner = {
        "application": application,
        "transactionid": transaction_id,
        "timestamp": "",
        "Error_Resolution": {"SAP_Transaction": "", "SAP_Note": ""},
        "errordetails": [detail],
    }
    return {"error": {"code": code, "message": {"lang": "en", "value": message}, "innererror": inner}}
