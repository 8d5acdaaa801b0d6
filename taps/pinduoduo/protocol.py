"""Pinduoduo (拼多多) POP open-platform protocol: signing, time formats, error codes.

Pure standard library, shared by the tap (``client.py``) and the sandbox so both sides compute the same
signature from the same rules (shared/channels/pinduoduo.md §1–§4).

Every call is a POST to one router URL. Common parameters (``type`` = the API name, ``client_id``,
``timestamp``, ``data_type``, ``access_token``) and business parameters sit side by side in one flat body,
and all of them except ``sign`` are signed:

    sign = UPPER(hex(MD5(client_secret + Σ key + text(value) over sorted keys + client_secret)))
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import re
import typing as t

from orderlayer.taps.common.envelope import Action, ErrorTable, fatal, rule

DEFAULT_BASE_URL = "https://gw-api.pinduoduo.com/api/router"
ROUTER_PATH = "/api/router"
DATA_TYPE_JSON = "JSON"

# --- API names and the key their success payload is wrapped in (§1)
ORDER_INCREMENT_GET = "pdd.order.number.list.increment.get"
ORDER_INCREMENT_RESPONSE = "order_sn_increment_get_response"
REFUND_INCREMENT_GET = "pdd.refund.list.increment.get"
#: One order by ``order_sn`` (a PMC message names an order: consumer.py fetches it); the response key is bububa/openpdd's.
ORDER_INFORMATION_GET = "pdd.order.information.get"
ORDER_INFORMATION_RESPONSE = "order_info_get_response"
REFUND_INCREMENT_RESPONSE = "refund_increment_get_response"
#: ``after_sales_status`` / ``after_sales_type`` 1 = all (both are required filters of the after-sale list).
ALL_AFTER_SALES = 1
TOKEN_REFRESH = "pdd.pop.auth.token.refresh"
TOKEN_REFRESH_RESPONSE = "pop_auth_token_refresh_response"
TIME_GET = "pdd.time.get"
TIME_GET_RESPONSE = "time_get_response"
RESPONSE_KEYS = {
    ORDER_INCREMENT_GET: ORDER_INCREMENT_RESPONSE,
    REFUND_INCREMENT_GET: REFUND_INCREMENT_RESPONSE,
    ORDER_INFORMATION_GET: ORDER_INFORMATION_RESPONSE,
    TOKEN_REFRESH: TOKEN_REFRESH_RESPONSE,
    TIME_GET: TIME_GET_RESPONSE,
}
#: Tool calls that are signed but carry no shop authorisation.
TOKENLESS_METHODS = frozenset({TOKEN_REFRESH, TIME_GET})

#: Parameters the signer owns: a caller's business params never set these.
COMMON_PARAMS = ("type", "client_id", "timestamp", "data_type", "access_token", "sign")

# --- limits of pdd.order.number.list.increment.get (§3)
MAX_PAGE_SIZE = 100
MAX_WINDOW_SECONDS = 30 * 60
#: Orders whose deal (成交) time is older than three months are not returned.
HORIZON_DAYS = 90
#: Keep the window end this far behind the platform clock (the doc's "PDD time − 3 min").
SETTLE_LAG_SECONDS = 3 * 60
#: A request timestamp further than this from the platform clock is rejected.
TIMESTAMP_TOLERANCE_SECONDS = 10 * 60
# Filters: 5 = every shipping state, 5 = every after-sale state, 0 = lottery and non-lottery orders.
ALL_ORDER_STATUS = 5
ALL_REFUND_STATUS = 5
ALL_LUCKY_FLAG = 0

# --- error_response codes (§4; third-party copy of the official table, [I] strength)
CODE_PARAMETER = 10000  # business parameter invalid [I: not in the sheet; the sandbox uses it]
CODE_COMMON_PARAMETER = 10001  # 公共参数错误 (official doc example: "公共参数错误:type")
CODE_TOKEN_EXPIRED = 10019
CODE_SIGNATURE = 20004
CODE_IP_WHITELIST = 20005
CODE_NO_PERMISSION = 20031
CODE_RATE_LIMITED = 52101
CODE_CALLED_TOO_OFTEN = 70031
CODE_DEGRADED = 52102
CODE_MAINTENANCE = 52103
CODE_UNAVAILABLE = 70033
CODE_FORBIDDEN = 70032
CODE_RISKY_USER = 70034
CODE_RISKY_APP = 70035
CODE_TEST_QUOTA = 70036
CODE_INTERNAL = 50000
CODE_INTERNAL_1 = 50001
CODE_INTERNAL_2 = 50002
CODE_BUSY = 52001
CODE_BUSY_2 = 52002

THROTTLE_CODES = frozenset({CODE_RATE_LIMITED, CODE_CALLED_TOO_OFTEN})
TRANSIENT_CODES = frozenset(
    {CODE_DEGRADED, CODE_MAINTENANCE, CODE_UNAVAILABLE, CODE_INTERNAL, CODE_INTERNAL_1, CODE_INTERNAL_2, CODE_BUSY, CODE_BUSY_2}
)
RETRIABLE_CODES = THROTTLE_CODES | TRANSIENT_CODES

#: Fact sheet §4: what to do about an ``error_response``, with the fix a fatal one names (``says`` reads the
#: lower-cased ``error_msg`` + ``sub_msg``).
ERRORS = ErrorTable(
    rules=(
        rule(Action.RETRY, *RETRIABLE_CODES),
        rule(Action.REFRESH_TOKEN, CODE_TOKEN_EXPIRED),
        fatal(CODE_SIGNATURE, hint="the request signature was rejected: check client_secret (and client_id) in the tap config"),
        fatal(
            CODE_COMMON_PARAMETER, says="timestamp",
            hint=(
                "the gateway rejected the request timestamp: this machine's clock is more than 10 minutes off "
                "the platform's; synchronise it (NTP)"
            ),
        ),
        fatal(
            CODE_COMMON_PARAMETER, says="client_id",
            hint="the gateway does not know this app: check client_id (and base_url) in the tap config",
        ),
        fatal(CODE_COMMON_PARAMETER, hint="a common request parameter was rejected: check client_id and base_url in the tap config"),
        fatal(
            CODE_PARAMETER,
            hint="a request parameter was rejected: check page_size (<= 100) and window_seconds (<= 1800); otherwise report a tap bug",
        ),
        fatal(
            CODE_NO_PERMISSION,
            hint=(
                "permission denied: the app lacks the permission package for this API, or the shop has not authorised "
                "it; apply for the order permission package in the Pinduoduo open-platform console and re-authorise the "
                "shop (new access_token / refresh_token)"
            ),
        ),
        fatal(
            CODE_IP_WHITELIST,
            hint="this machine's IP address is not in the app's IP whitelist: add it in the Pinduoduo open-platform console",
        ),
        fatal(
            CODE_FORBIDDEN, CODE_RISKY_USER, CODE_RISKY_APP,
            hint="the platform's risk control refused the call for this app or shop; contact Pinduoduo support with the request_id",
        ),
        fatal(
            CODE_TEST_QUOTA,
            hint="the app is in test state and used up its call quota; publish the app or wait for the quota to reset",
        ),
    ),
    fallback_hint="the platform refused the request; see error_code and sub_code above",
)

#: ``YYMMDD-`` + digits (15 in every order seen; the digit count is not relied upon).
ORDER_SN_PATTERN = re.compile(r"[0-9]{6}-[0-9]{6,30}")
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")  # UTC+8, no DST since 1991
LOCAL_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def param_text(value: t.Any) -> str:  # noqa: ANN401
    """A parameter value as it enters the signing string.

    Numbers and strings as written; booleans in JSON spelling (``true``), the way the platform's
    JVM gateway renders them. How arrays and objects are signed is unconfirmed, so they are refused
    rather than guessed (no call this tap makes sends one).
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, decimal.Decimal)):
        return str(value)
    msg = f"cannot sign a parameter of type {type(value).__name__}; only strings, integers and booleans are supported"
    raise TypeError(msg)


