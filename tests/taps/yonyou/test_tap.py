"""tap-yonyou against the Yonyou sandbox: rows regrouped into orders, increments and resume, paging with drift
detection, token renewal, every handled fault, fatal messages, personal data, secrets, target-jsonl."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.support.erp_tapkit import FAST, PII_SALT, TapFailed, all_log_text, run_tap, visible_ids, yonyou_sandbox  # noqa: F401 - fixture
from tests.support.thirdparty import tap_messages

from orderlayer.taps.common.pii import HASH_PREFIX
from orderlayer.taps.yonyou import protocol as p
from orderlayer.taps.yonyou.tap import TapYonyou


def config(sandbox, **overrides):
    return sandbox.tap_config(pii_salt=PII_SALT, **{**FAST, **overrides})


def codes(result) -> list[str]:
    return [r["code"] for r in result.records]


def test_full_sync_regroups_lines_into_orders(yonyou_sandbox) -> None:
    sandbox = yonyou_sandbox(120)
    result = run_tap(TapYonyou, config(sandbox, page_size=7, window_seconds=3 * 86_400))
    assert sorted(codes(result)) == sorted(visible_ids(sandbox))
    by_code = {o.erp_order_id: o for o in sandbox.erp.visible_orders(sandbox.now_ts)}
    for record in result.records:
        order = by_code[record["code"]]
        assert [line["skuCode"] for line in record[p.LINES_KEY]] == [line.material for line in order.lines]
        assert record["payMoney"] == order.gross
        assert record["corpContactUserName"].startswith(HASH_PREFIX)
        assert isinstance(record["id"], int)
    assert max(r["id"] for r in result.records) > 2**53
    big = str(max(r["id"] for r in result.records))
    assert any(big in line for line in result.lines)  # written digit for digit
    stamps = [r["pubts"] for r in result.records]
    assert stamps == sorted(stamps)


def test_increment_resumes_and_picks_up_late_orders(yonyou_sandbox) -> None:
    sandbox = yonyou_sandbox(120)
    first = run_tap(TapYonyou, config(sandbox))
    later = sandbox.now_ts + 3 * 86_400
    sandbox.advance(later)
    end = dt.datetime.fromtimestamp(later + 1, dt.timezone.utc).isoformat()
    second = run_tap(TapYonyou, config(sandbox, end_date=end), state=first.final_state)
    late = {d.erp_order_id for d in sandbox.derivation() if d.outcome == "late" and d.visible_from <= later}
    assert late and late <= set(codes(second))
    assert set(codes(first)) | set(codes(second)) == visible_ids(sandbox)
    bookmark = first.final_state["bookmarks"]["sales_orders"]["replication_key_value"]
    assert all(r["pubts"] >= bookmark for r in second.records)


def test_a_window_changed_while_paging_is_rescanned(yonyou_sandbox) -> None:
    sandbox = yonyou_sandbox(120)
    sandbox.set_faults(update_during_paging=2)
    result = run_tap(TapYonyou, config(sandbox, page_size=5, window_seconds=30 * 86_400))
    # every order is delivered although the edited ones left the window and later rows moved back a page
    assert set(codes(result)) == visible_ids(sandbox)
    assert sandbox.faults.update_during_paging == 0
    pages = [e for e in sandbox.requests if e.get("outcome") == "ok"]
    assert sum(1 for e in pages if e["page"] == 1) == 3  # the window shrank twice; each time it was rescanned


def test_expired_token_is_renewed(yonyou_sandbox) -> None:
    sandbox = yonyou_sandbox(80)
    sandbox.set_faults(expire_token=True)
    result = run_tap(TapYonyou, config(sandbox, page_size=10))
    assert sorted(codes(result)) == sorted(visible_ids(sandbox))
    assert len([e for e in sandbox.requests if e.get("outcome") == "token_issued"]) == 2
    assert len([e for e in sandbox.requests if e.get("outcome") == "code_310037"]) == 1


@pytest.mark.parametrize("fault", ["rate_limit_next", "busy_next", "http_503_next", "truncate_next", "stall_next"])
def test_transient_faults_are_retried(yonyou_sandbox, fault: str) -> None:
    sandbox = yonyou_sandbox(60)
    sandbox.set_faults(**{fault: 2, "stall_seconds": 0.6})
    result = run_tap(TapYonyou, config(sandbox, request_timeout=0.3))
    assert sorted(codes(result)) == sorted(visible_ids(sandbox))
    assert getattr(sandbox.faults, fault) == 0


def test_client_budget_keeps_under_the_per_minute_quota(yonyou_sandbox) -> None:
    sandbox = yonyou_sandbox(40, calls_per_minute=600)  # 10/s, burst 600
    result = run_tap(TapYonyou, config(sandbox, max_requests_per_second=50, page_size=5))
    assert sorted(codes(result)) == sorted(visible_ids(sandbox))


def test_bad_app_secret_is_fatal_and_names_the_keys(yonyou_sandbox) -> None:
    sandbox = yonyou_sandbox(20)
    with pytest.raises(TapFailed) as failed:
        run_tap(TapYonyou, config(sandbox, app_secret="wrong-secret"))
    assert "check app_key and app_secret" in str(failed.value)
    assert len([e for e in sandbox.requests if e["path"] == p.TOKEN_PATH]) == 1  # not retried


def test_another_incremental_field_can_be_configured(yonyou_sandbox) -> None:
    sandbox = yonyou_sandbox(60)
    result = run_tap(TapYonyou, config(sandbox, incremental_field="auditTime"))
    # orders still under approval have no audit time and are not selected by an auditTime window
    approving = {o.erp_order_id for o in sandbox.erp.visible_orders(sandbox.now_ts) if o.channel is None and o.changed_at is None}
    assert set(codes(result)) == visible_ids(sandbox) - approving
    assert result.final_state["bookmarks"]["sales_orders"]["replication_key"] == "auditTime"
    assert all(e["filter"][0]["field"] == "auditTime" for e in sandbox.requests if e.get("filter"))


def test_list_refusal_is_fatal_with_advice(yonyou_sandbox) -> None:
    sandbox = yonyou_sandbox(20, max_page_size=100)
    with pytest.raises(TapFailed) as failed:
        run_tap(TapYonyou, config(sandbox, page_size=200))
    assert "code 999" in str(failed.value) and "page_size" in str(failed.value)


def test_receiver_contact_fields_are_removed(yonyou_sandbox) -> None:
    sandbox = yonyou_sandbox(150)
    assert any(o.plaintext_pii for o in sandbox.erp.visible_orders(sandbox.now_ts))
    result = run_tap(TapYonyou, config(sandbox))
    assert all(r["receiver"] is None and r["receiveMobile"] is None and r["receiveAddress"] is None for r in result.records)
    assert "13800138000" not in "".join(result.lines)


def test_secrets_never_reach_logs_or_errors(yonyou_sandbox, caplog: pytest.LogCaptureFixture) -> None:
    sandbox = yonyou_sandbox(60)
    sandbox.set_faults(expire_token=True, rate_limit_next=1)
    caplog.set_level("DEBUG")
    run_tap(TapYonyou, config(sandbox, page_size=10))
    issued = [e for e in sandbox.requests if e.get("outcome") == "token_issued"]
    with pytest.raises(TapFailed) as failed:
        run_tap(TapYonyou, config(sandbox, app_secret="another-secret-zz"))
    text = all_log_text(caplog) + str(failed.value)
    assert issued and "Retrying" in text
    assert "access_token=***" in text or "access_token" not in text
    for secret in (sandbox.app_secret, "another-secret-zz", PII_SALT, *sandbox._tokens):  # noqa: SLF001 - the issued tokens
        assert secret not in text


def test_reaches_a_third_party_target(yonyou_sandbox, target_jsonl, tmp_path) -> None:
    sandbox = yonyou_sandbox(40)
    written = target_jsonl.run(tap_messages(TapYonyou, config(sandbox)), tmp_path)
    assert {row["code"] for row in written["sales_orders"]} == visible_ids(sandbox)
