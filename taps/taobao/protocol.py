"""Taobao / Tmall open platform (TOP) protocol: signing, times, error codes.

Pure standard library, shared by the tap (``client.py``) and the sandbox, so both sides sign and
judge a call by the same rules (shared/channels/taobao.md §1–§4).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import typing as t
from zoneinfo import ZoneInfo

from orderlayer.taps.common.envelope import Action, ErrorTable, fatal, rule

DEFAULT_BASE_URL = "https://gw.api.taobao.com"
ROUTER_PATH = "/router/rest"
#: OAuth token endpoint (authorization_code is confirmed; refresh_token on it is inferred).
DEFAULT_TOKEN_URL = "https://oauth.taobao.com/token"
API_VERSION = "2.0"
FORMAT_JSON = "json"

SIGN_METHOD_MD5 = "md5"
SIGN_METHOD_HMAC = "hmac"  # HMAC-MD5
SIGN_METHOD_HMAC_SHA256 = "hmac-sha256"
SIGN_METHODS = (SIGN_METHOD_MD5, SIGN_METHOD_HMAC, SIGN_METHOD_HMAC_SHA256)

METHOD_INCREMENT = "taobao.trades.sold.increment.get"
METHOD_FULLINFO = "taobao.trade.fullinfo.get"
METHOD_REFUNDS = "taobao.refunds.receive.get"

#: System parameters (everything else a call carries is a business parameter).
SYSTEM_PARAMS = ("method", "app_key", "session", "timestamp", "format", "v", "sign_method", "sign", "partner_id", "simplify")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 40  # the platform's default; docs suggest 40-50 for the increment call
#: ``end_modified - start_modified`` may not exceed one day.
MAX_WINDOW_SECONDS = 86_400
#: The docs recommend windows of at most 30 minutes ("much faster and more reliable").
RECOMMENDED_WINDOW_SECONDS = 1_800
#: The increment call only reaches three months back.
HORIZON_DAYS = 90

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SOURCE_ZONE = "Asia/Shanghai"
_SHANGHAI = ZoneInfo(SOURCE_ZONE)

# --- error_response codes (§4; platform codes < 100) ----------------------------------
CODE_APP_CALL_LIMITED = 7
CODE_SERVICE_UNAVAILABLE = 10
CODE_INSUFFICIENT_ISV_PERMISSIONS = 11
CODE_INSUFFICIENT_USER_PERMISSIONS = 12
CODE_INSUFFICIENT_PARTNER_PERMISSIONS = 13
CODE_REMOTE_SERVICE_ERROR = 15
CODE_MISSING_METHOD = 21
CODE_INVALID_METHOD = 22
CODE_MISSING_SIGNATURE = 24
CODE_INVALID_SIGNATURE = 25
CODE_MISSING_SESSION = 26
CODE_INVALID_SESSION = 27
CODE_MISSING_APP_KEY = 28
CODE_INVALID_APP_KEY = 29
CODE_MISSING_TIMESTAMP = 30
CODE_INVALID_TIMESTAMP = 31
CODE_MISSING_ARGUMENTS = 40
CODE_INVALID_ARGUMENTS = 41
CODE_INSUFFICIENT_SESSION_PERMISSIONS = 42
CODE_INVALID_ACCESS_TOKEN = 44
CODE_BUSINESS_ERROR = 50

MESSAGES = {
    CODE_APP_CALL_LIMITED: "App Call Limited",
    CODE_SERVICE_UNAVAILABLE: "Service Currently Unavailable",
    CODE_INSUFFICIENT_ISV_PERMISSIONS: "Insufficient ISV Permissions",
    CODE_INSUFFICIENT_USER_PERMISSIONS: "Insufficient User Permissions",
    CODE_REMOTE_SERVICE_ERROR: "Remote service error",
    CODE_INVALID_METHOD: "Invalid Method",
    CODE_MISSING_SIGNATURE: "Missing Signature",
    CODE_INVALID_SIGNATURE: "Invalid Signature",
    CODE_MISSING_SESSION: "Missing Session",
    CODE_INVALID_SESSION: "Invalid Session",
    CODE_MISSING_APP_KEY: "Missing App Key",
    CODE_INVALID_APP_KEY: "Invalid App Key",
    CODE_MISSING_TIMESTAMP: "Missing Timestamp",
    CODE_INVALID_TIMESTAMP: "Invalid Timestamp",
    CODE_MISSING_ARGUMENTS: "Missing Required Arguments",
    CODE_INVALID_ARGUMENTS: "Invalid Arguments",
    CODE_INSUFFICIENT_SESSION_PERMISSIONS: "Insufficient session permissions",
    CODE_INVALID_ACCESS_TOKEN: "Invalid access token",
}

#: Codes worth retrying with backoff (code 7 carries the ban length as the wait).
RETRIABLE_CODES = frozenset({CODE_APP_CALL_LIMITED, CODE_SERVICE_UNAVAILABLE})
#: Codes after which renewing the session (once) is the fix.
SESSION_REJECTED_CODES = frozenset({CODE_INVALID_SESSION, CODE_INVALID_ACCESS_TOKEN})
#: ``sub_code`` prefix of server-side problems: retry later (§4).
SERVER_SIDE_SUB_PREFIX = "isp."

#: Fact sheet §4: what to do about an ``error_response`` (``code`` / ``sub_code``), with the fix a fatal one names.
ERRORS = ErrorTable(
    rules=(
        rule(Action.RETRY, *RETRIABLE_CODES),
        rule(Action.RETRY, sub_code_prefix=SERVER_SIDE_SUB_PREFIX),
        rule(
            Action.REFRESH_TOKEN, *SESSION_REJECTED_CODES,
            hint="re-authorize the shop and set a fresh 'access_token' (and 'refresh_token') in the config",
        ),
        fatal(
            CODE_INVALID_SIGNATURE, CODE_MISSING_SIGNATURE,
            hint="the request signature was rejected: check app_secret (and app_key / sign_method) in the tap config",
        ),
        fatal(
            CODE_MISSING_APP_KEY, CODE_INVALID_APP_KEY,
            hint="the app key is unknown to the gateway: check app_key (and base_url) in the tap config",
        ),
        fatal(
            CODE_MISSING_TIMESTAMP, CODE_INVALID_TIMESTAMP,
            hint="the gateway rejected the request timestamp: this machine's clock is off; synchronise it (NTP)",
        ),
        fatal(
            CODE_INSUFFICIENT_ISV_PERMISSIONS, CODE_INSUFFICIENT_PARTNER_PERMISSIONS,
            hint=(
                "the app lacks the permission package for this API (order read access is granted only to some app "
                "types): apply for it in the TOP console, or use an app_key that has it"
            ),
        ),
        fatal(
            CODE_INSUFFICIENT_USER_PERMISSIONS, CODE_INSUFFICIENT_SESSION_PERMISSIONS,
            hint=(
                "the seller's authorisation does not cover this API: re-authorize the shop for this app and put the "
                "new session in config key 'access_token'"
            ),
        ),
        fatal(CODE_MISSING_SESSION, hint="no session was sent: set config key 'access_token' (the seller's TOP session)"),
        fatal(
            CODE_MISSING_ARGUMENTS, CODE_INVALID_ARGUMENTS,
            hint=(
                "a request parameter was rejected: check page_size (1-100), window_seconds (<= 86400), trade_types "
                "and fields in the tap config; otherwise report a tap bug"
            ),
        ),
        fatal(
            CODE_MISSING_METHOD, CODE_INVALID_METHOD,
            hint="the gateway does not know this API method: check base_url points at the TOP router (/router/rest)",
        ),
    ),
    fallback_hint="the platform refused the request; see the code and sub_code above",
)

SUB_SESSION_EXPIRED = "session-expired"  # [I] the sub_code TOP pairs with code 27
SUB_RATE_LIMITED = "accesscontrol.limited-by-app-access-count"  # [I]
SUB_INVALID_PARAMETER = "isv.invalid-parameter"
#: [I] taobao.trade.fullinfo.get for a tid the seller does not have (code 15): the trade is left out of a push fetch.
SUB_TRADE_NOT_EXIST = "isv.trade-not-exist"
SUB_SERVICE_BUSY = "isp.top-remote-connection-timeout"  # [I]

_BAN = re.compile(r"ban will last for (\d+(?:\.\d+)?) more seconds", re.IGNORECASE)


def _text(value: t.Any) -> str:  # noqa: ANN401
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def signing_string(params: t.Mapping[str, t.Any]) -> str:
    """``key + value`` of every non-empty parameter except ``sign``, keys sorted (byte order), no separators."""
    items = sorted((k, _text(v)) for k, v in params.items() if k != "sign" and v is not None and _text(v) != "")
    return "".join(k + v for k, v in items)


def sign(params: t.Mapping[str, t.Any], secret: str, sign_method: str = SIGN_METHOD_MD5) -> str:
    """TOP signature (§2), upper-case hex.

    md5: MD5(secret + string + secret); hmac: HMAC-MD5 keyed by the secret over the bare string;
    hmac-sha256: the same with SHA-256.
    """
    body = signing_string(params)
    if sign_method == SIGN_METHOD_MD5:
        digest = hashlib.md5(f"{secret}{body}{secret}".encode()).hexdigest()  # noqa: S324 - the platform's scheme
    elif sign_method == SIGN_METHOD_HMAC:
        digest = hmac.new(secret.encode(), body.encode(), hashlib.md5).hexdigest()
    elif sign_method == SIGN_METHOD_HMAC_SHA256:
        digest = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    else:
        msg = f"unsupported sign_method {sign_method!r}; use one of {SIGN_METHODS}"
        raise ValueError(msg)
    return digest.upper()


def format_time(epoch: int) -> str:
    """Epoch seconds -> TOP's naive ``yyyy-MM-dd HH:mm:ss`` in Beijing time."""
    return dt.datetime.fromtimestamp(epoch, _SHANGHAI).strftime(TIME_FORMAT)


