"""youzanyun (有赞云) open-API protocol: paths, limits, time format, envelopes and error codes.

Pure standard library, shared by the tap (``client.py``) and the sandbox so both read the gateway the same way
(shared/channels/youzan.md §1-§2). Youzan does not sign API requests: the only credential is the
``access_token`` in the query string, obtained from ``/auth/token`` with the app's client_id/client_secret
(the "silent" grant of a self-use app). The one signature in the protocol is on push messages
(:func:`push_signature`); no published test vector exists for it.

Answers come in three shapes, all with HTTP 200:

* success ``{"trace_id", "code": 200, "success": true, "message", "data": {...}}``;
* a business error ``{"code": <int>, "success": false, "message", "data": null}``;
* a gateway error ``{"gw_err_resp": {"trace_id", "err_code", "err_msg"}}`` (token, rate limit, path, permission),
  which has no top-level ``code`` at all, so a client that only checks ``code`` misses it.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import json
import typing as t
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from orderlayer.taps.common.envelope import Action, ErrorTable, Verdict, fatal, rule

DEFAULT_BASE_URL = "https://open.youzanyun.com"
TOKEN_PATH = "/auth/token"
API_PREFIX = "/api"
TRADES_SOLD_GET = "youzan.trades.sold.get"
TRADE_REFUND_SEARCH = "youzan.trade.refund.search"
REFUND_SEARCH_VERSION = "3.0.0"
#: Newest version seen in use (S3, S5); 4.0.0 and 4.0.1 answer with the same structure.
DEFAULT_API_VERSION = "4.0.4"
API_VERSIONS = ("4.0.0", "4.0.1", "4.0.4")
AUTHORIZE_SILENT = "silent"

#: Request limits of youzan.trades.sold.get (§2): page_size and page_no at most 100 each, so one query
#: window can reach at most 100 x 100 orders; a time range spans at most 3 months.
MAX_PAGE_SIZE = 100
MAX_PAGE_NO = 100
FIRST_PAGE = 1
#: "3 months" is a calendar span on the platform; 89 days fits inside every 3-month span.
MAX_WINDOW_SECONDS = 89 * 86_400
#: The list API rejects an end time more than 7 days past the current date (business code 106000003).
MAX_END_AHEAD_SECONDS = 7 * 86_400

#: Request and response times are naive ``yyyy-MM-dd HH:mm:ss`` in Beijing time (§3).
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SOURCE_ZONE = "Asia/Shanghai"

CODE_OK = 200

# --- gateway error codes (gw_err_resp.err_code) ------------------------------------------------------
GW_BAD_ADDRESS = 4001  # path is not /api/{name}/{version}
GW_BAD_CONTENT = 4004  # JSON content type with a body that is not JSON
GW_BAD_API = 4005  # unknown API name or version
GW_BAD_REQUEST = 4007  # unsupported method / content type, or the caller's IP is not whitelisted
GW_RATE_LIMITED = 4101  # 访问频繁
GW_CREDENTIAL_INVALID = 4201  # no token, or the shop's authorisation of the app expired or was closed
GW_TOKEN_EXPIRED = 4202  # 请求凭证过期
GW_TOKEN_NOT_FOUND = 4203  # 请求凭证不存在 / "Token 不存在"
GW_NO_PERMISSION = 4204  # the app lacks the API's capability package, or risk control
GW_SYSTEM_ERROR = 5001  # mostly a parameter of the wrong type (e.g. a date without the time part)
GW_BUSINESS_ERROR = 5002
GW_PLUGIN_ERROR = 5003

# --- business error codes (top-level code with success=false) -----------------------------------------
BIZ_INVALID_PARAM = 5000  # page size over 100, start after end, trade not found, ...
BIZ_TIMEOUT = 106000001
BIZ_TIMEOUT_2 = 106100118
#: Listed as a timeout; also "end time more than 7 days past today".
BIZ_TIMEOUT_OR_END_TOO_LATE = 106000003
BIZ_THROTTLED = 500100004  # 请求被限流
BIZ_THROTTLED_2 = 123000042  # 请求被限流

# --- /auth/token error codes ---------------------------------------------------------------------------
TOKEN_BAD_SECRET = 1000  # client_secret 不正确 (also reused for a wrong content type)
TOKEN_NO_CLIENT = 1103  # Client 不存在 / no authorisation for the grant

RETRIABLE_GATEWAY_CODES = frozenset({GW_RATE_LIMITED, GW_PLUGIN_ERROR})
RETRIABLE_BUSINESS_CODES = frozenset(
    {BIZ_TIMEOUT, BIZ_TIMEOUT_2, BIZ_TIMEOUT_OR_END_TOO_LATE, BIZ_THROTTLED, BIZ_THROTTLED_2}
)
RATE_LIMIT_CODES = frozenset({GW_RATE_LIMITED, BIZ_THROTTLED, BIZ_THROTTLED_2})
#: Gateway codes after which a new token (once) is the fix.
TOKEN_RENEW_CODES = frozenset({GW_TOKEN_EXPIRED, GW_TOKEN_NOT_FOUND})

#: Values of ``order_info.status`` in responses (§3). The request filter spells closed ``TRADE_CLOSE``.
ORDER_STATUSES = (
    "WAIT_BUYER_PAY",
    "TRADE_PAID",
    "WAIT_CONFIRM",
    "WAIT_SELLER_SEND_GOODS",
    "WAIT_BUYER_CONFIRM_GOODS",
    "TRADE_SUCCESS",
    "TRADE_CLOSED",
)
#: ``order_info.refund_state``: 0 none, 1 partial refund in progress, 2 partially refunded,
#: 11 full refund in progress, 12 fully refunded.
REFUND_NONE, REFUND_PARTIAL_OPEN, REFUND_PARTIAL_DONE, REFUND_FULL_OPEN, REFUND_FULL_DONE = 0, 1, 2, 11, 12


def api_path(method: str, version: str) -> str:
    """``/api/youzan.trades.sold.get/4.0.4``: the gateway routes on name and version."""
    return f"{API_PREFIX}/{method}/{version}"


# ------------------------------------------------------------------------------------------ time
def zone(name: str = SOURCE_ZONE) -> ZoneInfo:
    return ZoneInfo(name)


def format_local(epoch: int, source_zone: str = SOURCE_ZONE) -> str:
    """Epoch seconds -> the platform's naive ``yyyy-MM-dd HH:mm:ss`` in its zone."""
    return dt.datetime.fromtimestamp(epoch, zone(source_zone)).strftime(TIME_FORMAT)


