"""No single record stops a build, and nothing suspicious lands silently (issue 14, items 1, 2 and 5's fuzz).

One file source warehouse, built once through the CLI (`sync` + `build`), from two exports:
- `wechat_orders_poison.csv`: one hand-written row per defect the torture run found on main, each with its
  hand-written reason. On main, line 3 (an order time of `0`) failed the build with
  `NOT NULL constraint failed: fct_orders__dbt_tmp.ordered_at` and line 7's bad byte ended the file with a
  UnicodeDecodeError naming no file or line.
- four Douyin API records landed beside them: an order id `0`, a negative payment, an order time of epoch 0 and
  one of epoch + 1 day (1970-01-02, before the sentinel floor) — an API record's reason names the channel, the
  order id and the raw record id.
- `wechat_orders_fuzz.csv`: 2,400 generated rows, a third of them hostile (tests/hostile/hostile_rows.py), checked
  by accounting: rows in = facts + quarantined + skipped blank, every quarantine reason naming its file and line.
"""

from __future__ import annotations

import copy
import csv
import io
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orderlayer.core.warehouse import connect
from orderlayer.loader import raw_store as store
from tests.dbt_rules.test_douyin_rules import order as douyin_order
from tests.hostile.hostile_rows import HEADER, Expected, write_export

ROOT = Path(__file__).resolve().parents[2]
ORDERLAYER = str(Path(sys.executable).with_name("orderlayer"))
FUZZ_ROWS = 2400

GOOD = ["待发货", "2026/10/05 21:07:33", "2026/10/05 21:10:00", "", "", "2026/10/05 21:10:00", "10.00", "0.00", "0.00",
        "10.00", "0.00", "浙江省", "杭州市", "SF100", "否"]


def _row(order_id: str, **cells: str) -> list[str]:
    row = [order_id, *GOOD]
    for name, value in cells.items():
        row[HEADER.index(name)] = value
    return row


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


# line → (row, the whole quarantine reason); lines 2 and 13 are the same good order A1
POISON = {
    3: (_row("A2", 下单时间="0"), "missing or sentinel ordered_at (下单时间 = 0)"),
    4: (_row("A3", 下单时间="1970/01/01 08:00:00"), "missing or sentinel ordered_at (下单时间 = 1970/01/01 08:00:00)"),
    5: (_row("A4", 下单时间="0000-00-00 00:00:00"), "missing or sentinel ordered_at (下单时间 = 0000-00-00 00:00:00)"),
    6: (_row("A5", 下单时间="1970-01-01T00:00:00Z"), "missing or sentinel ordered_at (下单时间 = 1970-01-01T00:00:00Z)"),
    8: (_row("N/A"), "missing or placeholder channel_order_id (订单号 = N/A)"),
    9: (_row("0"), "missing or placeholder channel_order_id (订单号 = 0)"),
    10: (_row("1.23457E+18"), "missing or placeholder channel_order_id (订单号 = 1.23457E+18)"),
    11: (_row("A9", 实付金额="-5.00"), "negative paid_amount -5.00"),
    12: (_row("A10", 实付金额="9999999999999999.99"),
         "paid_amount 9999999999999999.99 is above the ceiling 10000000 for CNY (var orderlayer_amount_ceilings)"),
    14: (_row("A11", 收货城市="SF1234567890123"), "receiver_city (收货城市 = SF1234567890123) is not a place name (a shifted row?)"),
    # a row missing its province cell: the city sits under 收货省份, the tracking number under 收货城市
    15: (_row("A12")[:12] + ["杭州市", "SF100", "否"], "1 cell(s) fewer than the header (a shifted or cut row)"),
    16: (_row("A13", 实付金额="20.00"),
         "conflicting version of order A13 — same source_updated_at 2026-10-05T13:10:00Z as wechat_orders_poison.csv "
         "line 17, different content; the later landing wins (D-051)"),
    17: (_row("A13", 实付金额="30.00"), None),
    18: (_row("A14", 快递单号="X" * 140_000), "column 快递单号 holds 140,000 characters, over the 131,072 limit"),
}


DOUYIN = [
    douyin_order("0"),
    douyin_order("6936476692437479001", pay_amount=-500),
    douyin_order("6936476692437479002", create_time=0),
    douyin_order("6936476692437479003", create_time=86400),
]


