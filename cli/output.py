"""Rendering query results as a rich table, CSV, JSON or Parquet."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Sequence

import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _json_value(value: Any) -> Any:
    # Decimals are written as strings so no JSON reader turns money into a float.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def render(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fmt: Format,
    console: Console,
    output: Path | None = None,
    title: str | None = None,
) -> None:
    if fmt is Format.parquet:
        if output is None:
            raise ValueError("--format parquet needs --output FILE")
        table = pa.Table.from_pylist([dict(zip(columns, row)) for row in rows]) if rows else pa.table(
            {c: pa.array([], pa.string()) for c in columns}
        )
        pq.write_table(table, output)
        console.print(f"wrote {len(rows)} rows to {output}")
        return
    if fmt is Format.table:
        rich_table = Table(title=title, show_lines=False)
        for column in columns:
            rich_table.add_column(column, justify="right" if _numeric(rows, columns.index(column)) else "left")
        for row in rows:
            rich_table.add_row(*(_text(v) for v in row))
        console.print(rich_table)
        return
    if fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_text(v) for v in row])
        text = buffer.getvalue()
    else:
        text = json.dumps([{c: _json_value(v) for c, v in zip(columns, row)} for row in rows], ensure_ascii=False, indent=2)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        console.file.write(text if text.endswith("\n") else text + "\n")


def _numeric(rows: Sequence[Sequence[Any]], index: int) -> bool:
    for row in rows:
        value = row[index]
        if value is not None:
            return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
    return False
