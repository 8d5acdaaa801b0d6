"""Taobao's message service (TMC, 消息服务) WebSocket as the consumer speaks it (consumer.py; docs/channels/taobao.md).

TOP documents the channel only through its SDKs. The binary framing here is the one the TOP SDK speaks, as public
re-implementations read it (tmcpy by baocaixiong and its forks, e.g. mapleflow/tmcpy3: messageio.py, message.py,
client.py, with a test vector): every frame is a WebSocket binary message, little-endian,

* ``byte protocol_version`` (2), ``byte message_type`` (0 connect, 1 connect-ack, 2 send, 3 send-ack);
* headers, each ``uint16 header_type`` then its value, until header type 0: 1 custom (``counted string`` key, then
  ``byte value_format`` and the value), 2 status code (``uint32``), 3 status phrase, 4 flag (``uint32``), 5 token
  (counted strings: ``uint32 length`` + UTF-8);
* value formats: 0 void, 1 counted string, 2 byte, 3 int16, 4 int32, 5 int64, 6 date (int64 ms), 7 byte array.

The client opens with a connect frame (flag 1) whose custom headers are ``app_key``, ``group_name``, ``timestamp``
(ms), ``sdk`` and ``sign = UPPER(hex(md5(secret + "app_key"… + "group_name"… + "timestamp"… + secret)))`` (TOP's
md5 request signing over those three); the server answers a connect-ack carrying the session ``token``. Messages
arrive as send frames whose custom headers are the TOP message's fields (``id``, ``topic``, ``content`` — the
event's JSON —, ``user_id``, ``user_nick``, ``pub_time``, ``pub_app_key``, ``outgoing_time``). The client confirms
one with a send frame carrying the token and ``{"__kind": 2, "id": <id>}`` and asks for the backlog with
``{"__kind": 1}`` (a pull request); unconfirmed messages are delivered again. Unconfirmed from public sources:
what a refused connect looks like (taken as a connect-ack with a non-zero status code and a phrase) and whether
confirms may be batched (one per message here).
"""

from __future__ import annotations

import hashlib
import struct
import typing as t
from dataclasses import dataclass, field

from orderlayer.taps.common.channel import event_object
from orderlayer.taps.common.push import FetchRequest

DEFAULT_URL = "wss://mc.api.taobao.com/"
DEFAULT_GROUP = "default"
SDK = "orderlayer-tmc"
PROTOCOL_VERSION = 2
CONNECT, CONNECT_ACK, SEND, SEND_ACK = 0, 1, 2, 3
END_OF_HEADERS, CUSTOM, STATUS_CODE, STATUS_PHRASE, FLAG, TOKEN = 0, 1, 2, 3, 4, 5
VOID, COUNTED_STRING, BYTE, INT16, INT32, INT64, DATE, BYTE_ARRAY = range(8)
KIND = "__kind"
KIND_PULL, KIND_CONFIRM = 1, 2
#: Topic prefixes whose content names a trade by ``tid`` (refund events: their trade is fetched; refunds themselves
#: come with the reconcile poll).
TRADE_TOPIC_PREFIXES = ("taobao_trade_", "taobao_refund_")
ORDERS = "orders"


class FrameError(ValueError):
    """Bytes that are not a TMC frame; the message never quotes them."""


@dataclass
class Frame:
    message_type: int
    content: dict[str, t.Any] = field(default_factory=dict)
    token: str | None = None
    flag: int | None = None
    status_code: int | None = None
    status_phrase: str | None = None


def _string(value: str) -> bytes:
    data = value.encode("utf-8")
    return struct.pack("<I", len(data)) + data


def _value(value: t.Any) -> bytes:  # noqa: ANN401
    if value is None:
        return struct.pack("<B", VOID)
    if isinstance(value, bool):
        return struct.pack("<BB", BYTE, int(value))
    if isinstance(value, int):
        return struct.pack("<Bq", INT64, value)  # ids are Java longs
    if isinstance(value, bytes):
        return struct.pack("<BI", BYTE_ARRAY, len(value)) + value
    return struct.pack("<B", COUNTED_STRING) + _string(str(value))


