"""The Shopify sandbox speaks the platform's protocol (plain HTTP against 127.0.0.1) and its generator is
deterministic, multi-shop and covers the order lifecycle."""

from __future__ import annotations

import datetime as dt
import json
import typing as t
from collections import Counter
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from tests.taps.shopify.kit import AS_OF, AU_SHOP, EU_SHOP, SHOPS, US_SHOP, shopify_sandboxes  # noqa: F401 - fixture

from orderlayer.taps.shopify import protocol as p
from orderlayer.sandboxes.shopify.generator import ID_CENTRE, ShopifyOrderGenerator
from orderlayer.sandboxes.shopify.server import ShopifySandbox

Factory = t.Callable[..., ShopifySandbox]
V = p.DEFAULT_API_VERSION


def get(sandbox: ShopifySandbox, shop: str, params: dict | None = None, *, token: str | None = "default",
        version: str = V) -> requests.Response:
    headers = {} if token is None else {p.ACCESS_TOKEN_HEADER: sandbox.access_token(shop) if token == "default" else token}
    return requests.get(f"{sandbox.shop_base_url(shop)}{p.orders_path(version)}", params=params, headers=headers, timeout=5)


def walk(sandbox: ShopifySandbox, shop: str, params: dict) -> list[list[dict]]:
    """Every page of a listing, following rel=next exactly as given."""
    pages, response = [], get(sandbox, shop, params)
    while True:
        assert response.status_code == 200, response.text
        pages.append(response.json()["orders"])
        nxt = p.parse_link_header(response.headers.get("Link")).get("next")
        if nxt is None:
            return pages
        response = requests.get(nxt, headers={p.ACCESS_TOKEN_HEADER: sandbox.access_token(shop)}, timeout=5)


# --------------------------------------------------------------------------- generator
def test_generator_is_deterministic_and_independent_of_render_order() -> None:
    a = ShopifyOrderGenerator(5, AS_OF, 120, list(SHOPS), days=10)
    b = ShopifyOrderGenerator(5, AS_OF, 120, list(SHOPS), days=10)
    forward = [json.dumps(a.render(i, a.as_of_ts)) for i in range(120)]
    backward = [json.dumps(b.render(i, b.as_of_ts)) for i in reversed(range(120))][::-1]
    assert forward == backward
    assert forward != [json.dumps(ShopifyOrderGenerator(6, AS_OF, 120, list(SHOPS), days=10).render(i, a.as_of_ts)) for i in range(120)]


def test_generator_covers_the_lifecycle_shops_and_currencies() -> None:
    gen = ShopifyOrderGenerator(3, AS_OF, 600, list(SHOPS), days=10)
    orders = [gen.render(i, gen.as_of_ts) for i in range(600)]
    statuses = Counter(p.composite_status(o["financial_status"], o["fulfillment_status"], o["cancelled_at"] is not None) for o in orders)
    for code in ("paid/fulfilled", "paid/partial", "paid/unfulfilled", "partially_refunded/fulfilled", "refunded/fulfilled",
                 "refunded/unfulfilled/cancelled", "voided/unfulfilled/cancelled", "pending/unfulfilled", "authorized/unfulfilled"):
        assert statuses[code] > 0, code
    assert any(o["test"] for o in orders) and any(o["closed_at"] and not o["cancelled_at"] for o in orders)
    assert {o["currency"] for o in orders} == {"USD", "EUR", "AUD"}
    assert any(o["presentment_currency"] != o["currency"] for o in orders)
    assert any(len(o["fulfillments"]) > 1 for o in orders)  # split shipments
    assert any(f["status"] == "cancelled" for o in orders for f in o["fulfillments"])
    assert any(t["status"] == "failure" for o in orders for r in o["refunds"] for t in r["transactions"])
    assert any(o["note"] or o["note_attributes"] for o in orders)  # free text with personal data, for the tap to drop
    # ids straddle 2**53: some cannot survive a float
    ids = [o["id"] for o in orders]
    assert min(ids) < ID_CENTRE < max(ids) and any(float(i) != i for i in ids)
    # the New York shop's offsets change at the DST switch inside the window
    offsets = {o["created_at"][-6:] for o in orders if o["currency"] == "USD"}
    assert offsets == {"-04:00", "-05:00"}


def test_generated_money_adds_up_in_cents() -> None:
    gen = ShopifyOrderGenerator(9, AS_OF, 300, list(SHOPS), days=10)
    for i in range(300):
        o = gen.render(i, gen.as_of_ts)
        c = lambda v: Decimal(v)  # noqa: E731
        lines = sum(c(li["price"]) * li["quantity"] for li in o["line_items"])
        assert lines == c(o["total_line_items_price"])
        assert c(o["subtotal_price"]) == lines - c(o["total_discounts"])
        shipping = c(o["total_shipping_price_set"]["shop_money"]["amount"])
        added_tax = Decimal(0) if o["taxes_included"] else c(o["total_tax"])
        assert c(o["total_price"]) == c(o["subtotal_price"]) + shipping + added_tax
        assert o["total_price_set"]["shop_money"]["amount"] == o["total_price"]
        assert o["total_price_set"]["presentment_money"]["currency_code"] == o["presentment_currency"]


