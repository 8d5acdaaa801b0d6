"""Hostile order rows for the WeChat shop file source (docs/examples/file-source/wechat_shop.yml), each with what
must become of it. Shared by tests/hostile and bench/torture_bench.py.

`write_export` writes an export (UTF-8 with a BOM, as the mapping declares) and returns its `Expected` outcome:
which order ids must reach fct_orders, which lines must be quarantined and with which reason fragment, and how
many blank lines the reader must skip. Every expectation follows from the category's rule, not from a run.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from pathlib import Path

HEADER = ["订单号", "订单状态", "下单时间", "支付时间", "发货时间", "完成时间", "更新时间", "商品总额", "店铺优惠", "运费",
          "实付金额", "退款金额", "收货省份", "收货城市", "快递单号", "测试订单"]
COL = {name: i for i, name in enumerate(HEADER)}
MAX_CELL = 131_072

#: category → the reason fragment its quarantined row must carry (after "<file> line <n>: ")
REASONS = {
    "sentinel_time": "missing or sentinel ordered_at",
    "bad_time": "unparseable ordered_at",
    "placeholder_id": "missing or placeholder channel_order_id",
    "negative_paid": "negative paid_amount",
    "absurd_paid": "is above the ceiling",
    "bad_amount": "not an amount in yuan: paid_amount",
    "shifted_short": "fewer than the header",
    "shifted_long": "beyond the header",
    "shifted_city": "is not a place name",
    "bad_bytes": "are not utf-8-sig",
    "huge_cell": "over the 131,072 limit",
    "conflict": "conflicting version",
}
SENTINELS = ["0", "1970/01/01 08:00:00", "0000-00-00 00:00:00", "1970-01-01T00:00:00Z", "0000/00/00 00:00:00",
             "1970-01-01 08:00:00", "1970/1/1 00:00:00"]
PLACEHOLDERS = ["NULL", "N/A", "0", "\t", " ", "1.23457E+18", "n/a", "#N/A", "000", "3.05E+18", "\ufeff", "None"]


@dataclass
class Expected:
    facts: set[str] = field(default_factory=set)  # order ids that must be in fct_orders
    quarantined: dict[int, str] = field(default_factory=dict)  # line → reason fragment
    blank: int = 0  # blank lines the reader skips
    rows: int = 0  # non-blank data rows written

    @property
    def rows_in(self) -> int:
        return self.rows + self.blank


def _good(order_id: str, rng: random.Random) -> list[str]:
    day, minute = rng.randint(1, 28), rng.randint(0, 59)
    paid = f"{rng.randint(1, 99999)}.{rng.randint(0, 99):02d}"
    ordered = f"2026/10/{day:02d} 12:{minute:02d}:00"
    return [order_id, "待发货", ordered, ordered, "", "", ordered, paid, "0.00", "0.00", paid, "0.00", "浙江省", "杭州市",
            f"SF{rng.randint(10**9, 10**10)}", "否"]


def _encode(cells: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue().encode("utf-8")


def write_export(path: Path, rows: int, seed: int, prefix: str = "F") -> Expected:
    """Write `rows` data rows (about a third hostile, every category present once rows >= 60) to `path`."""
    rng = random.Random(seed)
    expected = Expected()
    categories = list(REASONS)
    chunks = [("\ufeff" + ",".join(HEADER) + "\r\n").encode("utf-8")]
    line = 1
    for n in range(rows):
        order_id = f"{prefix}{seed}-{n:06d}"
        row = _good(order_id, rng)
        kind = categories[n % len(categories)] if n % 3 == 0 else "good"
        raw: bytes | None = None
        if kind == "sentinel_time":
            row[COL["下单时间"]] = rng.choice(SENTINELS)
        elif kind == "bad_time":
            row[COL["下单时间"]] = rng.choice(["yesterday", "2026年10月8日", "2026/13/45 99:00:00", "SF123"])
        elif kind == "placeholder_id":
            row[COL["订单号"]] = rng.choice(PLACEHOLDERS)
        elif kind == "negative_paid":
            row[COL["实付金额"]] = "-" + row[COL["实付金额"]]
        elif kind == "absurd_paid":
            row[COL["实付金额"]] = rng.choice(["9999999999999999.99", "10000000.01", "123456789012.00"])
        elif kind == "bad_amount":
            row[COL["实付金额"]] = rng.choice(["¥17.90", "1,234.00", "abc", "1.234"])
        elif kind == "shifted_short":
            del row[COL["收货省份"]]  # the city moves into the province, the tracking number into the city
        elif kind == "shifted_long":
            row.append("多余")
        elif kind == "shifted_city":
            row[COL["收货城市"]] = row[COL["快递单号"]]
        elif kind == "bad_bytes":
            raw = _encode(row).replace("杭州市".encode(), "杭".encode() + bytes([0xFF, rng.randint(0x80, 0xBF)]) + "市".encode())
        elif kind == "huge_cell":
            row[COL["快递单号"]] = "X" * (MAX_CELL + rng.randint(1, 5000))
        elif kind == "conflict":
            # two versions, same order and update time, different amounts: the second line lands later and wins
            first = list(row)
            first[COL["实付金额"]] = "1.00"
            line += 1
            chunks.append(_encode(first))
            expected.rows += 1
            expected.quarantined[line] = REASONS["conflict"]
        chunks.append(raw if raw is not None else _encode(row))
        line += 1
        expected.rows += 1
        if kind in ("good", "conflict"):
            expected.facts.add(order_id)
        else:
            expected.quarantined[line] = REASONS[kind]
        if rng.random() < 0.02:  # a blank line between rows: skipped, never a row
            chunks.append(b"\r\n")
            line += 1
            expected.blank += 1
    path.write_bytes(b"".join(chunks))
    return expected
