"""tap-shopify end to end against a started sandbox (127.0.0.1 only)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import re
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
from tests.taps.shopify.kit import (  # noqa: F401 - shopify_sandboxes is a fixture
    AU_SHOP,
    EU_SHOP,
    PII_SALT,
    US_SHOP,
    TapFailed,
    order_calls,
    run_tap,
    served,
    shopify_sandboxes,
    tap_config,
    utc_instant,
)
from singer_sdk.exceptions import ConfigValidationError

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.shopify import protocol as p
from orderlayer.sandboxes.shopify.server import ShopifySandbox
from orderlayer.taps.shopify.streams import OrdersStream

Factory = t.Callable[..., ShopifySandbox]


def visible_ids(sandbox: ShopifySandbox, shop: str, since: int | None = None) -> set[int]:
    gen = sandbox.generator
    return {
        gen.plans[i].order_id
        for i in gen.indexes_for_shop(shop)
        if gen.plans[i].created <= sandbox.now_ts and (since is None or sandbox.update_time_of(i) >= since)
    }


# --------------------------------------------------------------------------- full and incremental syncs
def test_full_sync_emits_every_order_once_exactly_as_served(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(200)
    result = run_tap(tap_config(sandbox, EU_SHOP, window_seconds=30 * 86_400))
    assert len(result.ids) == len(set(result.ids)), "one window: no boundary duplicates"
    assert set(result.ids) == visible_ids(sandbox, EU_SHOP)
    expected = served(sandbox, EU_SHOP)
    for record in result.records:
        assert record == expected[record["id"]]  # lossless apart from the personal-data policy, shop_id added
    instants = [utc_instant(r["updated_at"]) for r in result.records]
    assert instants == sorted(instants)  # sorted by instant although Shopify pages in id order
    assert result.bookmark == max(instants).isoformat()
    schema = next(m for m in result.messages if m["type"] == "SCHEMA")
    assert schema["key_properties"] == ["shop_id", "id"] and schema["bookmark_properties"] == ["updated_at"]


def test_windows_and_cursor_pages_cover_the_range(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(300)
    result = run_tap(tap_config(sandbox, US_SHOP, window_seconds=2 * 86_400, page_size=7))
    assert set(result.ids) == visible_ids(sandbox, US_SHOP)
    calls = order_calls(sandbox, US_SHOP)
    firsts = [c["params"] for c in calls if "page_info" not in c["params"]]
    follows = [c["params"] for c in calls if "page_info" in c["params"]]
    assert follows, "windows were paged"
    assert all(set(f) == {"page_info", "limit"} and f["limit"] == "7" for f in follows)  # only limit accompanies the cursor
    assert all(f["status"] == "any" and f["limit"] == "7" for f in firsts)
    spans = [(dt.datetime.fromisoformat(f["updated_at_min"]), dt.datetime.fromisoformat(f["updated_at_max"])) for f in firsts]
    assert spans[0][0].timestamp() == sandbox.start_ts and spans[-1][1].timestamp() == sandbox.now_ts + 1
    assert all(b[0] == a[1] for a, b in zip(spans, spans[1:], strict=False))  # contiguous, boundary shared
    assert all((end - start).total_seconds() <= 2 * 86_400 for start, end in spans)
    # the boundary second is inclusive on both sides: only orders updated exactly there may repeat
    repeats = [i for i in set(result.ids) if result.ids.count(i) > 1]
    boundaries = {end.timestamp() for _, end in spans}
    by_id = {r["id"]: r for r in result.records}
    assert all(utc_instant(by_id[i]["updated_at"]).timestamp() in boundaries for i in repeats)


def test_incremental_sync_resumes_at_the_bookmark_and_picks_up_late_updates(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(250)
    first = run_tap(tap_config(sandbox, US_SHOP))
    state = first.final_state
    bookmark = utc_instant(first.bookmark)
    sandbox.advance(sandbox.now_ts + 3 * 86_400)
    sandbox.clear_log()
    second = run_tap(tap_config(sandbox, US_SHOP, lookback_seconds=600), state=copy.deepcopy(state))
    since = int(bookmark.timestamp()) - 600
    assert set(second.ids) == visible_ids(sandbox, US_SHOP, since=since)
    late = [r for r in second.records if r["id"] in set(first.ids) and utc_instant(r["updated_at"]) > bookmark]
    assert len(late) > 5, "orders synced before changed again and came back"
    first_call = order_calls(sandbox, US_SHOP)[0]["params"]
    assert dt.datetime.fromisoformat(first_call["updated_at_min"]).timestamp() == since  # the bookmark minus lookback
    # re-read orders never move the bookmark back
    bookmarks = [s["bookmarks"]["orders"]["replication_key_value"] for s in second.states]
    assert bookmarks == sorted(bookmarks) and bookmarks[0] >= first.bookmark


def test_dst_switch_keeps_the_stream_sorted_and_bookmarks_in_utc(shopify_sandboxes: Factory) -> None:
    # seed 6: one New York order is last updated at 01:5x EDT and another at 01:xx EST a little later
    # (2024-11-03, the hour that happens twice), so their texts sort the wrong way round
    sandbox = shopify_sandboxes(150, seed=6)
    result = run_tap(tap_config(sandbox, US_SHOP, window_seconds=6 * 3_600))
    texts = [r["updated_at"] for r in result.records]
    assert {t[-6:] for t in texts} == {"-04:00", "-05:00"}  # New York before and after 2024-11-03
    instants = [utc_instant(t) for t in texts]
    assert instants == sorted(instants)
    assert any(a > b for a, b in zip(texts, texts[1:], strict=False)), "as text the stream would look unsorted"
    values = [s["bookmarks"]["orders"]["replication_key_value"] for s in result.states]
    assert all(v.endswith("+00:00") for v in values) and values == sorted(values)


def test_killed_sync_resumes_from_its_last_state_without_loss(shopify_sandboxes: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = shopify_sandboxes(250)
    config = tap_config(sandbox, US_SHOP, window_seconds=86_400, page_size=9)
    monkeypatch.setattr(OrdersStream, "STATE_MSG_FREQUENCY", 7)
    original = OrdersStream.post_process
    emitted = {"n": 0}

    def dying(self: OrdersStream, row: dict, context: object = None) -> dict | None:
        emitted["n"] += 1
        if emitted["n"] > 60:
            raise RuntimeError("killed")
        return original(self, row, context)

    monkeypatch.setattr(OrdersStream, "post_process", dying)
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    partial = info.value.result
    assert 40 <= len(partial.records) <= 60 and partial.states
    monkeypatch.setattr(OrdersStream, "post_process", original)
    sandbox.clear_log()
    resumed = run_tap(config, state=partial.final_state)
    assert set(partial.ids) | set(resumed.ids) == visible_ids(sandbox, US_SHOP)
    # resumed at the last committed bookmark (inclusive), not at start_date
    assert order_calls(sandbox)[0]["params"]["updated_at_min"] == partial.bookmark
    assert min(utc_instant(r["updated_at"]) for r in resumed.records) >= utc_instant(partial.bookmark)


# --------------------------------------------------------------------------- errors and retries
def test_retries_throttling_busy_and_outages(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(80, retry_after_seconds=0.0)
    sandbox.set_faults(rate_limit_next=2, busy_next=1, http_503_next=1)
    result = run_tap(tap_config(sandbox, AU_SHOP, window_seconds=30 * 86_400))
    assert set(result.ids) == visible_ids(sandbox, AU_SHOP)
    outcomes = [(e.get("fault"), e["http_status"]) for e in sandbox.requests]
    assert outcomes[:5] == [("http_503", 503), ("rate_limit", 429), ("rate_limit", 429), ("busy", 500), (None, 200)]


def test_truncated_page_is_fetched_again(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(60)
    sandbox.set_faults(truncate_next=1)
    result = run_tap(tap_config(sandbox, US_SHOP, window_seconds=30 * 86_400))
    assert set(result.ids) == visible_ids(sandbox, US_SHOP)
    calls = order_calls(sandbox)
    assert [c.get("fault") for c in calls[:2]] == ["truncated", None]
    assert calls[0]["params"] == calls[1]["params"]  # the same page, asked again


def test_read_timeout_is_retried(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(60)
    sandbox.set_faults(stall_next=1, stall_seconds=1.0)
    result = run_tap(tap_config(sandbox, US_SHOP, window_seconds=30 * 86_400, request_timeout=0.4))
    assert set(result.ids) == visible_ids(sandbox, US_SHOP)
    sandbox.settle()  # the stalled answer (abandoned by the client) has been logged
    calls = order_calls(sandbox)
    assert len(calls) >= 2 and all(c["params"] == calls[0]["params"] for c in calls)  # one page, asked again after the timeout


def test_expired_token_is_renewed_through_client_credentials(shopify_sandboxes: Factory, caplog: pytest.LogCaptureFixture) -> None:
    sandbox = shopify_sandboxes(80)
    sandbox.set_faults(expire_token=True)
    with caplog.at_level(logging.INFO):
        result = run_tap(tap_config(sandbox, EU_SHOP, window_seconds=30 * 86_400))
    assert set(result.ids) == visible_ids(sandbox, EU_SHOP)
    entries = sandbox.requests
    assert [e["http_status"] for e in entries[:3]] == [401, 200, 200]
    assert entries[0]["fault"] == "expired_token" and entries[1]["path"] == p.TOKEN_PATH
    assert "client credentials grant" in caplog.text


def test_no_access_token_obtains_one(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(30)
    config = tap_config(sandbox, EU_SHOP)
    del config["access_token"]
    result = run_tap(config)
    assert set(result.ids) == visible_ids(sandbox, EU_SHOP)
    assert sandbox.requests[0]["path"] == p.TOKEN_PATH


def test_expired_static_token_names_the_config_key(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(30)
    sandbox.set_faults(expire_token=True)
    config = {k: v for k, v in tap_config(sandbox, US_SHOP).items() if k not in ("client_id", "client_secret")}
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    message = str(info.value.cause)
    assert isinstance(info.value.cause, SourceAPIError) and info.value.cause.code == 401
    assert "access_token" in message and "client_id" in message and "acme-us.myshopify.com" in message
    assert len(order_calls(sandbox)) == 1  # fatal: not retried


def test_wrong_client_secret_is_fatal(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(10)
    sandbox.set_faults(expire_token=True)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox, US_SHOP, client_secret="wrong-secret"))
    message = str(info.value.cause)
    assert "client credentials grant was refused" in message and "client_secret" in message
    assert "wrong-secret" not in message


def test_missing_scope_is_fatal_with_the_fix(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(10)
    sandbox.revoke_scope(AU_SHOP)
    with pytest.raises(TapFailed) as info:
        run_tap(tap_config(sandbox, AU_SHOP))
    assert "HTTP 403" in str(info.value.cause) and "read_orders" in str(info.value.cause)
    assert len(order_calls(sandbox)) == 1


@pytest.mark.parametrize(
    ("override", "fragment"),
    [({"api_version": "2031-01"}, "'api_version'"), ({"shop_id": "unknown-shop"}, "'shop_id'")],
)
def test_not_found_names_shop_and_version(shopify_sandboxes: Factory, override: dict, fragment: str) -> None:
    sandbox = shopify_sandboxes(10)
    config = {**tap_config(sandbox, US_SHOP), **override}
    if "shop_id" in override:
        config["base_url"] = sandbox.shop_base_url("unknown-shop")
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    assert "HTTP 404" in str(info.value.cause) and fragment in str(info.value.cause)


def test_retired_api_version_is_served_by_the_oldest_and_logged(shopify_sandboxes: Factory, caplog: pytest.LogCaptureFixture) -> None:
    sandbox = shopify_sandboxes(20)
    with caplog.at_level(logging.WARNING):
        result = run_tap(tap_config(sandbox, AU_SHOP, api_version="2023-01"))
    assert set(result.ids) == visible_ids(sandbox, AU_SHOP)
    assert f"served API version {sandbox.SUPPORTED_VERSIONS[0]} instead of the requested 2023-01" in caplog.text


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"access_token": None, "client_id": None, "client_secret": None}, "access_token"),
        ({"client_secret": None}, "go together"),
        ({"page_size": 251}, "page_size"),
        ({"start_date": "2024-11-01T00:00:00"}, "offset"),
        ({"end_date": "2024-10-01T00:00:00+00:00"}, "after 'start_date'"),
        ({"shop_id": "Acme Store"}, "shop_id"),
        ({"api_version": "2026-05"}, "api_version"),
    ],
)
def test_bad_config_is_rejected_before_any_call(shopify_sandboxes: Factory, override: dict, fragment: str) -> None:
    sandbox = shopify_sandboxes(10)
    config = {k: v for k, v in {**tap_config(sandbox, US_SHOP), **override}.items() if v is not None}
    with pytest.raises(TapFailed) as info:
        run_tap(config)
    assert isinstance(info.value.cause, ConfigValidationError)
    assert fragment in str(info.value.cause) + " ".join(getattr(info.value.cause, "errors", []))
    assert sandbox.requests == []


# --------------------------------------------------------------------------- data fidelity and privacy
def test_ids_stay_exact_across_2_pow_53(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(120)
    result = run_tap(tap_config(sandbox, US_SHOP))
    unsafe = [i for i in result.ids if float(i) != i]
    assert unsafe, "the sandbox serves ids a float cannot hold"
    for order_id in unsafe:
        assert f'"id":{order_id}' in result.text.replace(" ", "")  # digit for digit on the wire


def test_personal_data_is_removed_masked_or_hashed(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(150)
    result = run_tap(tap_config(sandbox, US_SHOP))
    plaintext: set[str] = set()
    for i in sandbox.generator.indexes_for_shop(US_SHOP):
        order = sandbox.order(i)
        plaintext.update(v for v in (order["email"], order["phone"], order["note"], order["browser_ip"]) if v)
        plaintext.update(a["value"] for a in order["note_attributes"])
        for key in ("shipping_address", "billing_address"):
            if order[key]:
                plaintext.update(str(order[key][k]) for k in ("name", "phone", "address1", "zip"))
        if order["customer"]:
            plaintext.update([order["customer"]["email"], order["customer"]["phone"], str(order["customer"]["id"])])
    assert len(plaintext) > 100
    # Compared with the values the records carry, not the whole stdout: a 5-digit zip code can turn up by
    # chance inside the run's own time_extracted microseconds (it did, once, in CI).
    values = list(_leaves(result.records))
    assert values
    leaked = sorted(v for v in plaintext if any(v in value for value in values))
    assert leaked == []
    masked = [r["shipping_address"] for r in result.records if r["shipping_address"]]
    assert masked and all("*" in a["phone"] and "*" in a["name"] and a["address1"] is None for a in masked)
    hashed = [r["customer"]["id"] for r in result.records if r["customer"]]
    assert hashed and all(h.startswith("sha256:") for h in hashed)


def _leaves(node: t.Any) -> t.Iterator[str]:  # noqa: ANN401
    """Every scalar in a record as text, except the salted hashes (hex digits are no plaintext)."""
    if isinstance(node, dict):
        for value in node.values():
            yield from _leaves(value)
    elif isinstance(node, list):
        for value in node:
            yield from _leaves(value)
    elif node is not None and not (isinstance(node, str) and node.startswith("sha256:")):
        yield str(node)


def test_undeclared_fields_survive(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(30)
    result = run_tap(tap_config(sandbox, EU_SHOP))
    record = result.records[0]
    for key in ("confirmation_number", "current_total_price_set", "discount_applications", "total_outstanding"):
        assert key in record  # not in the schema, kept as sent
    assert isinstance(record["tax_lines"][0]["rate"], float)


def test_no_secret_or_personal_data_in_logs(shopify_sandboxes: Factory, caplog: pytest.LogCaptureFixture,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    sandbox = shopify_sandboxes(40, retry_after_seconds=0.0)
    sandbox.set_faults(rate_limit_next=1, expire_token=True)
    config = tap_config(sandbox, US_SHOP)
    with caplog.at_level(logging.DEBUG):
        run_tap(config)
    logs = caplog.text + capsys.readouterr().err
    assert "Retrying" in logs  # the retry was logged ...
    for secret in (config["access_token"], config["client_secret"], PII_SALT):
        assert secret not in logs  # ... without any secret
    renewals = [e for e in sandbox.requests if e["path"] == p.TOKEN_PATH]
    assert renewals and not re.search(r"shpat_[0-9a-f]{32}", logs)  # nor the token renewed mid-sync
    emails = {sandbox.order(i)["email"] for i in sandbox.generator.indexes_for_shop(US_SHOP)}
    assert not any(email in logs for email in emails)


def test_an_order_updated_while_paging_is_not_lost(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(200)
    sandbox.set_faults(update_during_paging=1)
    config = tap_config(sandbox, US_SHOP, window_seconds=30 * 86_400, page_size=10)
    first = run_tap(config)
    touched = next(e["touched"] for e in sandbox.requests if e.get("fault") == "update_during_paging")
    assert touched not in first.ids, "it left the window before its page was read"
    others = visible_ids(sandbox, US_SHOP) - {touched}
    assert others <= set(first.ids), "cursor paging skipped nobody else"
    second = run_tap({**config, "end_date": (sandbox.now + dt.timedelta(seconds=1)).isoformat()}, state=first.final_state)
    assert touched in second.ids


def test_pacing_follows_the_call_limit_header(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(80, qps=20.0, bucket_size=6)
    result = run_tap(tap_config(sandbox, US_SHOP, page_size=5, window_seconds=30 * 86_400, max_requests_per_second=20.0,
                                call_limit_reserve=3))
    assert set(result.ids) == visible_ids(sandbox, US_SHOP)
    statuses = [e["http_status"] for e in order_calls(sandbox)]
    assert len(statuses) > 6 and 429 not in statuses  # the tap slowed down before the bucket overflowed


def test_console_script_with_state_file(shopify_sandboxes: Factory, tmp_path: Path) -> None:
    sandbox = shopify_sandboxes(30)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(tap_config(sandbox, AU_SHOP)), encoding="utf-8")
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"bookmarks": {"orders": {"replication_key": "updated_at",
                                                          "replication_key_value": (sandbox.now - dt.timedelta(days=2)).isoformat()}}}))
    proc = subprocess.run([sys.executable, "-m", "orderlayer.taps.shopify.tap", "--config", str(config), "--state", str(state)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [json.loads(line)["record"] for line in proc.stdout.splitlines() if '"type":"RECORD"' in line.replace(" ", "")]
    since = int((sandbox.now - dt.timedelta(days=2)).timestamp())
    assert {r["id"] for r in records} == visible_ids(sandbox, AU_SHOP, since=since)