def test_facts_follow_the_clock() -> None:
    gen = ShopifyOrderGenerator(4, AS_OF, 200, list(SHOPS), days=10)
    now, later = gen.as_of_ts, gen.as_of_ts + 10 * 86_400
    facts = {f.channel_order_id: f for f in gen.facts(now)}
    later_facts = {f.channel_order_id: f for f in gen.facts(later)}
    assert len(facts) == 200 and facts.keys() == later_facts.keys()
    moved = [k for k in facts if facts[k].status != later_facts[k].status]
    assert moved, "late lifecycle events become visible when the clock moves"
    for fact in facts.values():
        assert fact.channel == "shopify" and fact.shop_id in SHOPS and fact.refund_amount <= fact.paid_amount
        assert fact.status in {"pending_payment", "paid", "shipped", "completed", "cancelled"}


# --------------------------------------------------------------------------- protocol
def test_auth_errors(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(40)
    assert get(sandbox, US_SHOP, token=None).status_code == 401
    wrong = get(sandbox, US_SHOP, token="shpat_" + "0" * 32)
    assert wrong.status_code == 401 and "Invalid API key or access token" in wrong.json()["errors"]
    assert get(sandbox, US_SHOP, token=sandbox.access_token(EU_SHOP)).status_code == 401  # tokens are per shop
    sandbox.revoke_scope(US_SHOP)
    forbidden = get(sandbox, US_SHOP)
    assert forbidden.status_code == 403 and "read_orders" in forbidden.json()["errors"]
    assert get(sandbox, "no-such-shop", token="x").status_code == 404
    assert all("shpat_" not in json.dumps(entry) for entry in sandbox.requests)  # the log holds no token


def test_versions(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(10)
    assert get(sandbox, US_SHOP, version="2019-07").headers[p.API_VERSION_HEADER] == sandbox.SUPPORTED_VERSIONS[0]
    assert get(sandbox, US_SHOP, version=V).headers[p.API_VERSION_HEADER] == V
    assert get(sandbox, US_SHOP, version="2031-01").status_code == 404
    assert get(sandbox, US_SHOP, version="latest").status_code == 404


def test_client_credentials_grant(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(10)
    url = sandbox.shop_base_url(EU_SHOP) + p.TOKEN_PATH
    good = requests.post(url, data={"grant_type": "client_credentials", "client_id": sandbox.client_id,
                                    "client_secret": sandbox.client_secret}, timeout=5)
    assert good.status_code == 200 and good.json()["expires_in"] == 86_399
    assert get(sandbox, EU_SHOP, token=good.json()["access_token"]).status_code == 200
    bad = requests.post(url, data={"grant_type": "client_credentials", "client_id": sandbox.client_id, "client_secret": "nope"}, timeout=5)
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    sandbox.expire_tokens()
    assert get(sandbox, EU_SHOP, token=good.json()["access_token"]).status_code == 401


def test_status_defaults_to_open(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(200)
    everything = [o for page in walk(sandbox, US_SHOP, {"status": "any", "limit": 250}) for o in page]
    default = [o for page in walk(sandbox, US_SHOP, {"limit": 250}) for o in page]
    assert {o["id"] for o in default} == {o["id"] for o in everything if not o["closed_at"] and not o["cancelled_at"]}
    assert len(default) < len(everything)
    cancelled = [o for page in walk(sandbox, US_SHOP, {"status": "cancelled", "limit": 250}) for o in page]
    assert cancelled and all(o["cancelled_at"] for o in cancelled)


def test_cursor_paging_returns_each_order_once_newest_id_first(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(200)
    pages = walk(sandbox, US_SHOP, {"status": "any", "limit": 7})
    ids = [o["id"] for page in pages for o in page]
    assert len(pages) > 3 and all(len(page) == 7 for page in pages[:-1])
    assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids))
    expected = {sandbox.generator.plans[i].order_id for i in sandbox.generator.indexes_for_shop(US_SHOP)}
    assert set(ids) == expected
    # the second page links back
    second = get(sandbox, US_SHOP, {"status": "any", "limit": 7})
    nxt = p.parse_link_header(second.headers["Link"])["next"]
    assert set(parse_qs(urlsplit(nxt).query)) == {"limit", "page_info"}
    back = requests.get(nxt, headers={p.ACCESS_TOKEN_HEADER: sandbox.access_token(US_SHOP)}, timeout=5)
    prev = p.parse_link_header(back.headers["Link"])["previous"]
    again = requests.get(prev, headers={p.ACCESS_TOKEN_HEADER: sandbox.access_token(US_SHOP)}, timeout=5)
    assert [o["id"] for o in again.json()["orders"]] == ids[:7]


def test_page_info_rules_and_limits(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(60)
    first = get(sandbox, US_SHOP, {"status": "any", "limit": 5})
    cursor = parse_qs(urlsplit(p.parse_link_header(first.headers["Link"])["next"]).query)["page_info"][0]
    mixed = get(sandbox, US_SHOP, {"page_info": cursor, "limit": 5, "status": "any"})
    assert mixed.status_code == 400 and "page_info" in mixed.text
    assert get(sandbox, US_SHOP, {"page_info": "not-a-cursor"}).status_code == 400
    assert get(sandbox, EU_SHOP, {"page_info": cursor}).status_code == 400  # a cursor belongs to its shop
    assert get(sandbox, US_SHOP, {"limit": 251}).status_code == 400
    assert get(sandbox, US_SHOP, {"limit": 250}).status_code == 200
    assert get(sandbox, US_SHOP, {"updated_at_min": "yesterday"}).status_code == 400


def test_updated_at_bounds_are_inclusive(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(120)
    gen = sandbox.generator
    i = gen.indexes_for_shop(AU_SHOP)[0]
    stamp = sandbox.update_time_of(i)
    iso = p.format_time(stamp)
    hits = [o["id"] for page in walk(sandbox, AU_SHOP, {"status": "any", "updated_at_min": iso, "updated_at_max": iso}) for o in page]
    assert gen.plans[i].order_id in hits
    # a bare time is read in the shop's own zone (Sydney), as the admin does
    local = dt.datetime.fromtimestamp(stamp, gen.zones[gen.plans[i].shop_index]).replace(tzinfo=None).isoformat()
    bare = [o["id"] for page in walk(sandbox, AU_SHOP, {"status": "any", "updated_at_min": local, "updated_at_max": local}) for o in page]
    assert bare == hits


def test_leaky_bucket_throttles_with_retry_after(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(10, qps=2.0, bucket_size=3, retry_after_seconds=1.5)
    answers = [get(sandbox, US_SHOP, {"status": "any", "limit": 1}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers[p.CALL_LIMIT_HEADER] for a in answers] == ["1/3", "2/3", "3/3", "3/3"]
    assert answers[3].headers["Retry-After"] == "1.5" and "Exceeded 2 calls per second" in answers[3].json()["errors"]
    assert get(sandbox, EU_SHOP, {"limit": 1}).status_code == 200  # the bucket is per shop


def test_faults(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(30)
    sandbox.set_faults(rate_limit_next=1, busy_next=1, truncate_next=1, http_503_next=1)
    codes = [get(sandbox, US_SHOP, {"status": "any"}) for _ in range(5)]
    assert [c.status_code for c in codes] == [503, 429, 500, 200, 200]
    assert "Retry-After" in codes[1].headers
    with pytest.raises(ValueError):
        json.loads(codes[3].content)  # the truncated page
    assert json.loads(codes[4].content)["orders"]
    sandbox.set_faults(expire_token=True)
    assert get(sandbox, US_SHOP).status_code == 401


def test_advance_makes_late_updates_visible(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(150)
    before = {i: sandbox.update_time_of(i) for i in range(150)}
    with pytest.raises(ValueError, match="forward"):
        sandbox.advance(sandbox.now_ts - 1)
    sandbox.advance(AS_OF + dt.timedelta(days=4))
    moved = [i for i in range(150) if sandbox.update_time_of(i) > before[i]]
    assert moved and all(sandbox.update_time_of(i) <= sandbox.now_ts for i in range(150))


def test_history_beyond_60_days_needs_read_all_orders(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(120, days=90, read_all_orders=False)
    seen = [o for page in walk(sandbox, EU_SHOP, {"status": "any", "limit": 250}) for o in page]
    limit = sandbox.now_ts - 60 * 86_400
    total = sandbox.generator.indexes_for_shop(EU_SHOP)
    assert seen and len(seen) < len(total)
    assert all(p.parse_time(o["created_at"]).timestamp() >= limit for o in seen)


def test_tap_config_is_complete(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(20)
    config = sandbox.tap_config(EU_SHOP)
    assert set(sandbox.SECRET_CONFIG_KEYS) <= set(config)
    assert config["shop_id"] == EU_SHOP and config["base_url"].endswith(f"/shops/{EU_SHOP}")
    assert dt.datetime.fromisoformat(config["start_date"]).timestamp() == sandbox.start_ts
    assert dt.datetime.fromisoformat(config["end_date"]).timestamp() == sandbox.now_ts + 1
    assert sandbox.start_ts == min(plan.created for plan in sandbox.generator.plans)
    with pytest.raises(KeyError):
        sandbox.tap_config("unknown-shop")
