"""POST one JSON payload to a robot's webhook, short timeout, and read the robot's answer."""

from __future__ import annotations

import requests


class SendFailed(Exception):
    """The destination did not take the message; the message says why (never the URL: it carries a token)."""


def post_json(url: str, payload: dict, timeout: float) -> requests.Response:
    if not url.startswith(("https://", "http://")):
        raise SendFailed("the webhook is not an http(s) URL; check the environment variable's value")
    try:
        response = requests.post(url, json=payload, timeout=timeout)
    except requests.Timeout:
        raise SendFailed(f"no answer within {timeout:g} s") from None
    except requests.RequestException as exc:
        # the exception text can repeat the URL (and its token): name only its kind
        raise SendFailed(f"could not connect ({type(exc).__name__})") from None
    if response.status_code >= 300:
        raise SendFailed(f"HTTP {response.status_code}")
    return response


def check_errcode(response: requests.Response) -> None:
    """DingTalk and WeCom answer HTTP 200 with {"errcode": 0, "errmsg": "ok"}; anything else is a refusal."""
    try:
        body = response.json()
    except ValueError:
        raise SendFailed("the robot's answer is not JSON") from None
    if not isinstance(body, dict) or body.get("errcode") != 0:
        errcode = body.get("errcode") if isinstance(body, dict) else None
        errmsg = str(body.get("errmsg", ""))[:200] if isinstance(body, dict) else ""
        raise SendFailed(f"refused: errcode {errcode} {errmsg}".rstrip())
