"""The sandbox's Pinduoduo message service (PMC): the WebSocket the platform keeps open to an app.

The sandbox's own reading of the protocol (sources in taps/pinduoduo/pmc.py; independent of the tap's module, so a
wrong signature or frame on either side shows): the handshake path ``/message/{client_id}/{timestamp}/{signature}``
with ``signature = base64(hex(md5(client_id + timestamp + client_secret)))`` and the timestamp in milliseconds
within ``timestamp_tolerance_seconds`` of the wall clock (else HTTP 401, nothing sent); then JSON text frames:
``Common`` messages out, ``Ack`` (by message id) and ``HeartBeat`` in. A connection silent for longer than
``silence_seconds`` is closed (what a heartbeat guards against). Unacknowledged messages are dealt again by the
sandbox's :class:`~orderlayer.sandboxes.kit.messages.MessageQueue`; ``garble_next`` sends that many frames that are
not JSON first (a client must neither store nor acknowledge them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import typing as t

from websockets.exceptions import ConnectionClosed

if t.TYPE_CHECKING:
    from websockets.sync.server import ServerConnection

    from orderlayer.sandboxes.kit.messages import Message, MessageQueue

PATH_PREFIX = "/message/"
COMMON, HEARTBEAT, ACK = "Common", "HeartBeat", "Ack"


def expected_signature(client_id: str, timestamp: str, client_secret: str) -> str:
    hexdigest = hashlib.md5(f"{client_id}{timestamp}{client_secret}".encode()).hexdigest()  # noqa: S324 - the platform's scheme
    return base64.b64encode(hexdigest.encode("ascii")).decode("ascii")


class PmcEndpoint:
    """One app's PMC endpoint over ``queue``; ``refuse`` checks a handshake, ``session`` runs a connection."""

    def __init__(
        self, queue: MessageQueue, *, client_id: str, client_secret: str, wall_time: t.Callable[[], float],
        timestamp_tolerance_seconds: int = 600, silence_seconds: float = 30.0,
    ) -> None:
        self.queue = queue
        self.client_id = client_id
        self.client_secret = client_secret
        self.wall_time = wall_time
        self.timestamp_tolerance_seconds = timestamp_tolerance_seconds
        self.silence_seconds = silence_seconds
        self.garble_next = 0
        self.heartbeats = 0
        self.refused = 0
        self.sessions = 0  # connections accepted

    def refuse(self, path: str) -> tuple[int, str] | None:
        parts = path.split("?")[0].removeprefix(PATH_PREFIX).split("/") if path.startswith(PATH_PREFIX) else []
        if len(parts) != 3:
            return self._refused(404, "no such endpoint")
        client_id, timestamp, signature = parts
        if client_id != self.client_id:
            return self._refused(401, "unknown client_id")
        if not timestamp.isdigit() or abs(self.wall_time() * 1000 - int(timestamp)) > self.timestamp_tolerance_seconds * 1000:
            return self._refused(401, "timestamp out of range")
        if not hmac.compare_digest(expected_signature(client_id, timestamp, self.client_secret), signature):
            return self._refused(401, "signature mismatch")
        return None

    def _refused(self, status: int, reason: str) -> tuple[int, str]:
        self.refused += 1
        return status, reason

    def frame(self, message: Message) -> str:
        payload = message.payload
        return json.dumps({
            "id": message.id, "commandType": COMMON, "time": int(self.wall_time() * 1000),
            "sendTime": int(self.wall_time() * 1000),
            "message": {"type": payload["type"], "mallID": payload["mallID"], "content": json.dumps(payload["content"], ensure_ascii=False)},
        }, ensure_ascii=False)

    def session(self, connection: ServerConnection) -> None:
        self.sessions += 1
        last_heard = time.monotonic()
        try:
            while True:
                while self.garble_next > 0:
                    self.garble_next -= 1
                    connection.send('{"id": 1, "commandType": "Comm')
                for message in self.queue.deal():
                    connection.send(self.frame(message))
                try:
                    frame = connection.recv(timeout=0.05)
                except TimeoutError:
                    if time.monotonic() - last_heard > self.silence_seconds:
                        connection.close(1001, "no heartbeat")
                        return
                    continue
                last_heard = time.monotonic()
                self._receive(frame)
        except ConnectionClosed:
            return

    def _receive(self, frame: str | bytes) -> None:
        try:
            command = json.loads(frame)
        except ValueError:
            return
        if not isinstance(command, dict):
            return
        if command.get("commandType") == HEARTBEAT:
            self.heartbeats += 1
        elif command.get("commandType") == ACK and isinstance(command.get("id"), int):
            self.queue.ack(command["id"])