def _poison_export(path: Path) -> None:
    lines = {2: _row("A1"), 13: _row("\ufeffA1"), 19: _row("A15")}  # a BOM-prefixed id is the same order A1
    lines.update({n: row for n, (row, _) in POISON.items()})
    data = b"\xef\xbb\xbf" + _csv([HEADER])
    for n in range(2, 20):
        if n == 7:  # an undecodable byte inside the city: the row is quarantined, the file is read on
            data += _csv([_row("A6")]).replace("杭州市".encode(), "杭".encode() + b"\xff\xfe" + "市".encode())
        else:
            data += _csv([lines[n]])
    path.write_bytes(data)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "ORDERLAYER_PII_SALT": "hostile-test-salt"}
    return subprocess.run([ORDERLAYER, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def _query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Expected]:
    work = tmp_path_factory.mktemp("hostile")
    shutil.copy(ROOT / "docs" / "examples" / "file-source" / "wechat_shop.yml", work / "wechat_shop.yml")
    (work / "exports").mkdir()
    _poison_export(work / "exports" / "wechat_orders_poison.csv")
    expected = write_export(work / "exports" / "wechat_orders_fuzz.csv", FUZZ_ROWS, seed=14)
    (work / "orderlayer.yml").write_text(
        "database: wh.duckdb\nconnections:\n  wechat:\n    source: files\n    shop_id: wx-shop-01\n"
        "    options:\n      mapping: wechat_shop.yml\n",
        encoding="utf-8",
    )
    synced = _cli("sync", cwd=work)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    con = connect(work / "wh.duckdb")
    raw = store.RawStore(con, "raw", "douyin", "douyin_api", "sync-api")
    raw.append("orders", [copy.deepcopy(r) for r in DOUYIN], ["shop_id", "order_id"], "update_time")
    con.close()
    built = _cli("build", cwd=work)
    assert built.returncode == 0, built.stdout + built.stderr
    return work / "wh.duckdb", expected


def test_every_poison_record_is_quarantined_with_file_line_and_field(built: tuple[Path, Expected]) -> None:
    db, _ = built
    reasons = dict(_query(db, """
        select quarantine_reason, channel_order_id from quarantine.quarantine_orders
        where quarantine_reason like 'wechat_orders_poison.csv%'"""))
    expected = {f"wechat_orders_poison.csv line {n}: {reason}" for n, (_, reason) in POISON.items() if reason}
    expected.add("wechat_orders_poison.csv line 7: bytes 0xFF 0xFE are not utf-8-sig in column 收货城市")
    assert set(reasons) == expected


def test_the_rest_of_the_file_lands_and_builds(built: tuple[Path, Expected]) -> None:
    db, _ = built
    # A1 (twice: plain and BOM-prefixed, one order), A13 at its later line's amount, A15 after every bad row
    assert _query(db, """
        select channel_order_id, paid_amount from audit.fct_orders
        where channel_order_id in ('A1', 'A13', 'A15') or channel_order_id like '%A1' order by 1""") == [
        ("A1", Decimal("10.00")), ("A13", Decimal("30.00")), ("A15", Decimal("10.00"))]
    assert _query(db, "select count(*) from audit.fct_orders where paid_amount < 0 or paid_amount > 10000000") == [(0,)]


def test_fuzzed_rows_are_all_accounted_for(built: tuple[Path, Expected]) -> None:
    db, expected = built
    facts = {r[0] for r in _query(db, "select channel_order_id from audit.fct_orders where channel_order_id like 'F14-%'")}
    quarantined = _query(db, """
        select quarantine_reason from quarantine.quarantine_orders where quarantine_reason like 'wechat_orders_fuzz.csv%'""")
    lines = {}
    for (reason,) in quarantined:
        head, _, text = reason.partition(": ")
        lines[int(head.removeprefix("wechat_orders_fuzz.csv line "))] = text
    assert facts == expected.facts
    assert {n: expected.quarantined[n] in text for n, text in lines.items()} == dict.fromkeys(expected.quarantined, True)
    # rows in = facts + quarantined + skipped blank (a conflict is two rows: one fact, one quarantined)
    raw = _query(db, "select count(*) from raw.wechat_shop__orders where _record ->> 'file' = 'wechat_orders_fuzz.csv'")
    assert raw == [(expected.rows,)]
    assert expected.rows_in == len(facts) + len(lines) + expected.blank
    assert len(lines) > FUZZ_ROWS // 4  # about a third is hostile: the fuzz really is hostile


def test_api_records_name_channel_order_id_and_raw_record(built: tuple[Path, Expected]) -> None:
    db, _ = built
    found = dict(_query(db, """
        select q.channel_order_id, q.quarantine_reason from quarantine.quarantine_orders q
        join raw.douyin__orders r on r._record_hash = q.raw_record_id where r._connection = 'douyin_api'"""))
    assert set(found) == {"0", "6936476692437479001", "6936476692437479002", "6936476692437479003"}
    assert re.fullmatch(r'douyin order "0" \(raw record [0-9a-f]{64}\): placeholder channel_order_id', found["0"])
    assert re.fullmatch(r'douyin order "6936476692437479001" \(raw record [0-9a-f]{64}\): negative paid_amount -5.00',
                        found["6936476692437479001"])
    # the order time is typed in staging: its reason names the platform field; epoch 0 and epoch + 1 day are both
    # sentinels, so neither reaches fct_orders with a 1970 order time
    assert found["6936476692437479002"] == found["6936476692437479003"] == "missing or unparseable create_time"
    assert _query(db, "select count(*) from audit.fct_orders where ordered_at < timestamptz '1971-01-01 00:00:00+00'") == [(0,)]
