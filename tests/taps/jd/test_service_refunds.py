"""tap-jd's service_refunds stream (jingdong.asc.serviceAndRefund.view, refunds after shipment) against a JD sandbox."""

from __future__ import annotations

import copy
import datetime as dt
import io
import typing as t
from contextlib import redirect_stdout

import pytest
from tests.taps.jd.kit import (
    PII_SALT,
    SHOP,
    Factory,
    SyncResult,
    TapFailed,
    after_sale_calls,
    jd_sandbox,  # noqa: F401 - the fixture
    run_tap,
    tap_config,
)

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.pii import salted_hash
from orderlayer.taps.jd import protocol as p
from orderlayer.sandboxes.jd.server import JdSandbox
from orderlayer.taps.jd.streams import CHANGED_AT_KEY
from orderlayer.taps.jd.tap import TapJd

DAY = 86_400
STREAM = "service_refunds"


def run_services(config: dict, state: dict | None = None) -> SyncResult:
    """A sync of the service_refunds stream alone."""
    catalog = TapJd(config=dict(config), parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] == STREAM
    buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    error: BaseException | None = None
    with redirect_stdout(buffer):
        try:
            TapJd(config=dict(config), state=state, catalog=catalog, parse_env_config=False).sync_all()
        except Exception as exc:  # noqa: BLE001 - handed to the test with the partial output
            error = exc
    buffer.seek(0)
    result = SyncResult(buffer.read().splitlines())
    if error is not None:
        raise TapFailed(error, result)
    return result


def config_at(sandbox: JdSandbox, **overrides: t.Any) -> dict:  # noqa: ANN401
    return tap_config(sandbox, end_date=(sandbox.now + dt.timedelta(seconds=1)).isoformat(), **overrides)


def by_id(result: SyncResult) -> dict[str, dict]:
    return {r["serviceId"]: r for r in result.after_sale_records}


