"""tap-pinduoduo end to end against a started sandbox (127.0.0.1 only)."""

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
from tests.taps.pinduoduo.kit import (  # noqa: F401
    CLIENT_SECRET,
    NO_PLATFORM_CLOCK,
    OTHER_SHOP,
    PII_SALT,
    SHOP,
    Factory,
    TapFailed,
    order_calls,
    pdd_sandbox,
    run_tap,
    tap_config,
    windows_of,
)
from singer_sdk.exceptions import ConfigValidationError

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.pii import salted_hash
from orderlayer.taps.pinduoduo import protocol as p
from orderlayer.taps.common.paging import BackwardWindowPaginator
from orderlayer.taps.pinduoduo.privacy import scrub_order
from orderlayer.sandboxes.pinduoduo.server import PinduoduoSandbox
from orderlayer.taps.pinduoduo.streams import OrdersStream
from orderlayer.taps.pinduoduo.tap import TapPinduoduo


def served(sandbox: PinduoduoSandbox, order_sn: str) -> dict:
    """What the tap must emit for an order: the sandbox's payload, shop_id added, personal data scrubbed."""
    order = sandbox.order(sandbox.index_of(order_sn))
    assert order is not None
    order["shop_id"] = SHOP
    return scrub_order(json.loads(json.dumps(order, default=str), parse_float=float), PII_SALT)


def boundary_duplicates(ids: list[str]) -> set[str]:
    return {i for i in ids if ids.count(i) > 1}


