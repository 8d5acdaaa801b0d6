"""The TikTok Shop sandbox: the generator's universe, and the gateway's checks, paging, tokens and faults
(raw HTTP, signed by hand — no tap involved)."""

from __future__ import annotations

import collections
import json
import time
from decimal import Decimal

import pytest
import requests
from tests.taps.tiktok_shop.kit import AS_OF, GB_SHOP, SHOPS, US_SHOP, VN_SHOP, Factory, tts_sandbox  # noqa: F401 - fixture

from orderlayer.taps.tiktok_shop import protocol as p
from orderlayer.sandboxes.tiktok_shop.generator import PRE_ORDER, SCENARIOS, OrderGenerator
from orderlayer.sandboxes.tiktok_shop.server import TikTokShopSandbox

STATUSES = {"UNPAID", "ON_HOLD", "AWAITING_SHIPMENT", "PARTIALLY_SHIPPING", "AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED", "CANCELLED"}


def call(
    sandbox: TikTokShopSandbox,
    path: str = p.ORDER_SEARCH_PATH,
    *,
    shop: str = US_SHOP,
    method: str = "POST",
    params: dict | None = None,
    body: dict | None = None,
    token: str | None = None,
    secret: str | None = None,
    timestamp: float | None = None,
    drop: tuple[str, ...] = (),
) -> requests.Response:
    """One call signed the way the platform documents it (``drop`` removes query keys after signing)."""
    if params is None:
        params = {"shop_cipher": sandbox.shop_cipher(shop), "page_size": "50", "sort_field": "update_time", "sort_order": "ASC"}
    raw = p.canonical_body(body if body is not None else {}) if method == "POST" else b""
    query = p.signed_query(
        app_key=sandbox.app_key,
        app_secret=secret or sandbox.app_secret,
        path=path,
        params=params,
        body=raw,
        timestamp=int(timestamp if timestamp is not None else time.time()),
    )
    for key in drop:
        query.pop(key, None)
    headers = {"content-type": "application/json", p.ACCESS_TOKEN_HEADER: token if token is not None else sandbox.access_token(shop)}
    return requests.request(method, sandbox.base_url + path, params=query, data=raw or None, headers=headers, timeout=10)


def page_through(sandbox: TikTokShopSandbox, body: dict, size: int = 7) -> tuple[list[dict], list[int]]:
    params = {"shop_cipher": sandbox.shop_cipher(US_SHOP), "page_size": str(size), "sort_field": "update_time", "sort_order": "ASC"}
    orders, totals = [], []
    while True:
        data = call(sandbox, params=params, body=body).json()["data"]
        orders += data["orders"]
        totals.append(data["total_count"])
        if not data["next_page_token"]:
            return orders, totals
        params = {**params, "page_token": data["next_page_token"]}


# --------------------------------------------------------------------------- generator
def test_universe_covers_the_lifecycle_and_is_deterministic() -> None:
    gen = OrderGenerator(11, AS_OF, 200, SHOPS, 10)
    now = gen.as_of_ts
    statuses = collections.Counter(gen.status_at(i, now) for i in range(200))
    assert set(statuses) == STATUSES
    assert {tl.scenario for tl in gen.timelines} == set(SCENARIOS)
    assert [gen.order(i, now) for i in (0, 57, 199)] == [OrderGenerator(11, AS_OF, 200, SHOPS, 10).order(i, now) for i in (0, 57, 199)]
    assert gen.order(0, now) != OrderGenerator(12, AS_OF, 200, SHOPS, 10).order(0, now)
    assert sum(tl.plaintext_pii for tl in gen.timelines) > 0
    assert gen.start_ts == min(tl.events["create"] for tl in gen.timelines)


