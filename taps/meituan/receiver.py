"""Meituan's order pushes as a push receiver (taps/common/push.py; docs/channels/meituan.md "Push").

Meituan POSTs every order event (new order, confirmed, cancelled, refund notices, completed, delivery status) as a
signed form to the callback URL registered for the app. The receiver verifies the ``sig`` over the connection's
``push_url`` (``protocol.verify_push``, constant-time) and the signed ``timestamp``, and turns an event about an order
into a :class:`FetchRequest` for that ``order_id``, marked with the event's store (``app_poi_code``: one URL takes
every store of the app, and serve spools the request under that store's connection): even the new-order push, which carries the order,
carries it as form strings without the refund records, not in the shape the tap lands (``getOrderDetail`` plus
``refund_records``, scrubbed), so every event leads to one fetch of the order through the tap's own client.

Meituan sends no message id: a push is identified by the SHA-256 of its verified fields (``timestamp`` included), so
a redelivery of the same push is the same message. Should Meituan re-sign a retry with a new timestamp, it is a
second request for the same order, which the landing fetches once anyway.
"""

from __future__ import annotations

import hashlib
import logging
import time
import typing as t
from urllib.parse import urlsplit

from orderlayer.taps.common.push import FetchRequest, PushRejected, PushRequest, Reply, json_reply
from orderlayer.taps.common.fetching import fetch_each
from orderlayer.taps.common.receivers import form_of, require_settings
from orderlayer.taps.meituan import protocol as p
from orderlayer.taps.meituan.streams import OrdersStream

if t.TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

log = logging.getLogger(__name__)

#: Error codes that concern the whole connection (credentials, store, clock): a fetch that meets one fails and the
#: requests stay spooled. Any other refusal concerns the one order (e.g. unknown to the store) and leaves it out.
CONNECTION_CODES = frozenset(
    {p.CODE_SIGNATURE, p.CODE_APP_ID_NOT_FOUND, p.CODE_STORE_NOT_FOUND, p.CODE_STORE_EXPIRED, p.SANDBOX_CODE_TIMESTAMP}
)


class MeituanReceiver:
    streams: t.ClassVar[Mapping[str, tuple[str, ...]]] = {OrdersStream.name: tuple(OrdersStream.primary_keys)}

    def __init__(self, config: Mapping[str, t.Any], *, clock: Callable[[], float] = time.time) -> None:
        self._config = dict(config)
        self._url = str(config["push_url"])
        self._store = str(config["app_poi_code"])
        self._clock = clock
        #: Meituan pushes every store of the app to one callback URL: serve spools an event of another store under
        #: the connection of that store with the same app_id (taps/common/push.py Receiver.app)
        self.app: str | None = str(config["app_id"])

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any]) -> MeituanReceiver | None:
        url = config.get("push_url")
        if not url:
            return None  # no callback URL registered: the store is polled only
        parts = urlsplit(str(url))
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            msg = (
                "push_url: give the callback URL exactly as registered in the Meituan developer console, "
                "e.g. https://orders.example.com/push/meituan/<connection> (http or https, no query string)"
            )
            raise ValueError(msg)
        require_settings(config, ("app_id", "app_secret", "app_poi_code"), "Meituan", "a push_url")
        return cls(config)

    # ------------------------------------------------------------------ receiving
    def receive(self, request: PushRequest) -> list[FetchRequest]:
        if not request.body.strip():
            return []  # the console's check of a newly saved URL posts nothing and expects {"data": "ok"}
        form = form_of(request.body)
        try:
            fields = p.verify_push(
                form,
                self._url,
                app_id=str(self._config["app_id"]),
                secret=str(self._config["app_secret"]),
                now=self._clock(),
                max_age_seconds=int(self._config.get("push_max_age_seconds", 600)),
                encode_values=bool(self._config.get("sign_encode_values", False)),
            )
        except p.PushError as exc:  # its messages name the problem, never the body
            raise PushRejected(str(exc)) from None
        order_id = fields.get("order_id")
        if not order_id:
            log.info("Meituan push without an order_id acknowledged and not stored (not an order event)")
            return []
        message_id = hashlib.sha256("&".join(f"{k}={v}" for k, v in sorted(fields.items())).encode("utf-8")).hexdigest()
        return [FetchRequest(OrdersStream.name, message_id, str(order_id), shop_id=fields.get("app_poi_code") or None)]

    def accepted(self) -> Reply:
        return json_reply(200, p.PUSH_ACCEPTED)

    def rejected(self, reason: str) -> Reply:
        return json_reply(200, p.push_refusal(reason))

    # ------------------------------------------------------------------ fetching
    def fetch(self, stream: str, ids: Sequence[str]) -> list[dict]:
        """Each order as a sync lands it: ``getOrderDetail`` (one id per call, the API's only form) with its refund
        records, through the tap's signer, retries and rate limit, then its post-processing and PII policy."""
        if stream != OrdersStream.name:
            msg = f"Meituan pushes name orders only, not {stream!r}"
            raise ValueError(msg)
        from orderlayer.taps.meituan.tap import TapMeituan  # noqa: PLC0415 - the tap imports singer-sdk's machinery

        orders = TapMeituan.for_fetch(self._config).streams[OrdersStream.name]
        return fetch_each(
            orders,
            ids,
            lambda order_id: orders.order_detail(order_id, None),
            connection_codes=CONNECTION_CODES,
            owner=lambda detail: detail.get("app_poi_code"),
            expected_owner=self._store,
        )
