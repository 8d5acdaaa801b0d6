"""TikTok Shop Partner API (version 202309) protocol: signing, paths, error codes.

Pure standard library, shared by the tap (``client.py``) and the sandbox so both sides compute
the same signature from the same rules (shared/channels/tiktok_shop.md §2–§4). Error codes and
the token-refresh call follow TikTok's "Common errors", "Rate limits" and "Authorization overview"
pages (copies of the official docs, see docs/channels/tiktok_shop.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import typing as t

from orderlayer.taps.common.envelope import Action, ErrorTable, fatal, rule

DEFAULT_BASE_URL = "https://open-api.tiktokglobalshop.com"
DEFAULT_AUTH_BASE_URL = "https://auth.tiktok-shops.com"
API_VERSION = "202309"

ORDER_SEARCH_PATH = f"/order/{API_VERSION}/orders/search"
#: The Return & Refund API's search: after-sale requests (refund only, return and refund, replacement).
RETURN_SEARCH_PATH = f"/return_refund/{API_VERSION}/returns/search"
#: The Return & Refund API's cancellation search: a buyer's or seller's cancellation before shipment, and its refund.
CANCELLATION_SEARCH_PATH = f"/return_refund/{API_VERSION}/cancellations/search"
AUTHORIZED_SHOPS_PATH = f"/authorization/{API_VERSION}/shops"
#: Get Order Detail (sheet §1): ``GET …/orders?ids=<id1>,<id2>``, at most :data:`MAX_DETAIL_IDS` ids ([S] limit).
ORDER_DETAIL_PATH = f"/order/{API_VERSION}/orders"
MAX_DETAIL_IDS = 50
TOKEN_REFRESH_PATH = "/api/v2/token/refresh"

ACCESS_TOKEN_HEADER = "x-tts-access-token"
#: Query parameters the signature never covers (sheet §3 step 1).
UNSIGNED_QUERY_PARAMS = frozenset({"sign", "access_token"})
#: Query parameters the authenticator owns (replaced on every send).
AUTH_QUERY_PARAMS = frozenset({"app_key", "timestamp", "sign", "access_token"})

#: Largest page the order search accepts ([S]: "page_size max 100").
MAX_PAGE_SIZE = 100
#: The gateway accepts a timestamp from 5 minutes before to 30 s after its clock.
TIMESTAMP_MAX_AGE_SECONDS = 300
TIMESTAMP_MAX_AHEAD_SECONDS = 30

# --- envelope codes ----------------------------------------------------------------------
CODE_OK = 0
CODE_TOO_MANY_REQUESTS = 36009002  # with HTTP 429
CODE_INVALID_PARAMETER = 36009004  # credentials, timestamp, identifiers, version (read the message)
CODE_REQUEST_TIMEOUT = 36009007
CODE_INVALID_PATH = 36009009
CODE_INVALID_METHOD = 36009010
CODE_IP_NOT_ALLOWED = 36009033
CODE_TOKEN_SHOP_MISMATCH = 101000
CODE_TOKEN_EXPIRED = 105002  # with HTTP 401
CODE_SCOPE_DENIED = 105005
CODE_SIGN_INVALID = 106001  # with HTTP 401
CODE_SHOP_CIPHER_MISSING = 106013

#: Codes a retry (with backoff) can fix.
RETRIABLE_CODES = frozenset({CODE_TOO_MANY_REQUESTS, CODE_REQUEST_TIMEOUT})

#: What to do about an envelope's ``code``, with the fix a fatal one names (code 36009004 covers several causes:
#: ``says`` reads the lower-cased message). HTTP 429 / 5xx are retried whatever the code (client.judge).
ERRORS = ErrorTable(
    ok_codes=frozenset({CODE_OK}),
    rules=(
        rule(Action.RETRY, *RETRIABLE_CODES),
        rule(Action.REFRESH_TOKEN, CODE_TOKEN_EXPIRED),
        fatal(CODE_SIGN_INVALID, hint="the request signature was rejected: check 'app_secret' (and 'app_key') in the tap config"),
        fatal(
            CODE_INVALID_PARAMETER, says="timestamp",
            hint="the gateway rejected the request timestamp: this machine's clock is off (allowed: 5 min behind to 30 s ahead); synchronise it (NTP)",
        ),
        fatal(CODE_INVALID_PARAMETER, says="app_key", hint="check 'app_key' in the tap config: the app is unknown, disabled or deleted"),
        fatal(
            CODE_INVALID_PARAMETER, says="token",
            hint="the access token is not valid for this app: check 'access_token', or re-authorize the shop",
        ),
        fatal(
            CODE_INVALID_PARAMETER, says=("shop_cipher", "shop_id"),
            hint="check 'shop_cipher' (from GET /authorization/202309/shops) and 'shop_id' in the tap config",
        ),
        fatal(
            CODE_INVALID_PARAMETER, says="version",
            hint="the API version was rejected; check 'base_url' points at the TikTok Shop Partner API",
        ),
        fatal(
            CODE_INVALID_PARAMETER,
            hint="a request parameter was rejected: check 'page_size' (<= 100) and 'window_seconds'; otherwise report a tap bug",
        ),
        fatal(
            CODE_SCOPE_DENIED,
            hint=(
                "access denied: the app or the token lacks the scope of this call (orders: seller.order.info; returns: "
                "seller.return_refund.basic); enable it in Partner Center and re-authorize the shop"
            ),
        ),
        fatal(
            CODE_TOKEN_SHOP_MISMATCH,
            hint="the access token does not belong to the shop of 'shop_cipher': fix 'shop_cipher'/'shop_id' or 'access_token'",
        ),
        fatal(
            CODE_SHOP_CIPHER_MISSING,
            hint="the request had no shop_cipher: set 'shop_cipher' in the tap config (or leave it out to look it up by 'shop_id')",
        ),
        fatal(
            CODE_IP_NOT_ALLOWED,
            hint="this machine's IP address is not in the app's IP allow list: add it in Partner Center > App & Service",
        ),
        fatal(
            CODE_INVALID_PATH, CODE_INVALID_METHOD,
            hint="the gateway does not know this call: check 'base_url' (https://open-api.tiktokglobalshop.com)",
        ),
    ),
    fallback_hint="the platform refused the request; see the code and message above",
)

SORT_FIELDS = ("create_time", "update_time")
SORT_ORDERS = ("ASC", "DESC")


def canonical_body(params: t.Mapping[str, t.Any]) -> bytes:
    """The JSON body as sent and signed: compact, UTF-8. Signed byte for byte, never re-serialised."""
    return json.dumps(params, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def string_to_sign(path: str, query: t.Mapping[str, str], body: bytes | str = b"") -> str:
    """Sheet §3 steps 1–5: path + ``{key}{value}`` of every query parameter except ``sign`` and
    ``access_token``, keys sorted by plain byte order, + the body exactly as sent."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    pairs = "".join(f"{key}{query[key]}" for key in sorted(query, key=lambda k: k.encode()) if key not in UNSIGNED_QUERY_PARAMS)
    return f"{path}{pairs}{text}"


