"""`orderlayer serve` (docs/serve.md): Kuaidi100's signed pushes received by a real uvicorn, stored in the spool before
they are acknowledged, landed in raw in the tap's shape exactly once, refused without storing or logging personal
data; a killed serve loses nothing it acknowledged; `sync` works beside a running serve; config errors name the key."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests
import yaml
from typer.testing import CliRunner

from orderlayer.cli.main import app
from orderlayer.core.config import load_settings
from orderlayer.core.push_landing import land_pushes
from orderlayer.core.push_spool import PushSpool, spool_path
from orderlayer.core.serve import make_server
from orderlayer.core.warehouse import connect
from orderlayer.sandboxes.kit.parcels import journey
from orderlayer.sandboxes.kuaidi100.server import DEMO_CUSTOMER, DEMO_KEY, Kuaidi100Sandbox
from orderlayer.taps.kuaidi100 import protocol as p
from orderlayer.taps.kuaidi100.tap import TapKuaidi100
from tests.support.serving import wait_until_serving
from tests.support.singer_run import run_tap

UTC = dt.timezone.utc
SHIPPED = dt.datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
AS_OF = dt.datetime(2026, 11, 20, tzinfo=UTC)
NUMBERS = [f"YT{7700000000000 + i}" for i in range(12)]
SALT = "pushSalt0123"
ENV = {"KD_KEY": DEMO_KEY, "KD_SALT": SALT, "ORDERLAYER_PII_SALT": "test-pii-salt"}
PHONE = re.compile(r"1[3-9]\d{9}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _with_courier(numbers: list[str]) -> list[str]:
    """Numbers whose visible history has an out-for-delivery event (its text names the courier's phone)."""
    return [n for n in numbers if any(s.kind == "out_for_delivery" for s in journey(7, n, SHIPPED).visible(AS_OF))]


@pytest.fixture
def sandbox() -> Iterator[Kuaidi100Sandbox]:
    box = Kuaidi100Sandbox(7, AS_OF, {n: SHIPPED for n in NUMBERS})
    box.start()
    yield box
    box.stop()


@pytest.fixture
def project(tmp_path: Path, sandbox: Kuaidi100Sandbox, monkeypatch: pytest.MonkeyPatch) -> Path:
    """orderlayer.yml with one kuaidi100 connection `kd` pushing to serve on a free port; returns its path."""
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    port = _free_port()
    config = {
        "database": str(tmp_path / "wh" / "w.duckdb"),
        "connections": {
            "kd": {
                "source": "kuaidi100", "shop_id": DEMO_CUSTOMER, "base_url": sandbox.base_url,
                "credentials": {"key": "KD_KEY", "salt": "KD_SALT"},
                "options": {
                    "callback_url": f"http://127.0.0.1:{port}/push/kuaidi100/kd",
                    "waybills": [{"number": n} for n in NUMBERS],
                    "max_requests_per_second": 500, "retry_base_seconds": 0,
                },
            }
        },
        "serve": {"host": "127.0.0.1", "port": port, "land_every_seconds": 3600, "reconcile_at_start": False, "micro_batches": False},
    }
    path = tmp_path / "orderlayer.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    for number in NUMBERS:  # subscribe as the tap does (unsigned form, the key inside param)
        param = p.subscribe_param(number, "yuantong", key=DEMO_KEY, callback_url=config["connections"]["kd"]["options"]["callback_url"], salt=SALT, phone_tail=None)
        answer = requests.post(sandbox.base_url + p.SUBSCRIBE_PATH, data={"schema": "json", "param": param}, timeout=5).json()
        assert answer["returnCode"] == "200"
    return path


class Running:
    def __init__(self, project: Path) -> None:
        self.settings = load_settings(project)
        self.server, self.paths = make_server(self.settings)
        self.url = f"http://127.0.0.1:{self.settings.serve.port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> Running:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "uvicorn did not start"
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def push(self, form: dict[str, str], connection: str = "kd") -> dict:
        response = requests.post(f"{self.url}/push/kuaidi100/{connection}", data=form, timeout=10)
        assert response.status_code == 200
        return response.json()

    def health(self) -> dict:
        return requests.get(f"{self.url}/health", timeout=5).json()


@pytest.fixture
def served(project: Path) -> Iterator[Running]:
    """serve's uvicorn in a thread of this process (the subprocess tests below run the CLI itself)."""
    running = Running(project).start()
    yield running
    running.stop()


def _raw(db: Path) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.execute(
            "select _connection, _primary_key, _record::varchar, _sync_id from raw.kuaidi100__tracking order by _landed_seq"
        ).fetchall()
    finally:
        con.close()


def _spooled(db: Path) -> int:
    with PushSpool(spool_path(db)) as spool:
        return sum(spool.counts().values())


def test_a_signed_push_is_spooled_then_lands_in_raw_in_the_taps_shape(served: Running, sandbox: Kuaidi100Sandbox) -> None:
    number = _with_courier(NUMBERS)[0]
    form = sandbox.push_form(number)
    assert served.push(form) == {"result": True, "returnCode": "200", "message": "成功"}
    db = served.settings.database
    assert _spooled(db) == 1  # stored (committed) before the answer
    assert not db.exists() or not _raw_exists(db)  # nothing in raw yet: landing is a writer's job

    [landed] = land_pushes(served.settings)
    assert (landed.connection, landed.status, landed.records, landed.rows_added) == ("kd", "ok", 1, 1)
    assert _spooled(db) == 0
    [(connection, primary_key, text, sync_id)] = _raw(db)
    assert (connection, primary_key, sync_id) == ("kd", f'["yuantong","{number}"]', landed.sync_id)
    pushed = json.loads(text)

    # the tap's record of the same parcel at the same sandbox clock: same fields, same (masked) events
    [queried] = [r for r in run_tap(TapKuaidi100, {**sandbox.connection(), "waybills": [{"number": number}]}).records if r["nu"] == number]
    assert set(pushed) == set(queried)
    assert (pushed["watch_status"], queried["watch_status"]) == ("polling", None)
    assert len(queried["data"]) >= 2 and pushed["data"] == queried["data"]  # pushed newest first, landed oldest first like the query
    assert "****" in text and not PHONE.search(text)  # the courier's phone masked, as the tap masks it

    con = connect(db, read_only=True)
    try:
        status, added = con.execute("select status, rows_added from ops.sync_runs where sync_id = ?", [landed.sync_id]).fetchone()
    finally:
        con.close()
    assert (status, added) == ("ok", 1)


def _raw_exists(db: Path) -> bool:
    con = connect(db, read_only=True)
    try:
        return bool(con.execute("select count(*) from information_schema.tables where table_name = 'kuaidi100__tracking'").fetchone()[0])
    finally:
        con.close()


def test_a_resent_push_is_one_raw_row(served: Running, sandbox: Kuaidi100Sandbox) -> None:
    form = sandbox.push_form(NUMBERS[0])
    assert served.push(form)["result"] is True
    assert served.push(form)["result"] is True  # a redelivery is acknowledged again
    assert _spooled(served.settings.database) == 1  # and kept once
    assert [r.rows_added for r in land_pushes(served.settings)] == [1]
    assert served.push(form)["result"] is True  # redelivered after it landed: spooled again, lands as nothing new
    assert [(r.records, r.rows_added) for r in land_pushes(served.settings)] == [(1, 0)]
    assert len(_raw(served.settings.database)) == 1
    assert served.health()["pushes"]["kd"]["accepted"] == 2 and served.health()["pushes"]["kd"]["duplicate"] == 1


def test_a_crash_between_the_raw_commit_and_the_spool_delete_does_not_duplicate(
    served: Running, sandbox: Kuaidi100Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert served.push(sandbox.push_form(NUMBERS[1]))["result"] is True
    assert served.push(sandbox.push_form(NUMBERS[2]))["result"] is True

    def crash(self: PushSpool, seqs: object) -> None:
        raise KeyboardInterrupt  # the process dies after raw committed, before the spool forgot the pushes

    with monkeypatch.context() as m:
        m.setattr(PushSpool, "remove", crash)
        with pytest.raises(KeyboardInterrupt):
            land_pushes(served.settings)
    db = served.settings.database
    assert (len(_raw(db)), _spooled(db)) == (2, 2)
    assert [(r.records, r.rows_added) for r in land_pushes(served.settings)] == [(2, 0)]
    assert (len(_raw(db)), _spooled(db)) == (2, 0)


def test_a_forged_or_malformed_push_gets_the_failure_answer_and_leaves_no_trace(
    served: Running, sandbox: Kuaidi100Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="orderlayer.serve")
    number = _with_courier(NUMBERS)[0]
    form = sandbox.push_form(number)
    rejected = {"result": False, "returnCode": "500", "message": "失败"}
    assert served.push({**form, "sign": "0" * 32}) == rejected  # wrong sign
    assert served.push({"param": form["param"]}) == rejected  # unsigned
    bad = form["param"].replace('"lastResult"', '"lastresult"')
    assert served.push({"param": bad, "sign": p.push_sign(bad, SALT)}) == rejected  # signed, but no lastResult
    assert served.push({"param": "{not json", "sign": p.push_sign("{not json", SALT)}) == rejected
    assert _spooled(served.settings.database) == 0
    assert served.health()["pushes"]["kd"]["rejected"] == 4
    lines = [r.getMessage() for r in caplog.records if r.name == "orderlayer.serve"]
    assert len(lines) == 4 and all("kuaidi100 push to kd rejected: " in line for line in lines)
    assert any("sign does not match" in line for line in lines)
    texts = [e["context"] for e in json.loads(form["param"])["lastResult"]["data"]]
    for line in lines:  # neither the waybill nor any route text (names, phones, places) reaches the log
        assert number not in line and not PHONE.search(line) and not any(t in line for t in texts)
    # an unknown connection or source is no route at all
    assert requests.post(f"{served.url}/push/kuaidi100/nobody", data=form, timeout=5).status_code == 404


def test_a_push_not_stored_is_not_acknowledged(served: Running, sandbox: Kuaidi100Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(self: PushSpool, pushed_to: str, items: object) -> int:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(PushSpool, "add_each", full_disk)
    assert served.push(sandbox.push_form(NUMBERS[0])) == {"result": False, "returnCode": "500", "message": "失败"}
    assert served.health()["pushes"]["kd"]["failed"] == 1


# --- the CLI in its own process: killed, and beside `sync` ----------------------------------------------------


def _orderlayer(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("orderlayer")), *args]


def _start_serve(project: Path) -> subprocess.Popen:
    proc = subprocess.Popen(_orderlayer("serve", "--config", str(project)), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **ENV})
    wait_until_serving(proc, load_settings(project).serve.port, timeout=30)
    return proc


def test_a_push_acknowledged_then_killed_before_landing_is_landed_by_the_next_sync(project: Path, sandbox: Kuaidi100Sandbox) -> None:
    settings = load_settings(project)
    url = f"http://127.0.0.1:{settings.serve.port}/push/kuaidi100/kd"
    serve = _start_serve(project)  # lands every hour: nothing lands before the kill
    assert sandbox.push(NUMBERS[3]) == {"result": True, "returnCode": "200", "message": "成功"}  # to its callback URL
    serve.send_signal(signal.SIGKILL)
    serve.wait(timeout=10)
    assert _spooled(settings.database) == 1

    synced = subprocess.run(_orderlayer("sync", "kd", "--config", str(project)), capture_output=True, text=True, env={**os.environ, **ENV}, timeout=120)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    rows = [json.loads(r[2]) for r in _raw(settings.database)]
    assert [r["nu"] for r in rows if r["watch_status"] == "polling"] == [NUMBERS[3]]
    assert rows[0]["watch_status"] == "polling"  # landed first, before the sync's own records
    assert len([r for r in rows if r["watch_status"] is None]) == len(NUMBERS)
    assert _spooled(settings.database) == 0


def test_serve_lands_its_spool_when_the_lock_is_free_and_runs_beside_sync(project: Path, sandbox: Kuaidi100Sandbox) -> None:
    config = yaml.safe_load(project.read_text(encoding="utf-8"))
    config["serve"]["land_every_seconds"] = 0.2
    project.write_text(yaml.safe_dump(config), encoding="utf-8")
    serve = _start_serve(project)
    health = f"http://127.0.0.1:{config['serve']['port']}/health"
    try:
        for number in NUMBERS[:3]:
            assert sandbox.push(number)["result"] is True
        deadline = time.monotonic() + 20
        while requests.get(health, timeout=5).json()["spooled"]:
            assert time.monotonic() < deadline, "serve did not land its spool"
            time.sleep(0.1)
        # a sync while serve keeps landing what keeps arriving: whoever holds the lock, the other waits its turn
        stop = threading.Event()
        acked = list(NUMBERS[:3])

        def keep_pushing() -> None:
            for number in NUMBERS[3:]:
                if stop.is_set():
                    return
                if sandbox.push(number)["result"]:
                    acked.append(number)
                time.sleep(0.1)

        pusher = threading.Thread(target=keep_pushing)
        pusher.start()
        synced = subprocess.run(_orderlayer("sync", "kd", "--config", str(project)), capture_output=True, text=True, env={**os.environ, **ENV}, timeout=120)
        stop.set()
        pusher.join()
        assert synced.returncode == 0 and "gave up" not in synced.stderr, synced.stdout + synced.stderr
        while requests.get(health, timeout=5).json()["spooled"]:
            assert time.monotonic() < deadline + 30, "serve did not land its spool"
            time.sleep(0.1)
    finally:
        serve.send_signal(signal.SIGTERM)
        log = serve.communicate(timeout=30)[0]
    # uvicorn shuts down gracefully, then re-raises the signal it caught: ended by SIGTERM, as systemd expects
    assert serve.returncode == -signal.SIGTERM and "Application shutdown complete" in log, log
    assert "Traceback" not in log and "landed " in log
    rows = [json.loads(r[2]) for r in _raw(Path(config["database"]))]
    pushed = [r["nu"] for r in rows if r["watch_status"] == "polling"]
    assert pushed[:3] == NUMBERS[:3] and sorted(pushed) == sorted(acked)  # every acknowledged push, once, in order
    assert len(acked) > 3 and len([r for r in rows if r["watch_status"] is None]) == len(NUMBERS)


# --- configuration ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("serve_block", "options", "credentials", "expected"),
    [
        ({"port": 70000}, {"callback_url": "http://x.example/push/kuaidi100/kd"}, {"salt": "KD_SALT"}, "serve.port: Input should be less than or equal to 65535"),
        ({"hots": "0.0.0.0"}, {"callback_url": "http://x.example/push/kuaidi100/kd"}, {"salt": "KD_SALT"}, "serve.hots: unknown key (did you mean host?)"),
        ({}, {"callback_url": "http://x.example/push/kuaidi100/kd"}, {}, "connections.kd.credentials.salt: a connection with a callback_url needs the salt"),
        ({}, {}, {"salt": "KD_SALT"}, "serve: no connection has a push channel to receive; give a kuaidi100 connection options.callback_url"),
    ],
)
def test_config_errors_name_the_key_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serve_block: dict, options: dict, credentials: dict, expected: str
) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    config = {
        "database": str(tmp_path / "w.duckdb"),
        "connections": {"kd": {"source": "kuaidi100", "shop_id": "C1", "credentials": {"key": "KD_KEY", **credentials}, "options": options}},
        "serve": serve_block,
    }
    path = tmp_path / "orderlayer.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = CliRunner().invoke(app, ["serve", "--config", str(path)])
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_a_backlog_lands_in_batches_each_committed_before_it_leaves_the_spool(
    served: Running, sandbox: Kuaidi100Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orderlayer.core.push_landing as landing

    monkeypatch.setattr(landing, "BATCH", 2)
    for number in NUMBERS[:5]:
        assert served.push(sandbox.push_form(number))["result"] is True
    results = land_pushes(served.settings)
    assert [(r.records, r.rows_added) for r in results] == [(2, 2), (2, 2), (1, 1)]  # 5 pushes, batches of 2
    assert len({r.sync_id for r in results}) == 3 and _spooled(served.settings.database) == 0
    assert [json.loads(r[2])["nu"] for r in _raw(served.settings.database)] == NUMBERS[:5]


def test_a_landing_that_fails_keeps_the_pushes_spooled_and_says_so(
    served: Running, sandbox: Kuaidi100Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    from orderlayer.loader.raw_store import RawStore

    assert served.push(sandbox.push_form(NUMBERS[0]))["result"] is True

    def disk_full(self: RawStore, *args: object) -> int:
        raise duckdb.IOException("No space left on device")

    with monkeypatch.context() as m:
        m.setattr(RawStore, "append", disk_full)
        [failed] = land_pushes(served.settings)
    assert (failed.status, failed.rows_added) == ("failed", 0) and "No space left on device" in (failed.error or "")
    db = served.settings.database
    assert _spooled(db) == 1
    con = connect(db, read_only=True)
    try:
        assert con.execute("select status from ops.sync_runs where sync_id = ?", [failed.sync_id]).fetchone() == ("failed",)
    finally:
        con.close()
    assert [(r.status, r.rows_added) for r in land_pushes(served.settings)] == [("ok", 1)]
    assert _spooled(db) == 0


@pytest.fixture
def root_logging() -> Iterator[None]:
    """The CLI sets up the process's logging for a long-running serve; put it back for the tests after this one."""
    handlers, level = list(logging.root.handlers), logging.root.level
    yield
    logging.root.handlers[:] = handlers
    logging.root.setLevel(level)


@pytest.mark.usefixtures("root_logging")
def test_a_taken_port_is_one_error_line_and_exit_1(project: Path) -> None:
    port = load_settings(project).serve.port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = CliRunner().invoke(app, ["serve", "--config", str(project)])
    assert result.exit_code == 1, result.output
    assert f"error: could not serve on http://127.0.0.1:{port}: see the log line above" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_the_starter_file_lists_every_serve_setting_with_its_default() -> None:
    from orderlayer.core.config import STARTER, ServeSettings

    block = yaml.safe_load(STARTER)["serve"]
    assert set(block) == set(ServeSettings.model_fields)
    assert ServeSettings(**block) == ServeSettings()


def test_a_push_larger_than_max_body_bytes_is_refused_unstored(project: Path, sandbox: Kuaidi100Sandbox) -> None:
    config = yaml.safe_load(project.read_text(encoding="utf-8"))
    config["serve"]["max_body_bytes"] = 1024
    project.write_text(yaml.safe_dump(config), encoding="utf-8")
    running = Running(project).start()
    try:
        form = sandbox.push_form(_with_courier(NUMBERS)[0])
        assert len(form["param"].encode()) > 1024  # a whole route is more than a kilobyte
        assert running.push(form) == {"result": False, "returnCode": "500", "message": "失败"}
        assert running.health()["pushes"]["kd"]["rejected"] == 1 and running.health()["spooled"] == {}
    finally:
        running.stop()


def test_concurrent_pushes_and_redeliveries_are_each_stored_once(served: Running, sandbox: Kuaidi100Sandbox) -> None:
    from concurrent.futures import ThreadPoolExecutor

    forms = [sandbox.push_form(n) for n in NUMBERS] * 2  # every push twice, all at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(served.push, forms))
    assert all(a["result"] is True for a in answers)
    assert _spooled(served.settings.database) == len(NUMBERS)
    counts = served.health()["pushes"]["kd"]
    assert (counts["accepted"], counts["duplicate"]) == (len(NUMBERS), len(NUMBERS))
    assert [r.rows_added for r in land_pushes(served.settings)] == [len(NUMBERS)]
