"""tap-jd's refund_applies stream (jingdong.pop.afs.soa.refundapply.queryPageList) against a started JD sandbox."""

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
    jd_sandbox,  # noqa: F401 - the fixture
    refund_calls,
    run_tap,
    tap_config,
)

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.pii import apply_pii_policy, salted_hash
from orderlayer.taps.jd import protocol as p
from orderlayer.sandboxes.jd.generator import Application
from orderlayer.sandboxes.jd.server import JdSandbox
from orderlayer.taps.jd.streams import CHANGED_AT_KEY, JD_REFUND_PII_POLICY, changed_at
from orderlayer.taps.jd.tap import TapJd

DAY = 86_400


def served(sandbox: JdSandbox, application: Application) -> dict:
    """The application as the tap must emit it: as served, plus venderId and ol_changed_at, PII policy applied."""
    record = sandbox.application(application)
    record["venderId"] = SHOP
    record[CHANGED_AT_KEY] = changed_at(record)
    return apply_pii_policy(record, JD_REFUND_PII_POLICY, PII_SALT)


def run_refunds(config: dict, state: dict | None = None) -> SyncResult:
    """A sync of the refund_applies stream alone (the orders stream deselected in the catalog)."""
    catalog = TapJd(config=dict(config), parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] == "refund_applies"
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


def bookmark(result: SyncResult) -> str:
    return result.final_state["bookmarks"]["refund_applies"]["replication_key_value"]


def config_at(sandbox: JdSandbox, **overrides: t.Any) -> dict:  # noqa: ANN401
    """end_date one second past the sandbox clock (as tap_config), explicitly, so later syncs can move it."""
    return tap_config(sandbox, end_date=(sandbox.now + dt.timedelta(seconds=1)).isoformat(), **overrides)


