"""tap-shopify's ``returns`` stream (Admin GraphQL ``Order.returns``) and the refunds the orders carry, against a
started sandbox."""

from __future__ import annotations

import collections
import typing as t

import pytest
from tests.taps.shopify.kit import (  # noqa: F401 - shopify_sandboxes is a fixture
    PII_SALT,
    US_SHOP,
    ShopifySandbox,
    TapFailed,
    run_tap,
    shopify_sandboxes,
    tap_config,
)

from orderlayer.taps.shopify import protocol as p
from orderlayer.taps.shopify.privacy import scrub_return

Factory = t.Callable[..., ShopifySandbox]


def graphql_calls(sandbox: ShopifySandbox) -> list[dict]:
    return [e for e in sandbox.requests if e["path"].endswith("/graphql.json")]


def served_returns(sandbox: ShopifySandbox, shop: str = US_SHOP) -> dict[str, dict]:
    """Every return of the shop's visible orders as the sandbox renders it now, by numeric id, with its order."""
    gen, out = sandbox.generator, {}
    for i in gen.indexes_for_shop(shop):
        if gen.visible(i, sandbox.now_ts):
            for node in gen.returns_of(i, sandbox.now_ts):
                out[p.gid_number(node["id"])] = {**node, "order_id": str(gen.plans[i].order_id)}
    return out


def test_every_return_once_with_its_order_and_no_buyer_words(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(400, days=30)
    result = run_tap(tap_config(sandbox, page_size=20, window_seconds=40 * 86_400))
    expected = served_returns(sandbox)
    got = {r["id"]: r for r in result.returns}
    assert len(result.returns) == len(got) == len(expected) > 10
    for return_id, record in got.items():
        node = expected[return_id]
        served = scrub_return({**node, "id": return_id, "admin_graphql_api_id": node["id"], "shop_id": US_SHOP}, PII_SALT)
        assert {k: v for k, v in record.items() if k != "updated_at"} == served
        assert all(item["customerNote"] is None for item in record["returnLineItems"]["nodes"])
    assert {r["status"] for r in result.returns} == {"CLOSED", "OPEN", "DECLINED"}
    schema = next(m for m in result.messages if m["type"] == "SCHEMA" and m["stream"] == "returns")
    assert schema["key_properties"] == ["shop_id", "id"] and schema["bookmark_properties"] == ["updated_at"]
    # one GraphQL page per 20 orders, each asking for the order search of its window and following the cursor
    calls = graphql_calls(sandbox)
    assert all(c["variables"]["first"] == 20 and c["variables"]["query"].startswith("updated_at:>='") for c in calls)
    assert sum(1 for c in calls if c["variables"].get("after")) == len(calls) - 1 == -(-calls[0]["total"] // 20) - 1
    # the bookmark: the latest order updatedAt that carried a return, as UTC text (never past what was read)
    latest = max(p.utc_text(r["updated_at"]) for r in result.returns)
    assert result.final_state["bookmarks"]["returns"]["replication_key_value"] == latest <= result.bookmark


def test_returns_and_refunds_agree_on_the_order(shopify_sandboxes: Factory) -> None:
    """The sandbox's Returns name the order's refund; a partial refund restocks only when the unit came back."""
    sandbox = shopify_sandboxes(400, days=30)
    result = run_tap(tap_config(sandbox, window_seconds=40 * 86_400))
    orders = {str(o["id"]): o for o in result.records}
    refund_ids = {str(f["id"]) for o in orders.values() for f in o["refunds"]}
    closed = [r for r in result.returns if r["status"] == "CLOSED"]
    assert closed and all(p.gid_number(f["id"]) in refund_ids for r in closed for f in r["refunds"]["nodes"])
    assert all(not r["refunds"]["nodes"] for r in result.returns if r["status"] != "CLOSED")
    returned_orders = {r["order_id"] for r in result.returns}
    restock = collections.Counter(
        (str(o["id"]) in returned_orders, item["restock_type"])
        for o in orders.values() for f in o["refunds"] for item in f["refund_line_items"]
    )
    assert restock[(True, "return")] > 0 and restock[(False, "no_restock")] > 0
    assert restock[(False, "return")] == 0  # goods restocked "on return" always came back as a Return


def test_a_throttled_query_waits_for_its_cost_and_is_retried(shopify_sandboxes: Factory, asked_waits: list[float]) -> None:
    sandbox = shopify_sandboxes(60)
    sandbox.set_faults(graphql_throttled_next=2)
    result = run_tap(tap_config(sandbox))
    assert [c.get("fault") for c in graphql_calls(sandbox)][:3] == ["throttled", "throttled", None]
    # nothing available, a query costs 52 points, 50 come back a second: 1.04 s before each retry
    assert [w for w in asked_waits if w >= 1] == [pytest.approx(52 / 50)] * 2
    assert {r["id"] for r in result.returns} == set(served_returns(sandbox))


def test_without_read_returns_the_sync_fails_naming_the_scope(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(60)
    sandbox.revoke_scope(US_SHOP, "read_returns")
    with pytest.raises(TapFailed) as failed:
        run_tap(tap_config(sandbox))
    assert "ACCESS_DENIED" in str(failed.value.cause) and "read_returns" in str(failed.value.cause)


def test_a_refund_months_after_the_order_comes_with_the_order_again(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(400, days=30)
    first = run_tap(tap_config(sandbox, window_seconds=40 * 86_400))
    gen = sandbox.generator
    late = [i for i in gen.indexes_for_shop(US_SHOP) if "late_refund" in gen.plans[i].events]
    assert late and all(gen.plans[i].events["late_refund"] > sandbox.now_ts for i in late)  # after this sync
    sandbox.advance(max(gen.plans[i].events["late_refund"] for i in late) + 60)
    second = run_tap(tap_config(sandbox, window_seconds=40 * 86_400), state=first.final_state)
    again = {o["id"]: o for o in second.records}
    for i in late:
        plan = gen.plans[i]
        refunds = again[plan.order_id]["refunds"]
        assert len(refunds) == (2 if plan.scenario == "partial_refund" else 1)  # several refunds on one order
        goodwill = refunds[-1]
        assert goodwill["refund_line_items"][0]["restock_type"] == "no_restock"
        assert goodwill["refund_line_items"][0]["line_item_id"] == plan.lines[-1].line_id
        assert again[plan.order_id]["financial_status"] == "partially_refunded"
    facts = {f.channel_order_id: f for f in sandbox.order_facts()}
    i = late[0]
    assert facts[str(gen.plans[i].order_id)].refund_amount == gen.shop_refund_amount(gen.plans[i], gen.refunded_cents(gen.plans[i], gen.plans[i].events))
