"""Rendering query results as a rich table, CSV, JSON or Parquet, and a check's verdict."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from orderlayer.expectations.publish import PublishResult
    from orderlayer.core.pipeline import CheckResult


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


def print_check(result: CheckResult, fmt: Format, console: Console) -> None:
    """A check's verdict: the gate lights and the failing dbt tests as a table (or the whole result as JSON)."""
    if fmt is Format.json:
        console.file.write(json.dumps(result.to_dict(), indent=2, default=str, ensure_ascii=False) + "\n")
        return
    rows = [
        (g.gate_id, g.colour, g.channel or "(all)", g.failing_count, ", ".join(g.examples[:3]), g.description)
        for g in result.gates.results
    ]
    rows += [("dbt", t["colour"], "(all)", t["failures"] or 0, "", t["test"]) for t in result.dbt_tests if t["colour"] != "green"]
    render(["gate", "light", "channel", "failing", "examples", "what"], rows, fmt, console, title="Gates")
    colour = {"green": "green", "yellow": "yellow", "red": "red"}[result.verdict]
    passed = sum(1 for t in result.dbt_tests if t["colour"] == "green")
    console.print(f"dbt tests: {passed}/{len(result.dbt_tests)} passed · verdict: [bold {colour}]{result.verdict.upper()}[/]")
    if result.reused_from:
        console.print(
            f"nothing built since run {result.reused_from}: its verdict still holds "
            "(R3 and source freshness re-evaluated at this time), so nothing was checked again"
        )


def published_line(published: PublishResult) -> str:
    """One line for what publish did (nothing new: no new version)."""
    if not published.new:
        return f"nothing new since published version {published.version}: no new version"
    how = "changed orders only" if published.mode == "delta" else "every mart copied"
    return f"[green]published[/] version {published.version} ({how})"
