"""tap-youzan end to end against a started sandbox (127.0.0.1 only)."""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import subprocess
import sys
import typing as t
from decimal import Decimal
from pathlib import Path

import pytest
from singer_sdk.exceptions import ConfigValidationError
from tests.taps.youzan.kit import (
    CLIENT_SECRET,
    PII_SALT,
    SHOP,
    Factory,
    TapFailed,
    api_calls,
    index_by_tid,
    make_youzan,  # noqa: F401 - fixture
    run_tap,
    tap_config,
    token_calls,
)

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.pii import apply_pii_policy, salted_hash
from orderlayer.taps.youzan import protocol as p
from orderlayer.sandboxes.youzan.server import YouzanSandbox
from orderlayer.taps.youzan.streams import RECEIVER_POLICIES, OrdersStream
from orderlayer.taps.youzan.tap import TapYouzan


def expected(sandbox: YouzanSandbox, start: int | None = None, shop: str = SHOP) -> set[str]:
    return sandbox.expected_tids(shop, sandbox.start_ts if start is None else start)


def as_emitted(sandbox: YouzanSandbox, i: int, shop: str = SHOP) -> dict:
    """What the tap must emit for order ``i``: as served, keyed, receiver masked, PII policy applied."""
    order = sandbox.order(i)
    info = order["order_info"]
    record = {"kdt_id": shop, "tid": info["tid"], "update_time": info["update_time"], **order}
    return apply_pii_policy(record, RECEIVER_POLICIES["mask"], PII_SALT)


def window_calls(sandbox: YouzanSandbox) -> dict[tuple[str, str], list[dict]]:
    windows: dict[tuple[str, str], list[dict]] = {}
    for call in api_calls(sandbox):
        params = call["params"]
        windows.setdefault((params["start_update"], params["end_update"]), []).append(call)
    return windows


# --------------------------------------------------------------------------- full and incremental sync
def test_full_sync_emits_every_order_once_exactly_as_served(make_youzan: Factory) -> None:
    sandbox = make_youzan(200)
    result = run_tap(tap_config(sandbox))
    tids = result.tids
    assert len(tids) == len(set(tids)) and set(tids) == expected(sandbox)
    assert len(tids) > 80
    by_tid = index_by_tid(sandbox)
    for record in result.records:
        assert record == as_emitted(sandbox, by_tid[record["tid"]])  # lossless apart from the PII policy
    times = [r["update_time"] for r in result.records]
    assert times == sorted(times)  # sorted stream: the bookmark is resumable
    assert result.final_state["bookmarks"]["orders"] == {"replication_key": "update_time", "replication_key_value": max(times)}
    schema = next(m for m in result.messages if m["type"] == "SCHEMA")
    assert schema["key_properties"] == ["kdt_id", "tid"] and schema["bookmark_properties"] == ["update_time"]
    # the only credential is the token in the query string; nothing is signed
    assert all(set(c["params"]) == {"page_no", "page_size", "start_update", "end_update"} for c in api_calls(sandbox))


