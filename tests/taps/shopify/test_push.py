"""Shopify webhooks (taps/shopify/receiver.py, docs/channels/shopify.md "Push"): the HMAC, refusals, what each topic
becomes, fetches equal to a sync, and the sandbox pushing through a real `orderlayer serve` into raw."""

from __future__ import annotations

import datetime as dt
import json
import typing as t
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner
from tests.support.push_serve import push_through_serve, raw_records, serve_project
from tests.taps.shopify.kit import EU_SHOP, PII_SALT, US_SHOP, run_tap, shopify_sandboxes, tap_config  # noqa: F401 - a fixture

from orderlayer.cli.main import app
from orderlayer.loader.raw_store import canonical_json
from orderlayer.sandboxes.shopify import protocol as sp
from orderlayer.sandboxes.shopify.server import ShopifySandbox
from orderlayer.taps.common.push import FetchRequest, PushRecord, PushRejected, PushRequest
from orderlayer.taps.shopify import protocol as p
from orderlayer.taps.shopify.receiver import ShopifyReceiver

if t.TYPE_CHECKING:
    from orderlayer.sandboxes.kit.push import Delivery

Factory = t.Callable[..., ShopifySandbox]
DAY = 86_400


def _request(delivery: Delivery, **headers: str) -> PushRequest:
    return PushRequest({k.lower(): v for k, v in {**delivery.headers, **headers}.items()}, delivery.body)


def _receiver(sandbox: ShopifySandbox, shop: str = US_SHOP, **overrides: t.Any) -> ShopifyReceiver:  # noqa: ANN401
    receiver = ShopifyReceiver.from_config(tap_config(sandbox, shop, push=True, **overrides))
    assert receiver is not None
    return receiver


def _deliveries(sandbox: ShopifySandbox, days: int = 4) -> list[Delivery]:
    return sandbox.push_deliveries(sandbox.now_ts - days * DAY, sandbox.now_ts)


def test_the_hmac_is_base64_of_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"id":820982911946154508,"total_price":"10.00"}'
    # printf '%s' "$body" | openssl dgst -sha256 -hmac 'hush-webhook-secret' -binary | base64
    expected = "Z3f+xS91JRSh/QGwvzIj8GqA9GEHxJfqmNkR4zv5iiw="
    assert p.webhook_hmac("hush-webhook-secret", body) == expected == sp.webhook_signature("hush-webhook-secret", body)
    assert p.webhook_verified("hush-webhook-secret", body, expected)
    assert not p.webhook_verified("hush-webhook-secret", body + b" ", expected)
    assert not p.webhook_verified("another-secret", body, expected)
    assert not p.webhook_verified("hush-webhook-secret", body, "Z3f+xS91JRSh/QGwvzIj8GqA9GEHxJfqmNkR4zv5iiw=é")  # no error


