"""tap-pinduoduo's ``refunds`` stream (``pdd.refund.list.increment.get``) against a started sandbox: windows and
pages, the incremental bookmark on the after-sale's own ``updated_time``, ids and yuan kept exact."""

from __future__ import annotations

import copy

from tests.taps.pinduoduo.kit import SHOP, Factory, pdd_sandbox, refund_calls, run_tap, tap_config  # noqa: F401

from orderlayer.sandboxes.pinduoduo.server import PinduoduoSandbox
from orderlayer.taps.pinduoduo import protocol as p

DAY = 86_400


def served(sandbox: PinduoduoSandbox, shop: str = SHOP) -> dict[str, dict]:
    """The shop's after-sales as the sandbox serves them now, by id (as text)."""
    return {str(item["id"]): item for item in sandbox.after_sale_items(shop)}


def test_full_sync_emits_every_after_sale_once_as_served(pdd_sandbox: Factory) -> None:  # noqa: F811
    sandbox = pdd_sandbox(400, days=4)
    result = run_tap(tap_config(sandbox, page_size=1))
    expected = served(sandbox)
    ids = [r["id"] for r in result.refunds]
    assert len(ids) == len(set(ids)) and set(ids) == set(expected) and len(ids) > 20
    for record in result.refunds:
        item = expected[record["id"]]
        ids_as_text = {"id": str(item["id"]), "goods_id": str(item["goods_id"])}
        assert record == {**item, **ids_as_text, "shop_id": SHOP}  # lossless: ids as text, the shop added
        assert record["refund_amount"].count(".") == 1 and len(record["refund_amount"].split(".")[1]) == 2  # yuan as sent
    times = [p.local_text_to_epoch(r["updated_time"]) for r in result.refunds]
    assert times == sorted(times)
    assert result.final_state["bookmarks"]["refunds"] == {"replication_key": "updated_time", "replication_key_value": max(r["updated_time"] for r in result.refunds)}
    calls = refund_calls(sandbox)
    assert all(c["params"]["after_sales_status"] == 1 and c["params"]["after_sales_type"] == 1 for c in calls)
    assert all(0 < c["params"]["end_updated_at"] - c["params"]["start_updated_at"] <= 1800 for c in calls)
    assert max(c["params"]["page"] for c in calls) > 1  # really paged


def test_incremental_sync_follows_the_after_sales_own_update_time(pdd_sandbox: Factory) -> None:  # noqa: F811
    sandbox = pdd_sandbox(400, days=4)
    first = run_tap(tap_config(sandbox))
    state = first.final_state
    bookmark = p.local_text_to_epoch(state["bookmarks"]["refunds"]["replication_key_value"])
    sandbox.advance(sandbox.now_ts + 2 * DAY)
    sandbox.clear_log()
    second = run_tap(tap_config(sandbox), state=copy.deepcopy(state))
    start = refund_calls(sandbox)[0]["params"]["start_updated_at"]
    assert start == bookmark - 300  # resumed at the bookmark, minus the documented overlap
    changed = {i for i, item in served(sandbox).items() if p.local_text_to_epoch(item["updated_time"]) >= start}
    assert {r["id"] for r in second.refunds} == changed
    # after-sales of orders created before this sync's range, found by their own change
    gen = sandbox.generator
    assert any(gen.timeline_of(sandbox.index_of(r["order_sn"])).create < start for r in second.refunds)
    assert {r["id"] for r in second.refunds} - {r["id"] for r in first.refunds}, "new after-sales after the clock moved"
