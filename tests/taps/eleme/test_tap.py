"""tap-eleme end to end against a started sandbox (127.0.0.1 only)."""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.taps.eleme.kit import PII_SALT, SHOP, TapFailed, calls, make_eleme, sync, visible_ids  # noqa: F401 - fixture
from tests.taps.meituan.kit import fast
from singer_sdk.exceptions import ConfigValidationError

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.pii import apply_pii_policy, salted_hash
from orderlayer.sandboxes.kit.server import encode_json
from orderlayer.taps.eleme import protocol as p
from orderlayer.taps.eleme.client import ElemeListPaginator
from orderlayer.taps.eleme.streams import ELEME_PII_POLICY
from orderlayer.taps.eleme.tap import TapEleme

DAY = 86_400


def as_emitted(sandbox, i: int) -> dict:
    """Order ``i`` as the tap must emit it: keys copied up, partial refunds attached, PII policy (masks included) applied."""
    data = p.loads(encode_json(sandbox.order(i)))
    order = data["order"]
    record = {"order_id": order["order_id"], "shop_id": SHOP, "create_time": int(order["create_time"]), **data}
    plan = sandbox.generator.plans[i]
    paid_open = order["pay_status"] == 2 and order["status"] != 10
    record["part_refunds"] = p.loads(encode_json(sandbox.generator.part_refunds_at(plan, sandbox.now_ts))) if paid_open else []
    return apply_pii_policy(record, ELEME_PII_POLICY, PII_SALT)


def index(sandbox) -> dict[str, int]:
    return {sandbox.generator.plans[i].order_id: i for i in sandbox.visible_indexes(SHOP)}


# --------------------------------------------------------------------------- full and incremental syncs
def test_full_sync_emits_every_order_once_exactly_as_served(make_eleme) -> None:
    sandbox = make_eleme(120)
    result = sync(sandbox)
    ids = result.ids("order_id")
    assert len(ids) == len(set(ids)) and set(ids) == visible_ids(sandbox) and len(ids) > 40
    positions = index(sandbox)
    for record in result.records:
        assert record == as_emitted(sandbox, positions[record["order_id"]])
    assert result.bookmark() == max(r["create_time"] for r in result.records)
    schema = next(m for m in result.messages if m["type"] == "SCHEMA")
    assert schema["key_properties"] == ["shop_id", "order_id"] and schema["bookmark_properties"] == ["create_time"]
    assert any(r["part_refunds"] for r in result.records)
    # cancelled orders need no partial-refund call; every other paid order gets one
    assert len(calls(sandbox, p.CMD_PART_REFUND_GET)) == sum(1 for r in result.records if r["order"]["status"] != 10)


