"""Output never executes data: Rich markup in values is shown literally, CSV cells never run as formulas."""

from __future__ import annotations

import csv
import io
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from orderlayer.cli.output import Format, csv_cell, escape, render
from tests.demo_settings import ORDERLAYER

LINK = "[link=https://evil.example/x]click[/link]"


def _console() -> Console:
    return Console(record=True, width=200, force_terminal=False, color_system=None)


def test_table_shows_markup_in_values_and_headers_literally() -> None:
    console = Console(file=io.StringIO(), width=200, color_system=None)  # off a terminal render prints to its file
    render(["[bold]province[/bold]", "note"], [(LINK, "[/bold]"), ("[red]x[/red]", None)], Format.table, console,
           title="[link=x]t[/link]")
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "[link=x]t[/link]" in text
    assert LINK in text
    assert "[/bold]" in text and "[red]x[/red]" in text
    assert "[bold]province[/bold]" in text


def test_escape_keeps_a_quoted_value_literal_in_a_markup_message() -> None:
    console = _console()
    console.print(f"[bold red]error[/]: {escape('value [/bold] and ' + LINK)}")
    assert console.export_text().strip() == f"error: value [/bold] and {LINK}"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+SUM(A1:A2)", "'+SUM(A1:A2)"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("-1+2", "'-1+2"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("-12.50", "-12.50"),  # a number written as text stays a number
        ("+3", "+3"),
        ("-1e3", "-1e3"),
        ("a=b", "a=b"),  # only the first character matters
        ("浙江省", "浙江省"),
        (Decimal("-12.50"), "-12.50"),
        (-7, "-7"),
        (None, ""),
    ],
)
def test_csv_cell_neutralises_formulas_and_keeps_numbers(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


def test_render_csv_neutralises_cells_and_headers_unless_raw(tmp_path: Path) -> None:
    rows = [("=1+1", Decimal("-3.00"), "-2"), ("plain", Decimal("4.10"), "@x")]
    safe, raw = tmp_path / "safe.csv", tmp_path / "raw.csv"
    render(["=h", "amount", "id"], rows, Format.csv, _console(), output=safe)
    render(["=h", "amount", "id"], rows, Format.csv, _console(), output=raw, raw_csv=True)
    assert list(csv.reader(io.StringIO(safe.read_text(encoding="utf-8")))) == [
        ["'=h", "amount", "id"],
        ["'=1+1", "-3.00", "-2"],
        ["plain", "4.10", "'@x"],
    ]
    assert list(csv.reader(io.StringIO(raw.read_text(encoding="utf-8")))) == [
        ["=h", "amount", "id"],
        ["=1+1", "-3.00", "-2"],
        ["plain", "4.10", "@x"],
    ]


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("hostile") / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema published")
    con.execute("create table published.fct_orders (order_key varchar, receiver_province varchar, paid_amount decimal(18,2))")
    con.execute(
        "insert into published.fct_orders values ('o1', ?, -5.00), ('o2', '=HYPERLINK(\"http://evil.example\",\"x\")', 9.90)",
        [LINK],
    )
    con.close()
    return db


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([ORDERLAYER, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_sql_prints_a_closing_tag_literally_not_a_traceback(hostile_db: Path) -> None:
    out = _cli("sql", "select '[/bold]' as v", "--db", str(hostile_db), cwd=hostile_db.parent)
    assert out.returncode == 0, out.stderr
    assert "[/bold]" in out.stdout and "Traceback" not in out.stderr


def test_sql_shows_a_link_province_as_text_and_neutralises_csv(hostile_db: Path) -> None:
    table = _cli("sql", "select receiver_province from published.fct_orders order by order_key", "--db", str(hostile_db),
                 cwd=hostile_db.parent)
    assert table.returncode == 0, table.stderr
    assert LINK in table.stdout
    out = _cli("sql", "select * from published.fct_orders order by order_key", "--format", "csv", "--db", str(hostile_db),
               cwd=hostile_db.parent)
    assert out.returncode == 0, out.stderr
    assert list(csv.reader(io.StringIO(out.stdout))) == [
        ["order_key", "receiver_province", "paid_amount"],
        ["o1", LINK, "-5.00"],
        ["o2", '\'=HYPERLINK("http://evil.example","x")', "9.90"],
    ]
    raw = _cli("sql", "select receiver_province from published.fct_orders where order_key = 'o2'", "--format", "csv",
               "--raw-csv", "--db", str(hostile_db), cwd=hostile_db.parent)
    assert raw.stdout.splitlines()[1] == '"=HYPERLINK(""http://evil.example"",""x"")"'


def test_an_error_quoting_markup_is_one_line(hostile_db: Path) -> None:
    out = _cli("sql", "select * from \"[bold]nope[/bold]\"", "--db", str(hostile_db), cwd=hostile_db.parent)
    assert out.returncode == 2
    assert "[bold]nope[/bold]" in out.stderr and "Traceback" not in out.stderr
