"""`orderlayer`: the command-line entry point. Commands are thin; each stage lives in its own module.

Exit codes: 0 ok (green or yellow), 1 red gate or failure, 2 usage or configuration error.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Optional

import duckdb
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from orderlayer import ops
from orderlayer.config import CONFIG_FILE, STARTER, ConfigError, Settings, load_settings
from orderlayer.metrics import MetricsError, query_metrics
from orderlayer.output import Format, render
from orderlayer.pipeline import CheckResult, StageError, build, check, publish_checked, published_line, rollback_published
from orderlayer.project import semantic_manifest
from orderlayer.sync import SyncResult, sync_connection, tap_env
from orderlayer.teardown import quiet_native_teardown

quiet_native_teardown()

app = typer.Typer(
    name="orderlayer",
    help="Orders from every channel → one canonical, gated order fact layer with metrics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)

DbOption = Annotated[
    Optional[Path], typer.Option("--db", help="DuckDB file (default: orderlayer.yml `database`, else warehouse/orderlayer.duckdb)")
]
ConfigOption = Annotated[Optional[Path], typer.Option("--config", help=f"Configuration file (default: ./{CONFIG_FILE})")]
FormatOption = Annotated[Format, typer.Option("--format", help="Output format")]


def _settings(config: Path | None, db: Path | None) -> Settings:
    try:
        return load_settings(config, db)
    except ConfigError as exc:
        err.print(f"[bold red]configuration error[/]: {exc}")
        raise typer.Exit(2) from exc


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error[/]: {message}")
    return typer.Exit(code)


def _run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


@app.command()
def init(
    config: Annotated[Path, typer.Option("--config", help="Where to write the starter file")] = Path(CONFIG_FILE),
    db: Annotated[Optional[Path], typer.Option("--db", help="The `database` the starter file names")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file")] = False,
) -> None:
    """Write a starter orderlayer.yml."""
    if config.exists() and not force:
        raise _fail(f"{config} exists; pass --force to overwrite it", 2)
    text = STARTER if db is None else STARTER.replace("database: warehouse/orderlayer.duckdb", f"database: {db}")
    config.write_text(text, encoding="utf-8")
    load_settings(config)  # the starter must itself be valid
    console.print(f"wrote {config}; set the credential environment variables it names, then `orderlayer run`")


# --- sync -------------------------------------------------------------------------------------------


def run_sync(
    settings: Settings,
    names: list[str],
    run_id: str,
    end_date: datetime | None = None,
    full_refresh: bool = False,
) -> list[SyncResult]:
    unknown = [n for n in names if n not in settings.connections]
    if unknown:
        raise ConfigError(
            f"connections: {', '.join(unknown)} not in the configuration; known: {', '.join(settings.connections) or 'none'}"
        )
    selected = names or list(settings.connections)
    for name in selected:  # every credential and the PII salt resolve before anything starts
        tap_env(name, settings.connections[name], settings)
    results = []
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        for name in selected:
            task = progress.add_task(f"sync {name}", total=None)
            result = sync_connection(
                name,
                settings,
                settings.database,
                run_id=run_id,
                end_date=end_date,
                full_refresh=full_refresh,
                on_records=lambda n, t=task: progress.advance(t, n),
            )
            progress.update(task, total=max(result.records_read, 1), completed=result.records_read)
            results.append(result)
    for r in results:
        before = _bookmark_text(r.bookmark_before)
        after = _bookmark_text(r.bookmark_after)
        style = "green" if r.status == "ok" else "red"
        err.print(
            f"[{style}]{r.connection}: {r.status}[/] — {r.records_read:,} records read, {r.rows_added:,} new raw rows; "
            f"bookmark {before} → {after}" + (f"\n  {r.error}\n  log: {r.log_path}" if r.error else "")
        )
    return results


def _bookmark_text(state: dict | None) -> str:
    if not state:
        return "none"
    values = []
    for stream, entry in (state.get("bookmarks") or {}).items():
        value = entry.get("replication_key_value") if isinstance(entry, dict) else None
        if isinstance(value, int) and value > 10**8:
            value = datetime.fromtimestamp(value, timezone.utc).isoformat()
        values.append(f"{stream}={value}")
    return ", ".join(values) or "none"


@app.command()
def sync(
    connections: Annotated[Optional[list[str]], typer.Argument(help="Connection names (default: all)")] = None,
    full_refresh: Annotated[bool, typer.Option("--full-refresh", help="Forget the bookmark of these connections first")] = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Extract new and changed orders from each connection into raw."""
    settings = _settings(config, db)
    if not settings.connections:
        raise _fail(f"no connections in {config or CONFIG_FILE}; run `orderlayer init` and add one", 2)
    try:
        results = run_sync(settings, connections or [], _run_id(), full_refresh=full_refresh)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from exc
    if any(r.status != "ok" for r in results):
        raise typer.Exit(1)


