"""`orderlayer`: the command-line entry point. Commands parse arguments and render; every stage lives in
`orderlayer.core` (the CLI imports core, never the other way round).

Exit codes: 0 ok (green or yellow), 1 red gate or failure, 2 usage or configuration error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from orderlayer.cli.output import Format, escape, print_check, print_run_json, published_line, render
from orderlayer.cli.progress import ProgressView
from orderlayer.cli.teardown import quiet_native_teardown
from orderlayer.core import pipeline
from orderlayer.core.config import CONFIG_FILE, ConfigError, Settings, load_settings
from orderlayer.core.dbt import project_dir, semantic_manifest
from orderlayer.core.engines import is_spark
from orderlayer.core.lock import reader_busy_line, writer_lock
from orderlayer.core.metrics import MetricsError, query_metrics
from orderlayer.core.ops import new_run_id
from orderlayer.core.settings_store import settings_for
from orderlayer.core.pipeline import StageError, build, check, publish_checked, rollback_published
from orderlayer.core.private import tighten, use_private_umask
from orderlayer.core.snapshot import refresh_snapshot
from orderlayer.core.spark_client import read_query as spark_read_query
from orderlayer.core.sync import sync_all
from orderlayer.core.warehouse import QueryError, WarehouseBusy, read_query, reader_path, snapshot_path

quiet_native_teardown()

#: `-h` beside `--help` on every command (click hands the setting down to each subcommand's context).
HELP = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="orderlayer",
    help="Orders from every channel → one canonical, gated order fact layer with metrics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings=HELP,
)
console = Console()
err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"orderlayer {version('orderlayer')}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit")
    ] = False,
) -> None:
    """Orders from every channel → one canonical, gated order fact layer with metrics."""


def _metrics_help() -> str:
    """`metrics --help`: the command, then every metric the project defines with its description."""
    from orderlayer.core.metrics import metric_catalogue

    try:
        catalogue = metric_catalogue(project_dir() / "semantic")
    except ConfigError:
        catalogue = []
    listed = "\n\n".join(f"[bold]{name}[/]: {text}" for name, text in catalogue) or "(none found: is the dbt project installed?)"
    return f"Answer metrics (MetricFlow) from the published facts.\n\nMetrics:\n\n{listed}"

DbOption = Annotated[
    Optional[Path], typer.Option("--db", help="DuckDB file (default: orderlayer.yml `database`, else warehouse/orderlayer.duckdb)")
]
ConfigOption = Annotated[Optional[Path], typer.Option("--config", help=f"Configuration file (default: ./{CONFIG_FILE})")]
FormatOption = Annotated[Format, typer.Option("--format", help="Output format")]
OutputOption = Annotated[Optional[Path], typer.Option("--output", help="Write to this file")]
RawCsvOption = Annotated[
    bool, typer.Option("--raw-csv", help="CSV cells exactly as stored: no ' before a cell a spreadsheet would run as a formula")
]


class LogFormat(str, Enum):
    text = "text"
    json = "json"


def _settings(config: Path | None, db: Path | None) -> Settings:
    try:
        settings = load_settings(config, db)
    except ConfigError as exc:
        err.print(f"[bold red]configuration error[/]: {escape(exc)}", soft_wrap=True)  # never broken mid-path
        raise typer.Exit(2) from exc
    if settings.warehouse.private_files:
        use_private_umask()
    return settings


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error[/]: {escape(message)}", soft_wrap=True)  # one line, however narrow the terminal
    return typer.Exit(code)


@dataclass
class _Written:
    """What a writing command tells `_writing` when it is done."""

    #: nothing readers read changed (a run with nothing new that re-used its verdict and published nothing): the
    #: snapshot stays as it is, so such a run costs no copy of what readers read (docs/operations.md)
    readers_unchanged: bool = False


@contextmanager
def _writing(settings: Settings, command: str) -> Iterator[_Written]:
    """Run a writing command under the warehouse's writer lock (core/lock.py), then leave the read snapshot
    behind for readers (core/snapshot.py), whatever the outcome. A busy warehouse is one line and exit 1."""
    db = settings.database
    try:
        with writer_lock(db, command, settings.warehouse.lock_wait_seconds, tell=lambda line: err.print(escape(line), soft_wrap=True)) as held:
            if settings.warehouse.private_files:
                tighten(db)
            if held.abandoned:
                err.print(f"closed as abandoned (their command died): {escape(', '.join(held.abandoned))}")
            if not snapshot_path(db).exists():  # readers never have to read the warehouse itself while this runs
                refresh_snapshot(db)
            written = _Written()
            try:
                yield written
            finally:
                if not written.readers_unchanged:
                    refresh_snapshot(db)
    except WarehouseBusy as exc:
        raise _fail(str(exc)) from exc


def _code(exc: Exception) -> int:
    """A configuration problem exits 2, a stage that failed 1."""
    return 2 if isinstance(exc, ConfigError) else 1


def _built_with(settings: Settings) -> Settings:
    """The settings the warehouse was built with (a disagreeing config exits 2: core/settings_store.py), read
    from the read snapshot like everything a reader reads (it never waits for a writer)."""
    try:
        return settings_for(settings, reader_path(settings.database)).model_copy(update={"database": settings.database})
    except ConfigError as exc:
        raise _fail(str(exc), 2) from exc


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="The project folder to create (default: the current folder)")] = Path("."),
    db: Annotated[Optional[Path], typer.Option("--db", help="The `database` orderlayer.yml names")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the files of an existing project")] = False,
) -> None:
    """Create a project: orderlayer.yml, your dbt project using orderlayer's models as a dbt package, file_sources/."""
    from orderlayer.core.project import init_project

    try:
        init_project(folder, db, force)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from exc
    console.print(
        f"created {escape(folder)}: orderlayer.yml (set the credential environment variables it names), dbt_project.yml "
        "(your models; orderlayer's are the `orderlayer` package), file_sources/; then `orderlayer run` or "
        "`orderlayer demo` in it",
        soft_wrap=True,
    )


