"""Real example responses (tests/fixtures/<source>/, copied from the fact sheets) replayed through the taps.

Each function builds the source's tap from a plain config and hands the example to the orders stream's own code:
``parse_response`` on a response carrying the example bytes where the stream reads a list answer, or the
stream's per-order ``call`` over an HTTP transport that answers with the example where it fetches order by order
(Ele.me, Meituan); then ``post_process``. What comes out is what the tap would emit as RECORD messages.
"""

from __future__ import annotations

import json
import re
import typing as t
from pathlib import Path

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from orderlayer.taps.douyin.tap import TapDouyin
from orderlayer.taps.eleme.tap import TapEleme
from orderlayer.taps.meituan import protocol as meituan_protocol
from orderlayer.taps.meituan.tap import TapMeituan
from orderlayer.taps.pinduoduo import protocol as pdd_protocol
from orderlayer.taps.pinduoduo.tap import TapPinduoduo
from orderlayer.taps.shopify.tap import TapShopify
from orderlayer.taps.taobao.tap import TapTaobao
from orderlayer.taps.tiktok_shop.tap import TapTikTokShop

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
#: The salt every replay hashes personal data with; the tests pin the resulting digests as literals.
PII_SALT = "real-examples-pii-salt-2f7a"
_WINDOW = {"start_date": "2018-01-01T00:00:00+00:00", "end_date": "2026-12-31T00:00:00+00:00", "pii_salt": PII_SALT}

#: The shop each replay is configured for: the shop the example names, where it names one.
PINDUODUO_SHOP = "100200300"
DOUYIN_SHOP = "7784061"
TAOBAO_SHOP = "573001"
MEITUAN_POI = "test_poi_01"
ELEME_SHOP = "test_781544_62863"
TIKTOK_SHOP = "7494105515082810527"
SHOPIFY_SHOP = "apple"


def fixture_bytes(source: str, name: str) -> bytes:
    return (FIXTURES / source / name).read_bytes()


def json_response(body: bytes, url: str = "https://example.invalid/") -> requests.Response:
    """An HTTP 200 answer carrying ``body``, as the stream would receive it."""
    response = requests.Response()
    response.status_code = 200
    response.reason = "OK"
    response.url = url
    response.headers = CaseInsensitiveDict({"Content-Type": "application/json; charset=utf-8"})
    response._content = body
    return response


class CannedAnswers(BaseAdapter):
    """An HTTP transport answering each request with the bytes ``answer(request)`` gives (and recording it)."""

    def __init__(self, answer: t.Callable[[requests.PreparedRequest], bytes]) -> None:
        super().__init__()
        self.answer = answer
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: t.Any) -> requests.Response:  # noqa: ANN401, ARG002
        self.requests.append(request)
        response = json_response(self.answer(request), str(request.url))
        response.request = request
        return response

    def close(self) -> None:
        pass


#: Each source's tap and the plain config its replay runs with (credentials are placeholders: nothing is sent
#: anywhere, the answers are canned).
TAPS: dict[str, tuple[type, dict[str, t.Any]]] = {
    "pinduoduo": (TapPinduoduo, {"client_id": "replay-client-id", "client_secret": "replay-client-secret", "shop_id": PINDUODUO_SHOP, "access_token": "replay-token"}),
    "douyin": (TapDouyin, {"app_key": "1234567890123456789", "app_secret": "replay-secret", "shop_id": DOUYIN_SHOP, "access_token": "replay-token"}),
    "taobao": (TapTaobao, {"app_key": "23456789", "app_secret": "replay-secret", "shop_id": TAOBAO_SHOP, "access_token": "replay-session"}),
    "tiktok_shop": (TapTikTokShop, {"app_key": "replay-app-key", "app_secret": "replay-app-secret", "shop_id": TIKTOK_SHOP, "shop_cipher": "ROW_replay", "access_token": "replay-token"}),
    "shopify": (TapShopify, {"shop_id": SHOPIFY_SHOP, "access_token": "replay-token"}),
    "eleme": (TapEleme, {"source": "62863", "secret": "replay-secret", "shop_id": ELEME_SHOP}),
    "meituan": (TapMeituan, {"app_id": "replay-app", "app_secret": "replay-secret", "app_poi_code": MEITUAN_POI}),
}


def orders_stream(source: str) -> t.Any:  # noqa: ANN401
    """A fresh orders stream of ``source``'s tap, configured for its replay."""
    tap_class, config = TAPS[source]
    return tap_class(config={**config, **_WINDOW}, parse_env_config=False, validate_config=True).streams["orders"]


