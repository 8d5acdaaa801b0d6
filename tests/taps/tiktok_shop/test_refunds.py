"""tap-tiktok-shop's ``returns`` stream (Return & Refund API return search) against a started sandbox."""

from __future__ import annotations

import collections
from decimal import Decimal

from tests.taps.tiktok_shop.kit import (  # noqa: F401 - tts_sandbox is a fixture
    PII_SALT,
    US_SHOP,
    VN_SHOP,
    Factory,
    SyncResult,
    run_tap,
    tap_config,
    tts_sandbox,
)

from orderlayer.sandboxes.kit.world import DAY
from orderlayer.sandboxes.tiktok_shop import returns as cases
from orderlayer.taps.tiktok_shop import protocol as p
from orderlayer.taps.tiktok_shop.streams import scrub_return


def return_calls(sandbox: object) -> list[dict]:
    return [e for e in sandbox.requests if e["path"] == p.RETURN_SEARCH_PATH]  # type: ignore[attr-defined]


def returns_of(result: SyncResult) -> list[dict]:
    return result.returns


def served(sandbox: object, shop: str) -> dict[str, dict]:
    """Every return of the shop as the search serves it now, by id."""
    book = sandbox.returns  # type: ignore[attr-defined]
    ids = sandbox.return_ids_updated_between(shop, 0, 2**40)  # type: ignore[attr-defined]
    return {rt.return_id: sandbox.return_record(r) for r, rt in enumerate(book.returns) if rt.return_id in ids}  # type: ignore[attr-defined]


