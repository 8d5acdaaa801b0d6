"""Shopify's webhooks as a push receiver (taps/common/push.py; docs/channels/shopify.md "Push").

Shopify POSTs one JSON event per delivery with ``X-Shopify-Topic``, ``X-Shopify-Shop-Domain``,
``X-Shopify-Event-Id`` and ``X-Shopify-Hmac-Sha256`` (base64 HMAC-SHA256 of the raw body, keyed with the app's client
secret or the store's webhook signing secret). The receiver verifies the HMAC (constant-time) and keys every item by
the event id, so a retried or duplicated delivery is one message. An app's subscriptions push every shop that
installed it to the same URL, signed with the app's client secret: a delivery of another shop is marked with that
shop (``X-Shopify-Shop-Domain``) and serve spools it under that shop's connection (taps/common/push.py
``Receiver.app``, the ``client_id``). A store's own signing secret signs that store only: with ``webhook_secret`` a
delivery of another shop is refused.

* ``orders/*``: the body is the REST order of the subscription's API version. When that version is the tap's
  ``api_version`` the body is the record the orders stream lands (same fields; the receiver applies the stream's
  own stamping and privacy scrubbing, ``streams.landed_order``), so it lands as it is; from another version it
  could differ in fields staging reads, so the order is fetched instead.
* ``refunds/create``: refunds land embedded in their order, so the order is fetched.
* ``returns/*``: returns come from the GraphQL API with their order's ``updatedAt``, so the order's returns are
  fetched (and the order, whose ``updated_at`` moved).

Every event about an order also fetches that order's returns: the returns stream stamps each return with its
order's ``updated_at``, so a sync lands a new version of them whenever the order changes, and so does the push.
Fetches go through the tap's own streams (:class:`~orderlayer.taps.shopify.streams.OrdersByIdStream`,
:class:`~orderlayer.taps.shopify.streams.ReturnsByOrderStream`): the same token, pacing, retries and scrubbing.
Shopify signs only the body (no timestamp), so there is no window to check: a replayed body lands as nothing new.
"""

from __future__ import annotations

import decimal
import json
import logging
import typing as t

from orderlayer.taps.common.options import push_enabled
from orderlayer.taps.common.push import FetchRequest, PushItem, PushRecord, PushRejected, PushRequest, Reply, json_reply
from orderlayer.taps.shopify import protocol as p
from orderlayer.taps.shopify.streams import OrdersByIdStream, OrdersStream, ReturnsByOrderStream, ReturnsStream, landed_order
from orderlayer.taps.shopify.tap import TapShopify

if t.TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

log = logging.getLogger(__name__)
ORDERS, RETURNS = OrdersStream.name, ReturnsStream.name


