"""TikTok Shop's webhooks as a push receiver (taps/common/push.py; docs/channels/tiktok_shop.md "Push").

TikTok POSTs one JSON event per delivery: ``{type, tts_notification_id, shop_id, timestamp, data: {order_id, …}}``
with ``Authorization`` = hex HMAC-SHA256 of app_key + the raw body, keyed with the app secret. The receiver verifies
it (constant-time), refuses one whose signed ``timestamp`` is outside the window (``push_max_age_seconds`` back,
:data:`~orderlayer.taps.tiktok_shop.protocol.WEBHOOK_MAX_AHEAD_SECONDS` ahead), and keys every item by
``tts_notification_id``, so a redelivery is one message. One app's webhook URL takes every shop that authorised it:
an event of another shop is marked with its ``shop_id`` and serve spools it under that shop's connection
(taps/common/push.py ``Receiver.app``, the ``app_key``).

An event carries an id and a status, never the order: every event naming an ``order_id`` fetches that order
(Get Order Detail, through the tap's signed client, :class:`~orderlayer.taps.tiktok_shop.streams.OrdersByIdStream`);
a cancellation or return event also fetches the order's cancellations or returns (their searches by
``order_ids``). Events about anything else (products, authorisation) are acknowledged and store nothing.
"""

from __future__ import annotations

import json
import time
import typing as t

from orderlayer.taps.common.options import push_enabled
from orderlayer.taps.common.push import FetchRequest, PushItem, PushRejected, PushRequest, Reply, json_reply
from orderlayer.taps.tiktok_shop import protocol as p
from orderlayer.taps.tiktok_shop.streams import (
    CancellationsByOrderStream,
    CancellationsStream,
    OrdersByIdStream,
    OrdersStream,
    ReturnsByOrderStream,
    ReturnsStream,
)
from orderlayer.taps.tiktok_shop.tap import TapTikTokShop

if t.TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

ORDERS, RETURNS, CANCELLATIONS = OrdersStream.name, ReturnsStream.name, CancellationsStream.name
#: The after-sale stream an event type also fetches, by order.
AFTER_SALE_OF_TYPE = {p.WEBHOOK_RETURN_STATUS_CHANGE: RETURNS, p.WEBHOOK_CANCELLATION_STATUS_CHANGE: CANCELLATIONS}
BY_ORDER = {ORDERS: OrdersByIdStream, RETURNS: ReturnsByOrderStream, CANCELLATIONS: CancellationsByOrderStream}


class TikTokShopReceiver:
    streams: t.ClassVar[Mapping[str, tuple[str, ...]]] = {
        stream.name: tuple(stream.primary_keys) for stream in (OrdersStream, ReturnsStream, CancellationsStream)
    }

    def __init__(self, config: Mapping[str, t.Any], *, clock: Callable[[], float] = time.time) -> None:
        self._config = dict(config)
        self._app_key = str(config["app_key"])
        self._app_secret = str(config["app_secret"])
        self._shop = str(config["shop_id"])
        #: one URL takes every shop of the app (taps/common/push.py Receiver.app)
        self.app: str | None = self._app_key
        self._max_age = int(config.get("push_max_age_seconds", 86_400))
        self._clock = clock
        self._tap: TapTikTokShop | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any]) -> TikTokShopReceiver | None:
        if not push_enabled(config, "TikTok Shop"):
            return None
        for key in ("app_key", "app_secret", "shop_id"):
            if not config.get(key):
                msg = f"{key}: a connection with push: true verifies webhooks with the app's app_key and app_secret for its shop_id; set it"
                raise ValueError(msg)
        age = config.get("push_max_age_seconds", 86_400)
        if isinstance(age, bool) or not isinstance(age, int) or age < 0:
            msg = "push_max_age_seconds: must be a whole number of seconds, 0 or more (0: any age)"
            raise ValueError(msg)
        return cls(config)

    # ------------------------------------------------------------------ receiving
    def receive(self, request: PushRequest) -> list[PushItem]:
        signature = request.headers.get(p.WEBHOOK_SIGNATURE_HEADER.lower())
        if not signature:
            msg = f"no {p.WEBHOOK_SIGNATURE_HEADER} header: not a TikTok Shop webhook"
            raise PushRejected(msg)
        if not p.webhook_verified(self._app_key, self._app_secret, request.body, signature):
            msg = f"{p.WEBHOOK_SIGNATURE_HEADER} does not sign the body with this connection's app_key and app_secret"
            raise PushRejected(msg)
        try:
            event = json.loads(request.body)  # ids are strings; nothing here needs exact decimals
        except (ValueError, UnicodeDecodeError):
            msg = "webhook body is not JSON"
            raise PushRejected(msg) from None
        if not isinstance(event, dict):
            msg = "webhook body is not a JSON object"
            raise PushRejected(msg)
        notification = event.get("tts_notification_id")
        if not isinstance(notification, str) or not notification:
            msg = "webhook has no tts_notification_id to deduplicate it on"
            raise PushRejected(msg)
        shop = event.get("shop_id")
        if isinstance(shop, bool) or not isinstance(shop, (str, int)) or not str(shop).isdigit():
            msg = "webhook has no shop_id"
            raise PushRejected(msg)
        other = None if str(shop) == self._shop else str(shop)  # another shop of the app: serve routes it
        self._check_time(event.get("timestamp"))
        data = event.get("data")
        order_id = data.get("order_id") if isinstance(data, dict) else None
        if order_id is None:
            return []  # not about an order (a product, the authorisation): nothing orderlayer lands
        if isinstance(order_id, bool) or not isinstance(order_id, (str, int)) or not str(order_id).isdigit():
            msg = "webhook data.order_id is not an order id"
            raise PushRejected(msg)
        items: list[PushItem] = [FetchRequest(ORDERS, notification, str(order_id), other)]
        kind = event.get("type")
        after_sale = AFTER_SALE_OF_TYPE.get(kind) if isinstance(kind, int) else None
        if after_sale is not None:
            items.append(FetchRequest(after_sale, f"{notification}:{after_sale}", str(order_id), other))
        return items

    def _check_time(self, value: t.Any) -> None:  # noqa: ANN401
        if isinstance(value, bool) or not isinstance(value, int):
            msg = "webhook has no integer timestamp"
            raise PushRejected(msg)
        now = self._clock()
        if value > now + p.WEBHOOK_MAX_AHEAD_SECONDS:
            msg = f"webhook timestamp is more than {p.WEBHOOK_MAX_AHEAD_SECONDS} s ahead of this machine's clock"
            raise PushRejected(msg)
        if self._max_age and value < now - self._max_age:
            msg = f"webhook timestamp is older than push_max_age_seconds ({self._max_age} s): a replay, or a retry that came too late"
            raise PushRejected(msg)

    def accepted(self) -> Reply:
        return json_reply(200, {"code": 0, "message": "success"})

    def rejected(self, reason: str) -> Reply:  # noqa: ARG002 - TikTok reads the status; serve logs the reason
        return json_reply(401, {"code": 401, "message": "rejected"})

    # ------------------------------------------------------------------ fetching
    def fetch(self, stream: str, ids: Sequence[str]) -> list[dict]:
        if stream not in BY_ORDER:
            msg = f"tiktok_shop pushes do not fetch stream {stream!r}"
            raise ValueError(msg)
        return BY_ORDER[stream](self.tap(), ids).fetched()

    def tap(self) -> TapTikTokShop:
        """The connection's tap (built once: its signer, token and budget serve every fetch)."""
        if self._tap is None:
            self._tap = TapTikTokShop.for_fetch(self._config)
        return self._tap
