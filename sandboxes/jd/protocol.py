"""What the JD JOS routerjson gateway checks and answers, from shared/channels/jd.md (§1–§4).

The sandbox's own reading of the platform, independent of the tap's ``protocol`` module, so a
wrong signing string on either side shows up as a rejected call (code 12).

Gateway error codes are unconfirmed in the fact sheet; the numbers and texts below follow the
public JOS error-code table the team uses (which also gives the 6-minute clock tolerance). The
refund-application and after-sale lists follow docs/channels/jd.md (SDK request classes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import typing as t
from zoneinfo import ZoneInfo

#: §4: every time on the wire is a naive Beijing time.
BEIJING = ZoneInfo("Asia/Shanghai")
LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"

API_VERSION = "2.0"
PARAM_JSON = "360buy_param_json"
TIMESTAMP_TOLERANCE_SECONDS = 6 * 60

METHOD_ORDER_SEARCH = "jingdong.pop.order.search"
METHOD_ORDER_ENSEARCH = "jingdong.pop.order.enSearch"
ORDER_METHODS = {"search": METHOD_ORDER_SEARCH, "enSearch": METHOD_ORDER_ENSEARCH}
METHOD_REFUND_APPLY_LIST = "jingdong.pop.afs.soa.refundapply.queryPageList"
METHOD_AFTER_SALE_LIST = "jingdong.asc.serviceAndRefund.view"

# §3: order search paging and filters.
MAX_PAGE_SIZE = 100
DEFAULT_MAX_PAGES = 300
DATE_TYPE_CREATED = "1"
SORT_DESCENDING = "1"
ORDER_STATES = frozenset({
    "WAIT_SELLER_STOCK_OUT", "WAIT_GOODS_RECEIVE_CONFIRM", "WAIT_SELLER_DELIVERY", "PAUSE",
    "FINISHED_L", "TRADE_CANCELED", "LOCKED", "POP_ORDER_PAUSE",
})

# Refund applications: ``queryResult``, pages of 1-50, at most 100 pages, 7-day windows.
REFUND_RESULT_KEY = "queryResult"
REFUND_MAX_PAGE_SIZE, REFUND_DEFAULT_MAX_PAGES, REFUND_MAX_WINDOW_SECONDS = 50, 100, 7 * 86_400
REFUND_TIME_FILTERS = {"applyTime": ("applyTimeStart", "applyTimeEnd"), "checkTime": ("checkTimeStart", "checkTimeEnd")}

# After-sale services: ``pageResult`` with its own ok code, pages of 1-50, apply 7 / approve 10 days.
AFTER_SALE_RESULT_KEY = "pageResult"
AFTER_SALE_OK_CODE = "00000"
AFTER_SALE_MAX_PAGE_SIZE = 50
AFTER_SALE_TIME_FILTERS = {"applyTime": ("applyTimeBegin", "applyTimeEnd"), "approveTime": ("approveTimeBegin", "approveTimeEnd")}
AFTER_SALE_MAX_WINDOW_SECONDS = {"applyTime": 7 * 86_400, "approveTime": 10 * 86_400}

#: The ``error_response`` codes this gateway answers with: (code, Chinese text, English text).
_ERRORS = (
    ("1", "服务不可用", "Service unavailable"),
    ("2", "限制时间内调用失败次数", "App Call Limited"),
    ("4", "缺少版本参数", "Missing Version"),
    ("5", "不支持的版本号", "Unsupported Version"),
    ("7", "缺少时间戳参数", "Missing Timestamp"),
    ("8", "非法的时间戳参数", "Invalid Timestamp"),
    ("11", "缺少签名参数", "Missing Signature"),
    ("12", "无效签名", "Invalid Signature"),
    ("14", "缺少方法名参数", "Missing Method"),
    ("15", "不存在的方法名", "Invalid Method"),
    ("18", "缺少access_token参数", "Missing access_token"),
    ("19", "无效access_token", "Invalid access_token"),
    ("20", "缺少app_key参数", "Missing app_key"),
    ("21", "无效app_key", "Invalid app_key"),
    ("23", "该API已经停用", "API stop"),
    ("24", "无权调用API", "cannot use this API"),
    ("63", "json格式不合法", "invalid json"),
    ("66", "平台连接后端服务不可用", "platform back-end service not available"),
)
ERROR_DESCRIPTIONS = {code: (zh, en) for code, zh, en in _ERRORS}
CODE_OK = "0"
CODE_SERVICE_UNAVAILABLE, CODE_CALL_LIMITED, CODE_MISSING_VERSION, CODE_UNSUPPORTED_VERSION = "1", "2", "4", "5"
CODE_MISSING_TIMESTAMP, CODE_INVALID_TIMESTAMP, CODE_MISSING_SIGNATURE, CODE_INVALID_SIGNATURE = "7", "8", "11", "12"
CODE_MISSING_METHOD, CODE_INVALID_METHOD, CODE_MISSING_TOKEN, CODE_INVALID_TOKEN = "14", "15", "18", "19"
CODE_MISSING_APP_KEY, CODE_INVALID_APP_KEY, CODE_API_STOPPED, CODE_NO_API_PERMISSION = "20", "21", "23", "24"
CODE_JSON_INVALID, CODE_BACKEND_UNAVAILABLE = "63", "66"


def expected_sign(params: t.Mapping[str, str], app_secret: str) -> str:
    """§2: ``UPPER(hex(MD5(secret + name+value … + secret)))`` over every sent parameter but ``sign``.

    Names in ASCII order (so ``360buy_param_json`` comes first), no separators, values verbatim.
    """
    body = "".join(name + params[name] for name in sorted(params) if name != "sign")
    return hashlib.md5((app_secret + body + app_secret).encode("utf-8")).hexdigest().upper()  # noqa: S324 - the platform's scheme


def parse_timestamp(value: str) -> float:
    """§1: the ``timestamp`` parameter as epoch seconds, either ``yyyy-MM-dd HH:mm:ss`` (Beijing) or
    with milliseconds and an offset as in the official vector (``2021-05-07 09:20:39.683+0800``)."""
    text = value.strip()
    if len(text) > len("yyyy-MM-dd HH:mm:ss"):
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f%z").timestamp()
    return dt.datetime.strptime(text, LOCAL_FORMAT).replace(tzinfo=BEIJING).timestamp()


def format_local(epoch: int) -> str:
    """§4: an order time as JD writes it, naive Beijing ``yyyy-MM-dd HH:mm:ss``."""
    return dt.datetime.fromtimestamp(epoch, BEIJING).strftime(LOCAL_FORMAT)


def parse_local(value: str) -> int:
    """Epoch seconds of a naive Beijing ``yyyy-MM-dd HH:mm:ss`` (ValueError for anything else)."""
    return int(dt.datetime.strptime(value.strip(), LOCAL_FORMAT).replace(tzinfo=BEIJING).timestamp())


def response_key(method: str) -> str:
    """§3: the answer's top-level key, ``jingdong_pop_order_search_responce`` (JD's spelling)."""
    return f"{method.replace('.', '_')}_responce"