# --- build / check / publish --------------------------------------------------------------------------


@app.command("build")
def build_cmd(
    db: DbOption = None,
    config: ConfigOption = None,
    full_refresh: Annotated[bool, typer.Option("--full-refresh", help="Rebuild every model from raw, not incrementally")] = False,
) -> None:
    """Build the canonical marts into the `audit` schema with dbt (contracts enforced), incrementally: only
    what landed since the last build, unless a seed, var or model changed (docs/incremental.md)."""
    settings = _settings(config, db)
    try:
        with console.status("dbt build"):
            outcome = build(settings, settings.database, full_refresh=full_refresh)
    except (StageError, ConfigError) as exc:
        raise _fail(str(exc)) from exc
    console.print(outcome.reason)
    console.print(f"[green]built[/] audit marts in {settings.database}")


def _print_check(result: CheckResult, fmt: Format) -> None:
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


def _verdict_exit(verdict: str, fail_on: str) -> None:
    if verdict == "red" or (fail_on == "yellow" and verdict == "yellow"):
        raise typer.Exit(1)


@app.command("check")
def check_cmd(
    db: DbOption = None,
    config: ConfigOption = None,
    fmt: FormatOption = Format.table,
    fail_on: Annotated[str, typer.Option("--fail-on", help="red (default) or yellow: the lightest colour that exits 1")] = "red",
) -> None:
    """Judge what is in `audit` as it stands: dbt tests and GX gates, one verdict."""
    if fail_on not in ("red", "yellow"):
        raise _fail("--fail-on takes red or yellow", 2)
    settings = _settings(config, db)
    run_id = _run_id()
    try:
        result = check(settings, settings.database, run_id)
    except (StageError, ConfigError) as exc:
        raise _fail(str(exc)) from exc
    _print_check(result, fmt)
    _verdict_exit(result.verdict, fail_on)


@app.command("publish")
def publish_cmd(
    db: DbOption = None,
    config: ConfigOption = None,
    rollback: Annotated[bool, typer.Option("--rollback", help="Restore the version published before the latest one")] = False,
) -> None:
    """Re-judge `audit` and, unless a red gate fails, bring `published` to it atomically (only what changed)."""
    settings = _settings(config, db)
    if rollback:
        try:
            console.print(rollback_published(settings.database))
        except StageError as exc:
            raise _fail(str(exc)) from exc
        return
    run_id = _run_id()
    try:
        result = check(settings, settings.database, run_id)
        _print_check(result, Format.table)
        if result.verdict == "red":
            raise _fail("red gate failed: published is unchanged")
        published = publish_checked(settings.database, run_id, result, settings.publish.keep_versions)
    except (StageError, ConfigError) as exc:
        raise _fail(str(exc)) from exc
    console.print(published_line(published))


@app.command("run")
def run_cmd(
    db: DbOption = None,
    config: ConfigOption = None,
    fail_on: Annotated[str, typer.Option("--fail-on", help="red (default) or yellow")] = "red",
) -> None:
    """The main job: sync → build → check → publish."""
    settings = _settings(config, db)
    if not settings.connections:
        raise _fail(f"no connections in {config or CONFIG_FILE}; run `orderlayer init` and add one", 2)
    outcome = run_pipeline(settings)
    _verdict_exit(outcome.verdict, fail_on)


@dataclass
class RunOutcome:
    run_id: str
    verdict: str
    check: dict
    published_version: int | None


def run_pipeline(settings: Settings, end_date: datetime | None = None, now: datetime | None = None) -> RunOutcome:
    """sync → build → check → publish. Raises typer.Exit on failure (not on a red verdict)."""
    db = settings.database
    run_id = _run_id()
    ops.start_run(db, run_id, "run")
    detail: dict = {}
    try:
        syncs = run_sync(settings, [], run_id, end_date=end_date)
        detail["syncs"] = [{"connection": s.connection, "status": s.status, "records": s.records_read} for s in syncs]
        if any(s.status != "ok" for s in syncs):
            raise StageError("a sync failed; nothing was built or published (raw keeps what was committed)")
        with console.status("dbt build"):
            built = build(settings, db)
        console.print(built.reason)
        with console.status("checking gates"):
            result = check(settings, db, run_id, now=now)
        _print_check(result, Format.table)
        detail["check"] = result.to_dict()
        if result.verdict == "red":
            ops.finish_run(db, run_id, "blocked", result.verdict, detail)
            err.print("[bold red]red gate failed[/]: published is unchanged")
            return RunOutcome(run_id, result.verdict, detail["check"], None)
        published = publish_checked(db, run_id, result, settings.publish.keep_versions)
        detail["published_version"] = published.version
        ops.finish_run(db, run_id, "published" if published.new else "unchanged", result.verdict, detail)
        console.print(f"{published_line(published)} ({result.verdict})")
        return RunOutcome(run_id, result.verdict, detail["check"], published.version)
    except (StageError, ConfigError) as exc:
        ops.finish_run(db, run_id, "failed", None, {**detail, "error": str(exc)})
        raise _fail(str(exc), 2 if isinstance(exc, ConfigError) else 1) from exc