def test_push_settings(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(10, shop_ids=(US_SHOP,))
    config = tap_config(sandbox)
    assert ShopifyReceiver.from_config(config) is None  # push not switched on: no receiver
    without = {k: v for k, v in config.items() if k != "client_secret"}
    with pytest.raises(ValueError, match=r"^webhook_secret: a connection with push: true needs the key Shopify signs"):
        ShopifyReceiver.from_config({**without, "push": True})
    # the store admin's signing secret takes precedence over the app's client secret
    receiver = ShopifyReceiver.from_config({**config, "push": True, "webhook_secret": "admin-signing-secret"})
    delivery = next(d for d in _deliveries(sandbox) if d.headers["X-Shopify-Topic"] == "orders/paid")
    with pytest.raises(PushRejected, match="does not match the body"):
        receiver.receive(_request(delivery))  # the sandbox signs with the client secret
    resigned = {p.HMAC_HEADER: p.webhook_hmac("admin-signing-secret", delivery.body)}
    assert receiver.receive(_request(delivery, **resigned))


def test_forged_foreign_and_malformed_deliveries_are_refused_without_quoting_the_body(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(20, shop_ids=(US_SHOP, EU_SHOP))
    receiver = _receiver(sandbox)
    deliveries = _deliveries(sandbox)
    ours = next(d for d in deliveries if d.headers["X-Shopify-Shop-Domain"] == p.shop_domain(US_SHOP) and d.headers["X-Shopify-Topic"] == "orders/create")
    theirs = next(d for d in deliveries if d.headers["X-Shopify-Shop-Domain"] == p.shop_domain(EU_SHOP))
    secret = sandbox.client_secret
    cases = {
        "no X-Shopify-Hmac-Sha256 header": _request(ours, **{p.HMAC_HEADER: ""}),
        "does not match the body": _request(ours, **{p.HMAC_HEADER: p.webhook_hmac("guess", ours.body)}),
        "is not this connection's shop": _request(ours, **{"X-Shopify-Shop-Domain": "acme-us.myshopify.com.evil.example"}),
        "to deduplicate the delivery on": _request(ours, **{"X-Shopify-Event-Id": "", "X-Shopify-Webhook-Id": ""}),
    }
    for body, reason in ((b"{not json", "body is not JSON"), (b"[1,2]", "body is not a JSON object"), (b'{"id":"abc"}', "has no numeric id")):
        cases[reason] = PushRequest({**{k.lower(): v for k, v in ours.headers.items()}, p.HMAC_HEADER.lower(): p.webhook_hmac(secret, body)}, body)
    order = json.loads(ours.body)
    for reason, request in cases.items():
        with pytest.raises(PushRejected, match=reason) as refused:
            receiver.receive(request)
        assert str(order["id"]) not in str(refused.value) and order["email"] not in str(refused.value)
    # a store's own signing secret signs that store only: another shop's delivery is refused
    admin = ShopifyReceiver.from_config(tap_config(sandbox, push=True, webhook_secret=secret))
    assert admin is not None and admin.app is None
    with pytest.raises(PushRejected, match="is not this connection's shop"):
        admin.receive(_request(theirs))
    assert json.loads(receiver.rejected("x").body) == {"ok": False} and receiver.rejected("x").status == 401


def test_a_delivery_of_another_shop_of_the_app_is_marked_with_its_shop(shopify_sandboxes: Factory) -> None:
    """An app's subscriptions push every shop to one URL: serve spools another shop's items under its connection."""
    sandbox = shopify_sandboxes(20, shop_ids=(US_SHOP, EU_SHOP))
    receiver = _receiver(sandbox)
    assert receiver.app == sandbox.client_id
    theirs = next(d for d in _deliveries(sandbox) if d.headers["X-Shopify-Shop-Domain"] == p.shop_domain(EU_SHOP)
                  and d.headers["X-Shopify-Topic"].startswith("orders/"))
    record, returns = receiver.receive(_request(theirs))
    assert isinstance(record, PushRecord) and (record.shop_id, record.record["shop_id"], returns.shop_id) == (EU_SHOP, EU_SHOP, EU_SHOP)
    ours = next(d for d in _deliveries(sandbox) if d.headers["X-Shopify-Shop-Domain"] == p.shop_domain(US_SHOP))
    assert {item.shop_id for item in receiver.receive(_request(ours))} == {None}
    assert receiver.accepted().status == 200


def test_each_topic_becomes_a_record_or_a_fetch_keyed_by_its_event_id(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(60, shop_ids=(US_SHOP,))
    receiver = _receiver(sandbox)
    by_topic: dict[str, Delivery] = {}
    for delivery in _deliveries(sandbox, days=10):
        by_topic.setdefault(delivery.headers["X-Shopify-Topic"], delivery)
    assert {"orders/create", "orders/paid", "orders/updated", "orders/cancelled", "orders/fulfilled", "refunds/create", "returns/request"} <= set(by_topic)

    for delivery in by_topic.values():  # every event moves its order's updated_at: the version a freshness bench awaits
        order_id = json.loads(delivery.body).get("order_id") or (json.loads(delivery.body).get("order") or {}).get("id") or json.loads(delivery.body)["id"]
        assert delivery.changes == ((str(order_id), delivery.changed_at),)
    paid = by_topic["orders/paid"]
    event, order_id = paid.headers["X-Shopify-Event-Id"], str(json.loads(paid.body)["id"])
    record, returns = receiver.receive(_request(paid))
    assert isinstance(record, PushRecord) and (record.stream, record.message_id) == ("orders", event)
    assert (record.record["shop_id"], record.record["email"], str(record.record["id"])) == (US_SHOP, None, order_id)  # scrubbed
    assert returns == FetchRequest("returns", f"{event}:returns", order_id)

    # the body of another API version than the tap's may differ in what staging reads: the order is fetched
    older = receiver.receive(_request(paid, **{"X-Shopify-API-Version": "2025-10"}))
    assert older == [FetchRequest("orders", event, order_id), returns]

    refund = by_topic["refunds/create"]
    refund_order = str(json.loads(refund.body)["order_id"])
    event = refund.headers["X-Shopify-Event-Id"]
    assert receiver.receive(_request(refund)) == [FetchRequest("orders", event, refund_order), FetchRequest("returns", f"{event}:returns", refund_order)]
    ret = by_topic["returns/request"]
    ret_order = str(json.loads(ret.body)["order"]["id"])
    event = ret.headers["X-Shopify-Event-Id"]
    assert receiver.receive(_request(ret)) == [FetchRequest("orders", event, ret_order), FetchRequest("returns", f"{event}:returns", ret_order)]

    # a topic orderlayer lands nothing from is acknowledged and stores nothing (a refusal would be retried for hours)
    body = b'{"id":1}'
    other = PushRequest({**{k.lower(): v for k, v in paid.headers.items()}, "x-shopify-topic": "products/update", p.HMAC_HEADER.lower(): p.webhook_hmac(sandbox.client_secret, body)}, body)
    assert receiver.receive(other) == []


def test_a_pushed_order_is_byte_for_byte_the_record_a_sync_lands(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(60, shop_ids=(US_SHOP,))
    receiver = _receiver(sandbox)
    synced = {r["id"]: canonical_json(r) for r in run_tap(tap_config(sandbox)).records}
    now: dict[int, str] = {}  # the pushed bodies of the version a sync lands now (later events were refunds, returns)
    for delivery in _deliveries(sandbox, days=10):
        if delivery.headers["X-Shopify-Topic"].startswith("orders/"):
            item = receiver.receive(_request(delivery))[0]
            assert isinstance(item, PushRecord)
            if json.loads(synced[item.record["id"]])["updated_at"] == item.record["updated_at"]:
                now[item.record["id"]] = canonical_json(item.record)
    assert len(now) >= 40
    assert now == {k: synced[k] for k in now}


def test_fetch_equals_the_sync_and_leaves_unknown_ids_out(shopify_sandboxes: Factory) -> None:
    sandbox = shopify_sandboxes(400, shop_ids=(US_SHOP, EU_SHOP))
    receiver = _receiver(sandbox)
    synced = run_tap(tap_config(sandbox))
    orders = {str(r["id"]): canonical_json(r) for r in synced.records}
    assert len(orders) > 250  # more ids than one orders.json call takes
    other_shop = str(next(r["id"] for r in run_tap(tap_config(sandbox, EU_SHOP)).records))
    ids = [*orders, "1", other_shop]
    fetched = receiver.fetch("orders", ids)
    assert {str(r["id"]): canonical_json(r) for r in fetched} == orders
    calls = [e for e in sandbox.requests if e["path"].endswith("/orders.json") and "ids" in e.get("params", {})]
    assert [len(e["params"]["ids"].split(",")) for e in calls] == [250, len(ids) - 250]

    returns = sorted(canonical_json(r) for r in synced.returns)
    assert len(returns) >= 5
    assert sorted(canonical_json(r) for r in receiver.fetch("returns", list(orders))) == returns
    assert receiver.fetch("returns", ["1"]) == []


# --- the sandbox pushing to a real serve --------------------------------------------------------------------


def _project(tmp_path: Path, sandbox: ShopifySandbox, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str]]:
    env = {"SHOP_TOKEN": sandbox.access_token(US_SHOP), "SHOP_CLIENT_ID": sandbox.client_id, "SHOP_SECRET": sandbox.client_secret,
           "ORDERLAYER_PII_SALT": PII_SALT}
    connection = {
        "source": "shopify", "shop_id": US_SHOP, "base_url": sandbox.shop_base_url(US_SHOP), "timezone": "America/New_York",
        "credentials": {"access_token": "SHOP_TOKEN", "client_id": "SHOP_CLIENT_ID", "client_secret": "SHOP_SECRET"},
        "options": {"push": True, "max_requests_per_second": 10_000, "burst_requests": 10_000, "retry_base_seconds": 0.001},
    }
    return serve_project(tmp_path, {"acme": connection}, env=env, monkeypatch=monkeypatch)


def test_the_sandbox_pushes_through_serve_and_raw_equals_a_sync(
    shopify_sandboxes: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = shopify_sandboxes(80, shop_ids=(US_SHOP, EU_SHOP))
    start = sandbox.now_ts
    project, urls = _project(tmp_path, sandbox, monkeypatch)
    steps = [start + k * 6 * 3600 for k in range(1, 13)]
    pushed = push_through_serve(project, urls["acme"], sandbox, steps, seed=3, shops=[US_SHOP], land_each_step=False)
    assert pushed.counts["duplicate"] >= pushed.stats["duplicates"]  # redeliveries acknowledged, stored once
    db = pushed.settings.database
    orders, returns = raw_records(db, "shopify__orders"), raw_records(db, "shopify__returns")
    versions = Counter((r["id"], r["updated_at"]) for r in orders)
    assert max(versions.values()) == 1  # each version of an order once, however often it was pushed

    # what a sync of the same span lands now (orders updated since the first push) is in raw, byte for byte
    synced = run_tap(tap_config(sandbox, start_date=dt.datetime.fromtimestamp(start + 1, dt.timezone.utc).isoformat()))
    assert len(synced.records) >= 20
    assert {canonical_json(r) for r in synced.records} <= {canonical_json(r) for r in orders}
    assert {canonical_json(r) for r in synced.returns} <= {canonical_json(r) for r in returns} and synced.returns
    # and raw holds nothing of orders the sync does not name (no other shop's, none that did not change)
    assert {r["id"] for r in orders} == {r["id"] for r in synced.records}
    assert {r["shop_id"] for r in orders} == {US_SHOP}


def test_serve_names_the_missing_webhook_secret_and_exits_2(shopify_sandboxes: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = shopify_sandboxes(5, shop_ids=(US_SHOP,))
    connection = {"source": "shopify", "shop_id": US_SHOP, "base_url": sandbox.shop_base_url(US_SHOP), "timezone": "America/New_York",
                  "credentials": {"access_token": "SHOP_TOKEN"}, "options": {"push": True}}
    project, _ = serve_project(tmp_path, {"acme": connection}, env={"SHOP_TOKEN": "t", "ORDERLAYER_PII_SALT": PII_SALT}, monkeypatch=monkeypatch)
    result = CliRunner().invoke(app, ["serve", "--config", str(project)])
    assert result.exit_code == 2, result.output
    assert "connections.acme.credentials.webhook_secret: a connection with push: true needs the key" in " ".join(result.output.split())
    assert "Traceback" not in result.output