# --------------------------------------------------------------------------- full and incremental sync
def test_full_sync_emits_every_order_exactly_as_served(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(160)
    result = run_tap(tap_config(sandbox))
    sns = result.order_sns
    assert set(sns) == sandbox.expected_order_sns(SHOP) and len(set(sns)) > 60
    for sn in boundary_duplicates(sns):  # only an order updated exactly on a shared window boundary repeats
        assert (p.local_text_to_epoch(next(r for r in result.records if r["order_sn"] == sn)["updated_at"]) - sandbox.start_ts) % 1800 == 0
    for record in result.records:
        assert record == served(sandbox, record["order_sn"])  # lossless apart from the PII policy
    times = [r["updated_at"] for r in result.records]
    assert times == sorted(times)
    assert result.final_state["bookmarks"]["orders"] == {"replication_key": "updated_at", "replication_key_value": max(times)}
    schema = next(m for m in result.messages if m["type"] == "SCHEMA")
    assert schema["key_properties"] == ["shop_id", "order_sn"] and schema["bookmark_properties"] == ["updated_at"]


def test_windows_are_contiguous_30_minutes_and_paged_backwards(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(300, days=1)
    result = run_tap(tap_config(sandbox, page_size=2))
    assert set(result.order_sns) == sandbox.expected_order_sns(SHOP)
    assert sandbox.requests[0]["method"] == p.TIME_GET
    windows = windows_of(order_calls(sandbox))
    spans = sorted(windows)
    assert spans[0][0] == sandbox.start_ts and spans[-1][1] == sandbox.now_ts + 1
    assert all(b[0] == a[1] for a, b in zip(spans, spans[1:], strict=False)), "windows share their boundaries"
    assert all(0 < end - start <= 1800 for start, end in spans)
    multi = 0
    for calls in windows.values():
        total = calls[0]["total"]
        pages = [c["params"]["page"] for c in calls]
        assert all(c["params"]["page_size"] == 2 and c["params"]["use_has_next"] is False for c in calls)
        if total <= 2:
            assert pages == [1]  # the probe held the whole window
        else:
            multi += 1
            assert pages == [1, *range(-(-total // 2), 0, -1)]  # probe, then last page back to page 1
    assert multi >= 5


def test_incremental_sync_resumes_a_little_before_the_bookmark(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(200)
    first = run_tap(tap_config(sandbox))
    state = first.final_state
    bookmark = state["bookmarks"]["orders"]["replication_key_value"]
    before = {r["order_sn"]: r["updated_at"] for r in first.records}

    sandbox.advance(sandbox.now_ts + 2 * 86_400)
    sandbox.clear_log()
    second = run_tap(tap_config(sandbox), state=copy.deepcopy(state))
    start = p.local_text_to_epoch(bookmark) - 300
    assert order_calls(sandbox)[0]["params"]["start_updated_at"] == start  # overlap_seconds (300) before the bookmark
    assert set(second.order_sns) == sandbox.expected_order_sns(SHOP, start=start)
    late = [sn for sn in second.order_sns if sn in before and before[sn] < bookmark]
    assert len(late) > 10  # orders updated again after the first sync
    assert set(before) | set(second.order_sns) == sandbox.expected_order_sns(SHOP)
    times = [r["updated_at"] for r in second.records]
    assert times == sorted(times) and times[0] >= p.to_local_text(start)

    sandbox.clear_log()
    run_tap(tap_config(sandbox, overlap_seconds=0), state=copy.deepcopy(state))
    assert order_calls(sandbox)[0]["params"]["start_updated_at"] == p.local_text_to_epoch(bookmark)


def test_a_quiet_incremental_run_keeps_its_bookmark(pdd_sandbox: Factory) -> None:
    """The overlap rewinds the start, never the bookmark: repeated empty runs must not walk it back."""
    sandbox = pdd_sandbox(40)
    bookmark = p.to_local_text(sandbox.now_ts)
    state = {"bookmarks": {"orders": {"replication_key": "updated_at", "replication_key_value": bookmark}}}
    assert not sandbox.expected_order_sns(SHOP, start=sandbox.now_ts - 300)  # nothing inside the overlap
    result = run_tap(tap_config(sandbox), state=state)
    assert result.records == []
    assert result.final_state["bookmarks"]["orders"]["replication_key_value"] == bookmark


def test_default_end_trails_the_platform_clock(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(60)
    config = tap_config(sandbox)
    del config["end_date"]
    run_tap(config)
    assert max(end for _start, end in windows_of(order_calls(sandbox))) == sandbox.now_ts - 180


def test_killed_sync_resumes_from_the_last_state_without_loss(pdd_sandbox: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(OrdersStream, "STATE_MSG_FREQUENCY", 10)
    sandbox = pdd_sandbox(200)
    config = tap_config(sandbox, max_tries=2)
    sandbox.set_faults(offline_after=60)
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    assert "52103" in str(info.value.cause)
    partial = info.value.result
    state = partial.states[-1]
    assert partial.records and state["bookmarks"]["orders"]["replication_key_value"]
    sandbox.set_faults(offline_after=None)
    resumed = run_tap(config, state=copy.deepcopy(state))
    assert set(partial.order_sns) | set(resumed.order_sns) == sandbox.expected_order_sns(SHOP)
    assert len(resumed.records) < len(sandbox.expected_order_sns(SHOP))  # not the whole history again


# --------------------------------------------------------------------------- consistency hazards
def test_order_updated_while_paging_backwards_loses_nothing(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(300, days=1)
    config = tap_config(sandbox, page_size=2)
    end = p.local_text_to_epoch(p.to_local_text(sandbox.now_ts + 1))
    sandbox.set_faults(update_during_paging=3)
    result = run_tap(config)
    assert sum(e.get("fault") == "update_during_paging" for e in sandbox.requests) == 3
    # Every order whose (possibly new) update time is inside the synced range arrives ...
    assert sandbox.expected_order_sns(SHOP, end=end) <= set(result.order_sns)
    times = [r["updated_at"] for r in result.records]
    assert times == sorted(times)
    # ... and one updated past the range end (a later fault moves the clock on) comes with the next sync.
    assert sandbox.now_ts > end
    following = run_tap(tap_config(sandbox, page_size=2), state=copy.deepcopy(result.final_state))
    assert set(result.order_sns) | set(following.order_sns) == sandbox.expected_order_sns(SHOP)


def test_window_growing_while_paging_is_rescanned(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(300, days=1)
    expected = sandbox.expected_order_sns(SHOP)
    sandbox.set_faults(late_write_during_paging=1)
    result = run_tap(tap_config(sandbox, page_size=1))
    assert set(result.order_sns) == expected
    hidden_at = next(e for e in order_calls(sandbox) if e.get("fault") == "late_write_hidden")
    window_calls = [c for c in order_calls(sandbox) if c["params"]["end_updated_at"] == hidden_at["params"]["end_updated_at"]]
    probes = [c for c in window_calls if c["params"]["page"] == 1 and c["seq"] > hidden_at["seq"]]
    assert probes, "the grown window was probed again"
    times = [r["updated_at"] for r in result.records]
    assert times == sorted(times)


def test_without_the_growth_check_an_order_is_lost(pdd_sandbox: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hazard is real: accept every page, and the late write skips an order."""
    sandbox = pdd_sandbox(300, days=1)
    expected = sandbox.expected_order_sns(SHOP)
    sandbox.set_faults(late_write_during_paging=1)
    original = BackwardWindowPaginator.accept_page

    def never_notices(self: BackwardWindowPaginator, total: int, records: list[dict]) -> list[dict] | None:
        self.guard._baseline = None if self.current_value.probe else total  # noqa: SLF001
        return original(self, total, records)

    monkeypatch.setattr(BackwardWindowPaginator, "accept_page", never_notices)
    result = run_tap(tap_config(sandbox, page_size=1))
    assert expected - set(result.order_sns), "expected the unchecked paginator to skip an order"


# --------------------------------------------------------------------------- errors and retries
def test_retries_throttling_busy_truncated_and_garbled_pages(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(160)
    sandbox.set_faults(rate_limit_next=2, busy_next=1)  # met by the pdd.time.get call first
    run_tap(tap_config(sandbox))
    assert [(e["method"], e["code"]) for e in sandbox.requests[:4]] == [(p.TIME_GET, c) for c in (52101, 52101, 50001, 0)]

    sandbox.clear_log()
    sandbox.set_faults(rate_limit_next=2, busy_next=1)
    result = run_tap(tap_config(sandbox, **NO_PLATFORM_CLOCK))
    assert set(result.order_sns) == sandbox.expected_order_sns(SHOP)
    calls = order_calls(sandbox)
    assert [c["code"] for c in calls[:4]] == [52101, 52101, 50001, 0]
    assert len({json.dumps(c["params"], sort_keys=True) for c in calls[:4]}) == 1  # the same page retried

    sandbox.clear_log()
    sandbox.set_faults(truncate_next=1, garble_next=1)
    result = run_tap(tap_config(sandbox))
    assert set(result.order_sns) == sandbox.expected_order_sns(SHOP)
    faulty = [c for c in order_calls(sandbox) if c.get("fault") in ("truncate", "garble")]
    assert len(faulty) == 2
    for bad in faulty:
        retry = next(c for c in order_calls(sandbox) if c["seq"] > bad["seq"])
        assert retry["params"] == bad["params"]


def test_retries_gateway_outage_and_read_timeouts(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(60)
    config = tap_config(sandbox, request_timeout=0.25)
    sandbox.set_faults(http_503_next=1, stall_next=1, stall_seconds=0.5)  # the pdd.time.get call stalls
    result = run_tap(config)
    assert set(result.order_sns) == sandbox.expected_order_sns(SHOP)
    assert any(e.get("fault") == "http_503" for e in sandbox.requests)


def test_expired_token_is_refreshed_once_and_the_sync_completes(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(120)
    old = sandbox.access_token(SHOP)
    config = tap_config(sandbox)
    sandbox.faults.expire_token = True
    result = run_tap(config)
    assert set(result.order_sns) == sandbox.expected_order_sns(SHOP)
    log = [(e["method"], e["code"]) for e in sandbox.requests]
    assert log[:4] == [(p.TIME_GET, 0), (p.ORDER_INCREMENT_GET, 10019), (p.TOKEN_REFRESH, 0), (p.ORDER_INCREMENT_GET, 0)]
    assert sum(m == p.TOKEN_REFRESH for m, _ in log) == 1
    assert sandbox.access_token(SHOP) != old


def test_expired_token_without_refresh_token_names_the_config_key(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(40)
    config = tap_config(sandbox)
    del config["refresh_token"]
    sandbox.faults.expire_token = True
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    assert "10019" in str(info.value.cause) and "'refresh_token'" in str(info.value.cause)
    assert [e["method"] for e in sandbox.requests] == [p.TIME_GET, p.ORDER_INCREMENT_GET]


def test_ended_authorisation_is_fatal_after_one_refresh(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(40)
    config = tap_config(sandbox)
    sandbox.end_authorisation(SHOP)
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    assert "authorisation of the app has ended" in str(info.value.cause) and "re-authorize the shop" in str(info.value.cause)
    assert [e["method"] for e in sandbox.requests].count(p.TOKEN_REFRESH) == 1


def test_refresh_token_of_another_shop_is_fatal(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(40)
    config = tap_config(sandbox)
    config["shop_id"] = OTHER_SHOP  # SHOP's tokens, another shop's id
    sandbox.faults.expire_token = True
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    assert f"belongs to shop {SHOP}" in str(info.value.cause) and "'shop_id'" in str(info.value.cause)
    assert info.value.result.records == []


@pytest.mark.parametrize(
    ("setup", "overrides", "fragments", "calls"),
    [
        (None, {"client_secret": "not-the-secret"}, ("20004", "check client_secret"), 1),
        ("deny", {}, ("20031", "permission package"), 2),
    ],
)
def test_fatal_answers_are_not_retried_and_name_the_fix(
    pdd_sandbox: Factory, setup: str | None, overrides: dict, fragments: tuple[str, ...], calls: int
) -> None:
    sandbox = pdd_sandbox(40)
    if setup == "deny":
        sandbox.deny_permission(SHOP)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox, **overrides))
    assert isinstance(info.value.cause, SourceAPIError)
    assert all(f in str(info.value.cause) for f in fragments)
    assert len(sandbox.requests) == calls


def test_start_date_beyond_the_3_month_horizon_is_a_clear_error(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(40)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox, start_date="2024-08-01T00:00:00+08:00"))
    message = str(info.value.cause)
    assert "'start_date'" in message and "90 days" in message and "2024-09-02" in message  # clock 2024-12-01 - 90 d
    assert order_calls(sandbox) == []


def test_a_bookmark_beyond_the_horizon_is_clamped_with_a_warning(pdd_sandbox: Factory, caplog: pytest.LogCaptureFixture) -> None:
    sandbox = pdd_sandbox(60)
    state = {"bookmarks": {
        "orders": {"replication_key": "updated_at", "replication_key_value": "2024-11-20 00:00:00"},
        "refunds": {"replication_key": "updated_time", "replication_key_value": "2024-11-20 00:00:00"},
    }}
    with caplog.at_level(logging.WARNING):
        result = run_tap(tap_config(sandbox, horizon_days=1), state=state)
    assert order_calls(sandbox)[0]["params"]["start_updated_at"] == sandbox.now_ts - 86_400
    assert "beyond the platform's 1-day horizon" in caplog.text
    assert set(result.order_sns) == sandbox.expected_order_sns(SHOP, start=sandbox.now_ts - 86_400)


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"page_size": 101}, "101 is greater than the maximum of 100"),
        ({"window_seconds": 1801}, "1801 is greater than the maximum of 1800"),
        ({"start_date": "2024-11-01T00:00:00"}, "start_date' needs a UTC offset"),
        ({"end_date": "2024-10-01T00:00:00+08:00"}, "'end_date' must be after 'start_date'"),
        ({"shop_id": "mall-1"}, "does not match"),
    ],
)
def test_bad_config_is_rejected_before_any_call(pdd_sandbox: Factory, override: dict, fragment: str) -> None:
    sandbox = pdd_sandbox(10)
    config = {**tap_config(sandbox), **override}
    with pytest.raises(ConfigValidationError) as info:
        TapPinduoduo(config=config, parse_env_config=False)
    assert any(fragment in e for e in info.value.errors), info.value.errors
    assert sandbox.requests == []


# --------------------------------------------------------------------------- payload fidelity and privacy
def test_personal_data_removed_and_address_id_hashed(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(400, days=3)
    result = run_tap(tap_config(sandbox))
    text = "\n".join(result.lines)
    planted = [r for r in result.records if sandbox.generator.has_plaintext_pii(sandbox.index_of(r["order_sn"]))]
    assert len(planted) >= 3
    for record in planted:
        raw = sandbox.order(sandbox.index_of(record["order_sn"]))
        assert raw["receiver_phone"] and raw["phone_number_chosen_by_user"]  # the sandbox did send plaintext
        for key in ("receiver_name", "receiver_phone", "receiver_address", "address", "phone_number_chosen_by_user"):
            assert record[key] is None and raw[key] not in text
        assert record["receiver_phone_mask"] == raw["receiver_phone_mask"]
    for record in result.records:
        raw = sandbox.order(sandbox.index_of(record["order_sn"]))
        assert record["open_address_id"] == salted_hash(raw["open_address_id"], PII_SALT) and raw["open_address_id"] not in text
        assert record["open_address_id_2"] == salted_hash(raw["open_address_id_2"], PII_SALT)
        assert record["contact_mobile"] == raw["contact_mobile"]  # ciphertext or empty, kept
        if record not in planted:
            assert record["receiver_phone"] == raw["receiver_phone"] and record["receiver_phone"].startswith("$")  # ciphertext kept


def test_ids_stay_exact_and_unknown_fields_survive(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(200, extra_fields={"new_platform_field": {"level": 2}, "weight_kg": 1.25, "big": 12345678901234567890})
    result = run_tap(tap_config(sandbox))
    lines = [line for line in result.lines if line.startswith('{"type":"RECORD","stream":"orders"')]
    text = "\n".join(lines)
    assert '"sku_id":9007199254740993' in text  # 2**53 + 1, digit for digit
    assert all('"weight_kg":1.25' in line and '"big":12345678901234567890' in line for line in lines)
    assert re.search(r'"pay_amount":\d+\.\d+', text) and not re.search(r'"pay_amount":"', text)  # numbers stay numbers
    for record in result.records:
        assert isinstance(record["order_sn"], str) and record["new_platform_field"] == {"level": 2}


def test_no_secret_or_personal_data_in_logs(pdd_sandbox: Factory, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    sandbox = pdd_sandbox(200, days=3)
    config = tap_config(sandbox)
    secrets = {"client_secret": CLIENT_SECRET, "access_token": config["access_token"], "refresh_token": config["refresh_token"], "pii_salt": PII_SALT}
    sandbox.faults.expire_token = True
    sandbox.set_faults(rate_limit_next=1)
    with caplog.at_level(logging.DEBUG):
        result = run_tap(config)
    secrets["new_access_token"] = sandbox.access_token(SHOP)
    secrets["new_refresh_token"] = sandbox.refresh_token(SHOP)
    logs = caplog.text + capsys.readouterr().err
    assert f"Retrying {p.ORDER_INCREMENT_GET}" in logs and "Refreshed the Pinduoduo access token" in logs
    for name, value in secrets.items():
        assert value not in logs, f"{name} leaked into the logs"
    for record in result.records:
        raw = sandbox.order(sandbox.index_of(record["order_sn"]))
        assert raw["open_address_id"] not in logs and raw["receiver_phone"] not in logs


def test_client_side_rate_budget_paces_requests(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(20, days=1)
    run_tap(tap_config(sandbox, max_requests_per_second=40))
    calls = sandbox.requests
    assert len(calls) == 99  # pdd.time.get + 49 windows of orders + 49 of after-sales
    # 40 ride the burst, the rest 25 ms apart; from the second call (the first also opens the connection)
    assert calls[-1]["at"] - calls[1]["at"] >= (98 - 40) / 40 - 0.05


# --------------------------------------------------------------------------- CLI
def test_module_cli_with_state_file_and_debug_logging(pdd_sandbox: Factory, tmp_path: Path) -> None:
    sandbox = pdd_sandbox(120)
    config = tap_config(sandbox)
    (tmp_path / "config.json").write_text(json.dumps(config))
    bookmark = sandbox.start_ts + 86_400
    state = {"bookmarks": {"orders": {"replication_key": "updated_at", "replication_key_value": p.to_local_text(bookmark)}}}
    (tmp_path / "state.json").write_text(json.dumps(state))
    env = {**os.environ, "LOGLEVEL": "DEBUG"}
    cmd = [sys.executable, "-m", "orderlayer.taps.pinduoduo.tap", "--config", str(tmp_path / "config.json")]
    proc = subprocess.run([*cmd, "--state", str(tmp_path / "state.json")], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [json.loads(line)["record"] for line in proc.stdout.splitlines() if line.startswith('{"type":"RECORD","stream":"orders"')]
    assert {r["order_sn"] for r in records} == sandbox.expected_order_sns(SHOP, start=bookmark - 300)
    assert "POST /api/router" in proc.stderr  # urllib3 DEBUG lines
    for value in (CLIENT_SECRET, config["access_token"], config["refresh_token"], PII_SALT):
        assert value not in proc.stderr
    about = subprocess.run([*cmd, "--discover"], capture_output=True, text=True, timeout=120, check=False)
    catalog = json.loads(about.stdout)
    assert [s["tap_stream_id"] for s in catalog["streams"]] == ["orders", "refunds"]


def test_wrong_base_url_fails_fast_naming_it(pdd_sandbox: Factory, asked_waits: list[float]) -> None:
    sandbox = pdd_sandbox(10)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox, base_url=sandbox.base_url + "/wrong/path", retry_base_seconds=1.0))
    assert "check base_url" in str(info.value.cause)
    assert [wait for wait in asked_waits if wait >= 0.5] == []  # not retried: a retry would wait ~1 s first
