"""Rendering query results as a rich table, CSV, JSON or Parquet, and a check's or a report's summary:
compact in a pipe (tens of lines whatever the channel count), a table fitted to the width on a terminal.

Values are data, never instructions: a table shows them as literal text (`literal`; Rich markup such as
`[link=…]` in a value is printed, not obeyed), messages that quote values escape them (`escape`), and CSV
cells a spreadsheet would run as a formula are neutralised (`csv_cell`, OWASP "CSV injection"; D-053).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
import re
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, Sequence

import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.markup import escape as _escape_markup
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from orderlayer.core.history import ORDER_KEYS, gate_order, platform_ids

if TYPE_CHECKING:
    from orderlayer.expectations.publish import PublishResult
    from orderlayer.core.history import ReportData
    from orderlayer.core.pipeline import CheckResult, RunResult


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


def literal(value: Any) -> Text:
    """A value as a table cell or header: plain text that Rich never parses as markup."""
    return Text(_text(value))


def escape(value: Any) -> str:
    """A value to splice into a message that Rich prints with markup (`[bold red]error[/]: …`)."""
    return _escape_markup(_text(value))


#: First characters that make a spreadsheet evaluate a cell (OWASP: =, +, -, @, tab, carriage return).
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text, never runs: a cell starting with a formula character gets a
    leading `'` — except a plain number (`-12.50`, `+3`), which stays a number. Numbers typed as numbers
    (int, Decimal, float) are never touched."""
    text = _text(value)
    if isinstance(value, (int, float, Decimal)) or not text.startswith(_FORMULA_LEADS):
        return text
    if _PLAIN_NUMBER.fullmatch(text):
        return text
    return "'" + text


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
    raw_csv: bool = False,
) -> None:
    """Show or write query results. ``raw_csv``: write CSV cells exactly as stored (formula-leading cells too)."""
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
        rich_table = Table(title=None if title is None else literal(title), show_lines=False)
        for column in columns:
            rich_table.add_column(literal(column), justify="right" if _numeric(rows, columns.index(column)) else "left")
        for row in rows:
            rich_table.add_row(*(literal(v) for v in row))
        if console.is_terminal:
            console.print(rich_table)
        else:  # a pipe or a log has no width to fit: print each column whole, never "orders_…"
            natural = Measurement.get(console, console.options.update(width=10_000), rich_table).maximum
            Console(file=console.file, width=max(natural, console.width), no_color=console.no_color).print(rich_table)
        return
    if fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        cell = _text if raw_csv else csv_cell
        writer.writerow([cell(c) for c in columns])
        for row in rows:
            writer.writerow([cell(v) for v in row])
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


class LightLike(Protocol):
    """A gate's light for one channel: the gate runner's GateResult and the report's Light both are one."""

    gate_id: str
    channel: str | None
    colour: str
    failing_count: int
    examples: list[str]
    description: str


#: at most this many non-green lights are listed one per line (the rest: --format json, or the report)
LIGHT_LINES = 20
_STYLE = {"green": "green", "yellow": "yellow", "red": "red"}


def print_lights(
    lights: Sequence[LightLike], console: Console, examples: Callable[[LightLike], list[str]] | None = None
) -> None:
    """The gates, grouped: one count line; on a terminal a table of one row per gate (its worst light and
    which channels are not green); then each non-green light on one line (at most LIGHT_LINES).

    Off a terminal nothing is drawn as a table: a pipe or a log gets lines that never wrap into each other."""
    counts = Counter(li.colour for li in lights)
    gates = sorted({li.gate_id for li in lights}, key=gate_order)
    channels = {li.channel for li in lights}
    console.print(
        f"gates: {len(gates)} gates x {len(channels)} channel(s) · "
        + ", ".join(f"[{_STYLE[c]}]{counts[c]:,} {c}[/]" for c in ("green", "yellow", "red")),
        highlight=False,
    )
    if console.is_terminal:
        table = Table(title=None, show_lines=False, expand=False)
        for column, justify in (("gate", "left"), ("light", "left"), ("green", "right"), ("not green (failing)", "left"), ("what", "left")):
            table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
        for gate in gates:
            of_gate = [li for li in lights if li.gate_id == gate]
            worst = max((li.colour for li in of_gate), key=("green", "yellow", "red").index)
            bad = [li for li in of_gate if li.colour != "green"]
            table.add_row(
                gate,
                f"[{_STYLE[worst]}]● {worst}[/]",
                str(len(of_gate) - len(bad)),
                ", ".join(f"[{_STYLE[li.colour]}]{escape(li.channel or '(none)')}[/] {li.failing_count:,}" for li in bad),
                escape(of_gate[0].description),
            )
        console.print(table)
    bad = [li for li in lights if li.colour != "green"]
    for light in bad[:LIGHT_LINES]:
        shown = (examples or (lambda li: li.examples))(light)[:3]
        console.print(
            f"[{_STYLE[light.colour]}]{light.gate_id} {escape(light.channel or '(none)')}[/]: {light.colour}, "
            f"{light.failing_count:,} failing" + (f" · e.g. {escape(', '.join(shown))}" if shown else ""),
            highlight=False,
            soft_wrap=True,
        )
    if len(bad) > LIGHT_LINES:
        console.print(f"… {len(bad) - LIGHT_LINES} more non-green light(s): see the report or --format json", highlight=False)