def test_payloads_follow_the_platform_shape() -> None:
    gen = OrderGenerator(11, AS_OF, 200, SHOPS, 10)
    now = gen.as_of_ts
    currencies = {US_SHOP: "USD", GB_SHOP: "GBP", VN_SHOP: "VND"}
    big_sku_seen = False
    on_hold_unpaid_preorders = 0
    for i in range(200):
        order = gen.order(i, now)
        assert isinstance(order["id"], str) and len(order["id"]) == 18 and int(order["id"]) > 2**53
        pay = order["payment"]
        assert pay["currency"] == currencies[gen.shop_id_of(i)]
        assert all(isinstance(v, str) for v in pay.values())  # amounts are decimal strings
        if pay["currency"] == "VND":
            assert "." not in pay["total_amount"]
        lines = order["line_items"]
        assert all("quantity" not in line for line in lines)  # one line item per unit
        assert len({line["id"] for line in lines}) == len(lines)
        assert Decimal(pay["original_total_product_price"]) == sum(Decimal(line["original_price"]) for line in lines)
        assert Decimal(pay["sub_total"]) == sum(Decimal(line["sale_price"]) for line in lines)
        assert Decimal(pay["total_amount"]) == Decimal(pay["sub_total"]) + Decimal(pay["shipping_fee"]) + Decimal(pay.get("tax", "0"))
        assert ("paid_time" in order) == (gen.timelines[i].events.get("pay", now + 1) <= now)
        if gen.timelines[i].scenario == PRE_ORDER and order["status"] == "ON_HOLD":
            # payment is captured a day before release: until then an ON_HOLD pre-order is unpaid
            assert ("paid_time" in order) == (now >= order["release_date"] - 86_400)
            on_hold_unpaid_preorders += "paid_time" not in order
        big_sku_seen |= any(line["sku_id"] == "9007199254740993" for line in lines)  # 2^53 + 1
    assert big_sku_seen
    assert on_hold_unpaid_preorders > 0


