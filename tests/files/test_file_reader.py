"""Reading exports: every cell as text, the file's own line numbers, Excel numbers that lost digits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook

from orderlayer.taps.files.mapping import FileSpec
from orderlayer.taps.files.reader import read_rows


def test_csv_line_numbers_count_physical_lines_and_skip_blank_rows(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    # line 1 header; line 2 a row; lines 3-4 one row with a quoted two-line cell; line 5 blank; line 6 a row
    path.write_text('订单号,收货城市,实付金额\nA1,杭州市,1.00\nA2,"杭州市\n西湖区",2.00\n\nA3,成都市,3.00,extra\n', encoding="utf-8")
    rows = list(read_rows(path, FileSpec(path="orders.csv")))
    assert [(r.line, r.values["订单号"], r.extra_cells) for r in rows] == [(2, "A1", 0), (3, "A2", 0), (6, "A3", 1)]
    assert rows[1].values["收货城市"] == "杭州市\n西湖区"


def test_csv_header_row_below_a_title_line(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("订单导出 2026-10\n订单号,实付金额\nA1,1.00\n", encoding="utf-8")
    rows = list(read_rows(path, FileSpec(path="orders.csv", header_row=2)))
    assert [(r.line, r.values) for r in rows] == [(3, {"订单号": "A1", "实付金额": "1.00"})]


def test_excel_cells_become_the_text_excel_shows(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "商品明细"
    sheet.append(["订单号", "数量", "单价", "下单时间", "备注"])
    sheet.append(["WX1", 2, 39.9, dt.datetime(2026, 10, 5, 21, 7, 33), None])
    sheet.append([3051234567890123456, 1.0, 0.1, dt.date(2026, 10, 6), "ok"])  # an id typed as a number
    path = tmp_path / "items.xlsx"
    book.save(path)
    rows = list(read_rows(path, FileSpec(path="items.xlsx", format="xlsx", sheet="商品明细")))
    assert [(r.line, r.values) for r in rows] == [
        (2, {"订单号": "WX1", "数量": "2", "单价": "39.9", "下单时间": "2026-10-05 21:07:33", "备注": None}),
        # Excel keeps numbers as doubles: the 19-digit id comes back with its last digits lost, and a date as
        # midnight of that day
        (3, {"订单号": "3051234567890123000", "数量": "1", "单价": "0.1", "下单时间": "2026-10-06 00:00:00", "备注": "ok"}),
    ]
    # so the id is reported as inexact, and staging never matches it to a wrong order
    assert (rows[0].numeric_cells, rows[1].numeric_cells) == ((), ("订单号",))