def parse_local(text: str, source_zone: str = SOURCE_ZONE) -> int:
    """The platform's naive ``yyyy-MM-dd HH:mm:ss`` -> epoch seconds (ValueError when not that form)."""
    naive = dt.datetime.strptime(text.strip(), TIME_FORMAT)  # noqa: DTZ007 - the platform zone is attached next
    return int(naive.replace(tzinfo=zone(source_zone)).timestamp())


# ------------------------------------------------------------------------------------------ answers
class Layer(enum.Enum):
    GATEWAY = "gateway"
    BUSINESS = "business"


@dataclass(frozen=True)
class Answer:
    """One gateway answer, whichever of its shapes it came in."""

    layer: Layer
    ok: bool
    code: int | None
    message: str
    trace_id: str
    data: t.Any

    @classmethod
    def from_payload(cls, payload: t.Any) -> Answer:  # noqa: ANN401
        if not isinstance(payload, dict):
            msg = "response is not a youzanyun answer (not a JSON object)"
            raise ValueError(msg)
        gateway = payload.get("gw_err_resp")
        if isinstance(gateway, dict):
            return cls(
                Layer.GATEWAY,
                ok=False,
                code=_as_code(gateway.get("err_code")),
                message=str(gateway.get("err_msg") or ""),
                trace_id=str(gateway.get("trace_id") or payload.get("trace_id") or ""),
                data=None,
            )
        legacy = payload.get("error_response")  # 3.x APIs
        if isinstance(legacy, dict):
            return cls(Layer.BUSINESS, False, _as_code(legacy.get("code")), str(legacy.get("msg") or ""), "", None)
        if "success" not in payload and "code" not in payload:
            msg = "response is not a youzanyun answer (no success, code or gw_err_resp)"
            raise ValueError(msg)
        code = _as_code(payload.get("code"))
        ok = payload.get("success") is True and code == CODE_OK
        return cls(
            Layer.BUSINESS,
            ok=ok,
            code=code,
            message=str(payload.get("message") or payload.get("msg") or ""),
            trace_id=str(payload.get("trace_id") or payload.get("request_id") or ""),
            data=payload.get("data"),
        )

    @property
    def request_id(self) -> str:
        return self.trace_id

    def describe(self, method: str) -> str:
        where = "gateway error" if self.layer is Layer.GATEWAY else "error"
        text = f"{method} answered {where} {self.code}"
        if self.message:
            text += f" ({self.message})"
        if self.trace_id:
            text += f" [trace_id {self.trace_id}]"
        return text


