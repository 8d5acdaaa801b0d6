"""After `check`: tell each destination what changed for the lights it owns, once.

A destination hears about a (gate, channel) light when its colour differs from the one it was last told
(`ops.alert_state`; never told = green): turning yellow or red, changing colour, recovering to green. Nothing
changed → nothing sent. A delivery that fails is logged in one line and leaves the state as it was, so the
next run tries again; it never fails the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from orderlayer.core.alerts import dingtalk, slack, smtp, wecom
from orderlayer.core.alerts.message import Alert, Light
from orderlayer.core.alerts.settings import AlertSettings, SecretMissing
from orderlayer.core.alerts.state import LightKey, remember, told
from orderlayer.core.alerts.webhook import SendFailed
from orderlayer.core.warehouse import AUDIT, QUARANTINE, connect, table_exists

if TYPE_CHECKING:
    from orderlayer.expectations import GateReport, GateResult

log = logging.getLogger("orderlayer.alerts")

SENDERS: dict[str, Callable[..., None]] = {
    "dingtalk": dingtalk.send,
    "wecom": wecom.send,
    "slack": slack.send,
    "email": smtp.send,
}


@dataclass(frozen=True)
class Delivery:
    destination: str
    kind: str
    #: sent | unchanged (nothing to tell) | failed
    status: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"destination": self.destination, "kind": self.kind, "status": self.status, "detail": self.detail}


def deliver(name: str, settings: AlertSettings, alert: Alert) -> Delivery:
    """Send one alert to one destination; a failure is logged (one line) and returned, never raised."""
    dest = settings.destinations[name]
    try:
        SENDERS[dest.kind](name, dest, alert, settings.timeout_seconds)
    except (SendFailed, SecretMissing) as exc:
        detail = str(exc)
    except Exception as exc:  # noqa: BLE001 - an alert must never fail the run; the type alone names it
        detail = f"unexpected {type(exc).__name__}"
    else:
        return Delivery(name, dest.kind, "sent")
    log.warning("alert to %s (%s) not sent: %s", name, dest.kind, detail)
    return Delivery(name, dest.kind, "failed", detail)


def notify(settings: AlertSettings, db: Path, report: GateReport) -> list[Delivery]:
    """Alert every destination whose lights changed in `report`; returns what happened per destination."""
    if not settings.destinations:
        return []
    try:
        conn = connect(db)
        try:
            previous = told(conn)
            ids = _platform_ids(conn, [r for r in report.results if r.colour != "green"])
        finally:
            conn.close()
    except (duckdb.Error, OSError) as exc:
        log.warning("alerts not sent: the warehouse could not be read (%s)", type(exc).__name__)
        return [Delivery(name, dest.kind, "failed", "warehouse not readable") for name, dest in settings.destinations.items()]
    plans = {name: _plan(name, settings, report, previous.get(name, {}), ids) for name in settings.destinations}
    location = _report_location(settings, db, report.run_id) if any(alert for alert, _ in plans.values()) else ""
    deliveries = []
    for name, (alert, colours) in plans.items():
        if alert is None:
            deliveries.append(Delivery(name, settings.destinations[name].kind, "unchanged"))
            continue
        alert = replace(alert, report=location)
        delivery = deliver(name, settings, alert)
        if delivery.status == "sent":
            _remember(db, name, colours, report.run_id)
        deliveries.append(delivery)
    return deliveries


def _remember(db: Path, name: str, colours: dict[LightKey, str], run_id: str) -> None:
    try:
        conn = connect(db)
        try:
            remember(conn, name, colours, run_id, datetime.now(UTC))
        finally:
            conn.close()
    except (duckdb.Error, OSError) as exc:
        # sent but not recorded: the next run repeats this alert rather than fail this one
        log.warning("alert to %s sent but not recorded in ops.alert_state (%s)", name, type(exc).__name__)


def _plan(
    name: str,
    settings: AlertSettings,
    report: GateReport,
    previous: dict[LightKey, str],
    ids: dict[str, str],
) -> tuple[Alert | None, dict[LightKey, str]]:
    """The alert for one destination (None: nothing changed) and the colours it will then know."""
    dest = settings.destinations[name]
    routed = [r for r in report.results if dest.routes(r.gate_id, r.channel)]
    colours = {(r.gate_id, r.channel): r.colour for r in routed}
    changed = [_light(r, previous.get((r.gate_id, r.channel), "green"), ids) for r in routed
               if r.colour != previous.get((r.gate_id, r.channel), "green")]
    if not changed:
        return None, colours
    unchanged = [_light(r, r.colour, ids) for r in routed
                 if r.colour != "green" and r.colour == previous.get((r.gate_id, r.channel))]
    return Alert(report.run_id, report.checked_at, report.verdict, changed, unchanged), colours


def _light(result: GateResult, previous: str, ids: dict[str, str]) -> Light:
    if result.example_key in ("order_key", "raw_record_id"):
        # internal keys (hashes) never go out: the platform's own order ids do, where they are known
        examples = tuple(dict.fromkeys(ids[e] for e in result.examples if e in ids))
        example_key = "channel_order_id"
    else:
        examples, example_key = tuple(result.examples), result.example_key
    return Light(
        gate_id=result.gate_id,
        channel=result.channel,
        colour=result.colour,
        previous=previous,
        description=result.description,
        failing_count=result.failing_count,
        examples=examples,
        example_key=example_key,
        note=result.note,
    )


def _platform_ids(conn: duckdb.DuckDBPyConnection, results: list[GateResult]) -> dict[str, str]:
    """order_key or raw_record_id → channel_order_id, for the examples of failing lights."""
    keys = sorted({e for r in results if r.example_key in ("order_key", "raw_record_id") for e in r.examples})
    if not keys:
        return {}
    lookups = []
    if table_exists(conn, AUDIT, "fct_orders"):
        lookups += [f"SELECT order_key AS k, channel_order_id AS id FROM {AUDIT}.fct_orders",
                    f"SELECT raw_record_id, channel_order_id FROM {AUDIT}.fct_orders"]
    if table_exists(conn, QUARANTINE, "quarantine_orders"):
        lookups.append(f"SELECT raw_record_id, channel_order_id FROM {QUARANTINE}.quarantine_orders")
    if not lookups:
        return {}
    rows = conn.execute(
        f"SELECT k, any_value(id) FROM ({' UNION ALL '.join(lookups)}) WHERE k IN (SELECT unnest(?)) AND id IS NOT NULL GROUP BY k",
        [keys],
    ).fetchall()
    return dict(rows)


def _report_location(settings: AlertSettings, db: Path, run_id: str) -> str:
    """Write the run's HTML report (what the alert points to) and return its URL or path."""
    from orderlayer.core.report import build_report, default_output, write_html

    path = default_output(db, run_id)
    try:
        write_html(build_report(db, run_id, data_docs=False), path)
    except Exception as exc:  # noqa: BLE001 - the alert goes out without its page rather than not at all
        log.warning("alert report not written (%s); the alert names where `orderlayer report` writes it", type(exc).__name__)
    if settings.report_url:
        return f"{settings.report_url.rstrip('/')}/{path.name}"
    return str(path)