# --- sync -------------------------------------------------------------------------------------------


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
        with _writing(settings, "sync"), ProgressView(console, err) as view:
            results = sync_all(settings, connections or [], new_run_id(), view, full_refresh=full_refresh)
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
        with _writing(settings, "build"), ProgressView(console, err) as view, view.stage("dbt build"):
            outcome = build(settings, settings.database, full_refresh=full_refresh, on_node=view.dbt_node)
    except (StageError, ConfigError) as exc:
        raise _fail(str(exc)) from exc
    console.print(escape(outcome.reason))
    console.print(f"[green]built[/] audit marts in {escape(settings.database)}")


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
    run_id = new_run_id()
    try:
        with _writing(settings, "check"):
            with ProgressView(console, err) as view, view.stage("checking"):
                result = check(settings, settings.database, run_id, on_node=view.dbt_node, on_step=view.step)
            print_check(result, fmt, console, settings.database)  # reads the warehouse: while this command holds it
    except (StageError, ConfigError) as exc:
        raise _fail(str(exc), _code(exc)) from exc
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
            with _writing(settings, "publish --rollback"):
                console.print(escape(rollback_published(settings.database)))
        except StageError as exc:
            raise _fail(str(exc)) from exc
        return
    run_id = new_run_id()
    try:
        with _writing(settings, "publish"):
            with ProgressView(console, err) as view, view.stage("checking"):
                result = check(settings, settings.database, run_id, on_node=view.dbt_node, on_step=view.step)
            print_check(result, Format.table, console, settings.database)
            if result.verdict == "red":
                raise _fail("red gate failed: published is unchanged")
            published = publish_checked(settings.database, run_id, result, settings.publish.keep_versions)
    except (StageError, ConfigError) as exc:
        raise _fail(str(exc), _code(exc)) from exc
    console.print(published_line(published))


