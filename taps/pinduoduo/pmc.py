"""Pinduoduo's message service (PMC, 消息服务) as the consumer speaks it (consumer.py; docs/channels/pinduoduo.md).

Sources: bububa/openpdd (core/client.go ``WSSUrl``/``signWSS``, api/pmc/message.go) and a public Rust client of the
same protocol; the platform's own page could not be read. What they agree on:

* one WebSocket per app: ``wss://message-api.pinduoduo.com/message/{client_id}/{timestamp}/{signature}``, the
  timestamp in **milliseconds**, the signature ``base64(hex(md5(client_id + timestamp + client_secret)))``: the
  base64 of the 32 lower-case hex characters of the digest (not of its 16 raw bytes);
* text frames of JSON commands ``{"id", "commandType", "time", "sendTime", "message": {"type", "mallID",
  "content"}}`` with ``commandType`` ``Common`` (a message), ``HeartBeat``, ``Ack`` or ``Fail`` (its content says why);
  ``content`` is the event's JSON as a string;
* the client sends ``{"commandType":"HeartBeat","time":<ms>}`` every few seconds (5 in the Rust client) and acknowledges
  each message with ``{"commandType":"Ack","time","id","sendTime","type","mallID"}`` echoing the message's.

A trade or refund event names its order by ``tid`` (the ``order_sn``): it becomes a FetchRequest of the ``orders``
stream; the consumer fetches the order with ``pdd.order.information.get``. The message ``id`` is the dedupe key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import typing as t

from orderlayer.taps.common.channel import event_object
from orderlayer.taps.common.push import FetchRequest

DEFAULT_URL = "wss://message-api.pinduoduo.com/message"
COMMON, HEARTBEAT, ACK, FAIL = "Common", "HeartBeat", "Ack", "Fail"
#: Event types whose content names an order by ``tid`` (trade and refund events; the refund's order is fetched,
#: refunds themselves come with the reconcile poll).
ORDER_EVENT_PREFIXES = ("pdd_trade_", "pdd_refund_")
ORDERS = "orders"


class MessageError(ValueError):
    """A frame that is not a PMC command the consumer can use; the message never quotes the frame."""


def signature(client_id: str, timestamp_ms: int, client_secret: str) -> str:
    digest = hashlib.md5(f"{client_id}{timestamp_ms}{client_secret}".encode()).hexdigest()  # noqa: S324 - the platform's scheme
    return base64.b64encode(digest.encode("ascii")).decode("ascii")


def connect_url(base: str, client_id: str, timestamp_ms: int, client_secret: str) -> str:
    return f"{base.rstrip('/')}/{client_id}/{timestamp_ms}/{signature(client_id, timestamp_ms, client_secret)}"


def dumps(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def heartbeat(now_ms: int) -> str:
    return dumps({"commandType": HEARTBEAT, "time": now_ms})


def parse(frame: str | bytes) -> dict:
    """A command; MessageError when the frame is not a JSON object with a commandType."""
    try:
        command = json.loads(frame)
    except ValueError:
        msg = "a frame that is not JSON"
        raise MessageError(msg) from None
    if not isinstance(command, dict) or not isinstance(command.get("commandType"), str):
        msg = "a frame without a commandType"
        raise MessageError(msg)
    return command


def ack(command: dict, now_ms: int) -> str:
    message = command.get("message") or {}
    return dumps({
        "commandType": ACK, "time": now_ms, "id": command.get("id"), "sendTime": command.get("sendTime"),
        "type": message.get("type"), "mallID": message.get("mallID"),
    })


def message_of(command: dict) -> tuple[str, str, str | None, dict]:
    """(message id, event type, mall id as text, the event content) of a Common command."""
    message = command.get("message")
    message_id = command.get("id")
    if not isinstance(message, dict) or isinstance(message_id, bool) or not isinstance(message_id, (int, str)) or message_id == "":
        msg = "a Common command without its id or message"
        raise MessageError(msg)
    kind = message.get("type")
    if not isinstance(kind, str) or not kind:
        msg = f"message {message_id} has no type"
        raise MessageError(msg)
    event = event_object(message.get("content"), f"message {message_id} ({kind})", MessageError)
    mall = message.get("mallID")
    return str(message_id), kind, None if mall in (None, "") else str(mall), event


def items_of(message_id: str, kind: str, event: dict) -> list[FetchRequest]:
    """What a message asks for: its order fetched (an order event with a tid), else nothing."""
    tid = event.get("tid")
    if not kind.startswith(ORDER_EVENT_PREFIXES) or tid in (None, ""):
        return []
    return [FetchRequest(ORDERS, message_id, str(tid))]
