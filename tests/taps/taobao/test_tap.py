"""tap-taobao end to end against a started sandbox (127.0.0.1 only)."""

from __future__ import annotations

import copy
import json
import logging
import math
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from singer_sdk.exceptions import ConfigValidationError
from tests.taps.taobao.kit import (
    APP_SECRET,
    PII_SALT,
    SHOP,
    TMALL_SHOP,
    Factory,
    TapFailed,
    expected_tids,
    index_by_tid,
    list_calls,
    run_tap,
    tap_config,
    taobao_sandbox,  # noqa: F401 - fixture
)

from orderlayer.taps.common.pii import salted_hash
from orderlayer.taps.taobao import protocol as p
from orderlayer.taps.common.paging import BackwardPage, BackwardWindowPaginator
from orderlayer.sandboxes.kit.server import SandboxRequest, SandboxResponse
from orderlayer.taps.taobao.streams import DEFAULT_FIELDS, OrdersStream
from orderlayer.taps.taobao.tap import TapTaobao

# The sandbox logs each call's `page_no`/`start`/`end`/`tids`; these tests read the protocol from that log.


# --------------------------------------------------------------------------- full and incremental sync
def test_full_sync_emits_every_trade_once_sorted_with_a_naive_bookmark(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(150)
    result = run_tap(tap_config(sandbox))
    tids = result.tids
    assert len(tids) == len(set(tids)) and set(tids) == expected_tids(sandbox)
    assert len(tids) > 50
    times = [r["modified"] for r in result.records]
    assert times == sorted(times)
    assert result.final_state["bookmarks"]["orders"] == {"replication_key": "modified", "replication_key_value": max(times)}
    schema = next(m for m in result.messages if m["type"] == "SCHEMA")
    assert schema["key_properties"] == ["shop_id", "tid"] and schema["bookmark_properties"] == ["modified"]
    by_tid = index_by_tid(sandbox)
    for record in result.records:  # as served, apart from ids-as-text and the PII policy
        raw = sandbox.trade(by_tid[record["tid"]])
        assert record["status"] == raw["status"] and record["payment"] == raw["payment"]
        assert record["orders"]["order"][0]["price"] == raw["orders"]["order"][0]["price"]
        assert record["shop_id"] == SHOP


def test_windows_are_at_most_one_day_contiguous_and_paged_backwards(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(400, max_window_seconds=p.MAX_WINDOW_SECONDS)
    result = run_tap(tap_config(sandbox, page_size=4))
    assert set(result.tids) == expected_tids(sandbox)
    calls = list_calls(sandbox)
    assert all(c["code"] == 0 for c in calls)
    windows: dict[tuple[int, int], list[dict]] = {}
    for call in calls:
        windows.setdefault((call["start"], call["end"]), []).append(call)
        assert call["params"]["use_has_next"] == "false" and call["params"]["page_size"] == "4"
    spans = sorted(windows)
    assert spans[0][0] == sandbox.generator.start_ts and spans[-1][1] == sandbox.now_ts + 1
    assert all(s1 == e0 for (_s0, e0), (s1, _e1) in zip(spans, spans[1:], strict=False))
    assert all(0 < end - start <= 86_400 for start, end in spans)
    paged = 0
    for pages in windows.values():
        total = pages[0]["total"]
        last = max(1, math.ceil(total / 4))
        # page 1 opens the window; a window of several pages is then read from its last page back to page 1
        expected = [1] if last == 1 else [1, *range(last, 0, -1)]
        assert [c["page_no"] for c in pages] == expected
        paged += last > 2
    assert paged >= 3


def test_incremental_sync_after_advance_returns_changed_trades_from_the_bookmark(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(300)
    first = run_tap(tap_config(sandbox))
    bookmark = first.final_state["bookmarks"]["orders"]["replication_key_value"]
    before = {r["tid"]: r["modified"] for r in first.records}

    sandbox.advance(sandbox.now_ts + 4 * 86_400)
    sandbox.clear_log()
    second = run_tap(tap_config(sandbox), state=copy.deepcopy(first.final_state))
    assert list_calls(sandbox)[0]["params"]["start_modified"] == bookmark  # resumed at the bookmark, inclusive
    start = p.parse_time(bookmark)
    assert set(second.tids) == expected_tids(sandbox, start=start)
    late = [t for t in second.tids if t in before and before[t] < bookmark]
    assert len(late) > 10  # trades modified again after the first sync: late updates picked up
    assert all(r["modified"] >= bookmark for r in second.records)
    assert set(before) | set(second.tids) == expected_tids(sandbox)


def test_killed_sync_resumes_from_the_last_state_without_loss(taobao_sandbox: Factory, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setattr(OrdersStream, "STATE_MSG_FREQUENCY", 10)
    sandbox = taobao_sandbox(300)
    config = tap_config(sandbox, max_tries=2)
    real_dispatch = sandbox.dispatch
    answered = {"calls": 0}

    def outage_after_six_calls(request: SandboxRequest) -> SandboxResponse:
        answered["calls"] += 1
        if answered["calls"] > 6:
            return SandboxResponse(503, b"<html>503 Service Temporarily Unavailable</html>", {"Content-Type": "text/html"})
        return real_dispatch(request)

    monkeypatch.setattr(sandbox, "dispatch", outage_after_six_calls)
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    partial = info.value.result
    assert "503" in str(info.value.cause) and partial.records and partial.states
    bookmark = partial.states[-1]["bookmarks"]["orders"]["replication_key_value"]

    monkeypatch.setattr(sandbox, "dispatch", real_dispatch)
    sandbox.clear_log()
    resumed = run_tap(config, state=copy.deepcopy(partial.states[-1]))
    assert list_calls(sandbox)[0]["params"]["start_modified"] == bookmark
    assert set(partial.tids) | set(resumed.tids) == expected_tids(sandbox)
    assert len(resumed.records) < len(expected_tids(sandbox))  # not the whole history again


# --------------------------------------------------------------------------- offset drift and window edges
def test_trade_modified_while_paging_is_not_lost_when_paging_backwards(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(200)
    expected = expected_tids(sandbox)
    sandbox.set_faults(modify_during_paging=1)
    result = run_tap(tap_config(sandbox, page_size=5))
    fault = next(c for c in list_calls(sandbox) if c.get("fault") == "modify_during_paging")
    moved = fault["moved"]
    assert fault["page_no"] > 1 and sandbox.modified_of(index_by_tid(sandbox)[moved]) == sandbox.now_ts
    # Every trade arrives except the one whose new `modified` is past this sync's end: the next sync has it.
    assert set(result.tids) == expected - {moved}
    assert len(result.tids) == len(set(result.tids))  # the row read twice was de-duplicated
    follow_up = run_tap(tap_config(sandbox), state=copy.deepcopy(result.final_state))
    assert moved in follow_up.tids


def test_forward_offset_paging_would_lose_a_trade(taobao_sandbox: Factory, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """The hazard is real: paging 1, 2, 3, ... through TOP's descending order skips a row for good."""
    sandbox = taobao_sandbox(200)
    expected = expected_tids(sandbox)
    sandbox.set_faults(modify_during_paging=1)

    def forward(self: BackwardWindowPaginator, total: int, records: list[dict]) -> list[dict]:
        token = self.current_value
        self._buffer.extend(records)  # noqa: SLF001
        if token.page * self.page_size >= total:
            self._next = None  # noqa: SLF001
            return self._drain(token)  # noqa: SLF001
        self._next = BackwardPage(token.window_start, token.window_end, token.page + 1, probe=False)  # noqa: SLF001
        return []

    monkeypatch.setattr(BackwardWindowPaginator, "accept_page", forward)
    result = run_tap(tap_config(sandbox, page_size=5))
    moved = next(c for c in list_calls(sandbox) if c.get("fault") == "modify_during_paging")["moved"]
    lost = expected - {moved} - set(result.tids)
    assert lost, "expected forward paging to skip a trade that never changed"
    assert all(sandbox.modified_of(index_by_tid(sandbox)[t]) < sandbox.now_ts for t in lost)


def test_inclusive_window_ends_do_not_duplicate_boundary_trades(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(200, window_end_inclusive=True)
    by_tid = index_by_tid(sandbox)
    target = min(by_tid, key=lambda t: sandbox.modified_of(by_tid[t]))
    boundary = sandbox.modified_of(by_tid[target])
    start = boundary - 2 * 86_400  # a window boundary falls exactly on the target trade
    config = tap_config(sandbox, start_date=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(start)))
    result = run_tap(config)
    assert set(result.tids) == expected_tids(sandbox, start=start)
    assert len(result.tids) == len(set(result.tids))
    # the boundary trade was served in two windows (end of one, start of the next) and emitted once
    windows = {(c["start"], c["end"]) for c in list_calls(sandbox) if target in c["tids"]}
    assert len(windows) == 2 and result.tids.count(target) == 1


def test_omitting_trade_types_silently_misses_fixed_price_trades(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(150)
    full = set(run_tap(tap_config(sandbox)).tids)
    narrow = set(run_tap(tap_config(sandbox, trade_types=[])).tids)
    gen = sandbox.generator
    by_tid = index_by_tid(sandbox)
    missing = full - narrow
    assert missing and all(gen.timeline(by_tid[t]).trade_type in ("fixed", "tmall_i18n") for t in missing)
    assert "type" not in list_calls(sandbox)[-1]["params"]


# --------------------------------------------------------------------------- errors and retries
def test_retries_rate_limit_and_isp_busy_then_completes(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(100, ban_seconds=0)
    sandbox.set_faults(rate_limit_next=2, busy_next=1)
    result = run_tap(tap_config(sandbox))
    assert set(result.tids) == expected_tids(sandbox)
    calls = list_calls(sandbox)
    assert [(c["code"], c.get("sub_code")) for c in calls[:4]] == [
        (7, p.SUB_RATE_LIMITED),
        (7, p.SUB_RATE_LIMITED),
        (15, p.SUB_SERVICE_BUSY),
        (0, None),
    ]
    assert len({json.dumps(c["params"], sort_keys=True) for c in calls[:4]}) == 1  # the same page retried


def test_ban_length_of_code_7_is_honoured(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(60, ban_seconds=0.4)
    sandbox.set_faults(rate_limit_next=1)
    run_tap(tap_config(sandbox))
    calls = list_calls(sandbox)
    assert calls[0]["code"] == 7 and calls[1]["code"] == 0
    assert calls[1]["at"] - calls[0]["at"] >= 0.39  # backoff alone would wait ~1 ms here


def test_gateway_outage_truncated_body_short_page_and_read_timeout_are_retried(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(120)
    sandbox.set_faults(http_503_next=1, truncate_next=1, short_page_next=1, stall_next=1, stall_seconds=0.5)
    result = run_tap(tap_config(sandbox, request_timeout=0.25, page_size=5))
    assert set(result.tids) == expected_tids(sandbox) and len(result.tids) == len(set(result.tids))
    sandbox.settle()  # the stalled answer (abandoned by the client) has been logged
    faults = [c.get("fault") for c in sorted(sandbox.requests, key=lambda e: e["at"])]
    assert {"http_503", "truncated", "short_page"} <= set(faults)


def test_expired_session_is_renewed_once_and_the_sync_completes(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(100)
    old = sandbox.access_token(SHOP)
    sandbox.set_faults(expire_token=True)
    result = run_tap(tap_config(sandbox))
    assert set(result.tids) == expected_tids(sandbox)
    log = sandbox.requests
    assert [(e["method"], e["code"]) for e in log[:3]] == [(p.METHOD_INCREMENT, 27), ("token", 200), (p.METHOD_INCREMENT, 0)]
    assert log[0]["sub_code"] == p.SUB_SESSION_EXPIRED
    assert sum(e["method"] == "token" for e in log) == 1 and sandbox.access_token(SHOP) != old


def test_expired_session_without_refresh_token_names_the_config_keys(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(40)
    config = tap_config(sandbox)
    del config["refresh_token"]
    sandbox.set_faults(expire_token=True)
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    message = str(info.value.cause)
    assert "error code 27" in message and "'access_token'" in message and "'refresh_token'" in message
    assert len(sandbox.requests) == 1


def test_spent_refresh_token_is_fatal_with_the_fix(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(40)
    config = tap_config(sandbox)
    sandbox.set_faults(expire_token=True)
    run_tap(config)  # renews: the configured refresh token is now spent (single use)
    sandbox.set_faults(expire_token=True)
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    message = str(info.value.cause)
    assert "renewing the session failed (HTTP 400: refresh_token is invalid or already used)" in message
    assert "re-authorize the shop" in message and "'refresh_token'" in message


def test_bad_app_secret_is_fatal_without_retry(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(40)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox, app_secret="not-the-secret"))
    message = str(info.value.cause)
    assert "error code 25" in message and "check app_secret" in message
    assert len(sandbox.requests) == 1


def test_missing_api_permission_is_fatal_with_the_fix(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(40)
    sandbox.set_faults(deny_permission=True)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox))
    assert "error code 11" in str(info.value.cause) and "permission package" in str(info.value.cause)
    assert len(sandbox.requests) == 1


def test_window_above_the_platform_limit_is_a_clear_fatal_error(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(40, max_window_seconds=3_600)  # a gateway stricter than documented
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox, window_seconds=7_200))
    message = str(info.value.cause)
    assert "error code 41" in message and "window_seconds" in message


def test_session_of_another_shop_is_detected_by_seller_nick(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(60)
    nick = sandbox.trade(sandbox.generator.indexes_for_shop(TMALL_SHOP)[0])["seller_nick"]
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox, shop=SHOP, seller_nick=nick))
    assert "belongs to another shop" in str(info.value.cause)
    assert info.value.result.records == []


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"page_size": 101}, "101 is greater than the maximum of 100"),
        ({"window_seconds": 90_000}, "90000 is greater than the maximum of 86400"),
        ({"start_date": "2024-11-01T00:00:00"}, "start_date' needs a UTC offset"),
        ({"end_date": "2024-10-01T00:00:00+08:00"}, "'end_date' must be after 'start_date'"),
        ({"sign_method": "sha1"}, "sha1"),
    ],
)
def test_bad_config_is_rejected_before_any_call(taobao_sandbox: Factory, override: dict, fragment: str) -> None:  # noqa: F811
    sandbox = taobao_sandbox(20)
    with pytest.raises(ConfigValidationError) as info:
        TapTaobao(config=tap_config(sandbox, **override), parse_env_config=False)
    assert any(fragment in e for e in info.value.errors), info.value.errors
    assert sandbox.requests == []


# --------------------------------------------------------------------------- payload fidelity and personal data
@pytest.mark.parametrize("with_tid_str", [True, False])
def test_json_number_ids_become_exact_text(taobao_sandbox: Factory, with_tid_str: bool) -> None:  # noqa: F811
    sandbox = taobao_sandbox(150, shop_ids=(SHOP,))
    by_tid = index_by_tid(sandbox)
    gen = sandbox.generator
    fields = [f for f in DEFAULT_FIELDS if with_tid_str or f != "tid_str"]
    result = run_tap(tap_config(sandbox, fields=fields))
    assert set(result.tids) == expected_tids(sandbox)
    assert all(("tid_str" in r) is with_tid_str for r in result.records)
    numeric = [r for r in result.records if gen.timeline(by_tid[r["tid"]]).numeric_ids]
    assert len(numeric) >= 10
    # 2**53 + 1 and 2**53 + 3 cannot be represented by a double: they arrive and leave digit for digit
    assert {"9007199254740993", "9007199254740995"} <= set(result.tids)
    for record in result.records:
        assert isinstance(record["tid"], str) and record["tid"].isdigit()
        for sub in record["orders"]["order"]:
            assert isinstance(sub["oid"], str) and sub["oid"].isdigit()
            assert isinstance(sub["num_iid"], int)  # other numbers are emitted as received
    text = "\n".join(line for line in result.lines if line.startswith('{"type":"RECORD"'))
    assert '"tid":"9007199254740993"' in text and "9.007199254740993e" not in text.lower()


def test_plaintext_receivers_removed_masks_kept_and_buyer_ids_hashed(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(200, shop_ids=(SHOP,), days=12)
    gen = sandbox.generator
    by_tid = index_by_tid(sandbox)
    result = run_tap(tap_config(sandbox))
    text = "\n".join(result.lines)
    planted = [r for r in result.records if gen.has_plaintext_pii(by_tid[r["tid"]])]
    assert len(planted) >= 3
    for record in planted:
        plain = gen.plaintext_receiver(by_tid[record["tid"]])
        raw = sandbox.trade(by_tid[record["tid"]])
        assert raw["receiver_mobile"] == plain["receiver_mobile"]  # the sandbox did send plaintext
        for key, value in plain.items():
            assert record[key] is None and value not in text
    for record in result.records:
        raw = sandbox.trade(by_tid[record["tid"]])
        assert record["buyer_nick"] == salted_hash(raw["buyer_nick"], PII_SALT) and raw["buyer_nick"] not in text
        assert record["buyer_open_uid"] == salted_hash(raw["buyer_open_uid"], PII_SALT)
        assert record["oaid"] == raw["oaid"]  # an opaque id, kept
        if not gen.has_plaintext_pii(by_tid[record["tid"]]):
            assert record["receiver_mobile"] == raw["receiver_mobile"] and "****" in record["receiver_mobile"]
            assert record["receiver_name"] == raw["receiver_name"]


def test_undeclared_fields_survive(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(60, shop_ids=(SHOP,))
    fields = [*DEFAULT_FIELDS, "trade_attr_new"]
    real_trade = sandbox.generator.trade

    def with_new_fields(i: int, now: int, bumped: int | None = None) -> dict:
        trade = real_trade(i, now, bumped)
        trade["trade_attr_new"] = {"level": 2, "tags": ["a"], "weight": 1.25}
        return trade

    sandbox.generator.trade = with_new_fields  # type: ignore[method-assign]
    result = run_tap(tap_config(sandbox, fields=fields))
    assert result.records
    for record in result.records:
        assert record["trade_attr_new"] == {"level": 2, "tags": ["a"], "weight": 1.25}
    assert all('"weight":1.25' in line for line in result.lines if line.startswith('{"type":"RECORD","stream":"orders"'))


def test_no_secret_or_personal_data_in_logs(taobao_sandbox: Factory, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    sandbox = taobao_sandbox(120, ban_seconds=0)
    config = tap_config(sandbox)
    secrets = {"app_secret": APP_SECRET, "access_token": config["access_token"], "refresh_token": config["refresh_token"], "pii_salt": PII_SALT}
    sandbox.set_faults(expire_token=True, rate_limit_next=1)
    with caplog.at_level(logging.DEBUG):
        result = run_tap(config)
    secrets["new_access_token"] = sandbox.access_token(SHOP)
    secrets["new_refresh_token"] = sandbox.refresh_token(SHOP)
    logs = caplog.text + capsys.readouterr().err
    assert "Retrying taobao.trades.sold.increment.get" in logs and "Refreshed the Taobao access token" in logs
    assert "POST /router/rest?" in logs  # urllib3 DEBUG lines (scrubbed) are there
    for name, value in secrets.items():
        assert value not in logs, f"{name} leaked into the logs"
    assert not re.search(r"sign=[0-9A-F]{32}", logs)
    by_tid = index_by_tid(sandbox)
    for record in result.records[:40]:
        assert sandbox.trade(by_tid[record["tid"]])["buyer_nick"] not in logs


def test_client_side_rate_budget_paces_requests(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(40, days=3)
    run_tap(tap_config(sandbox, max_requests_per_second=20, window_seconds=3 * 3_600))
    calls = list_calls(sandbox)
    assert len(calls) >= 23
    # 20 requests ride the initial burst; each further one waits its 50 ms.
    assert calls[-1]["at"] - calls[0]["at"] >= (len(calls) - 21) * 0.05 * 0.9


# --------------------------------------------------------------------------- CLI
def test_module_cli_with_state_file(taobao_sandbox: Factory, tmp_path: Path) -> None:  # noqa: F811
    sandbox = taobao_sandbox(80)
    config = tap_config(sandbox)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    bookmark = p.format_time(sandbox.generator.start_ts + 4 * 86_400)
    state_path = tmp_path / "state.json"
    state_path.write_text(json.dumps({"bookmarks": {"orders": {"replication_key": "modified", "replication_key_value": bookmark}}}))
    cmd = [sys.executable, "-m", "orderlayer.taps.taobao.tap", "--config", str(config_path), "--state", str(state_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [json.loads(line)["record"] for line in proc.stdout.splitlines() if line.startswith('{"type":"RECORD"')]
    assert {r["tid"] for r in records} == expected_tids(sandbox, start=p.parse_time(bookmark))
    for value in (APP_SECRET, config["access_token"], config["refresh_token"], PII_SALT):
        assert value not in proc.stderr

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**config, "page_size": 500}))
    failed = subprocess.run([*cmd[:3], "--config", str(bad)], capture_output=True, text=True, timeout=60, check=False)
    assert failed.returncode != 0 and "page_size" in failed.stderr and failed.stdout == ""
