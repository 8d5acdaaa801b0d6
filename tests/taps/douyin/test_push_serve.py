"""Douyin's pushes end to end (issue 15): the sandbox pushes signed event batches through a platform-like pusher
(redelivery until acknowledged, duplicates, reordering, forged copies) to a real `orderlayer serve`; after landing,
raw holds every changed order once per version, each equal to what a sync of the same orders lands."""

from __future__ import annotations

import json
import socket
import threading
import time
import typing as t
from pathlib import Path

import pytest
import requests
import yaml

from orderlayer.core.config import load_settings
from orderlayer.core.push_landing import land_pushes
from orderlayer.core.push_spool import PushSpool, spool_path
from orderlayer.core.serve import make_server
from orderlayer.core.sync import sync_connection
from orderlayer.core.warehouse import connect
from orderlayer.sandboxes.douyin import protocol as sp
from orderlayer.sandboxes.kit.push import WebhookPusher
from tests.taps.douyin.kit import OTHER_SHOP, PII_SALT, SHOP

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from orderlayer.core.config import Settings
    from orderlayer.sandboxes.douyin.server import DouyinSandbox

    Factory = t.Callable[..., DouyinSandbox]

STEPS, STEP_SECONDS = 4, 12 * 3_600


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _project(tmp_path: Path, sandbox: DouyinSandbox, name: str, port: int, monkeypatch: pytest.MonkeyPatch, shops: dict[str, str] | None = None) -> Path:
    """``shops``: connection -> shop of the app (default: dy -> SHOP)."""
    monkeypatch.setenv("ORDERLAYER_PII_SALT", PII_SALT)
    connections = {}
    for connection, shop in (shops or {"dy": SHOP}).items():
        secrets = sandbox.connection(shop)
        for key in ("app_key", "app_secret", "access_token", "refresh_token"):
            monkeypatch.setenv(f"{connection.upper()}_{key.upper()}", secrets[key])
        connections[connection] = {
            "source": "douyin", "shop_id": shop, "base_url": sandbox.base_url,
            "start_date": sandbox.tap_config(shop)["start_date"],
            "credentials": {key: f"{connection.upper()}_{key.upper()}" for key in ("app_key", "app_secret", "access_token", "refresh_token")},
            "options": {"push": True, "max_requests_per_second": 10_000, "retry_base_seconds": 0.001, "window_seconds": 4 * 86_400},
        }
    config = {
        "database": str(tmp_path / name / "w.duckdb"),
        "connections": connections,
        "serve": {"host": "127.0.0.1", "port": port, "land_every_seconds": 3600, "reconcile_at_start": False, "micro_batches": False},
    }
    path = tmp_path / name / "orderlayer.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture
def served(tmp_path: Path, make_sandbox: Factory, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Settings, DouyinSandbox, str]]:
    sandbox = make_sandbox(400, push_batch=7)
    port = _free_port()
    settings = load_settings(_project(tmp_path, sandbox, "served", port, monkeypatch))
    server, _ = make_server(settings)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    yield settings, sandbox, f"http://127.0.0.1:{port}/push/douyin/dy"
    server.should_exit = True
    thread.join(timeout=15)


def _raw(db: Path, stream: str) -> list[tuple[str, dict]]:
    con = connect(db, read_only=True)
    try:
        rows = con.execute(f"select _primary_key, _record::varchar from raw.douyin__{stream} where _connection = 'dy'").fetchall()  # noqa: S608 - a stream name
    finally:
        con.close()
    return [(key, json.loads(text)) for key, text in rows]


