"""tap-sap against the SAP sandbox: completeness, increments and resume, paging, every handled fault, OAuth
renewal, fatal messages, personal data, secrets, and a third-party target."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.support.erp_tapkit import FAST, PII_SALT, TapFailed, all_log_text, run_tap, sap_sandbox, visible_ids  # noqa: F401 - fixture
from tests.support.thirdparty import tap_messages

from orderlayer.taps.common.pii import HASH_PREFIX
from orderlayer.taps.sap import protocol as p
from orderlayer.sandboxes.sap import protocol as sp
from orderlayer.taps.sap.tap import TapSap


def config(sandbox, **overrides):
    return sandbox.tap_config(pii_salt=PII_SALT, **{**FAST, **overrides})


def orders(result) -> list[str]:
    return [r["SalesOrder"] for r in result.records]


def test_full_sync_delivers_every_visible_order_once_as_received(sap_sandbox) -> None:
    sandbox = sap_sandbox(120)
    result = run_tap(TapSap, config(sandbox, window_seconds=3 * 86_400))
    assert sorted(orders(result)) == sorted(visible_ids(sandbox))
    truth = {d.erp_order_id: d for d in sandbox.derivation() if d.erp_order_id}
    for record in result.records:
        d = truth[record["SalesOrder"]]
        assert d.outcome != "late"  # late orders are not in the ERP yet
        assert record["PurchaseOrderByCustomer"] == (d.reference or "")
        assert record["SalesDocApprovalStatus"] == ""  # a property the schema does not declare is kept
        assert record["CreatedByUser"].startswith(HASH_PREFIX)  # personal data pseudonymised
        assert record["to_Item"]["results"]
    keys = [p.parse_odata_date(r["LastChangeDateTime"]).epoch_ms for r in result.records]
    assert keys == sorted(keys)  # sorted stream: the bookmark is resumable
    assert result.final_state["bookmarks"]["sales_orders"]["replication_key_value"] == result.records[-1]["LastChangeDateTime"]


def test_increment_resumes_from_the_bookmark_and_picks_up_late_orders(sap_sandbox) -> None:
    sandbox = sap_sandbox(120)
    first = run_tap(TapSap, config(sandbox))
    later = sandbox.now_ts + 3 * 86_400
    sandbox.advance(later)
    sandbox.clear_log()
    end = dt.datetime.fromtimestamp(later + 1, dt.timezone.utc).isoformat()
    second = run_tap(TapSap, config(sandbox, end_date=end), state=first.final_state)
    late = {d.erp_order_id for d in sandbox.derivation() if d.outcome == "late" and d.visible_from <= later}
    assert late and late <= set(orders(second))
    assert set(orders(first)) | set(orders(second)) == visible_ids(sandbox)
    bookmark_ms = p.parse_odata_date(first.final_state["bookmarks"]["sales_orders"]["replication_key_value"]).epoch_ms
    # only orders changed at or after the bookmark's second come again
    assert all(p.parse_odata_date(r["LastChangeDateTime"]).epoch_ms >= bookmark_ms // 1000 * 1000 for r in second.records)
    filters = [e["filter"] for e in sandbox.requests if e.get("filter")]
    assert filters and all(sp.parse_window_filter(f)[0] >= bookmark_ms // 1000 * 1000 for f in filters)


def test_small_pages_and_server_paging_reach_the_end(sap_sandbox) -> None:
    sandbox = sap_sandbox(120, server_page_size=4)
    result = run_tap(TapSap, config(sandbox, page_size=9, window_seconds=2 * 86_400))
    assert sorted(orders(result)) == sorted(visible_ids(sandbox))
    calls = [e for e in sandbox.requests if e.get("outcome") == "ok"]
    assert any(e["skiptoken"] for e in calls) and any(e["skip"] not in (None, "0") for e in calls)


def test_an_order_changed_while_paging_is_not_skipped(sap_sandbox) -> None:
    sandbox = sap_sandbox(120)
    sandbox.set_faults(update_during_paging=3)
    result = run_tap(TapSap, config(sandbox, page_size=5, window_seconds=30 * 86_400))
    assert set(orders(result)) == visible_ids(sandbox)
    moved = [so for so in set(orders(result)) if orders(result).count(so) > 1]
    assert moved  # the changed orders came again with their new LastChangeDateTime


@pytest.mark.parametrize("fault", ["rate_limit_next", "busy_next", "http_503_next", "truncate_next", "stall_next"])
def test_transient_faults_are_retried(sap_sandbox, fault: str) -> None:
    sandbox = sap_sandbox(60)
    sandbox.set_faults(**{fault: 2, "stall_seconds": 0.6})
    result = run_tap(TapSap, config(sandbox, request_timeout=0.3))
    assert sorted(orders(result)) == sorted(visible_ids(sandbox))
    assert getattr(sandbox.faults, fault) == 0


def test_oauth_token_is_renewed_when_it_expires(sap_sandbox) -> None:
    sandbox = sap_sandbox(120)
    sandbox.set_faults(expire_token=True)
    result = run_tap(TapSap, config(sandbox, auth_method=p.AUTH_OAUTH2, page_size=10))
    assert sorted(orders(result)) == sorted(visible_ids(sandbox))
    issued = [e for e in sandbox.requests if e.get("outcome") == "token_issued"]
    rejected = [e for e in sandbox.requests if e.get("outcome") == "unauthorized"]
    assert len(issued) == 2 and len(rejected) == 1


def test_wrong_password_is_fatal_and_names_the_keys(sap_sandbox) -> None:
    sandbox = sap_sandbox(20)
    with pytest.raises(TapFailed) as failed:
        run_tap(TapSap, config(sandbox, password="wrong-Passw0rd"))
    text = str(failed.value)
    assert "401" in text and "username / password" in text and "SAP_COM_0109" in text
    assert len([e for e in sandbox.requests if e.get("outcome") == "unauthorized"]) == 1  # not retried


def test_missing_authorisation_is_fatal(sap_sandbox) -> None:
    sandbox = sap_sandbox(20)
    sandbox.set_faults(forbid_next=1)
    with pytest.raises(TapFailed) as failed:
        run_tap(TapSap, config(sandbox))
    assert "403" in str(failed.value) and "SAP_COM_0109" in str(failed.value) and "No authorization" in str(failed.value)


def test_bad_oauth_client_is_fatal(sap_sandbox) -> None:
    sandbox = sap_sandbox(20)
    with pytest.raises(TapFailed) as failed:
        run_tap(TapSap, config(sandbox, auth_method=p.AUTH_OAUTH2, client_secret="not-it-at-all"))
    assert "client_id / client_secret" in str(failed.value)


def test_config_needs_the_methods_credentials(sap_sandbox) -> None:
    sandbox = sap_sandbox(10)
    cfg = config(sandbox)
    del cfg["password"]
    with pytest.raises(TapFailed) as failed:
        run_tap(TapSap, cfg)
    assert "'password' is required with auth_method basic" in str(failed.value)


def test_secrets_never_reach_logs_or_errors(sap_sandbox, caplog: pytest.LogCaptureFixture) -> None:
    sandbox = sap_sandbox(60)
    sandbox.set_faults(rate_limit_next=1, expire_token=True, http_503_next=1)
    caplog.set_level("DEBUG")
    run_tap(TapSap, config(sandbox, auth_method=p.AUTH_OAUTH2, page_size=10))
    with pytest.raises(TapFailed) as failed:
        run_tap(TapSap, config(sandbox, password="another-Secret-9"))
    text = all_log_text(caplog) + str(failed.value)
    assert "Retrying" in text  # the retries were logged ...
    tokens = list(sandbox._tokens)  # noqa: SLF001 - the bearer token still valid after the renewal
    assert tokens
    for secret in (sandbox.password, sandbox.client_secret, PII_SALT, "another-Secret-9", p.basic_authorization(sandbox.username, sandbox.password), *tokens):
        assert secret not in text  # ... without any secret


def test_reaches_a_third_party_target(sap_sandbox, target_jsonl, tmp_path) -> None:
    sandbox = sap_sandbox(40)
    written = target_jsonl.run(tap_messages(TapSap, config(sandbox)), tmp_path)
    assert {row["SalesOrder"] for row in written["sales_orders"]} == visible_ids(sandbox)
    assert all(isinstance(row["TotalNetAmount"], str) for row in written["sales_orders"])  # decimals stay text
