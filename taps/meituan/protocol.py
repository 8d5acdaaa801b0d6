"""Meituan Waimai / Shangou (美团外卖 / 美团闪购) open-platform protocol: paths, signing, error codes.

Pure standard library, shared by the tap (``client.py``) and the sandbox, so both sides compute the
same ``sig`` from the same rules (shared/channels/meituan_eleme.md §A1–A3).

What is confirmed and what is not (see docs/channels/meituan.md):

* [C] gateway ``…/api/v1/``, system params ``app_id`` + ``timestamp`` (Unix seconds) + ``sig``,
  ``order/getOrderDetail?order_id=…&is_mt_logistics=…``, error codes 600/701/702/703/803/2000.
* [S] (public SDKs, not the fact sheet) the pull-by-day calls: ``ecommerce/order/getOrderIdByDaySeq``
  (``app_poi_code``, ``date_time`` = yyyyMMdd, ``day_seq_start``, ``day_seq_end``) and
  ``ecommerce/order/getOrderRefundDetail``. No time-range order list exists as far as we know:
  Meituan is push-first, and this is the documented pull.
* unconfirmed: whether values are URL-encoded before hashing (``encode_values``), the maximum
  day-seq span per call, rate-limit and token codes. The sandbox's own codes for those are marked
  ``SANDBOX_*``: they are this project's convention, not the platform's.
"""

from __future__ import annotations

import decimal
import hashlib
import hmac
import json
import typing as t
from urllib.parse import quote

from orderlayer.taps.common.envelope import ErrorTable, fatal

DEFAULT_BASE_URL = "https://waimaiopen.meituan.com/api/v1"
TEST_BASE_URL = "http://test.waimaiopen.meituan.com/api/v1"

ORDER_DETAIL_PATH = "order/getOrderDetail"
ORDER_IDS_BY_DAY_SEQ_PATH = "ecommerce/order/getOrderIdByDaySeq"
ORDER_REFUND_DETAIL_PATH = "ecommerce/order/getOrderRefundDetail"

#: System parameters the signer owns (the tap never takes them from a caller).
SYSTEM_PARAMS = ("app_id", "timestamp", "sig")

#: Largest ``day_seq_end - day_seq_start + 1`` the tap asks for (platform limit unconfirmed).
MAX_DAY_SEQ_SPAN = 100

# --- error codes (fact sheet §A3, S10) -------------------------------------------------
CODE_INTERNAL = 600  # 内部错误 — transient
CODE_MISSING_PARAMS = 701  # 缺少参数，数据不完整
CODE_APP_ID_NOT_FOUND = 702  # app_id不存在
CODE_SIGNATURE = 703  # 签名验证错误
CODE_STORE_NOT_FOUND = 803  # 不存在此门店
CODE_STORE_EXPIRED = 2000  # 超过授权使用期 (store authorisation expired)

#: Sandbox convention (the platform's codes for these are unconfirmed): stale ``timestamp``,
#: a parameter value out of range, an order id the store does not have.
SANDBOX_CODE_TIMESTAMP = 704
SANDBOX_CODE_PARAM_INVALID = 705
SANDBOX_CODE_ORDER_NOT_FOUND = 806

#: Codes retried with backoff by default (config ``retriable_error_codes`` replaces the list).
DEFAULT_RETRIABLE_CODES: tuple[int, ...] = (CODE_INTERNAL,)

#: The fix a non-retriable error code names.
ERRORS = ErrorTable(
    rules=(
        fatal(
            CODE_SIGNATURE,
            hint=(
                "the request signature was rejected: check app_secret (the consumer secret) and app_id in the tap "
                "config; if both are right, the gateway may hash URL-encoded values: try sign_encode_values=true"
            ),
        ),
        fatal(CODE_APP_ID_NOT_FOUND, hint="Meituan does not know this app: check app_id in the tap config"),
        fatal(
            CODE_STORE_NOT_FOUND,
            hint=(
                "no store with this code: check app_poi_code (your app's store code, not Meituan's wm_poi_id) and "
                "that the store is bound to this app"
            ),
        ),
        fatal(
            CODE_STORE_EXPIRED,
            hint=(
                "the store's authorisation of the app has expired: renew it in the Meituan developer console, "
                "then run the sync again"
            ),
        ),
        fatal(CODE_MISSING_PARAMS, hint="a required parameter is missing: check app_poi_code is set; otherwise report a tap bug"),
        fatal(
            SANDBOX_CODE_TIMESTAMP,
            hint="the gateway rejected the request timestamp: this machine's clock is off; synchronise it (NTP)",
        ),
        fatal(SANDBOX_CODE_PARAM_INVALID, hint="a parameter was rejected: lower day_seq_batch_size; otherwise report a tap bug"),
    ),
    fallback_hint=(
        "the platform refused the request; if the code means throttling or a busy system, add it to "
        "retriable_error_codes in the tap config"
    ),
)

ERROR_MESSAGES = {
    CODE_INTERNAL: "内部错误",
    CODE_MISSING_PARAMS: "缺少参数，数据不完整",
    CODE_APP_ID_NOT_FOUND: "app_id不存在",
    CODE_SIGNATURE: "签名验证错误",
    CODE_STORE_NOT_FOUND: "不存在此门店",
    CODE_STORE_EXPIRED: "超过授权使用期",
    SANDBOX_CODE_TIMESTAMP: "timestamp已过期",
    SANDBOX_CODE_PARAM_INVALID: "参数值错误",
    SANDBOX_CODE_ORDER_NOT_FOUND: "订单不存在",
}

