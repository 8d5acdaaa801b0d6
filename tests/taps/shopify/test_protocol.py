"""Shopify wire-format pieces, the personal-data policy and the client's pacing/auth units (no HTTP server).

Shopify signs nothing (shared/channels/shopify.md §7: a token header authenticates), so there are no signing
vectors; what must be exact instead is the Link cursor, the call-limit header, error bodies and times.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
import requests

from orderlayer.taps.common.pii import salted_hash
from orderlayer.taps.shopify import protocol as p
from orderlayer.taps.shopify.client import CallLimitPacer, ShopifyAuthenticator, base_url_of, fatal_hint
from orderlayer.taps.shopify.privacy import scrub_order

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "shopify"


def test_link_header_with_and_without_quotes() -> None:
    documented = (
        '<https://shop.myshopify.com/admin/api/2026-07/orders.json?page_info=abc&limit=3>; rel="next", '
        '<https://shop.myshopify.com/admin/api/2026-07/orders.json?page_info=xyz&limit=3>; rel="previous"'
    )
    assert p.parse_link_header(documented) == {
        "next": "https://shop.myshopify.com/admin/api/2026-07/orders.json?page_info=abc&limit=3",
        "previous": "https://shop.myshopify.com/admin/api/2026-07/orders.json?page_info=xyz&limit=3",
    }
    # the fact sheet's shape: rel=next without quotes
    assert p.parse_link_header("<https://s.myshopify.com/admin/api/v/orders.json?page_info=Q1&limit=250>; rel=next") == {
        "next": "https://s.myshopify.com/admin/api/v/orders.json?page_info=Q1&limit=250"
    }
    assert p.parse_link_header(None) == {} and p.parse_link_header("") == {}


def test_cursor_params_keep_page_info_exactly_and_drop_filters() -> None:
    url = "https://s.myshopify.com/admin/api/2026-07/orders.json?limit=250&page_info=eyJsYXN0X2lkIjo0fQ%3D%3D&status=any"
    # the opaque cursor is passed through as given (percent-decoding only), filters are not repeated
    assert p.cursor_params(url) == {"limit": "250", "page_info": "eyJsYXN0X2lkIjo0fQ=="}
    with pytest.raises(ValueError, match="page_info"):
        p.cursor_params("https://s.myshopify.com/admin/api/2026-07/orders.json?limit=5")


@pytest.mark.parametrize(
    ("header", "expected"),
    [("32/40", (32, 40, 8)), (" 40 / 40 ", (40, 40, 0)), ("1/80", (1, 80, 79)), ("41/40", (41, 40, 0))],
)
def test_call_limit_header(header: str, expected: tuple[int, int, int]) -> None:
    limit = p.parse_call_limit(header)
    assert limit is not None and (limit.used, limit.size, limit.free) == expected
    assert str(limit) == f"{expected[0]}/{expected[1]}"


@pytest.mark.parametrize("header", [None, "", "n/a", "3/0", "3-40"])
def test_call_limit_header_garbage_is_ignored(header: str | None) -> None:
    assert p.parse_call_limit(header) is None


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (b'{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}',
         "[API] Invalid API key or access token (unrecognized login or wrong password)"),
        (b'{"errors":{"limit":["must be an integer between 1 and 250"]}}', "limit: must be an integer between 1 and 250"),
        (b'{"error":"invalid_client","error_description":"Client authentication failed"}', "invalid_client: Client authentication failed"),
        (b"<html>503</html>", "non-JSON body"),
        (b"", "empty body"),
    ],
)
def test_error_text(body: bytes, text: str) -> None:
    assert p.error_text(body) == text


def test_times_keep_the_instant_across_a_dst_switch() -> None:
    # New York, 2024-11-03: 01:30 EDT happens before 01:10 EST although it sorts after it as text
    before, after = "2024-11-03T01:30:00-04:00", "2024-11-03T01:10:00-05:00"
    assert before > after
    assert p.utc_text(before) == "2024-11-03T05:30:00+00:00"
    assert p.utc_text(after) == "2024-11-03T06:10:00+00:00"
    assert p.utc_text(before) < p.utc_text(after)
    assert p.format_time(1_730_612_400) == "2024-11-03T05:40:00+00:00"
    with pytest.raises(ValueError, match="offset"):
        p.parse_time("2024-11-03T01:30:00")


def test_composite_status() -> None:
    assert p.composite_status("paid", None, cancelled=False) == "paid/unfulfilled"
    assert p.composite_status("refunded", "fulfilled", cancelled=True) == "refunded/fulfilled/cancelled"
    assert p.composite_status(None, "partial", cancelled=False) == "none/partial"


def test_seed_maps_every_composite_status() -> None:
    seed = (Path(__file__).resolve().parents[3] / "seeds" / "status_map.csv").read_text(encoding="utf-8")
    mapped = {line.split(",")[1] for line in seed.splitlines() if line.startswith("shopify,")}
    expected = {
        p.composite_status(f, u if u != "unfulfilled" else None, cancelled=c)
        for f in p.FINANCIAL_STATUSES for u in p.FULFILLMENT_STATUSES for c in (False, True)
    }
    assert mapped == expected


def _strings(obj: object) -> list[str]:
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return [str(obj)] if obj is not None else []


def test_fixture_order_loses_its_personal_data() -> None:
    order = json.loads((FIXTURES / "orders.json").read_text(encoding="utf-8"))["orders"][0]
    scrubbed = scrub_order(copy.deepcopy(order), "pepper")
    text = json.dumps(scrubbed)
    for plaintext in ("bob.norman@hostmail.com", "Chestnut Street", "555-625-1199", "+557734881234", "+16136120707",
                      "Bob", "Norman", "40202", "45.41634", "0.0.0.0", "b1946ac92492d2347c6235b4d2611184/authenticate"):
        assert plaintext not in text, plaintext
    assert scrubbed["customer"]["id"] == salted_hash("207119551", "pepper")
    assert scrubbed["customer"]["default_address"]["customer_id"] == salted_hash("207119551", "pepper")
    assert scrubbed["customer"]["admin_graphql_api_id"] is None  # it embeds the buyer id
    ship = scrubbed["shipping_address"]
    assert (ship["name"], ship["phone"], ship["city"], ship["province"], ship["country_code"]) == (
        "B** N*****", "****1199", "Louisville", "Kentucky", "US"
    )
    # nothing else changed: same keys everywhere, order facts intact
    assert scrubbed.keys() == order.keys()
    assert (scrubbed["id"], scrubbed["name"], scrubbed["total_price"]) == (450789469, "#1001", "598.94")
    assert scrubbed["total_price_set"] == order["total_price_set"]
    assert "+557734881234" in _strings(order) and "+557734881234" not in _strings(scrubbed)


def test_scrub_without_salt_refuses() -> None:
    with pytest.raises(ValueError, match="salt"):
        scrub_order({"email": "a@b.c"}, "")


def test_pacer_waits_for_the_bucket_to_leak() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = CallLimitPacer(reserve=4, leak_per_second=2.0, clock=lambda: now[0], sleep=sleep)
    pacer.observe("30/40")  # 10 free: no wait
    assert pacer.wait() == 0.0
    pacer.observe("39/40")  # 1 free, 4 wanted: 3 calls must leak at 2/s
    assert pacer.wait() == pytest.approx(1.5)
    assert pacer.wait() == 0.0 and slept == [pytest.approx(1.5)]
    pacer.observe("garbage")  # ignored
    assert pacer.last is not None and str(pacer.last) == "39/40"


def _auth(**kwargs: object) -> ShopifyAuthenticator:
    import logging

    defaults = {"base_url": "https://acme.myshopify.com", "access_token": "shpat_one", "client_id": None, "client_secret": None,
                "timeout": 1.0, "session": requests.Session(), "logger": logging.getLogger("test")}
    defaults.update(kwargs)
    return ShopifyAuthenticator(**defaults)  # type: ignore[arg-type]


def test_authenticator_sets_the_current_token_idempotently() -> None:
    auth = _auth()
    request = requests.Request("GET", "https://acme.myshopify.com/admin/api/2026-07/orders.json").prepare()
    auth(auth(request))
    assert request.headers[p.ACCESS_TOKEN_HEADER] == "shpat_one"
    assert not auth.can_renew and auth.renew_after_rejection("shpat_one") is False


def test_authenticator_does_not_renew_a_token_someone_else_already_renewed() -> None:
    auth = _auth(client_id="cid", client_secret="csecret")
    # the rejected token is not the current one: another request renewed it, retry with the current one
    assert auth.renew_after_rejection("shpat_stale") is True
    assert auth.renewals == 0


def test_fatal_hints_name_the_config_keys() -> None:
    assert "access_token" in fatal_hint(401, "acme", "2026-07") and "client_id" in fatal_hint(401, "acme", "2026-07")
    assert "read_orders" in fatal_hint(403, "acme", "2026-07")
    hint = fatal_hint(404, "acme", "2019-01")
    assert "'shop_id'" in hint and "'api_version'" in hint and "2019-01" in hint
    assert "frozen" in fatal_hint(402, "acme", "v") and "locked" in fatal_hint(423, "acme", "v")
    assert "page_size" in fatal_hint(400, "acme", "v")


def test_default_urls() -> None:
    assert base_url_of({"shop_id": "acme-store"}) == "https://acme-store.myshopify.com"
    assert base_url_of({"shop_id": "acme-store", "base_url": "https://{shop}.myshopify.com/"}) == "https://acme-store.myshopify.com"
    assert base_url_of({"shop_id": "x", "base_url": "http://127.0.0.1:8000/shops/x"}) == "http://127.0.0.1:8000/shops/x"
    assert p.default_base_url("acme-store") == "https://acme-store.myshopify.com"
    assert p.orders_path("2026-07") == "/admin/api/2026-07/orders.json"
    assert p.API_VERSION_PATTERN.match(p.DEFAULT_API_VERSION)
    assert not p.API_VERSION_PATTERN.match("2026-05")
    assert dt.datetime.fromisoformat(p.format_time(0)) == dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
