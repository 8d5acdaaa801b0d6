"""TikTok Shop webhooks (taps/tiktok_shop/receiver.py, docs/channels/tiktok_shop.md "Push"): the signature, refusals,
fetch requests per event type, Get Order Detail and the after-sale searches by order equal to a sync, and the sandbox
pushing through a real `orderlayer serve` into raw."""

from __future__ import annotations

import datetime as dt
import json
import typing as t
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner
from tests.support.push_serve import push_through_serve, raw_records, serve_project
from tests.taps.tiktok_shop.kit import GB_SHOP, PII_SALT, US_SHOP, run_tap, tap_config, tts_sandbox  # noqa: F401 - a fixture

from orderlayer.cli.main import app
from orderlayer.loader.raw_store import canonical_json
from orderlayer.sandboxes.tiktok_shop import protocol as sp
from orderlayer.sandboxes.tiktok_shop.server import TikTokShopSandbox
from orderlayer.taps.common.push import FetchRequest, PushRejected, PushRequest
from orderlayer.taps.tiktok_shop import protocol as p
from orderlayer.taps.tiktok_shop.receiver import TikTokShopReceiver

if t.TYPE_CHECKING:
    from orderlayer.sandboxes.kit.push import Delivery

Factory = t.Callable[..., TikTokShopSandbox]
DAY = 86_400
# the app key and secret of TikTok's signing example (sheet §3), an event shaped as the sheet's sources show
KEY, SECRET = "29a39d", "e59af819cc"
EVENT = (
    b'{"type":1,"tts_notification_id":"7327112393057371910","shop_id":"7494105515082810525","timestamp":1700000000,'
    b'"data":{"order_id":"576461413038785752","order_status":"AWAITING_SHIPMENT","update_time":1700000000}}'
)
# printf '%s' "29a39d$EVENT" | openssl dgst -sha256 -hmac e59af819cc
EVENT_SIGNATURE = "8ad3066f67176b4c6fc60c1b1b16e25926e396ea9712304906aaf62c24603c6a"


def _config(**overrides: t.Any) -> dict:  # noqa: ANN401
    return {"app_key": KEY, "app_secret": SECRET, "shop_id": US_SHOP, "push": True, **overrides}


def _signed(event: dict | bytes, key: str = KEY, secret: str = SECRET) -> PushRequest:
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    return PushRequest({"authorization": p.webhook_signature(key, secret, body), "content-type": "application/json"}, body)


def _request(delivery: Delivery) -> PushRequest:
    return PushRequest({k.lower(): v for k, v in delivery.headers.items()}, delivery.body)


def test_the_signature_is_hex_hmac_sha256_of_app_key_and_body() -> None:
    assert p.webhook_signature(KEY, SECRET, EVENT) == EVENT_SIGNATURE == sp.webhook_signature(KEY, SECRET, EVENT)
    assert p.webhook_verified(KEY, SECRET, EVENT, EVENT_SIGNATURE.upper())
    assert not p.webhook_verified(KEY, SECRET, EVENT + b" ", EVENT_SIGNATURE)
    assert not p.webhook_verified("other-key", SECRET, EVENT, EVENT_SIGNATURE)
    assert not p.webhook_verified(KEY, SECRET, EVENT, "é" + EVENT_SIGNATURE[1:])  # no error
    receiver = TikTokShopReceiver(_config(), clock=lambda: 1_700_000_100)
    assert receiver.receive(PushRequest({"authorization": EVENT_SIGNATURE}, EVENT)) == [
        FetchRequest("orders", "7327112393057371910", "576461413038785752")
    ]


def test_push_settings() -> None:
    assert TikTokShopReceiver.from_config(_config(push=False)) is None
    with pytest.raises(ValueError, match=r"^push: must be true or false, got 'false'"):
        TikTokShopReceiver.from_config(_config(push="false"))
    with pytest.raises(ValueError, match=r"^app_secret: a connection with push: true verifies webhooks"):
        TikTokShopReceiver.from_config(_config(app_secret=""))
    with pytest.raises(ValueError, match=r"^push_max_age_seconds: must be a whole number"):
        TikTokShopReceiver.from_config(_config(push_max_age_seconds=-1))