def test_windows_and_pages_cover_the_range(make_eleme) -> None:
    sandbox = make_eleme(150, page_size=4)
    config = fast(sandbox, SHOP, PII_SALT, window_seconds=DAY, lookback_days=1)
    from tests.taps.meituan.kit import run_tap

    result = run_tap(TapEleme, config)
    assert set(result.ids("order_id")) == visible_ids(sandbox)
    windows: dict[tuple[int, int], list[dict]] = {}
    for entry in calls(sandbox, p.CMD_ORDER_LIST):
        prm = entry["params"]
        windows.setdefault((prm["start_time"], prm["end_time"]), []).append(entry)
    spans = sorted(windows)
    assert spans[0][0] == sandbox.start_ts - DAY and spans[-1][1] == sandbox.now_ts + 1
    assert all(s1 == e0 for (_s0, e0), (s1, _e1) in zip(spans, spans[1:], strict=False))  # contiguous
    assert all(0 < end - start <= DAY for start, end in spans)
    for pages in windows.values():
        assert [e["params"]["page"] for e in pages] == list(range(1, max(1, -(-pages[0]["total"] // 4)) + 1))
    assert max(len(pages) for pages in windows.values()) >= 3  # really paged


def test_incremental_sync_lists_the_lookback_again_and_picks_up_late_refunds(make_eleme) -> None:
    sandbox = make_eleme(200, days=3)  # dense enough that some refunds fall after the clock
    first = sync(sandbox)
    bookmark = first.bookmark()
    before = {r["order_id"]: r for r in first.records}
    sandbox.advance(sandbox.now_ts + 3 * DAY)
    sandbox.clear_log()
    second = sync(sandbox, state=copy.deepcopy(first.final_state))
    assert calls(sandbox, p.CMD_ORDER_LIST)[0]["params"]["start_time"] == bookmark - 3 * DAY
    positions = index(sandbox)
    after = {r["order_id"]: r for r in second.records}
    changed = {oid for oid, i in positions.items() if oid in before and before[oid] != as_emitted(sandbox, i)}
    assert changed and changed <= set(after)
    for oid in changed:
        assert after[oid] == as_emitted(sandbox, positions[oid])
    assert any(after[oid]["part_refunds"] != before[oid]["part_refunds"] for oid in changed)
    assert set(before) | set(after) == visible_ids(sandbox)
    assert all(r["create_time"] >= bookmark - 3 * DAY for r in second.records)


def test_an_order_appearing_while_paging_triggers_a_rescan_and_nothing_is_lost(make_eleme) -> None:
    sandbox = make_eleme(150, page_size=4, max_window_seconds=30 * DAY)
    newest = max(sandbox.visible_indexes(SHOP), key=lambda i: sandbox.generator.plans[i].ctime)
    sandbox.hide({newest})  # listed first (newest first) once revealed: on a page already read
    sandbox.set_faults(update_during_paging=1)
    result = sync(sandbox, window_seconds=30 * DAY, lookback_days=0)
    assert set(result.ids("order_id")) == visible_ids(sandbox) | {sandbox.generator.plans[newest].order_id}
    first_pages = [e for e in calls(sandbox, p.CMD_ORDER_LIST) if e["params"]["page"] == 1]
    assert len(first_pages) == 2  # the window was read again from its first page


def test_without_the_rescan_the_appearing_order_is_lost(make_eleme, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hazard is real: paging on regardless of a changed total skips the order."""
    sandbox = make_eleme(150, page_size=4, max_window_seconds=30 * DAY)
    newest = max(sandbox.visible_indexes(SHOP), key=lambda i: sandbox.generator.plans[i].ctime)
    sandbox.hide({newest})
    sandbox.set_faults(update_during_paging=1)

    def accept_everything(self: ElemeListPaginator, total, pages, records) -> bool:  # noqa: ANN001
        self._more = self.current_value.page < pages  # noqa: SLF001
        return True

    monkeypatch.setattr(ElemeListPaginator, "accept_list_page", accept_everything)
    result = sync(sandbox, window_seconds=30 * DAY, lookback_days=0)
    assert sandbox.generator.plans[newest].order_id not in result.ids("order_id")


def test_a_failed_sync_does_not_advance_the_bookmark(make_eleme) -> None:
    sandbox = make_eleme(60)
    bookmark = sandbox.start_ts + DAY
    state = {"bookmarks": {"orders": {"replication_key": "create_time", "replication_key_value": bookmark}}}
    sandbox.set_faults(busy_next=100)
    with pytest.raises(TapFailed) as info:
        sync(sandbox, state=copy.deepcopy(state), max_tries=2)
    assert isinstance(info.value.cause, SourceAPIError) and info.value.result.records == []
    for emitted in info.value.result.states:  # the stream is unsorted: nothing is committed before the end
        assert emitted["bookmarks"]["orders"].get("replication_key_value") in (None, bookmark)


# --------------------------------------------------------------------------- errors and retries
def test_retries_throttling_and_busy_with_fresh_tickets(make_eleme) -> None:
    sandbox = make_eleme(60)
    sandbox.set_faults(rate_limit_next=2, busy_next=1)
    result = sync(sandbox)
    assert set(result.ids("order_id")) == visible_ids(sandbox)
    first = calls(sandbox, p.CMD_ORDER_LIST)[:4]
    assert [e["errno"] for e in first] == [20002, 20002, 20001, 0]
    assert len({json.dumps(e["params"], sort_keys=True) for e in first}) == 1  # the same call, retried ...
    assert all(e["errno"] != p.SANDBOX_ERRNO_TICKET_REUSED for e in sandbox.requests)  # ... each time newly signed


def test_retries_outage_read_timeout_and_truncated_body(make_eleme) -> None:
    sandbox = make_eleme(40)
    sandbox.set_faults(http_503_next=1, stall_next=1, stall_seconds=0.5)
    result = sync(sandbox, request_timeout=0.2)
    assert set(result.ids("order_id")) == visible_ids(sandbox)
    sandbox.settle()  # the stalled answer (abandoned by the client) has been logged
    first_params = calls(sandbox, p.CMD_ORDER_LIST)[0]["params"]
    assert sum(1 for e in sandbox.requests if e.get("params") == first_params) == 2  # timed out, then served
    assert sandbox.requests[0].get("fault") == "http_503"

    truncated = make_eleme(40)
    truncated.set_faults(truncate_next=1)
    assert set(sync(truncated).ids("order_id")) == visible_ids(truncated)
    one, two = truncated.requests[:2]
    assert one["fault"] == "truncate" and one["params"] == two["params"] and "fault" not in two


def test_configured_errnos_decide_what_is_retried(make_eleme) -> None:
    sandbox = make_eleme(20)
    sandbox.set_faults(busy_next=1)
    with pytest.raises(TapFailed) as info:
        sync(sandbox, retriable_errnos=[])
    assert "errno 20001" in str(info.value.cause) and "retriable_errnos" in str(info.value.cause)
    assert len(sandbox.requests) == 1


@pytest.mark.parametrize(
    ("override", "errno", "fragment"),
    [
        ({"secret": "not-the-secret"}, p.SANDBOX_ERRNO_SIGNATURE, "check secret and source"),
        ({"source": "1"}, p.SANDBOX_ERRNO_SOURCE, "check source"),
        ({"shop_id": "not_a_shop"}, p.SANDBOX_ERRNO_PERMISSION, "check shop_id"),
    ],
)
def test_credential_and_shop_errors_are_fatal_without_retry(make_eleme, override: dict, errno: int, fragment: str) -> None:
    sandbox = make_eleme(20)
    shop = override.pop("shop_id", SHOP)
    with pytest.raises(TapFailed) as info:
        sync(sandbox, shop=shop, **override)
    message = str(info.value.cause)
    assert isinstance(info.value.cause, SourceAPIError) and f"errno {errno}" in message and fragment in message
    assert len(sandbox.requests) == 1


def test_expired_isv_token_names_the_config_key(make_eleme) -> None:
    sandbox = make_eleme(30, require_access_token=True)
    assert set(sync(sandbox).ids("order_id")) == visible_ids(sandbox)  # the token works ...
    sandbox.clear_log()
    sandbox.expire_tokens()
    with pytest.raises(TapFailed) as info:
        sync(sandbox)
    message = str(info.value.cause)  # ... until it expires: no refresh flow is confirmed, so a clear stop
    assert f"errno {p.SANDBOX_ERRNO_TOKEN_EXPIRED}" in message and "set a new access_token" in message
    assert len(sandbox.requests) == 1


def test_url_encoded_signature_mode_is_configurable(make_eleme) -> None:
    sandbox = make_eleme(30, sign_encode_values=True)
    with pytest.raises(TapFailed) as info:
        sync(sandbox, sign_encode_values=False)
    assert "sign_encode_values=true" in str(info.value.cause)
    assert set(sync(sandbox, sign_encode_values=True).ids("order_id")) == visible_ids(sandbox)


def test_orders_of_another_shop_are_fatal(make_eleme, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = make_eleme(20)
    render = sandbox.generator.order

    def other_shop(i: int, now: int) -> dict:
        data = render(i, now)
        data["shop"]["id"] = "somebody_else"
        return data

    monkeypatch.setattr(sandbox.generator, "order", other_shop)
    with pytest.raises(TapFailed) as info:
        sync(sandbox)
    assert "one tap config reads one shop" in str(info.value.cause) and info.value.result.records == []


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"window_seconds": 30}, "30 is less than the minimum of 60"),
        ({"start_date": "2024-11-01T00:00:00"}, "start_date' needs a UTC offset"),
        ({"end_date": "2024-10-01T00:00:00+08:00"}, "'end_date' must be after 'start_date'"),
    ],
)
def test_bad_config_is_rejected_before_any_call(make_eleme, override: dict, fragment: str) -> None:
    sandbox = make_eleme(10)
    with pytest.raises(ConfigValidationError) as info:
        TapEleme(config=fast(sandbox, SHOP, PII_SALT, **override), parse_env_config=False)
    assert any(fragment in e for e in info.value.errors), info.value.errors
    assert sandbox.requests == []


# --------------------------------------------------------------------------- payload fidelity and privacy
def test_ids_and_fen_travel_digit_for_digit(make_eleme) -> None:
    sandbox = make_eleme(80)
    result = sync(sandbox)
    text = "\n".join(line for line in result.lines if line.startswith('{"type":"RECORD"'))
    for record in result.records:
        order = record["order"]
        assert isinstance(order["eleme_order_id"], str) and len(order["eleme_order_id"]) == 19
        assert f'"eleme_order_id":"{order["eleme_order_id"]}"' in text
        assert isinstance(record["order_id"], str) and len(record["order_id"]) == 14
        assert isinstance(order["user_fee"], int) and isinstance(order["create_time"], str)
    assert not re.search(r'"(?:user_fee|total_fee|product_fee)":-?\d+[.eE]', text)


def test_buyer_pii_is_removed_masked_and_hashed(make_eleme) -> None:
    sandbox = make_eleme(200)
    result = sync(sandbox)
    text = "\n".join(result.lines)
    positions = index(sandbox)
    planted = [r for r in result.records if sandbox.generator.plans[positions[r["order_id"]]].plaintext_pii]
    assert len(planted) >= 2
    for record in result.records:
        served = sandbox.order(positions[record["order_id"]])
        for value in (served["user"]["name"], served["user"]["phone"], served["user"]["address"]):
            assert value not in text
        user = record["user"]
        assert user["name"] is None and user["address"] is None and user["coord"] is None
        assert user["phone"] == salted_hash(served["user"]["phone"], PII_SALT)
        assert re.fullmatch(r"1\d{2}\*{4}\d{4}", user["phone_masked"]) and user["name_masked"].startswith(served["user"]["name"][0])
        assert record["order"]["delivery_phone"] is None and record["order"]["taxer_id"] is None
        assert user["province"] == served["user"]["province"]  # region names are kept


def test_unknown_platform_fields_survive(make_eleme) -> None:
    sandbox = make_eleme(30, extra_fields={"new_flag": {"level": 2}, "weight_kg": 1.25})
    result = sync(sandbox)
    assert result.records
    assert all(r["order"]["new_flag"] == {"level": 2} and str(r["order"]["weight_kg"]) == "1.25" for r in result.records)


def test_no_secret_in_logs(make_eleme, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    sandbox = make_eleme(40, require_access_token=True)
    sandbox.set_faults(rate_limit_next=1, truncate_next=1)
    with caplog.at_level(logging.DEBUG):
        sync(sandbox)
    logs = caplog.text + capsys.readouterr().err
    assert "Retrying order.list" in logs and "POST / HTTP" in logs
    for value in (sandbox.secret, sandbox.access_token(SHOP), PII_SALT):
        assert value not in logs


def test_module_cli_with_state_and_debug_logging(make_eleme, tmp_path: Path) -> None:
    sandbox = make_eleme(60)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(fast(sandbox, SHOP, PII_SALT)))
    bookmark = sandbox.start_ts + 5 * DAY
    state_path = tmp_path / "state.json"
    state_path.write_text(json.dumps({"bookmarks": {"orders": {"replication_key": "create_time", "replication_key_value": bookmark}}}))
    env = {**os.environ, "LOGLEVEL": "DEBUG"}
    cmd = [sys.executable, "-m", "orderlayer.taps.eleme.tap", "--config", str(config_path), "--state", str(state_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [json.loads(line)["record"] for line in proc.stdout.splitlines() if line.startswith('{"type":"RECORD"')]
    expected = {pl.order_id for pl in sandbox.generator.plans if pl.shop == SHOP and pl.ctime >= bookmark - 3 * DAY}
    assert {r["order_id"] for r in records} == expected
    assert sandbox.secret not in proc.stderr and PII_SALT not in proc.stderr
