"""What the Pinduoduo (拼多多) POP router checks and answers, from shared/channels/pinduoduo.md (§1–§5).

The sandbox's own reading of the platform, independent of the tap's ``protocol`` module, so a
wrong signing string on either side shows up as a rejected call (code 20004).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import typing as t

ROUTER_PATH = "/api/router"
DATA_TYPE_JSON = "JSON"

#: §1: the common parameters beside the flat business parameters.
COMMON_PARAMS = frozenset({"type", "client_id", "timestamp", "data_type", "access_token", "sign"})

#: §1: the APIs this router serves, and the key each success answer is wrapped in.
ORDER_INCREMENT_GET = "pdd.order.number.list.increment.get"
REFUND_INCREMENT_GET = "pdd.refund.list.increment.get"
#: One order by ``order_sn`` (response key from bububa/openpdd's order_information_get.go).
ORDER_INFORMATION_GET = "pdd.order.information.get"
TOKEN_REFRESH = "pdd.pop.auth.token.refresh"
TIME_GET = "pdd.time.get"
RESPONSE_KEYS = {
    ORDER_INCREMENT_GET: "order_sn_increment_get_response",
    REFUND_INCREMENT_GET: "refund_increment_get_response",
    ORDER_INFORMATION_GET: "order_info_get_response",
    TOKEN_REFRESH: "pop_auth_token_refresh_response",
    TIME_GET: "time_get_response",
}

# §3: the increment list's limits.
MAX_PAGE_SIZE = 100
MAX_WINDOW_SECONDS = 30 * 60
HORIZON_DAYS = 90
TIMESTAMP_TOLERANCE_SECONDS = 10 * 60

# §4 codes ([I] strength); 10000 (a business parameter) and 10001 (a common one) follow the official doc's example.
CODE_PARAMETER, CODE_COMMON_PARAMETER, CODE_TOKEN_EXPIRED = 10000, 10001, 10019
CODE_SIGNATURE, CODE_NO_PERMISSION = 20004, 20031
CODE_RATE_LIMITED, CODE_CALLED_TOO_OFTEN, CODE_MAINTENANCE = 52101, 70031, 52103
CODE_INTERNAL_1 = 50001
THROTTLE_CODES = frozenset({CODE_RATE_LIMITED, CODE_CALLED_TOO_OFTEN})

#: §5: response times are naive ``yyyy-MM-dd HH:mm:ss`` in Beijing time (UTC+8 all year).
BEIJING = dt.timezone(dt.timedelta(hours=8))
LOCAL_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _signed_text(value: t.Any) -> str:  # noqa: ANN401
    """A JSON value as the gateway reads it into the string: text and numbers as written, booleans
    ``true``/``false``. Arrays and objects raise TypeError: how they are signed is unconfirmed (§2)."""
    if value is True or value is False:
        return str(value).lower()
    if isinstance(value, (str, int, decimal.Decimal)):
        return str(value)
    msg = f"a {type(value).__name__} parameter has no known signing form"
    raise TypeError(msg)


def expected_sign(params: t.Mapping[str, t.Any], client_secret: str) -> str:
    """§2: ``UPPER(hex(MD5(secret + key+value … + secret)))`` over every parameter but ``sign``, keys in ASCII order."""
    pairs = "".join(key + _signed_text(params[key]) for key in sorted(params) if key != "sign" and params[key] is not None)
    return hashlib.md5(f"{client_secret}{pairs}{client_secret}".encode("utf-8")).hexdigest().upper()  # noqa: S324 - the platform's scheme


def parse_json(content: bytes | str) -> t.Any:  # noqa: ANN401
    """A JSON request body with every non-integer number kept exact, as written."""
    return json.loads(content, parse_float=decimal.Decimal)


def to_local_text(epoch: int) -> str:
    """Epoch seconds as the platform writes a time (§5)."""
    return dt.datetime.fromtimestamp(int(epoch), BEIJING).strftime(LOCAL_TIME_FORMAT)


def local_text_to_epoch(text: str) -> int:
    """A platform time (§5) as epoch seconds; ValueError when it is not ``yyyy-MM-dd HH:mm:ss``."""
    return int(dt.datetime.strptime(text.strip(), LOCAL_TIME_FORMAT).replace(tzinfo=BEIJING).timestamp())