@app.command("run")
def run_cmd(
    db: DbOption = None,
    config: ConfigOption = None,
    fail_on: Annotated[str, typer.Option("--fail-on", help="red (default) or yellow")] = "red",
    fmt: Annotated[Format, typer.Option("--format", help="table (a summary) or json (everything, on stdout)")] = Format.table,
) -> None:
    """The main job: sync → build → check → publish."""
    if fmt not in (Format.table, Format.json):
        raise _fail("--format takes table or json", 2)
    settings = _settings(config, db)
    if not settings.connections:
        raise _fail(f"no connections in {config or CONFIG_FILE}; run `orderlayer init` and add one", 2)
    with _writing(settings, "run") as written:
        outcome = _run(settings, fmt=fmt)
        written.readers_unchanged = outcome.changed_nothing
    _verdict_exit(outcome.verdict, fail_on)


def _run(
    settings: Settings, end_date: datetime | None = None, now: datetime | None = None, fmt: Format = Format.table
) -> pipeline.RunResult:
    """`core.pipeline.run`, drawn. Raises typer.Exit on failure (not on a red verdict)."""
    try:
        with ProgressView(console, err, results=fmt is not Format.json, db=settings.database) as view:
            outcome = pipeline.run(settings, view, end_date=end_date, now=now)
    except (StageError, ConfigError) as exc:
        raise _fail(str(exc), _code(exc)) from exc
    if fmt is Format.json:
        print_run_json(outcome, console)
    elif outcome.published is None:
        err.print("[bold red]red gate failed[/]: published is unchanged")
    else:
        console.print(f"{published_line(outcome.published)} ({outcome.verdict})")
    return outcome


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option("--host", help="Address to listen on (default: orderlayer.yml serve.host)")] = None,
    port: Annotated[Optional[int], typer.Option("--port", min=1, max=65535, help="Port (default: serve.port)")] = None,
    db: DbOption = None,
    log_format: Annotated[LogFormat, typer.Option("--log-format", help="text, or json: one JSON object per line")] = LogFormat.text,
    config: ConfigOption = None,
) -> None:
    """Receive platform pushes and keep published fresh: verify, store, acknowledge, land, then build, check and
    publish in micro-batches, with the reconcile poll as the safety net (docs/continuous.md)."""
    from orderlayer.core.logs import configure_logging
    from orderlayer.core.serve import make_server

    settings = _settings(config, db)
    try:
        server, paths = make_server(settings, host, port)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from exc
    configure_logging(json_lines=log_format is LogFormat.json)
    where = f"http://{server.config.host}:{server.config.port}"
    err.print(f"serving {escape(where)}: " + escape(", ".join(paths)) + ", GET /health, GET /metrics", soft_wrap=True)
    try:
        server.run()
    except SystemExit as exc:  # uvicorn could not start, e.g. the port is taken (it logged why)
        if exc.code:
            raise _fail(f"could not serve on {where}: see the log line above", 1) from None
        raise