def signing_string(params: t.Mapping[str, t.Any], client_secret: str) -> str:
    """``secret + k1 v1 k2 v2 … + secret`` over every parameter except ``sign``, keys in ASCII order."""
    body = "".join(f"{key}{param_text(params[key])}" for key in sorted(params) if key != "sign" and params[key] is not None)
    return f"{client_secret}{body}{client_secret}"


def sign(params: t.Mapping[str, t.Any], client_secret: str) -> str:
    """Upper-case hex MD5 of :func:`signing_string` (fact sheet §2)."""
    return hashlib.md5(signing_string(params, client_secret).encode("utf-8")).hexdigest().upper()  # noqa: S324 - the platform's scheme


def signed_params(
    business: t.Mapping[str, t.Any],
    *,
    method: str,
    client_id: str,
    client_secret: str,
    timestamp: int,
    access_token: str | None,
) -> dict[str, t.Any]:
    """The complete flat body of one call: business params, common params and ``sign``."""
    clash = sorted(set(business) & set(COMMON_PARAMS))
    if clash:
        msg = f"business parameters must not set common parameters {clash}"
        raise ValueError(msg)
    params: dict[str, t.Any] = {
        **business,
        "type": method,
        "client_id": client_id,
        "timestamp": str(int(timestamp)),
        "data_type": DATA_TYPE_JSON,
    }
    if access_token is not None:
        params["access_token"] = access_token
    params["sign"] = sign(params, client_secret)
    return params


def encode_body(params: t.Mapping[str, t.Any]) -> bytes:
    """Compact UTF-8 JSON request body."""
    return json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def parse_json(content: bytes | str) -> t.Any:  # noqa: ANN401
    """Parse a response: integers stay exact (Python ints), non-integers become ``Decimal`` as written."""
    return json.loads(content, parse_float=decimal.Decimal)


def to_local_text(epoch: int) -> str:
    """Epoch seconds -> the platform's naive Beijing-time ``yyyy-MM-dd HH:mm:ss``."""
    return dt.datetime.fromtimestamp(int(epoch), BEIJING).strftime(LOCAL_TIME_FORMAT)


def local_text_to_epoch(text: str) -> int:
    """The platform's naive Beijing-time ``yyyy-MM-dd HH:mm:ss`` -> epoch seconds (ValueError if unreadable)."""
    naive = dt.datetime.strptime(text.strip(), LOCAL_TIME_FORMAT)  # noqa: DTZ007 - the zone is attached next
    return int(naive.replace(tzinfo=BEIJING).timestamp())
