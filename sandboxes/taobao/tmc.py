"""The sandbox's Taobao message service (TMC): the WebSocket TOP keeps open to an app's consumer group.

The sandbox's own reading of the binary protocol (sources and layout in taps/taobao/tmc.py; written independently of
the tap's codec, so a framing mistake on either side shows): the first frame must be a connect (type 0) whose
``sign`` is TOP's md5 signature of ``app_key``, ``group_name`` and ``timestamp`` (ms, within
``timestamp_tolerance_seconds`` of the wall clock); it is answered with a connect-ack carrying a session token, or
with status code 401 and a phrase, and the connection is closed. Then messages go out as send frames (type 2); a
send frame from the client with the token and ``__kind`` 2 confirms message ``id``, ``__kind`` 1 is a pull request
(answered with a send-ack, type 3). Unconfirmed messages are dealt again by the sandbox's
:class:`~orderlayer.sandboxes.kit.messages.MessageQueue`; ``garble_next`` sends that many frames that are not TMC
frames first (a client must neither store nor confirm them).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
import typing as t
import uuid

from websockets.exceptions import ConnectionClosed

if t.TYPE_CHECKING:
    from websockets.sync.server import ServerConnection

    from orderlayer.sandboxes.kit.messages import Message, MessageQueue

VERSION = 2
T_CONNECT, T_CONNECT_ACK, T_SEND, T_SEND_ACK = 0, 1, 2, 3
H_END, H_CUSTOM, H_STATUS, H_PHRASE, H_FLAG, H_TOKEN = 0, 1, 2, 3, 4, 5


def _text(s: str) -> bytes:
    b = s.encode()
    return len(b).to_bytes(4, "little") + b


def frame(kind: int, headers: dict[str, t.Any], *, token: str | None = None, status: int | None = None, phrase: str | None = None) -> bytes:
    """A frame; custom header values: int (int64, format 5) or text (format 1)."""
    out = bytes([VERSION, kind])
    if status is not None:
        out += struct.pack("<HI", H_STATUS, status)
    if phrase is not None:
        out += struct.pack("<H", H_PHRASE) + _text(phrase)
    if token is not None:
        out += struct.pack("<H", H_TOKEN) + _text(token)
    for key, value in headers.items():
        out += struct.pack("<H", H_CUSTOM) + _text(key)
        out += struct.pack("<Bq", 5, value) if isinstance(value, int) else b"\x01" + _text(str(value))
    return out + struct.pack("<H", H_END)


def parse(data: bytes) -> tuple[int, str | None, dict[str, t.Any]]:
    """(message type, token, custom headers) of a client frame; ValueError when it is not one."""
    try:
        if data[0] != VERSION:
            raise ValueError("protocol version")
        kind, pos, token, headers = data[1], 2, None, {}

        def text() -> str:
            nonlocal pos
            n = int.from_bytes(data[pos : pos + 4], "little")
            value = data[pos + 4 : pos + 4 + n].decode()
            pos += 4 + n
            return value

        while True:
            (header,) = struct.unpack_from("<H", data, pos)
            pos += 2
            if header == H_END:
                return kind, token, headers
            if header in (H_STATUS, H_FLAG):
                pos += 4
            elif header in (H_PHRASE, H_TOKEN):
                value = text()
                token = value if header == H_TOKEN else token
            elif header == H_CUSTOM:
                key, fmt = text(), data[pos]
                pos += 1
                sizes = {0: 0, 2: 1, 3: 2, 4: 4, 5: 8, 6: 8}
                if fmt == 1:
                    headers[key] = text()
                elif fmt in sizes:
                    n = sizes[fmt]
                    headers[key] = int.from_bytes(data[pos : pos + n], "little", signed=fmt != 2) if n else None
                    pos += n
                else:
                    raise ValueError("value format")
            else:
                raise ValueError("header type")
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise ValueError("truncated") from exc


def expected_sign(app_key: str, group_name: str, timestamp: str, secret: str) -> str:
    text = f"{secret}app_key{app_key}group_name{group_name}timestamp{timestamp}{secret}"
    return hashlib.md5(text.encode()).hexdigest().upper()  # noqa: S324 - the platform's scheme


class TmcEndpoint:
    """One app's TMC endpoint over ``queue`` (module docstring); ``session`` runs a connection."""

    def __init__(self, queue: MessageQueue, *, app_key: str, app_secret: str, wall_time: t.Callable[[], float], timestamp_tolerance_seconds: float = 600) -> None:
        self.queue = queue
        self.app_key = app_key
        self.app_secret = app_secret
        self.wall_time = wall_time
        self.timestamp_tolerance_seconds = timestamp_tolerance_seconds
        self.garble_next = 0
        self.pulls = 0
        self.refused = 0
        self.sessions = 0  # connections accepted
        self.groups: set[str] = set()

    def message_frame(self, message: Message) -> bytes:
        payload = message.payload
        headers = {
            "id": message.id, "topic": payload["topic"], "pub_app_key": self.app_key, "user_id": payload["user_id"],
            "user_nick": payload["user_nick"], "pub_time": message.changed_at * 1000,
            "outgoing_time": int(self.wall_time() * 1000), "content": json.dumps(payload["content"], ensure_ascii=False),
        }
        return frame(T_SEND, headers)

    def _connect(self, connection: ServerConnection) -> str | None:
        try:
            kind, _token, h = parse(connection.recv(timeout=10))
        except (TimeoutError, ValueError):
            return None
        stamp = str(h.get("timestamp", ""))
        ok = (
            kind == T_CONNECT and h.get("app_key") == self.app_key and bool(h.get("group_name")) and stamp.isdigit()
            and abs(self.wall_time() * 1000 - int(stamp)) <= self.timestamp_tolerance_seconds * 1000
            and hmac.compare_digest(expected_sign(self.app_key, str(h["group_name"]), stamp, self.app_secret), str(h.get("sign", "")))
        )
        if not ok:
            self.refused += 1
            connection.send(frame(T_CONNECT_ACK, {}, status=401, phrase="invalid app_key, timestamp or sign"))
            connection.close(1008, "refused")
            return None
        self.groups.add(str(h["group_name"]))
        token = uuid.uuid4().hex
        connection.send(frame(T_CONNECT_ACK, {}, token=token, status=0))
        return token

    def session(self, connection: ServerConnection) -> None:
        try:
            token = self._connect(connection)
            if token is None:
                return
            self.sessions += 1
            while True:
                while self.garble_next > 0:
                    self.garble_next -= 1
                    connection.send(b"\x02\x02\x01\x00\xff")
                for message in self.queue.deal():
                    connection.send(self.message_frame(message))
                try:
                    data = connection.recv(timeout=0.05)
                except TimeoutError:
                    continue
                self._receive(connection, token, data)
        except ConnectionClosed:
            return

    def _receive(self, connection: ServerConnection, token: str, data: str | bytes) -> None:
        try:
            kind, sent_token, h = parse(data if isinstance(data, bytes) else data.encode())
        except ValueError:
            return
        if kind != T_SEND or sent_token != token:
            return
        if h.get("__kind") == 2 and isinstance(h.get("id"), int):
            self.queue.ack(h["id"])
        elif h.get("__kind") == 1:
            self.pulls += 1
            connection.send(frame(T_SEND_ACK, {}, token=token, status=0))