# --------------------------------------------------------------------------- full sync
def test_full_sync_emits_every_application_once_as_served_without_personal_data(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(300)
    config = config_at(sandbox)
    result = run_tap(config)
    applications = sandbox.applications(SHOP)
    assert len(applications) > 10
    records = result.refund_records
    assert sorted(r["id"] for r in records) == sorted(a.id for a in applications), "each application exactly once"
    by_id = {a.id: a for a in applications}
    for record in records:
        assert record == served(sandbox, by_id[record["id"]])
        assert record["buyerName"] is None and record["buyerId"].startswith("sha256:")
    # statuses of every kind are there: pending, approved, rejected
    assert {"0", "1", "2"} <= {r["status"] for r in records}
    # personal data never reaches stdout: no buyer name or plaintext buyer id
    for application in applications:
        raw = sandbox.application(application)
        assert raw["buyerName"] not in result.text and f'"{raw["buyerId"]}"' not in result.text
        assert salted_hash(raw["buyerId"], PII_SALT) in result.text
    # the bookmark is the end of the range read, in JD's naive Beijing form
    assert bookmark(result) == p.format_local(int(sandbox.now.timestamp()) + 1)
    schema = next(m for m in result.messages if m["type"] == "SCHEMA" and m["stream"] == "refund_applies")
    assert schema["key_properties"] == ["venderId", "id"] and schema["bookmark_properties"] == [CHANGED_AT_KEY]


def test_large_ids_stay_exact_text(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(200, refund_ids_as_numbers=True)  # a gateway that sends ids as bare JSON numbers
    result = run_refunds(config_at(sandbox))
    ids = {r["id"] for r in result.refund_records}
    assert ids == {a.id for a in sandbox.applications(SHOP)}
    assert all(isinstance(i, str) and int(i) > 2**53 for i in ids)
    assert all(isinstance(r["orderId"], str) and len(r["orderId"]) == 19 for r in result.refund_records)


# --------------------------------------------------------------------------- windows and paging
def test_both_passes_window_and_page_to_the_end(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(300)
    result = run_refunds(config_at(sandbox, window_seconds=DAY, refund_page_size=3))
    assert {r["id"] for r in result.refund_records} == {a.id for a in sandbox.applications(SHOP)}
    seen: dict[tuple[str, str, str], list[dict]] = {}
    for call in refund_calls(sandbox):
        assert call["code"] == p.CODE_OK
        params = call["params"]
        assert params["pageSize"] == "3"
        keys = [k for k in ("applyTimeStart", "checkTimeStart") if k in params]
        assert len(keys) == 1, params  # one time filter per request
        start_key = keys[0]
        end_key = start_key.replace("Start", "End")
        start, end = p.parse_local(params[start_key]), p.parse_local(params[end_key])
        assert 0 < end - start <= DAY
        seen.setdefault((start_key, params[start_key], params[end_key]), []).append(call)
    for (_, _, _), calls in seen.items():
        pages = [int(c["params"]["pageIndex"]) for c in calls]
        assert pages == list(range(1, len(pages) + 1))
        total = calls[0]["total"]
        assert sum(c["returned"] for c in calls) == total  # paged to the end of the window
        assert len(pages) == max(1, -(-total // 3))
    filters = {k for k, _, _ in seen}
    assert filters == {"applyTimeStart", "checkTimeStart"}
    # the two passes cover the same consecutive windows
    for key in filters:
        windows = sorted((p.parse_local(s), p.parse_local(e)) for k, s, e in seen if k == key)
        assert all(a[1] == b[0] for a, b in zip(windows, windows[1:], strict=False))


def test_windows_never_exceed_seven_days(jd_sandbox: Factory) -> None:
    # the sandbox rejects refund ranges over 7 days (our safe reading); the order stream may use 20-day windows
    sandbox = jd_sandbox(150, days=20)
    result = run_refunds(config_at(sandbox, window_seconds=20 * DAY))
    assert {r["id"] for r in result.refund_records} == {a.id for a in sandbox.applications(SHOP)}
    for call in refund_calls(sandbox):
        params = call["params"]
        key = "applyTime" if "applyTimeStart" in params else "checkTime"
        assert p.parse_local(params[f"{key}End"]) - p.parse_local(params[f"{key}Start"]) <= p.REFUND_MAX_WINDOW_SECONDS


def test_a_window_deeper_than_the_deepest_page_is_split(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(400)
    result = run_refunds(config_at(sandbox, window_seconds=7 * DAY, refund_page_size=2, refund_max_pages_per_window=2))
    assert {r["id"] for r in result.refund_records} == {a.id for a in sandbox.applications(SHOP)}
    assert all(int(c["params"]["pageIndex"]) <= 2 for c in refund_calls(sandbox))


# --------------------------------------------------------------------------- incremental
def _reviewed_after(sandbox: JdSandbox, moment: int) -> Application:
    """An application applied before ``moment`` and reviewed after it (pending at ``moment``)."""
    candidates = [a for a in sandbox.applications(SHOP) if a.apply_time < moment - DAY and a.check_time > moment]
    assert candidates, "the sandbox has applications reviewed only after its clock"
    return min(candidates, key=lambda a: a.check_time)


def test_an_application_reviewed_after_the_previous_sync_is_picked_up(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(600, days=20)
    # an application still pending at the sandbox clock, reviewed later
    target = _reviewed_after(sandbox, sandbox.now_ts)
    first = run_refunds(config_at(sandbox, refund_lookback_seconds=0))
    before = next(r for r in first.refund_records if r["id"] == target.id)
    assert before["status"] == "0" and before["checkTime"] == ""
    state = first.final_state

    sandbox.advance(target.check_time + 60)
    second = run_refunds(config_at(sandbox, refund_lookback_seconds=0), state)
    after = next(r for r in second.refund_records if r["id"] == target.id)
    assert after["status"] == target.reviewed_status != "0"
    assert after["checkTime"] == p.format_local(target.check_time)
    # it was applied before the previous bookmark: only the checkTime pass can have found it
    assert p.parse_local(after["applyTime"]) < p.parse_local(bookmark(first))
    apply_only = run_refunds(config_at(sandbox, refund_lookback_seconds=0, refund_time_filters=["applyTime"]), state)
    assert target.id not in {r["id"] for r in apply_only.refund_records}
    # nothing applied or reviewed since the first sync is missing from the second
    first_end = p.parse_local(bookmark(first))
    changed = {a.id for a in sandbox.applications(SHOP)
               if a.apply_time >= first_end or (a.check_time and first_end <= a.check_time <= sandbox.now_ts)}
    assert changed <= {r["id"] for r in second.refund_records}


def test_the_look_back_re_reads_a_finance_review_without_a_new_check_time(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(900, days=20)
    now = sandbox.now_ts
    # approved by the shop before the clock, confirmed by JD finance ("1" -> "3") after it, checkTime unchanged
    gen = sandbox.generator
    candidates = [a for i in gen.indexes_for_shop(SHOP) for a in gen.applications(i) if a.finance_time > now]
    assert candidates, "the sandbox has finance reviews after its clock"
    target = min(candidates, key=lambda a: a.finance_time)
    if target.check_time >= now:
        sandbox.advance(target.check_time + 1)  # between the shop's review and finance's
    first = run_refunds(config_at(sandbox))
    assert next(r for r in first.refund_records if r["id"] == target.id)["status"] == "1"
    sandbox.advance(target.finance_time + 60)
    state = first.final_state
    without = run_refunds(config_at(sandbox, refund_lookback_seconds=0), copy.deepcopy(state))
    assert target.id not in {r["id"] for r in without.refund_records}  # neither time moved
    with_look_back = run_refunds(config_at(sandbox, refund_lookback_seconds=2 * DAY), copy.deepcopy(state))
    assert next(r for r in with_look_back.refund_records if r["id"] == target.id)["status"] == "3"


def test_the_bookmark_never_passes_the_end_of_the_range(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(300)
    now = sandbox.now_ts
    # an end_date a day before the clock: applications reviewed after it are found by applyTime, but the bookmark
    # stays at the end, so the next sync still reads applications applied after the end
    end = now - DAY
    result = run_refunds(tap_config(sandbox, end_date=dt.datetime.fromtimestamp(end, dt.timezone.utc).isoformat()))
    assert any(r["checkTime"] and p.parse_local(r["checkTime"]) > end for r in result.refund_records)
    assert bookmark(result) == p.format_local(end)


# --------------------------------------------------------------------------- errors
def test_business_failure_names_the_config_keys(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(100, refund_max_window_seconds=3_600)  # a gateway stricter than our 7-day reading
    with pytest.raises(TapFailed) as failed:
        run_refunds(config_at(sandbox))
    assert isinstance(failed.value.cause, SourceAPIError)
    message = str(failed.value.cause)
    assert p.METHOD_REFUND_APPLY_LIST in message and "window_seconds" in message and "refund_page_size" in message


def test_throttling_and_busy_answers_are_retried(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(150)
    sandbox.faults.rate_limit_next = 2
    sandbox.faults.busy_next = 1
    result = run_refunds(config_at(sandbox))
    assert {r["id"] for r in result.refund_records} == {a.id for a in sandbox.applications(SHOP)}
    codes = [c["code"] for c in refund_calls(sandbox)]
    assert codes[:3] == [p.CODE_CALL_LIMITED, p.CODE_CALL_LIMITED, p.CODE_BACKEND_UNAVAILABLE]


def test_an_expired_token_is_refreshed_once(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(150)
    sandbox.faults.expire_token = True
    result = run_refunds(config_at(sandbox))
    assert {r["id"] for r in result.refund_records} == {a.id for a in sandbox.applications(SHOP)}
    assert [c["code"] for c in refund_calls(sandbox)][0] == p.CODE_INVALID_TOKEN


def test_a_truncated_page_is_fetched_again(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(200)
    sandbox.faults.truncate_next = 1
    result = run_refunds(config_at(sandbox, refund_page_size=2))
    assert sorted(r["id"] for r in result.refund_records) == sorted(a.id for a in sandbox.applications(SHOP))
    assert any(c.get("fault") == "truncate" for c in refund_calls(sandbox))


def test_missing_permission_fails_clearly_and_the_stream_can_be_switched_off(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(60, allowed_methods=[p.METHOD_ORDER_SEARCH, p.METHOD_AFTER_SALE_LIST])
    with pytest.raises(TapFailed) as failed:
        run_tap(config_at(sandbox))
    assert isinstance(failed.value.cause, SourceAPIError)
    assert f"permission denied for {p.METHOD_REFUND_APPLY_LIST}" in str(failed.value.cause)
    assert failed.value.result.order_ids  # the orders were synced first

    result = run_tap(config_at(sandbox, sync_refund_applies=False))
    assert result.order_ids and not result.refund_records


def test_empty_time_filters_are_a_config_error(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(20)
    with pytest.raises(Exception, match="refund_time_filters"):
        TapJd(config=config_at(sandbox, refund_time_filters=[]), parse_env_config=False)
