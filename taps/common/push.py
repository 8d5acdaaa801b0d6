"""What a platform's push receiver is, independent of any web framework (docs/serve.md).

A receiver turns one HTTP request a platform sent into the records it carries, or refuses it. It knows the
platform's signing and its answers; it knows nothing of HTTP servers, storage or the warehouse. ``orderlayer serve``
(core/serve.py) routes ``POST /push/<source>/<connection>`` to the connection's receiver, stores what it returns
durably and only then answers :meth:`Receiver.accepted`; anything refused or not stored answers
:meth:`Receiver.rejected`, so the platform retries. Kuaidi100's callback is the first receiver; Douyin's, Shopify's
and TikTok Shop's webhooks are one more class each, declared by ``receiver = "module:Class"`` in their source.toml.
"""

from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass

if t.TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["PushRecord", "PushRejected", "PushRequest", "Receiver", "Reply", "json_reply"]


@dataclass(frozen=True)
class PushRequest:
    """What arrived: header names lower-cased, the body exactly as sent (signatures cover the raw bytes)."""

    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class PushRecord:
    """One record a push carries, in the shape the source's tap lands in ``stream``, and the id that makes a
    redelivery of the same message the same push (the platform's message id, or a hash of the signed content)."""

    stream: str
    message_id: str
    record: dict


@dataclass(frozen=True)
class Reply:
    """The answer the platform expects: HTTP status, body bytes and content type."""

    status: int
    body: bytes
    content_type: str = "application/json;charset=UTF-8"


def json_reply(status: int, payload: object) -> Reply:
    return Reply(status, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


class PushRejected(ValueError):
    """A push that must not be stored (signature, form, content). The message says why without quoting the body:
    it is logged, and a body may carry personal data."""


@t.runtime_checkable
class Receiver(t.Protocol):
    """One connection's receiver, built from its tap config (secrets included) by ``from_config``."""

    #: The streams its records land in, with each stream's key properties (the tap stream's primary keys).
    streams: t.ClassVar[Mapping[str, tuple[str, ...]]]

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any]) -> Receiver | None:
        """The receiver of a connection with this tap config; None when the connection has no push channel (e.g.
        no callback URL). Raises ValueError naming the setting when the push channel is configured wrongly."""
        ...

    def receive(self, request: PushRequest) -> list[PushRecord]:
        """The records of a verified push; raises PushRejected (verification is constant-time)."""
        ...

    def accepted(self) -> Reply:
        """The answer once every record is stored."""
        ...

    def rejected(self, reason: str) -> Reply:
        """The answer to a push refused or not stored: the platform's failure answer, so it retries."""
        ...