@app.command()
def demo(
    db: Annotated[Path, typer.Option("--db", help="DuckDB file to (re)create")] = Path("warehouse/demo.duckdb"),
    orders: Annotated[int, typer.Option("--orders", min=1, help="Orders Douyin's sandbox generates; each other source gets a quarter")] = 6000,
    seed: Annotated[int, typer.Option("--seed", help="Generator seed")] = 7,
    as_of: Annotated[
        Optional[datetime], typer.Option("--as-of", help="Sandbox clock, ISO-8601 (default: now, UTC)", formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"])
    ] = None,
    shops: Annotated[int, typer.Option("--shops", min=1, max=9, help="How many Douyin shops (the other channels have fixed shops)")] = 3,
    config: ConfigOption = None,
) -> None:
    """Start every bundled sandbox (channels, a file source, ERPs), run the whole pipeline into a fresh local
    DuckDB file, print metrics and the report path.

    With --config, the file's reporting zone, currency and gate thresholds apply; its connections are
    replaced by the sandboxes' shops."""
    from orderlayer.demo import demo_settings, start_sandboxes

    base = _settings(config, db)

    when = (as_of or datetime.now(timezone.utc)).replace(microsecond=0)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    with start_sandboxes(seed=seed, as_of=when, orders=orders, shops=shops, work=db.resolve().parent) as world:
        settings = demo_settings(world, db, base)
        render(["source", "shops", "orders"], world.summary(), Format.table, err,
               title=f"Sandboxes: seed {seed}, as of {when.isoformat()}, 30 days")
        # the platforms' window ends are exclusive: +1 s syncs everything updated up to and including as_of
        outcome = run_pipeline(settings, end_date=when + timedelta(seconds=1), now=max(when, datetime.now(timezone.utc)))
    if outcome.published_version is None:
        raise typer.Exit(1)
    result = query_metrics(db, semantic_manifest(db), ["orders_placed", "valid_orders", "gmv", "paid_amount"], ["channel", "shop_id"], None)
    render(result.columns, result.rows, Format.table, console, title="Metrics from published")
    from orderlayer.report import write_report

    path = write_report(db, db.parent / "reports", outcome.run_id, metric_table=(result.columns, result.rows))
    console.print(f"report: {path}", soft_wrap=True)
    console.print(f"try: orderlayer metrics valid_orders gmv --by channel --grain day --db {db}", soft_wrap=True)


# --- file sources ---------------------------------------------------------------------------------------

files_app = typer.Typer(help="File sources: CSV/Excel exports under a declarative mapping (docs/file-sources.md).", no_args_is_help=True)
app.add_typer(files_app, name="files")


@files_app.command("generate")
def files_generate(
    mapping: Annotated[list[Path], typer.Argument(help="Mapping YAML file(s)", exists=True, dir_okay=False)],
) -> None:
    """Write (or refresh) the staging models a mapping describes into the dbt project."""
    from orderlayer.filesource import generate
    from orderlayer.project import project_dir
    from orderlayer.taps.files.mapping import MappingError

    for path in mapping:
        try:
            parsed, written = generate(path, project_dir())
        except (MappingError, ConfigError) as exc:
            raise _fail(str(exc), 2) from exc
        console.print(f"[green]{parsed.name}[/]: " + ", ".join(str(w.relative_to(project_dir())) for w in written))


@files_app.command("check")
def files_check(
    mapping: Annotated[list[Path], typer.Argument(help="Mapping YAML file(s)", exists=True, dir_okay=False)],
) -> None:
    """Validate mappings and list the files each one would read (row counts included)."""
    from orderlayer.taps.files.mapping import MappingError, load_mapping
    from orderlayer.taps.files.reader import matching_files, read_rows

    rows = []
    for path in mapping:
        try:
            parsed = load_mapping(path)
        except MappingError as exc:
            raise _fail(str(exc), 2) from exc
        for kind, spec in parsed.files.items():
            for found in matching_files(spec, path.resolve().parent):
                rows.append((parsed.name, kind, found.name, sum(1 for _ in read_rows(found, spec))))
    render(["mapping", "kind", "file", "rows"], rows, Format.table, console, title="File sources")


# --- report ---------------------------------------------------------------------------------------------


@app.command("report")
def report_cmd(
    fmt: Annotated[str, typer.Option("--format", help="html (page + terminal summary) or json (stdout)")] = "html",
    output: Annotated[Optional[Path], typer.Option("--output", help="Where to write (default html: <db dir>/reports/report-<run>.html)")] = None,
    run: Annotated[Optional[str], typer.Option("--run", help="Run id to report (default: the latest)")] = None,
    data_docs: Annotated[bool, typer.Option("--data-docs/--no-data-docs", help="Also render GX Data Docs beside the database")] = True,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Data-quality report: lights per gate and channel, freshness, quarantine, trends over runs."""
    from orderlayer.history import NoRunsError
    from orderlayer.report import build_report, default_output, print_summary, write_html

    if fmt not in ("html", "json"):
        raise _fail("--format takes html or json", 2)
    settings = _settings(config, db)
    try:
        data = build_report(settings.database, run, data_docs=data_docs and fmt == "html")
    except (FileNotFoundError, NoRunsError) as exc:
        raise _fail(str(exc), 2) from exc
    if fmt == "json":
        text = json.dumps(data.to_dict(), indent=2, default=str, ensure_ascii=False) + "\n"
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            console.file.write(text)
        return
    path = write_html(data, output or default_output(settings.database, data.run_id))
    print_summary(data, console, path)


# --- consumers ------------------------------------------------------------------------------------------


@app.command()
def metrics(
    names: Annotated[list[str], typer.Argument(help="Metric names, e.g. valid_orders gmv")],
    by: Annotated[Optional[list[str]], typer.Option("--by", help="Dimension to group by (repeatable), e.g. channel")] = None,
    grain: Annotated[str, typer.Option("--grain", help="day, week, month, quarter, year or none")] = "day",
    fmt: FormatOption = Format.table,
    output: Annotated[Optional[Path], typer.Option("--output", help="Write to this file")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Answer metrics (MetricFlow) from the published facts."""
    settings = _settings(config, db)
    try:
        result = query_metrics(
            settings.database, semantic_manifest(settings.database), names, by or [], None if grain == "none" else grain
        )
        render(result.columns, result.rows, fmt, console, output=output, title="Metrics (published)")
    except (MetricsError, ConfigError, ValueError) as exc:
        raise _fail(str(exc), 2) from exc


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="A read-only SQL query, e.g. \"select * from published.fct_orders\"")],
    fmt: FormatOption = Format.table,
    output: Annotated[Optional[Path], typer.Option("--output", help="Write to this file")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Run a read-only query against the database."""
    settings = _settings(config, db)
    if not settings.database.exists():
        raise _fail(f"database {settings.database} not found; run `orderlayer demo` or `orderlayer run` first", 2)
    # Read-only, and no file access: a query can neither change the warehouse nor write elsewhere (COPY, ATTACH).
    con = duckdb.connect(str(settings.database), read_only=True, config={"enable_external_access": False})
    try:
        con.execute("set TimeZone = 'UTC'")
        cursor = con.execute(query)
        if cursor.description is None:
            raise _fail("the statement returned no rows (only queries are allowed)", 2)
        columns = [d[0] for d in cursor.description]
        render(columns, cursor.fetchall(), fmt, console, output=output)
    except duckdb.Error as exc:
        raise _fail(f"query failed: {exc}", 2) from exc
    except ValueError as exc:
        raise _fail(str(exc), 2) from exc
    finally:
        con.close()


@app.command()
def export(
    to: Annotated[Path, typer.Option("--to", help="Directory for one <name>.parquet per published table and view")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Write every published table and view to Parquet, for tools that read files."""
    from orderlayer.export import ExportError, export_published

    settings = _settings(config, db)
    try:
        result = export_published(settings.database, to)
    except ExportError as exc:
        raise _fail(str(exc), 2) from exc
    rows = [(r.name, r.kind, r.rows, r.file) for r in result.relations]
    render(["relation", "kind", "rows", "file"], rows, Format.table, console, title=f"Exported to {result.directory}")
    console.print(f"published version {result.published_version}; manifest {result.directory / '_export.json'}")


def main() -> None:  # pragma: no cover - console entry
    app()