def test_full_sync_emits_every_return_once_as_served_without_buyer_text(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(400, days=30)
    result = run_tap(tap_config(sandbox, page_size=7))
    records = returns_of(result)
    expected = served(sandbox, US_SHOP)
    assert len(records) == len(expected) > 10
    assert [r["return_id"] for r in records].count(records[0]["return_id"]) == 1
    for record in records:
        assert record == scrub_return({**expected[record["return_id"]], "shop_id": US_SHOP}, PII_SALT)
        assert record["buyer_remarks"] is None  # the buyer's free text never leaves the tap
    times = [r["update_time"] for r in records]
    assert times == sorted(times)
    assert result.final_state["bookmarks"]["returns"] == {"replication_key": "update_time", "replication_key_value": max(times)}
    schema = next(m for m in result.messages if m["type"] == "SCHEMA" and m["stream"] == "returns")
    assert schema["key_properties"] == ["shop_id", "return_id"] and schema["bookmark_properties"] == ["update_time"]
    # every call asked for update_time ascending, pages of 7, the whole range in contiguous windows
    calls = return_calls(sandbox)
    assert {(c["query"]["sort_field"], c["query"]["sort_order"], c["query"]["page_size"]) for c in calls} == {("update_time", "ASC", "7")}
    windows = sorted({(c["body"]["update_time_ge"], c["body"]["update_time_lt"]) for c in calls})
    assert all(windows[k][1] == windows[k + 1][0] for k in range(len(windows) - 1))
    assert sum(c["returned"] for c in calls) == len(records)
    assert any(c["offset"] > 0 for c in calls), "a window of more than one page is followed by its cursor"


def test_the_sandbox_serves_every_case_consistent_with_its_orders(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(400, days=30)
    gen, book = sandbox.generator, sandbox.returns
    seen = collections.Counter(book.case_of(gen.timelines[rt.order_index]) for rt in book.returns)
    assert set(seen) == set(cases.CASES) - {cases.NONE}
    per_order = collections.Counter(rt.order_index for rt in book.returns)
    assert max(per_order.values()) == 2  # several refunds on one order
    for rt in book.returns:
        tl = gen.timelines[rt.order_index]
        assert rt.events["request"] > tl.events["deliver"]  # only delivered orders are returned
        if book.case_of(tl) == cases.MONTHS_LATER:
            assert rt.events["request"] >= tl.events["complete"] + 60 * DAY
        if book.case_of(tl) == cases.AFTER_COMPLETION:
            assert rt.events["request"] > tl.events["complete"]
        line_ids = {u.line_id for u in tl.units}
        if sandbox.now_ts >= rt.events["request"]:
            record = book.render(rt, sandbox.now_ts, tl.order_id)
            assert {item["order_line_item_id"] for item in record["return_line_items"]} <= line_ids


def test_amounts_are_decimal_strings_in_the_shops_units(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(400, days=30)
    us = returns_of(run_tap(tap_config(sandbox, US_SHOP)))
    vn = returns_of(run_tap(tap_config(sandbox, VN_SHOP)))
    assert us and vn
    for record in us:
        total = record["refund_amount"]["refund_total"]
        assert record["refund_amount"]["currency"] == "USD" and Decimal(total).as_tuple().exponent == -2
        lines = sum(Decimal(i["refund_amount"]["refund_subtotal"]) for i in record["return_line_items"])
        assert Decimal(record["refund_amount"]["refund_subtotal"]) == (0 if record["return_type"] == "REPLACEMENT" else lines)
    assert all(r["refund_amount"]["currency"] == "VND" and "." not in r["refund_amount"]["refund_total"] for r in vn)


def test_incremental_sync_finds_a_refund_months_after_its_order(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(400, days=30)
    first = run_tap(tap_config(sandbox))
    bookmark = first.final_state["bookmarks"]["returns"]["replication_key_value"]
    first_ids = {r["return_id"] for r in returns_of(first)}
    first_now = sandbox.now_ts
    sandbox.advance(sandbox.now_ts + 120 * DAY)
    sandbox.clear_log()
    second = run_tap(tap_config(sandbox, lookback_seconds=600, window_seconds=30 * DAY), state=first.final_state)
    assert return_calls(sandbox)[0]["body"]["update_time_ge"] == bookmark - 600
    new = {r["return_id"]: r for r in returns_of(second)}
    assert set(new) == sandbox.return_ids_updated_between(US_SHOP, bookmark - 600, sandbox.now_ts + 1)
    gen, book = sandbox.generator, sandbox.returns
    late = [rt for rt in book.returns if book.case_of(gen.timelines[rt.order_index]) == cases.MONTHS_LATER
            and gen.shop_id_of(rt.order_index) == US_SHOP]
    assert late and all(rt.return_id in new and rt.return_id not in first_ids for rt in late)
    orders_again = set(second.order_ids)
    # an order that had settled before the first sync does not change again: it is not synced again, and its refund,
    # months later, is found on its own
    settled = [rt for rt in late if max(gen.timelines[rt.order_index].events.values()) <= first_now - 600]
    assert settled and all(gen.timelines[rt.order_index].order_id not in orders_again for rt in settled)
    assert all(new[rt.return_id]["return_status"] == "RETURN_OR_REFUND_REQUEST_COMPLETE" for rt in late)


def test_cancellations_agree_with_their_orders(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(400, days=30)
    result = run_tap(tap_config(sandbox, page_size=9))
    cancels = result.stream_records("cancellations")
    path = p.CANCELLATION_SEARCH_PATH
    assert {c["cancel_id"] for c in cancels} == sandbox.after_sale_ids_updated_between(path, US_SHOP, 0, 2**40) and len(cancels) > 5
    orders = {o["id"]: o for o in result.records}
    statuses = collections.Counter(c["cancel_status"] for c in cancels)
    assert set(statuses) == {"CANCELLATION_REQUEST_PENDING", "CANCELLATION_REQUEST_COMPLETE"}
    for c in cancels:
        order = orders[c["order_id"]]
        units = {item["order_line_item_id"] for item in c["cancel_line_items"]}
        if units == {line["id"] for line in order["line_items"]}:  # the whole order
            assert c["refund_amount"]["refund_total"] == order["payment"]["total_amount"]
            assert (order["status"] == "CANCELLED") == (c["cancel_status"] == "CANCELLATION_REQUEST_COMPLETE")
        else:  # one unit, shown cancelled on the order
            (unit,) = [line for line in order["line_items"] if line["id"] in units]
            assert unit["display_status"] == "CANCELLED" and c["refund_amount"]["refund_total"] == unit["sale_price"]
    schema = next(m for m in result.messages if m["type"] == "SCHEMA" and m["stream"] == "cancellations")
    assert schema["key_properties"] == ["shop_id", "cancel_id"]
    assert [m["stream"] for m in result.messages if m["type"] == "SCHEMA"] == ["orders", "returns", "cancellations"]