def _as_code(value: t.Any) -> int | None:  # noqa: ANN401
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


#: What to do about a gateway error (``gw_err_resp``), with the fix a fatal one names.
GATEWAY_ERRORS = ErrorTable(
    rules=(
        rule(Action.REFRESH_TOKEN, *TOKEN_RENEW_CODES),
        rule(Action.RETRY, *RETRIABLE_GATEWAY_CODES),
        fatal(
            GW_CREDENTIAL_INVALID,
            hint=(
                "the gateway did not accept the access token: the shop's authorisation of this app expired or was "
                "closed, or the token belongs to another app; re-authorize the shop (kdt_id) for this client_id in "
                "the youzanyun console, then remove 'access_token' from the config so the tap requests a new one"
            ),
        ),
        fatal(
            GW_NO_PERMISSION,
            hint=(
                "permission denied: the app has no capability package for youzan.trades.sold.get, or risk control "
                "blocked it; subscribe the order capability for this client_id in the youzanyun console"
            ),
        ),
        fatal(
            GW_BAD_REQUEST,
            hint=(
                "the request was refused: this machine's IP address is not in the app's IP whitelist (add it in "
                "the youzanyun console), or the method/content type is wrong (a tap bug)"
            ),
        ),
        fatal(
            GW_BAD_ADDRESS, GW_BAD_API,
            hint="the API path or version is unknown: check 'base_url' and 'api_version' in the tap config",
        ),
        fatal(
            GW_SYSTEM_ERROR,
            hint=(
                "the gateway failed on a request parameter (usually a wrong type); check 'page_size' and the "
                "date range, otherwise report a tap bug with the trace_id"
            ),
        ),
    ),
    fallback_hint="the gateway refused the request; see the code above and the youzanyun error-code table",
)
#: What to do about a business error (the API's own ``code``, or a 3.x ``error_response``).
BUSINESS_ERRORS = ErrorTable(
    rules=(
        rule(Action.RETRY, *RETRIABLE_BUSINESS_CODES),
        fatal(
            BIZ_INVALID_PARAM,
            hint="a request parameter was rejected: check 'page_size' (<= 100), 'window_seconds' and the date range",
        ),
    ),
    fallback_hint="the platform could not process the request; if it persists, contact youzanyun support with the trace_id",
)
#: The fix a refused ``/auth/token`` request names.
TOKEN_ERRORS = ErrorTable(
    rules=(
        fatal(TOKEN_BAD_SECRET, hint="the client_secret was rejected: check 'client_secret' (and 'client_id') in the tap config"),
        fatal(
            TOKEN_NO_CLIENT,
            hint=(
                "the client or its authorisation does not exist: check 'client_id', and that the shop 'kdt_id' has "
                "authorized this self-use app in the youzanyun console"
            ),
        ),
    ),
    fallback_hint="the token request was refused: check 'client_id', 'client_secret' and 'kdt_id' in the tap config",
)


