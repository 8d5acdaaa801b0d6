"""tap-douyin's ``after_sales`` stream (``afterSale/List``) against a started sandbox: paging, windows, the
incremental bookmark on the after-sale's own update_time, units kept as sent, the shop's free text dropped."""

from __future__ import annotations

import copy
import typing as t

from tests.taps.douyin.kit import PII_SALT, SHOP, after_sale_calls, run_tap, tap_config

from orderlayer.sandboxes.douyin import generator as g
from orderlayer.sandboxes.douyin.server import DouyinSandbox
from orderlayer.taps.common.pii import apply_pii_policy
from orderlayer.taps.douyin.streams import DOUYIN_AFTER_SALE_PII_POLICY

Factory = t.Callable[..., DouyinSandbox]
DAY = 86_400


def served(sandbox: DouyinSandbox, shop: str = SHOP) -> dict[str, dict]:
    """The shop's after-sale items as the sandbox serves them now, by id."""
    return {item["aftersale_info"]["aftersale_id"]: item for item in sandbox.after_sale_items(shop)}


def test_full_sync_emits_every_after_sale_once_as_served(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(500)
    result = run_tap(tap_config(sandbox))
    records = result.after_sales
    expected = served(sandbox)
    ids = [r["aftersale_id"] for r in records]
    assert len(ids) == len(set(ids)) and set(ids) == set(expected)
    assert len(ids) > 40
    for record in records:
        item = apply_pii_policy(copy.deepcopy(expected[record["aftersale_id"]]), DOUYIN_AFTER_SALE_PII_POLICY, PII_SALT)
        info = item["aftersale_info"]
        # lossless apart from the shop's free text, plus the key, bookmark and shop the tap copies to the top
        assert record == {**item, "aftersale_id": info["aftersale_id"], "update_time": info["update_time"], "shop_id": int(SHOP)}
    times = [r["update_time"] for r in records]
    assert times == sorted(times)
    assert result.final_state["bookmarks"]["after_sales"] == {"replication_key": "update_time", "replication_key_value": max(times)}
    schema = next(m for m in result.messages if m["type"] == "SCHEMA" and m["stream"] == "after_sales")
    assert schema["key_properties"] == ["shop_id", "aftersale_id"] and schema["bookmark_properties"] == ["update_time"]


def test_units_and_ids_are_kept_as_the_platform_sends_them(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(500)
    records = run_tap(tap_config(sandbox)).after_sales
    for record in records:
        info = record["aftersale_info"]
        assert isinstance(info["aftersale_id"], str) and len(info["aftersale_id"]) == 19
        assert isinstance(info["refund_amount"], int) and isinstance(info["refund_post_amount"], int)  # fen
        assert isinstance(info["update_time"], int) and info["apply_time"] <= info["update_time"]  # epoch seconds
        assert info["remark"] is None and record["seller_logs"] is None  # the shop's free text never lands
    # the sandbox did put a buyer's phone number into some shop notes: the tap dropped them
    assert any(item["aftersale_info"]["remark"] for item in served(sandbox).values())
    assert {r["aftersale_info"]["aftersale_type"] for r in records} == {0, 1, 2}


def test_paging_and_windows_cover_the_range(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(600)
    result = run_tap(tap_config(sandbox, window_seconds=DAY, page_size=3))
    assert {r["aftersale_id"] for r in result.after_sales} == set(served(sandbox))
    calls = after_sale_calls(sandbox)
    assert all(c["code"] == 10000 for c in calls)
    windows: dict[tuple[int, int], list[dict]] = {}
    for c in calls:
        params = c["params"]
        assert params["size"] == 3 and params["order_by"] == ["update_time asc"]
        windows.setdefault((params["update_start_time"], params["update_end_time"]), []).append(c)
    spans = sorted(windows)
    assert spans[0][0] == sandbox.generator.start_ts and spans[-1][1] == sandbox.now_ts + 1
    assert all(s1 == e0 for (_s0, e0), (s1, _e1) in zip(spans, spans[1:], strict=False))
    for pages in windows.values():
        assert [c["params"]["page"] for c in pages] == list(range(max(1, -(-pages[0]["total"] // 3))))
    assert max(len(p) for p in windows.values()) > 2  # really paged


def test_incremental_sync_finds_a_refund_months_after_its_order(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(700)
    first = run_tap(tap_config(sandbox))
    state = first.final_state
    bookmark = state["bookmarks"]["after_sales"]["replication_key_value"]

    sandbox.advance(sandbox.now_ts + 110 * DAY)
    sandbox.clear_log()
    second = run_tap(tap_config(sandbox), state=copy.deepcopy(state))
    now = served(sandbox)
    changed = {i for i, item in now.items() if item["aftersale_info"]["update_time"] >= bookmark}
    assert {r["aftersale_id"] for r in second.after_sales} == changed
    assert after_sale_calls(sandbox)[0]["params"]["update_start_time"] == bookmark  # resumed at the bookmark

    gen = sandbox.generator
    late = [
        r for r in second.after_sales
        if r["aftersale_info"]["aftersale_status"] == 12
        and r["aftersale_info"]["update_time"] - min(x["create_time"] for x in r["order_info"]["related_order_info"]) > 60 * DAY
    ]
    assert late, "a return refunded months after its order"
    for record in late:
        info = record["aftersale_info"]
        assert info["aftersale_type"] == 0 and info["refund_status"] == 3 and info["return_logistics_code"]
        order_index = next(i for i in gen.indexes_for_shop(SHOP) if gen.order_id_of(i) == record["order_info"]["shop_order_id"])
        assert gen.extra_of(order_index) == g.EXTRA_LATE
        # the order says so the platform's way, and its update_time moved with the after-sale
        order = sandbox.order(order_index)
        assert order["sku_order_list"][0]["after_sale_info"] == {"after_sale_status": 12, "after_sale_type": 0, "refund_status": 3}
        assert order["update_time"] == info["update_time"]
