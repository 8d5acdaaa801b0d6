"""Douyin shop (抖店, jinritemai "fxg") open-API protocol: signing and error codes.

The signing rules and the table of envelope codes (shared/channels/douyin.md §1, §2, §5).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import typing as t

from orderlayer.taps.common.envelope import Action, ErrorTable, fatal, rule

DEFAULT_BASE_URL = "https://openapi-fxg.jinritemai.com"
API_VERSION = "2"
SIGN_METHOD_HMAC_SHA256 = "hmac-sha256"
SIGN_METHOD_MD5 = "md5"
SIGN_METHODS = (SIGN_METHOD_HMAC_SHA256, SIGN_METHOD_MD5)

#: Opt-in to the new error codes (the SDK sends it on every call).
NEW_ERROR_CODE_HEADER = "x-open-no-old-err-code"

#: Query parameters every call carries; ``access_token`` is omitted for token calls.
SIGNED_QUERY_PARAMS = ("app_key", "method", "timestamp", "v", "sign", "sign_method", "access_token")

ORDER_SEARCH_LIST_PATH = "/order/searchList"
#: One shop order by ``shop_order_id``; the answer's ``data.shop_order_detail`` has the searchList item's shape (S4).
ORDER_DETAIL_PATH = "/order/orderDetail"
AFTER_SALE_LIST_PATH = "/afterSale/List"
TOKEN_REFRESH_PATH = "/token/refresh"
MAX_PAGE_SIZE = 100

# --- envelope codes (§5) -------------------------------------------------------------
CODE_OK = 10000
CODE_PARTIAL_FAILURE = 10001
CODE_SERVICE_UNAVAILABLE = 20000
CODE_INTERNAL_TIMEOUT = 20001
CODE_PERMISSION = 30001
CODE_IP_WHITELIST = 30002
CODE_MISSING_PLATFORM_PARAM = 40001
CODE_MISSING_BUSINESS_PARAM = 40002
CODE_INVALID_PLATFORM_PARAM = 40003
CODE_INVALID_BUSINESS_PARAM = 40004
CODE_PLATFORM_FAILED = 50001
CODE_BUSINESS_FAILED = 50002
CODE_RATE_LIMITED = 60000
CODE_API_OFFLINE = 70000

SUB_SIGNATURE_INVALID = "isv.signature-invalid"
SUB_SIGNATURE_MISSING = "isv.signature-missing"
SUB_TOKEN_MISSING = "isv.access-token-missing"
SUB_TOKEN_EXPIRED = "isv.access-token-expired"
SUB_TOKEN_NOT_EXIST = "isv.access-token-no-existed"
SUB_TOKEN_INVALID = "isv.access-token-invalid"
SUB_TIMESTAMP_INVALID = "isv.timestamp-invalid"
SUB_PARAMETER_INVALID = "isv.parameter-format-invalid"
SUB_AUTHORIZATION_MISSING = "dop.authorization-no-existed"
SUB_AUTHORIZATION_CLOSED = "dop.authorization-closed"
SUB_SERVICE_ERROR = "dop.service-error"
SUB_REFRESH_TOKEN_INVALID = "isv.business-failed:31009"

#: 40003 sub-codes after which a token refresh (once) is the fix (fact sheet S20).
TOKEN_REFRESH_SUB_CODES = frozenset({SUB_TOKEN_EXPIRED, SUB_TOKEN_NOT_EXIST})
#: Codes worth retrying with backoff.
RETRIABLE_CODES = frozenset({CODE_PARTIAL_FAILURE, CODE_SERVICE_UNAVAILABLE, CODE_INTERNAL_TIMEOUT, CODE_RATE_LIMITED})

#: Fact sheet §5: what to do about an envelope (``code`` and ``sub_code``), with the fix a fatal one names.
ERRORS = ErrorTable(
    ok_codes=frozenset({CODE_OK}),
    rules=(
        rule(Action.RETRY, *RETRIABLE_CODES),
        rule(Action.REFRESH_TOKEN, CODE_INVALID_PLATFORM_PARAM, sub_codes=TOKEN_REFRESH_SUB_CODES),
        fatal(
            CODE_INVALID_PLATFORM_PARAM, sub_codes={SUB_SIGNATURE_INVALID},
            hint="the request signature was rejected: check app_secret (and app_key / sign_method) in the tap config",
        ),
        fatal(
            CODE_INVALID_PLATFORM_PARAM, sub_codes={SUB_TIMESTAMP_INVALID},
            hint="the gateway rejected the request timestamp: this machine's clock is more than 10 minutes off; synchronise it (NTP)",
        ),
        fatal(
            CODE_INVALID_PLATFORM_PARAM, sub_codes={SUB_TOKEN_INVALID},
            hint="the access_token is not valid for this app: check access_token was issued to this app_key, or re-authorize the shop",
        ),
        fatal(CODE_INVALID_PLATFORM_PARAM, hint="a platform parameter was rejected: check app_key and base_url in the tap config"),
        fatal(
            CODE_MISSING_PLATFORM_PARAM,
            hint="a required platform parameter is missing: check app_key and access_token are set; if they are, report a tap bug",
        ),
        fatal(
            CODE_MISSING_BUSINESS_PARAM, CODE_INVALID_BUSINESS_PARAM,
            hint="a request parameter was rejected: check page_size (<= 100) and window_seconds (the platform may cap the update_time range); otherwise report a tap bug",
        ),
        fatal(
            CODE_PERMISSION,
            hint=(
                "permission denied: the app lacks the order API permission, or the shop's authorisation of the app is "
                "missing or closed; re-authorize the shop for this app and check shop_id / access_token belong together"
            ),
        ),
        fatal(CODE_IP_WHITELIST, hint="this machine's IP address is not in the app's IP whitelist: add it in the Douyin open-platform console"),
        fatal(CODE_API_OFFLINE, hint="the API is offline or retired on the platform side; check Douyin open-platform announcements"),
        fatal(
            CODE_PLATFORM_FAILED, CODE_BUSINESS_FAILED,
            hint="the platform could not process the request; if it persists, contact Douyin support with the log_id",
        ),
    ),
    fallback_hint="the platform refused the request; see the code and sub_code above",
)


def canonical_param_json(params: t.Mapping[str, t.Any]) -> str:
    """Business params as Douyin signs them: keys sorted at every level, compact, UTF-8.

    The same string must be signed and sent as the body; never re-serialise in between.
    """
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def method_for_path(path: str) -> str:
    """``/order/searchList`` -> ``order.searchList`` (the SDK's path-to-method rule)."""
    return path.strip("/").replace("/", ".")


def sign(
    *,
    app_key: str,
    app_secret: str,
    method: str,
    param_json: str,
    timestamp: str,
    sign_method: str = SIGN_METHOD_HMAC_SHA256,
    v: str = API_VERSION,
) -> str:
    """Signature per fact sheet §2 (lower-case hex).

    pattern = "app_key"+app_key+"method"+method+"param_json"+param_json+"timestamp"+timestamp+"v"+v,
    wrapped in app_secret on both sides, then HMAC-SHA256 keyed by app_secret (or MD5).
    """
    pattern = f"app_key{app_key}method{method}param_json{param_json}timestamp{timestamp}v{v}"
    wrapped = f"{app_secret}{pattern}{app_secret}".encode()
    if sign_method == SIGN_METHOD_HMAC_SHA256:
        return hmac.new(app_secret.encode(), wrapped, hashlib.sha256).hexdigest()
    if sign_method == SIGN_METHOD_MD5:
        return hashlib.md5(wrapped).hexdigest()  # noqa: S324 - the platform's legacy scheme
    msg = f"unsupported sign_method {sign_method!r}; use one of {SIGN_METHODS}"
    raise ValueError(msg)


def signed_query(
    *,
    app_key: str,
    app_secret: str,
    method: str,
    param_json: str,
    timestamp: int | str,
    access_token: str | None,
    sign_method: str = SIGN_METHOD_HMAC_SHA256,
) -> dict[str, str]:
    """All query-string parameters of one call (``access_token`` omitted when None)."""
    ts = str(timestamp)
    query = {
        "app_key": app_key,
        "method": method,
        "timestamp": ts,
        "v": API_VERSION,
        "sign": sign(
            app_key=app_key,
            app_secret=app_secret,
            method=method,
            param_json=param_json,
            timestamp=ts,
            sign_method=sign_method,
        ),
        "sign_method": sign_method,
    }
    if access_token is not None:
        query["access_token"] = access_token
    return query


# --- message push (抖店消息推送; docs/channels/douyin.md "Push") -------------------------------------------
#: Header carrying the push signature: lower-case hex of MD5(app_key + raw body + app_secret).
PUSH_SIGN_HEADER = "event-sign"
#: Header naming the app the push is for (its app_key), where the platform sends it.
PUSH_APP_ID_HEADER = "app-id"
#: Header some SDKs read for the signing method of a push (``md5`` or ``hmac-sha256``); absent means md5.
PUSH_SIGN_METHOD_HEADER = "sign-method"
#: The answer that acknowledges a push; anything else makes the platform send it again.
PUSH_ACCEPTED = {"code": 0, "msg": "success"}
#: The answer to a push refused or not stored (not success: the platform sends it again).
PUSH_REJECTED = {"code": 1, "msg": "fail"}


def push_sign(app_key: str, body: bytes, app_secret: str, sign_method: str = SIGN_METHOD_MD5) -> str:
    """The ``event-sign`` of a push body: MD5 (or, for ``hmac-sha256``, HMAC-SHA256 keyed by the secret) of
    app_key + the exact body bytes + app_secret, lower-case hex."""
    message = app_key.encode("utf-8") + body + app_secret.encode("utf-8")
    if sign_method == SIGN_METHOD_MD5:
        return hashlib.md5(message).hexdigest()  # noqa: S324 - the platform's push signature
    if sign_method == SIGN_METHOD_HMAC_SHA256:
        return hmac.new(app_secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    msg = f"unsupported push sign method {sign_method!r}; use one of {SIGN_METHODS}"
    raise ValueError(msg)
