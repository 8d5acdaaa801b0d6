"""tap-meituan end to end against a started sandbox (127.0.0.1 only)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.taps.meituan.kit import OTHER_POI, PII_SALT, POI, TapFailed, calls, fast, make_meituan, sync, visible_view_ids  # noqa: F401
from singer_sdk.exceptions import ConfigValidationError

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.pii import apply_pii_policy, salted_hash
from orderlayer.sandboxes.kit.server import encode_json
from orderlayer.taps.meituan import protocol as p
from orderlayer.sandboxes.meituan.generator import beijing_day
from orderlayer.taps.meituan.streams import MEITUAN_PII_POLICY, order_ids_from, scan_days
from orderlayer.taps.meituan.tap import TapMeituan

BEIJING = dt.timezone(dt.timedelta(hours=8))


def as_emitted(sandbox, i: int) -> dict:
    """Order ``i`` as the tap must emit it: decoded exactly, refunds attached, PII policy (masks included) applied."""
    order = sandbox.order(i)
    record = p.loads(encode_json(order))
    plan = sandbox.generator.plans[i]
    record["refund_records"] = p.loads(encode_json(sandbox.generator.refund_records_at(plan, sandbox.now_ts)))
    return apply_pii_policy(record, MEITUAN_PII_POLICY, PII_SALT)


def by_view_id(sandbox, shop: str = POI) -> dict[str, int]:
    return {sandbox.generator.plans[i].view_id: i for i in sandbox.visible_indexes(shop)}


# --------------------------------------------------------------------------- full and incremental syncs
def test_full_sync_emits_every_visible_order_once_exactly_as_served(make_meituan) -> None:
    sandbox = make_meituan(120)
    result = sync(sandbox)
    ids = result.ids("wm_order_id_view")
    assert len(ids) == len(set(ids)) and set(ids) == visible_view_ids(sandbox)
    assert len(ids) > 40
    index = by_view_id(sandbox)
    for record in result.records:
        assert record == as_emitted(sandbox, index[record["wm_order_id_view"]])
    assert result.bookmark() == max(r["utime"] for r in result.records)
    schema = next(m for m in result.messages if m["type"] == "SCHEMA")
    assert schema["key_properties"] == ["app_poi_code", "order_id"] and schema["bookmark_properties"] == ["utime"]
    refunds = [r for r in result.records if r["refund_records"]]
    assert {x["refund_type"] for r in refunds for x in r["refund_records"]} == {1, 2}


def test_every_store_day_is_read_by_day_seq_segments_to_an_empty_one(make_meituan) -> None:
    sandbox = make_meituan(120)
    config = fast(sandbox, POI, PII_SALT, day_seq_batch_size=3, lookback_days=0)
    from tests.taps.meituan.kit import run_tap

    result = run_tap(TapMeituan, config)
    assert set(result.ids("wm_order_id_view")) == visible_view_ids(sandbox)
    segments: dict[str, list[tuple[int, int, int]]] = {}
    for entry in calls(sandbox, p.ORDER_IDS_BY_DAY_SEQ_PATH):
        prm = entry["params"]
        segments.setdefault(prm["date_time"], []).append((int(prm["day_seq_start"]), int(prm["day_seq_end"]), entry["returned"]))
    start = dt.datetime.fromisoformat(config["start_date"]).astimezone(BEIJING).date()
    end = dt.datetime.fromisoformat(config["end_date"]).astimezone(BEIJING).date()
    assert sorted(segments) == [(start + dt.timedelta(days=n)).strftime("%Y%m%d") for n in range((end - start).days + 1)]
    for day, parts in segments.items():
        assert [s for s, _e, _n in parts] == list(range(1, 3 * len(parts), 3)), day  # contiguous, span 3
        assert parts[-1][2] == 0 and all(n > 0 for _s, _e, n in parts[:-1])  # ends on the first empty segment
    assert len(calls(sandbox, p.ORDER_DETAIL_PATH)) == len(result.records)


def test_incremental_sync_rereads_the_lookback_days_and_picks_up_late_refunds(make_meituan) -> None:
    sandbox = make_meituan(150)
    first = sync(sandbox)
    bookmark = first.bookmark()
    before = {r["wm_order_id_view"]: r for r in first.records}

    sandbox.advance(sandbox.now_ts + 3 * 86_400)
    sandbox.clear_log()
    second = sync(sandbox, state=copy.deepcopy(first.final_state))
    first_day = dt.datetime.fromtimestamp(bookmark - 3 * 86_400, BEIJING).strftime("%Y%m%d")
    assert calls(sandbox, p.ORDER_IDS_BY_DAY_SEQ_PATH)[0]["params"]["date_time"] == first_day
    index = by_view_id(sandbox)
    after = {r["wm_order_id_view"]: r for r in second.records}
    changed = {v for v, i in index.items() if v in before and before[v] != as_emitted(sandbox, i)}
    assert changed, "the sandbox clock moved: some refunds must have happened"
    assert changed <= set(after)  # every late change is picked up ...
    for view_id in changed:
        assert after[view_id] == as_emitted(sandbox, index[view_id])  # ... as its new version
    assert any(after[v]["refund_records"] and not before[v]["refund_records"] for v in changed)
    assert set(before) | set(after) == visible_view_ids(sandbox)
    assert all(beijing_day(sandbox.generator.plans[index[v]].pushed_at) >= first_day for v in after)
    assert second.bookmark() >= bookmark


def test_scan_days_and_id_parsing() -> None:
    start = int(dt.datetime(2024, 11, 20, 0, 30, tzinfo=BEIJING).timestamp())
    end = int(dt.datetime(2024, 11, 22, 23, 0, tzinfo=BEIJING).timestamp())
    assert scan_days(start, end, 1) == [dt.date(2024, 11, 19) + dt.timedelta(days=n) for n in range(4)]
    assert scan_days(end, start, 1) == []
    assert order_ids_from({"result": "ok", "order_ids": [9007199254740993]}) == [9007199254740993]
    assert order_ids_from([{"result": "ok", "order_ids": [1, 2]}, {"order_ids": [3]}]) == [1, 2, 3]
    with pytest.raises(ValueError, match="order_ids"):
        order_ids_from({"result": "ok", "order_ids": "1,2"})


def test_a_failed_sync_does_not_advance_the_bookmark(make_meituan) -> None:
    sandbox = make_meituan(60)
    state = {"bookmarks": {"orders": {"replication_key": "utime", "replication_key_value": sandbox.start_ts + 86_400}}}
    sandbox.set_faults(busy_next=100)
    with pytest.raises(TapFailed) as info:
        sync(sandbox, state=copy.deepcopy(state), max_tries=2)
    assert isinstance(info.value.cause, SourceAPIError)
    for emitted in info.value.result.states:  # the stream is unsorted: nothing is committed before the end
        assert emitted["bookmarks"]["orders"].get("replication_key_value") in (None, sandbox.start_ts + 86_400)


# --------------------------------------------------------------------------- errors and retries
def test_retries_rate_limit_and_busy(make_meituan) -> None:
    sandbox = make_meituan(60)
    sandbox.set_faults(rate_limit_next=2, busy_next=1)
    result = sync(sandbox)
    assert set(result.ids("wm_order_id_view")) == visible_view_ids(sandbox)
    first = calls(sandbox, p.ORDER_IDS_BY_DAY_SEQ_PATH)[:4]
    assert [e["code"] for e in first] == [429, 429, 600, 0]
    assert len({json.dumps(e["params"], sort_keys=True) for e in first}) == 1  # the same call, retried


def test_retries_gateway_outage_and_read_timeout(make_meituan) -> None:
    sandbox = make_meituan(40)
    sandbox.set_faults(http_503_next=1, stall_next=1, stall_seconds=0.5)
    result = sync(sandbox, request_timeout=0.2)
    assert set(result.ids("wm_order_id_view")) == visible_view_ids(sandbox)
    sandbox.settle()  # the stalled answer (abandoned by the client) has been logged
    first_params = calls(sandbox, p.ORDER_IDS_BY_DAY_SEQ_PATH)[0]["params"]
    tries = [e for e in sandbox.requests if e.get("params") == first_params or e.get("fault") == "http_503"]
    assert tries[0]["fault"] == "http_503" and len(tries) == 3  # the outage, the timed-out try, the served try


def test_truncated_body_is_fetched_again(make_meituan) -> None:
    sandbox = make_meituan(40)
    sandbox.set_faults(truncate_next=1)
    result = sync(sandbox)
    assert set(result.ids("wm_order_id_view")) == visible_view_ids(sandbox)
    first, second = sandbox.requests[:2]
    assert first["fault"] == "truncate" and "fault" not in second and first["params"] == second["params"]


def test_configured_codes_decide_what_is_retried(make_meituan) -> None:
    sandbox = make_meituan(20)
    sandbox.set_faults(busy_next=1)
    with pytest.raises(TapFailed) as info:
        sync(sandbox, retriable_error_codes=[])  # 600 no longer transient: fatal at once
    assert "error code 600" in str(info.value.cause) and "retriable_error_codes" in str(info.value.cause)
    assert len(sandbox.requests) == 1


@pytest.mark.parametrize(
    ("override", "code", "fragment"),
    [
        ({"app_secret": "not-the-secret"}, "703", "check app_secret"),
        ({"app_id": "999999"}, "702", "check app_id"),
        ({"app_poi_code": "not_a_store"}, "803", "check app_poi_code"),
    ],
)
def test_credential_and_store_errors_are_fatal_without_retry(make_meituan, override: dict, code: str, fragment: str) -> None:
    sandbox = make_meituan(20)
    with pytest.raises(TapFailed) as info:
        sync(sandbox, **override)
    message = str(info.value.cause)
    assert isinstance(info.value.cause, SourceAPIError) and f"error code {code}" in message and fragment in message
    assert len(sandbox.requests) == 1


def test_expired_store_authorisation_names_the_fix(make_meituan) -> None:
    sandbox = make_meituan(20)
    sandbox.revoke(POI)
    with pytest.raises(TapFailed) as info:
        sync(sandbox)
    assert "2000" in str(info.value.cause) and "renew it in the Meituan developer console" in str(info.value.cause)


def test_url_encoded_signature_mode_is_configurable(make_meituan) -> None:
    store = "门店 A&B"
    sandbox = make_meituan(30, shop_ids=(store,), sign_encode_values=True)
    with pytest.raises(TapFailed) as info:
        sync(sandbox, shop=store, sign_encode_values=False)
    assert "sign_encode_values=true" in str(info.value.cause)
    sandbox.clear_log()
    result = sync(sandbox, shop=store, sign_encode_values=True)
    assert set(result.ids("wm_order_id_view")) == visible_view_ids(sandbox, store)


def test_orders_of_another_store_are_fatal(make_meituan) -> None:
    sandbox = make_meituan(20, extra_fields={"app_poi_code": OTHER_POI})
    with pytest.raises(TapFailed) as info:
        sync(sandbox)
    assert "one tap config reads one store" in str(info.value.cause) and info.value.result.records == []


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"day_seq_batch_size": 101}, "101 is greater than the maximum of 100"),
        ({"start_date": "2024-11-01T00:00:00"}, "start_date' needs a UTC offset"),
        ({"end_date": "2024-10-01T00:00:00+08:00"}, "'end_date' must be after 'start_date'"),
        ({"lookback_days": -1}, "-1 is less than the minimum of 0"),
    ],
)
def test_bad_config_is_rejected_before_any_call(make_meituan, override: dict, fragment: str) -> None:
    sandbox = make_meituan(10)
    with pytest.raises(ConfigValidationError) as info:
        TapMeituan(config=fast(sandbox, POI, PII_SALT, **override), parse_env_config=False)
    assert any(fragment in e for e in info.value.errors), info.value.errors
    assert sandbox.requests == []


# --------------------------------------------------------------------------- payload fidelity and privacy
def test_ids_and_yuan_amounts_travel_digit_for_digit(make_meituan) -> None:
    sandbox = make_meituan(120)
    result = sync(sandbox)
    text = "\n".join(line for line in result.lines if line.startswith('{"type":"RECORD"'))
    big = [r["order_id"] for r in result.records if r["order_id"] > 2**53]
    assert big and all(f'"order_id":{oid}' in text for oid in big)  # never 9.007199254740993e15
    assert not re.search(r'"(?:order_id|utime|ctime)":-?\d+(?:\.\d+)?[eE]', text)
    for record in result.records:
        served = sandbox.order(by_view_id(sandbox)[record["wm_order_id_view"]])
        assert str(record["total"]) == repr(served["total"])  # the double's text, read as an exact decimal
        assert isinstance(record["wm_order_id_view"], str) and len(record["wm_order_id_view"]) == 17


def test_receiver_pii_is_removed_masked_and_hashed(make_meituan) -> None:
    sandbox = make_meituan(200)
    result = sync(sandbox)
    text = "\n".join(result.lines)
    index = by_view_id(sandbox)
    planted = [r for r in result.records if sandbox.generator.plans[index[r["wm_order_id_view"]]].plaintext_pii]
    assert len(planted) >= 2
    for record in result.records:
        served = sandbox.order(index[record["wm_order_id_view"]])
        for key in ("recipient_name", "recipient_phone", "recipient_address"):
            assert served[key] and served[key] not in text
        assert record["recipient_name"] is None and record["recipient_address"] is None
        assert record["latitude"] is None and record["logistics_dispatcher_mobile"] is None and record["shipper_phone"] is None
        assert record["order_phone_number"] is None and record["order_shipping_address"] is None and record["delivery_position"] is None
        assert record["recipient_phone"] == salted_hash(served["recipient_phone"], PII_SALT)
        assert re.fullmatch(r"1\d{2}\*{4}\d{4}", record["recipient_phone_masked"])
        assert record["recipient_name_masked"][0] == served["recipient_name"][0] and "*" in record["recipient_name_masked"]


def test_unknown_platform_fields_survive(make_meituan) -> None:
    sandbox = make_meituan(30, extra_fields={"new_field": {"level": 2, "tags": ["a"]}, "weight_kg": 1.25, "incmp_code": 0})
    result = sync(sandbox)
    assert result.records
    for record in result.records:
        assert record["new_field"] == {"level": 2, "tags": ["a"]} and str(record["weight_kg"]) == "1.25" and record["incmp_code"] == 0


def test_no_secret_or_signature_in_logs(make_meituan, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    sandbox = make_meituan(40)
    sandbox.set_faults(rate_limit_next=1, truncate_next=1)
    with caplog.at_level(logging.DEBUG):
        sync(sandbox)
    logs = caplog.text + capsys.readouterr().err
    assert "Retrying ecommerce/order/getOrderIdByDaySeq" in logs
    assert "GET /api/v1/" in logs and "sig=***" in logs  # urllib3 DEBUG request lines, scrubbed
    assert sandbox.app_secret not in logs and PII_SALT not in logs
    assert not re.search(r"sig=[0-9a-f]{32}", logs)


def test_module_cli_with_state_and_debug_logging(make_meituan, tmp_path: Path) -> None:
    sandbox = make_meituan(60)
    config = fast(sandbox, POI, PII_SALT)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    bookmark = sandbox.start_ts + 5 * 86_400
    state_path = tmp_path / "state.json"
    state_path.write_text(json.dumps({"bookmarks": {"orders": {"replication_key": "utime", "replication_key_value": bookmark}}}))
    env = {**os.environ, "LOGLEVEL": "DEBUG"}
    cmd = [sys.executable, "-m", "orderlayer.taps.meituan.tap", "--config", str(config_path), "--state", str(state_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [json.loads(line)["record"] for line in proc.stdout.splitlines() if line.startswith('{"type":"RECORD"')]
    first_day = dt.datetime.fromtimestamp(bookmark - 3 * 86_400, BEIJING).strftime("%Y%m%d")
    index = by_view_id(sandbox)
    expected = {v for v, i in index.items() if beijing_day(sandbox.generator.plans[i].pushed_at) >= first_day}
    assert {r["wm_order_id_view"] for r in records} == expected
    assert sandbox.app_secret not in proc.stderr and PII_SALT not in proc.stderr
