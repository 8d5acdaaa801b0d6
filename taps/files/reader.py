"""Rows of CSV and Excel exports as text, with the file's own line numbers.

Every cell becomes text exactly as the file shows it (typing is the staging model's job, under the mapping's
declared formats). Excel is the exception that needs care: a cell may hold a number or a date instead of
text. Dates are written ``YYYY-MM-DD HH:MM:SS`` (naive, as displayed; the mapping's zone applies), integral
numbers without ``.0``, and a number with more than 15 significant digits is reported in ``numeric_cells``
because Excel stored it as a float and its last digits are already lost (a 19-digit order id typed as a
number) — the staging model quarantines such an id instead of matching the wrong order.

No single row stops a file (issue 14): a byte the declared encoding cannot decode, a cell longer than
``MAX_CELL_CHARS`` and a row with fewer cells than the header are reported in the row's ``problems`` (naming
the line and the column), and the staging model quarantines that row with its file and line; the rows after
it are read as usual.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import decimal
import glob
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from orderlayer.taps.files.mapping import FileSpec


@dataclass(frozen=True)
class Row:
    file: str
    line: int
    values: dict[str, str | None]
    #: cells beyond the header (a shifted row)
    extra_cells: int = 0
    #: headers whose Excel cell was a number too long to be exact
    numeric_cells: tuple[str, ...] = field(default=())
    #: why the row cannot be trusted as read (undecodable bytes, an oversize cell, missing cells); each names the column
    problems: tuple[str, ...] = field(default=())


#: The longest cell kept (Python's csv default field limit). A longer cell is no order data: the row is
#: quarantined and the cell is not stored.
MAX_CELL_CHARS = 131_072
#: The reader itself accepts any cell length, so one oversize cell never ends the file.
_READ_LIMIT = 2**31 - 1


def matching_files(spec: FileSpec, base_dir: Path) -> list[Path]:
    """Files of a spec, oldest modification first (ties by name), so later exports win as later versions."""
    pattern = spec.path if Path(spec.path).is_absolute() else str(base_dir / spec.path)
    paths = [Path(p) for p in glob.glob(pattern) if Path(p).is_file()]
    return sorted(paths, key=lambda p: (p.stat().st_mtime_ns, p.name))


def read_rows(path: Path, spec: FileSpec) -> Iterator[Row]:
    if spec.format == "xlsx":
        yield from _xlsx_rows(path, spec)
    else:
        yield from _csv_rows(path, spec)


@contextlib.contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    previous = csv.field_size_limit(limit)  # the csv module's limit is process-wide: restored after the file
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _csv_rows(path: Path, spec: FileSpec) -> Iterator[Row]:
    # surrogateescape: an undecodable byte becomes a marker the row reports, instead of ending the file
    with path.open(encoding=spec.encoding, errors="surrogateescape", newline="") as handle, _field_limit(_READ_LIMIT):
        reader = csv.reader(handle, delimiter=spec.delimiter)
        header: list[str] | None = None
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num  # a quoted cell may span lines: report the row's first line
            if header is None:
                if start >= spec.header_row:
                    header = [_decoded(c)[0].strip() for c in cells]
                continue
            if not any(c.strip() for c in cells):
                continue
            texts, problems = _checked_cells(header, cells, spec.encoding)
            if len(cells) < len(header):
                problems.append(f"{len(header) - len(cells)} cell(s) fewer than the header (a shifted or cut row)")
            yield _row(path.name, start, header, texts, problems=tuple(problems))


def _decoded(cell: str) -> tuple[str, list[str]]:
    """(text with each undecodable byte as U+FFFD, the bytes as hex) of a cell read with surrogateescape."""
    bad = [f"0x{ord(ch) - 0xDC00:02X}" for ch in cell if 0xDC80 <= ord(ch) <= 0xDCFF]
    if not bad:
        return cell, bad
    return "".join("\ufffd" if 0xDC80 <= ord(ch) <= 0xDCFF else ch for ch in cell), bad


def _checked_cells(header: list[str], cells: list[str], encoding: str) -> tuple[list[str | None], list[str]]:
    """The cells as stored (decoded; an oversize cell dropped) and what is wrong with them, column by column."""
    texts: list[str | None] = []
    problems: list[str] = []
    for i, cell in enumerate(cells):
        column = header[i] if i < len(header) and header[i] else f"cell {i + 1}"
        text, bad = _decoded(cell)
        if bad:
            problems.append(f"bytes {' '.join(bad)} are not {encoding} in column {column}")
        if len(text) > MAX_CELL_CHARS:
            problems.append(f"column {column} holds {len(text):,} characters, over the {MAX_CELL_CHARS:,} limit")
            text = None
        texts.append(text)
    return texts, problems


def _xlsx_rows(path: Path, spec: FileSpec) -> Iterator[Row]:
    from openpyxl import load_workbook  # imported here: CSV-only users never pay for it

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book[spec.sheet] if spec.sheet else book.worksheets[0]
        header: list[str] | None = None
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number < spec.header_row:
                continue
            if header is None:
                header = [("" if c is None else str(c)).strip() for c in cells]
                continue
            texts, inexact = [], []
            for name, value in zip(header + [""] * max(0, len(cells) - len(header)), cells):
                text, exact = _cell_text(value)
                texts.append(text)
                if not exact:
                    inexact.append(name)
            if not any(t and t.strip() for t in texts):
                continue
            problems = [
                f"column {name or i + 1} holds {len(text):,} characters, over the {MAX_CELL_CHARS:,} limit"
                for i, (name, text) in enumerate(zip(header, texts))
                if text is not None and len(text) > MAX_CELL_CHARS
            ]
            texts = [None if text is not None and len(text) > MAX_CELL_CHARS else text for text in texts]
            yield _row(path.name, number, header, texts, tuple(inexact), tuple(problems))
    finally:
        book.close()


def _cell_text(value: object) -> tuple[str | None, bool]:
    """(text, exact) of one Excel cell value."""
    if value is None:
        return None, True
    if isinstance(value, bool):
        return ("true" if value else "false"), True
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S"), True
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d"), True
    if isinstance(value, int):
        return str(value), abs(value) < 2**53
    if isinstance(value, float):
        number = decimal.Decimal(repr(value))  # the shortest text that round-trips: what Excel displays
        digits = len(number.as_tuple().digits)
        text = format(number.normalize(), "f") if number == number.to_integral_value() else repr(value)
        return text, digits <= 15
    return str(value), True


def _row(
    file: str,
    line: int,
    header: list[str],
    cells: list[str | None],
    inexact: tuple[str, ...] = (),
    problems: tuple[str, ...] = (),
) -> Row:
    values: dict[str, str | None] = {}
    for i, name in enumerate(header):
        if not name:
            continue
        cell = cells[i] if i < len(cells) else None
        values[name] = None if cell is None or cell == "" else cell
    extra = sum(1 for c in cells[len(header):] if c not in (None, ""))
    return Row(file=file, line=line, values=values, extra_cells=extra, numeric_cells=inexact, problems=problems)