def test_refusals_name_the_problem_without_quoting_the_body() -> None:
    now = 1_700_000_000
    receiver = TikTokShopReceiver(_config(push_max_age_seconds=600), clock=lambda: now)
    good = json.loads(EVENT)
    cases = {
        "no Authorization header": PushRequest({}, EVENT),
        "does not sign the body": _signed(EVENT, secret="guess"),
        "no shop_id": _signed({**good, "shop_id": None}),
        "no tts_notification_id": _signed({**good, "tts_notification_id": ""}),
        "older than push_max_age_seconds \\(600 s\\)": _signed({**good, "timestamp": now - 601}),
        "ahead of this machine's clock": _signed({**good, "timestamp": now + 301}),
        "no integer timestamp": _signed({**good, "timestamp": "1700000000"}),
        "data.order_id is not an order id": _signed({**good, "data": {"order_id": "57646 OR 1"}}),
        "body is not JSON": _signed(b"{not json"),
        "body is not a JSON object": _signed(b"[]"),
    }
    for reason, request in cases.items():
        with pytest.raises(PushRejected, match=reason) as refused:
            receiver.receive(request)
        assert "576461413038785752" not in str(refused.value)
    assert receiver.receive(_signed({**good, "timestamp": now - 600})) != []  # at the window's edge: accepted
    assert TikTokShopReceiver(_config(push_max_age_seconds=0), clock=lambda: now).receive(_signed({**good, "timestamp": 1}))  # 0: any age
    assert receiver.receive(_signed({**good, "type": 6, "data": {"message": "authorization expires"}})) == []  # not about an order
    assert len(receiver.receive(_signed({**good, "type": [12]}))) == 1  # an odd type still refetches the order, nothing more
    assert receiver.rejected("x").status == 401 and receiver.accepted().status == 200
    # one URL takes every shop of the app: another shop's event is marked with its shop, for serve to route
    assert receiver.app == KEY
    assert receiver.receive(_signed({**good, "shop_id": GB_SHOP})) == [FetchRequest("orders", good["tts_notification_id"], "576461413038785752", GB_SHOP)]


