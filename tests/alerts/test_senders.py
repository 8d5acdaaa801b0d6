"""Each destination kind against a real receiver on localhost: the payload it sends, DingTalk's signature, and
what a refusal looks like."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote_plus

import pytest

from orderlayer.core.alerts import dingtalk
from orderlayer.core.alerts.dispatch import deliver
from orderlayer.core.alerts.message import Alert, Light, render
from orderlayer.core.alerts.settings import AlertSettings

from .receiver import alert_lines, self_signed, smtp_server, webhook

ALERT = Alert(
    run_id="20260301T120000Z-abc123",
    checked_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    verdict="red",
    changed=[
        Light("R6", "douyin", "red", "green", "quarantine share above 0.50% of a channel's orders", 2,
              ("4921873460012", "4921873460013"), note="2 of 212 orders have a quarantined version (0.94%)"),
        Light("Y2", "jd", "green", "yellow", "native status codes without a mapping"),
    ],
    unchanged=[Light("Y8", "jd", "yellow", "yellow", failing_count=40)],
    report="/srv/warehouse/reports/report-20260301T120000Z-abc123.html",
)

#: The text every style carries, in its own markup.
TEXT = """\
orderlayer: 2 gate light(s) changed, worst red (verdict red)
run 20260301T120000Z-abc123 · checked 2026-03-01 12:00 UTC

douyin
- 🔴 R6 red: 2 failing — quarantine share above 0.50% of a channel's orders
  orders: 4921873460012, 4921873460013
  2 of 212 orders have a quarantined version (0.94%)

jd
- ✅ Y2 recovered (was yellow) — native status codes without a mapping

Still failing, unchanged: Y8 jd (yellow)

