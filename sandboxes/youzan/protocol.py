"""What the youzanyun (有赞云) gateway serves and checks, from shared/channels/youzan.md (§1–§3).

The sandbox's own reading of the platform, independent of the tap's ``protocol`` module. Youzan
signs no API request (§1): the ``access_token`` query parameter is the only credential, so there
is no signature to check here. Error codes the sheet leaves unconfirmed follow the table in
docs/channels/youzan.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from zoneinfo import ZoneInfo

from orderlayer.sandboxes.kit.answers import json_answer

#: §1: ``POST /api/{method}/{version}?access_token=…``; the silent grant at ``/auth/token``.
TOKEN_PATH = "/auth/token"
AUTHORIZE_SILENT = "silent"
TRADES_SOLD_GET = "youzan.trades.sold.get"
API_VERSIONS = frozenset({"4.0.0", "4.0.1", "4.0.4"})
TRADE_REFUND_SEARCH = "youzan.trade.refund.search"
REFUND_SEARCH_VERSIONS = frozenset({"3.0.0", "3.0.1"})
_API_PATH = re.compile(r"api/(?P<method>[^/]+)/(?P<version>[^/]+)")

#: §2: page_no and page_size at most 100; the end of a window at most 7 days past today.
MAX_PAGE_SIZE = MAX_PAGE_NO = 100
MAX_END_AHEAD_SECONDS = 7 * 24 * 3600

CODE_OK = 200
# ``gw_err_resp.err_code``: path, content, API, request, rate limit, then the token family, then system.
GW_BAD_ADDRESS, GW_BAD_CONTENT, GW_BAD_API, GW_BAD_REQUEST, GW_RATE_LIMITED = 4001, 4004, 4005, 4007, 4101
GW_CREDENTIAL_INVALID, GW_TOKEN_EXPIRED, GW_TOKEN_NOT_FOUND, GW_NO_PERMISSION = 4201, 4202, 4203, 4204
GW_SYSTEM_ERROR, GW_BUSINESS_ERROR = 5001, 5002
# Business ``code`` with ``success: false``.
BIZ_INVALID_PARAM, BIZ_TIMEOUT, BIZ_TIMEOUT_OR_END_TOO_LATE = 5000, 106000001, 106000003
# ``/auth/token`` codes: a wrong client_secret, an unknown client or grant.
TOKEN_BAD_SECRET, TOKEN_NO_CLIENT = 1000, 1103

#: §3: ``order_info.status`` and the text Youzan sends beside it.
STATUS_DESC = {
    "WAIT_BUYER_PAY": "等待买家付款",
    "TRADE_PAID": "订单已支付",
    "WAIT_CONFIRM": "待确认",
    "WAIT_SELLER_SEND_GOODS": "等待卖家发货",
    "WAIT_BUYER_CONFIRM_GOODS": "等待买家确认收货",
    "TRADE_SUCCESS": "交易成功",
    "TRADE_CLOSED": "交易关闭",
}
#: §3 ``refund_state``: none, partial in progress / done, full in progress / done.
REFUND_NONE, REFUND_PARTIAL_OPEN, REFUND_PARTIAL_DONE, REFUND_FULL_OPEN, REFUND_FULL_DONE = 0, 1, 2, 11, 12

#: §2/§3: times are naive ``yyyy-MM-dd HH:mm:ss`` in Beijing time.
_BEIJING = ZoneInfo("Asia/Shanghai")
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def zone() -> ZoneInfo:
    """The zone the platform's naive times are in."""
    return _BEIJING


def format_local(epoch: int) -> str:
    """Epoch seconds as Youzan writes a time."""
    return dt.datetime.fromtimestamp(epoch, _BEIJING).strftime(_TIME_FORMAT)


def parse_local(text: str) -> int:
    """A Youzan time as epoch seconds; ValueError when it is not ``yyyy-MM-dd HH:mm:ss``."""
    return int(dt.datetime.strptime(text.strip(), _TIME_FORMAT).replace(tzinfo=_BEIJING).timestamp())


def split_api_path(path: str) -> tuple[str, str] | None:
    """§1: ``/api/{method}/{version}`` as ``(method, version)``; None for any other path."""
    match = _API_PATH.fullmatch(path.strip("/"))
    return (match["method"], match["version"]) if match else None


# --- pushes (docs/channels/youzan.md "Push"; S4, unconfirmed officially) -------------------------
#: The sandbox's event type per order event: the first three are the names integrations handle (S4); the others are
#: this sandbox's own, in the same family (a receiver treats every ``trade…`` type alike).
PUSH_TYPES = {
    "create": "trade_TradeCreate",
    "pay": "trade_TradePaid",
    "success": "trade_TradeSuccess",
    "close": "trade_TradeClose",
    "confirm": "trade_TradeConfirm",
    "balance": "trade_TradeBuyerPay",
    "ship": "trade_TradeSellerShip",
    "refund_apply": "trade_refund_BuyerCreated",
    "refund_done": "trade_refund_Success",
    "ex_apply": "trade_refund_BuyerCreated",
    "ex_done": "trade_refund_Closed",
}


def push_sign(client_id: str, body: str, client_secret: str) -> str:
    """``Event-Sign``: lower-case hex md5 of client_id + the raw body + client_secret (S4)."""
    return hashlib.md5(f"{client_id}{body}{client_secret}".encode()).hexdigest()  # noqa: S324 - the platform's scheme


def push_acknowledged(status: int, body: bytes) -> bool:
    """Delivered when the receiver answers HTTP 200 with ``{"code": 0, ...}`` (S4); anything else is retried."""
    answer = json_answer(status, body)
    return answer is not None and answer.get("code") == 0
