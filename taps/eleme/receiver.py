"""Ele.me retail's order pushes as a push receiver (taps/common/push.py; docs/channels/eleme.md "Push").

With ``push: true`` the platform's calls to the partner's push URL (``order.create``, ``order.status.push``, …) are
verified like the gateway verifies the partner (§B2 ``sign`` with the partner secret, constant-time; ``source``; the
signed ``timestamp`` within ``push_max_age_seconds``) and each names an order by ``order_id``: a
:class:`FetchRequest`, fetched through the tap's own ``order.get`` (and partial refunds), post-processed and scrubbed
as a sync does. The answer is the signed ``resp.<cmd>`` envelope carrying the push's ticket; serve asks for it
after ``receive`` in the same request, so the push being answered is kept in a context variable (one per request
task), not on the receiver, which serves concurrent requests.

Ele.me sends no message id: a push is the SHA-256 of its verified fields (``ticket`` and ``timestamp`` included).
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import time
import typing as t
import uuid

from orderlayer.taps.common.push import FetchRequest, PushRejected, PushRequest, Reply, json_reply
from orderlayer.taps.common.options import push_enabled
from orderlayer.taps.common.fetching import fetch_each
from orderlayer.taps.common.receivers import form_of, require_settings
from orderlayer.taps.eleme import protocol as p
from orderlayer.taps.eleme.streams import OrdersStream

if t.TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

log = logging.getLogger(__name__)

#: (cmd, ticket) of the push this request task is answering.
_ANSWERING: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar("eleme_push_answering")
#: When a push could not even be read: the status push is the common one.
_DEFAULT_CMD = "order.status.push"

#: errnos that concern the whole connection (credentials, clock, permission): a fetch that meets one fails and the
#: requests stay spooled. Any other refusal concerns the one order (e.g. unknown to the shop) and leaves it out.
CONNECTION_ERRNOS = frozenset(
    {
        p.SANDBOX_ERRNO_SIGNATURE,
        p.SANDBOX_ERRNO_SOURCE,
        p.SANDBOX_ERRNO_TIMESTAMP,
        p.SANDBOX_ERRNO_TOKEN_EXPIRED,
        p.SANDBOX_ERRNO_PERMISSION,
    }
)


class ElemeReceiver:
    streams: t.ClassVar[Mapping[str, tuple[str, ...]]] = {OrdersStream.name: tuple(OrdersStream.primary_keys)}
    #: a push names no shop (unconfirmed whether its body may): it stays with this connection, whose fetch leaves
    #: out orders of the partner's other shops (taps/common/push.py Receiver.app)
    app: str | None = None

    def __init__(self, config: Mapping[str, t.Any], *, clock: Callable[[], float] = time.time) -> None:
        self._config = dict(config)
        self._source = str(config["source"])
        self._secret = str(config["secret"])
        self._shop = str(config["shop_id"])
        self._clock = clock

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any]) -> ElemeReceiver | None:
        if not push_enabled(config, "Ele.me"):
            return None  # the partner's push URL is not pointed at this service: the shop is polled only
        require_settings(config, ("source", "secret", "shop_id"), "Ele.me", "push: true")
        return cls(config)

    # ------------------------------------------------------------------ receiving
    def receive(self, request: PushRequest) -> list[FetchRequest]:
        form = form_of(request.body)
        _ANSWERING.set((form.get("cmd") or _DEFAULT_CMD, form.get("ticket") or ""))
        try:
            body = p.verify_push(
                form,
                source=self._source,
                secret=self._secret,
                now=self._clock(),
                max_age_seconds=int(self._config.get("push_max_age_seconds", 600)),
                encode_values=bool(self._config.get("sign_encode_values", False)),
            )
        except p.PushError as exc:  # its messages name the problem, never the body
            raise PushRejected(str(exc)) from None
        order_id = body.get("order_id")
        if order_id in (None, ""):
            log.info("Ele.me %s push without an order_id acknowledged and not stored", form["cmd"])
            return []
        fields = {k: v for k, v in form.items() if k != "sign"}
        message_id = hashlib.sha256("&".join(f"{k}={v}" for k, v in sorted(fields.items())).encode("utf-8")).hexdigest()
        return [FetchRequest(OrdersStream.name, message_id, str(order_id))]

    def accepted(self) -> Reply:
        return self._answer(p.ERRNO_OK, "success")

    def rejected(self, reason: str) -> Reply:
        return self._answer(p.PUSH_REFUSED_ERRNO, reason if reason in p.PUSH_REFUSALS else "not stored, retry")

    def _answer(self, errno: int, error: str) -> Reply:
        cmd, ticket = _ANSWERING.get((_DEFAULT_CMD, ""))
        answer = p.push_answer(
            cmd, errno, error, source=self._source, secret=self._secret,
            ticket=ticket or str(uuid.uuid4()).upper(), timestamp=int(self._clock()),
        )
        return json_reply(200, answer)

    # ------------------------------------------------------------------ fetching
    def fetch(self, stream: str, ids: Sequence[str]) -> list[dict]:
        """Each order as a sync lands it: ``order.get`` (one id per call) and its partial refunds through the tap's
        signer, retries and rate limit, then its post-processing and privacy policy."""
        if stream != OrdersStream.name:
            msg = f"Ele.me pushes name orders only, not {stream!r}"
            raise ValueError(msg)
        from orderlayer.taps.eleme.tap import TapEleme  # noqa: PLC0415 - the tap imports singer-sdk's machinery

        orders = TapEleme.for_fetch(self._config).streams[OrdersStream.name]
        return fetch_each(
            orders,
            ids,
            lambda order_id: orders.order_record(order_id, None),
            connection_codes=CONNECTION_ERRNOS,
            owner=lambda record: record.get("shop", {}).get("id") if isinstance(record.get("shop"), dict) else None,
            expected_owner=self._shop,
        )
