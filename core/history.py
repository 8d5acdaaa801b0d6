"""What `orderlayer report` shows, read from the warehouse: one run's lights and the trend over runs.

Sources: `ops.gate_results` (a light per gate and channel per run), `ops.check_runs` (the overall
verdict with dbt tests), `ops.gate_metrics` (per-channel figures per run), `ops.source_freshness`,
`ops.publish_log`, `quarantine.quarantine_orders` (reasons) and `audit.fct_orders` (daily orders).
Only keys, counts and figures are read: never a personal column.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from orderlayer.core.report_refunds import daily_refunds, per_channel_days, refund_summary
from orderlayer.core.warehouse import connect, table_exists

#: Gate metrics drawn as trends, in order, with a label and whether they are shares (shown in %).
TREND_METRICS: tuple[tuple[str, str, bool], ...] = (
    ("fct_orders", "orders in fct_orders", False),
    ("median_order_value", "median order value (R5)", False),
    ("quarantine_share", "quarantined share of orders (R6/Y6)", True),
    ("unbalanced_orders", "orders that do not balance raw vs fct (R4)", False),
    ("night_share", "orders placed 00:00-06:00 local (Y3)", True),
    ("promise_missing_share", "paid orders without promised ship date (Y7)", True),
    ("freshness_age_minutes", "age of the newest synced record, minutes (Y1)", False),
)


class NoRunsError(LookupError):
    """The warehouse has no recorded gate run (or not the one asked for)."""


@dataclass(frozen=True)
class Light:
    gate_id: str
    channel: str | None
    colour: str
    failing_count: int
    examples: list[str]
    example_key: str
    note: str
    description: str
    checks: dict[str, int]
    #: the examples as the platform names them: {"key", "shop_id", "order_id"} (order_id None where the key
    #: no longer leads to an order, e.g. a run older than the marts); days and sources have none
    order_ids: list[dict[str, str | None]] = field(default_factory=list)


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    checked_at: datetime
    verdict: str
    red: int
    yellow: int
    published_version: int | None


@dataclass
class ReportData:
    database: str
    run_id: str
    checked_at: datetime
    verdict: str
    gates_verdict: str
    published: dict[str, Any] | None
    run_published_version: int | None
    channels: list[str | None]
    gates: list[dict[str, str]]
    lights: list[Light]
    freshness: list[dict[str, Any]]
    quarantine: list[dict[str, Any]]
    dbt_tests: list[dict[str, Any]]
    runs: list[RunSummary]
    #: metric → channel → values aligned with `runs` (None where a run has no value)
    metric_trend: dict[str, dict[str, list[float | None]]]
    #: channel → [(business_date, orders)] of the last days in audit.fct_orders
    daily_orders: dict[str, list[tuple[date, int]]]
    #: channel vs ERP per channel, shop and currency (audit.fct_reconciliation_daily summed over the days)
    reconciliation: list[dict[str, Any]] = field(default_factory=list)
    #: the orders behind the differences: exception type and reason -> count, with example keys
    reconciliation_exceptions: list[dict[str, Any]] = field(default_factory=list)
    #: orders naming a parcel per channel and current parcel state (audit.order_parcels, docs/logistics.md)
    parcels: list[dict[str, Any]] = field(default_factory=list)
    #: gate → channel → (colour, failing count) per run aligned with `runs` (None: no light that run)
    gate_history: dict[str, dict[str, list[tuple[str, int] | None]]] = field(default_factory=dict)
    data_docs: str | None = None
    metric_table: dict[str, Any] | None = field(default=None)
    #: refunds by refund date per channel and currency, and per refund day (core/report_refunds.py)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    daily_refunds: dict[str, list[tuple[date, int]]] = field(default_factory=dict)

    def light(self, gate_id: str, channel: str | None) -> Light | None:
        for light in self.lights:
            if light.gate_id == gate_id and light.channel == channel:
                return light
        return None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["checked_at"] = self.checked_at.isoformat()
        out["runs"] = [{**asdict(r), "checked_at": r.checked_at.isoformat()} for r in self.runs]
        out["daily_orders"] = {c: [[d.isoformat(), n] for d, n in v] for c, v in self.daily_orders.items()}
        out["daily_refunds"] = {c: [[d.isoformat(), n] for d, n in v] for c, v in self.daily_refunds.items()}
        out["refunds"] = [
            {**r, **{k: r[k].isoformat() for k in ("first_day", "last_day") if r.get(k) is not None}} for r in self.refunds
        ]
        return out


def gate_order(gate_id: str) -> tuple[int, int]:
    """R1…R6 then Y1…Y7, as in the catalogue."""
    return (0 if gate_id.startswith("R") else 1, int(gate_id[1:]) if gate_id[1:].isdigit() else 99)


def load_report(db: Path, run_id: str | None = None, runs: int = 30, days: int = 30) -> ReportData:
    """Everything the report shows for `run_id` (default: the latest recorded run) and the `runs` before it."""
    if not db.is_file():
        raise FileNotFoundError(f"database {db} not found; run `orderlayer run` or `orderlayer demo` first")
    con = connect(db, read_only=True)
    try:
        if not table_exists(con, "ops", "gate_results"):
            raise NoRunsError(f"{db} has no gate runs yet; run `orderlayer check` or `orderlayer run` first")
        history = _runs(con, runs, run_id)
        current = history[-1]
        lights = _with_order_ids(con, _lights(con, current.run_id))
        channels = sorted({light.channel for light in lights}, key=lambda c: (c is None, c or ""))
        gates = {}
        for light in sorted(lights, key=lambda li: gate_order(li.gate_id)):
            gates.setdefault(light.gate_id, {"id": light.gate_id, "description": light.description})
        check = _check_run(con, current.run_id)
        return ReportData(
            database=str(db),
            run_id=current.run_id,
            checked_at=current.checked_at,
            verdict=check["verdict"] if check else current.verdict,
            gates_verdict=current.verdict,
            published=_published(con),
            run_published_version=current.published_version,
            channels=channels,
            gates=list(gates.values()),
            lights=lights,
            freshness=_freshness(con, current.run_id),
            quarantine=_quarantine(con),
            dbt_tests=check["dbt_tests"] if check else [],
            runs=history,
            metric_trend=_metric_trend(con, history),
            gate_history=_gate_history(con, history),
            daily_orders=_daily_orders(con, days),
            reconciliation=_reconciliation(con),
            reconciliation_exceptions=_with_platform_examples(con, _reconciliation_exceptions(con)),
            refunds=refund_summary(con, days),
            daily_refunds=daily_refunds(con, days),
            parcels=_parcels(con),
        )
    finally:
        con.close()


def _runs(con: duckdb.DuckDBPyConnection, limit: int, run_id: str | None) -> list[RunSummary]:
    has_log = table_exists(con, "ops", "publish_log")
    version = (
        "(SELECT max(p.version) FROM ops.publish_log AS p WHERE p.run_id = g.run_id)" if has_log else "NULL::BIGINT"
    )
    rows = con.execute(
        f"""SELECT run_id, checked_at, verdict, red, yellow, {version} AS published_version FROM (
                SELECT run_id, any_value(checked_at) AS checked_at, any_value(verdict) AS verdict,
                       count(*) FILTER (WHERE colour = 'red') AS red,
                       count(*) FILTER (WHERE colour = 'yellow') AS yellow
                FROM ops.gate_results GROUP BY run_id) AS g
            ORDER BY checked_at, run_id"""
    ).fetchall()
    runs = [RunSummary(r[0], r[1], r[2], int(r[3]), int(r[4]), r[5]) for r in rows]
    if run_id is not None:
        positions = [i for i, r in enumerate(runs) if r.run_id == run_id]
        if not positions:
            raise NoRunsError(f"run {run_id} not found in ops.gate_results")
        runs = runs[: positions[0] + 1]
    if not runs:
        raise NoRunsError("no gate runs recorded yet; run `orderlayer check` or `orderlayer run` first")
    return runs[-limit:]


def _lights(con: duckdb.DuckDBPyConnection, run_id: str) -> list[Light]:
    present = {
        name
        for (name,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'ops' AND table_name = 'gate_results'"
        ).fetchall()
    }
    # a warehouse whose last check predates these columns (the report opens it read-only: no migration)
    later = {c: c if c in present else "NULL" for c in ("example_key", "note", "description")}
    rows = con.execute(
        f"""SELECT gate_id, channel, colour, failing_count, examples, coalesce({later["example_key"]}, 'order_key'),
                   coalesce({later["note"]}, ''), coalesce({later["description"]}, ''), checks
            FROM ops.gate_results WHERE run_id = ?""",
        [run_id],
    ).fetchall()
    lights = [
        Light(
            gate_id=g,
            channel=c,
            colour=colour,
            failing_count=int(n),
            examples=json.loads(examples),
            example_key=key,
            note=note,
            description=description,
            checks=json.loads(checks),
        )
        for g, c, colour, n, examples, key, note, description, checks in rows
    ]
    return sorted(lights, key=lambda li: (gate_order(li.gate_id), li.channel is None, li.channel or ""))


def _check_run(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any] | None:
    if not table_exists(con, "ops", "check_runs"):
        return None
    row = con.execute("SELECT verdict, dbt_tests FROM ops.check_runs WHERE run_id = ?", [run_id]).fetchone()
    return {"verdict": row[0], "dbt_tests": json.loads(row[1])} if row else None


def _published(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    if not table_exists(con, "ops", "publish_log"):
        return None
    row = con.execute(
        "SELECT version, run_id, published_at, verdict, row_counts FROM ops.publish_log ORDER BY version DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    return {
        "version": row[0],
        "run_id": row[1],
        "published_at": row[2].isoformat(),
        "verdict": row[3],
        "row_counts": json.loads(row[4]),
    }


def _freshness(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict[str, Any]]:
    if not table_exists(con, "ops", "source_freshness"):
        return []
    rows = con.execute(
        """SELECT source, channel, status, colour, max_loaded_at, age_seconds, warn_after_minutes, error_after_minutes
           FROM ops.source_freshness WHERE run_id = ? ORDER BY source""",
        [run_id],
    ).fetchall()
    keys = ("source", "channel", "status", "colour", "max_loaded_at", "age_seconds", "warn_after_minutes", "error_after_minutes")
    out = []
    for row in rows:
        entry = dict(zip(keys, row))
        entry["max_loaded_at"] = entry["max_loaded_at"].isoformat() if entry["max_loaded_at"] else None
        out.append(entry)
    return out


def _parcels(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Orders naming a parcel, per channel and current parcel state, with the carrier-delivered ones' mean transit."""
    if not table_exists(con, "audit", "order_parcels"):
        return []
    rows = con.execute(
        """SELECT o.channel, p.parcel_state, count(*), round(avg(p.transit_hours), 1)
           FROM audit.order_parcels AS p JOIN audit.fct_orders AS o USING (order_key)
           GROUP BY ALL ORDER BY o.channel, p.parcel_state"""
    ).fetchall()
    return [dict(zip(("channel", "parcel_state", "orders", "transit_hours"), row)) for row in rows]


