"""tap-youzan's ``refunds`` stream (``youzan.trade.refund.search``) against a started sandbox: windows and pages,
the incremental bookmark on the refund's own ``modified``, yuan and ids kept as sent."""

from __future__ import annotations

import copy

from tests.taps.youzan.kit import SHOP, Factory, make_youzan, refund_calls, run_tap, tap_config  # noqa: F401

from orderlayer.sandboxes.youzan.server import YouzanSandbox
from orderlayer.taps.youzan import protocol as p

DAY = 86_400


def served(sandbox: YouzanSandbox, shop: str = SHOP) -> dict[str, dict]:
    """The shop's refunds as the sandbox serves them now, by id."""
    return {item["refund_id"]: item for item in sandbox.refund_items(shop)}


def test_full_sync_emits_every_refund_once_as_served(make_youzan: Factory) -> None:  # noqa: F811
    sandbox = make_youzan(600)
    result = run_tap(tap_config(sandbox, page_size=3))
    expected = served(sandbox)
    ids = [r["refund_id"] for r in result.refunds]
    assert len(ids) == len(set(ids)) and set(ids) == set(expected) and len(ids) > 20
    for record in result.refunds:
        assert record == {"kdt_id": SHOP, **expected[record["refund_id"]]}  # lossless, the shop added
        assert record["refund_fee"].count(".") == 1 and len(record["refund_fee"].split(".")[1]) == 2  # yuan as sent
    times = [(p.parse_local(r["modified"]), r["refund_id"]) for r in result.refunds]
    assert times == sorted(times)
    assert result.final_state["bookmarks"]["refunds"] == {"replication_key": "modified", "replication_key_value": max(r["modified"] for r in result.refunds)}
    calls = refund_calls(sandbox)
    assert all(isinstance(c["params"]["update_time_start"], int) and c["params"]["page_size"] == 3 for c in calls)
    assert max(c["params"]["page_no"] for c in calls) > 1  # really paged


def test_incremental_sync_finds_a_refund_months_after_its_order(make_youzan: Factory) -> None:  # noqa: F811
    sandbox = make_youzan(700)
    first = run_tap(tap_config(sandbox))
    state = first.final_state
    bookmark = state["bookmarks"]["refunds"]["replication_key_value"]
    sandbox.advance(sandbox.now_ts + 110 * DAY)
    sandbox.clear_log()
    second = run_tap(tap_config(sandbox), state=copy.deepcopy(state))
    assert refund_calls(sandbox)[0]["params"]["update_time_start"] == p.parse_local(bookmark)  # resumed at the bookmark
    changed = {i for i, item in served(sandbox).items() if item["modified"] >= bookmark}
    assert {r["refund_id"] for r in second.refunds} == changed
    gen = sandbox.generator
    by_tid = {gen.tid_of(i): i for i in gen.indexes_for_shop(SHOP)}
    late = [r for r in second.refunds if r["status"] == "SUCCESS" and r["return_goods"]
            and p.parse_local(r["modified"]) - gen.timelines[by_tid[r["tid"]]].create > 60 * DAY]
    assert late, "a return refunded months after its order"
    for record in late:  # the order says so: partially refunded, updated with the refund
        info = sandbox.order(by_tid[record["tid"]])["order_info"]
        assert info["refund_state"] == 2 and info["update_time"] == record["modified"]
