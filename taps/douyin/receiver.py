"""Douyin shop message push (抖店消息推送) as a push receiver and fetcher (taps/common/push.py; docs/channels/douyin.md).

The platform POSTs a JSON array of events ``{tag, msg_id, data}`` to the one URL registered for the app, signed in
the ``event-sign`` header with MD5(app_key + raw body + app_secret) (HMAC-SHA256 of the same string keyed by the
secret when a ``sign-method: hmac-sha256`` header says so). An event's ``data`` (an object, or the same object as a
JSON string) names an order by ``p_id`` (and its sku orders by ``s_ids``), a refund also by ``aftersale_id``, with a
status and times, never the whole order: each becomes a :class:`FetchRequest` for ``orders`` (and ``after_sales``),
deduplicated on ``msg_id``. :meth:`DouyinReceiver.fetch` fetches the named records through the tap's own signed
client (``order.orderDetail``; ``afterSale/List`` by ``aftersale_id``) and post-processes them like a sync.

Safe choices where the platform is unconfirmed: tag ``0`` (the check the platform sends when the URL is saved) is
answered success and stores nothing; an event of another shop of the app is marked with its shop (serve spools it
under that shop's connection, or drops it when no connection has that shop); any malformed event refuses the whole push, so nothing of it
is half stored and the platform sends it again.
"""

from __future__ import annotations

import hmac
import json
import logging
import typing as t

from orderlayer.taps.common.fetching import as_landed
from orderlayer.taps.common.options import push_enabled
from orderlayer.taps.common.push import FetchRequest, PushRejected, PushRequest, Reply, json_reply
from orderlayer.taps.douyin import protocol as p
from orderlayer.taps.douyin.client import DouyinAPIError
from orderlayer.taps.douyin.streams import FETCH_STREAMS, AfterSalesStream, OrdersStream

if t.TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from orderlayer.taps.douyin.tap import TapDouyin

log = logging.getLogger(__name__)

#: The tag of the platform's URL check: answered success, nothing stored.
CHECK_TAG = "0"