Report: /srv/warehouse/reports/report-20260301T120000Z-abc123.html
"""

#: DingTalk and WeCom: bold title and channels, every line its own paragraph.
MARKDOWN = "\n\n".join(
    f"**{line}**" if i == 0 or line in ("douyin", "jd") else line
    for i, line in enumerate(x for x in TEXT.splitlines() if x)
) + "\n"


def settings(**destination: object) -> AlertSettings:
    return AlertSettings(destinations={"team": destination}, timeout_seconds=2)


def test_the_signature_matches_a_vector_computed_with_openssl() -> None:
    # printf '1700000000000\nSEC0123456789abcdef' | openssl dgst -sha256 -hmac 'SEC0123456789abcdef' -binary | base64
    expected = "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk="
    assert dingtalk.sign("SEC0123456789abcdef", 1700000000000) == "TSZbRFUuvaSQaRKUpF970OPCb2%2FLcQAP3wOvwZIzBZk%3D"
    assert unquote_plus(dingtalk.sign("SEC0123456789abcdef", 1700000000000)) == expected


def test_dingtalk_posts_signed_markdown(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "SEC0123456789abcdef"
    with webhook() as hook:
        monkeypatch.setenv("TEST_DINGTALK_URL", hook.url)
        monkeypatch.setenv("TEST_DINGTALK_SECRET", secret)
        delivery = deliver("team", settings(kind="dingtalk", webhook_env="TEST_DINGTALK_URL", secret_env="TEST_DINGTALK_SECRET"), ALERT)
    assert delivery.status == "sent"
    (got,) = hook.received
    assert got.path == "/robot/send" and got.query["access_token"] == "tok123"
    # the receiver verifies the signature as DingTalk does: HMAC-SHA256 of "timestamp\nsecret" keyed by the secret
    timestamp = got.query["timestamp"]
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    assert got.query["sign"] == base64.b64encode(digest).decode()  # parse_qs has URL-decoded it
    assert abs(int(timestamp) - datetime.now(UTC).timestamp() * 1000) < 60_000
    assert got.body["msgtype"] == "markdown" and got.body["markdown"]["title"] == ALERT.title
    assert got.body["markdown"]["text"] == MARKDOWN


def test_dingtalk_without_a_secret_is_not_signed(monkeypatch: pytest.MonkeyPatch) -> None:
    with webhook() as hook:
        monkeypatch.setenv("TEST_DINGTALK_URL", hook.url)
        assert deliver("team", settings(kind="dingtalk", webhook_env="TEST_DINGTALK_URL"), ALERT).status == "sent"
    assert set(hook.received[0].query) == {"access_token"}


def test_wecom_posts_markdown_content(monkeypatch: pytest.MonkeyPatch) -> None:
    with webhook() as hook:
        monkeypatch.setenv("TEST_WECOM_URL", hook.url.replace("access_token=tok123", "key=k-1"))
        assert deliver("team", settings(kind="wecom", webhook_env="TEST_WECOM_URL"), ALERT).status == "sent"
    (got,) = hook.received
    assert got.query == {"key": "k-1"}
    assert got.body == {"msgtype": "markdown", "markdown": {"content": MARKDOWN}}


def test_slack_posts_text_and_a_mrkdwn_section(monkeypatch: pytest.MonkeyPatch) -> None:
    with webhook(answer="ok") as hook:
        monkeypatch.setenv("TEST_SLACK_URL", hook.url)
        assert deliver("team", settings(kind="slack", webhook_env="TEST_SLACK_URL"), ALERT).status == "sent"
    body = hook.received[0].body
    assert body["text"] == "orderlayer: 2 gate light(s) changed, worst red (verdict red)"
    (section,) = body["blocks"]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert section["text"]["text"] == TEXT.replace(ALERT.title, f"*{ALERT.title}*").replace("\ndouyin\n", "\n*douyin*\n").replace("\njd\n", "\n*jd*\n")


def test_email_over_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    with smtp_server() as box:
        dest = dict(kind="email", host="127.0.0.1", port=box.port, security="none",
                    sender="orderlayer@example.com", to=["dq@example.com", "ops@example.com"])
        assert deliver("team", settings(**dest), ALERT).status == "sent"
    ((mail_from, rcpt, mail),) = box.messages
    assert (mail_from, rcpt) == ("orderlayer@example.com", ["dq@example.com", "ops@example.com"])
    assert mail["Subject"] == ALERT.title
    assert mail.get_content().replace("\r\n", "\n") == TEXT  # SMTP carries CRLF line ends


def test_email_with_starttls_and_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the sender verifies the server as it would any other
    monkeypatch.setenv("TEST_SMTP_USER", "dq-robot")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
    dest = dict(kind="email", host="127.0.0.1", security="starttls", username_env="TEST_SMTP_USER",
                password_env="TEST_SMTP_PASSWORD", sender="orderlayer@example.com", to=["dq@example.com"])
    # the server accepts mail only after STARTTLS and this login
    with smtp_server(tls=(cert, key), login=("dq-robot", "s3cret")) as box:
        assert deliver("team", settings(**dest, port=box.port), ALERT).status == "sent"
        plain = deliver("team", settings(**{**dest, "security": "none"}, port=box.port), ALERT)
    assert len(box.messages) == 1
    assert plain.status == "failed" and plain.detail.startswith(f"SMTP 127.0.0.1:{box.port}: ")
    assert "s3cret" not in plain.detail


@pytest.mark.parametrize(
    ("kind", "answer", "status", "detail"),
    [
        ("dingtalk", '{"errcode": 310000, "errmsg": "sign not match"}', 200, "refused: errcode 310000 sign not match"),
        ("wecom", '{"errcode": 93000, "errmsg": "invalid webhook url"}', 200, "refused: errcode 93000 invalid webhook url"),
        ("slack", "invalid_payload", 200, "refused: invalid_payload"),
        ("slack", "no_service", 404, "HTTP 404"),
    ],
)
def test_a_refusal_is_a_failed_delivery_never_an_exception(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, kind: str, answer: str, status: int, detail: str
) -> None:
    with webhook(answer=answer, status=status) as hook:
        monkeypatch.setenv("TEST_URL", hook.url)
        delivery = deliver("team", settings(kind=kind, webhook_env="TEST_URL"), ALERT)
    assert (delivery.status, delivery.detail) == ("failed", detail)
    (line,) = alert_lines(caplog)
    assert line == f"alert to team ({kind}) not sent: {detail}" and "tok123" not in line


def test_a_slow_or_absent_endpoint_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    with webhook(delay=3) as hook:
        monkeypatch.setenv("TEST_URL", hook.url)
        started = datetime.now(UTC)
        slow = deliver("team", AlertSettings(destinations={"team": dict(kind="wecom", webhook_env="TEST_URL")}, timeout_seconds=0.5), ALERT)
        assert (datetime.now(UTC) - started).total_seconds() < 2.5
    assert (slow.status, slow.detail) == ("failed", "no answer within 0.5 s")
    monkeypatch.setenv("TEST_URL", hook.url)  # the server is gone now
    gone = deliver("team", settings(kind="wecom", webhook_env="TEST_URL"), ALERT)
    assert (gone.status, gone.detail) == ("failed", "could not connect (ConnectionError)")


def test_an_unset_secret_names_the_key_and_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_NEVER_SET", raising=False)
    delivery = deliver("team", settings(kind="slack", webhook_env="TEST_NEVER_SET"), ALERT)
    assert delivery.detail == "alerts.destinations.team.webhook_env: environment variable TEST_NEVER_SET is not set; export it before running"
