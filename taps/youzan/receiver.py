"""Youzan's trade pushes as a push receiver (taps/common/push.py; docs/channels/youzan.md "Push").

Opt-in (``push: true``): youzanyun POSTs a JSON message per trade event to the URL registered in its console, with
``Event-Type`` (e.g. ``trade_TradePaid``) and ``Event-Sign`` headers. The receiver verifies ``Event-Sign`` =
md5(client_id + raw body + client_secret) (``protocol.verify_push``, constant-time), the rule integrations apply
and Youzan does not publish, and turns a trade event into a :class:`FetchRequest` for the ``tid`` in ``id``, marked with its shop
(``kdt_id``: one URL takes every shop of the app, and serve spools the request under that shop's connection). The message's ``msg`` holds the trade URL-encoded in another shape than ``youzan.trades.sold.get``'s page, so
the order is fetched: one ``trades.sold.get`` call filtered by ``tid``, then the tap's keying and privacy policy.

A message carries no id of its own: it is identified by the SHA-256 of its body without ``sendCount`` (the one field a
redelivery changes), so a redelivery is the same message.
"""

from __future__ import annotations

import hashlib
import json
import logging
import typing as t

from orderlayer.taps.common.push import FetchRequest, PushRejected, PushRequest, Reply, json_reply
from orderlayer.taps.common.options import push_enabled
from orderlayer.taps.common.fetching import fetch_each
from orderlayer.taps.common.receivers import require_settings
from orderlayer.taps.youzan import protocol as p
from orderlayer.taps.youzan.streams import OrdersStream

if t.TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

log = logging.getLogger(__name__)


class YouzanReceiver:
    streams: t.ClassVar[Mapping[str, tuple[str, ...]]] = {OrdersStream.name: tuple(OrdersStream.primary_keys)}

    def __init__(self, config: Mapping[str, t.Any]) -> None:
        self._config = dict(config)
        self._shop = str(config["kdt_id"])
        #: youzanyun pushes every shop of the app to one URL: serve spools a trade of another shop under the
        #: connection of that shop with the same client_id (taps/common/push.py Receiver.app)
        self.app: str | None = str(config["client_id"])

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any]) -> YouzanReceiver | None:
        if not push_enabled(config, "Youzan"):
            return None  # the verification rule is unconfirmed: pushes are received only when asked for
        require_settings(config, ("client_id", "client_secret", "kdt_id"), "Youzan", "push: true")
        return cls(config)

    def receive(self, request: PushRequest) -> list[FetchRequest]:
        try:
            message = p.verify_push(request.headers, request.body, str(self._config["client_id"]), str(self._config["client_secret"]))
        except p.PushError as exc:  # its messages name the problem, never the body
            raise PushRejected(str(exc)) from None
        kind = str(request.headers.get(p.PUSH_TYPE_HEADER) or message.get("type") or "")
        if message.get("test") is True:
            log.info("Youzan test push acknowledged and not stored")
            return []
        tid = message.get("id")
        if not kind.lower().startswith("trade") or not isinstance(tid, str) or not tid:
            log.info("Youzan %s push acknowledged and not stored: not a trade event", kind or "untyped")
            return []
        redelivered_alike = {k: v for k, v in message.items() if k != "sendCount"}
        message_id = hashlib.sha256(json.dumps(redelivered_alike, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
        shop = message.get("kdt_id")
        return [FetchRequest(OrdersStream.name, message_id, tid, shop_id=None if shop in (None, "") else str(shop))]

    def accepted(self) -> Reply:
        return json_reply(200, p.PUSH_ACCEPTED)

    def rejected(self, reason: str) -> Reply:
        # a refused push: 400 as integrations answer it; not stored: 503, so Youzan sends it again
        status = 400 if reason in p.PUSH_REFUSALS else 503
        return json_reply(status, {"code": status, "msg": "invalid push" if status == 400 else "not stored, retry"})

    def fetch(self, stream: str, ids: Sequence[str]) -> list[dict]:
        """Each order as a sync lands it (one tid per call: the API filters by one order number)."""
        if stream != OrdersStream.name:
            msg = f"Youzan trade pushes name orders only, not {stream!r}"
            raise ValueError(msg)
        from orderlayer.taps.youzan.tap import TapYouzan  # noqa: PLC0415 - the tap imports singer-sdk's machinery

        orders = TapYouzan.for_fetch(self._config).streams[OrdersStream.name]
        # an unknown tid is an empty answer, not an error: every failure of the call concerns the connection
        return fetch_each(
            orders,
            ids,
            lambda tid: next(iter(orders.by_tid(tid)), None),
            connection_codes=None,
            owner=lambda record: record.get("kdt_id"),
            expected_owner=self._shop,
        )