def test_order_facts_agree_with_the_payloads(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(120)
    facts = {f.channel_order_id: f for f in sandbox.order_facts()}
    assert len(facts) == 120
    for i in range(120):
        order = sandbox.order(i)
        fact = facts[order["id"]]
        assert fact.channel == "tiktok_shop" and fact.shop_id == sandbox.generator.shop_id_of(i)
        assert fact.currency == order["payment"]["currency"]
        if "paid_time" in order:
            assert fact.paid_amount == Decimal(order["payment"]["total_amount"])
        if order["status"] == "CANCELLED":
            assert fact.status == "cancelled"
            assert fact.refund_amount == (fact.paid_amount if "paid_time" in order else 0)


# --------------------------------------------------------------------------- serving
def test_serves_a_window_ascending_with_cursor_paging(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(150)
    ge, lt = sandbox.start_ts + 86_400, sandbox.now_ts - 86_400
    orders, totals = page_through(sandbox, {"update_time_ge": ge, "update_time_lt": lt})
    ids = [o["id"] for o in orders]
    assert ids and len(ids) == len(set(ids)) == totals[0]
    assert set(ids) == sandbox.ids_updated_between(US_SHOP, ge, lt)
    times = [o["update_time"] for o in orders]
    assert times == sorted(times) and ge <= times[0] and times[-1] < lt  # ge inclusive, lt exclusive
    assert len(totals) > 2 and len(set(totals)) == 1


def test_update_time_bounds_are_half_open(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(60)
    t0 = sandbox.order(0)["update_time"]
    shop = sandbox.generator.shop_id_of(0)
    params = {"shop_cipher": sandbox.shop_cipher(shop), "page_size": "100", "sort_field": "update_time", "sort_order": "ASC"}
    ids = lambda body: {o["id"] for o in call(sandbox, shop=shop, params=params, body=body).json()["data"]["orders"]}  # noqa: E731
    assert sandbox.order(0)["id"] in ids({"update_time_ge": t0, "update_time_lt": t0 + 1})
    assert sandbox.order(0)["id"] not in ids({"update_time_ge": t0 - 10, "update_time_lt": t0})


@pytest.mark.parametrize(
    ("kwargs", "code", "status", "fragment"),
    [
        ({"secret": "wrong-secret"}, p.CODE_SIGN_INVALID, 401, "`sign`"),
        ({"drop": ("sign",)}, p.CODE_INVALID_PARAMETER, 401, "Missing credentials"),
        # offsets from the wall clock when the call is made (not at collection: a loaded run may start later)
        ({"timestamp_offset": -301}, p.CODE_INVALID_PARAMETER, 400, "earlier than 5 minutes"),
        ({"timestamp_offset": 40}, p.CODE_INVALID_PARAMETER, 400, "more than 30 seconds"),
        ({"token": "TTP_unknown"}, p.CODE_INVALID_PARAMETER, 401, "x-tts-access-token"),
        ({"params": {"page_size": "10"}}, p.CODE_SHOP_CIPHER_MISSING, 200, "shop_cipher"),
        ({"params": {"page_size": "101", "shop_cipher": "@us"}}, p.CODE_INVALID_PARAMETER, 400, "page_size"),
        ({"params": {"page_size": "10", "shop_cipher": "@gb"}}, p.CODE_TOKEN_SHOP_MISMATCH, 200, "shop_cipher"),
        ({"method": "GET"}, p.CODE_INVALID_METHOD, 405, "method"),
        ({"path": "/order/202309/orders/searchx"}, p.CODE_INVALID_PATH, 404, "path"),
    ],
)
def test_rejects_what_the_gateway_rejects(tts_sandbox: Factory, kwargs: dict, code: int, status: int, fragment: str) -> None:
    sandbox = tts_sandbox(20)
    if "params" in kwargs and "shop_cipher" in kwargs["params"]:
        kwargs["params"]["shop_cipher"] = sandbox.shop_cipher(US_SHOP if kwargs["params"]["shop_cipher"] == "@us" else GB_SHOP)
    if "timestamp_offset" in kwargs:
        kwargs["timestamp"] = time.time() + kwargs.pop("timestamp_offset")
    resp = call(sandbox, **kwargs)
    payload = resp.json()
    assert (resp.status_code, payload["code"]) == (status, code)
    assert fragment in payload["message"] and payload["request_id"]


def test_timestamp_slightly_ahead_is_accepted(tts_sandbox: Factory) -> None:
    now = time.time()
    sandbox = tts_sandbox(20, wall_clock=lambda: now)  # the gateway's clock stands still: no margin eaten by a slow run
    assert call(sandbox, timestamp=now + 20).json()["code"] == 0
    assert call(sandbox, timestamp=now - 290).json()["code"] == 0


def test_page_token_is_bound_to_its_query_and_window_cap_is_enforced(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(150, max_window_seconds=86_400)
    params = {"shop_cipher": sandbox.shop_cipher(US_SHOP), "page_size": "2", "sort_field": "update_time", "sort_order": "ASC"}
    body = {"update_time_ge": sandbox.now_ts - 86_400, "update_time_lt": sandbox.now_ts}
    token = call(sandbox, params=params, body=body).json()["data"]["next_page_token"]
    assert token
    moved = call(sandbox, params={**params, "page_token": token}, body={**body, "update_time_lt": sandbox.now_ts - 1}).json()
    assert moved["code"] == p.CODE_INVALID_PARAMETER and "page_token" in moved["message"]
    wide = call(sandbox, params=params, body={"update_time_ge": sandbox.now_ts - 86_401, "update_time_lt": sandbox.now_ts}).json()
    assert wide["code"] == p.CODE_INVALID_PARAMETER and "86400 seconds" in wide["message"]


def test_rate_limit_and_faults(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(30, qps=2, retry_after_seconds=0.5)
    answers = [call(sandbox) for _ in range(4)]
    assert answers[0].json()["code"] == 0
    limited = [a for a in answers if a.status_code == 429]
    assert limited and limited[0].json()["code"] == p.CODE_TOO_MANY_REQUESTS and limited[0].headers["Retry-After"] == "0.5"

    sandbox.qps = None
    sandbox.set_faults(rate_limit_next=1, busy_next=1, http_503_next=1, truncate_next=1)
    assert call(sandbox).status_code == 503  # the gateway outage comes first
    assert call(sandbox).json()["code"] == p.CODE_TOO_MANY_REQUESTS
    assert call(sandbox).json()["code"] == p.CODE_REQUEST_TIMEOUT
    truncated = call(sandbox)
    assert truncated.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(truncated.content)
    assert call(sandbox).json()["code"] == 0
    assert [e.get("fault") for e in sandbox.requests if e.get("fault")] == ["http_503", "rate_limit", "busy", "truncate"]


def test_tokens_expire_refresh_and_list_the_shop(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(20)
    old = sandbox.access_token(US_SHOP)
    shops = call(sandbox, p.AUTHORIZED_SHOPS_PATH, method="GET", params={}).json()
    assert shops["code"] == 0
    assert [(s["id"], s["cipher"]) for s in shops["data"]["shops"]] == [(US_SHOP, sandbox.shop_cipher(US_SHOP))]

    sandbox.expire_tokens()
    expired = call(sandbox)
    assert (expired.status_code, expired.json()["code"]) == (401, p.CODE_TOKEN_EXPIRED)

    refresh = {"app_key": sandbox.app_key, "app_secret": sandbox.app_secret, "refresh_token": sandbox.refresh_token(US_SHOP), "grant_type": "refresh_token"}
    bad = requests.get(sandbox.base_url + p.TOKEN_REFRESH_PATH, params={**refresh, "app_secret": "nope"}, timeout=10).json()
    assert bad["code"] != 0
    fresh = requests.get(sandbox.base_url + p.TOKEN_REFRESH_PATH, params=refresh, timeout=10).json()
    assert fresh["code"] == 0 and fresh["data"]["access_token"] != old
    assert fresh["data"]["access_token_expire_in"] > time.time()
    assert call(sandbox, token=fresh["data"]["access_token"]).json()["code"] == 0
    assert call(sandbox, token=old).json()["code"] == p.CODE_TOKEN_EXPIRED


def test_request_log_has_no_secrets(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(20)
    call(sandbox)
    requests.get(
        sandbox.base_url + p.TOKEN_REFRESH_PATH,
        params={"app_key": sandbox.app_key, "app_secret": sandbox.app_secret, "refresh_token": sandbox.refresh_token(US_SHOP), "grant_type": "refresh_token"},
        timeout=10,
    )
    log = json.dumps(sandbox.requests)
    for secret in (sandbox.app_secret, sandbox.refresh_token(US_SHOP), sandbox.access_token(US_SHOP), '"sign"'):
        assert secret not in log


def test_advance_reveals_late_updates(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(150)
    before = {sandbox.order(i)["id"]: sandbox.order(i)["status"] for i in range(150)}
    later = sandbox.now_ts + 5 * 86_400
    sandbox.advance(later)
    changed = sandbox.ids_updated_between(US_SHOP, AS_OF.timestamp() + 1, later + 1)
    assert changed
    after = {sandbox.order(i)["id"]: sandbox.order(i)["status"] for i in range(150)}
    assert any(before[k] != after[k] for k in changed)
    assert "UNPAID" not in after.values()  # the platform cancels unpaid orders after a day
    with pytest.raises(ValueError, match="forward"):
        sandbox.advance(later - 1)


def test_control_endpoints(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(20)
    assert requests.post(sandbox.base_url + "/_sandbox/faults", json={"busy_next": 1}, timeout=10).json()["busy_next"] == 1
    assert call(sandbox).json()["code"] == p.CODE_REQUEST_TIMEOUT
    state = requests.get(sandbox.base_url + "/_sandbox/state", timeout=10).json()
    assert state["n_orders"] == 20 and state["shop_ids"] == list(SHOPS)