def test_each_event_type_fetches_the_order_and_its_after_sale_record(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(150, shop_ids=(US_SHOP, GB_SHOP))
    receiver = TikTokShopReceiver.from_config(tap_config(sandbox, push=True))
    assert receiver is not None
    deliveries = [d for d in sandbox.push_deliveries(sandbox.now_ts - 6 * DAY, sandbox.now_ts) if json.loads(d.body)["shop_id"] == US_SHOP]
    kinds = Counter(json.loads(d.body)["type"] for d in deliveries)
    by_id = {tl.order_id: tl.index for tl in sandbox.generator.timelines}
    assert {sp.ORDER_STATUS_CHANGE, sp.PACKAGE_UPDATE, sp.RETURN_STATUS_CHANGE, sp.CANCELLATION_STATUS_CHANGE} <= set(kinds)
    for delivery in deliveries:
        event = json.loads(delivery.body)
        nid, order_id = event["tts_notification_id"], event["data"]["order_id"]
        expected = [FetchRequest("orders", nid, order_id)]
        # the order version a delivery reports, for the freshness bench: after-sale steps move no order version
        moved = delivery.changed_at in sandbox.generator.timelines[by_id[order_id]].events.values()
        assert moved or event["type"] in (sp.RETURN_STATUS_CHANGE, sp.CANCELLATION_STATUS_CHANGE)
        assert delivery.changes == (((order_id, delivery.changed_at),) if moved else ())
        if event["type"] == sp.RETURN_STATUS_CHANGE:
            expected.append(FetchRequest("returns", f"{nid}:returns", order_id))
        if event["type"] == sp.CANCELLATION_STATUS_CHANGE:
            expected.append(FetchRequest("cancellations", f"{nid}:cancellations", order_id))
        assert receiver.receive(_request(delivery)) == expected
    assert len({json.loads(d.body)["tts_notification_id"] for d in deliveries}) == len(deliveries)


def test_fetch_equals_the_sync_and_leaves_unknown_ids_out(tts_sandbox: Factory) -> None:
    sandbox = tts_sandbox(200, shop_ids=(US_SHOP, GB_SHOP))
    receiver = TikTokShopReceiver.from_config(tap_config(sandbox, push=True))
    assert receiver is not None
    synced = run_tap(tap_config(sandbox))
    orders = {r["id"]: canonical_json(r) for r in synced.records}
    assert len(orders) > p.MAX_DETAIL_IDS
    other_shop = run_tap(tap_config(sandbox, GB_SHOP)).records[0]["id"]
    fetched = receiver.fetch("orders", [*orders, "1", other_shop])
    assert {r["id"]: canonical_json(r) for r in fetched} == orders
    details = [e for e in sandbox.requests if e["path"] == p.ORDER_DETAIL_PATH]
    assert [e["ids"] for e in details] == [50] * (len(orders) // 50) + [len(orders) % 50 + 2]
    assert all(e["method"] == "GET" and e["http_status"] == 200 for e in details)
    for stream in ("returns", "cancellations"):
        expected = sorted(canonical_json(r) for r in synced.stream_records(stream))
        assert expected and sorted(canonical_json(r) for r in receiver.fetch(stream, list(orders))) == expected
    assert receiver.fetch("returns", ["1"]) == []


# --- the sandbox pushing to a real serve --------------------------------------------------------------------


#: the connections of two shops of one app, both pushed to the URL of the first (one URL per app)
CONNECTIONS = {"tts": US_SHOP, "tts_gb": GB_SHOP}


def _project(tmp_path: Path, sandbox: TikTokShopSandbox, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str]]:
    env = {"TTS_KEY": sandbox.app_key, "TTS_SECRET": sandbox.app_secret, "ORDERLAYER_PII_SALT": PII_SALT}
    connections = {}
    for name, shop in CONNECTIONS.items():
        env |= {f"{name}_TOKEN".upper(): sandbox.access_token(shop), f"{name}_REFRESH".upper(): sandbox.refresh_token(shop)}
        connections[name] = {
            "source": "tiktok_shop", "shop_id": shop, "base_url": sandbox.base_url, "timezone": "UTC",
            "credentials": {"app_key": "TTS_KEY", "app_secret": "TTS_SECRET", "access_token": f"{name}_TOKEN".upper(),
                            "refresh_token": f"{name}_REFRESH".upper()},
            "options": {"push": True, "auth_base_url": sandbox.base_url, "shop_cipher": sandbox.shop_cipher(shop),
                        "max_requests_per_second": 10_000, "retry_base_seconds": 0.001},
        }
    return serve_project(tmp_path, connections, env=env, monkeypatch=monkeypatch)


def test_the_sandbox_pushes_every_shop_of_the_app_to_one_url_and_raw_equals_a_sync(
    tts_sandbox: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = tts_sandbox(200)  # three shops; the third has no connection: its events are dropped, its poll lands it
    start = sandbox.now_ts
    project, urls = _project(tmp_path, sandbox, monkeypatch)
    steps = [start + k * 6 * 3600 for k in range(1, 13)]
    pushed = push_through_serve(project, urls["tts"], sandbox, steps, seed=5, land_each_step=False)
    db = pushed.settings.database
    gen, now = sandbox.generator, sandbox.now_ts
    # a payment that moves no status pushes nothing (the poll lands it); an after-sale event names its order
    quiet = {tl.order_id for tl in gen.timelines if {name for name, ts in tl.events.items() if start < ts <= now} <= {"pay"}}
    for connection, shop in CONNECTIONS.items():
        orders = raw_records(db, "tiktok_shop__orders", connection)
        assert {r["shop_id"] for r in orders} == {shop} and len(orders) >= 15
        assert max(Counter((r["id"], r["update_time"]) for r in orders).values()) == 1  # each version once

        synced = run_tap(tap_config(sandbox, shop, start_date=dt.datetime.fromtimestamp(start + 1, dt.timezone.utc).isoformat()))
        assert {canonical_json(r) for r in synced.records if r["id"] not in quiet} <= {canonical_json(r) for r in orders}
        for stream in ("returns", "cancellations"):
            landed = {canonical_json(r) for r in raw_records(db, f"tiktok_shop__{stream}", connection)}
            assert {canonical_json(r) for r in synced.stream_records(stream)} <= landed
        k = sandbox.shop_ids.index(shop)
        named = {gen.timelines[rec.order_index].order_id for book in (sandbox.returns, sandbox.cancellations) for rec in book.records
                 if gen.timelines[rec.order_index].shop_index == k and any(start < ts <= now for ts in rec.events.values())}
        assert {r["id"] for r in orders} == ({r["id"] for r in synced.records} - quiet) | named
    assert {r["shop_id"] for r in raw_records(db, "tiktok_shop__orders")} == set(CONNECTIONS.values())  # the third: none


def test_serve_names_a_wrong_push_setting_and_exits_2(tts_sandbox: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = tts_sandbox(5, shop_ids=(US_SHOP,))
    connection = {"source": "tiktok_shop", "shop_id": US_SHOP, "base_url": sandbox.base_url, "timezone": "America/Los_Angeles",
                  "credentials": {"app_key": "K", "app_secret": "S", "access_token": "T"},
                  "options": {"push": True, "push_max_age_seconds": -5}}
    project, _ = serve_project(tmp_path, {"tts": connection}, env={"K": "k", "S": "s", "T": "t", "ORDERLAYER_PII_SALT": PII_SALT}, monkeypatch=monkeypatch)
    result = CliRunner().invoke(app, ["serve", "--config", str(project)])
    assert result.exit_code == 2, result.output
    assert "connections.tts.options.push_max_age_seconds: must be a whole number" in " ".join(result.output.split())
    assert "Traceback" not in result.output
