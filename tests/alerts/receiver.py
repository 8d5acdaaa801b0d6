"""Real servers on localhost that alerts are sent to: an HTTP webhook receiver (http.server in a thread) and an
SMTP server (aiosmtpd), each keeping what it received."""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
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


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM files), for STARTTLS on localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@contextmanager
def smtp_server(tls: tuple[Path, Path] | None = None, login: tuple[str, str] | None = None) -> Iterator[Mailbox]:
    """`tls`: certificate and key → STARTTLS offered and required; `login`: the only user and password accepted."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    box = Mailbox(port=0)
    options: dict[str, object] = {}
    if tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls)
        options.update(tls_context=context, require_starttls=True)
    if login:

        def authenticate(server: object, session: object, envelope: object, mechanism: str, data: object) -> AuthResult:
            user, password = (getattr(data, "login", b""), getattr(data, "password", b""))
            return AuthResult(success=(user.decode(), password.decode()) == login)

        options.update(authenticator=authenticate, auth_required=True)

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
            mail = message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[attr-defined]
            box.messages.append((envelope.mail_from, list(envelope.rcpt_tos), mail))  # type: ignore[attr-defined]
            return "250 OK"

    # the controller connects to its own port to see it is up, so it needs a fixed one: take a free one
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port, **options)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def alert_lines(caplog: object) -> list[str]:
    """What the alerts logged (other libraries' records, e.g. GX's, left out)."""
    return [r.getMessage() for r in caplog.records if r.name == "orderlayer.alerts"]  # type: ignore[attr-defined]