def sign(app_secret: str, path: str, query: t.Mapping[str, str], body: bytes | str = b"") -> str:
    """Sheet §3 steps 6–7: ``hex(HMAC-SHA256(key=secret, msg=secret + string + secret))``, lower case.

    A ``multipart/form-data`` body is not signed; pass ``body=b""`` for it (the order API sends JSON).
    """
    wrapped = f"{app_secret}{string_to_sign(path, query, body)}{app_secret}"
    return hmac.new(app_secret.encode("utf-8"), wrapped.encode("utf-8"), hashlib.sha256).hexdigest()


def signed_query(
    *,
    app_key: str,
    app_secret: str,
    path: str,
    params: t.Mapping[str, str],
    body: bytes | str,
    timestamp: int | str,
) -> dict[str, str]:
    """``params`` plus ``app_key``, ``timestamp`` and the ``sign`` over all of them and ``body``."""
    query = {k: str(v) for k, v in params.items() if k not in AUTH_QUERY_PARAMS}
    query["app_key"] = app_key
    query["timestamp"] = str(timestamp)
    query["sign"] = sign(app_secret, path, query, body)
    return query



# --------------------------------------------------------------------------- webhooks (docs/channels/tiktok_shop.md "Push")
#: The header of a webhook's signature: lower-case hex HMAC-SHA256, keyed with the app secret, of app_key + raw body
#: (push-and-logistics.md; hookdeck's notes, [S]).
WEBHOOK_SIGNATURE_HEADER = "Authorization"
#: Webhook ``type`` numbers ([S]: public SDK types name order_status / cancellation / return payloads; the numbers
#: are [I]). Every one whose ``data`` names an ``order_id`` refetches that order; these add their after-sale record.
WEBHOOK_ORDER_STATUS_CHANGE = 1
WEBHOOK_PACKAGE_UPDATE = 4
WEBHOOK_CANCELLATION_STATUS_CHANGE = 11
WEBHOOK_RETURN_STATUS_CHANGE = 12
#: How far a webhook's signed ``timestamp`` may be ahead of this machine's clock (clock skew).
WEBHOOK_MAX_AHEAD_SECONDS = 300


def webhook_signature(app_key: str, app_secret: str, body: bytes) -> str:
    """The ``Authorization`` value TikTok sends with ``body``: hex(HMAC-SHA256(key=app_secret, msg=app_key + body))."""
    return hmac.new(app_secret.encode("utf-8"), app_key.encode("utf-8") + body, hashlib.sha256).hexdigest()


def webhook_verified(app_key: str, app_secret: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` signs ``body``; constant-time, case-insensitive hex (any text compares, none raises)."""
    expected = webhook_signature(app_key, app_secret, body).encode("ascii")
    return hmac.compare_digest(expected, signature.strip().lower().encode("utf-8", "replace"))
