"""What the Meituan Waimai / Shangou gateway checks, from shared/channels/meituan_eleme.md §A1–A3.

The sandbox's own reading of the platform, independent of the tap's ``protocol`` module, so a
wrong pre-hash string on either side shows up as a rejected call (code 703).

The pull-by-day paths come from public SDKs, not the fact sheet; ``SANDBOX_CODE_*`` values are
this sandbox's convention (the platform's codes for those cases are unconfirmed).
"""

from __future__ import annotations

import hashlib
import typing as t

from orderlayer.sandboxes.kit.answers import json_answer

ORDER_DETAIL_PATH = "order/getOrderDetail"
ORDER_IDS_BY_DAY_SEQ_PATH = "ecommerce/order/getOrderIdByDaySeq"
ORDER_REFUND_DETAIL_PATH = "ecommerce/order/getOrderRefundDetail"

#: §A1: the system parameters every call carries.
SYSTEM_PARAMS = ("app_id", "timestamp", "sig")

#: The widest day-seq range one call may ask for (the platform's limit is unconfirmed).
MAX_DAY_SEQ_SPAN = 100

#: §A3 (S10) codes with their texts, then the sandbox's own for stale timestamps, bad values, unknown orders.
ERROR_MESSAGES = {
    600: "内部错误",
    701: "缺少参数，数据不完整",
    702: "app_id不存在",
    703: "签名验证错误",
    803: "不存在此门店",
    2000: "超过授权使用期",
    704: "timestamp已过期",
    705: "参数值错误",
    806: "订单不存在",
}
CODE_INTERNAL, CODE_MISSING_PARAMS, CODE_APP_ID_NOT_FOUND, CODE_SIGNATURE = 600, 701, 702, 703
CODE_STORE_NOT_FOUND, CODE_STORE_EXPIRED = 803, 2000
SANDBOX_CODE_TIMESTAMP, SANDBOX_CODE_PARAM_INVALID, SANDBOX_CODE_ORDER_NOT_FOUND = 704, 705, 806

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _percent_encoded(value: str) -> str:
    """RFC 3986 percent-encoding of the UTF-8 bytes: only unreserved characters stay as they are."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in value.encode("utf-8"))


def expected_sig(url: str, query: t.Mapping[str, str], secret: str, *, encode_values: bool = False) -> str:
    """§A2: lower-case hex MD5 of ``url-without-query + "?" + k=v&… (sorted by key, no sig) + secret``.

    Whether the platform hashes URL-encoded values is unconfirmed; ``encode_values`` selects it.
    """
    base = url.partition("?")[0]
    pairs = sorted((name, value) for name, value in query.items() if name != "sig")
    joined = "&".join(f"{name}={_percent_encoded(value) if encode_values else value}" for name, value in pairs)
    return hashlib.md5(f"{base}?{joined}{secret}".encode("utf-8")).hexdigest()  # noqa: S324 - the platform's scheme


def error_body(code: int, msg: str | None = None) -> dict:
    """§A3 (S10): an error answer is ``{"data": "ng", "error": {"code", "msg"}}``."""
    return {"data": "ng", "error": {"code": code, "msg": msg if msg else ERROR_MESSAGES.get(code, "error")}}


# --- pushes ---------------------------------------------------------------------------------
def push_acknowledged(status: int, body: bytes) -> bool:
    """Meituan counts a push as delivered when the callback answers ``{"data": "ok"}`` (any case); anything else,
    an error envelope included, is retried."""
    answer = json_answer(status, body)
    return answer is not None and str(answer.get("data", "")).lower() == "ok"


def signed_push(url: str, fields: t.Mapping[str, str], app_id: str, secret: str, timestamp: int, *, encode_values: bool = False) -> tuple[dict[str, str], str]:
    """A push's form (its fields, ``app_id``, ``timestamp``, ``sig`` over the callback ``url``) and a forged ``sig``."""
    form = {**fields, "app_id": app_id, "timestamp": str(timestamp)}
    sig = expected_sig(url, form, secret, encode_values=encode_values)
    return {**form, "sig": sig}, sig[:-1] + ("0" if sig[-1] != "0" else "1")