def _listed(stream: t.Any, body: bytes) -> list[dict]:  # noqa: ANN401
    rows = list(stream.parse_response(json_response(body)))
    return [stream.post_process(row) for row in rows]


def _answering(stream: t.Any, answer: t.Callable[[requests.PreparedRequest], bytes]) -> CannedAnswers:  # noqa: ANN401
    adapter = CannedAnswers(answer)
    stream.requests_session.mount("https://", adapter)
    stream.requests_session.mount("http://", adapter)
    return adapter


def pinduoduo_records() -> list[dict]:
    """The order object inside the increment API's response key (the sheet says the wrapper was not captured)."""
    stream = orders_stream("pinduoduo")
    order = json.loads(fixture_bytes("pinduoduo", "order.json"))
    body = {pdd_protocol.ORDER_INCREMENT_RESPONSE: {"total_count": 1, "order_sn_list": [order]}}
    return _listed(stream, json.dumps(body, ensure_ascii=False).encode())


def douyin_records() -> list[dict]:
    """The sheet's ``data`` object inside Douyin's native envelope; ``total`` added (the abridged copy has only
    ``page``, and the stream refuses a page without a total)."""
    stream = orders_stream("douyin")
    data = fixture_bytes("douyin", "order_search_list_data.json").decode()
    body = '{"code":10000,"msg":"success","sub_code":"","sub_msg":"","log_id":"replay","data":' + data.strip()[:-1] + ',"total":1}}'
    return _listed(stream, body.encode())


def taobao_records() -> list[dict]:
    """The captured ``trades.sold.get`` trade under the increment method's response key (same trade shape)."""
    stream = orders_stream("taobao")
    text = fixture_bytes("taobao", "trades_sold_get_response.json").decode()
    return _listed(stream, text.replace('"trades_sold_get_response"', '"trades_sold_increment_get_response"').encode())


def tiktok_shop_records() -> list[dict]:
    """The captured order inside the 202309 search answer's ``data.orders``."""
    stream = orders_stream("tiktok_shop")
    order = fixture_bytes("tiktok_shop", "order.json").decode()
    body = '{"code":0,"message":"Success","request_id":"replay","data":{"total_count":1,"next_page_token":"","orders":[' + order + "]}}"
    return _listed(stream, body.encode())


def shopify_listed_records() -> list[dict]:
    """Shopify's own sample ``orders.json`` (a GET /orders.json answer, no line items), as is."""
    stream = orders_stream("shopify")
    return _listed(stream, fixture_bytes("shopify", "orders.json"))


def shopify_records() -> list[dict]:
    """Shopify's sample order #1001 in full (``order.json``, with its line items) as a GET /orders.json answer
    lists it: ``{"orders": [order]}``."""
    stream = orders_stream("shopify")
    single = fixture_bytes("shopify", "order.json").decode()
    listed = re.sub(r"\}\s*$", "]}", re.sub(r'^\{\s*"order"\s*:', '{"orders": [', single))  # the order's bytes untouched
    return _listed(stream, listed.encode())


def eleme_records() -> list[dict]:
    """``order.get`` answered with the captured response, through the stream's signed call and its checks."""
    stream = orders_stream("eleme")
    answer = fixture_bytes("eleme", "order_get_response.json")
    adapter = _answering(stream, lambda request: answer)
    record = stream.order_record("15397181282021", None)
    assert len(adapter.requests) == 1, "a cancelled order needs no part-refund call"
    return [stream.post_process(record)]


def meituan_records() -> list[dict]:
    """``getOrderDetail`` answered with the captured push's fields as its ``data`` (the detail carries the
    push's fields); the refund lookup answered with none."""
    stream = orders_stream("meituan")
    push = fixture_bytes("meituan", "order_push.json").decode()

    def answer(request: requests.PreparedRequest) -> bytes:
        if meituan_protocol.ORDER_DETAIL_PATH in str(request.url):
            return ('{"data":' + push + "}").encode()
        return b'{"data":[]}'

    _answering(stream, answer)
    return [stream.post_process(stream.order_detail("6810571663", None))]


REPLAYS: dict[str, t.Callable[[], list[dict]]] = {
    "pinduoduo": pinduoduo_records,
    "douyin": douyin_records,
    "taobao": taobao_records,
    "tiktok_shop": tiktok_shop_records,
    "shopify": shopify_records,
    "eleme": eleme_records,
    "meituan": meituan_records,
}
