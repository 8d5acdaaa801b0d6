"""Real servers on localhost that alerts are sent to: an HTTP webhook receiver (http.server in a thread) and an
SMTP server (aiosmtpd), each keeping what it received."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    path: str
    query: dict[str, str]
    body: dict


@dataclass
class Webhook:
    """What the receiver answers (status, body, delay in seconds) and what it received."""

    status: int = 200
    answer: str = '{"errcode": 0, "errmsg": "ok"}'
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    url: str = ""


@contextmanager
def webhook(**answer: object) -> Iterator[Webhook]:
    hook = Webhook(**answer)  # type: ignore[arg-type]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length", 0))
            hook.received.append(
                Received(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}, json.loads(self.rfile.read(length)))
            )
            time.sleep(hook.delay)
            data = hook.answer.encode()
            try:
                self.send_response(hook.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout test)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/robot/send?access_token=tok123"
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    port: int
    messages: list = field(default_factory=list)


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    box = Mailbox(port=0)

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
            mail = message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[attr-defined]
            box.messages.append((envelope.mail_from, list(envelope.rcpt_tos), mail))  # type: ignore[attr-defined]
            return "250 OK"

    # the controller connects to its own port to see it is up, so it needs a fixed one: take a free one
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
