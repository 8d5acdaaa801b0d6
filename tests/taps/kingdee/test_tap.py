"""tap-kingdee against the Kingdee sandbox: both login styles, bills regrouped from entry rows, increments and
resume, keyset paging, session loss, every handled fault, fatal messages, personal data, secrets, target-jsonl."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.support.erp_tapkit import FAST, PII_SALT, TapFailed, all_log_text, kingdee_sandbox, run_tap, visible_ids  # noqa: F401 - fixture
from tests.support.thirdparty import tap_messages

from orderlayer.taps.kingdee import protocol as p
from orderlayer.taps.kingdee.tap import TapKingdee


def config(sandbox, **overrides):
    return sandbox.tap_config(pii_salt=PII_SALT, **{**FAST, **overrides})


def bills(result) -> list[str]:
    return [r["FBillNo"] for r in result.records]


@pytest.mark.parametrize("auth_mode", [p.AUTH_SIGNED, p.AUTH_SESSION])
def test_full_sync_groups_entry_rows_into_bills(kingdee_sandbox, auth_mode: str) -> None:
    sandbox = kingdee_sandbox(120)
    result = run_tap(TapKingdee, config(sandbox, auth_mode=auth_mode, page_size=7, window_seconds=3 * 86_400))
    assert sorted(bills(result)) == sorted(visible_ids(sandbox))  # each bill once, although pages cut bills
    by_no = {o.erp_order_id: o for o in sandbox.erp.visible_orders(sandbox.now_ts)}
    for record in result.records:
        order = by_no[record["FBillNo"]]
        assert [e["FMaterialId.FNumber"] for e in record[p.ENTRIES_KEY]] == [line.material for line in order.lines]
        assert record["FBillAllAmount"] == order.gross  # decimals exact
        assert record[p.DEFAULT_REFERENCE_FIELD] == order.reference
    stamps = [r["FModifyDate"] for r in result.records]
    assert stamps == sorted(stamps)
    assert result.final_state["bookmarks"]["sales_orders"]["replication_key_value"] == stamps[-1]


def test_increment_resumes_and_picks_up_late_orders(kingdee_sandbox) -> None:
    sandbox = kingdee_sandbox(120)
    first = run_tap(TapKingdee, config(sandbox))
    later = sandbox.now_ts + 3 * 86_400
    sandbox.advance(later)
    end = dt.datetime.fromtimestamp(later + 1, dt.timezone.utc).isoformat()
    second = run_tap(TapKingdee, config(sandbox, end_date=end), state=first.final_state)
    late = {d.erp_order_id for d in sandbox.derivation() if d.outcome == "late" and d.visible_from <= later}
    assert late and late <= set(bills(second))
    assert set(bills(first)) | set(bills(second)) == visible_ids(sandbox)
    bookmark = first.final_state["bookmarks"]["sales_orders"]["replication_key_value"]
    assert all(r["FModifyDate"] >= bookmark for r in second.records)


def test_a_bill_changed_while_paging_is_not_skipped(kingdee_sandbox) -> None:
    sandbox = kingdee_sandbox(120)
    sandbox.set_faults(update_during_paging=3)
    result = run_tap(TapKingdee, config(sandbox, page_size=5, window_seconds=30 * 86_400))
    assert set(bills(result)) == visible_ids(sandbox)
    assert any(bills(result).count(no) > 1 for no in set(bills(result)))  # moved bills came again


@pytest.mark.parametrize("auth_mode", [p.AUTH_SIGNED, p.AUTH_SESSION])
def test_lost_session_is_renewed(kingdee_sandbox, auth_mode: str) -> None:
    sandbox = kingdee_sandbox(80)
    sandbox.set_faults(expire_token=True)
    result = run_tap(TapKingdee, config(sandbox, auth_mode=auth_mode, page_size=10))
    assert sorted(bills(result)) == sorted(visible_ids(sandbox))
    assert len([e for e in sandbox.requests if e.get("outcome") == f"msg_code_{p.MSG_CONTEXT_LOST}"]) == 1
    if auth_mode == p.AUTH_SESSION:
        assert len([e for e in sandbox.requests if e.get("outcome") == "login_ok"]) == 2


@pytest.mark.parametrize("fault", ["rate_limit_next", "busy_next", "http_503_next", "truncate_next", "stall_next"])
def test_transient_faults_are_retried(kingdee_sandbox, fault: str) -> None:
    sandbox = kingdee_sandbox(60)
    sandbox.set_faults(**{fault: 2, "stall_seconds": 0.6})
    result = run_tap(TapKingdee, config(sandbox, request_timeout=0.3))
    assert sorted(bills(result)) == sorted(visible_ids(sandbox))
    assert getattr(sandbox.faults, fault) == 0


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"app_secret": "f" * 32}, "check app_id and app_secret"),
        ({"auth_mode": p.AUTH_SESSION, "password": "wrong"}, "check acct_id"),
        ({"extra_field_keys": ["F_nope_Field"]}, "check reference_field_key and extra_field_keys"),
        ({"page_size": 2000, "filter_extra": "FDocumentStatus ~ 'C'"}, "check page_size (<= 2000) and filter_extra"),
    ],
)
def test_fatal_answers_name_the_config_key(kingdee_sandbox, overrides: dict, expected: str) -> None:
    sandbox = kingdee_sandbox(20)
    with pytest.raises(TapFailed) as failed:
        run_tap(TapKingdee, config(sandbox, **overrides))
    assert expected in str(failed.value)


def test_missing_permission_is_fatal(kingdee_sandbox) -> None:
    sandbox = kingdee_sandbox(20)
    sandbox.set_faults(forbid_next=1)
    with pytest.raises(TapFailed) as failed:
        run_tap(TapKingdee, config(sandbox))
    assert "MsgCode 2" in str(failed.value) and "SAL_SaleOrder" in str(failed.value)


def test_receiver_contact_fields_are_removed(kingdee_sandbox) -> None:
    sandbox = kingdee_sandbox(150)
    planted = {o.erp_order_id for o in sandbox.erp.visible_orders(sandbox.now_ts) if o.plaintext_pii}
    assert planted
    result = run_tap(TapKingdee, config(sandbox, extra_field_keys=["FLinkMan", "FLinkPhone", "FReceiveAddress"]))
    for record in result.records:
        assert record["FLinkMan"] is None and record["FLinkPhone"] is None and record["FReceiveAddress"] is None
    assert "13912345678" not in str(result.lines)


def test_secrets_never_reach_logs_or_errors(kingdee_sandbox, caplog: pytest.LogCaptureFixture) -> None:
    sandbox = kingdee_sandbox(60)
    sandbox.set_faults(expire_token=True, rate_limit_next=1)
    caplog.set_level("DEBUG")
    run_tap(TapKingdee, config(sandbox, auth_mode=p.AUTH_SESSION, page_size=10))
    with pytest.raises(TapFailed) as failed:
        run_tap(TapKingdee, config(sandbox, app_secret="e" * 32))
    text = all_log_text(caplog) + str(failed.value)
    assert "Retrying" in text
    for secret in (sandbox.password, sandbox.app_secret, "e" * 32, PII_SALT):
        assert secret not in text


def test_reaches_a_third_party_target(kingdee_sandbox, target_jsonl, tmp_path) -> None:
    sandbox = kingdee_sandbox(40)
    written = target_jsonl.run(tap_messages(TapKingdee, config(sandbox)), tmp_path)
    assert {row["FBillNo"] for row in written["sales_orders"]} == visible_ids(sandbox)
