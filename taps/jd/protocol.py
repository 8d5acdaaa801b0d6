"""JD JOS ("宙斯") routerjson protocol: signing, timestamps, envelopes and error codes.

Pure standard library, shared by the tap (``client.py``) and the sandbox so both sides compute the same
signature from the same rules (shared/channels/jd.md §1-§3).

Gateway error codes: the fact sheet lists them as unconfirmed. The table below follows a public copy of JD's
JOS gateway error-code table (codes 1-73, with Chinese and English descriptions; it also documents the timestamp
format and the 6-minute clock tolerance) and JD SDK comments (``19`` = invalid access_token). Which codes are
retried and which trigger a token refresh is configurable (``retriable_error_codes``, ``token_error_codes``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import typing as t
from zoneinfo import ZoneInfo

from orderlayer.taps.common.envelope import ErrorTable, fatal

DEFAULT_BASE_URL = "https://api.jd.com/routerjson"
#: OAuth refresh endpoint (GET app_key, app_secret, grant_type=refresh_token, refresh_token), per JD integrations.
DEFAULT_OAUTH_URL = "https://open-oauth.jd.com/oauth2/refresh_token"
API_VERSION = "2.0"
SOURCE_ZONE = "Asia/Shanghai"
BEIJING = ZoneInfo(SOURCE_ZONE)

METHOD_ORDER_SEARCH = "jingdong.pop.order.search"
#: Same business parameters; receiver fields come back encrypted.
METHOD_ORDER_ENSEARCH = "jingdong.pop.order.enSearch"
ORDER_METHODS = {"search": METHOD_ORDER_SEARCH, "enSearch": METHOD_ORDER_ENSEARCH}

#: System parameters the client adds (and signs) on every call; ``sign`` itself is never signed.
SYSTEM_PARAMS = ("app_key", "access_token", "timestamp", "v", "sign")
PARAM_JSON = "360buy_param_json"

#: ``timestamp`` formats: JD's error-code table documents ``yyyy-MM-dd HH:mm:ss`` (Beijing); the official
#: signing vector uses milliseconds and an offset. The gateway is said to accept both (fact sheet §1 [I]).
TIMESTAMP_PLAIN = "plain"
TIMESTAMP_OFFSET_MS = "offset_ms"
TIMESTAMP_FORMATS = (TIMESTAMP_PLAIN, TIMESTAMP_OFFSET_MS)
#: The gateway's allowed clock difference (error code 8's description).
TIMESTAMP_TOLERANCE_SECONDS = 360

# --- order search (fact sheet §3, §4) --------------------------------------------------------------
#: ``page_size`` is at most 100 per the enSearch doc, 50 per proxy docs of ``search``: 50 is the safe default.
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50
#: "The JD API allows page numbers up to 300" (a production integration's comment; [I]).
DEFAULT_MAX_PAGES = 300
#: A query window may span at most one month; 28 days is within a month whatever the calendar.
MAX_WINDOW_SECONDS = 28 * 86_400
DATE_TYPE_MODIFIED = "0"  # any value but 1 = modification time (status or waybill change)
DATE_TYPE_CREATED = "1"
SORT_ASCENDING = "0"  # any value but 1 = ascending
SORT_DESCENDING = "1"

ORDER_STATES = (
    "WAIT_SELLER_STOCK_OUT",
    "WAIT_GOODS_RECEIVE_CONFIRM",
    "WAIT_SELLER_DELIVERY",
    "PAUSE",
    "FINISHED_L",
    "TRADE_CANCELED",
    "LOCKED",
    "POP_ORDER_PAUSE",
)

#: The orderInfo vocabulary of a production integration (fact sheet §4, S13): what ``optional_fields`` asks for.
ORDER_FIELDS = (
    "orderId", "venderId", "orderType", "payType", "orderTotalPrice", "orderSellerPrice", "orderPayment",
    "freightPrice", "sellerDiscount", "orderState", "orderStateRemark", "deliveryType", "invoiceInfo",
    "invoiceCode", "invoiceEasyInfo", "vatInfo", "orderRemark", "venderRemark", "orderStartTime", "orderEndTime",
    "paymentConfirmTime", "modified", "consigneeInfo", "originalConsigneeInfo", "itemInfoList", "couponDetailList",
    "pin", "realPin", "open_id_buyer", "open_id_seller", "returnOrder", "storeOrder", "storeId", "mdbStoreId",
    "menDianId", "waybill", "logisticsId", "balanceUsed", "serviceFee", "taxFee", "tuiHuoWuYou", "orderSource",
    "orderSign", "orderMarkDesc", "orderExt", "parentOrderId", "directParentOrderId", "idSopShipmenttype", "scDT",
    "customc", "customcModel", "salesPin", "pauseBizInfo",
)
#: Fields the tap cannot work without; always requested.
REQUIRED_FIELDS = ("orderId", "venderId", "modified")

# --- refund applications (docs/channels/jd.md "Refund applications") ----------------------------------
#: The refund-application list ("退款审核单列表查询"); per the official doc page (apiId 13151) as quoted by an
#: integration's research notes, the list of POP cancel-order refund applications and their review status.
METHOD_REFUND_APPLY_LIST = "jingdong.pop.afs.soa.refundapply.queryPageList"
REFUND_RESULT_KEY = "queryResult"
#: pageSize 1-50 (SDK comments and the doc notes agree); pageIndex 1-100 (doc notes; an SDK comment says 1000).
REFUND_MAX_PAGE_SIZE = 50
REFUND_DEFAULT_MAX_PAGES = 100
#: No window limit is documented for this method; JD's newer after-sale list allows 7 days by apply time, so
#: refund windows never exceed 7 days [I] (and never the order stream's window_seconds).
REFUND_MAX_WINDOW_SECONDS = 7 * 86_400
#: Default look-back of a refund sync before its bookmark: re-reads status changes that move neither applyTime
#: nor checkTime (finance review, logistics interception) for three days after they happen.
REFUND_DEFAULT_LOOKBACK_SECONDS = 3 * 86_400
#: The time filters the request supports (SDK request classes): which record field each range filters on.
REFUND_TIME_FILTERS: dict[str, tuple[str, str]] = {
    "applyTime": ("applyTimeStart", "applyTimeEnd"),
    "checkTime": ("checkTimeStart", "checkTimeEnd"),
}
#: ``status`` codes (SDK comment quoting the API doc): 0 pending review, 1 approved, 2 rejected, 3 JD finance
#: approved, 4 JD finance rejected, 5 approved manually, 6 intercepted and refunded, 7 Qinglong (JD logistics)
#: interception succeeded, 8 Qinglong interception failed, 9 order force-closed and refunded.
REFUND_STATUSES: dict[str, str] = {
    "0": "未审核", "1": "审核通过", "2": "审核不通过", "3": "京东财务审核通过", "4": "京东财务审核不通过",
    "5": "人工审核通过", "6": "拦截并退款", "7": "青龙拦截成功", "8": "青龙拦截失败", "9": "强制关单并退款",
}

# --- after-sale services and their refunds (docs/channels/jd.md "Refunds after shipment") -------------------
#: "查看售后和退款信息" (JOS apiId 15040): after-sale services (returns, refunds after shipment) with their refund.
#: Request leaves per the SDKs: orderId, applyTimeBegin/End, approveTimeBegin/End (each pair both or neither),
#: pageNumber (from 1), pageSize (1-50, default 10), extJsonStr.
METHOD_AFTER_SALE_LIST = "jingdong.asc.serviceAndRefund.view"
AFTER_SALE_RESULT_KEY = "pageResult"
#: pageResult.code of a successful call (doc sample per an integration's research notes; not the order apiResult).
AFTER_SALE_OK_CODE = "00000"
AFTER_SALE_MAX_PAGE_SIZE = 50
#: No deepest page is documented; windows with more than this many pages are split [I].
AFTER_SALE_DEFAULT_MAX_PAGES = 100
#: The time filters and their documented longest range: apply time 7 days, approval (review) time 10 days.
AFTER_SALE_TIME_FILTERS: dict[str, tuple[str, str]] = {
    "applyTime": ("applyTimeBegin", "applyTimeEnd"),
    "approveTime": ("approveTimeBegin", "approveTimeEnd"),
}
AFTER_SALE_MAX_WINDOW_SECONDS: dict[str, int] = {"applyTime": 7 * 86_400, "approveTime": 10 * 86_400}
#: A refund completes after the review without moving either filter time, so each sync re-reads this much
#: before its bookmark: refunds completing up to 15 days after their review are found [I].
AFTER_SALE_DEFAULT_LOOKBACK_SECONDS = 15 * 86_400
#: Refund ``status`` of a service: 13 refund succeeded, 14 refund failed, anything else in progress (SDK comment).
AFTER_SALE_REFUND_OK = "13"
AFTER_SALE_REFUND_FAILED = "14"


#: Lists an app may lack the permission for, and the tap key that switches each off.
OPTIONAL_LISTS = {METHOD_REFUND_APPLY_LIST: "sync_refund_applies", METHOD_AFTER_SALE_LIST: "sync_after_sales"}


# --- gateway error codes (module docstring) ---------------------------------------------------------
CODE_OK = "0"
CODE_SERVICE_UNAVAILABLE = "1"
CODE_CALL_LIMITED = "2"
CODE_FORBIDDEN = "3"
CODE_MISSING_VERSION = "4"
CODE_UNSUPPORTED_VERSION = "5"
CODE_MISSING_TIMESTAMP = "7"
CODE_INVALID_TIMESTAMP = "8"
CODE_MISSING_SIGNATURE = "11"
CODE_INVALID_SIGNATURE = "12"
CODE_MISSING_METHOD = "14"
CODE_INVALID_METHOD = "15"
CODE_MISSING_TOKEN = "18"
CODE_INVALID_TOKEN = "19"
CODE_MISSING_APP_KEY = "20"
CODE_INVALID_APP_KEY = "21"
CODE_NOT_A_MERCHANT = "22"
CODE_API_STOPPED = "23"
CODE_NO_API_PERMISSION = "24"
CODE_APP_OFFLINE = "25"
CODE_SYSTEM_ERROR = "43"
CODE_PARAM_INVALID = "60"
CODE_PARAM_VALUE_INVALID = "61"
CODE_JSON_CONVERT = "62"
CODE_JSON_INVALID = "63"
CODE_MERCHANT_TYPE_DENIED = "64"
CODE_BACKEND_TIMEOUT = "65"
CODE_BACKEND_UNAVAILABLE = "66"
CODE_BACKEND_UNKNOWN = "67"
CODE_FETCH_FAILED = "69"

ERROR_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    CODE_SERVICE_UNAVAILABLE: ("服务不可用", "Service unavailable"),
    CODE_CALL_LIMITED: ("限制时间内调用失败次数", "App Call Limited"),
    CODE_FORBIDDEN: ("请求被禁止", "Forbidden Request"),
    CODE_MISSING_VERSION: ("缺少版本参数", "Missing Version"),
    CODE_UNSUPPORTED_VERSION: ("不支持的版本号", "Unsupported Version"),
    CODE_MISSING_TIMESTAMP: ("缺少时间戳参数", "Missing Timestamp"),
    CODE_INVALID_TIMESTAMP: ("非法的时间戳参数", "Invalid Timestamp"),
    CODE_MISSING_SIGNATURE: ("缺少签名参数", "Missing Signature"),
    CODE_INVALID_SIGNATURE: ("无效签名", "Invalid Signature"),
    CODE_MISSING_METHOD: ("缺少方法名参数", "Missing Method"),
    CODE_INVALID_METHOD: ("不存在的方法名", "Invalid Method"),
    CODE_MISSING_TOKEN: ("缺少access_token参数", "Missing access_token"),
    CODE_INVALID_TOKEN: ("无效access_token", "Invalid access_token"),
    CODE_MISSING_APP_KEY: ("缺少app_key参数", "Missing app_key"),
    CODE_INVALID_APP_KEY: ("无效app_key", "Invalid app_key"),
    CODE_NOT_A_MERCHANT: ("授权者不是商家", "the franchisor is not a merchant"),
    CODE_API_STOPPED: ("该API已经停用", "API stop"),
    CODE_NO_API_PERMISSION: ("无权调用API", "cannot use this API"),
    CODE_APP_OFFLINE: ("此应用不是上线状态", "this application is not on-line"),
    CODE_SYSTEM_ERROR: ("系统处理错误", "system error"),
    CODE_PARAM_INVALID: ("参数不合法", "parameter is not valid"),
    CODE_PARAM_VALUE_INVALID: ("参数值不合法", "parameter value is not valid"),
    CODE_JSON_CONVERT: ("json转换时错误，错误的请求参数", "json conversion error"),
    CODE_JSON_INVALID: ("json格式不合法", "invalid json"),
    CODE_MERCHANT_TYPE_DENIED: ("此类型商家无权调用本接口", "this type of merchant may not call this interface"),
    CODE_BACKEND_TIMEOUT: ("平台连接后端服务超时", "platform connecting service timeout"),
    CODE_BACKEND_UNAVAILABLE: ("平台连接后端服务不可用", "platform back-end service not available"),
    CODE_BACKEND_UNKNOWN: ("平台连接后端服务处理过程中出现未知异常信息", "platform service unknown exception"),
    CODE_FETCH_FAILED: ("获取数据失败", "failed to get data"),
}

#: Retried with backoff by default: throttling, gateway/back-end unavailability.
DEFAULT_RETRIABLE_CODES = (
    CODE_SERVICE_UNAVAILABLE,
    CODE_CALL_LIMITED,
    CODE_SYSTEM_ERROR,
    CODE_BACKEND_TIMEOUT,
    CODE_BACKEND_UNAVAILABLE,
    CODE_BACKEND_UNKNOWN,
    CODE_FETCH_FAILED,
)
#: Answered by refreshing the access token once (JD uses one code for an expired and an unknown token).
DEFAULT_TOKEN_CODES = (CODE_INVALID_TOKEN,)


_PERMISSION_CODES = (CODE_NO_API_PERMISSION, CODE_MERCHANT_TYPE_DENIED, CODE_NOT_A_MERCHANT, CODE_FORBIDDEN)

#: The fix a non-retriable gateway code names (which codes retry or refresh the token is configurable:
#: ``retriable_error_codes``, ``token_error_codes``). Facts: ``method``, and ``optional_switch`` — the config key
#: that turns an optional list off (:data:`OPTIONAL_LISTS`), empty for the order list.
ERRORS = ErrorTable(
    rules=(
        fatal(CODE_INVALID_SIGNATURE, hint="the request signature was rejected: check app_secret (and app_key) in the tap config"),
        fatal(
            CODE_INVALID_TIMESTAMP,
            hint=(
                "the gateway rejected the request timestamp: this machine's clock is more than 6 minutes off Beijing "
                "time (synchronise it with NTP), or set timestamp_format to 'plain'"
            ),
        ),
        fatal(
            CODE_INVALID_APP_KEY, CODE_APP_OFFLINE,
            hint="the app is unknown or not online: check app_key (a production app, not a sandbox one) and base_url",
        ),
        fatal(
            CODE_INVALID_TOKEN,
            hint=(
                "the access_token is expired or does not belong to this app: set a fresh 'access_token' (and "
                "'refresh_token') from the shop's authorisation of this app_key"
            ),
        ),
        fatal(
            *_PERMISSION_CODES, when="optional_switch",
            hint=(
                "permission denied for {method}: the app lacks this API permission; apply for it in the JOS console "
                "and re-authorize the shop, or set {optional_switch} to false in the tap config"
            ),
        ),
        fatal(
            *_PERMISSION_CODES,
            hint=(
                "permission denied for {method}: the app lacks this API permission or the authorising account is not "
                "the POP merchant; apply for the order API in the JOS console and re-authorize the shop "
                "(check app_key, access_token and order_api)"
            ),
        ),
        fatal(CODE_API_STOPPED, hint="{method} is stopped on the platform side; check JOS announcements or switch order_api"),
        fatal(
            CODE_PARAM_INVALID, CODE_PARAM_VALUE_INVALID, CODE_JSON_CONVERT, CODE_JSON_INVALID,
            hint=(
                "a request parameter was rejected: check page_size (<= 100), window_seconds (<= 28 days), "
                "order_states and optional_fields; otherwise report a tap bug"
            ),
        ),
        fatal(
            CODE_MISSING_VERSION, CODE_UNSUPPORTED_VERSION, CODE_MISSING_TIMESTAMP, CODE_MISSING_SIGNATURE,
            CODE_MISSING_METHOD, CODE_INVALID_METHOD, CODE_MISSING_APP_KEY, CODE_MISSING_TOKEN,
            hint="a system parameter is missing or wrong: check base_url, app_key and access_token; otherwise report a tap bug",
        ),
    ),
    fallback_hint="the platform refused the request; see the code above",
)


# --- request building ------------------------------------------------------------------------------
def param_json(params: t.Mapping[str, t.Any]) -> str:
    """Business parameters as the official vector shows them: compact, keys sorted, ``null`` kept, UTF-8.

    The exact string is signed and sent; it must never be re-serialised in between.
    """
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def signing_string(params: t.Mapping[str, str]) -> str:
    """``key + value`` of every sent parameter except ``sign``, keys in ASCII order, no separators."""
    return "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign")


def sign(params: t.Mapping[str, str], app_secret: str) -> str:
    """``UPPER(hex(MD5(app_secret + signing_string + app_secret)))`` (fact sheet §2)."""
    wrapped = f"{app_secret}{signing_string(params)}{app_secret}".encode()
    return hashlib.md5(wrapped).hexdigest().upper()  # noqa: S324 - the platform's scheme


def format_timestamp(epoch: float, fmt: str = TIMESTAMP_PLAIN) -> str:
    """The ``timestamp`` parameter in Beijing time (``plain``) or with milliseconds and offset (``offset_ms``)."""
    moment = dt.datetime.fromtimestamp(epoch, BEIJING)
    if fmt == TIMESTAMP_PLAIN:
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if fmt == TIMESTAMP_OFFSET_MS:
        return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + moment.strftime("%z")
    msg = f"unknown timestamp format {fmt!r}; use one of {TIMESTAMP_FORMATS}"
    raise ValueError(msg)


def parse_timestamp(value: str) -> float:
    """Epoch seconds of a ``timestamp`` parameter in either accepted format (ValueError otherwise)."""
    text = value.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S.%f%z", "%Y-%m-%d %H:%M:%S%z"):
        try:
            return dt.datetime.strptime(text, fmt).timestamp()
        except ValueError:
            continue
    naive = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007 - Beijing time, attached next
    return naive.replace(tzinfo=BEIJING).timestamp()


def format_local(epoch: int) -> str:
    """A naive ``yyyy-MM-dd HH:mm:ss`` Beijing time (order times, query windows)."""
    return dt.datetime.fromtimestamp(epoch, BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def parse_local(value: str) -> int:
    """Epoch seconds of a naive Beijing ``yyyy-MM-dd HH:mm:ss`` (ValueError otherwise)."""
    naive = dt.datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007 - Beijing time
    return int(naive.replace(tzinfo=BEIJING).timestamp())


def response_key(method: str) -> str:
    """``jingdong.pop.order.search`` -> ``jingdong_pop_order_search_responce`` (JD's spelling)."""
    return method.replace(".", "_") + "_responce"


def signed_params(
    business: t.Mapping[str, str],
    *,
    app_key: str,
    app_secret: str,
    access_token: str | None,
    timestamp: str,
) -> dict[str, str]:
    """Every form parameter of one call: ``business`` (method, 360buy_param_json, ...) plus system params and sign."""
    params = {k: v for k, v in business.items() if k not in SYSTEM_PARAMS}
    params.update({"app_key": app_key, "timestamp": timestamp, "v": API_VERSION})
    if access_token is not None:
        params["access_token"] = access_token
    params["sign"] = sign(params, app_secret)
    return params