def encode(frame: Frame) -> bytes:
    out = bytearray(struct.pack("<BB", PROTOCOL_VERSION, frame.message_type))
    if frame.status_code is not None:
        out += struct.pack("<HI", STATUS_CODE, frame.status_code)
    if frame.status_phrase is not None:
        out += struct.pack("<H", STATUS_PHRASE) + _string(frame.status_phrase)
    if frame.flag is not None:
        out += struct.pack("<HI", FLAG, frame.flag)
    if frame.token is not None:
        out += struct.pack("<H", TOKEN) + _string(frame.token)
    for key, value in frame.content.items():
        out += struct.pack("<H", CUSTOM) + _string(key) + _value(value)
    out += struct.pack("<H", END_OF_HEADERS)
    return bytes(out)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, fmt: str) -> t.Any:  # noqa: ANN401
        try:
            values = struct.unpack_from("<" + fmt, self.data, self.at)
        except struct.error:
            msg = "a truncated TMC frame"
            raise FrameError(msg) from None
        self.at += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values

    def raw(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            msg = "a truncated TMC frame"
            raise FrameError(msg)
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk

    def string(self) -> str:
        try:
            return self.raw(self.take("I")).decode("utf-8")
        except UnicodeDecodeError:
            msg = "a TMC frame with text that is not UTF-8"
            raise FrameError(msg) from None

    def value(self) -> t.Any:  # noqa: ANN401
        fmt = self.take("B")
        readers: dict[int, t.Callable[[], t.Any]] = {
            VOID: lambda: None, COUNTED_STRING: self.string, BYTE: lambda: self.take("B"), INT16: lambda: self.take("h"),
            INT32: lambda: self.take("i"), INT64: lambda: self.take("q"), DATE: lambda: self.take("q"),
            BYTE_ARRAY: lambda: self.raw(self.take("I")),
        }
        if fmt not in readers:
            msg = f"a TMC frame with value format {fmt}"
            raise FrameError(msg)
        return readers[fmt]()


def decode(data: bytes) -> Frame:
    reader = _Reader(bytes(data))
    version, message_type = reader.take("BB")
    if version != PROTOCOL_VERSION:
        msg = f"a TMC frame of protocol version {version}"
        raise FrameError(msg)
    frame = Frame(message_type)
    while (header := reader.take("H")) != END_OF_HEADERS:
        if header == CUSTOM:
            key = reader.string()
            frame.content[key] = reader.value()
        elif header == STATUS_CODE:
            frame.status_code = reader.take("I")
        elif header == STATUS_PHRASE:
            frame.status_phrase = reader.string()
        elif header == FLAG:
            frame.flag = reader.take("I")
        elif header == TOKEN:
            frame.token = reader.string()
        else:
            msg = f"a TMC frame with header type {header}"
            raise FrameError(msg)
    return frame


def connect_sign(app_key: str, group_name: str, timestamp_ms: int, app_secret: str) -> str:
    pairs = "".join(f"{k}{v}" for k, v in sorted({"app_key": app_key, "group_name": group_name, "timestamp": timestamp_ms}.items()))
    return hashlib.md5(f"{app_secret}{pairs}{app_secret}".encode()).hexdigest().upper()  # noqa: S324 - the platform's scheme


def connect_frame(app_key: str, app_secret: str, group_name: str, timestamp_ms: int) -> Frame:
    content = {
        "app_key": app_key, "group_name": group_name, "timestamp": str(timestamp_ms), "sdk": SDK,
        "sign": connect_sign(app_key, group_name, timestamp_ms, app_secret),
    }
    return Frame(CONNECT, content, flag=1)


def confirm_frame(token: str, message_id: int) -> Frame:
    return Frame(SEND, {KIND: KIND_CONFIRM, "id": message_id}, token=token)


def pull_frame(token: str) -> Frame:
    return Frame(SEND, {KIND: KIND_PULL}, token=token)


def message_of(frame: Frame) -> tuple[int, str, dict]:
    """(id, topic, the event content) of a message frame; FrameError when it is not one the consumer can use."""
    message_id, topic, content = frame.content.get("id"), frame.content.get("topic"), frame.content.get("content")
    if isinstance(message_id, bool) or not isinstance(message_id, int) or not isinstance(topic, str) or not topic:
        msg = "a TMC message without its id or topic"
        raise FrameError(msg)
    return message_id, topic, event_object(content, f"TMC message {message_id} ({topic})", FrameError)


def items_of(message_id: int, topic: str, event: dict) -> list[FetchRequest]:
    """What a message asks for: its trade fetched (a trade or refund topic with a tid, digit for digit), else nothing."""
    tid = event.get("tid")
    if not topic.startswith(TRADE_TOPIC_PREFIXES) or tid in (None, "") or isinstance(tid, bool):
        return []
    return [FetchRequest(ORDERS, str(message_id), str(tid))]
