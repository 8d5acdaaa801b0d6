"""tap-jd end to end against a started JD sandbox (127.0.0.1 only)."""

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
from tests.taps.jd.kit import (
    APP_SECRET,
    OTHER_SHOP,
    PII_SALT,
    SHOP,
    Factory,
    TapFailed,
    index_by_id,
    jd_sandbox,  # noqa: F401 - the fixture
    run_tap,
    search_calls,
    tap_config,
)
from singer_sdk.exceptions import ConfigValidationError

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.paging import WindowedPagePaginator
from orderlayer.taps.common.pii import apply_pii_policy, salted_hash
from orderlayer.taps.jd import protocol as p
from orderlayer.sandboxes.jd.server import JdSandbox
from orderlayer.taps.jd.streams import JD_PII_POLICY, OrdersStream
from orderlayer.taps.jd.tap import TapJd


def served(sandbox: JdSandbox, i: int, *, encrypted: bool = False) -> dict:
    """Order ``i`` as the tap must emit it: as served, the PII policy (masks included) applied."""
    order = sandbox.order(i, encrypted=encrypted)
    return apply_pii_policy(order, JD_PII_POLICY, PII_SALT)


def codes(calls: list[dict]) -> list[str]:
    return [c.get("code") for c in calls]


# --------------------------------------------------------------------------- full sync
def test_full_sync_emits_every_order_once_exactly_as_served(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(240)
    result = run_tap(tap_config(sandbox))
    ids = result.order_ids
    assert len(ids) == len(set(ids)), "a full sync against a half-open sandbox has no duplicates"
    assert set(ids) == sandbox.expected_ids(SHOP)
    assert len(ids) > 100

    by_id = index_by_id(sandbox)
    for record in result.records:
        assert record == served(sandbox, by_id[record["orderId"]])  # lossless apart from the PII policy
    modified = [r["modified"] for r in result.records]
    assert modified == sorted(modified)
    assert result.final_state["bookmarks"]["orders"] == {"replication_key": "modified", "replication_key_value": max(modified)}
    schema = next(m for m in result.messages if m["type"] == "SCHEMA")
    assert schema["stream"] == "orders" and schema["key_properties"] == ["venderId", "orderId"]
    assert schema["bookmark_properties"] == ["modified"]


def test_paging_and_windows_cover_the_range(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(300)
    result = run_tap(tap_config(sandbox, window_seconds=86_400, page_size=7))
    assert set(result.order_ids) == sandbox.expected_ids(SHOP)

    windows: dict[tuple[str, str], list[dict]] = {}
    for call in search_calls(sandbox):
        assert call["code"] == p.CODE_OK and call["method"] == p.METHOD_ORDER_SEARCH
        params = call["params"]
        assert params["page_size"] == "7" and params["dateType"] == "0" and params["sortType"] == "0"
        assert params["order_state"].split(",") == list(p.ORDER_STATES)
        assert {"orderId", "venderId", "modified"} <= set(params["optional_fields"].split(","))
        windows.setdefault((params["start_date"], params["end_date"]), []).append(call)
    spans = sorted((p.parse_local(s), p.parse_local(e)) for s, e in windows)
    assert spans[0][0] == sandbox.start_ts and spans[-1][1] == sandbox.now_ts + 1
    for (_s0, e0), (s1, _e1) in zip(spans, spans[1:], strict=False):
        assert s1 == e0, "windows must be contiguous"
    assert all(0 < end - start <= 86_400 for start, end in spans)
    for pages in windows.values():
        total = pages[0]["total"]
        assert [int(c["params"]["page"]) for c in pages] == list(range(1, max(1, -(-total // 7)) + 1))  # from 1
    assert max(len(pages) for pages in windows.values()) > 2  # really paged


def test_incremental_sync_after_advance_returns_only_changed_orders(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(240)
    first = run_tap(tap_config(sandbox))
    state = first.final_state
    bookmark = state["bookmarks"]["orders"]["replication_key_value"]
    before = {r["orderId"]: r["modified"] for r in first.records}

    sandbox.advance(sandbox.now_ts + 3 * 86_400)
    sandbox.clear_log()
    second = run_tap(tap_config(sandbox), state=copy.deepcopy(state))

    assert set(second.order_ids) == sandbox.expected_ids(SHOP, start=p.parse_local(bookmark))
    late = [oid for oid in second.order_ids if oid in before and before[oid] < bookmark]
    assert len(late) > 10  # orders synced before, changed since (shipped, finished, cancelled)
    assert all(r["modified"] >= bookmark for r in second.records)
    assert search_calls(sandbox)[0]["params"]["start_date"] == bookmark  # resumed at the bookmark, inclusive
    assert set(before) | set(second.order_ids) == sandbox.expected_ids(SHOP)


def test_window_deeper_than_the_gateway_pages_is_split(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(300, max_page=2)
    result = run_tap(tap_config(sandbox, window_seconds=10 * 86_400, page_size=5, max_pages_per_window=2))
    assert set(result.order_ids) == sandbox.expected_ids(SHOP)
    calls = search_calls(sandbox)
    assert all(c["code"] == p.CODE_OK for c in calls)  # never asked beyond page 2
    assert max(int(c["params"]["page"]) for c in calls) == 2
    modified = [r["modified"] for r in result.records]
    assert modified == sorted(modified)
    assert len({c["params"]["start_date"] for c in calls}) > 10  # one 10-day window became many


# --------------------------------------------------------------------------- errors and retries
def test_retries_rate_limited_and_busy_calls(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(150)
    sandbox.set_faults(rate_limit_next=2, busy_next=1)
    result = run_tap(tap_config(sandbox))
    assert set(result.order_ids) == sandbox.expected_ids(SHOP)
    calls = search_calls(sandbox)
    assert codes(calls[:4]) == [p.CODE_CALL_LIMITED, p.CODE_CALL_LIMITED, p.CODE_BACKEND_UNAVAILABLE, p.CODE_OK]
    assert len({json.dumps(c["params"], sort_keys=True) for c in calls[:4]}) == 1  # the same page retried


@pytest.mark.parametrize("style", ["rows", "body"])
def test_truncated_page_is_fetched_again(jd_sandbox: Factory, style: str) -> None:
    sandbox = jd_sandbox(150, truncate_style=style)
    sandbox.set_faults(truncate_next=1)
    result = run_tap(tap_config(sandbox))
    ids = result.order_ids
    assert set(ids) == sandbox.expected_ids(SHOP) and len(ids) == len(set(ids))
    calls = search_calls(sandbox)
    assert calls[0].get("fault") == "truncate" and calls[1].get("fault") is None
    assert calls[0]["params"] == calls[1]["params"]


def test_retries_gateway_outage_and_read_timeouts(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(100)
    sandbox.set_faults(stall_next=1, stall_seconds=0.5, http_503_next=1)
    result = run_tap(tap_config(sandbox, request_timeout=0.2))
    assert set(result.order_ids) == sandbox.expected_ids(SHOP)
    sandbox.settle()  # the stalled answer (abandoned by the client) has been logged
    assert sum(e.get("fault") == "http_503" for e in sandbox.requests) == 1
    first_page = [c for c in search_calls(sandbox) if c.get("params", {}).get("start_date") == p.format_local(sandbox.start_ts)]
    # the stalled try (answered after the client gave up) and the try after the 503 asked for the same page
    assert len(first_page) == 2 and first_page[0]["params"] == first_page[1]["params"]


def test_configured_codes_change_the_classification(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(60)
    sandbox.set_faults(busy_next=1)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox, retriable_error_codes=["2"]))  # 66 no longer retried
    assert "code 66" in str(info.value.cause) and len(search_calls(sandbox)) == 1


def test_expired_token_is_refreshed_once_and_sync_completes(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(150)
    old_token = sandbox.access_token(SHOP)
    config = tap_config(sandbox)
    sandbox.set_faults(expire_token=True)
    result = run_tap(config)
    assert set(result.order_ids) == sandbox.expected_ids(SHOP)
    log = sandbox.requests
    assert [(e["method"], e["code"]) for e in log[:3]] == [
        (p.METHOD_ORDER_SEARCH, p.CODE_INVALID_TOKEN),
        ("oauth2.refresh_token", "0"),
        (p.METHOD_ORDER_SEARCH, p.CODE_OK),
    ]
    assert sum(e["method"] == "oauth2.refresh_token" for e in log) == 1
    assert sandbox.access_token(SHOP) != old_token


def test_expired_token_without_refresh_token_names_the_config_key(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(60)
    config = tap_config(sandbox)
    del config["refresh_token"]
    sandbox.set_faults(expire_token=True)
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    message = str(info.value.cause)
    assert "code 19" in message and "'refresh_token'" in message
    assert len(sandbox.requests) == 1


def test_revoked_authorisation_fails_after_one_refresh_attempt(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(60)
    sandbox.revoke(SHOP)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox))
    message = str(info.value.cause)
    assert "refreshing the access token failed" in message and "re-authorize the shop" in message
    assert [e["method"] for e in sandbox.requests] == [p.METHOD_ORDER_SEARCH, "oauth2.refresh_token"]


def test_bad_app_secret_is_fatal_without_retry(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(60)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox, app_secret="not-the-secret"))
    message = str(info.value.cause)
    assert isinstance(info.value.cause, SourceAPIError)
    assert "code 12" in message and "无效签名" in message and "check app_secret" in message
    assert len(sandbox.requests) == 1


def test_missing_api_permission_is_fatal_with_fix(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(60, allowed_methods=[p.METHOD_ORDER_SEARCH])
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox, order_api="enSearch"))
    message = str(info.value.cause)
    assert "code 24" in message and "permission denied for jingdong.pop.order.enSearch" in message
    assert "order_api" in message and "access_token" in message
    assert len(sandbox.requests) == 1


def test_clock_skew_is_fatal_with_fix(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(60, wall_clock=lambda: time.time() + 3_600)  # the gateway is an hour ahead of us
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox))
    message = str(info.value.cause)
    assert "code 8" in message and "NTP" in message and len(sandbox.requests) == 1


def test_token_of_another_shop_is_fatal(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(60)
    config = tap_config(sandbox, shop=SHOP)
    config["shop_id"] = OTHER_SHOP  # but the access token is SHOP's
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    assert "belongs to another shop" in str(info.value.cause)
    assert info.value.result.records == []


def test_business_failure_is_fatal_and_names_the_config(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(60, max_window_seconds=3_600)  # a gateway stricter than the tap's window
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox))
    message = str(info.value.cause)
    assert "查询时间跨度不能超过一个月" in message and "window_seconds" in message


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"page_size": 101}, "101 is greater than the maximum of 100"),
        ({"window_seconds": 29 * 86_400}, "is greater than the maximum of 2419200"),
        ({"start_date": "2024-11-01T00:00:00"}, "start_date' needs a UTC offset"),
        ({"end_date": "2024-10-01T00:00:00+08:00"}, "'end_date' must be after 'start_date'"),
        ({"order_api": "list"}, "list"),
        ({"order_states": []}, "'order_states' must name at least one orderState"),
        ({"order_states": ["WAIT_BUYER_PAY"]}, "WAIT_BUYER_PAY"),
        ({"shop_id": "jd-shop"}, "jd-shop"),
    ],
)
def test_bad_config_is_rejected_before_any_call(jd_sandbox: Factory, override: dict, fragment: str) -> None:
    sandbox = jd_sandbox(20)
    config = {**tap_config(sandbox), **override}
    with pytest.raises(ConfigValidationError) as info:
        TapJd(config=config, parse_env_config=False)
    assert any(fragment in e for e in info.value.errors), info.value.errors
    assert sandbox.requests == []


# --------------------------------------------------------------------------- payload fidelity and PII
def test_ids_stay_text_and_big_numbers_stay_exact_on_the_wire(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(150, order_id_as_number=True)  # a gateway that sends orderId as a bare JSON number
    result = run_tap(tap_config(sandbox))
    expected = sandbox.expected_ids(SHOP)
    assert {str(r["orderId"]) for r in result.records} == expected
    assert all(int(oid) > 2**53 and len(oid) == 19 for oid in expected)
    lines = "\n".join(line for line in result.lines if line.startswith('{"type":"RECORD"'))
    for oid in expected:
        assert f'"orderId":{oid}' in lines  # digit for digit, never 3.1e18
    assert not re.search(r'"orderId":\d+(?:\.\d+)?[eE.]', lines)
    skus = {item["skuId"] for r in result.records for item in r["itemInfoList"]}
    assert "9007199254740993" in skus  # 2**53 + 1 stays text


def test_plaintext_receiver_removed_masks_kept_buyer_ids_hashed(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(150)
    by_id = index_by_id(sandbox)
    result = run_tap(tap_config(sandbox))
    text = "\n".join(result.lines)
    vat_orders = 0
    for record in result.records:
        raw = sandbox.order(by_id[record["orderId"]])
        receiver = raw["consigneeInfo"]
        for value in (receiver["fullname"], receiver["mobile"], receiver["fullAddress"], raw["pin"], raw["open_id_buyer"]):
            assert value not in text
        out = record["consigneeInfo"]
        assert out["fullname"] is None and out["mobile"] is None and out["fullAddress"] is None
        assert out["province"] == receiver["province"] and out["city"] == receiver["city"]
        assert out["ol_masked_mobile"] == receiver["mobile"][:3] + "****" + receiver["mobile"][-4:]
        assert out["ol_masked_fullname"] == receiver["fullname"][0] + "*" * (len(receiver["fullname"]) - 1)
        assert record["pin"] == salted_hash(raw["pin"], PII_SALT)
        assert record["open_id_buyer"] == salted_hash(raw["open_id_buyer"], PII_SALT)
        if "vatInfo" in raw:
            vat_orders += 1
            assert record["vatInfo"] is None and raw["vatInfo"]["bankAccount"] not in text
    assert vat_orders >= 1


def test_ensearch_ciphertexts_and_planted_plaintext_removed(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(300)
    by_id = index_by_id(sandbox)
    result = run_tap(tap_config(sandbox, order_api="enSearch"))
    assert {c["method"] for c in search_calls(sandbox)} == {p.METHOD_ORDER_ENSEARCH}
    text = "\n".join(result.lines)
    planted = 0
    for record in result.records:
        raw = sandbox.order(by_id[record["orderId"]], encrypted=True)
        assert record["consigneeInfo"]["mobile"] is None and record["consigneeInfo"]["ol_masked_mobile"] is None
        assert raw["consigneeInfo"]["mobile"] not in text  # the ciphertext is not kept either
        if "originalConsigneeInfo" in raw:
            planted += 1
            leaked = raw["originalConsigneeInfo"]
            assert leaked["mobile"] not in text and leaked["fullAddress"] not in text
            assert record["originalConsigneeInfo"]["ol_masked_mobile"] == leaked["mobile"][:3] + "****" + leaked["mobile"][-4:]
    assert planted >= 1


def test_unknown_platform_fields_survive(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(60, extra_fields={"newPlatformField": {"level": 2, "tags": ["a"]}, "weightKg": 1.25})
    result = run_tap(tap_config(sandbox))
    assert result.records
    for record in result.records:
        assert record["newPlatformField"] == {"level": 2, "tags": ["a"]}
        assert str(record["weightKg"]) == "1.25"
    assert all('"weightKg":1.25' in line for line in result.lines if line.startswith('{"type":"RECORD","stream":"orders"'))


def test_no_secret_or_personal_data_in_logs(
    jd_sandbox: Factory, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = jd_sandbox(150)
    config = tap_config(sandbox)
    secrets = {"app_secret": APP_SECRET, "access_token": config["access_token"], "refresh_token": config["refresh_token"], "pii_salt": PII_SALT}
    sandbox.set_faults(expire_token=True, busy_next=1)
    with caplog.at_level(logging.DEBUG):
        result = run_tap(config)
    secrets["new_access_token"] = sandbox.access_token(SHOP)
    secrets["new_refresh_token"] = sandbox.refresh_token(SHOP)
    logs = caplog.text + capsys.readouterr().err
    assert "Retrying jingdong.pop.order.search" in logs and "Refreshed the JD access token" in logs
    assert "GET /oauth2/refresh_token?" in logs and "app_secret=***" in logs  # urllib3 DEBUG line, scrubbed
    for name, value in secrets.items():
        assert value not in logs, f"{name} leaked into the logs"
    assert not re.search(r"[0-9A-F]{32}", logs), "a signature leaked into the logs"
    by_id = index_by_id(sandbox)
    for record in result.records[:40]:
        raw = sandbox.order(by_id[record["orderId"]])
        assert raw["consigneeInfo"]["mobile"] not in logs and raw["pin"] not in logs


# --------------------------------------------------------------------------- consistency hazards
def test_order_updated_while_paging_triggers_rescan_and_nothing_is_lost(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(200)
    expected = sandbox.expected_ids(SHOP)
    sandbox.set_faults(update_during_paging=1)
    result = run_tap(tap_config(sandbox, page_size=5, window_seconds=20 * 86_400))
    assert expected <= set(result.order_ids)
    first_pages = [c["params"]["start_date"] for c in search_calls(sandbox) if c["params"]["page"] == "1"]
    assert len(first_pages) == 2 and first_pages[1] > first_pages[0]  # rescanned from the last emitted time
    modified = [r["modified"] for r in result.records]
    assert modified == sorted(modified)


def test_order_updated_while_paging_loses_an_order_without_the_rescan(jd_sandbox: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hazard is real: naive offset paging (accept every page) skips an order."""
    sandbox = jd_sandbox(200)
    expected = sandbox.expected_ids(SHOP)
    sandbox.set_faults(update_during_paging=1)

    def accept_everything(self: WindowedPagePaginator, total: int | None, records: list[dict]) -> bool:
        token = self.current_value
        self._more = (token.page - self.first_page + 1) * self.page_size < (total or 0)  # noqa: SLF001
        return True

    monkeypatch.setattr(WindowedPagePaginator, "accept_page", accept_everything)
    result = run_tap(tap_config(sandbox, page_size=5, window_seconds=20 * 86_400))
    assert expected - set(result.order_ids), "expected naive paging to skip an order"


def test_killed_sync_resumes_from_last_state_without_loss(jd_sandbox: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(OrdersStream, "STATE_MSG_FREQUENCY", 20)
    sandbox = jd_sandbox(300)
    config = tap_config(sandbox, window_seconds=86_400, page_size=10)
    sandbox.set_faults(offline_after=6)
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    partial = info.value.result
    assert "code 23" in str(info.value.cause)
    assert partial.records and partial.states
    bookmark = partial.states[-1]["bookmarks"]["orders"]["replication_key_value"]

    sandbox.set_faults(offline_after=None)
    sandbox.clear_log()
    resumed = run_tap(config, state=copy.deepcopy(partial.states[-1]))
    assert search_calls(sandbox)[0]["params"]["start_date"] == bookmark
    assert set(partial.order_ids) | set(resumed.order_ids) == sandbox.expected_ids(SHOP)
    assert len(resumed.records) < len(sandbox.expected_ids(SHOP))  # resumed, not restarted


def test_unsorted_answers_fail_loudly_or_are_tolerated_when_configured(jd_sandbox: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the gateway ignored sortType, a trusting sync stops with an error; trust_sort_order=false copes."""
    original = OrdersStream.business_params

    def descending(self: OrdersStream, token: t.Any) -> dict:  # noqa: ANN401
        return {**original(self, token), "sortType": p.SORT_DESCENDING}

    monkeypatch.setattr(OrdersStream, "business_params", descending)
    sandbox = jd_sandbox(150)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox, window_seconds=20 * 86_400))
    assert "sort" in str(info.value.cause).lower()

    result = run_tap(tap_config(sandbox, window_seconds=20 * 86_400, trust_sort_order=False))
    assert set(result.order_ids) == sandbox.expected_ids(SHOP)
    bookmark = result.final_state["bookmarks"]["orders"]["replication_key_value"]
    assert bookmark == max(r["modified"] for r in result.records)


def test_client_side_rate_budget_paces_requests(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(60)
    run_tap(tap_config(sandbox, max_requests_per_second=8, window_seconds=86_400))
    calls = search_calls(sandbox)
    windows = -(-(sandbox.now_ts + 1 - sandbox.start_ts) // 86_400)
    assert len(calls) == windows >= 10  # one page per day-window
    # 8 requests ride the initial burst; every further one waits 1/8 s for a token. Measured from the second
    # call: the first one also opens the connection, so its arrival lags its send by more than the others'.
    assert calls[-1]["at"] - calls[1]["at"] >= (windows - 1 - 8) / 8 - 0.02


# --------------------------------------------------------------------------- CLI
def test_cli_with_state_file_and_debug_logging(jd_sandbox: Factory, tmp_path: Path) -> None:
    sandbox = jd_sandbox(100)
    config = tap_config(sandbox)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    bookmark = p.format_local(sandbox.start_ts + 5 * 86_400)
    state_path = tmp_path / "state.json"
    state_path.write_text(json.dumps({"bookmarks": {"orders": {"replication_key": "modified", "replication_key_value": bookmark}}}))
    cmd = [sys.executable, "-m", "orderlayer.taps.jd.tap", "--config", str(config_path), "--state", str(state_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "LOGLEVEL": "DEBUG"}, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [json.loads(line)["record"] for line in proc.stdout.splitlines() if line.startswith('{"type":"RECORD","stream":"orders"')]
    assert {r["orderId"] for r in records} == sandbox.expected_ids(SHOP, start=p.parse_local(bookmark))
    for value in (APP_SECRET, config["access_token"], config["refresh_token"], PII_SALT):
        assert value not in proc.stderr

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**config, "page_size": 500}))
    failed = subprocess.run([*cmd[:4], str(bad)], capture_output=True, text=True, timeout=60, check=False)
    assert failed.returncode != 0 and "page_size" in failed.stderr and failed.stdout == ""


def test_inclusive_window_ends_only_duplicate_boundary_orders(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(200, window_end_inclusive=True)
    by_id = index_by_id(sandbox)
    window = 86_400
    # put a window boundary exactly on one order's modified time
    target_id = min(sandbox.expected_ids(SHOP))
    boundary = sandbox.modified_of(by_id[target_id])
    start = boundary - 3 * window
    result = run_tap(tap_config(sandbox, window_seconds=window, start_date=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(start))))
    ids = result.order_ids
    assert set(ids) == sandbox.expected_ids(SHOP, start=start)
    duplicates = {oid for oid in ids if ids.count(oid) > 1}
    assert target_id in duplicates
    boundaries = set(range(start, sandbox.now_ts + 2, window))
    assert all(sandbox.modified_of(by_id[oid]) in boundaries for oid in duplicates)


def test_offset_timestamp_format_is_accepted(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(60)
    result = run_tap(tap_config(sandbox, timestamp_format="offset_ms"))
    assert set(result.order_ids) == sandbox.expected_ids(SHOP)


def test_bookmark_at_the_end_makes_no_call(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(40)
    state = {"bookmarks": {"orders": {"replication_key": "modified", "replication_key_value": p.format_local(sandbox.now_ts + 5)}}}
    result = run_tap(tap_config(sandbox), state=state)
    assert result.records == [] and search_calls(sandbox) == []
