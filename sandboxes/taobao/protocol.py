"""What the Taobao / Tmall TOP gateway checks and answers, from shared/channels/taobao.md (§1–§4).

The sandbox's own reading of the platform, independent of the tap's ``protocol`` module, so a
wrong signing string on either side shows up as a rejected call (code 25).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import typing as t
from zoneinfo import ZoneInfo

ROUTER_PATH = "/router/rest"
METHOD_INCREMENT = "taobao.trades.sold.increment.get"
METHOD_REFUNDS = "taobao.refunds.receive.get"
#: One trade by tid, every field the list has (a TMC message names a trade: the consumer fetches it).
METHOD_FULLINFO = "taobao.trade.fullinfo.get"
SERVED_METHODS = (METHOD_INCREMENT, METHOD_REFUNDS, METHOD_FULLINFO)

#: §1: the system parameters; everything else a call carries is a business parameter.
SYSTEM_PARAMS = frozenset({"method", "app_key", "session", "timestamp", "format", "v", "sign_method", "sign", "partner_id", "simplify"})

#: §2: ``md5`` wraps the string in the secret; ``hmac`` (HMAC-MD5) and ``hmac-sha256`` key by it.
SIGN_METHOD_MD5 = "md5"
_HMAC_DIGESTS = {"hmac": hashlib.md5, "hmac-sha256": hashlib.sha256}
SIGN_METHODS = (SIGN_METHOD_MD5, *_HMAC_DIGESTS)

# §3: the increment call's limits.
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 40, 100
MAX_WINDOW_SECONDS = 24 * 3600
HORIZON_DAYS = 90

#: §1: times are naive ``yyyy-MM-dd HH:mm:ss`` in Beijing time (GMT+8).
BEIJING = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

#: §4: the ``error_response`` codes this gateway answers with, and their ``msg``.
MESSAGES = {
    7: "App Call Limited",
    11: "Insufficient ISV Permissions",
    15: "Remote service error",
    21: "Missing Method",
    22: "Invalid Method",
    24: "Missing Signature",
    25: "Invalid Signature",
    26: "Missing Session",
    27: "Invalid Session",
    28: "Missing App Key",
    29: "Invalid App Key",
    30: "Missing Timestamp",
    31: "Invalid Timestamp",
    40: "Missing Required Arguments",
    41: "Invalid Arguments",
}
CODE_APP_CALL_LIMITED, CODE_INSUFFICIENT_ISV_PERMISSIONS, CODE_REMOTE_SERVICE_ERROR = 7, 11, 15
CODE_MISSING_METHOD, CODE_INVALID_METHOD, CODE_MISSING_SIGNATURE, CODE_INVALID_SIGNATURE = 21, 22, 24, 25
CODE_MISSING_SESSION, CODE_INVALID_SESSION, CODE_MISSING_APP_KEY, CODE_INVALID_APP_KEY = 26, 27, 28, 29
CODE_MISSING_TIMESTAMP, CODE_INVALID_TIMESTAMP, CODE_MISSING_ARGUMENTS, CODE_INVALID_ARGUMENTS = 30, 31, 40, 41

#: ``sub_code`` values; only ``isp.`` meaning "server side, retry" is confirmed (§4), the rest are inferred.
SUB_INVALID_PARAMETER = "isv.invalid-parameter"
SUB_TRADE_NOT_EXIST = "isv.trade-not-exist"
SUB_SESSION_EXPIRED = "session-expired"
SUB_RATE_LIMITED = "accesscontrol.limited-by-app-access-count"
SUB_SERVICE_BUSY = "isp.top-remote-connection-timeout"


def expected_sign(params: t.Mapping[str, str], secret: str, sign_method: str = SIGN_METHOD_MD5) -> str:
    """§2: upper-case hex over ``key+value`` of every non-empty parameter but ``sign``, keys in ASCII order.

    ``md5`` hashes ``secret + string + secret``; the HMAC methods hash the bare string keyed by the secret.
    """
    text = "".join(key + params[key] for key in sorted(params) if key != "sign" and params[key] != "")
    if sign_method == SIGN_METHOD_MD5:
        digest = hashlib.md5((secret + text + secret).encode("utf-8")).hexdigest()  # noqa: S324 - the platform's scheme
    else:
        digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), _HMAC_DIGESTS[sign_method]).hexdigest()
    return digest.upper()


def format_time(epoch: int) -> str:
    """Epoch seconds as TOP writes a time (§1)."""
    return dt.datetime.fromtimestamp(epoch, BEIJING).strftime(TIME_FORMAT)


def parse_time(text: str) -> int:
    """A TOP time (§1) as epoch seconds; ValueError when it is not ``yyyy-MM-dd HH:mm:ss``."""
    return int(dt.datetime.strptime(text.strip(), TIME_FORMAT).replace(tzinfo=BEIJING).timestamp())


def response_key(method: str) -> str:
    """§1: ``taobao.trades.sold.increment.get`` answers under ``trades_sold_increment_get_response``."""
    return "_".join(method.split(".")[1:]) + "_response"
