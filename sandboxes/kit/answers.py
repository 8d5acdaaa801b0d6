"""Reading a receiver's answer to a sandbox's push (sandboxes/kit/push.py ``WebhookPusher(acknowledged=…)``)."""

from __future__ import annotations

import json
import typing as t

__all__ = ["json_answer"]


def json_answer(status: int, body: bytes) -> dict[str, t.Any] | None:
    """The JSON object a receiver answered with HTTP 200; None for another status or a body that is not one.
    A platform's acknowledged predicate checks its success fields in it."""
    if status != 200:
        return None
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None
