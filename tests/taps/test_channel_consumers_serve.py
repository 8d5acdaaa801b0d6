"""Taobao TMC and Pinduoduo PMC end to end (docs/channels/taobao.md, pinduoduo.md): a real `orderlayer serve`
(uvicorn in a thread) runs the connection's consumer against the sandbox's WebSocket while the sandbox clock moves
and the channel sends duplicates, reorders and redelivers what was not acknowledged; each landing fetches the orders
the messages named through the tap's client. Raw then holds each version once, and every version equals the record a
sync of the same sandbox at that moment lands."""

from __future__ import annotations

import datetime as dt
import json
import time
import typing as t
from decimal import Decimal
from pathlib import Path

import pytest
from tests.core.test_serve import Running
from tests.support.push_serve import raw_texts, serve_project
from tests.taps.channel_kit import CASES, ChannelCase

from orderlayer.core.config import ConfigError, load_settings
from orderlayer.core.push_landing import land_pushes
from orderlayer.core.push_spool import PushSpool, spool_path
from orderlayer.core.registry import URL_KEY, source
from orderlayer.core.serve import channels_for
from orderlayer.loader.raw_store import canonical_json

PII_SALT_ENV = "ORDERLAYER_PII_SALT"


def _project(tmp_path: Path, channel: ChannelCase, config: dict, monkeypatch: pytest.MonkeyPatch) -> Path:
    """orderlayer.yml with one connection `c1` of the sandbox's shop, its channel open (serve only landing, on the
    test's call); secrets in the environment."""
    spec = source(channel.source)
    monkeypatch.setenv(PII_SALT_ENV, channel.pii_salt)
    credentials = {}
    for key in spec.secret_keys:
        if config.get(key) is not None:
            monkeypatch.setenv(f"C1_{key.upper()}", str(config[key]))
            credentials[key] = f"C1_{key.upper()}"
    reserved = {URL_KEY, "start_date", "end_date", "pii_salt", spec.shop_key, *spec.secret_keys}
    options = {k: v for k, v in config.items() if k not in reserved}
    options |= {"push": True, f"{channel.flag}_heartbeat_seconds": 1}
    connection = {"source": channel.source, "shop_id": config["shop_id"], "base_url": config[URL_KEY],
                  "start_date": config["start_date"], "credentials": credentials, "options": options}
    return serve_project(tmp_path, {"c1": connection})[0]


def _wait(condition: t.Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


@pytest.mark.parametrize("name", sorted(CASES))
def test_serve_consumes_the_channel_and_raw_holds_each_version_once_as_a_sync_lands_it(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = CASES[name]
    box = channel.new_sandbox(80, channel.shops[:1])
    try:
        box.open_message_channel(redeliver_seconds=0.5, duplicate_rate=0.5, reorder=True, seed=7)
        running = Running(_project(tmp_path, channel, channel.config(box, channel.shops[0]), monkeypatch)).start()
        settings = running.settings
        assert running.paths == [f"{name} consumer c1"]
        queue = box.channel.queue
        landed: list[dict] = []
        try:
            for _step in (1, 2):
                published = queue.stats["published"]
                box.advance(box.now + dt.timedelta(days=1))
                announced = queue.stats["published"] - published
                _wait(lambda: queue.outstanding() == 0)
                with PushSpool(spool_path(settings.database)) as spool:
                    assert spool.counts() == {"c1": announced}  # one entry per message, duplicates included
                assert [r.status for r in land_pushes(settings)] == ["ok"]
                synced = {r[channel.key]: r for r in channel.run_tap(channel.config(box, channel.shops[0]))}
                now = [json.loads(text, parse_float=Decimal) for text in raw_texts(settings.database, f"{name}__orders")]
                added = now[len(landed):]
                assert added, "the step changed orders: their versions landed"
                for record in added:  # each fetched version is the version a sync lands at this moment
                    assert canonical_json(record) == canonical_json(synced[record[channel.key]])
                landed = now
        finally:
            running.stop()
        assert len({canonical_json(r) for r in landed}) == len(landed)  # each version once
        assert queue.stats["duplicated"] > 0  # the channel did send duplicates
    finally:
        box.stop()


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_wrong_channel_setting_is_a_config_error_naming_its_key(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    channel = CASES[name]
    box = channel.new_sandbox(10, channel.shops[:1])
    try:
        config = {**channel.config(box, channel.shops[0]), f"{channel.flag}_url": "https://not-a-websocket"}
        settings = load_settings(_project(tmp_path, channel, config, monkeypatch))
        with pytest.raises(ConfigError, match=rf"^connections\.c1\.options\.{channel.flag}_url: 'https://not-a-websocket' is not a WebSocket URL"):
            channels_for(settings)
    finally:
        box.stop()