def parse_time(text: str) -> int:
    """TOP's naive Beijing ``yyyy-MM-dd HH:mm:ss`` -> epoch seconds (ValueError if malformed)."""
    naive = dt.datetime.strptime(text.strip(), TIME_FORMAT)  # noqa: DTZ007 - the zone is attached next
    return int(naive.replace(tzinfo=_SHANGHAI).timestamp())


def ban_seconds(*texts: str | None) -> float | None:
    """The ban length from "This ban will last for N more seconds" (code 7), if stated."""
    for text in texts:
        if text:
            match = _BAN.search(text)
            if match:
                return float(match.group(1))
    return None


def response_key(method: str) -> str:
    """``taobao.trades.sold.increment.get`` -> ``trades_sold_increment_get_response``."""
    return method.removeprefix("taobao.").replace(".", "_") + "_response"


def system_params(
    *,
    method: str,
    app_key: str,
    session: str | None,
    timestamp: str,
    sign_method: str,
    partner_id: str | None = None,
) -> dict[str, str]:
    """System parameters of one call, without ``sign``."""
    params = {
        "method": method,
        "app_key": app_key,
        "timestamp": timestamp,
        "format": FORMAT_JSON,
        "v": API_VERSION,
        "sign_method": sign_method,
    }
    if session:
        params["session"] = session
    if partner_id:
        params["partner_id"] = partner_id
    return params
