"""Slack incoming webhook: `text` (the notification line) and one mrkdwn section with the alert."""

from __future__ import annotations

from orderlayer.core.alerts.message import Alert, render
from orderlayer.core.alerts.settings import Slack, secret
from orderlayer.core.alerts.webhook import SendFailed, post_json

#: Slack's limit on a section's text (characters; bytes is stricter)
LIMIT = 3000


def payload(alert: Alert) -> dict:
    return {
        "text": alert.title,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": render(alert, "slack", LIMIT)}}],
    }


def send(name: str, dest: Slack, alert: Alert, timeout: float) -> None:
    url = secret(dest.webhook_env, f"alerts.destinations.{name}.webhook_env")
    response = post_json(url, payload(alert), timeout)
    # Slack answers a plain "ok"; an error is a short code such as invalid_payload
    if response.text.strip() != "ok":
        raise SendFailed(f"refused: {response.text.strip()[:200]}")
