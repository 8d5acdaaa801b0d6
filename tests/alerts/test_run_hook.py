"""`orderlayer run` alerts right after check, and an alert endpoint that fails does not change the run's outcome."""

from __future__ import annotations

import json
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from orderlayer.core import pipeline
from orderlayer.core.alerts.settings import AlertSettings
from orderlayer.core.config import Settings
from orderlayer.expectations import GateReport, GateResult

from .receiver import alert_lines, webhook


class Quiet:
    """A RunProgress that shows nothing."""

    def __getattr__(self, name: str) -> object:
        return (lambda *args: nullcontext()) if name == "stage" else (lambda *args: None)


def _red_check(
    settings: Settings, db: Path, run_id: str, now: datetime | None = None, **progress: object
) -> pipeline.CheckResult:
    light = GateResult("R2", "fct_orders", "money", "douyin", "red", "critical", 1, ["9f1c2a"])
    return pipeline.CheckResult("red", GateReport(run_id, datetime(2026, 3, 1, tzinfo=UTC), "red", [light], []))


@pytest.mark.parametrize("answer", [{"status": 500}, {"delay": 2.0}])
def test_a_failing_alert_endpoint_never_fails_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, answer: dict
) -> None:
    monkeypatch.setattr(pipeline, "sync_all", lambda *args, **kwargs: [])
    monkeypatch.setattr(pipeline, "build", lambda *args, **kwargs: SimpleNamespace(reason="stub build", plan=SimpleNamespace(mode="full")))
    monkeypatch.setattr(pipeline, "check", _red_check)
    with webhook(**answer) as hook:
        monkeypatch.setenv("TEST_URL", hook.url)
        settings = Settings(
            database=tmp_path / "w.duckdb",
            alerts=AlertSettings(destinations={"dq": {"kind": "wecom", "webhook_env": "TEST_URL"}}, timeout_seconds=0.5),
        )
        result = pipeline.run(settings, Quiet())  # type: ignore[arg-type]
    assert (result.verdict, result.published) == ("red", None)
    assert len(hook.received) == 1
    assert any(m.startswith("alert to dq (wecom) not sent: ") for m in alert_lines(caplog))
    conn = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        status, detail = conn.execute("SELECT status, detail FROM ops.runs").fetchone()
    finally:
        conn.close()
    expected = "HTTP 500" if "status" in answer else "no answer within 0.5 s"
    assert status == "blocked"
    assert json.loads(detail)["alerts"] == [{"destination": "dq", "kind": "wecom", "status": "failed", "detail": expected}]
