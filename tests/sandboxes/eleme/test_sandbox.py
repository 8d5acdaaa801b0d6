"""The Ele.me sandbox: protocol checks (signature, source, timestamp, ticket replay, token, shop), limits,
faults, and the generator (fact sheet §B4 shape, fen arithmetic, lifecycle)."""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal

import pytest
import requests
from tests.taps.eleme.kit import AS_OF, OTHER_SHOP, SHOP, make_eleme  # noqa: F401 - fixture

from orderlayer.taps.eleme import protocol as p
from orderlayer.sandboxes.eleme.generator import ElemeGenerator


def post(sandbox, cmd: str, params: dict, *, secret: str | None = None, source: str | None = None, ts: int | None = None,
         ticket: str | None = None, token: str | None = None) -> dict:
    form = p.signed_form(cmd, p.encode_body(params), source=source or sandbox.source, secret=secret or sandbox.secret,
                         ticket=ticket or str(uuid.uuid4()).upper(), timestamp=int(time.time()) if ts is None else ts,
                         access_token=token)
    return requests.post(sandbox.base_url + "/", data=form, timeout=5).json()


def window(sandbox) -> dict:
    return {"shop_id": SHOP, "start_time": sandbox.now_ts - 86_400, "end_time": sandbox.now_ts, "page": 1}


def test_valid_call_answers_the_documented_envelope(make_eleme) -> None:
    sandbox = make_eleme(40)
    answer = post(sandbox, p.CMD_ORDER_LIST, window(sandbox))
    assert answer["cmd"] == "resp.order.list" and answer["body"]["errno"] == 0 and answer["version"] == "3"
    data = answer["body"]["data"]
    assert set(data) == {"total", "page", "pages", "list"} and data["page"] == 1
    created = [int(item["create_time"]) for item in data["list"]]
    assert created == sorted(created, reverse=True)  # newest first: the tap must not rely on the order
    entry = sandbox.requests[-1]
    assert entry["errno"] == 0 and entry["params"]["shop_id"] == SHOP
    assert sandbox.secret not in json.dumps(entry) and "sign" not in entry and "ticket" not in entry


@pytest.mark.parametrize(
    ("kwargs", "errno"),
    [
        ({"secret": "wrong"}, p.SANDBOX_ERRNO_SIGNATURE),
        ({"source": "1"}, p.SANDBOX_ERRNO_SOURCE),
        ({"ts": 1_500_000_000}, p.SANDBOX_ERRNO_TIMESTAMP),
    ],
)
def test_signature_source_and_timestamp_are_verified(make_eleme, kwargs: dict, errno: int) -> None:
    sandbox = make_eleme(20)
    assert post(sandbox, p.CMD_ORDER_LIST, window(sandbox), **kwargs)["body"]["errno"] == errno


def test_a_ticket_is_accepted_once(make_eleme) -> None:
    sandbox = make_eleme(20)
    ticket = str(uuid.uuid4()).upper()
    assert post(sandbox, p.CMD_ORDER_LIST, window(sandbox), ticket=ticket)["body"]["errno"] == 0
    assert post(sandbox, p.CMD_ORDER_LIST, window(sandbox), ticket=ticket)["body"]["errno"] == p.SANDBOX_ERRNO_TICKET_REUSED


def test_isv_token_expiry_and_shop_permissions(make_eleme) -> None:
    sandbox = make_eleme(20, require_access_token=True)
    token = sandbox.access_token(SHOP)
    assert post(sandbox, p.CMD_ORDER_LIST, window(sandbox))["body"]["errno"] == p.SANDBOX_ERRNO_PERMISSION  # no token
    assert post(sandbox, p.CMD_ORDER_LIST, window(sandbox), token=token)["body"]["errno"] == 0
    other = {**window(sandbox), "shop_id": OTHER_SHOP}
    assert post(sandbox, p.CMD_ORDER_LIST, other, token=token)["body"]["errno"] == p.SANDBOX_ERRNO_PERMISSION
    sandbox.set_faults(expire_token=True)
    assert post(sandbox, p.CMD_ORDER_LIST, window(sandbox), token=token)["body"]["errno"] == p.SANDBOX_ERRNO_TOKEN_EXPIRED


def test_window_limit_unknown_orders_and_revoked_shops(make_eleme) -> None:
    sandbox = make_eleme(20, max_window_seconds=3_600)
    assert post(sandbox, p.CMD_ORDER_LIST, window(sandbox))["body"]["errno"] == p.SANDBOX_ERRNO_PARAM
    assert post(sandbox, p.CMD_ORDER_GET, {"order_id": "1"})["body"]["errno"] == p.SANDBOX_ERRNO_NOT_FOUND
    assert post(sandbox, "order.nonsense", {})["body"]["errno"] == p.SANDBOX_ERRNO_PARAM
    sandbox.revoke(SHOP)
    small = {**window(sandbox), "start_time": sandbox.now_ts - 600}
    assert post(sandbox, p.CMD_ORDER_LIST, small)["body"]["errno"] == p.SANDBOX_ERRNO_PERMISSION


def test_faults(make_eleme) -> None:
    sandbox = make_eleme(20, retry_after_seconds=1.5)
    sandbox.set_faults(rate_limit_next=1, busy_next=1, truncate_next=1)
    url = sandbox.base_url + "/"
    form = lambda: p.signed_form(p.CMD_ORDER_LIST, p.encode_body(window(sandbox)), source=sandbox.source, secret=sandbox.secret,  # noqa: E731
                                 ticket=str(uuid.uuid4()).upper(), timestamp=int(time.time()))
    limited = requests.post(url, data=form(), timeout=5)
    assert limited.json()["body"]["errno"] == p.SANDBOX_ERRNO_RATE_LIMITED and limited.headers["Retry-After"] == "1.5"
    assert requests.post(url, data=form(), timeout=5).json()["body"]["errno"] == p.SANDBOX_ERRNO_BUSY
    with pytest.raises(ValueError):
        json.loads(requests.post(url, data=form(), timeout=5).content)
    assert requests.post(url, data=form(), timeout=5).json()["body"]["errno"] == 0


