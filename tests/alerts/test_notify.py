"""Alerts after real gate runs: one message per destination when a light changes, none while nothing changes,
one when it recovers; routing by channel; a failing endpoint logged, retried next run, never raised."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orderlayer.core.alerts.dispatch import notify
from orderlayer.core.alerts.settings import AlertSettings
from orderlayer.core.config import GateSettings
from orderlayer.expectations import run_gates
from tests.expectations.conftest import NOW, WarehouseFactory, lines_for, order

from .receiver import alert_lines, webhook

#: internal keys look like hashes; the platform's ids are what people search for
ORDERS = [
    ("9f1c2a", "douyin", "4921873460012"),
    ("b7e4d0", "douyin", "4921873460013"),
    ("c3a9f1", "jd", "301245566001"),
]


def _warehouse(make_warehouse: WarehouseFactory) -> Path:
    orders = [order(key, channel, channel_order_id=platform_id) for key, channel, platform_id in ORDERS]
    return make_warehouse(orders, [line for key, _, _ in ORDERS for line in lines_for(key)])


def _sql(path: Path, statement: str) -> None:
    conn = duckdb.connect(str(path))
    try:
        conn.execute(statement)
    finally:
        conn.close()


def test_red_alerts_once_stays_quiet_then_recovers_once(
    make_warehouse: WarehouseFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = _warehouse(make_warehouse)
    with webhook() as everything, webhook(answer="ok") as jd_team, webhook(status=500) as broken:
        monkeypatch.setenv("ALL_URL", everything.url)
        monkeypatch.setenv("JD_URL", jd_team.url)
        monkeypatch.setenv("BROKEN_URL", broken.url)
        alerts = AlertSettings(
            destinations={
                "all": {"kind": "wecom", "webhook_env": "ALL_URL"},
                "jd_team": {"kind": "slack", "webhook_env": "JD_URL", "channels": ["jd"]},
                "broken": {"kind": "dingtalk", "webhook_env": "BROKEN_URL"},
            },
            timeout_seconds=2,
        )

        def run(n: int) -> dict[str, str]:
            report = run_gates(path, GateSettings(), f"run-{n}", NOW + timedelta(hours=n))
            return {d.destination: d.status for d in notify(alerts, path, report)}

        # run 1: douyin's order 4921873460012 loses its paid amount: R2 red
        _sql(path, "UPDATE audit.fct_orders SET paid_amount = NULL WHERE order_key = '9f1c2a'")
        assert run(1) == {"all": "sent", "jd_team": "unchanged", "broken": "failed"}
        (first,) = everything.received
        text = first.body["markdown"]["content"]
        assert "**douyin**" in text and "- 🔴 R2 red: 1 failing" in text
        assert "orders: 4921873460012" in text and "9f1c2a" not in text  # the platform's id, not the key
        assert "report-run-1.html" in text
        assert (path.parent / "reports" / "report-run-1.html").is_file()  # the report the alert points to
        assert "138****1234" not in text and "张" not in text  # order() carries masked phone and name
        # the broken endpoint: one line logged, the run goes on
        assert alert_lines(caplog) == ["alert to broken (dingtalk) not sent: HTTP 500"]

        # run 2: still red: nothing new for those told; the broken endpoint is tried again
        assert run(2) == {"all": "unchanged", "jd_team": "unchanged", "broken": "failed"}
        assert (len(everything.received), len(broken.received)) == (1, 2)

        # run 3: fixed: one recovery message
        _sql(path, f"UPDATE audit.fct_orders SET paid_amount = {Decimal('90.00')} WHERE order_key = '9f1c2a'")
        assert run(3) == {"all": "sent", "jd_team": "unchanged", "broken": "unchanged"}
        recovery = everything.received[1].body["markdown"]["content"]
        assert "- ✅ R2 recovered (was red)" in recovery and "🔴" not in recovery

        # run 4: green again: quiet
        assert run(4) == {"all": "unchanged", "jd_team": "unchanged", "broken": "unchanged"}
        assert len(everything.received) == 2 and jd_team.received == []

        # run 5: a jd problem reaches its owner too, with the jd order's own id
        _sql(path, "UPDATE audit.fct_orders SET status = 'unknown' WHERE order_key = 'c3a9f1'")
        assert run(5) == {"all": "sent", "jd_team": "sent", "broken": "failed"}
        jd_text = jd_team.received[0].body["blocks"][0]["text"]["text"]
        assert "*jd*" in jd_text and "Y2 yellow: 1 failing" in jd_text and "orders: 301245566001" in jd_text
        assert "douyin" not in jd_text

    conn = duckdb.connect(str(path), read_only=True)
    try:
        state = conn.execute("SELECT destination, gate_id, channel, colour, run_id FROM ops.alert_state ORDER BY 1").fetchall()
    finally:
        conn.close()
    # what each destination was last told (green lights have no row; broken was never told anything)
    assert state == [("all", "Y2", "jd", "yellow", "run-5"), ("jd_team", "Y2", "jd", "yellow", "run-5")]


def test_no_destinations_sends_nothing_and_touches_nothing(make_warehouse: WarehouseFactory) -> None:
    path = _warehouse(make_warehouse)
    _sql(path, "UPDATE audit.fct_orders SET paid_amount = NULL WHERE order_key = '9f1c2a'")
    report = run_gates(path, GateSettings(), "run-1", NOW)
    assert notify(AlertSettings(), path, report) == []
    conn = duckdb.connect(str(path), read_only=True)
    try:
        assert conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'alert_state'").fetchone() == (0,)
    finally:
        conn.close()


def test_an_unreadable_warehouse_is_logged_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from datetime import UTC, datetime

    from orderlayer.expectations import GateReport, GateResult

    light = GateResult("R2", "fct_orders", "money", "douyin", "red", "critical", 1, ["9f1c2a"])
    report = GateReport("run-1", datetime(2026, 3, 1, tzinfo=UTC), "red", [light], [])
    alerts = AlertSettings(destinations={"dq": {"kind": "wecom", "webhook_env": "NEVER_READ"}})
    deliveries = notify(alerts, tmp_path / "missing.duckdb", report)
    assert [(d.destination, d.status, d.detail) for d in deliveries] == [("dq", "failed", "warehouse not readable")]
    assert alert_lines(caplog) == ["alerts not sent: the warehouse could not be read (FileNotFoundError)"]