def judge(answer: Answer) -> Verdict:
    """What to do about an answer (§2 codes; see docs/channels/youzan.md for the unconfirmed ones)."""
    if answer.ok:
        return Verdict(Action.OK)
    return (GATEWAY_ERRORS if answer.layer is Layer.GATEWAY else BUSINESS_ERRORS).judge(answer.code)


# ------------------------------------------------------------------------------------------ tokens
@dataclass(frozen=True)
class TokenGrant:
    """A token from ``/auth/token``; ``expires_at`` is epoch seconds (the platform sends milliseconds)."""

    access_token: str
    expires_at: float | None
    scope: str
    authority_id: str

    @classmethod
    def from_data(cls, data: t.Any) -> TokenGrant:  # noqa: ANN401
        if not isinstance(data, dict) or not data.get("access_token"):
            msg = "/auth/token succeeded without an access_token"
            raise ValueError(msg)
        expires = data.get("expires")
        try:
            expires_at = int(expires) / 1000.0 if expires is not None else None
        except (TypeError, ValueError):
            expires_at = None
        return cls(str(data["access_token"]), expires_at, str(data.get("scope") or ""), str(data.get("authority_id") or ""))


def silent_grant_body(client_id: str, client_secret: str, grant_id: str, *, refresh: bool) -> dict[str, t.Any]:
    """The JSON body of a self-use app's token request (§1); ``grant_id`` is the shop's kdt_id."""
    return {
        "client_id": client_id,
        "client_secret": client_secret,
        "authorize_type": AUTHORIZE_SILENT,
        "grant_id": grant_id,
        "refresh": refresh,
    }


# ------------------------------------------------------------------------------------------ push
def push_signature(client_id: str, message: str, client_secret: str) -> str:
    """Signature of a push message as integrations verify it: lower-case md5(client_id + msg + client_secret).

    Not officially confirmed (fact sheet §1, S4); the tap pulls and does not need it, receivers of pushes do.
    """
    return hashlib.md5(f"{client_id}{message}{client_secret}".encode()).hexdigest()  # noqa: S324 - the platform's scheme


#: A push (youzanyun "消息推送", as integrations receive it, S4): a JSON body ``{client_id, id (the tid), kdt_id,
#: kdt_name, mode, msg (URL-encoded JSON), sendCount, status, test, type, version}`` with the headers below; the
#: receiver answers ``{"code": 0, "msg": "success"}`` (S4 and an older PHP handler), anything else is retried [I].
PUSH_SIGN_HEADER = "event-sign"
PUSH_TYPE_HEADER = "event-type"
PUSH_ACCEPTED = {"code": 0, "msg": "success"}
PUSH_UNSIGNED = "push without an Event-Sign header"
PUSH_BAD_SIGN = "push Event-Sign does not match md5(client_id + body + client_secret): check client_id and client_secret"
PUSH_NOT_JSON = "push body is not a UTF-8 JSON object"
PUSH_REFUSALS = (PUSH_UNSIGNED, PUSH_BAD_SIGN, PUSH_NOT_JSON)


class PushError(ValueError):
    """A push that fails verification; the message is one of ``PUSH_REFUSALS``."""


def verify_push(headers: t.Mapping[str, str], body: bytes, client_id: str, client_secret: str) -> dict[str, t.Any]:
    """The JSON object of a push whose ``Event-Sign`` (header names lower-cased) is :func:`push_signature` over the
    raw body (constant-time). Raises PushError."""
    sent = headers.get(PUSH_SIGN_HEADER)
    if not sent:
        raise PushError(PUSH_UNSIGNED)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PushError(PUSH_NOT_JSON) from None
    if not hmac.compare_digest(push_signature(client_id, text, client_secret).encode(), sent.strip().lower().encode()):
        raise PushError(PUSH_BAD_SIGN)
    try:
        message = json.loads(text)
    except ValueError:
        raise PushError(PUSH_NOT_JSON) from None
    if not isinstance(message, dict):
        raise PushError(PUSH_NOT_JSON)
    return message
