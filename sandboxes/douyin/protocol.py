"""What the Douyin (抖店) gateway checks, written from shared/channels/douyin.md (§1, §2, §5).

The sandbox's own reading of the platform, independent of the tap's ``protocol`` module: the
two implementations meet only on the wire, so a wrong signing string in either one fails
the tap-against-sandbox tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json

API_VERSION = "2"
ORDER_SEARCH_LIST_PATH = "/order/searchList"
ORDER_DETAIL_PATH = "/order/orderDetail"
AFTER_SALE_LIST_PATH = "/afterSale/List"
TOKEN_REFRESH_PATH = "/token/refresh"
MAX_PAGE_SIZE = 100

SIGN_METHOD_MD5 = "md5"
SIGN_METHODS = ("hmac-sha256", SIGN_METHOD_MD5)

# §5: the envelope ``code`` values the gateway answers with.
CODE_OK, CODE_SERVICE_UNAVAILABLE, CODE_PERMISSION = 10000, 20000, 30001
CODE_MISSING_PLATFORM_PARAM, CODE_INVALID_PLATFORM_PARAM, CODE_INVALID_BUSINESS_PARAM = 40001, 40003, 40004
CODE_BUSINESS_FAILED, CODE_RATE_LIMITED, CODE_API_OFFLINE = 50002, 60000, 70000

# §5: the ``sub_code`` strings, as the new-error-code header selects them.
SUB_SIGNATURE_MISSING, SUB_SIGNATURE_INVALID = "isv.signature-missing", "isv.signature-invalid"
SUB_TOKEN_MISSING, SUB_TOKEN_EXPIRED = "isv.access-token-missing", "isv.access-token-expired"
SUB_TOKEN_NOT_EXIST = "isv.access-token-no-existed"
SUB_TIMESTAMP_INVALID, SUB_PARAMETER_INVALID = "isv.timestamp-invalid", "isv.parameter-format-invalid"
SUB_AUTHORIZATION_CLOSED, SUB_SERVICE_ERROR = "dop.authorization-closed", "dop.service-error"
SUB_REFRESH_TOKEN_INVALID = "isv.business-failed:31009"


def method_for_path(path: str) -> str:
    """§1: the method name is the API path with ``/`` turned into ``.`` (``order.searchList``)."""
    return ".".join(part for part in path.split("/") if part)


def expected_sign(
    *, app_key: str, app_secret: str, method: str, param_json: str, timestamp: str, sign_method: str
) -> str:
    """§2: the sign the gateway expects for these query values and this exact body.

    The fields go in the fixed order app_key, method, param_json, timestamp, v, each name
    followed by its value with no separator; the secret wraps the string on both ends; then
    HMAC-SHA256 keyed by the secret, or MD5 for the legacy ``md5`` method; lower-case hex.
    """
    fields = (("app_key", app_key), ("method", method), ("param_json", param_json), ("timestamp", timestamp), ("v", API_VERSION))
    message = (app_secret + "".join(name + value for name, value in fields) + app_secret).encode("utf-8")
    if sign_method == SIGN_METHOD_MD5:
        return hashlib.md5(message).hexdigest()  # noqa: S324 - the platform's legacy scheme
    return hmac.new(app_secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


# Message push (the SKIT ByteDance SDK's DouyinShop event verification, which cites op.jinritemai.com
# guide-docs/153/99; docs/channels/douyin.md "Push").
PUSH_SIGN_HEADER, PUSH_APP_ID_HEADER, PUSH_SIGN_METHOD_HEADER = "event-sign", "app-id", "sign-method"


def push_signature(app_key: str, app_secret: str, body: bytes, sign_method: str = SIGN_METHOD_MD5) -> str:
    """The ``event-sign`` the platform sends: MD5 of app_key, the body bytes and app_secret run together (or
    HMAC-SHA256 of the same bytes keyed by the secret, announced by ``sign-method: hmac-sha256``), lower-case hex."""
    message = b"".join((app_key.encode("utf-8"), body, app_secret.encode("utf-8")))
    if sign_method == SIGN_METHOD_MD5:
        return hashlib.md5(message).hexdigest()  # noqa: S324 - the platform's push signature
    return hmac.new(app_secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def push_acknowledged(status: int, body: bytes) -> bool:
    """Whether the app acknowledged a push: HTTP 200 with ``{"code": 0, ...}`` (its success answer); anything else
    is sent again."""
    if status != 200:
        return False
    try:
        answer = json.loads(body)
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get("code") == 0 and not isinstance(answer.get("code"), bool)
