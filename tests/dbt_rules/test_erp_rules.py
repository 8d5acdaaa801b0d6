"""The ERP staging rules (SAP, Kingdee, Yonyou) on hand-written raw records, each with a hand-computed value.

Records are shaped like the platforms send them (and as the taps emit them), landed with the real loader store,
and the ERP staging models plus the ERP order model on top are built once for the module with dbt, with all
three ERPs switched on (var ``orderlayer_erps``).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orderlayer.core.dbt import project_dir
from orderlayer.core.warehouse import connect
from orderlayer.loader import raw_store as store

D = Decimal


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


# ----------------------------------------------------------------------------- SAP (A_SalesOrder + to_Item)
def sap_item(no: str, net: str, tax: str, reason: str = "") -> dict:
    return {"SalesOrderItem": no, "NetAmount": net, "TaxAmount": tax, "SalesDocumentRjcnReason": reason, "Material": "FG-1001"}


def sap_order(so: str, **overrides) -> dict:
    base = {
        "__metadata": {"type": "API_SALES_ORDER_SRV.A_SalesOrderType"},
        "SalesOrder": so,
        "SalesOrganization": "1710",
        "SoldToParty": "1000231",
        "PurchaseOrderByCustomer": "",
        "CreationDate": "/Date(1714521600000)/",  # 2024-05-01T00:00:00Z (a date)
        "SalesOrderDate": "/Date(1714521600000)/",
        "LastChangeDateTime": "/Date(1714555230388+0000)/",  # 2024-05-01T09:20:30.388Z
        "TotalNetAmount": "100.00",
        "TransactionCurrency": "CNY",
        "OverallSDProcessStatus": "A",
        "OverallTotalDeliveryStatus": "A",
        "OverallSDDocumentRejectionSts": "A",
        "to_Item": {"results": [sap_item("10", "100.00", "13.00")]},
    }
    base.update(overrides)
    return base


# Completed; reference padded by hand; Decimal(16,3) net with a zero third decimal; two items:
# net 1000.00 + 250.00 = 1250.00, tax 130.00 + 32.50 = 162.50, gross 1412.50.
SAP_A = sap_order(
    "10000042",
    PurchaseOrderByCustomer="  JD-3051234567890123456 ",
    TotalNetAmount="1250.000",
    OverallSDProcessStatus="C",
    OverallTotalDeliveryStatus="C",
    to_Item={"results": [sap_item("10", "1000.00", "130.00"), sap_item("20", "250.00", "32.50")]},
)
# An older version of SAP_A (still open), landed after it.
SAP_A_V1 = {**copy.deepcopy(SAP_A), "OverallSDProcessStatus": "A", "OverallTotalDeliveryStatus": "A", "LastChangeDateTime": "/Date(1714530000000+0000)/"}
# Every item rejected: SAP's net value is 0, the order keeps its items' value (100.00 + 13.00).
SAP_CANCELLED = sap_order(
    "10000043",
    TotalNetAmount="0.00",
    OverallSDProcessStatus="C",
    OverallTotalDeliveryStatus="",
    OverallSDDocumentRejectionSts="C",
    to_Item={"results": [sap_item("10", "60.00", "7.80", "10"), sap_item("20", "40.00", "5.20", "10")]},
)
# One of two items rejected: only the open item counts (50.00 + 6.50 = 56.50); partly delivered.
SAP_PARTIAL = sap_order(
    "10000044",
    TotalNetAmount="50.00",
    OverallSDProcessStatus="B",
    OverallTotalDeliveryStatus="B",
    OverallSDDocumentRejectionSts="B",
    to_Item={"results": [sap_item("10", "50.00", "6.50"), sap_item("20", "20.00", "2.60", "10")]},
)
# Right after creation CreationDate is null: SalesOrderDate (2024-05-02) stands in.
SAP_NEW = sap_order("10000045", CreationDate=None, SalesOrderDate="/Date(1714608000000)/")
SAP_UNKNOWN_STATUS = sap_order("10000046", OverallSDProcessStatus="X")
SAP_BAD_CHANGE = sap_order("10000901", LastChangeDateTime="2024-05-01T09:20:30Z")
SAP_BAD_NET = sap_order("10000902", TotalNetAmount="1.250,00")
SAP_FRACTIONAL = sap_order("10000903", TotalNetAmount="12.345")
SAP_BAD_TAX = sap_order("10000904", to_Item={"results": [sap_item("10", "100.00", "n/a")]})
SAP_BAD_DATE = sap_order("10000905", CreationDate="yesterday")
SAP_NO_ITEMS = {k: v for k, v in sap_order("10000906").items() if k != "to_Item"}

SAP_RECORDS = [SAP_A, SAP_CANCELLED, SAP_PARTIAL, SAP_NEW, SAP_UNKNOWN_STATUS, SAP_BAD_CHANGE, SAP_BAD_NET, SAP_FRACTIONAL, SAP_BAD_TAX, SAP_BAD_DATE, SAP_NO_ITEMS]


# ----------------------------------------------------------------------------- Kingdee (bills of ExecuteBillQuery rows)
def kd_bill(fid: int, bill_no: str, **overrides) -> dict:
    base = {
        "FID": fid,
        "FBillNo": bill_no,
        "FDate": "2024-05-01T00:00:00",  # Beijing midnight = 2024-04-30T16:00:00Z
        "FModifyDate": "2024-05-01T09:30:15",
        "FSaleOrgId.FNumber": "100",
        "FCustId.FNumber": "CUST0001",
        "FDocumentStatus": "C",
        "FCloseStatus": "A",
        "FCancelStatus": "A",
        "FSettleCurrId.FNumber": "PRE001",
        "FBillAmount": D("100.00"),
        "FBillTaxAmount": D("13.00"),
        "FBillAllAmount": D("113.00"),
        "F_ora_ChannelOrderNo": "",
        "FSaleOrderEntry": [{"FSaleOrderEntry_FEntryID": fid * 10 + 1, "FQty": D("2"), "FBaseRemainOutQty": D("2")}],
    }
    base.update(overrides)
    return base


# Audited, one of two entries shipped (remaining 0 + 1 < ordered 2 + 1): in process; sub-second modify time.
KD_A = kd_bill(
    100042,
    "XSDD000042",
    FModifyDate="2024-05-01T09:30:15.123",  # Beijing → 2024-05-01T01:30:15Z (sub-seconds dropped)
    FBillAmount=D("1000.0000000000"),
    FBillTaxAmount=D("130.00"),
    FBillAllAmount=D("1130.00"),
    F_ora_ChannelOrderNo="DY6936476692437472563",
    FSaleOrderEntry=[
        {"FSaleOrderEntry_FEntryID": 1000421, "FQty": D("2"), "FBaseRemainOutQty": D("0")},
        {"FSaleOrderEntry_FEntryID": 1000422, "FQty": D("1"), "FBaseRemainOutQty": D("1")},
    ],
)
# A bare date (midnight) and a closed bill in US dollars.
KD_CLOSED = kd_bill(100043, "XSDD000043", FDate="2024-05-02", FCloseStatus="B", **{"FSettleCurrId.FNumber": "USD"})
# Voided; an amount a double cannot hold (99999999999999.99 → …98 through a float).
KD_VOID = kd_bill(100044, "XSDD000044", FDocumentStatus="D", FCancelStatus="B", FBillAmount=D("88495575221238.93"),
                  FBillTaxAmount=D("11504424778761.06"), FBillAllAmount=D("99999999999999.99"))
# Under review (B): open; an unknown currency number.
KD_REVIEW = kd_bill(100045, "XSDD000045", FDocumentStatus="B", **{"FSettleCurrId.FNumber": "PRE999"})
KD_BAD_MODIFY = kd_bill(100901, "XSDD000901", FModifyDate="soon")
KD_BAD_AMOUNT = kd_bill(100902, "XSDD000902", FBillAllAmount="abc")
KD_FRACTIONAL = kd_bill(100903, "XSDD000903", FBillAllAmount=D("113.005"))
KD_NO_BILLNO = kd_bill(100904, "")

KD_RECORDS = [KD_A, KD_CLOSED, KD_VOID, KD_REVIEW, KD_BAD_MODIFY, KD_BAD_AMOUNT, KD_FRACTIONAL, KD_NO_BILLNO]


# ----------------------------------------------------------------------------- Yonyou (orders regrouped from list rows)
def yy_order(oid: int, code: str, **overrides) -> dict:
    base = {
        "id": oid,
        "code": code,
        "vouchdate": "2024-05-01 00:00:00",  # Beijing midnight = 2024-04-30T16:00:00Z
        "pubts": "2024-05-01 08:00:00",  # = 2024-05-01T00:00:00Z
        "salesOrgId": 1525331250000000,
        "agentId": 2216637563393289,
        "agentId_code": "C00001",
        "nextStatusName": "CONFIRMORDER",
        "currency": "1907236547575040",
        "currency_code": "CNY",
        "currency_name": "人民币",
        "payMoney": D("113"),
        "srcBillNO": None,
        "orderDetails": [{"lineno": 10, "oriMoney": D("100"), "oriSum": D("113"), "oriTax": D("13")}],
    }
    base.update(overrides)
    return base


# Delivered; an id beyond 2**53; two lines: net 600 + 400 = 1000.00, tax 78 + 52 = 130.00, gross 1130.00.
YY_A = yy_order(
    9007199254740993,
    "UO-164820240501000001",
    nextStatusName="DELIVERGOODS",
    payMoney=D("1130"),
    srcBillNO="meituan_20251207152344_8892",
    orderDetails=[
        {"lineno": 10, "oriMoney": D("600"), "oriSum": D("678"), "oriTax": D("78")},
        {"lineno": 20, "oriMoney": D("400"), "oriSum": D("452"), "oriTax": D("52")},
    ],
)
# Rejected (OPPOSE); no customer code (the archive id stands in); net from oriSum − oriTax; currency by name.
YY_OPPOSED = yy_order(
    9007199254741000,
    "UO-164820240501000002",
    nextStatusName="OPPOSE",
    agentId_code=None,
    currency="1907236547575041",
    currency_code=None,
    currency_name="美元",
    payMoney=D("56.5"),
    orderDetails=[{"lineno": 10, "oriSum": D("56.5"), "oriTax": D("6.5")}],
)
YY_UNKNOWN_STATUS = yy_order(9007199254741007, "UO-164820240501000003", nextStatusName="SOMETHING_NEW")
YY_BAD_PUBTS = yy_order(9007199254741901, "UO-164820240501000901", pubts="2024/05/01 08:00")
YY_BAD_MONEY = yy_order(9007199254741902, "UO-164820240501000902", payMoney="n/a")
YY_NO_LINES = yy_order(9007199254741903, "UO-164820240501000903", orderDetails=[])

YY_RECORDS = [YY_A, YY_OPPOSED, YY_UNKNOWN_STATUS, YY_BAD_PUBTS, YY_BAD_MONEY, YY_NO_LINES]

MODELS = ["stg_sap__sales_orders", "stg_kingdee__sales_orders", "stg_yonyou__sales_orders", "int_erp_orders__current"]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("erp_rules")
    db = tmp / "erp.duckdb"
    con = connect(db, create=True)
    for erp, records, keys, rk in (
        ("sap", SAP_RECORDS, ["SalesOrder"], "LastChangeDateTime"),
        ("kingdee", KD_RECORDS, ["FID"], "FModifyDate"),
        ("yonyou", YY_RECORDS, ["id"], "pubts"),
    ):
        raw = store.RawStore(con, "raw", erp, f"{erp}-main", "sync-1")
        raw.append("sales_orders", [copy.deepcopy(r) for r in records], keys, rk)
    late = store.RawStore(con, "raw", "sap", "sap-main", "sync-2")
    late.append("sales_orders", [copy.deepcopy(SAP_A_V1)], ["SalesOrder"], "LastChangeDateTime")
    con.close()
    root = project_dir()
    env = {**os.environ, "ORDERLAYER_DB": str(db), "DBT_PROFILES_DIR": str(root), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    # own target/log paths: other builds may run in the same checkout at the same time
    cmd = [
        str(Path(sys.executable).with_name("dbt")), "build", "--select", *MODELS,
        "--vars", json.dumps({"orderlayer_erps": ["sap", "kingdee", "yonyou"]}),
        "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs"),
    ]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return db


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


COLUMNS = "erp_system, erp_company, erp_order_id, erp_customer, channel_reference, ordered_at, erp_updated_at, status_native, status, order_amount, net_amount, tax_amount, currency, refund_amount"


def staged(db: Path, erp: str, order_id: str) -> list[tuple]:
    return rows(db, f"select {COLUMNS} from staging.stg_{erp}__sales_orders where erp_order_id = ? and quarantine_reason is null order by erp_updated_at", [order_id])


def test_the_three_models_share_one_contract(warehouse: Path) -> None:
    described = {
        erp: rows(warehouse, f"select column_name, data_type from information_schema.columns where table_schema = 'staging' and table_name = 'stg_{erp}__sales_orders' order by ordinal_position")
        for erp in ("sap", "kingdee", "yonyou")
    }
    assert described["sap"] == described["kingdee"] == described["yonyou"]
    assert [c for c, _ in described["sap"]] == [
        "raw_record_id", "connection_name", "source_synced_at", "erp_system", "erp_company", "erp_order_id", "erp_customer",
        "channel_reference", "ordered_at", "erp_updated_at", "status_native", "status", "order_amount", "net_amount",
        "tax_amount", "currency", "refund_amount", "quarantine_reason",
    ]
    assert {t for c, t in described["sap"] if c.endswith("amount")} == {"DECIMAL(18,2)"}
    assert {t for c, t in described["sap"] if c.endswith("_at")} == {"TIMESTAMP WITH TIME ZONE"}


def test_sap_dates_references_amounts_and_status(warehouse: Path) -> None:
    v1, v2 = staged(warehouse, "sap", "10000042")  # one row per raw version
    assert v2 == (
        "sap", "1710", "10000042", "1000231", "JD-3051234567890123456",
        utc(2024, 5, 1), datetime(2024, 5, 1, 9, 20, 30, 388000, tzinfo=timezone.utc),
        "C/C/A", "completed", D("1412.50"), D("1250.00"), D("162.50"), "CNY", None,
    )
    assert (v1[6], v1[8]) == (utc(2024, 5, 1, 2, 20), "open")  # /Date(1714530000000+0000)/


def test_sap_rejections(warehouse: Path) -> None:
    cancelled = staged(warehouse, "sap", "10000043")[0]
    assert cancelled[7:12] == ("C//C", "cancelled", D("113.00"), D("100.00"), D("13.00"))
    partial = staged(warehouse, "sap", "10000044")[0]
    assert partial[7:12] == ("B/B/B", "in_process", D("56.50"), D("50.00"), D("6.50"))


def test_sap_fallbacks_and_unknown_status(warehouse: Path) -> None:
    new = staged(warehouse, "sap", "10000045")[0]
    assert (new[4], new[5], new[8]) == (None, utc(2024, 5, 2), "open")  # "" reference → NULL
    assert staged(warehouse, "sap", "10000046")[0][7:9] == ("X/A/A", None)


def test_kingdee_local_times_amounts_currency_and_status(warehouse: Path) -> None:
    assert staged(warehouse, "kingdee", "XSDD000042")[0] == (
        "kingdee", "100", "XSDD000042", "CUST0001", "DY6936476692437472563",
        utc(2024, 4, 30, 16), utc(2024, 5, 1, 1, 30, 15),
        "C/A/A", "in_process", D("1130.00"), D("1000.00"), D("130.00"), "CNY", None,
    )
    closed = staged(warehouse, "kingdee", "XSDD000043")[0]
    assert (closed[5], closed[8], closed[12]) == (utc(2024, 5, 1, 16), "completed", "USD")
    void = staged(warehouse, "kingdee", "XSDD000044")[0]
    assert (void[7], void[8], void[9]) == ("D/A/B", "cancelled", D("99999999999999.99"))  # digit for digit
    review = staged(warehouse, "kingdee", "XSDD000045")[0]
    assert (review[8], review[12]) == ("open", None)


def test_yonyou_ids_times_amounts_currency_and_status(warehouse: Path) -> None:
    assert staged(warehouse, "yonyou", "UO-164820240501000001")[0] == (
        "yonyou", "1525331250000000", "UO-164820240501000001", "C00001", "meituan_20251207152344_8892",
        utc(2024, 4, 30, 16), utc(2024, 5, 1),
        "DELIVERGOODS", "in_process", D("1130.00"), D("1000.00"), D("130.00"), "CNY", None,
    )
    opposed = staged(warehouse, "yonyou", "UO-164820240501000002")[0]
    assert opposed[3] == "2216637563393289" and opposed[8:13] == ("cancelled", D("56.50"), D("50.00"), D("6.50"), "USD")
    assert staged(warehouse, "yonyou", "UO-164820240501000003")[0][7:9] == ("SOMETHING_NEW", None)


def test_malformed_versions_are_quarantined_with_their_reason(warehouse: Path) -> None:
    reasons = dict(
        rows(warehouse, "select erp_system || ':' || coalesce(erp_order_id, '?'), quarantine_reason from staging.stg_sap__sales_orders where quarantine_reason is not null")
        + rows(warehouse, "select erp_system || ':' || coalesce(erp_order_id, '?'), quarantine_reason from staging.stg_kingdee__sales_orders where quarantine_reason is not null")
        + rows(warehouse, "select erp_system || ':' || coalesce(erp_order_id, '?'), quarantine_reason from staging.stg_yonyou__sales_orders where quarantine_reason is not null")
    )
    assert reasons == {
        "sap:10000901": "missing or unparseable LastChangeDateTime",
        "sap:10000902": "non-numeric TotalNetAmount",
        "sap:10000903": "non-numeric TotalNetAmount",
        "sap:10000904": "missing or non-numeric item TaxAmount",
        "sap:10000905": "unparseable CreationDate",
        "sap:10000906": "no to_Item results (the gross amount needs the items)",
        "kingdee:XSDD000901": "missing or unparseable FModifyDate",
        "kingdee:XSDD000902": "missing or non-numeric FBillAllAmount",
        "kingdee:XSDD000903": "fractional-cent or out-of-range FBillAllAmount",
        "kingdee:?": "missing FBillNo",
        "yonyou:UO-164820240501000901": "missing or unparseable pubts",
        "yonyou:UO-164820240501000902": "missing or non-numeric payMoney",
        "yonyou:UO-164820240501000903": "no order lines",
    }


def test_erp_order_model_keeps_the_latest_valid_version(warehouse: Path) -> None:
    current = rows(warehouse, "select erp_system, count(*), count(distinct erp_order_id) from staging.int_erp_orders__current group by 1 order by 1")
    assert current == [("kingdee", 4, 4), ("sap", 5, 5), ("yonyou", 3, 3)]
    # the late, older SAP version does not win
    assert rows(warehouse, "select status, order_amount from staging.int_erp_orders__current where erp_order_id = '10000042'") == [("completed", D("1412.50"))]