#: Order status codes (fact sheet §A3, S8; 7 only in one copy, S9).
STATUS_SUBMITTED = 1
STATUS_PUSHED = 2
STATUS_RECEIVED = 3
STATUS_CONFIRMED = 4
STATUS_DELIVERING = 6
STATUS_DELIVERED = 7
STATUS_COMPLETED = 8
STATUS_CANCELLED = 9


def base_of(url: str) -> str:
    """The URL the signature covers: scheme, host and path, without the query."""
    return url.split("?", 1)[0]


def sign_string(url: str, params: t.Mapping[str, t.Any], secret: str, *, encode_values: bool = False) -> str:
    """The pre-hash string of fact sheet §A2: ``base + "?" + sorted k=v joined by "&" + secret``.

    ``sig`` itself is excluded; ``encode_values`` percent-encodes each value (UTF-8) first, for
    gateways that hash the encoded form (unconfirmed which one Meituan uses; default raw).
    """
    pairs = sorted((str(k), "" if v is None else str(v)) for k, v in params.items() if k != "sig")
    if encode_values:
        pairs = [(k, quote(v, safe="")) for k, v in pairs]
    query = "&".join(f"{k}={v}" for k, v in pairs)
    return f"{base_of(url)}?{query}{secret}"


def sign(url: str, params: t.Mapping[str, t.Any], secret: str, *, encode_values: bool = False) -> str:
    """``sig`` = lower-case hex MD5 of :func:`sign_string`."""
    text = sign_string(url, params, secret, encode_values=encode_values)
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - the platform's scheme


def signed_params(
    url: str,
    params: t.Mapping[str, t.Any],
    *,
    app_id: str,
    secret: str,
    timestamp: int | str,
    encode_values: bool = False,
) -> dict[str, str]:
    """Business ``params`` plus ``app_id``, ``timestamp`` and the ``sig`` over all of them."""
    out = {str(k): "" if v is None else str(v) for k, v in params.items() if k not in SYSTEM_PARAMS}
    out["app_id"] = str(app_id)
    out["timestamp"] = str(timestamp)
    out["sig"] = sign(url, out, secret, encode_values=encode_values)
    return out


def loads(content: bytes | str) -> t.Any:  # noqa: ANN401
    """Decode a response body: integers stay exact (ids beyond 2^53) and yuan amounts, which the
    platform sends as JSON doubles, become :class:`~decimal.Decimal` digit for digit (rule A1)."""
    return json.loads(content, parse_float=decimal.Decimal)




# --- pushes (docs/channels/meituan.md "Push") ---------------------------------------------
# Meituan POSTs each order event as a form to the callback URL registered in the developer console, signed like a
# request (§A2) over that URL: ``sig`` = md5(callback URL + "?" + sorted k=v of every other field + secret), with
# ``app_id`` and ``timestamp`` among the fields (S7 push sample; public push handlers recompute it this way and answer
# ``{"data": "ok"}``, or an error envelope with 701/703 that makes Meituan retry). No official worked example.

#: The answer that acknowledges a push.
PUSH_ACCEPTED = {"data": "ok"}

#: Why a push is refused: the code of the error envelope answered, and the text logged (never the body).
PUSH_MISSING = (CODE_MISSING_PARAMS, "push without its app_id, timestamp or sig field")
PUSH_APP = (CODE_APP_ID_NOT_FOUND, "push for another app_id than the connection's")
PUSH_SIGNATURE = (CODE_SIGNATURE, "push signature (sig) does not match: check app_secret and push_url")
PUSH_STALE = (SANDBOX_CODE_TIMESTAMP, "push timestamp outside push_max_age_seconds of this server's clock")
PUSH_REFUSALS = (PUSH_MISSING, PUSH_APP, PUSH_SIGNATURE, PUSH_STALE)


class PushError(ValueError):
    """A push that fails verification; the message is one of ``PUSH_REFUSALS``' texts."""


def verify_push(
    form: t.Mapping[str, str],
    url: str,
    *,
    app_id: str,
    secret: str,
    now: float,
    max_age_seconds: int,
    encode_values: bool = False,
) -> dict[str, str]:
    """The fields of a push whose ``sig`` is Meituan's over ``url`` (constant-time) and whose ``timestamp`` is
    within ``max_age_seconds`` of ``now`` (0: not checked); ``sig`` itself removed. Raises PushError."""
    if not all(form.get(name) for name in SYSTEM_PARAMS):
        raise PushError(PUSH_MISSING[1])
    if not hmac.compare_digest(str(form["app_id"]).encode(), str(app_id).encode()):
        raise PushError(PUSH_APP[1])
    fields = {k: v for k, v in form.items() if k != "sig"}
    expected = sign(url, fields, secret, encode_values=encode_values)
    if not hmac.compare_digest(expected.encode(), str(form["sig"]).lower().encode()):
        raise PushError(PUSH_SIGNATURE[1])
    try:
        stamp = int(form["timestamp"])
    except ValueError:
        raise PushError(PUSH_STALE[1]) from None
    if max_age_seconds and abs(now - stamp) > max_age_seconds:
        raise PushError(PUSH_STALE[1])
    return fields


def push_refusal(reason: str) -> dict:
    """The error envelope answering a refused push: the code of its reason, else 600 (e.g. not stored), on which
    Meituan retries as on any answer that is not ``{"data": "ok"}``."""
    code = next((code for code, text in PUSH_REFUSALS if text == reason), CODE_INTERNAL)
    return {"data": "ng", "error": {"code": code, "msg": ERROR_MESSAGES[code]}}