def test_full_sync_emits_every_service_once_without_personal_data(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(400)
    result = run_services(config_at(sandbox))
    services = sandbox.after_sales(SHOP)
    assert len(services) > 10
    records = result.after_sale_records
    assert sorted(r["serviceId"] for r in records) == sorted(a.service_id for a in services), "each service once"
    for record in records:
        raw = sandbox.after_sale(next(a for a in services if a.service_id == record["serviceId"]))
        bill, sent = record["sameOrderServiceBill"], raw["sameOrderServiceBill"]
        assert record["orderId"] == sent["orderId"] and record["venderId"] == SHOP
        assert record["status"] == raw["status"] and record["refoundAmount"] == raw["refoundAmount"]
        assert bill["customerPin"] == salted_hash(sent["customerPin"], PII_SALT) and bill["questionDesc"] is None
        assert bill["openIdBuyer"] == salted_hash(sent["openIdBuyer"], PII_SALT)
        assert sent["questionDesc"] not in result.text and sent["customerPin"] not in result.text
        assert record[CHANGED_AT_KEY] == max(x for x in (sent["afsApplyTime"], sent["approveDate"], raw["completeTime"]) if x)
    assert {"0", "1", "13", "14"} <= {r["status"] for r in records}
    schema = next(m for m in result.messages if m["type"] == "SCHEMA" and m["stream"] == STREAM)
    assert schema["key_properties"] == ["venderId", "serviceId"]
    assert result.final_state["bookmarks"][STREAM]["replication_key_value"] == p.format_local(sandbox.now_ts + 1)


def test_windows_follow_each_filter_limit_and_pages_run_to_the_end(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(400, days=20)
    result = run_services(config_at(sandbox, window_seconds=20 * DAY, after_sale_page_size=3))
    assert {r["serviceId"] for r in result.after_sale_records} == {a.service_id for a in sandbox.after_sales(SHOP)}
    windows: dict[tuple[str, str, str], list[dict]] = {}
    for call in after_sale_calls(sandbox):
        params = call["params"]
        assert params["pageSize"] == "3"
        name = "applyTime" if "applyTimeBegin" in params else "approveTime"
        begin, end = p.AFTER_SALE_TIME_FILTERS[name]
        assert 0 < p.parse_local(params[end]) - p.parse_local(params[begin]) <= p.AFTER_SALE_MAX_WINDOW_SECONDS[name]
        windows.setdefault((name, params[begin], params[end]), []).append(call)
    assert {name for name, _, _ in windows} == {"applyTime", "approveTime"}
    # both passes cover the same range in consecutive windows of the filter's longest allowed span
    spans = {}
    for name in ("applyTime", "approveTime"):
        bounds = sorted((p.parse_local(b), p.parse_local(e)) for n, b, e in windows if n == name)
        assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
        spans[name] = (bounds[0][0], bounds[-1][1])
        limit = p.AFTER_SALE_MAX_WINDOW_SECONDS[name]
        assert len(bounds) == -(-(spans[name][1] - spans[name][0]) // limit)
    assert spans["applyTime"] == spans["approveTime"] and spans["applyTime"][1] - spans["applyTime"][0] > 14 * DAY
    for calls in windows.values():
        assert [int(c["params"]["pageNumber"]) for c in calls] == list(range(1, len(calls) + 1))
        assert sum(c["returned"] for c in calls) == calls[0]["total"]


def test_a_refund_completed_after_the_previous_sync_is_picked_up_by_the_look_back(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(900, days=20)
    now = sandbox.now_ts
    target = min((a for a in sandbox.after_sales(SHOP) if a.approved and a.approve_time < now < a.complete_time),
                 key=lambda a: a.complete_time)
    first = run_services(config_at(sandbox))
    assert by_id(first)[target.service_id]["status"] == "1" and by_id(first)[target.service_id]["refoundAmount"] is None
    sandbox.advance(target.complete_time + 60)
    state = first.final_state
    # completion moves neither the apply nor the review time: without a look-back the refund is missed
    without = run_services(config_at(sandbox, after_sale_lookback_seconds=0), copy.deepcopy(state))
    assert target.service_id not in by_id(without)
    second = run_services(config_at(sandbox), copy.deepcopy(state))
    after = by_id(second)[target.service_id]
    assert after["status"] == "13" and after["completeTime"] == p.format_local(target.complete_time)
    assert after["refoundAmount"] == f"{target.amount_fen // 100}.{target.amount_fen % 100:02d}"


def test_numeric_ids_and_epoch_millisecond_times_become_exact_text(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(300, after_sale_ids_as_numbers=True, after_sale_times_as_epoch_ms=True)
    records = run_services(config_at(sandbox)).after_sale_records
    expected = {a.service_id: sandbox.after_sale(a) for a in sandbox.after_sales(SHOP)}
    assert set(by_id_list := [r["serviceId"] for r in records]) == set(expected) and len(by_id_list) == len(expected)
    for record in records:
        served = expected[record["serviceId"]]
        assert isinstance(record["orderId"], str) and record["orderId"] == served["sameOrderServiceBill"]["orderId"]
        assert record["sameOrderServiceBill"]["afsApplyTime"] == served["sameOrderServiceBill"]["afsApplyTime"]
        assert record["completeTime"] == served["completeTime"]


def test_business_failure_names_the_config_keys(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(100, after_sale_max_window_seconds={"applyTime": 3_600, "approveTime": 3_600})
    with pytest.raises(TapFailed) as failed:
        run_services(config_at(sandbox))
    message = str(failed.value.cause)
    assert isinstance(failed.value.cause, SourceAPIError)
    assert p.METHOD_AFTER_SALE_LIST in message and "after_sale_page_size" in message and "sync_after_sales" in message


def test_retries_and_a_truncated_page(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(200)
    sandbox.faults.rate_limit_next = 1
    sandbox.faults.truncate_next = 1
    result = run_services(config_at(sandbox, after_sale_page_size=2))
    assert sorted(r["serviceId"] for r in result.after_sale_records) == sorted(a.service_id for a in sandbox.after_sales(SHOP))
    calls = after_sale_calls(sandbox)
    assert calls[0]["code"] == p.CODE_CALL_LIMITED and any(c.get("fault") == "truncate" for c in calls)


def test_missing_permission_fails_clearly_and_the_stream_can_be_switched_off(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(60, allowed_methods=[p.METHOD_ORDER_SEARCH, p.METHOD_REFUND_APPLY_LIST])
    with pytest.raises(TapFailed) as failed:
        run_tap(config_at(sandbox))
    message = str(failed.value.cause)
    assert f"permission denied for {p.METHOD_AFTER_SALE_LIST}" in message and "sync_after_sales" in message
    result = run_tap(config_at(sandbox, sync_after_sales=False))
    assert result.order_ids and result.refund_records and not result.after_sale_records


def test_empty_time_filters_are_a_config_error(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(20)
    with pytest.raises(Exception, match="after_sale_time_filters"):
        TapJd(config=config_at(sandbox, after_sale_time_filters=[]), parse_env_config=False)