class ShopifyReceiver:
    streams: t.ClassVar[Mapping[str, tuple[str, ...]]] = {
        ORDERS: tuple(OrdersStream.primary_keys),
        RETURNS: tuple(ReturnsStream.primary_keys),
    }

    def __init__(self, config: Mapping[str, t.Any], secret: str) -> None:
        self._config = dict(config)
        self._secret = secret
        self._shop = str(config["shop_id"])
        #: the app whose client secret signs every shop's deliveries (None: a store's own signing secret)
        self.app: str | None = None if config.get("webhook_secret") else str(config.get("client_id") or "") or None
        self._salt = str(config.get("pii_salt") or "")
        self._api_version = str(config.get("api_version") or p.DEFAULT_API_VERSION)
        self._tap: TapShopify | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any]) -> ShopifyReceiver | None:
        if not push_enabled(config, "Shopify"):
            return None
        secret = config.get("webhook_secret") or config.get("client_secret")
        if not secret:
            # unsigned deliveries cannot be told from anyone's POST to the URL
            msg = (
                "webhook_secret: a connection with push: true needs the key Shopify signs its webhooks with: map "
                "webhook_secret (or client_secret, for webhooks your app subscribed) to an environment variable"
            )
            raise ValueError(msg)
        if not config.get("shop_id"):
            msg = "shop_id: the connection's shop is needed to tell its webhooks from other shops'"
            raise ValueError(msg)
        return cls(config, str(secret))

    # ------------------------------------------------------------------ receiving
    def receive(self, request: PushRequest) -> list[PushItem]:
        headers = request.headers
        signature = headers.get(p.HMAC_HEADER.lower())
        if not signature:
            msg = f"no {p.HMAC_HEADER} header: not a Shopify webhook"
            raise PushRejected(msg)
        if not p.webhook_verified(self._secret, request.body, signature):
            msg = f"{p.HMAC_HEADER} does not match the body: not signed with this connection's webhook_secret"
            raise PushRejected(msg)
        shop = self._shop_of(headers.get(p.SHOP_DOMAIN_HEADER.lower(), ""))
        event = headers.get(p.EVENT_ID_HEADER.lower()) or headers.get(p.WEBHOOK_ID_HEADER.lower())
        if not event:
            msg = f"no {p.EVENT_ID_HEADER} (or {p.WEBHOOK_ID_HEADER}) header to deduplicate the delivery on"
            raise PushRejected(msg)
        topic = headers.get(p.TOPIC_HEADER.lower(), "")
        try:
            body = json.loads(request.body, parse_float=decimal.Decimal)  # as the tap reads an answer: amounts exact
        except (ValueError, UnicodeDecodeError):
            msg = f"{topic or 'webhook'} body is not JSON"
            raise PushRejected(msg) from None
        if not isinstance(body, dict):
            msg = f"{topic or 'webhook'} body is not a JSON object"
            raise PushRejected(msg)
        if topic in p.ORDER_TOPICS:
            return self._order_event(event, headers, body, shop)
        if topic == p.REFUND_TOPIC:
            return _about_order(event, _id_of(body.get("order_id"), topic, "order_id"), shop)
        if topic.startswith(p.RETURN_TOPIC_PREFIX):
            order = body.get("order")
            return _about_order(event, _id_of(order.get("id") if isinstance(order, dict) else None, topic, "order.id"), shop)
        log.info("shopify webhook topic %r carries nothing orderlayer lands; acknowledged, nothing stored", topic[:60])
        return []

    def _shop_of(self, domain: str) -> str | None:
        """None for this connection's shop, the subdomain of another shop of the app; refuses anything else."""
        shop = domain.strip().lower().removesuffix(p.shop_domain(""))
        if shop == self._shop:
            return None
        if self.app is None or not p.SHOP_PATTERN.match(shop) or p.shop_domain(shop) != domain.strip().lower():
            msg = f"{p.SHOP_DOMAIN_HEADER} is not this connection's shop: register this URL for {p.shop_domain(self._shop)} only"
            raise PushRejected(msg)
        return shop  # serve spools it under that shop's connection, or leaves it to its poll

    def _order_event(self, event: str, headers: Mapping[str, str], body: dict, shop: str | None) -> list[PushItem]:
        order_id = _id_of(body.get("id"), "order", "id")
        if headers.get(p.API_VERSION_HEADER.lower()) != self._api_version:
            return _about_order(event, order_id, shop)  # another version's fields: fetch the order in the tap's version
        try:
            record = landed_order(body, shop or self._shop, self._salt)
        except Exception as exc:  # noqa: BLE001 - e.g. a malformed customer; never quote the body
            msg = f"order webhook not landable: {type(exc).__name__}"
            raise PushRejected(msg) from None
        return [PushRecord(ORDERS, event, record, shop), FetchRequest(RETURNS, f"{event}:{RETURNS}", order_id, shop)]

    def accepted(self) -> Reply:
        return json_reply(200, {"ok": True})

    def rejected(self, reason: str) -> Reply:  # noqa: ARG002 - Shopify reads the status only; serve logs the reason
        return json_reply(401, {"ok": False})

    # ------------------------------------------------------------------ fetching
    def fetch(self, stream: str, ids: Sequence[str]) -> list[dict]:
        if stream == ORDERS:
            return OrdersByIdStream(self.tap(), ids).fetched()
        if stream == RETURNS:
            return ReturnsByOrderStream(self.tap(), ids).fetched()
        msg = f"shopify pushes do not fetch stream {stream!r}"
        raise ValueError(msg)

    def tap(self) -> TapShopify:
        """The connection's tap (built once: its token, pacing and budget serve every fetch)."""
        if self._tap is None:
            self._tap = TapShopify.for_fetch(self._config)
        return self._tap


def _id_of(value: t.Any, topic: str, key: str) -> str:  # noqa: ANN401
    """An order id as text, digit for digit (Shopify ids are integers)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        msg = f"{topic} webhook has no numeric {key}"
        raise PushRejected(msg)
    return str(value)


def _about_order(event: str, order_id: str, shop: str | None) -> list[PushItem]:
    """An event about an order (of ``shop``; None: the connection's): fetch the order and its returns."""
    return [FetchRequest(ORDERS, event, order_id, shop), FetchRequest(RETURNS, f"{event}:{RETURNS}", order_id, shop)]
