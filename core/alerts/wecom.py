"""WeCom group robot (企业微信群机器人): a markdown message to its webhook (…/cgi-bin/webhook/send?key=…)."""

from __future__ import annotations

from orderlayer.core.alerts.message import Alert, render
from orderlayer.core.alerts.settings import WeCom, secret
from orderlayer.core.alerts.webhook import check_errcode, post_json

#: WeCom's limit on markdown content (bytes)
LIMIT = 4096


def payload(alert: Alert) -> dict:
    return {"msgtype": "markdown", "markdown": {"content": render(alert, "markdown", LIMIT)}}


def send(name: str, dest: WeCom, alert: Alert, timeout: float) -> None:
    url = secret(dest.webhook_env, f"alerts.destinations.{name}.webhook_env")
    check_errcode(post_json(url, payload(alert), timeout))
