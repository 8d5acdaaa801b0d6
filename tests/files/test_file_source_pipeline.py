"""A file source end to end through the CLI: exports → tap-files → raw → generated staging → marts/quarantine.

The exports are written by hand here, so every expected value below is computed by hand from them.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.files.support import query

ROOT = Path(__file__).resolve().parents[2]
ORDERLAYER = str(Path(sys.executable).with_name("orderlayer"))
HEADER = ["订单号", "订单状态", "下单时间", "支付时间", "发货时间", "完成时间", "更新时间", "商品总额", "店铺优惠", "运费",
          "实付金额", "退款金额", "收货省份", "收货城市", "快递单号", "测试订单"]
ROWS = [
    # line 2: completed; Beijing times; two tracking numbers, one repeated
    ["WX001", "已完成", "2026/10/05 21:07:33", "2026/10/05 21:10:00", "2026/10/06 09:00:00", "2026/10/12 10:00:00",
     "2026/10/12 10:00:00", "207.90", "10.00", "0.00", "197.90", "0.00", "浙江省", "杭州市", "SF2; SF1 ;SF2", "否"],
    # line 3: paid, then refunded in full
    ["WX002", "已退款", "2026/10/06 10:00:00", "2026/10/06 10:01:00", "", "", "2026/10/08 10:00:00", "50.00", "0.00",
     "0.00", "50.00", "50.00", "广东省", "深圳市", "", "否"],
    # lines 4-5: one row, its city cell spans two lines; an ISO time with an offset; ten fen
    ["WX003", "待发货", "2026-10-07T08:00:00+08:00", "2026-10-07T08:00:05+08:00", "", "", "", "0.10", "0.00", "0.00",
     "0.10", "0.00", "浙江省", "杭州市\n西湖区", "", "否"],
    # line 6: a test order
    ["WX004", "待发货", "2026/10/08 12:00:00", "2026/10/08 12:00:30", "", "", "", "9.90", "0.00", "8.00", "17.90",
     "0.00", "上海市", "上海市", "", "是"],
    # line 7: a stray extra cell (shifted row)
    ["WX005", "待发货", "2026/10/08 13:00:00", "2026/10/08 13:01:00", "", "", "", "9.90", "0.00", "8.00", "17.90",
     "0.00", "上海市", "上海市", "", "否", "多余"],
    # line 8: a time typed by hand
    ["WX006", "待发货", "2026年10月8日 14:00", "", "", "", "", "9.90", "0.00", "8.00", "17.90", "0.00", "上海市",
     "上海市", "", "否"],
    # line 9: an amount with its currency sign
    ["WX007", "待发货", "2026/10/08 15:00:00", "2026/10/08 15:01:00", "", "", "", "9.90", "0.00", "8.00", "¥17.90",
     "0.00", "上海市", "上海市", "", "否"],
]
ITEMS = [["订单号", "商品编码", "商品名称", "数量", "单价", "小计"],
         ["WX001", "WX-TEA-01", "明前龙井 250g", 1, 168, 168], ["WX001", "WX-CUP-02", "手工茶杯", 1, 39.9, 39.9],
         ["WX002", "WX-BAG-04", "茉莉花茶包 30袋", 2, 25, 50]]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "ORDERLAYER_PII_SALT": "file-source-test-salt"}
    return subprocess.run([ORDERLAYER, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("file-source")
    shutil.copy(ROOT / "docs" / "examples" / "file-source" / "wechat_shop.yml", work / "wechat_shop.yml")
    exports = work / "exports"
    exports.mkdir()
    with (exports / "wechat_orders_test.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(ROWS)
    book = Workbook()
    book.active.title = "商品明细"
    for row in ITEMS:
        book.active.append(row)
    book.save(exports / "wechat_order_items_test.xlsx")
    (work / "orderlayer.yml").write_text(
        "database: wh.duckdb\nconnections:\n  wechat:\n    source: files\n    shop_id: wx-shop-01\n"
        "    options:\n      mapping: wechat_shop.yml\n",
        encoding="utf-8",
    )
    for step in (("sync",), ("build",)):
        result = cli(*step, cwd=work)
        assert result.returncode == 0, result.stdout + result.stderr
    return work / "wh.duckdb"


def test_orders_are_typed_by_the_mapping(warehouse: Path) -> None:
    rows = query(warehouse, """
        select channel_order_id, status, ordered_at::varchar, paid_at::varchar, goods_amount, shop_discount_amount,
               paid_amount, refund_amount, is_valid, is_test, currency, receiver_city
        from audit.fct_orders order by channel_order_id""")
    assert rows == [
        # 21:07:33 Beijing = 13:07:33 UTC; 207.90 - 10.00 + 0.00 = 197.90
        ("WX001", "completed", "2026-10-05 13:07:33+00", "2026-10-05 13:10:00+00", Decimal("207.90"), Decimal("10.00"),
         Decimal("197.90"), Decimal("0.00"), True, False, "CNY", "杭州市"),
        # 已退款 maps to cancelled with is_paid: paid, refunded 50.00, not valid
        ("WX002", "cancelled", "2026-10-06 02:00:00+00", "2026-10-06 02:01:00+00", Decimal("50.00"), Decimal("0.00"),
         Decimal("50.00"), Decimal("50.00"), False, False, "CNY", "深圳市"),
        # ISO 08:00:00+08:00 = 00:00:00 UTC; "0.10" yuan stays 0.10 exactly
        ("WX003", "paid", "2026-10-07 00:00:00+00", "2026-10-07 00:00:05+00", Decimal("0.10"), Decimal("0.00"),
         Decimal("0.10"), Decimal("0.00"), True, False, "CNY", "杭州市\n西湖区"),
        # 测试订单 = 是: a test order is never valid
        ("WX004", "paid", "2026-10-08 04:00:00+00", "2026-10-08 04:00:30+00", Decimal("9.90"), Decimal("0.00"),
         Decimal("17.90"), Decimal("0.00"), False, True, "CNY", "上海市"),
    ]
    assert query(warehouse, "select tracking_numbers from audit.map_order_ids where channel_order_id = 'WX001'") == [
        (["SF1", "SF2"],)
    ]
    assert query(warehouse, "select distinct channel, shop_id from audit.fct_orders") == [("wechat_shop", "wx-shop-01")]


def test_lines_come_from_the_excel_export(warehouse: Path) -> None:
    rows = query(warehouse, """
        select o.channel_order_id, l.line_number, l.sku_id, l.quantity, l.unit_price, l.line_goods_amount
        from audit.fct_order_lines as l join audit.fct_orders as o using (order_key)
        order by 1, 2""")
    assert rows == [
        ("WX001", 1, "WX-TEA-01", 1, Decimal("168.00"), Decimal("168.00")),
        ("WX001", 2, "WX-CUP-02", 1, Decimal("39.90"), Decimal("39.90")),
        ("WX002", 1, "WX-BAG-04", 2, Decimal("25.00"), Decimal("50.00")),
    ]


def test_bad_rows_are_quarantined_with_file_line_and_reason(warehouse: Path) -> None:
    rows = query(warehouse, "select channel_order_id, quarantine_reason from quarantine.quarantine_orders order by 1")
    assert rows == [
        ("WX005", "wechat_orders_test.csv line 7: 1 cell(s) beyond the header (a shifted row)"),
        ("WX006", "wechat_orders_test.csv line 8: unparseable ordered_at (下单时间 = 2026年10月8日 14:00)"),
        ("WX007", "wechat_orders_test.csv line 9: not an amount in yuan: paid_amount (实付金额 = ¥17.90)"),
    ]
    # nothing lost: every data row is a fact or in quarantine
    assert query(warehouse, "select count(*) from raw.wechat_shop__orders") == [(7,)]
