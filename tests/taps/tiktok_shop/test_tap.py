"""tap-tiktok-shop end to end against a started sandbox (127.0.0.1 only)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from singer_sdk.exceptions import ConfigValidationError
from tests.taps.tiktok_shop.kit import (  # noqa: F401 - tts_sandbox is a fixture
    GB_SHOP,
    PII_SALT,
    US_SHOP,
    Factory,
    TapFailed,
    all_ids,
    index_by_id,
    run_tap,
    search_calls,
    tap_config,
    tts_sandbox,
)

from orderlayer.taps.common.pii import salted_hash
from orderlayer.taps.tiktok_shop import protocol as p
from orderlayer.taps.tiktok_shop.streams import OrdersStream, scrub_order


# --------------------------------------------------------------------------- full and incremental sync
def test_full_sync_emits_every_order_once_exactly_as_served(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(150)
    result = run_tap(tap_config(sandbox))
    ids = result.order_ids
    assert len(ids) == len(set(ids)), "half-open windows [ge, lt) never repeat an order"
    assert set(ids) == all_ids(sandbox) and len(ids) > 50

    by_id = index_by_id(sandbox)
    for record in result.records:
        served = scrub_order({**sandbox.order(by_id[record["id"]]), "shop_id": US_SHOP}, PII_SALT)
        assert record == served  # lossless apart from the PII policy: same keys, types, values
    times = [r["update_time"] for r in result.records]
    assert times == sorted(times)
    assert result.final_state["bookmarks"]["orders"] == {"replication_key": "update_time", "replication_key_value": max(times)}
    schema = next(m for m in result.messages if m["type"] == "SCHEMA")
    assert schema["stream"] == "orders" and schema["key_properties"] == ["shop_id", "id"]
    assert schema["bookmark_properties"] == ["update_time"]


def test_windows_and_cursor_paging_cover_the_range(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(150)
    config = tap_config(sandbox, window_seconds=2 * 86_400, page_size=7)
    result = run_tap(config)
    calls = search_calls(sandbox)
    windows = sorted({(c["body"]["update_time_ge"], c["body"]["update_time_lt"]) for c in calls})
    assert windows[0][0] == sandbox.start_ts - 1 and windows[-1][1] == sandbox.now_ts + 1
    assert all(b - a <= 2 * 86_400 for a, b in windows)
    assert all(windows[k][1] == windows[k + 1][0] for k in range(len(windows) - 1))  # contiguous, no gap
    # every window paged to its end: one call per started page of `total`, pages of 7
    for window in windows:
        in_window = [c for c in calls if (c["body"]["update_time_ge"], c["body"]["update_time_lt"]) == window]
        assert len(in_window) == max(1, -(-in_window[0]["total"] // 7))
        assert all(c["query"]["page_size"] == "7" and c["query"]["sort_field"] == "update_time" for c in in_window)
    assert len(result.records) == sum(c["returned"] for c in calls)


def test_incremental_sync_after_advance_picks_up_late_updates(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(150)
    first = run_tap(tap_config(sandbox))
    bookmark = first.final_state["bookmarks"]["orders"]["replication_key_value"]
    sandbox.advance(sandbox.now_ts + 3 * 86_400)
    sandbox.clear_log()
    second = run_tap(tap_config(sandbox, lookback_seconds=600), state=first.final_state)
    first_call = search_calls(sandbox)[0]
    assert first_call["body"]["update_time_ge"] == bookmark - 600  # the look-back before the bookmark
    changed = sandbox.ids_updated_between(US_SHOP, bookmark + 1, sandbox.now_ts + 1)
    assert changed and changed <= set(second.order_ids)
    # only the look-back re-reads older rows; nothing before it comes back
    assert set(second.order_ids) == sandbox.ids_updated_between(US_SHOP, bookmark - 600, sandbox.now_ts + 1)
    assert second.final_state["bookmarks"]["orders"]["replication_key_value"] > bookmark


def test_killed_sync_resumes_from_its_last_state_without_loss(tts_sandbox: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = tts_sandbox(150)
    monkeypatch.setattr(OrdersStream, "STATE_MSG_FREQUENCY", 10)
    original = OrdersStream.post_process
    count = {"n": 0}

    def dying(self: OrdersStream, row: dict, context: dict | None = None) -> dict | None:
        count["n"] += 1
        if count["n"] == 45:
            msg = "killed mid-sync"
            raise RuntimeError(msg)
        return original(self, row, context)

    monkeypatch.setattr(OrdersStream, "post_process", dying)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox))
    partial = info.value.result
    assert 30 <= len(partial.records) < 45 and partial.states  # what a pipeline stored before the kill
    monkeypatch.setattr(OrdersStream, "post_process", original)
    resumed = run_tap(tap_config(sandbox), state=partial.states[-1])
    assert set(partial.order_ids) | set(resumed.order_ids) == all_ids(sandbox)
    assert len(resumed.records) < len(all_ids(sandbox))  # it resumed, it did not start over


# --------------------------------------------------------------------------- faults and retries
def test_retries_throttling_busy_outage_and_truncated_pages(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(120)
    sandbox.set_faults(rate_limit_next=2, busy_next=1, http_503_next=1, truncate_next=1)
    result = run_tap(tap_config(sandbox))
    assert set(result.order_ids) == all_ids(sandbox)
    faults = [e.get("fault") for e in sandbox.requests if e.get("fault")]
    assert sorted(faults) == ["busy", "http_503", "rate_limit", "rate_limit", "truncate"]


def test_read_timeout_is_retried(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(40)
    sandbox.set_faults(stall_next=1, stall_seconds=0.6)
    result = run_tap(tap_config(sandbox, request_timeout=0.2))
    assert set(result.order_ids) == all_ids(sandbox)


def test_order_updated_while_paging_is_rescanned_and_nothing_is_lost(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(150)
    expected = all_ids(sandbox)
    sandbox.set_faults(update_during_paging=1)
    result = run_tap(tap_config(sandbox, page_size=5, window_seconds=10 * 86_400))
    assert [e for e in sandbox.requests if e.get("fault") == "update_during_paging"]
    assert expected <= set(result.order_ids)


def test_without_the_rescan_an_order_updated_while_paging_is_lost(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(150)
    expected = all_ids(sandbox)
    sandbox.set_faults(update_during_paging=1)
    result = run_tap(tap_config(sandbox, page_size=5, window_seconds=10 * 86_400, rescan_on_total_change=False))
    assert len(expected - set(result.order_ids)) == 1  # why rescan_on_total_change defaults to true


# --------------------------------------------------------------------------- tokens and fatal errors
def test_expired_token_is_refreshed_once_and_the_sync_completes(tts_sandbox: Factory, caplog: pytest.LogCaptureFixture) -> None:
    sandbox = tts_sandbox(80)
    config = tap_config(sandbox)
    sandbox.expire_tokens()
    with caplog.at_level(logging.WARNING):
        result = run_tap(config)
    assert set(result.order_ids) == all_ids(sandbox)
    refreshes = [e for e in sandbox.requests if e["path"] == p.TOKEN_REFRESH_PATH]
    assert len(refreshes) == 1 and refreshes[0]["code"] == 0
    codes = [e["code"] for e in search_calls(sandbox)]
    assert codes[0] == p.CODE_TOKEN_EXPIRED and set(codes[1:]) == {0}
    assert "Refreshed the TikTok Shop access token" in caplog.text


def test_expired_token_without_refresh_token_names_the_config_key(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(20)
    config = tap_config(sandbox)
    del config["refresh_token"]
    sandbox.expire_tokens()
    with pytest.raises(TapFailed, match="'refresh_token'"):
        run_tap(config)


def test_rejected_refresh_token_asks_to_reauthorize(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(20)
    config = tap_config(sandbox, refresh_token="TTP_not_issued")
    sandbox.expire_tokens()
    with pytest.raises(TapFailed, match="re-authorize the shop"):
        run_tap(config)


def test_bad_app_secret_is_fatal_without_retry(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(20)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox, app_secret="not-the-secret"))
    assert "106001" in str(info.value.cause) and "'app_secret'" in str(info.value.cause)
    assert len(search_calls(sandbox)) == 1


def test_cipher_of_another_shop_is_fatal(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(20)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox, shop_cipher=sandbox.shop_cipher(GB_SHOP)))
    assert "101000" in str(info.value.cause) and "'shop_cipher'" in str(info.value.cause)


def test_shop_cipher_is_looked_up_by_shop_id(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(60)
    config = tap_config(sandbox)
    del config["shop_cipher"]
    result = run_tap(config)
    assert set(result.order_ids) == all_ids(sandbox)
    lookups = [e for e in sandbox.requests if e["path"] == p.AUTHORIZED_SHOPS_PATH]
    assert len(lookups) == 1
    assert {c["query"]["shop_cipher"] for c in search_calls(sandbox)} == {sandbox.shop_cipher(US_SHOP)}

    with pytest.raises(TapFailed, match=f"not authorised for shop_id 123.*{US_SHOP}"):
        run_tap({**config, "shop_id": "123"})


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"start_date": "2024-11-01T00:00:00"}, "offset"),
        ({"end_date": "2024-10-01T00:00:00+00:00"}, "'end_date' must be after"),
        ({"page_size": 101}, "page_size"),
        ({"pii_salt": ""}, "pii_salt"),
    ],
)
def test_bad_config_is_rejected_before_any_call(tts_sandbox: Factory, override: dict, fragment: str) -> None:
    sandbox = tts_sandbox(10)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox, **{"start_date": "2024-11-01T00:00:00+00:00", **override}))
    assert isinstance(info.value.cause, ConfigValidationError)
    assert fragment in str(info.value.cause) + " ".join(getattr(info.value.cause, "errors", []))
    assert sandbox.requests == []


# --------------------------------------------------------------------------- data fidelity and privacy
def test_ids_stay_strings_and_big_numbers_stay_exact_on_the_wire(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(150)
    result = run_tap(tap_config(sandbox))
    assert all(isinstance(r["id"], str) and len(r["id"]) == 18 for r in result.records)
    assert all(isinstance(line["id"], str) and isinstance(line["sku_id"], str) for r in result.records for line in r["line_items"])
    assert all(isinstance(r["shop_id"], str) for r in result.records)
    wire = "\n".join(result.lines)
    assert '"sku_id": "9007199254740993"' in wire or '"sku_id":"9007199254740993"' in wire  # 2^53 + 1, digit for digit


def test_plaintext_pii_is_removed_and_buyer_ids_are_hashed(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(200)
    result = run_tap(tap_config(sandbox))
    by_id = index_by_id(sandbox)
    planted = [r for r in result.records if sandbox.generator.timelines[by_id[r["id"]]].plaintext_pii]
    assert planted, "the sandbox plants plaintext receiver data in some orders"
    wire = "\n".join(result.lines)
    for record in result.records:
        served = sandbox.order(by_id[record["id"]])
        address = record["recipient_address"]
        for key in ("full_address", "address_detail", "address_line_list", "first_name", "last_name", "zipcode", "postal_code"):
            assert address[key] is None
        assert served["recipient_address"]["full_address"] not in wire
        assert record["user_id"] == salted_hash(served["user_id"], PII_SALT)
        assert record["buyer_email"] == salted_hash(served["buyer_email"], PII_SALT)
        assert served["user_id"] not in wire
        if record in planted:
            assert address["name"] is None and address["phone"] is None  # unmasked: dropped
            assert served["recipient_address"]["phone"] not in wire and served["recipient_address"]["name"] not in wire
            assert "buyer_message" in served and record["buyer_message"] is None
        else:
            assert "*" in address["name"] and "*" in address["phone"]  # TikTok's masks are kept
        assert address["state"] == served["recipient_address"]["state"]


def test_unknown_platform_fields_survive(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(30, extra_fields={"brand_new_field": {"nested": [1, "two"]}, "is_sample_order": "maybe"})
    result = run_tap(tap_config(sandbox))
    assert result.records
    assert all(r["brand_new_field"] == {"nested": [1, "two"]} and r["is_sample_order"] == "maybe" for r in result.records)


def test_no_secret_or_personal_data_in_logs(tts_sandbox: Factory, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    sandbox = tts_sandbox(80)
    config = tap_config(sandbox)
    sandbox.expire_tokens()
    sandbox.set_faults(rate_limit_next=1, http_503_next=1)
    with caplog.at_level(logging.DEBUG):
        result = run_tap(config)
    logs = caplog.text + capfd.readouterr().err
    assert "Retrying" in logs and "Refreshed" in logs
    secrets = [config[k] for k in sandbox.SECRET_CONFIG_KEYS] + [sandbox.access_token(US_SHOP), sandbox.refresh_token(US_SHOP)]
    for secret in secrets:
        assert secret not in logs
        assert secret not in "\n".join(result.lines)
    by_id = index_by_id(sandbox)
    for record in result.records[:20]:
        served = sandbox.order(by_id[record["id"]])
        assert served["recipient_address"]["full_address"] not in logs


def test_client_side_budget_paces_requests(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(100, qps=10)
    started = time.monotonic()
    run_tap(tap_config(sandbox, max_requests_per_second=8, page_size=5, window_seconds=30 * 86_400))
    calls = search_calls(sandbox)
    assert len(calls) >= 10
    assert all(c["code"] == 0 for c in calls), "paced by the client, never throttled by the gateway"
    assert time.monotonic() - started >= (len(calls) - 8) / 8


def test_console_entry_point_with_state_file(tts_sandbox: Factory, tmp_path: Path) -> None:
    sandbox = tts_sandbox(40)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(tap_config(sandbox)), encoding="utf-8")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "orderlayer.taps.tiktok_shop.tap", "--config", str(config_path)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    messages = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    state = [m["value"] for m in messages if m["type"] == "STATE"][-1]
    assert {m["record"]["id"] for m in messages if m["type"] == "RECORD" and m["stream"] == "orders"} == all_ids(sandbox)
    state_path = tmp_path / "state.json"
    state_path.write_text(json.dumps(state), encoding="utf-8")
    again = subprocess.run(
        [sys.executable, "-m", "orderlayer.taps.tiktok_shop.tap", "--config", str(config_path), "--state", str(state_path)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert sandbox.app_secret not in again.stderr and sandbox.access_token(US_SHOP) not in again.stderr