def test_windows_and_pages_cover_the_range(make_youzan: Factory) -> None:
    sandbox = make_youzan(200)
    result = run_tap(tap_config(sandbox, window_seconds=86_400, page_size=4))
    assert set(result.tids) == expected(sandbox)
    windows = window_calls(sandbox)
    spans = sorted((p.parse_local(a), p.parse_local(b)) for a, b in windows)
    assert spans[0][0] == sandbox.start_ts and spans[-1][1] == sandbox.now_ts + 1
    assert all(s1 == e0 for (_s0, e0), (s1, _e1) in zip(spans, spans[1:], strict=False))  # contiguous
    assert all(0 < end - start <= 86_400 for start, end in spans)
    for calls in windows.values():
        total = calls[0]["total"]
        assert [c["params"]["page_no"] for c in calls] == list(range(1, max(1, -(-total // 4)) + 1))
        assert all(c["params"]["page_size"] == 4 for c in calls)
    assert max(len(c) for c in windows.values()) >= 3  # really paged


def test_window_over_the_depth_limit_is_split(make_youzan: Factory) -> None:
    sandbox = make_youzan(200)
    # page_no <= 2 with 3 rows a page reaches 6 orders: a 30-day window must be halved until each part fits
    result = run_tap(tap_config(sandbox, window_seconds=30 * 86_400, page_size=3, max_page_no=2))
    assert set(result.tids) == expected(sandbox)
    calls = api_calls(sandbox)
    assert max(c["params"]["page_no"] for c in calls) == 2
    assert any(c["total"] > 6 for c in calls)  # dense windows were met...
    assert all(c["params"]["page_no"] == 1 for c in calls if c["total"] > 6)  # ...and split at once, never paged
    assert len(window_calls(sandbox)) > 20
    times = [r["update_time"] for r in result.records]
    assert times == sorted(times)


def test_incremental_sync_after_advance_returns_changed_orders(make_youzan: Factory) -> None:
    sandbox = make_youzan(200)
    first = run_tap(tap_config(sandbox))
    bookmark = first.final_state["bookmarks"]["orders"]["replication_key_value"]
    before = {r["tid"]: r["update_time"] for r in first.records}
    sandbox.advance(sandbox.now_ts + 4 * 86_400)
    sandbox.clear_log()
    second = run_tap(tap_config(sandbox), state=copy.deepcopy(first.final_state))
    assert set(second.tids) == expected(sandbox, start=p.parse_local(bookmark))
    late = [tid for tid in second.tids if tid in before and before[tid] < bookmark]
    assert len(late) > 10  # orders that moved on: shipped, received, refunded, balance paid
    assert api_calls(sandbox)[0]["params"]["start_update"] == bookmark  # resumed at the bookmark, inclusive
    assert set(before) | set(second.tids) == expected(sandbox)


def test_killed_sync_resumes_from_its_last_state(make_youzan: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(OrdersStream, "STATE_MSG_FREQUENCY", 10)
    sandbox = make_youzan(250)
    config = tap_config(sandbox, window_seconds=86_400, page_size=5)
    sandbox.set_faults(offline_after=8)
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    assert "5002" in str(info.value.cause)
    partial = info.value.result
    assert partial.records and partial.states
    bookmark = partial.states[-1]["bookmarks"]["orders"]["replication_key_value"]
    sandbox.set_faults(offline_after=None)
    sandbox.clear_log()
    resumed = run_tap(config, state=copy.deepcopy(partial.states[-1]))
    assert api_calls(sandbox)[0]["params"]["start_update"] == bookmark
    assert set(partial.tids) | set(resumed.tids) == expected(sandbox)
    assert len(resumed.records) < len(expected(sandbox))  # it resumed, it did not start over


# --------------------------------------------------------------------------- errors and retries
def test_retries_rate_limited_and_busy_calls(make_youzan: Factory) -> None:
    sandbox = make_youzan(100)
    sandbox.set_faults(rate_limit_next=2, busy_next=1)
    result = run_tap(tap_config(sandbox))
    assert set(result.tids) == expected(sandbox)
    calls = api_calls(sandbox)
    assert [(c["layer"], c["code"]) for c in calls[:4]] == [("gateway", 4101), ("gateway", 4101), ("business", 106000001), ("business", 200)]
    assert len({json.dumps(c["params"], sort_keys=True) for c in calls[:4]}) == 1  # the same page retried


def test_retries_gateway_outage_and_read_timeouts(make_youzan: Factory) -> None:
    sandbox = make_youzan(100)
    sandbox.set_faults(http_503_next=1, stall_next=1, stall_seconds=0.5)
    result = run_tap(tap_config(sandbox, request_timeout=0.2))
    assert set(result.tids) == expected(sandbox)
    sandbox.settle()  # the stalled answer (abandoned by the client) has been logged
    faults = [e.get("fault") for e in sorted(sandbox.requests, key=lambda e: e["at"])[:2]]
    assert "http_503" in faults


def test_truncated_page_is_fetched_again(make_youzan: Factory) -> None:
    sandbox = make_youzan(120)
    sandbox.set_faults(truncate_next=1)
    result = run_tap(tap_config(sandbox, page_size=4))
    assert set(result.tids) == expected(sandbox)
    calls = api_calls(sandbox)
    cut = next(k for k, c in enumerate(calls) if c.get("fault") == "truncate")
    assert calls[cut + 1]["params"] == calls[cut]["params"] and calls[cut + 1]["returned"] == calls[cut]["returned"] + 1


def test_order_updated_while_paging_triggers_a_rescan(make_youzan: Factory) -> None:
    sandbox = make_youzan(200)
    before = expected(sandbox)
    config = tap_config(sandbox, page_size=4, window_seconds=30 * 86_400)
    sandbox.set_faults(update_during_paging=1)
    result = run_tap(config)
    first_pages = [c for c in api_calls(sandbox) if c["params"]["page_no"] == 1]
    assert len(first_pages) == 2 and first_pages[0]["params"] == first_pages[1]["params"]  # the window read again
    assert len(result.tids) == len(set(result.tids))  # the dropped pages were never emitted
    # the order moved past the sync's end: every other order arrived, and the next sync brings the mover
    (moved,) = before - set(result.tids)
    assert sandbox.update_time_of(index_by_tid(sandbox)[moved]) > p.parse_local(api_calls(sandbox)[0]["params"]["end_update"])
    sandbox.clear_log()
    later = run_tap(tap_config(sandbox, page_size=4, window_seconds=30 * 86_400), state=copy.deepcopy(result.final_state))
    assert moved in later.tids


# --------------------------------------------------------------------------- token
def test_expired_token_is_renewed_once_and_the_sync_completes(make_youzan: Factory) -> None:
    sandbox = make_youzan(100)
    old = sandbox.access_token(SHOP)
    sandbox.set_faults(expire_token=True)
    result = run_tap(tap_config(sandbox))
    assert set(result.tids) == expected(sandbox)
    log = sandbox.requests
    assert [(e["method"], e["code"]) for e in log[:3]] == [("youzan.trades.sold.get", 4202), ("auth.token", 200), ("youzan.trades.sold.get", 200)]
    assert log[1]["params"] == {"client_id": sandbox.client_id, "authorize_type": "silent", "grant_id": SHOP, "refresh": True}
    assert len(token_calls(sandbox)) == 1 and sandbox.access_token(SHOP) != old


def test_without_access_token_the_tap_obtains_one(make_youzan: Factory) -> None:
    sandbox = make_youzan(60)
    config = tap_config(sandbox)
    del config["access_token"]
    result = run_tap(config)
    assert set(result.tids) == expected(sandbox)
    assert sandbox.requests[0]["method"] == "auth.token" and sandbox.requests[0]["params"]["refresh"] is False
    assert len(token_calls(sandbox)) == 1


def test_unknown_token_is_replaced(make_youzan: Factory) -> None:
    sandbox = make_youzan(60)
    result = run_tap(tap_config(sandbox, access_token="stale-token-from-an-old-config"))
    assert set(result.tids) == expected(sandbox)
    assert [(e["method"], e["code"]) for e in sandbox.requests[:2]] == [("youzan.trades.sold.get", 4203), ("auth.token", 200)]


def test_token_rejected_right_after_renewal_is_fatal(make_youzan: Factory) -> None:
    sandbox = make_youzan(30, token_ttl_seconds=0)  # every token is born expired
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox))
    message = str(info.value.cause)
    assert "4202" in message and "right after a new token was issued" in message and "'kdt_id'" in message
    assert len(token_calls(sandbox)) == 1


def test_bad_client_secret_is_fatal_and_named(make_youzan: Factory) -> None:
    sandbox = make_youzan(30)
    config = tap_config(sandbox, client_secret="not-the-secret")
    del config["access_token"]
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    assert isinstance(info.value.cause, SourceAPIError)
    assert "1000" in str(info.value.cause) and "'client_secret'" in str(info.value.cause)
    assert len(sandbox.requests) == 1


@pytest.mark.parametrize(
    ("setup", "code", "fragment"),
    [
        (lambda sb: sb.revoke(SHOP), "4201", "re-authorize the shop"),
        (lambda sb: sb.deny_permission(SHOP), "4204", "capability package"),
        (lambda sb: setattr(sb, "ip_blocked", True), "4007", "IP whitelist"),
    ],
)
def test_authorisation_failures_are_fatal_with_the_fix(make_youzan: Factory, setup: t.Callable, code: str, fragment: str) -> None:
    sandbox = make_youzan(30)
    setup(sandbox)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox))
    message = str(info.value.cause)
    assert code in message and fragment in message and sandbox.access_token(SHOP) not in message
    assert len(sandbox.requests) == 1  # not retried


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"page_size": 101}, "101 is greater than the maximum of 100"),
        ({"window_seconds": 90 * 86_400}, "is greater than the maximum"),
        ({"kdt_id": "shop-1"}, "does not match"),
        ({"start_date": "2024-11-01T00:00:00"}, "start_date' needs a UTC offset"),
        ({"end_date": "2024-10-01T00:00:00+08:00"}, "'end_date' must be after 'start_date'"),
        ({"end_date": "2999-01-01T00:00:00+08:00"}, "more than 7 days ahead"),
        ({"receiver_masking": "hash"}, "hash"),
    ],
)
def test_bad_config_is_rejected_before_any_call(make_youzan: Factory, override: dict, fragment: str) -> None:
    sandbox = make_youzan(10)
    with pytest.raises(ConfigValidationError) as info:
        TapYouzan(config=tap_config(sandbox, **override), parse_env_config=False)
    assert any(fragment in e for e in info.value.errors), info.value.errors
    assert sandbox.requests == []


