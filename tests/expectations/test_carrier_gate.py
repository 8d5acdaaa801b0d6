"""Gate Y9: shipped orders whose parcels no carrier has reported on (docs/logistics.md), per channel."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb

from orderlayer.core.config import GateSettings
from orderlayer.expectations import GateReport, GateResult, run_gates
from orderlayer.expectations.inputs import GateContext

from .conftest import NOW, WarehouseFactory, order

CARRIERS = GateContext(carriers_configured=True)


def shipped(key: str, hours_ago: float, channel: str = "douyin", **overrides: object) -> dict[str, object]:
    at = NOW - timedelta(hours=hours_ago)
    return order(key, channel, status="shipped", is_shipped=True, shipped_at=at, paid_at=at - timedelta(hours=5),
                 ordered_at=at - timedelta(hours=6), promised_ship_by=at + timedelta(hours=1), **overrides)


ORDERS = [
    shipped("douyin:silent", 72),                   # flagged: 72 h > 48 h, a parcel, no event
    shipped("douyin:tracked", 72),                  # has an event
    shipped("douyin:recent", 10),                   # not yet due
    shipped("douyin:no_parcel", 72),                # no tracking number: nothing to look for
    shipped("douyin:delivered", 72, delivered_at=NOW - timedelta(hours=1)),  # the channel says delivered
    shipped("jd:silent", 50, channel="jd"),          # flagged, in jd's light
    order("douyin:unshipped"),                      # paid, not shipped
]
PARCELS = {"douyin:silent": ["YT1"], "douyin:tracked": ["YT2"], "douyin:recent": ["YT3"], "douyin:no_parcel": [],
           "douyin:delivered": ["YT5"], "jd:silent": ["JDV6"], "douyin:unshipped": []}


def warehouse(make_warehouse: WarehouseFactory) -> Path:
    path = make_warehouse(ORDERS)
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE TABLE audit.map_order_ids (order_key VARCHAR, tracking_numbers VARCHAR[])")
        con.executemany("INSERT INTO audit.map_order_ids VALUES (?, ?)", list(PARCELS.items()))
        con.execute("CREATE TABLE audit.fct_shipment_events (order_key VARCHAR, tracking_number VARCHAR, state VARCHAR)")
        con.execute("INSERT INTO audit.fct_shipment_events VALUES ('douyin:tracked', 'YT2', 'picked_up'), (NULL, 'ZZ9', 'in_transit')")
    finally:
        con.close()
    return path


def light(report: GateReport, channel: str) -> GateResult:
    (result,) = [r for r in report.results if r.gate_id == "Y9" and r.channel == channel]
    return result


def test_shipped_orders_without_carrier_events_are_yellow_per_channel(make_warehouse: WarehouseFactory) -> None:
    report = run_gates(warehouse(make_warehouse), GateSettings(), "run-1", NOW, CARRIERS)
    douyin, jd = light(report, "douyin"), light(report, "jd")
    assert (douyin.colour, douyin.failing_count, douyin.examples) == ("yellow", 1, ["douyin:silent"])
    assert (jd.colour, jd.failing_count, jd.examples) == ("yellow", 1, ["jd:silent"])


def test_the_threshold_is_configurable(make_warehouse: WarehouseFactory) -> None:
    # 60 h: douyin's 72-hour-old order is still flagged, jd's 50-hour-old one is not
    report = run_gates(warehouse(make_warehouse), GateSettings(no_carrier_event_hours=60), "run-1", NOW, CARRIERS)
    assert (light(report, "douyin").failing_count, light(report, "jd").colour) == (1, "green")


def test_not_applicable_without_a_carrier_connection(make_warehouse: WarehouseFactory) -> None:
    report = run_gates(make_warehouse(ORDERS), GateSettings(), "run-1", NOW, GateContext())
    douyin = light(report, "douyin")
    assert douyin.colour == "green"
    assert douyin.note == "not applicable: no carrier connection (sf_express, kuaidi100) is configured"


def test_a_carrier_that_landed_nothing_is_not_never_synced(tmp_path: Path) -> None:
    """A carrier with no parcel to ask about lands nothing: Y1 names only the channel that never synced."""
    from orderlayer.core.config import Connection, Settings
    from orderlayer.core.quality import source_freshness

    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    settings = Settings(database=db, connections={
        "shop": Connection(source="douyin", shop_id="1"),
        "sf": Connection(source="sf_express", shop_id="SFDEMO0001"),
    })
    assert [(f.source, f.status) for f in source_freshness(settings, db)] == [("douyin.orders", "never synced")]