class DouyinReceiver:
    streams: t.ClassVar[Mapping[str, tuple[str, ...]]] = {
        OrdersStream.name: tuple(OrdersStream.primary_keys),
        AfterSalesStream.name: tuple(AfterSalesStream.primary_keys),
    }

    def __init__(self, config: Mapping[str, t.Any]) -> None:
        self._config = dict(config)
        self._app_key = str(config["app_key"])
        self._app_secret = str(config["app_secret"])
        self._shop_id = str(config["shop_id"])
        #: one URL takes every shop of the app (taps/common/push.py Receiver.app)
        self.app: str | None = self._app_key
        self._tap: TapDouyin | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any]) -> DouyinReceiver | None:
        if not push_enabled(config, "Douyin"):
            return None  # the connection did not register serve's URL with the platform
        for key in ("app_key", "app_secret", "shop_id"):
            if not config.get(key):
                # the push is signed with the app's key and secret, and names the shop its orders belong to
                msg = f"{key}: a connection with push: true needs its {key} (pushes are verified and fetched with it); set it in the connection"
                raise ValueError(msg)
        return cls(config)

    # ------------------------------------------------------------------ receiving
    def receive(self, request: PushRequest) -> list[FetchRequest]:
        self._verify(request)
        try:
            events = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            msg = "push body is not a JSON array of events"
            raise PushRejected(msg) from None
        if not isinstance(events, list):
            msg = "push body is not a JSON array of events"
            raise PushRejected(msg)
        items: list[FetchRequest] = []
        for n, event in enumerate(events):
            items.extend(self._requests(n, event))
        return items

    def _verify(self, request: PushRequest) -> None:
        sent = request.headers.get(p.PUSH_SIGN_HEADER)
        if not sent:
            msg = f"push has no {p.PUSH_SIGN_HEADER} header"
            raise PushRejected(msg)
        method = (request.headers.get(p.PUSH_SIGN_METHOD_HEADER) or p.SIGN_METHOD_MD5).strip().lower()
        if method not in p.SIGN_METHODS:
            msg = f"push names an unknown {p.PUSH_SIGN_METHOD_HEADER}"
            raise PushRejected(msg)
        app = request.headers.get(p.PUSH_APP_ID_HEADER)
        if app is not None and app != self._app_key:
            msg = f"push {p.PUSH_APP_ID_HEADER} is not this connection's app_key"
            raise PushRejected(msg)
        expected = p.push_sign(self._app_key, request.body, self._app_secret, method)
        if not hmac.compare_digest(expected.encode("ascii"), sent.strip().lower().encode("utf-8", "replace")):
            msg = f"{p.PUSH_SIGN_HEADER} does not match the body"
            raise PushRejected(msg)

    def _requests(self, n: int, event: t.Any) -> list[FetchRequest]:  # noqa: ANN401 - one element of the pushed array
        """The fetch requests of the n-th event (messages name its position and fields, never their values)."""
        if not isinstance(event, dict):
            msg = f"event {n} is not an object"
            raise PushRejected(msg)
        tag = str(event.get("tag", ""))
        message_id = str(event.get("msg_id") or event.get("msgId") or "")
        if tag == CHECK_TAG:
            return []
        if not tag or not message_id:
            msg = f"event {n} has no tag or msg_id"
            raise PushRejected(msg)
        data = event.get("data")
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError:
                data = None
        if not isinstance(data, dict):
            msg = f"event {n} ({tag}) has no data object"
            raise PushRejected(msg)
        shop = data.get("shop_id")
        other = None if shop is None or str(shop) == self._shop_id else str(shop)  # serve routes it to its shop
        order_id, aftersale_id = _id(n, data, "p_id"), _id(n, data, "aftersale_id")
        items = [FetchRequest(OrdersStream.name, message_id, order_id, other)] if order_id else []
        if aftersale_id:  # a refund moves the order's sku after_sale_info too: both are fetched
            items.append(FetchRequest(AfterSalesStream.name, f"{message_id}#{AfterSalesStream.name}", aftersale_id, other))
        return items

    def accepted(self) -> Reply:
        return json_reply(200, p.PUSH_ACCEPTED)

    def rejected(self, reason: str) -> Reply:  # noqa: ARG002 - the platform reads only code; serve logs the reason
        return json_reply(200, p.PUSH_REJECTED)

    # ------------------------------------------------------------------ fetching
    def fetch(self, stream: str, ids: Sequence[str]) -> list[dict]:
        """The records of these ids, one detail call each (the APIs take one id), through the tap's signed client
        and post-processing. An id the platform does not know (code 50002) is left out; other failures raise."""
        cls = FETCH_STREAMS.get(stream)
        if cls is None:
            msg = f"douyin pushes fetch orders and after_sales, not {stream!r}"
            raise ValueError(msg)
        fetcher = cls(self._tap_instance())
        records: list[dict] = []
        unknown = 0
        for record_id in ids:
            context = {"id": str(record_id)}
            try:
                rows = list(fetcher.request_records(context))
            except DouyinAPIError as exc:
                if exc.code != p.CODE_BUSINESS_FAILED:
                    raise
                unknown += 1
                continue
            # as a sync lands it (the stream's post-processing, singer-sdk's RECORD step); only the id asked for
            records += [r for r in as_landed(fetcher, rows) if str(r.get(fetcher.id_key)) == str(record_id)]
        if unknown:
            log.warning("douyin fetch: %d of %d %s id(s) unknown to the platform; left to the reconcile poll", unknown, len(ids), stream)
        return records

    def _tap_instance(self) -> TapDouyin:
        if self._tap is None:
            from orderlayer.taps.douyin.tap import TapDouyin  # the tap imports singer-sdk's whole stack: only to fetch

            self._tap = TapDouyin.for_fetch(self._config)
        return self._tap


def _id(n: int, data: Mapping[str, t.Any], key: str) -> str | None:
    """The id under ``key`` as digits (Douyin sends 19-digit ids as text or numbers), None when absent."""
    value = data.get(key)
    if value in (None, "", 0, "0"):
        return None
    text = str(value)
    if isinstance(value, bool) or not text.isdigit():
        msg = f"event {n}: {key} is not a numeric id"
        raise PushRejected(msg)
    return text