# --------------------------------------------------------------------------- payload fidelity and privacy
def test_ids_stay_text_and_big_integers_exact_on_the_wire(make_youzan: Factory) -> None:
    sandbox = make_youzan(200)
    result = run_tap(tap_config(sandbox))
    text = "\n".join(line for line in result.lines if line.startswith('{"type":"RECORD"'))
    assert re.search(r'"(?:item_id|sku_id)":900719925\d{7}\b', text)  # above 2**53, digit for digit
    assert not re.search(r'"(?:item_id|sku_id)":-?\d+(?:\.\d+|[eE])', text)
    for record in result.records:
        assert re.fullmatch(r"E\d{23}", record["tid"]) and record["tid"] == record["order_info"]["tid"]
        assert all(isinstance(line["oid"], str) and line["oid"].isdigit() for line in record["orders"])


def test_amounts_sent_as_numbers_stay_exact(make_youzan: Factory) -> None:
    sandbox = make_youzan(60, amounts_as="number")
    result = run_tap(tap_config(sandbox))
    text = "\n".join(line for line in result.lines if line.startswith('{"type":"RECORD"'))
    assert re.search(r'"payment":\d+\.\d0[,}]', text)  # 135.00 stays 135.00, not 135.0 or 134.99999
    by_tid = index_by_tid(sandbox)
    record = result.records[0]
    served = sandbox.order(by_tid[record["tid"]])
    assert Decimal(str(record["pay_info"]["payment"])) == served["pay_info"]["payment"]


