"""What the TikTok Shop Partner API (202309) checks and answers, from shared/channels/tiktok_shop.md (§1–§4).

The sandbox's own reading of the platform, independent of the tap's ``protocol`` module, so a
wrong string-to-sign on either side shows up as a rejected call (code 106001, HTTP 401). Error
codes beyond the sheet follow TikTok's "Common errors" page as summarised in docs/channels/tiktok_shop.md.
"""

from __future__ import annotations

import hashlib
import hmac
import typing as t

ORDER_SEARCH_PATH = "/order/202309/orders/search"
#: The Return & Refund API's return search (docs/channels/tiktok_shop.md "After-sales"): same paging as the orders.
RETURN_SEARCH_PATH = "/return_refund/202309/returns/search"
CANCELLATION_SEARCH_PATH = "/return_refund/202309/cancellations/search"
AUTHORIZED_SHOPS_PATH = "/authorization/202309/shops"
#: §1 Get Order Detail: ``GET`` with ``ids`` (comma-separated), at most 50 ([S]).
ORDER_DETAIL_PATH = "/order/202309/orders"
MAX_DETAIL_IDS = 50
TOKEN_REFRESH_PATH = "/api/v2/token/refresh"

#: §2: from 202309 on the access token travels in this header, not in the query.
ACCESS_TOKEN_HEADER = "x-tts-access-token"

# §2: order search's paging and sort.
MAX_PAGE_SIZE = 100
SORT_FIELDS = frozenset({"create_time", "update_time"})
SORT_ORDERS = frozenset({"ASC", "DESC"})

#: §3: a timestamp is accepted from 5 minutes before to 30 seconds after the gateway's clock.
TIMESTAMP_MAX_AGE_SECONDS, TIMESTAMP_MAX_AHEAD_SECONDS = 5 * 60, 30

# §3/§4 envelope codes: 0 success, 36009xxx gateway, 10xxxx authorisation.
CODE_OK = 0
CODE_TOO_MANY_REQUESTS, CODE_INVALID_PARAMETER, CODE_REQUEST_TIMEOUT = 36009002, 36009004, 36009007
CODE_INVALID_PATH, CODE_INVALID_METHOD = 36009009, 36009010
CODE_TOKEN_SHOP_MISMATCH, CODE_TOKEN_EXPIRED, CODE_SIGN_INVALID, CODE_SHOP_CIPHER_MISSING = 101000, 105002, 106001, 106013

#: §3 step 1: query parameters the signature leaves out.
_NOT_SIGNED = ("sign", "access_token")


def expected_sign(app_secret: str, path: str, query: t.Mapping[str, str], body: bytes = b"") -> str:
    """§3: lower-case hex HMAC-SHA256, keyed by the secret, of ``secret + string + secret``.

    The string is the path, then ``{key}{value}`` for each query parameter but ``sign`` and
    ``access_token`` in byte order of the keys, then the body bytes exactly as received (the
    caller passes ``b""`` for a multipart body, which is not signed).
    """
    signed = sorted((key.encode("utf-8"), value.encode("utf-8")) for key, value in query.items() if key not in _NOT_SIGNED)
    secret = app_secret.encode("utf-8")
    message = secret + path.encode("utf-8") + b"".join(key + value for key, value in signed) + body + secret
    return hmac.new(secret, message, hashlib.sha256).hexdigest()



# Webhooks (push-and-logistics.md): one JSON event per POST, ``{type, tts_notification_id, shop_id, timestamp, data}``,
# ``Authorization`` = hex HMAC-SHA256(key=app_secret, msg=app_key + body). HTTP 200 acknowledges; anything else is
# sent again (the retry schedule is unconfirmed).
WEBHOOK_SIGNATURE_HEADER = "Authorization"
ORDER_STATUS_CHANGE, PACKAGE_UPDATE, CANCELLATION_STATUS_CHANGE, RETURN_STATUS_CHANGE = 1, 4, 11, 12


def webhook_signature(app_key: str, app_secret: str, body: bytes) -> str:
    return hmac.new(app_secret.encode("utf-8"), app_key.encode("utf-8") + body, hashlib.sha256).hexdigest()


def push_acknowledged(status: int, body: bytes) -> bool:  # noqa: ARG001 - the status is the answer
    return status == 200
