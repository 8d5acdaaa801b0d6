"""tap-douyin end to end against a started sandbox (127.0.0.1 only)."""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest
from tests.taps.douyin.kit import APP_SECRET, OTHER_SHOP, PII_SALT, SHOP, TapFailed, run_tap, search_calls, tap_config
from singer_sdk.exceptions import ConfigValidationError

from orderlayer.taps.common.pii import apply_pii_policy, salted_hash
from orderlayer.taps.douyin.client import DouyinAPIError, WindowedPagePaginator
from orderlayer.sandboxes.douyin.server import DouyinSandbox
from orderlayer.taps.douyin.streams import DOUYIN_PII_POLICY, OrdersStream
from orderlayer.taps.douyin.tap import TapDouyin

Factory = t.Callable[..., DouyinSandbox]


def expected_ids(sandbox: DouyinSandbox, shop: str = SHOP, start: int | None = None) -> set[str]:
    """Ids a sync from ``start`` to the sandbox's tap_config end (clock + 1 s) must deliver."""
    gen = sandbox.generator
    return set(gen.order_ids_updated_between(shop, gen.start_ts if start is None else start, sandbox.now_ts, sandbox.now_ts))


def index_by_id(sandbox: DouyinSandbox, shop: str = SHOP) -> dict[str, int]:
    gen = sandbox.generator
    return {gen.order_id_of(i): i for i in gen.indexes_for_shop(shop)}


