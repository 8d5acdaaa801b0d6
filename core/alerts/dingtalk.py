"""DingTalk custom robot (自定义机器人): a markdown message, signed when the robot has a secret.

Signing (加签): timestamp = now in milliseconds; sign = base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")),
URL-encoded; both are appended to the webhook URL as `&timestamp=…&sign=…`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

from orderlayer.core.alerts.message import Alert, render
from orderlayer.core.alerts.settings import DingTalk, secret
from orderlayer.core.alerts.webhook import check_errcode, post_json

#: DingTalk's limit on a markdown message, kept well under (bytes)
LIMIT = 18000


def sign(secret_value: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret_value.encode(), f"{timestamp_ms}\n{secret_value}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def signed_url(url: str, secret_value: str, timestamp_ms: int) -> str:
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp_ms}&sign={sign(secret_value, timestamp_ms)}"


def payload(alert: Alert) -> dict:
    return {"msgtype": "markdown", "markdown": {"title": alert.title, "text": render(alert, "markdown", LIMIT)}}


def send(name: str, dest: DingTalk, alert: Alert, timeout: float) -> None:
    key = f"alerts.destinations.{name}"
    url = secret(dest.webhook_env, f"{key}.webhook_env")
    if dest.secret_env:
        url = signed_url(url, secret(dest.secret_env, f"{key}.secret_env"), int(time.time() * 1000))
    check_errcode(post_json(url, payload(alert), timeout))
