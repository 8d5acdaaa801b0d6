"""A file source that maps a cancel-time column, built by the real dbt project (D-009, D-033).

The committed example maps none, and `orderlayer build` writes generated models into the project itself, so
this test renders a variant of the example mapping into a temporary copy of the dbt project and builds that on
rows landed by the real loader store, shaped as tap-files emits them. Expected values are computed by hand.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from orderlayer.core.filesource import render
from orderlayer.taps.files.mapping import load_mapping
from orderlayer.core.warehouse import connect
from orderlayer.loader import raw_store as store
from tests.files.support import query

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "file-source" / "wechat_shop.yml"
SHOP = "wx-shop-01"
FILE = "wechat_orders_cancel.csv"
MODIFIED = "2026-10-07T00:00:00+00:00"


def row(line: int, order_id: str, status: str, cancelled: str, updated: str) -> dict:
    """One orders-export row as tap-files lands it: every cell as text, keyed by its header."""
    cells = {"订单号": order_id, "订单状态": status, "下单时间": "2026/10/05 21:00:00", "支付时间": "2026/10/05 21:01:00",
             "更新时间": updated, "商品总额": "20.00", "实付金额": "20.00", "取消时间": cancelled}
    return {"shop_id": SHOP, "order_id": order_id, "file": FILE, "line": line, "modified_at": MODIFIED, "row": cells,
            "extra_cells": 0, "numeric_cells": []}


ROWS = [
    # cancelled 21:30 Beijing = 13:30 UTC; the export row was last updated the next morning (09:00 Beijing = 01:00 UTC)
    row(2, "WXC1", "已取消", "2026/10/05 21:30:00", "2026/10/06 09:00:00"),
    # cancelled, the cell left empty: the first version seen cancelled (10:00 Beijing = 02:00 UTC) stands in
    row(3, "WXC2", "已取消", "", "2026/10/06 10:00:00"),
    # completed, with a stray cancel time in the cell: not cancelled, so no cancel time
    row(4, "WXC3", "已完成", "2026/10/05 22:00:00", "2026/10/06 11:00:00"),
    # a cancel time typed by hand: quarantined with file, line and cell
    row(5, "WXC4", "已取消", "昨天", "2026/10/06 12:00:00"),
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("file-cancel-time")
    project = work / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(ROOT / name, project / name)
    for folder in ("models", "macros", "seeds", "semantic", "docs"):
        shutil.copytree(ROOT / folder, project / folder)
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["columns"]["cancelled_at"] = "取消时间"
    mapping_path = work / "wechat_shop.yml"
    mapping_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    staging = project / "models" / "staging" / "wechat_shop"
    for name, text in render(load_mapping(mapping_path), mapping_path.name).items():
        (staging / name).write_text(text, encoding="utf-8")

    db = work / "wh.duckdb"
    con = connect(db, create=True)
    store.RawStore(con, "raw", "wechat_shop", "wechat", "sync-1").append("orders", ROWS, ["shop_id", "order_id"], "modified_at")
    con.close()
    variables = {"orderlayer_channels": ["douyin", "wechat_shop"], "orderlayer_file_channels": ["wechat_shop"],
                 "orderlayer_shops": [{"channel": "wechat_shop", "shop_id": SHOP, "timezone": "Asia/Shanghai", "currency": "CNY"}]}
    env = {**os.environ, "ORDERLAYER_DB": str(db), "DBT_PROFILES_DIR": str(project), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "TZ": "America/New_York"}  # rule T5
    cmd = [str(Path(sys.executable).with_name("dbt")), "build", "--select", "@stg_wechat_shop__orders",
           "--exclude-resource-type", "unit_test", "--vars", json.dumps(variables)]
    built = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stdout[-4000:]
    return db


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_the_mapped_cancel_time_wins_over_the_observation(warehouse: Path) -> None:
    rows = query(warehouse, """select channel_order_id, status, cancelled_at, cancelled_at_source from audit.fct_orders
                               order by channel_order_id""")
    assert rows == [
        ("WXC1", "cancelled", utc(2026, 10, 5, 13, 30), "platform"),
        ("WXC2", "cancelled", utc(2026, 10, 6, 2, 0), "observed"),
        ("WXC3", "completed", None, None),
    ]
    events = query(warehouse, """select o.channel_order_id, e.event_at from audit.fct_order_events e join audit.fct_orders o
                                 using (order_key) where e.event_type = 'cancelled' order by 1""")
    assert events == [("WXC1", utc(2026, 10, 5, 13, 30)), ("WXC2", utc(2026, 10, 6, 2, 0))]


def test_a_stray_cancel_time_on_a_row_not_cancelled_is_dropped_in_staging(warehouse: Path) -> None:
    assert query(warehouse, "select cancelled_at from staging.stg_wechat_shop__orders where channel_order_id = 'WXC3'") == [(None,)]


def test_an_unreadable_cancel_time_is_quarantined_with_file_and_line(warehouse: Path) -> None:
    assert query(warehouse, "select channel_order_id, quarantine_reason from quarantine.quarantine_orders") == [
        ("WXC4", f"{FILE} line 5: unparseable cancelled_at (取消时间 = 昨天)"),
    ]
