"""`core.pipeline.run` and `core.sync.sync_all` without a terminal: what they report and what they record."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

import duckdb
import pytest

from orderlayer.core import pipeline
from orderlayer.core.config import ConfigError, Connection, Credentials, Settings
from orderlayer.core.sync import SyncResult, sync_all


class Recorder:
    """A RunProgress that keeps what it was told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def sync_started(self, connection: str) -> None:
        self.events.append(("sync_started", connection))

    def records_read(self, connection: str, count: int) -> None:
        self.events.append(("records_read", count))

    def sync_finished(self, result: SyncResult) -> None:
        self.events.append(("sync_finished", result.connection))

    def syncs_finished(self, results: list[SyncResult]) -> None:
        self.events.append(("syncs_finished", len(results)))

    def stage(self, name: str) -> nullcontext[None]:
        self.events.append(("stage", name))
        return nullcontext()

    def checked(self, result: pipeline.CheckResult) -> None:
        self.events.append(("checked", result.verdict))


def _settings(tmp_path: Path) -> Settings:
    # The credential's variable is never set, so the run stops before any tap starts.
    credentials = Credentials({"app_secret": "ORDERLAYER_TEST_NEVER_SET_SECRET"})
    return Settings(
        database=tmp_path / "w.duckdb",
        connections={"main": Connection(source="douyin", shop_id="7784061", credentials=credentials)},
    )


def test_a_run_that_cannot_start_a_sync_is_recorded_as_failed_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ORDERLAYER_TEST_NEVER_SET_SECRET", raising=False)
    progress = Recorder()
    with pytest.raises(ConfigError, match="ORDERLAYER_TEST_NEVER_SET_SECRET is not set"):
        pipeline.run(_settings(tmp_path), progress)
    assert progress.events == []  # credentials resolve before the first sync starts
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        rows = con.execute("select command, status, verdict, detail, finished_at is not null from ops.runs").fetchall()
    finally:
        con.close()
    assert [(command, status, verdict, done) for command, status, verdict, _, done in rows] == [
        ("run", "failed", None, True)
    ]
    assert "connections.main.credentials.app_secret" in json.loads(rows[0][3])["error"]


def test_sync_all_refuses_an_unknown_connection_before_touching_the_warehouse(tmp_path: Path) -> None:
    progress = Recorder()
    with pytest.raises(ConfigError, match="connections: nope not in the configuration; known: main"):
        sync_all(_settings(tmp_path), ["nope"], "run-1", progress)
    assert progress.events == []
    assert not (tmp_path / "w.duckdb").exists()