def test_plaintext_personal_data_removed_and_buyer_ids_hashed(make_youzan: Factory) -> None:
    sandbox = make_youzan(200, plaintext_pii_per_10000=1500)
    gen = sandbox.generator
    by_tid = index_by_tid(sandbox)
    result = run_tap(tap_config(sandbox))
    text = "\n".join(result.lines)
    planted = [r for r in result.records if gen.has_plaintext_pii(by_tid[r["tid"]])]
    assert len(planted) >= 5
    for record in planted:
        raw = sandbox.order(by_tid[record["tid"]])
        address, buyer = raw["address_info"], raw["buyer_info"]
        assert "*" not in address["receiver_tel"] and "*" not in address["receiver_name"]  # the sandbox sent plaintext
        for value in (address["receiver_tel"], address["receiver_name"], address["delivery_address"], buyer["buyer_phone"],
                      raw["order_info"]["order_extra"]["id_card_number"]):
            assert value not in text
        got = record["address_info"]
        assert got["receiver_tel"] == f"{address['receiver_tel'][:3]}****{address['receiver_tel'][-4:]}"
        assert got["receiver_name"] == address["receiver_name"][0] + "*" * (len(address["receiver_name"]) - 1)
        assert got["delivery_address"] is None and got["address_extra"] is None
        assert record["buyer_info"]["buyer_phone"] is None and record["buyer_info"]["fans_nickname"] is None
        assert record["order_info"]["order_extra"]["id_card_number"] is None
    for record in result.records:
        raw_buyer = sandbox.order(by_tid[record["tid"]])["buyer_info"]
        assert record["buyer_info"]["buyer_id"] == salted_hash(str(raw_buyer["buyer_id"]), PII_SALT)
        assert f'"buyer_id":{raw_buyer["buyer_id"]}' not in text and raw_buyer["yz_open_id"] not in text