def _reconciliation(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    if not table_exists(con, "audit", "fct_reconciliation_daily"):
        return []
    rows = con.execute(
        """SELECT channel, shop_id, currency, sum(channel_orders), sum(erp_orders), sum(channel_paid_amount),
                  sum(erp_amount), sum(amount_difference), sum(channel_refund_amount), sum(erp_refund_amount),
                  sum(channel_orders_without_erp), sum(erp_only_orders),
                  count(*) FILTER (WHERE NOT is_within_tolerance), count(*)
           FROM audit.fct_reconciliation_daily GROUP BY ALL ORDER BY channel NULLS LAST, shop_id, currency"""
    ).fetchall()
    keys = ("channel", "shop_id", "currency", "channel_orders", "erp_orders", "channel_paid_amount", "erp_amount",
            "amount_difference", "channel_refund_amount", "erp_refund_amount", "channel_orders_without_erp",
            "erp_only_orders", "days_out_of_tolerance", "days")
    return [dict(zip(keys, row)) for row in rows]


def _reconciliation_exceptions(con: duckdb.DuckDBPyConnection, examples: int = 3) -> list[dict[str, Any]]:
    if not table_exists(con, "audit", "fct_reconciliation_exceptions"):
        return []
    rows = con.execute(
        f"""SELECT exception_type, coalesce(channel, '(unmapped customer)'), reason, count(*),
                   list(coalesce(order_key, erp_system || ':' || erp_order_id) ORDER BY coalesce(order_key, erp_order_id))[:{int(examples)}]
            FROM (SELECT *, coalesce(reasons[1], exception_type) AS reason FROM audit.fct_reconciliation_exceptions)
            GROUP BY ALL ORDER BY 4 DESC, 1, 2, 3"""
    ).fetchall()
    keys = ("exception_type", "channel", "reason", "orders", "examples")
    return [dict(zip(keys, row)) for row in rows]


def _quarantine(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    if not table_exists(con, "quarantine", "quarantine_orders"):
        return []
    # Refund records that could not be counted (quarantine_refunds) are listed beside the orders, their reason
    # prefixed with the record type; such a record never has a valid version (it is left out of its order).
    refunds = (
        """UNION ALL
           SELECT channel, record_type || ': ' || quarantine_reason, raw_record_id, shop_id, channel_order_id, FALSE
           FROM quarantine.quarantine_refunds"""
        if table_exists(con, "quarantine", "quarantine_refunds")
        else ""
    )
    rows = con.execute(
        f"""SELECT channel, reason, count(*) AS records,
                  count(DISTINCT coalesce(shop_id || '|' || channel_order_id, raw_record_id)) AS orders,
                  count(*) FILTER (WHERE NOT coalesce(has_valid_version, FALSE)) AS without_valid_version
           FROM (SELECT channel, quarantine_reason AS reason, raw_record_id, shop_id, channel_order_id, has_valid_version
                 FROM quarantine.quarantine_orders
                 {refunds})
           GROUP BY ALL ORDER BY records DESC, channel, reason"""
    ).fetchall()
    keys = ("channel", "reason", "records", "orders", "without_valid_version")
    return [dict(zip(keys, row)) for row in rows]


def _metric_trend(con: duckdb.DuckDBPyConnection, runs: list[RunSummary]) -> dict[str, dict[str, list[float | None]]]:
    if not table_exists(con, "ops", "gate_metrics"):
        return {}
    ids = [r.run_id for r in runs]
    rows = con.execute(
        "SELECT run_id, channel, metric, value FROM ops.gate_metrics WHERE run_id IN (SELECT unnest(?::VARCHAR[]))",
        [ids],
    ).fetchall()
    position = {run_id: i for i, run_id in enumerate(ids)}
    trend: dict[str, dict[str, list[float | None]]] = {}
    for run_id, channel, metric, value in rows:
        series = trend.setdefault(metric, {}).setdefault(channel or "(none)", [None] * len(ids))
        series[position[run_id]] = value
    return trend


def _daily_orders(con: duckdb.DuckDBPyConnection, days: int) -> dict[str, list[tuple[date, int]]]:
    if not table_exists(con, "audit", "fct_orders"):
        return {}
    rows = con.execute(
        """SELECT channel, business_date, count(*) FROM audit.fct_orders
           WHERE business_date > (SELECT max(business_date) FROM audit.fct_orders) - ?::INTEGER
             AND channel IS NOT NULL
           GROUP BY ALL ORDER BY 1, 2""",
        [days],
    ).fetchall()
    return per_channel_days(rows)


def _gate_history(
    con: duckdb.DuckDBPyConnection, runs: list[RunSummary]
) -> dict[str, dict[str, list[tuple[str, int] | None]]]:
    ids = [r.run_id for r in runs]
    rows = con.execute(
        """SELECT gate_id, coalesce(channel, '(none)'), run_id, colour, failing_count FROM ops.gate_results
           WHERE run_id IN (SELECT unnest(?::VARCHAR[]))""",
        [ids],
    ).fetchall()
    position = {run_id: i for i, run_id in enumerate(ids)}
    history: dict[str, dict[str, list[tuple[str, int] | None]]] = {}
    for gate_id, channel, run_id, colour, failing in sorted(rows, key=lambda r: (gate_order(r[0]), r[1])):
        series = history.setdefault(gate_id, {}).setdefault(channel, [None] * len(ids))
        series[position[run_id]] = (colour, int(failing))
    return history


#: example keys that stand for an order (Y4's days and Y1's sources do not)
ORDER_KEYS = ("order_key", "raw_record_id")


def platform_ids(db: Path, keys: list[str]) -> dict[str, tuple[str, str]]:
    """order_key or raw record hash → (shop_id, the platform's order id), for the keys still in `db`."""
    if not keys:
        return {}
    con = connect(db, read_only=True)
    try:
        return _order_ids(con, keys)
    finally:
        con.close()


def _with_order_ids(con: duckdb.DuckDBPyConnection, lights: list[Light]) -> list[Light]:
    """Each light's examples with the platform's own shop and order id beside the (hash) key, looked up
    in the marts, quarantine and raw as they stand now."""
    keys = sorted({e for li in lights if li.example_key in ORDER_KEYS for e in li.examples})
    found = _order_ids(con, keys) if keys else {}
    return [
        replace(
            li,
            order_ids=[
                {"key": e, "shop_id": found.get(e, (None, None))[0], "order_id": found.get(e, (None, None))[1]}
                for e in li.examples
            ],
        )
        if li.example_key in ORDER_KEYS
        else li
        for li in lights
    ]


def _with_platform_examples(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reconciliation examples by shop/order id where they are channel orders (ERP ones already read erp:id)."""
    found = _order_ids(con, sorted({k for row in rows for k in row["examples"]})) if rows else {}
    return [{**row, "examples": [f"{found[k][0]}/{found[k][1]}" if k in found else k for k in row["examples"]]} for row in rows]


def _order_ids(con: duckdb.DuckDBPyConnection, keys: list[str]) -> dict[str, tuple[str, str]]:
    """order_key or raw record hash → (shop_id, channel_order_id): the marts first, then quarantine, then raw."""
    lookups = []  # (key column, shop column, order id column, relation), each filtered on the keys
    if table_exists(con, "audit", "fct_orders"):
        lookups += [("order_key", "shop_id", "channel_order_id", "audit.fct_orders"),
                    ("raw_record_id", "shop_id", "channel_order_id", "audit.fct_orders")]  # fmt: skip
    if table_exists(con, "quarantine", "quarantine_orders"):
        lookups.append(("raw_record_id", "shop_id", "channel_order_id", "quarantine.quarantine_orders"))
    # a channel's orders stream keys its raw records on the platform's [shop, order id] (taps/<x>/streams.py)
    for (table,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' AND ends_with(table_name, '__orders')"
    ).fetchall():
        lookups.append(("_record_hash", "json_extract_string(_primary_key, '$[0]')",
                        "json_extract_string(_primary_key, '$[1]')", f'raw."{table}"'))  # fmt: skip
    found: dict[str, tuple[str, str]] = {}
    for key, shop, order, relation in lookups:
        missing = [k for k in keys if k not in found]
        if not missing:
            break
        rows = con.execute(
            f"SELECT {key}, any_value({shop}), any_value({order}) FROM {relation} "
            f"WHERE {key} IN (SELECT unnest(?::VARCHAR[])) GROUP BY {key}",
            [missing],
        ).fetchall()
        found |= {k: (s, o) for k, s, o in rows if o is not None}
    return found