def print_check(result: CheckResult, fmt: Format, console: Console, db: Path | None = None) -> None:
    """A check's verdict: the gates grouped, the non-green ones and the failing dbt tests (or everything as JSON).
    With `db`, examples are shown by the platform's shop/order id (the JSON keeps the keys, as recorded)."""
    if fmt is Format.json:
        console.file.write(json.dumps(result.to_dict(), indent=2, default=str, ensure_ascii=False) + "\n")
        return
    examples = None
    if db is not None:
        bad = [r for r in result.gates.results if r.colour != "green" and r.example_key in ORDER_KEYS]
        found = platform_ids(db, sorted({e for r in bad for e in r.examples}))

        def examples(light: LightLike) -> list[str]:
            return [f"{found[e][0]}/{found[e][1]}" if e in found else e for e in light.examples]

    print_lights(result.gates.results, console, examples=examples)
    failing = [t for t in result.dbt_tests if t["colour"] != "green"]
    passed = len(result.dbt_tests) - len(failing)
    console.print(f"dbt tests: {passed:,}/{len(result.dbt_tests):,} passed", highlight=False)
    for t in failing[:LIGHT_LINES]:
        console.print(f"[{_STYLE[t['colour']]}]dbt {escape(t['test'])}[/]: {t['status']}, {t['failures'] or 0:,} failing", highlight=False, soft_wrap=True)
    if len(failing) > LIGHT_LINES:
        console.print(f"… {len(failing) - LIGHT_LINES} more dbt test(s) not passing: --format json lists them", highlight=False)
    console.print(f"verdict: [bold {_STYLE[result.verdict]}]{result.verdict.upper()}[/]", highlight=False)
    if result.reused_from:
        console.print(
            f"nothing built since run {result.reused_from}: its verdict still holds "
            "(R3 and source freshness re-evaluated at this time), so nothing was checked again",
            highlight=False,
        )


def example_ids(light: LightLike) -> list[str]:
    """A light's examples as the platform names them (shop/order id) where the report found them, else its keys."""
    ids = getattr(light, "order_ids", None) or []
    return [f"{o['shop_id']}/{o['order_id']}" if o.get("order_id") else o["key"] for o in ids] or light.examples


def print_report_summary(data: ReportData, console: Console, path: Path | None = None) -> None:
    """The terminal version of the report: the gates grouped, freshness and quarantine in a line each, the
    verdict, and where the page is."""
    console.print(f"run {data.run_id} · checked {data.checked_at.strftime('%Y-%m-%d %H:%M:%S UTC')}", highlight=False)
    print_lights(data.lights, console, examples=example_ids)
    stale = [f for f in data.freshness if f["colour"] != "green"]
    if data.freshness:
        console.print(
            f"freshness: {len(data.freshness) - len(stale)} of {len(data.freshness)} source(s) fresh"
            + "".join(f"; [{_STYLE[f['colour']]}]{escape(f['source'])} {f['status']}[/]" for f in stale[:5]),
            highlight=False,
            soft_wrap=True,
        )
    quarantined = sum(q["records"] for q in data.quarantine)
    console.print(
        f"quarantine: {quarantined:,} record(s)" + (f", top reason: {escape(data.quarantine[0]['reason'])}" if data.quarantine else ""),
        highlight=False,
        soft_wrap=True,
    )
    published = f"published version {data.published['version']}" if data.published else "nothing published yet"
    console.print(f"verdict: [bold {_STYLE[data.verdict]}]{data.verdict.upper()}[/] · {published}", highlight=False)
    # paths on one line, however narrow the terminal: a wrapped path cannot be copied or clicked
    if path is not None:
        console.print(f"report: {path}", soft_wrap=True, highlight=False)
    if data.data_docs:
        console.print(f"GX Data Docs: {data.data_docs}", soft_wrap=True, highlight=False)


def print_run_json(outcome: RunResult, console: Console) -> None:
    """`run --format json`: the syncs, the whole check and what publish did, as one document."""
    document = {
        "run_id": outcome.run_id,
        "verdict": outcome.verdict,
        "syncs": [asdict(s) for s in outcome.syncs],
        "check": outcome.check.to_dict(),
        "published": None if outcome.published is None else asdict(outcome.published),
    }
    console.file.write(json.dumps(document, indent=2, default=str, ensure_ascii=False) + "\n")


def published_line(published: PublishResult) -> str:
    """One line for what publish did (nothing new: no new version)."""
    if not published.new:
        return f"nothing new since published version {published.version}: no new version"
    how = "changed orders only" if published.mode == "delta" else "every mart copied"
    return f"[green]published[/] version {published.version} ({how})"
