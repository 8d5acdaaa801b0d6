"""Parcels on Douyin orders, tracked by SF Express and Kuaidi100: the carrier rules with hand-computed values.

Raw records are written as tap-douyin, tap-sf-express and tap-kuaidi100 emit them, landed with the real loader
store, and the real project is built on them (orderlayer's build, incremental as in production).
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest
from tests.dbt_rules.test_douyin_rules import SHOP, order
from tests.dbt_rules.test_youzan_rules import query

from orderlayer.core.config import Connection, Settings
from orderlayer.core.dbt import run_dbt, semantic_manifest
from orderlayer.core.metrics import query_metrics
from orderlayer.core.pipeline import MARTS
from orderlayer.core.pipeline import build
from orderlayer.core.warehouse import connect
from orderlayer.loader import raw_store as store


def shipped(order_id: str, *numbers: str, **overrides: object) -> dict:
    info = [{"tracking_no": n, "company": "shunfeng" if n.startswith("SF") else "yuantong"} for n in numbers]
    return order(order_id, order_status=3, ship_time=1731990000, logistics_info=info, **overrides)  # shipped 2024-11-19 04:20 UTC


def route(at: str, op: str, status: str | None = None, place: str = "深圳宝安集散中心") -> dict:
    entry = {"acceptTime": at, "acceptAddress": place, "remark": "…", "opCode": op}
    return {**entry, "firstStatusName": status} if status else entry


def kd_event(at: str, code: str | None, text: str, area: str = "上海市") -> dict:
    event = {"time": at, "ftime": at, "context": "…", "areaName": area, "status": text}
    return {**event, "statusCode": code} if code is not None else event


# D1: one SF parcel, delivered 2024-11-21 15:42:10 Beijing = 07:42:10 UTC; Douyin gives no receipt time.
D1 = shipped("7000000000000000001", "SF1000000000001")
SF1_EARLY = {"mailNo": "SF1000000000001", "routes": [route("2024-11-19 09:00:00", "50"), route("2024-11-19 12:00:00", "36")]}
SF1 = {"mailNo": "SF1000000000001", "routes": [
    route("2024-11-19 09:00:00", "50"),
    route("2024-11-19 12:00:00", "36"),
    route("2024-11-20 08:00:00", "611", "清关中"),   # no opCode row: firstStatusName decides → customs
    route("2024-11-21 09:30:00", "44"),
    route("2024-11-21 15:42:10", "80"),
    route("2024/11/21 16:00", "80"),                  # unreadable time: quarantined, not in the fact
]}
# The same SF parcel as Kuaidi100 also tracks it: the carrier's own API wins.
KD_SF1 = {"nu": "SF1000000000001", "com": "shunfeng", "state": "0", "data": [kd_event("2024-11-19 09:05:00", "1", "揽收")]}
# D2: the channel's receipt time 1732150000 = 2024-11-21 00:46:40 UTC wins over the carrier's.
D2 = shipped("7000000000000000002", "SF1000000000002", logistics_receipt_time=1732150000)
SF2 = {"mailNo": "SF1000000000002", "routes": [route("2024-11-19 09:00:00", "50"), route("2024-11-22 10:00:00", "80")]}
# D3: two parcels; YT delivered 2024-11-20 10:00 Beijing, the other still moving → not delivered, in_transit.
D3 = shipped("7000000000000000003", "YT2000000000001", "YT2000000000002")
KD_YT1 = {"nu": "YT2000000000001", "com": "yuantong", "state": "3", "ischeck": "1", "data": [
    kd_event("2024-11-19 10:00:00", "1", "揽收"), kd_event("2024-11-20 10:00:00", "3", "签收")]}
KD_YT2 = {"nu": "YT2000000000002", "com": "yuantong", "state": "0", "data": [
    kd_event("2024-11-19 11:00:00", "1", "揽收"), kd_event("2024-11-19 20:00:00", "999", "派件"),
    kd_event("2024-11-20 08:00:00", "0", "在途")]}
# D4: shipped, no carrier event yet (later: delivered, landed in a second, incremental build).
D4 = shipped("7000000000000000004", "SF1000000000004")
SF4_LATER = {"mailNo": "SF1000000000004", "routes": [route("2024-11-20 09:00:00", "50"), route("2024-11-23 18:00:00", "80")]}


def land(db: Path, source: str, stream: str, records: list[dict], keys: list[str], sync: str) -> None:
    con = connect(db, create=True)
    raw = store.RawStore(con, "raw", source, CONNECTIONS[source], sync)
    raw.append(stream, [copy.deepcopy(r) for r in records], keys, None)
    con.close()


CONNECTIONS = {"douyin": "main", "sf_express": "sf", "kuaidi100": "kd"}


def settings(db: Path) -> Settings:
    return Settings(database=db, connections={
        "main": Connection(source="douyin", shop_id=SHOP),
        "sf": Connection(source="sf_express", shop_id="SFDEMO0001"),
        "kd": Connection(source="kuaidi100", shop_id="KD100DEMO"),
    })


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("logistics_rules") / "rules.duckdb"
    land(db, "douyin", "orders", [D1, D2, D3, D4], ["shop_id", "order_id"], "sync-1")
    land(db, "sf_express", "routes", [SF1_EARLY, SF2], ["mailNo"], "sync-2")
    land(db, "sf_express", "routes", [SF1], ["mailNo"], "sync-3")  # a later version of SF1's route list
    land(db, "kuaidi100", "tracking", [KD_SF1, KD_YT1, KD_YT2], ["com", "nu"], "sync-4")
    build(settings(db), db)
    return db


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_sf_events_from_the_latest_version_with_states(warehouse: Path) -> None:
    rows = query(warehouse, """select event_at, state, native_code, native_status, location, tracking_source, is_latest
        from audit.fct_shipment_events where tracking_number = 'SF1000000000001' order by event_index""")
    assert rows == [
        (utc(2024, 11, 19, 1, 0), "picked_up", "50", None, "深圳宝安集散中心", "sf_express", False),
        (utc(2024, 11, 19, 4, 0), "in_transit", "36", None, "深圳宝安集散中心", "sf_express", False),
        (utc(2024, 11, 20, 0, 0), "customs", "611", "清关中", "深圳宝安集散中心", "sf_express", False),
        (utc(2024, 11, 21, 1, 30), "out_for_delivery", "44", None, "深圳宝安集散中心", "sf_express", False),
        (utc(2024, 11, 21, 7, 42, 10), "delivered", "80", None, "深圳宝安集散中心", "sf_express", True),
    ]


def test_unreadable_time_is_quarantined_in_staging(warehouse: Path) -> None:
    rows = query(warehouse, """select quarantine_reason from staging.stg_sf_express__route_events
        where tracking_number = 'SF1000000000001' and quarantine_reason is not null""")
    assert rows == [("missing or unparseable acceptTime",)]


def test_kuaidi100_codes_and_status_text(warehouse: Path) -> None:
    rows = query(warehouse, """select event_at, state, native_code, native_status from audit.fct_shipment_events
        where tracking_number = 'YT2000000000002' order by event_index""")
    assert rows == [
        (utc(2024, 11, 19, 3, 0), "picked_up", "1", "揽收"),
        (utc(2024, 11, 19, 12, 0), "out_for_delivery", "999", "派件"),  # unknown code: the status text decides
        (utc(2024, 11, 20, 0, 0), "in_transit", "0", "在途"),
    ]


def test_every_event_is_on_its_order(warehouse: Path) -> None:
    rows = query(warehouse, """select o.channel_order_id, count(*) from audit.fct_shipment_events e
        join audit.fct_orders o using (order_key) group by 1 order by 1""")
    assert rows == [(D1["order_id"], 5), (D2["order_id"], 2), (D3["order_id"], 5)]


def test_delivered_at_from_the_carrier_only_when_the_channel_has_none(warehouse: Path) -> None:
    rows = query(warehouse, """select channel_order_id, delivered_at, delivered_at_source from audit.fct_orders
        where channel_order_id in (?, ?, ?, ?) order by 1""", [D1["order_id"], D2["order_id"], D3["order_id"], D4["order_id"]])
    assert rows == [
        (D1["order_id"], utc(2024, 11, 21, 7, 42, 10), "carrier"),
        (D2["order_id"], utc(2024, 11, 21, 0, 46, 40), "channel"),
        (D3["order_id"], None, None),  # one parcel of two delivered
        (D4["order_id"], None, None),
    ]


def test_parcel_state_per_order(warehouse: Path) -> None:
    rows = query(warehouse, """select o.channel_order_id, p.parcels, p.parcels_with_events, p.parcel_state, p.first_carrier_event_at
        from staging.int_orders__parcels p join audit.fct_orders o using (order_key) order by 1""")
    assert rows == [
        (D1["order_id"], 1, 1, "delivered", utc(2024, 11, 19, 1, 0)),
        (D2["order_id"], 1, 1, "delivered", utc(2024, 11, 19, 1, 0)),
        (D3["order_id"], 2, 2, "in_transit", utc(2024, 11, 19, 2, 0)),
        (D4["order_id"], 1, 0, "no_carrier_event", None),
    ]


def test_a_carrier_event_alone_updates_the_order_incrementally(warehouse: Path, tmp_path: Path) -> None:
    db = tmp_path / "incremental.duckdb"
    db.write_bytes(warehouse.read_bytes())
    land(db, "sf_express", "routes", [SF4_LATER], ["mailNo"], "sync-5")
    outcome = build(settings(db), db)
    assert "incremental" in outcome.reason.lower() or "landed" in outcome.reason.lower(), outcome.reason
    rows = query(db, "select delivered_at, delivered_at_source from audit.fct_orders where channel_order_id = ?", [D4["order_id"]])
    assert rows == [(utc(2024, 11, 23, 10, 0), "carrier")]


def test_dbt_unit_tests_of_the_carrier_rules(warehouse: Path) -> None:
    """models/marts/_shipments__unit_tests.yml (and fct_orders' other unit tests, which now give int_orders__parcels)."""
    selection = ["test_type:unit,fct_shipment_events", "test_type:unit,fct_orders", "test_type:unit,order_parcels"]
    result = run_dbt(["test", "--select", *selection], settings(warehouse), warehouse)
    assert len(result.results) == 6, result.log_tail  # fct_orders 4 (refunds and parcels among them), 1 + 1
    assert result.ok, result.log_tail


def test_the_sync_hands_carriers_the_parcels_not_yet_delivered(warehouse: Path) -> None:
    """D1 (carrier-delivered) and D2 (channel-delivered) are done; D3's delivered parcel YT…001 is done, its other one
    is not; D4's parcel has no event. SF Express asks about SF numbers, Kuaidi100 about the rest (an SF connection
    exists). The masked phone 138****1234 gives the tail 1234. 60 days after shipping, nothing is tracked."""
    from orderlayer.core.carriers import waybills_for

    now = utc(2024, 11, 25)
    assert waybills_for(warehouse, "sf_express", settings(warehouse), now) == [{"number": "SF1000000000004", "phone_tail": "1234"}]
    assert waybills_for(warehouse, "kuaidi100", settings(warehouse), now) == [{"number": "YT2000000000002", "phone_tail": "1234"}]
    alone = Settings(database=warehouse, connections={"kd": Connection(source="kuaidi100", shop_id="KD100DEMO")})
    assert [w["number"] for w in waybills_for(warehouse, "kuaidi100", alone, now)] == ["SF1000000000004", "YT2000000000002"]
    assert waybills_for(warehouse, "kuaidi100", settings(warehouse), utc(2025, 1, 19)) == []


def test_parcel_metrics_from_published(warehouse: Path, tmp_path: Path) -> None:
    """parcel_orders by parcel state: D1, D2 delivered, D3 in transit, D4 no event. avg_transit_hours: D1 51.369444 h
    (2024-11-19 04:20 → 11-21 07:42:10) and D2 69.666667 h (→ 11-22 02:00), mean 60.518056 h. No delivery promise:
    the carrier on-time rate has no denominator (NULL)."""
    db = tmp_path / "metrics.duckdb"
    db.write_bytes(warehouse.read_bytes())
    con = duckdb.connect(str(db))
    try:
        con.execute("create schema if not exists published")
        for mart in MARTS:
            con.execute(f"create or replace table published.{mart} as select * from audit.{mart}")
    finally:
        con.close()
    manifest = semantic_manifest(warehouse)
    by_state = query_metrics(db, manifest, ["parcel_orders"], ["parcel_state"], None)
    assert sorted((r["parcel_state"], r["parcel_orders"]) for r in by_state.records()) == [
        ("delivered", 2), ("in_transit", 1), ("no_carrier_event", 1)]
    totals = query_metrics(db, manifest, ["in_transit_orders", "avg_transit_hours", "carrier_on_time_delivery_rate"], [], None)
    (row,) = totals.records()
    assert (row["in_transit_orders"], round(row["avg_transit_hours"], 6), row["carrier_on_time_delivery_rate"]) == (1, 60.518056, None)


def test_report_parcels_section(warehouse: Path) -> None:
    """Per channel and parcel state, with the delivered orders' mean transit (51.4 h and 69.7 h → 60.5 h)."""
    from orderlayer.core.history import _parcels

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = _parcels(con)
    finally:
        con.close()
    assert [(r["channel"], r["parcel_state"], r["orders"], r["transit_hours"]) for r in rows] == [
        ("douyin", "delivered", 2, 60.5), ("douyin", "in_transit", 1, None), ("douyin", "no_carrier_event", 1, None)]