# --------------------------------------------------------------------------- full sync
def test_full_sync_emits_every_order_once_exactly_as_served(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(800)
    result = run_tap(tap_config(sandbox))
    ids = result.order_ids
    assert len(ids) == len(set(ids)), "a full sync with a half-open sandbox has no duplicates"
    assert set(ids) == expected_ids(sandbox)
    assert len(ids) > 300

    by_id = index_by_id(sandbox)
    for record in result.records:
        served = apply_pii_policy(sandbox.order(by_id[record["order_id"]]), DOUYIN_PII_POLICY, PII_SALT)
        assert record == served  # lossless apart from the PII policy: same keys, types, values
    times = [r["update_time"] for r in result.records]
    assert times == sorted(times)
    bookmark = result.final_state["bookmarks"]["orders"]
    assert bookmark == {"replication_key": "update_time", "replication_key_value": max(times)}
    schema = next(m for m in result.messages if m["type"] == "SCHEMA" and m["stream"] == "orders")
    assert schema["key_properties"] == ["shop_id", "order_id"]
    assert schema["bookmark_properties"] == ["update_time"]


def test_paging_and_windows_cover_the_range(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(600, max_window_seconds=86_400)
    config = tap_config(sandbox, window_seconds=86_400, page_size=7)
    result = run_tap(config)
    assert set(result.order_ids) == expected_ids(sandbox)

    calls = search_calls(sandbox)
    assert all(c["code"] == 10000 for c in calls)
    windows: dict[tuple[int, int], list[dict]] = {}
    for c in calls:
        params = c["params"]
        assert params["size"] == 7 and params["order_by"] == "update_time" and params["order_asc"] is True
        windows.setdefault((params["update_time_start"], params["update_time_end"]), []).append(c)
    spans = sorted(windows)
    assert spans[0][0] == sandbox.generator.start_ts and spans[-1][1] == sandbox.now_ts + 1
    for (s0, e0), (s1, _e1) in zip(spans, spans[1:], strict=False):
        assert s1 == e0, "windows must be contiguous"
    assert all(0 < end - start <= 86_400 for start, end in spans)
    assert len(spans) == 11  # ten days, plus the last second up to the clock + 1 s
    for pages in windows.values():
        total = pages[0]["total"]
        assert [c["params"]["page"] for c in pages] == list(range(max(1, -(-total // 7))))
    assert max(len(p) for p in windows.values()) > 3  # really paged


def test_incremental_sync_after_advance_returns_only_changed_orders(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(700)
    first = run_tap(tap_config(sandbox))
    state = first.final_state
    bookmark = state["bookmarks"]["orders"]["replication_key_value"]
    before = {r["order_id"]: r["update_time"] for r in first.records}

    sandbox.advance(sandbox.now_ts + 3 * 86_400)
    sandbox.clear_log()
    second = run_tap(tap_config(sandbox), state=copy.deepcopy(state))

    gen = sandbox.generator
    by_id = index_by_id(sandbox)
    changed_or_boundary = {oid for oid, i in by_id.items() if bookmark <= gen.update_time_at(i, sandbox.now_ts)}
    assert set(second.order_ids) == changed_or_boundary
    assert sum(1 for oid in second.order_ids if oid in before and before[oid] < bookmark) > 20  # late updates
    assert all(r["update_time"] >= bookmark for r in second.records)
    for record in second.records:  # the new versions, as the sandbox now serves them
        assert record["update_time"] == gen.update_time_at(by_id[record["order_id"]], sandbox.now_ts)
    assert set(before) | set(second.order_ids) == expected_ids(sandbox, start=gen.start_ts)
    first_call = search_calls(sandbox)[0]["params"]
    assert first_call["update_time_start"] == bookmark  # resumed at the bookmark, inclusive


# --------------------------------------------------------------------------- errors and retries
def test_retries_rate_limited_and_busy_calls(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(300)
    sandbox.set_faults(rate_limit_next=2, busy_next=1)
    result = run_tap(tap_config(sandbox))
    assert set(result.order_ids) == expected_ids(sandbox)
    calls = search_calls(sandbox)
    assert [c["code"] for c in calls[:4]] == [60000, 60000, 20000, 10000]
    assert len({json.dumps(c["params"], sort_keys=True) for c in calls[:4]}) == 1  # the same page retried


def test_retries_gateway_outage_and_read_timeouts(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(200)
    sandbox.set_faults(http_503_next=1, stall_next=1, stall_seconds=0.6)
    result = run_tap(tap_config(sandbox, request_timeout=0.25))
    assert set(result.order_ids) == expected_ids(sandbox)
    sandbox.settle()  # the stalled answer (abandoned by the client) has been logged
    arrivals = sorted(search_calls(sandbox), key=lambda e: e["at"])
    assert [e.get("fault") for e in arrivals[:3]] == ["stall", "http_503", None]  # timed out, 503, served
    assert arrivals[0]["params"] == arrivals[2]["params"]  # the same page, retried


def test_expired_token_is_refreshed_once_and_sync_completes(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(300)
    old_token = sandbox.access_token(SHOP)
    config = tap_config(sandbox)
    sandbox.faults.expire_token = True
    result = run_tap(config)
    assert set(result.order_ids) == expected_ids(sandbox)
    log = sandbox.requests
    assert [(e["method"], e["code"]) for e in log[:3]] == [
        ("order.searchList", 40003),
        ("token.refresh", 10000),
        ("order.searchList", 10000),
    ]
    assert log[0]["sub_code"] == "isv.access-token-expired"
    assert sum(e["method"] == "token.refresh" for e in log) == 1
    assert sandbox.access_token(SHOP) != old_token


def test_expired_token_without_refresh_token_names_the_config_key(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(100)
    config = tap_config(sandbox)
    del config["refresh_token"]
    sandbox.faults.expire_token = True
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    message = str(info.value.cause)
    assert "isv.access-token-expired" in message and "'refresh_token'" in message
    assert [e["method"] for e in sandbox.requests] == ["order.searchList"]


def test_bad_app_secret_is_fatal_without_retry(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(100)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox, app_secret="not-the-secret"))
    assert isinstance(info.value.cause, DouyinAPIError)
    message = str(info.value.cause)
    assert "isv.signature-invalid" in message and "check app_secret" in message
    assert len(sandbox.requests) == 1


def test_shop_permission_closed_is_fatal_with_fix(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(100)
    sandbox.revoke(SHOP)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox))
    assert "30001" in str(info.value.cause) and "re-authorize the shop" in str(info.value.cause)
    assert len(sandbox.requests) == 1


def test_token_of_another_shop_is_fatal(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(100)
    config = tap_config(sandbox, shop=SHOP)
    config["shop_id"] = OTHER_SHOP  # but the access token is SHOP's
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    assert "belongs to another shop" in str(info.value.cause)
    assert info.value.result.records == []


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"page_size": 101}, "101 is greater than the maximum of 100"),
        ({"start_date": "2024-11-01T00:00:00"}, "start_date' needs a UTC offset"),
        ({"end_date": "2024-10-01T00:00:00+08:00"}, "'end_date' must be after 'start_date'"),
        ({"sign_method": "sha1"}, "sha1"),
    ],
)
def test_bad_config_is_rejected_before_any_call(make_sandbox: Factory, override: dict, fragment: str) -> None:
    sandbox = make_sandbox(50)
    config = tap_config(sandbox, **override)
    with pytest.raises(ConfigValidationError) as info:
        TapDouyin(config=config, parse_env_config=False)
    assert any(fragment in e for e in info.value.errors), info.value.errors
    assert sandbox.requests == []


# --------------------------------------------------------------------------- payload fidelity
def test_ids_stay_strings_and_int64_stay_exact_on_the_wire(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(400)
    result = run_tap(tap_config(sandbox))
    record_lines = [line for line in result.lines if line.startswith('{"type":"RECORD"')]
    text = "\n".join(record_lines)
    assert '"product_id":3660207428038974464' in text  # exact digits, never 3.66e18
    assert not re.search(r'"(?:product_id|sku_id|shop_id)":-?\d+(?:\.\d+)?[eE.]', text)
    for record in result.records:
        assert isinstance(record["order_id"], str) and len(record["order_id"]) == 19
        assert isinstance(record["shop_id"], int) and record["shop_id"] == int(SHOP)
        for sku in record["sku_order_list"]:
            assert isinstance(sku["order_id"], str) and isinstance(sku["parent_order_id"], str)
            assert isinstance(sku["product_id"], int) and isinstance(sku["sku_id"], int)
            assert str(sku["product_id"]) == sku["product_id_str"]


def test_plaintext_pii_removed_and_buyer_id_hashed(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(1500)
    gen = sandbox.generator
    by_id = index_by_id(sandbox)
    result = run_tap(tap_config(sandbox))
    text = "\n".join(result.lines)
    plain = [r for r in result.records if gen.has_plaintext_pii(by_id[r["order_id"]])]
    assert len(plain) >= 5
    for record in plain:
        raw = sandbox.order(by_id[record["order_id"]])
        assert raw["post_tel"] and raw["post_receiver"] and raw["post_addr"]["detail"]  # the sandbox did send them
        assert raw["post_tel"] not in text and raw["post_addr"]["detail"] not in text
        assert raw["user_id_info"]["id_card_no"] not in text
        for level in (record, *record["sku_order_list"]):
            assert level["post_tel"] is None and level["post_receiver"] is None
            assert level["post_addr"]["detail"] is None and level["user_id_info"] is None
            assert level["encrypt_post_tel"] == raw["encrypt_post_tel"]  # ciphertexts kept
            assert level["mask_post_tel"] == raw["mask_post_tel"]
    for record in result.records:
        raw_open_id = sandbox.order(by_id[record["order_id"]])["doudian_open_id"]
        assert record["doudian_open_id"] == salted_hash(raw_open_id, PII_SALT)
        assert raw_open_id not in text


def test_unknown_platform_fields_survive(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(
        150,
        extra_fields={"new_platform_field": {"level": 2, "tags": ["a"]}, "risk_tag": "A", "weight_kg": 1.25},
        extra_sku_fields={"warehouse_code": "WH-7", "bonus_id": 3701845529361827841},
    )
    result = run_tap(tap_config(sandbox))
    assert result.records
    for record in result.records:
        assert record["new_platform_field"] == {"level": 2, "tags": ["a"]} and record["risk_tag"] == "A"
        assert record["weight_kg"] == 1.25
        for sku in record["sku_order_list"]:
            assert sku["warehouse_code"] == "WH-7" and sku["bonus_id"] == 3701845529361827841
        assert record["post_addr"]["street"]["id"]  # nested declared objects untouched too
    assert all('"weight_kg":1.25' in line for line in result.lines if line.startswith('{"type":"RECORD","stream":"orders"'))


def test_no_secret_or_personal_data_in_logs(make_sandbox: Factory, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    sandbox = make_sandbox(400)
    config = tap_config(sandbox)
    secrets = {"app_secret": APP_SECRET, "access_token": config["access_token"], "refresh_token": config["refresh_token"], "pii_salt": PII_SALT}
    sandbox.faults.expire_token = True
    sandbox.set_faults(rate_limit_next=1)
    with caplog.at_level(logging.DEBUG):
        result = run_tap(config)
    secrets["new_access_token"] = sandbox.access_token(SHOP)
    secrets["new_refresh_token"] = sandbox.refresh_token(SHOP)
    logs = caplog.text + capsys.readouterr().err
    assert "Retrying order.searchList" in logs and "Refreshed the Douyin access token" in logs
    assert "POST /order/searchList?" in logs and "access_token=***" in logs  # urllib3 DEBUG lines, scrubbed
    for name, value in secrets.items():
        assert value not in logs, f"{name} leaked into the logs"
    assert not re.search(r"sign=[0-9a-f]{16,}", logs)
    by_id = index_by_id(sandbox)
    for record in result.records[:50]:
        raw = sandbox.order(by_id[record["order_id"]])
        assert raw["doudian_open_id"] not in logs and raw["encrypt_post_tel"] not in logs


# --------------------------------------------------------------------------- consistency hazards
def test_order_updated_while_paging_triggers_rescan_and_nothing_is_lost(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(400)
    expected = expected_ids(sandbox)
    sandbox.set_faults(update_during_paging=1)
    result = run_tap(tap_config(sandbox, page_size=5, window_seconds=30 * 86_400))
    assert expected <= set(result.order_ids)
    calls = search_calls(sandbox)
    page0_starts = [c["params"]["update_time_start"] for c in calls if c["params"]["page"] == 0]
    assert len(page0_starts) == 2 and page0_starts[1] > page0_starts[0]  # rescanned from the last emitted time
    times = [r["update_time"] for r in result.records]
    assert times == sorted(times)


def test_order_updated_while_paging_loses_an_order_without_the_rescan(make_sandbox: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hazard is real: naive offset paging (accept every page) skips an order."""
    sandbox = make_sandbox(400)
    expected = expected_ids(sandbox)
    sandbox.set_faults(update_during_paging=1)

    def accept_everything(self: WindowedPagePaginator, total: int, records: list[dict]) -> bool:
        self._last_total = total  # noqa: SLF001
        return True

    monkeypatch.setattr(WindowedPagePaginator, "accept_page", accept_everything)
    result = run_tap(tap_config(sandbox, page_size=5, window_seconds=30 * 86_400))
    assert expected - set(result.order_ids), "expected the naive paginator to skip an order"


def test_inclusive_window_ends_only_duplicate_boundary_orders(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(500, window_end_inclusive=True)
    gen = sandbox.generator
    by_id = index_by_id(sandbox)
    target_id, target_i = next(iter(sorted(by_id.items(), key=lambda kv: kv[1])))
    boundary = gen.update_time_at(target_i, sandbox.now_ts)
    window = 86_400
    start = boundary - 3 * window  # a window boundary falls exactly on the target order
    config = tap_config(sandbox, window_seconds=window, start_date=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(start)))
    result = run_tap(config)
    ids = result.order_ids
    assert set(ids) == expected_ids(sandbox, start=start)
    duplicates = {oid for oid in ids if ids.count(oid) > 1}
    assert target_id in duplicates
    boundaries = set(range(start, sandbox.now_ts + 2, window))
    assert all(gen.update_time_at(by_id[oid], sandbox.now_ts) in boundaries for oid in duplicates)


def test_killed_sync_resumes_from_last_state_without_loss(make_sandbox: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(OrdersStream, "STATE_MSG_FREQUENCY", 25)
    sandbox = make_sandbox(900)
    config = tap_config(sandbox, window_seconds=86_400)
    sandbox.set_faults(offline_after=5)
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    partial = info.value.result
    assert "70000" in str(info.value.cause)
    assert partial.records and partial.states
    last_state = partial.states[-1]
    bookmark = last_state["bookmarks"]["orders"]["replication_key_value"]
    assert bookmark > sandbox.generator.start_ts

    sandbox.set_faults(offline_after=None)
    sandbox.clear_log()
    resumed = run_tap(config, state=copy.deepcopy(last_state))
    assert search_calls(sandbox)[0]["params"]["update_time_start"] == bookmark
    assert set(partial.order_ids) | set(resumed.order_ids) == expected_ids(sandbox)
    # Resuming re-sends at most the orders at or after the bookmark, not the whole history.
    assert len(resumed.records) < len(expected_ids(sandbox))


def test_client_side_rate_budget_paces_requests(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(200)
    run_tap(tap_config(sandbox, max_requests_per_second=10, window_seconds=12 * 3_600))
    calls = search_calls(sandbox)
    assert len(calls) == 21
    # 10 requests ride the initial burst; the other 11 are spaced 0.1 s apart. Measured from the second call:
    # the first one also opens the connection, so its arrival lags its send by more than the others'.
    assert calls[-1]["at"] - calls[1]["at"] >= 0.9


# --------------------------------------------------------------------------- CLI
def test_console_script_with_state_file_and_debug_logging(make_sandbox: Factory, tmp_path: Path) -> None:
    sandbox = make_sandbox(300)
    config = tap_config(sandbox)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    state_path = tmp_path / "state.json"
    bookmark = sandbox.generator.start_ts + 5 * 86_400
    state_path.write_text(json.dumps({"bookmarks": {"orders": {"replication_key": "update_time", "replication_key_value": bookmark}}}))
    exe = Path(sys.executable).with_name("tap-douyin")
    env = {**os.environ, "LOGLEVEL": "DEBUG"}
    proc = subprocess.run([str(exe), "--config", str(config_path), "--state", str(state_path)], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [json.loads(line)["record"] for line in proc.stdout.splitlines() if line.startswith('{"type":"RECORD","stream":"orders"')]
    assert {r["order_id"] for r in records} == expected_ids(sandbox, start=bookmark)
    assert "POST /order/searchList?" in proc.stderr
    for value in (APP_SECRET, config["access_token"], config["refresh_token"], PII_SALT):
        assert value not in proc.stderr

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**config, "page_size": 500}))
    failed = subprocess.run([str(exe), "--config", str(bad)], capture_output=True, text=True, timeout=60, check=False)
    assert failed.returncode != 0 and "page_size" in failed.stderr and failed.stdout == ""
