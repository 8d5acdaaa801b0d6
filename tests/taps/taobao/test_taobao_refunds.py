"""tap-taobao's ``refunds`` stream (``taobao.refunds.receive.get``) against a started sandbox: windows and backward
pages, the incremental bookmark on the refund's own ``modified``, ids and yuan kept exact, the buyer's text dropped."""

from __future__ import annotations

import copy

from tests.taps.taobao.kit import PII_SALT, SHOP, Factory, refund_calls, run_tap, tap_config, taobao_sandbox  # noqa: F401

from orderlayer.sandboxes.taobao import TaobaoSandbox
from orderlayer.sandboxes.taobao.protocol import parse_time
from orderlayer.taps.common.pii import apply_pii_policy
from orderlayer.taps.taobao.streams import TAOBAO_REFUND_PII_POLICY

DAY = 86_400


def served(sandbox: TaobaoSandbox, shop: str = SHOP) -> dict[str, dict]:
    """The shop's refunds as the sandbox serves them now, by id (as text)."""
    return {str(item["refund_id"]): item for item in sandbox.refund_items(shop)}


def test_full_sync_emits_every_refund_once_as_served(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(600)
    result = run_tap(tap_config(sandbox, page_size=4))
    expected = served(sandbox)
    ids = [r["refund_id"] for r in result.refunds]
    assert len(ids) == len(set(ids)) and set(ids) == set(expected) and len(ids) > 30
    for record in result.refunds:
        item = apply_pii_policy(copy.deepcopy(expected[record["refund_id"]]), TAOBAO_REFUND_PII_POLICY, PII_SALT)
        ids_as_text = {k: str(item[k]) for k in ("refund_id", "tid", "oid")}
        assert record == {**item, **ids_as_text, "shop_id": SHOP}  # lossless apart from the buyer's text and nick
    times = [parse_time(r["modified"]) for r in result.refunds]
    assert times == sorted(times)  # windows emitted oldest first
    bookmark = result.final_state["bookmarks"]["refunds"]
    assert bookmark == {"replication_key": "modified", "replication_key_value": max(r["modified"] for r in result.refunds)}
    calls = refund_calls(sandbox)
    assert all(c["code"] == 0 and c["params"]["page_size"] == "4" for c in calls)
    assert max(c["page_no"] for c in calls) > 2  # really paged


def test_yuan_ids_and_the_buyers_text(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(600)
    records = run_tap(tap_config(sandbox)).refunds
    for record in records:
        assert all(isinstance(record[k], str) and record[k].isdigit() for k in ("refund_id", "tid", "oid"))
        assert record["refund_fee"].count(".") == 1 and len(record["refund_fee"].split(".")[1]) == 2  # yuan as sent
        assert record["desc"] is None and record["buyer_nick"].startswith("sha256:")
    assert any(item["desc"] for item in served(sandbox).values())  # the sandbox did send buyer text
    partial = [r for r in records if r["status"] == "SUCCESS" and r["refund_phase"] == "aftersale" and not r["has_good_return"]]
    assert all(0 < float(r["refund_fee"]) < float(r["payment"]) for r in partial)


def test_incremental_syncs_find_a_refund_months_after_its_trade(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(700)
    state = run_tap(tap_config(sandbox)).final_state
    seen: dict[str, dict] = {}
    for _ in range(3):  # a sync every 40 days: the trade list reaches three months back only
        bookmark = state["bookmarks"]["refunds"]["replication_key_value"]
        sandbox.advance(sandbox.now_ts + 40 * DAY)
        sandbox.clear_log()
        result = run_tap(tap_config(sandbox), state=copy.deepcopy(state))
        assert refund_calls(sandbox)[0]["params"]["start_modified"] <= bookmark  # resumed at the bookmark
        changed = {i for i, item in served(sandbox).items() if item["modified"] >= bookmark}
        assert {r["refund_id"] for r in result.refunds} == changed
        seen |= {r["refund_id"]: r for r in result.refunds}
        state = result.final_state
    late = [r for r in seen.values() if parse_time(r["modified"]) - parse_time(r["created"]) > 0 and r["refund_phase"] == "aftersale"
            and r["has_good_return"] and r["status"] == "SUCCESS"]
    assert late, "a return refunded long after its trade"
    for record in late:
        assert record["sid"] and record["company_name"] and record["good_status"] == "BUYER_RETURNED_GOODS"
        i = next(i for i in sandbox.generator.indexes_for_shop(SHOP) if sandbox.generator.tid_of(i) == record["tid"])
        assert parse_time(record["created"]) - sandbox.generator.timeline(i).created > 60 * DAY
        sub = next(o for o in sandbox.trade(i)["orders"]["order"] if str(o["oid"]) == record["oid"])
        assert sub["refund_status"] == "SUCCESS" and str(sub["refund_id"]) == record["refund_id"]  # the trade says so