def test_pushed_changes_land_once_per_version_and_equal_a_sync(served: tuple[Settings, DouyinSandbox, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings, sandbox, url = served
    start = sandbox.now_ts
    pusher = WebhookPusher(url, sp.push_acknowledged, seed=5, workers=2, backoff_seconds=0.05, duplicate_rate=0.4, reorder=True, forge_rate=0.3)
    sandbox.subscribe(pusher)
    try:
        for step in range(1, STEPS + 1):
            sandbox.advance(start + step * STEP_SECONDS)
        assert pusher.drain(60)
    finally:
        sandbox.subscribe(None)
        pusher.close()
    stats = pusher.stats()
    assert stats["forged_sent"] > 0 and stats["forged_accepted"] == 0  # every forged copy refused
    assert stats["duplicates"] > 0 and stats["given_up"] == 0

    gen = sandbox.generator
    changed = {gen.order_id_of(i) for i in gen.indexes_for_shop(SHOP) if start < gen.update_time_at(i, sandbox.now_ts)}
    assert len(changed) >= 20
    landed = land_pushes(settings)
    assert landed and all(r.status == "ok" for r in landed)
    assert land_pushes(settings) == []  # the spool is empty once landed

    orders = _raw(settings.database, "orders")
    keys = [key for key, _ in orders]
    assert len(keys) == len(set(keys))  # one version per order (each fetched once, however many events named it)
    assert {record["order_id"] for _, record in orders} == changed  # every changed order of this shop, no other

    # a sync of the same sandbox, into a warehouse of its own, lands the same records
    synced = load_settings(_project(tmp_path, sandbox, "synced", _free_port(), monkeypatch))
    result = sync_connection("dy", synced, synced.database)
    assert result.status == "ok", result.error
    for stream in ("orders", "after_sales"):
        by_key = dict(_raw(synced.database, stream))
        pushed = _raw(settings.database, stream)
        assert len({key for key, _ in pushed}) == len(pushed), stream  # once per version
        assert pushed and all(record == by_key[key] for key, record in pushed), stream


def test_serve_answers_the_platform_and_keeps_nothing_refused(served: tuple[Settings, DouyinSandbox, str]) -> None:
    settings, sandbox, url = served
    [delivery, *_] = sandbox.push_deliveries(sandbox.now_ts, sandbox.now_ts + 86_400)
    headers = dict(delivery.headers)
    forged = {**headers, "event-sign": "0" * 32}
    malformed = b'[{"tag":"101"}]'
    signed_malformed = {**headers, "event-sign": sp.push_signature(headers["app-id"], sandbox.app_secret, malformed)}
    for body, sent in ((delivery.body, forged), (malformed, signed_malformed), (b"not json", headers)):
        answer = requests.post(url, data=body, headers=sent, timeout=10)
        assert (answer.status_code, answer.json()) == (200, {"code": 1, "msg": "fail"})
    with PushSpool(spool_path(settings.database)) as spool:
        assert sum(spool.counts().values()) == 0
    for _ in range(2):  # the real push, and its redelivery: acknowledged both times, kept once
        answer = requests.post(url, data=delivery.body, headers=headers, timeout=10)
        assert (answer.status_code, answer.json()) == (200, {"code": 0, "msg": "success"})
    with PushSpool(spool_path(settings.database)) as spool:
        kept = sum(spool.counts().values())
    data = [json.loads(e["data"]) for e in json.loads(delivery.body)]
    mine = [d for d in data if str(d["shop_id"]) == SHOP]
    assert 0 < len(mine) < len(data)  # the batch mixes the app's two shops
    assert kept == len(mine) + sum("aftersale_id" in d for d in mine)  # one fetch request per event of this shop, two for a refund


def test_one_url_takes_every_shop_of_the_app_and_each_shop_lands_in_its_connection(tmp_path: Path, make_sandbox: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Douyin pushes every shop of an app to the one URL registered: serve spools an event under the connection of
    the shop it names (verified with that app's secret), and drops one of a shop no connection has."""
    sandbox = make_sandbox(300, push_batch=50)
    port = _free_port()
    settings = load_settings(_project(tmp_path, sandbox, "two", port, monkeypatch, {"dy": SHOP, "dy2": OTHER_SHOP}))
    server, _ = make_server(settings)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.02)
        [delivery, *_] = sandbox.push_deliveries(sandbox.now_ts, sandbox.now_ts + 86_400)
        answer = requests.post(f"http://127.0.0.1:{port}/push/douyin/dy", data=delivery.body, headers=delivery.headers, timeout=10)
        assert answer.json() == {"code": 0, "msg": "success"}
    finally:
        server.should_exit = True
        thread.join(timeout=15)
    data = [json.loads(e["data"]) for e in json.loads(delivery.body)]
    expected = {shop: sum(1 + ("aftersale_id" in d) for d in data if str(d["shop_id"]) == shop) for shop in (SHOP, OTHER_SHOP)}
    assert expected[SHOP] and expected[OTHER_SHOP]  # the batch mixes both shops
    with PushSpool(spool_path(settings.database)) as spool:
        assert spool.counts() == {"dy": expected[SHOP], "dy2": expected[OTHER_SHOP]}
        fetched = {(i.connection, json.loads(i.record)["id"]) for i in spool.pending(["dy", "dy2"]) if i.stream == "orders"}
    assert fetched == {("dy" if str(d["shop_id"]) == SHOP else "dy2", str(d["p_id"])) for d in data}
