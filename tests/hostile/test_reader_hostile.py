"""The file reader never abandons a file for one row: bad bytes, oversize cells and short rows are reported per line."""

from __future__ import annotations

import csv
from pathlib import Path

from orderlayer.taps.files.mapping import FileSpec
from orderlayer.taps.files.reader import MAX_CELL_CHARS, read_rows


def test_bad_bytes_are_reported_on_their_line_and_the_file_is_read_on(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes("订单号,收货城市\nA1,杭州市\nA2,杭".encode() + b"\xff\xfe" + "市\nA3,成都市\n".encode())
    rows = list(read_rows(path, FileSpec(path="orders.csv", encoding="utf-8")))
    assert [(r.line, r.values, r.problems) for r in rows] == [
        (2, {"订单号": "A1", "收货城市": "杭州市"}, ()),
        (3, {"订单号": "A2", "收货城市": "杭\ufffd\ufffd市"}, ("bytes 0xFF 0xFE are not utf-8 in column 收货城市",)),
        (4, {"订单号": "A3", "收货城市": "成都市"}, ()),
    ]


def test_an_oversize_cell_is_dropped_and_reported_and_later_rows_land(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([["订单号", "备注"], ["A1", "x" * (MAX_CELL_CHARS + 1)], ["A2", "ok"]])
    rows = list(read_rows(path, FileSpec(path="orders.csv")))
    assert [(r.line, r.values, r.problems) for r in rows] == [
        (2, {"订单号": "A1", "备注": None}, ("column 备注 holds 131,073 characters, over the 131,072 limit",)),
        (3, {"订单号": "A2", "备注": "ok"}, ()),
    ]
    # the csv module's own limit is left as it was
    assert csv.field_size_limit() == 131_072


def test_a_row_missing_a_cell_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("订单号,收货省份,收货城市,快递单号\nA1,浙江省,杭州市,SF1\nA2,杭州市,SF2\n", encoding="utf-8")
    rows = list(read_rows(path, FileSpec(path="orders.csv")))
    assert [(r.line, r.problems) for r in rows] == [
        (2, ()), (3, ("1 cell(s) fewer than the header (a shifted or cut row)",))]