@app.command()
def demo(
    db: Annotated[Path, typer.Option("--db", help="DuckDB file to (re)create")] = Path("warehouse/demo.duckdb"),
    orders: Annotated[int, typer.Option("--orders", min=1, help="Orders Douyin's sandbox generates; each other source gets a quarter")] = 6000,
    seed: Annotated[int, typer.Option("--seed", help="Generator seed")] = 7,
    as_of: Annotated[
        Optional[datetime], typer.Option("--as-of", help="Sandbox clock, ISO-8601 (default: now, UTC)", formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"])
    ] = None,
    shops: Annotated[int, typer.Option("--shops", min=1, max=9, help="How many Douyin shops (the other channels have fixed shops)")] = 3,
    serve: Annotated[bool, typer.Option("--serve", help="Continuous mode: the pushing channels replay their history into `orderlayer serve` (docs/continuous.md)")] = False,
    seconds: Annotated[Optional[int], typer.Option("--seconds", min=1, help="With --serve: stop after this long (default: Ctrl-C, or the end of the replay)")] = None,
    per_minute: Annotated[int, typer.Option("--changes-per-minute", min=1, help="With --serve: order changes the sandboxes make a minute")] = 600,
    config: ConfigOption = None,
) -> None:
    """Start every bundled sandbox (channels, a file source, ERPs), run the whole pipeline into a fresh local
    DuckDB file, print metrics and the report path.

    With --config, the file's reporting zone, currency and gate thresholds apply; its connections are
    replaced by the sandboxes' shops. With --serve, the channels that push replay their last days into
    `orderlayer serve` instead, and each change is followed to `published`."""
    base = _settings(config, db)
    if serve:
        _demo_live(db, orders, seed, shops, base, seconds, per_minute)
        return
    with _writing(base.model_copy(update={"database": db}), "demo"):
        _demo(db, orders, seed, as_of, shops, base)


def _demo_live(db: Path, orders: int, seed: int, shops: int, base: Settings, seconds: int | None, per_minute: int) -> None:
    from orderlayer.core.live import REPLAY, Live, changes_per_second, free_port, live_settings, start_live, write_config

    now = datetime.now(timezone.utc).replace(microsecond=0)
    with start_live(seed, now, orders, shops, REPLAY) as world:
        settings = live_settings(world, db, free_port(), base)
        path = write_config(settings, db.parent / "live.orderlayer.yml")
        render(["source", "shops", "orders"], world.summary(), Format.table, err,
               title=f"Pushing sandboxes: seed {seed}, replaying {REPLAY.days} days from {world.as_of.isoformat()}")
        with _writing(settings, "demo"):
            first = _run(settings, end_date=world.as_of + timedelta(seconds=1))
        if first.published_version is None:
            raise typer.Exit(1)
        rate = changes_per_second(world)
        with Live(world, settings, path, seed, db.parent / "logs" / "serve-live.log") as live:
            err.print(f"orderlayer serve on {escape(live.url)} (log: {escape(live.log)}); in another terminal: "
                      f"orderlayer status --config {escape(path)}, orderlayer sql \"...\" --db {escape(db)}", soft_wrap=True)
            try:
                for tick in live.replay(seconds, per_minute, rate):
                    console.print(
                        f"{tick['second']:5d} s  platform clock {tick['clock']:%m-%d %H:%M}  changes {tick['changes']:6d}  "
                        f"published {tick['published']:6d} (version {tick['version']})  lag p50 {tick['p50_seconds']} s, p95 {tick['p95_seconds']} s"
                    )
            except KeyboardInterrupt:
                err.print("stopping: waiting for what was pushed to be published (Ctrl-C again to leave now)")
            settled = live.settle(120)
            summary = live.freshness.summary()
    console.print(f"{summary['events']} changes published; lag p50 {summary['p50_seconds']} s, p95 {summary['p95_seconds']} s, "
                  f"max {summary['max_seconds']} s" + ("" if settled else "; some were still on their way when it stopped"))


def _demo(db: Path, orders: int, seed: int, as_of: datetime | None, shops: int, base: Settings) -> None:
    from orderlayer.core.demo import demo_settings, start_sandboxes

    when = (as_of or datetime.now(timezone.utc)).replace(microsecond=0)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    with start_sandboxes(seed=seed, as_of=when, orders=orders, shops=shops, work=db.resolve().parent) as world:
        settings = demo_settings(world, db, base)
        render(["source", "shops", "orders"], world.summary(), Format.table, err,
               title=f"Sandboxes: seed {seed}, as of {when.isoformat()}, 30 days")
        # the platforms' window ends are exclusive: +1 s syncs everything updated up to and including as_of
        outcome = _run(settings, end_date=when + timedelta(seconds=1), now=max(when, datetime.now(timezone.utc)))
    if outcome.published_version is None:
        raise typer.Exit(1)
    result = query_metrics(db, semantic_manifest(db), ["orders_placed", "valid_orders", "gmv", "paid_amount"], ["channel", "shop_id"], None)
    render(result.columns, result.rows, Format.table, console, title="Metrics from published")
    from orderlayer.core.report import write_report

    refresh_snapshot(db)  # the report reads the snapshot: bring it to this run before the lock is released
    path = write_report(db, db.parent / "reports", outcome.run_id, metric_table=(result.columns, result.rows))
    console.print(f"report: {escape(path)}", soft_wrap=True)
    console.print(f"try: orderlayer metrics valid_orders gmv --by channel --grain day --db {escape(db)}", soft_wrap=True)


# --- file sources ---------------------------------------------------------------------------------------

files_app = typer.Typer(
    help="File sources: CSV/Excel exports under a declarative mapping (docs/file-sources.md).",
    no_args_is_help=True,
    context_settings=HELP,
)
app.add_typer(files_app, name="files")


@files_app.command("generate")
def files_generate(
    mapping: Annotated[list[Path], typer.Argument(help="Mapping YAML file(s)", exists=True, dir_okay=False)],
) -> None:
    """Write (or refresh) the staging models a mapping describes into the dbt project."""
    from orderlayer.core.filesource import generate
    from orderlayer.core.dbt import models_root
    from orderlayer.taps.files.mapping import MappingError

    for path in mapping:
        try:
            root = models_root()
            parsed, written = generate(path, root)
        except (MappingError, ConfigError) as exc:
            raise _fail(str(exc), 2) from exc
        console.print(f"[green]{escape(parsed.name)}[/]: " + escape(", ".join(str(w.relative_to(root)) for w in written)))


@files_app.command("check")
def files_check(
    mapping: Annotated[list[Path], typer.Argument(help="Mapping YAML file(s)", exists=True, dir_okay=False)],
) -> None:
    """Validate mappings against the files they would read: every mapped header exists, every time and amount
    column is readable. Lists the files (row counts included); exit 2 on any problem."""
    from rich.markup import escape

    from orderlayer.taps.files.check import check_files
    from orderlayer.taps.files.mapping import MappingError, load_mapping

    rows, problems = [], []
    for path in mapping:
        try:
            parsed = load_mapping(path)
        except MappingError as exc:
            raise _fail(str(exc), 2) from exc
        result = check_files(parsed, path.resolve().parent)
        rows += [(parsed.name, kind, name, count) for kind, name, count in result.files]
        for note in result.notes:
            console.print(f"[yellow]{escape(path.name)}[/]: {escape(note)}", soft_wrap=True)
        problems += [f"{path.name}: {error}" for error in result.errors]
    render(["mapping", "kind", "file", "rows"], rows, Format.table, console, title="File sources")
    if problems:
        raise _fail(escape("\n".join(problems)), 2)


# --- alerts ---------------------------------------------------------------------------------------------

alert_app = typer.Typer(help="Gate alerts to DingTalk, WeCom, Slack and e-mail (docs/alerts.md).", no_args_is_help=True)
app.add_typer(alert_app, name="alert")


@alert_app.command("test")
def alert_test(
    to: Annotated[Optional[str], typer.Option("--to", help="Only this destination (a name under alerts.destinations)")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Send a sample alert (titled as a test) to every configured destination, or one; exits 1 if one failed."""
    from orderlayer.core.alerts.dispatch import deliver
    from orderlayer.core.alerts.message import sample

    settings = _settings(config, db)
    names = list(settings.alerts.destinations)
    if not names:
        raise _fail(f"no alerts.destinations in {config or CONFIG_FILE}; add one (docs/alerts.md)", 2)
    if to is not None and to not in names:
        raise _fail(f"--to {to}: no such destination; configured: {', '.join(names)}", 2)
    alert = sample(settings.alerts.report_url or "")
    rows = [(d.destination, d.kind, d.status, d.detail) for d in (deliver(n, settings.alerts, alert) for n in ([to] if to else names))]
    render(["destination", "kind", "status", "detail"], rows, Format.table, console, title="Test alert")
    if any(status == "failed" for _, _, status, _ in rows):
        raise typer.Exit(1)


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
    from orderlayer.core.history import NoRunsError
    from orderlayer.cli.output import print_report_summary
    from orderlayer.core.report import build_report, default_output, write_html

    if fmt not in ("html", "json"):
        raise _fail("--format takes html or json", 2)
    settings = _built_with(_settings(config, db))
    try:
        data = build_report(settings.database, run, data_docs=data_docs and fmt == "html")
    except (FileNotFoundError, NoRunsError) as exc:
        raise _fail(str(exc), 2) from exc
    except WarehouseBusy as exc:
        raise _fail(reader_busy_line(settings.database, exc)) from exc
    if fmt == "json":
        text = json.dumps(data.to_dict(), indent=2, default=str, ensure_ascii=False) + "\n"
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            console.file.write(text)
        return
    path = write_html(data, output or default_output(settings.database, data.run_id))
    print_report_summary(data, console, path)


# --- consumers ------------------------------------------------------------------------------------------


@app.command(help=_metrics_help())
def metrics(
    names: Annotated[list[str], typer.Argument(help="Metric names, e.g. valid_orders gmv")],
    by: Annotated[Optional[list[str]], typer.Option("--by", help="Dimension to group by (repeatable), e.g. channel")] = None,
    grain: Annotated[str, typer.Option("--grain", help="day, week, month, quarter, year or none")] = "day",
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    raw_csv: RawCsvOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Answer metrics (MetricFlow) from the published facts (the read snapshot: never waits for a run)."""
    settings = _built_with(_settings(config, db))
    try:
        result = query_metrics(
            reader_path(settings.database), semantic_manifest(settings.database), names, by or [], None if grain == "none" else grain
        )
        render(result.columns, result.rows, fmt, console, output=output, title="Metrics (published)", raw_csv=raw_csv)
    except (MetricsError, ConfigError, ValueError) as exc:
        raise _fail(str(exc), 2) from exc
    except WarehouseBusy as exc:
        raise _fail(reader_busy_line(settings.database, exc)) from exc


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="A read-only SQL query, e.g. \"select * from published.fct_orders\"")],
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    raw_csv: RawCsvOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Run a read-only query against the read snapshot (published, audit, quarantine, ops as of the last
    command that wrote: never waits for a run, docs/operations.md)."""
    settings = _settings(config, db)
    try:
        if is_spark(settings):
            columns, rows = spark_read_query(settings, settings.database, query)
        else:
            columns, rows = read_query(reader_path(settings.database), query)
        render(columns, rows, fmt, console, output=output, raw_csv=raw_csv)
    except (QueryError, ValueError, ConfigError) as exc:
        raise _fail(str(exc), 2) from exc
    except WarehouseBusy as exc:
        raise _fail(reader_busy_line(settings.database, exc)) from exc


@app.command()
def status(fmt: FormatOption = Format.table, db: DbOption = None, config: ConfigOption = None) -> None:
    """Per connection: last push, last poll, backlog, last publish and lag (docs/continuous.md). Reads what is on
    disk, whether `serve` runs or not."""
    from orderlayer.core.status import COLUMNS, connection_status

    settings = _settings(config, db)
    try:
        found = connection_status(settings)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from exc
    except WarehouseBusy as exc:
        raise _fail(reader_busy_line(settings.database, exc)) from exc
    render(COLUMNS, [s.row() for s in found], fmt, console, title="Connections")


@app.command()
def export(
    to: Annotated[Path, typer.Option("--to", help="Directory for one <name>.parquet per published table and view")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Write every published table and view to Parquet, for tools that read files."""
    from orderlayer.core.export import ExportError, export_published, export_published_spark

    settings = _settings(config, db)
    try:
        result = export_published_spark(settings, to) if is_spark(settings) else export_published(settings.database, to)
    except (ExportError, ConfigError) as exc:
        raise _fail(str(exc), 2) from exc
    except WarehouseBusy as exc:
        raise _fail(reader_busy_line(settings.database, exc)) from exc
    rows = [(r.name, r.kind, r.rows, r.file) for r in result.relations]
    render(["relation", "kind", "rows", "file"], rows, Format.table, console, title=f"Exported to {result.directory}")
    console.print(f"published version {result.published_version}; manifest {escape(result.directory / '_export.json')}")


def main() -> None:  # pragma: no cover - console entry
    app()
