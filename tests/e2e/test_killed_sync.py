"""A sync killed mid-way: the next sync closes its record as `abandoned` (counting the raw rows it committed),
removes its temporary folder, and every raw row stays traceable to a sync record; files are private."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[2]
ORDERLAYER = str(Path(sys.executable).with_name("orderlayer"))
ENV = {**os.environ, "ORDERLAYER_PII_SALT": "killed-sync-test-salt"}
HEADER = ["订单号", "订单状态", "下单时间", "支付时间", "发货时间", "完成时间", "更新时间", "商品总额", "店铺优惠", "运费",
          "实付金额", "退款金额", "收货省份", "收货城市", "快递单号", "测试订单"]


def test_a_killed_sync_is_closed_cleaned_and_traceable(tmp_path: Path) -> None:
    shutil.copy(ROOT / "docs" / "examples" / "file-source" / "wechat_shop.yml", tmp_path / "wechat_shop.yml")
    exports = tmp_path / "exports"
    exports.mkdir()
    with (exports / "wechat_orders_big.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(20_000):
            writer.writerow([f"WX{i:06d}", "待发货", "2026/10/08 12:00:00", "2026/10/08 12:00:30", "", "", "", "9.90",
                             "0.00", "8.00", "17.90", "0.00", "上海市", "上海市", "", "否"])
    book = Workbook()
    book.active.title = "商品明细"
    book.active.append(["订单号", "商品编码", "商品名称", "数量", "单价", "小计"])
    book.save(exports / "wechat_order_items_big.xlsx")
    (tmp_path / "orderlayer.yml").write_text(
        "database: wh.duckdb\nconnections:\n  wechat:\n    source: files\n    shop_id: wx-shop-01\n"
        "    options:\n      mapping: wechat_shop.yml\n",
        encoding="utf-8",
    )
    temp_root = tmp_path / ".sync-tmp"

    killed = subprocess.Popen([ORDERLAYER, "sync"], cwd=tmp_path, env=ENV, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (temp_root.is_dir() and any(temp_root.iterdir())):
        assert killed.poll() is None and time.monotonic() < deadline, "the sync never started its tap"
        time.sleep(0.05)
    time.sleep(1.0)
    os.killpg(killed.pid, signal.SIGKILL)  # the CLI, its tap and its target
    killed.wait()
    time.sleep(0.5)
    assert [p.name.split("-")[1] for p in temp_root.iterdir()] == [str(killed.pid)]

    again = subprocess.run([ORDERLAYER, "sync"], cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "closed as abandoned" in again.stderr and "Traceback" not in again.stderr
    assert list(temp_root.iterdir()) == []

    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    syncs = con.execute("select sync_id, status, rows_added from ops.sync_runs order by started_at").fetchall()
    raw_tables = [r[0] for r in con.execute("select table_name from information_schema.tables where table_schema = 'raw'").fetchall()]
    every_row = " union all ".join(f'select _sync_id from raw."{t}"' for t in raw_tables)
    landed = con.execute(f"select _sync_id, count(*) from ({every_row}) group by 1").fetchall()
    per_sync = dict(landed)
    untraced = sum(n for sync_id, n in landed if sync_id not in {s[0] for s in syncs})
    con.close()
    assert [s[1] for s in syncs] == ["abandoned", "ok"]
    (first, _, first_rows), (second, _, second_rows) = syncs
    assert first_rows == per_sync.get(first, 0)
    assert untraced == 0
    assert first_rows + second_rows == sum(per_sync.values())
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert (mode(tmp_path / "wh.duckdb"), mode(tmp_path / "logs"), mode(temp_root)) == (0o600, 0o700, 0o700)