def test_receiver_masking_null_mode(make_youzan: Factory) -> None:
    sandbox = make_youzan(40)
    result = run_tap(tap_config(sandbox, receiver_masking="null"))
    assert all(r["address_info"]["receiver_tel"] is None and r["address_info"]["receiver_name"] is None for r in result.records)


def test_unknown_platform_fields_survive(make_youzan: Factory) -> None:
    sandbox = make_youzan(
        60,
        extra_order_fields={"node_kdt_id": 42971399, "order_extra_v2": {"channel": "video", "tags": ["a"]}},
        extra_line_fields={"refund_state": 0, "goods_weight": 1.25},
    )
    result = run_tap(tap_config(sandbox))
    assert result.records
    for record in result.records:
        assert record["order_info"]["node_kdt_id"] == 42971399
        assert record["order_info"]["order_extra_v2"] == {"channel": "video", "tags": ["a"]}
        assert all(line["goods_weight"] == 1.25 and line["refund_state"] == 0 for line in record["orders"])
    assert all('"goods_weight":1.25' in line for line in result.lines if line.startswith('{"type":"RECORD","stream":"orders"'))


def test_no_secret_or_personal_data_in_logs(make_youzan: Factory, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    sandbox = make_youzan(120, plaintext_pii_per_10000=2000)
    config = tap_config(sandbox)
    old_token = config["access_token"]
    sandbox.set_faults(expire_token=True, rate_limit_next=1)
    with caplog.at_level(logging.DEBUG):
        result = run_tap(config)
    logs = caplog.text + capsys.readouterr().err
    assert "Retrying youzan.trades.sold.get" in logs and "Obtained a youzanyun access token" in logs
    assert "POST /api/youzan.trades.sold.get/4.0.4?access_token=***" in logs  # urllib3 DEBUG lines, scrubbed
    for name, value in {"client_secret": CLIENT_SECRET, "old token": old_token, "new token": sandbox.access_token(SHOP), "pii_salt": PII_SALT}.items():
        assert value not in logs, f"{name} leaked into the logs"
    by_tid = index_by_tid(sandbox)
    for record in result.records[:40]:
        raw = sandbox.order(by_tid[record["tid"]])
        assert raw["address_info"]["receiver_tel"] not in logs and raw["buyer_info"]["yz_open_id"] not in logs


def test_client_side_rate_budget_paces_requests(make_youzan: Factory) -> None:
    sandbox = make_youzan(60)
    run_tap(tap_config(sandbox, max_requests_per_second=10, window_seconds=12 * 3_600))
    calls = api_calls(sandbox)
    assert len(calls) == 20
    assert calls[-1]["at"] - calls[0]["at"] >= 0.85  # 10 ride the initial burst, the other 10 are 0.1 s apart


# --------------------------------------------------------------------------- CLI
def test_module_cli_with_state_file_and_debug_logging(make_youzan: Factory, tmp_path: Path) -> None:
    sandbox = make_youzan(80)
    config = tap_config(sandbox)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    bookmark = p.format_local(sandbox.start_ts + 5 * 86_400)
    state_path = tmp_path / "state.json"
    state_path.write_text(json.dumps({"bookmarks": {"orders": {"replication_key": "update_time", "replication_key_value": bookmark}}}))
    env = {**os.environ, "LOGLEVEL": "DEBUG"}
    cmd = [sys.executable, "-m", "orderlayer.taps.youzan.tap", "--config", str(config_path), "--state", str(state_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [json.loads(line)["record"] for line in proc.stdout.splitlines() if line.startswith('{"type":"RECORD","stream":"orders"')]
    assert {r["tid"] for r in records} == expected(sandbox, start=p.parse_local(bookmark))
    assert "POST /api/youzan.trades.sold.get/4.0.4?" in proc.stderr
    for value in (CLIENT_SECRET, config["access_token"], PII_SALT):
        assert value not in proc.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**config, "page_size": 500}))
    failed = subprocess.run([*cmd[:3], "--config", str(bad)], capture_output=True, text=True, timeout=120, check=False)
    assert failed.returncode != 0 and "page_size" in failed.stderr and failed.stdout == ""