def test_paging_fault_reveals_an_order_mid_window(make_eleme) -> None:
    sandbox = make_eleme(150, page_size=5, max_window_seconds=30 * 86_400)
    params = {"shop_id": SHOP, "start_time": sandbox.start_ts, "end_time": sandbox.now_ts, "page": 1}
    listed = [sandbox.generator.index_of(x["order_id"]) for x in post(sandbox, p.CMD_ORDER_LIST, {**params, "page": 1})["body"]["data"]["list"]]
    sandbox.hide({listed[0]})
    sandbox.set_faults(update_during_paging=1)
    before = post(sandbox, p.CMD_ORDER_LIST, params)["body"]["data"]["total"]
    after = post(sandbox, p.CMD_ORDER_LIST, {**params, "page": 2})["body"]["data"]["total"]
    assert after == before + 1 and sandbox.requests[-1]["fault"] == "update_during_paging"


def test_generator_follows_the_sheet_shape_and_is_deterministic() -> None:
    one = ElemeGenerator(7, AS_OF, 60, [SHOP])
    two = ElemeGenerator(7, AS_OF, 60, [SHOP])
    now = one.as_of_ts
    assert [one.order(i, now) for i in range(60)] == [two.order(i, now) for i in range(60)]
    data = one.order(0, now)
    assert set(data) == {"source", "shop", "order", "user", "products", "discount"}
    order = data["order"]
    assert len(order["order_id"]) == 14 and order["order_id"].startswith(order["create_time"])
    assert len(order["eleme_order_id"]) == 19 and int(order["eleme_order_id"]) > 2**53
    # the sample's types: these times are strings, those integers
    assert all(isinstance(order[k], str) for k in ("create_time", "confirm_time", "finished_time", "cancel_time", "send_time"))
    assert all(isinstance(order[k], int) for k in ("pickup_time", "atshop_time", "delivery_time", "total_fee", "user_fee"))
    assert isinstance(data["products"], list) and all(isinstance(bag, list) for bag in data["products"])


def test_fen_amounts_add_up() -> None:
    gen = ElemeGenerator(7, AS_OF, 300, [SHOP])
    later = gen.as_of_ts + 5 * 86_400
    for plan in gen.plans:
        order = gen.order(plan.index, later)["order"]
        products = [x for bag in gen.order(plan.index, later)["products"] for x in bag]
        assert all(x["product_fee"] == x["product_price"] * x["product_amount"] for x in products)
        assert order["total_fee"] == sum(x["total_fee"] for x in products) + order["send_fee"]
        assert order["user_fee"] == order["total_fee"] - order["discount_fee"]
        assert 0 <= gen.refunded_at(plan, later) <= order["user_fee"]


def test_lifecycle_statuses_refunds_and_late_updates() -> None:
    gen = ElemeGenerator(7, AS_OF, 400, [SHOP], days=10)
    reached = {gen.status_at(pl, at) for pl in gen.plans for at in [pl.ctime, *pl.events.values()]}
    assert reached == {1, 5, 7, 8, 9, 10}
    later = gen.as_of_ts + 3 * 86_400
    refund_states = {r["status"] for pl in gen.plans for r in gen.part_refunds_at(pl, later)}
    assert refund_states == {10, 20, 30}  # applied (open), agreed, and a second request rejected
    def seen(pl, at: int) -> tuple:
        return gen.order(pl.index, at), gen.part_refunds_at(pl, at)

    late = [pl for pl in gen.plans if seen(pl, gen.as_of_ts) != seen(pl, later)]
    assert late, "events after the clock (mostly partial refunds) become visible when it advances"
    scheduled = [pl for pl in gen.plans if pl.send_time != 1]
    assert scheduled and all(gen.order(pl.index, later)["order"]["send_immediately"] == 0 for pl in scheduled)


def test_planted_plaintext_pii_and_privacy_numbers() -> None:
    gen = ElemeGenerator(7, AS_OF, 200, [SHOP])
    now = gen.as_of_ts
    plain = [pl for pl in gen.plans if pl.plaintext_pii]
    assert 3 <= len(plain) <= 30
    for pl in gen.plans:
        data = gen.order(pl.index, now)
        assert data["order"]["is_private"] == (0 if pl.plaintext_pii else 1)
        assert ("," in data["user"]["phone"]) == (not pl.plaintext_pii)


def test_order_facts_match_what_is_served(make_eleme) -> None:
    sandbox = make_eleme(80)
    facts = {f.channel_order_id: f for f in sandbox.order_facts()}
    for i in sandbox.visible_indexes(SHOP):
        order = sandbox.order(i)["order"]
        fact = facts[order["order_id"]]
        assert fact.channel == "eleme" and fact.shop_id == SHOP and fact.currency == "CNY"
        assert fact.paid_amount == Decimal(order["user_fee"]) / 100
        assert fact.status == {1: "paid", 5: "paid", 7: "paid", 8: "shipped", 9: "completed", 10: "cancelled"}[order["status"]]
        if order["status"] == 10:
            assert fact.refund_amount == fact.paid_amount
    config = sandbox.tap_config(SHOP)
    assert set(type(sandbox).SECRET_CONFIG_KEYS) == {"secret", "access_token", "pii_salt"} and "access_token" not in config
