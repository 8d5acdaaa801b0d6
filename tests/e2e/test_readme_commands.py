"""Every command the README names, through the real `orderlayer` command.

Most steps run on one small file-source project written here by hand (three orders, three lines: the exports of
tests/files/test_file_source_pipeline.py), so every expected value is computed from those rows: `init`, `files
check`/`generate`, `sync` with its bookmark line and `--full-refresh`, `run` blocked by a red gate, a changed
config refused until `build` records it, `publish`, `sql --format json|parquet`. `run`'s sync-failure path uses a
connection to a closed port; `check` without a config and `metrics`' did-you-mean read the shared demo.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from orderlayer.core.config import STARTER
from tests.demo_settings import ORDERLAYER
from tests.files.support import dbt_project_copy, query
from tests.files.test_file_source_pipeline import HEADER, ITEMS, ROWS

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SALT = "readme-commands-test-salt"
#: The export files' modification times: the file source's bookmark is each stream's newest file's.
ORDERS_MTIME = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
LINES_MTIME = datetime(2026, 10, 12, 3, 0, tzinfo=UTC)
MORE_MTIME = datetime(2026, 10, 13, 4, 30, tzinfo=UTC)
CONFIG = """\
database: wh.duckdb
connections:
  wechat:
    source: files
    shop_id: wx-shop-01
    options:
      mapping: wechat_shop.yml
"""
#: R3 calls an order placed before this date an error: WX001 (2026-10-05 13:07:33 UTC) and WX002 (2026-10-06
#: 02:00 UTC) are, WX003 (2026-10-07 00:00:00 UTC, 08:00 Beijing) is not.
RED = CONFIG + "gates:\n  earliest_order_date: \"2026-10-07\"\n"


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    # wide columns: rich wraps lines at 80 off a terminal
    full = {**os.environ, "ORDERLAYER_PII_SALT": SALT, "COLUMNS": "400", **(env or {})}
    return subprocess.run([ORDERLAYER, *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=900)


def flat(result: subprocess.CompletedProcess) -> str:
    return " ".join((result.stdout + result.stderr).split())


def write_exports(work: Path) -> None:
    shutil.copy(ROOT / "docs" / "examples" / "file-source" / "wechat_shop.yml", work / "wechat_shop.yml")
    exports = work / "exports"
    exports.mkdir()
    orders = exports / "wechat_orders_test.csv"
    with orders.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(ROWS[:3])  # WX001-WX003: the rows the mapping types without quarantine
    book = Workbook()
    book.active.title = "商品明细"
    for row in ITEMS:
        book.active.append(row)
    book.save(exports / "wechat_order_items_test.xlsx")
    os.utime(orders, (ORDERS_MTIME.timestamp(), ORDERS_MTIME.timestamp()))
    lines = exports / "wechat_order_items_test.xlsx"
    os.utime(lines, (LINES_MTIME.timestamp(), LINES_MTIME.timestamp()))


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess | Path]:
    """One project through the README's commands in order; each step's result, for the tests to judge."""
    work = tmp_path_factory.mktemp("readme")
    write_exports(work)
    (work / "orderlayer.yml").write_text(CONFIG, encoding="utf-8")
    # build generates the mapping's staging models into the dbt project: a copy, never the checkout
    project = dbt_project_copy(work)

    def step(*args: str) -> subprocess.CompletedProcess:
        return cli(*args, cwd=work, env={"ORDERLAYER_PROJECT_DIR": str(project)})

    steps: dict[str, subprocess.CompletedProcess | Path] = {"work": work}
    steps["files check"] = step("files", "check", "wechat_shop.yml")
    steps["sync"] = step("sync")
    (work / "raw-1.json").write_text(json.dumps(query(work / "wh.duckdb", "select count(*) from raw.wechat_shop__orders")))
    # a later export with one more order: the orders bookmark moves, the lines bookmark stays
    more = work / "exports" / "wechat_orders_more.csv"
    with more.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerow(["WX010", "待发货", "2026/10/13 12:00:00", "2026/10/13 12:00:30", "", "", "", "9.90", "0.00",
                         "8.00", "17.90", "0.00", "上海市", "上海市", "", "否"])
    os.utime(more, (MORE_MTIME.timestamp(), MORE_MTIME.timestamp()))
    steps["sync again"] = step("sync")
    steps["sync --full-refresh"] = step("sync", "--full-refresh")
    (work / "red.yml").write_text(RED, encoding="utf-8")
    steps["run red"] = step("run", "--config", "red.yml")
    published = query(work / "wh.duckdb", "select count(*) from information_schema.tables where table_schema = 'published'")
    (work / "published-after-red.json").write_text(json.dumps(published))
    steps["check with the default gates"] = step("check")
    steps["build"] = step("build")
    steps["check"] = step("check", "--format", "json")
    steps["publish"] = step("publish")
    steps["sql json"] = step(
        "sql", "select channel_order_id, paid_amount, currency from published.fct_orders order by 1", "--format", "json"
    )
    steps["sql parquet"] = step(
        "sql", "select channel_order_id, paid_amount from published.fct_orders order by 1", "--format", "parquet",
        "--output", "orders.parquet"
    )
    steps["sql parquet without output"] = step("sql", "select 1", "--format", "parquet")
    return steps


def test_init_writes_a_project_whose_starter_names_its_credentials(tmp_path: Path) -> None:
    first = cli("init", "proj", cwd=tmp_path)
    assert first.returncode == 0, flat(first)
    assert (tmp_path / "proj" / "orderlayer.yml").read_text(encoding="utf-8") == STARTER
    assert "created proj" in flat(first)
    again = cli("init", "proj", cwd=tmp_path)
    assert again.returncode == 2
    assert "exist; pass --force to overwrite them" in flat(again)
    forced = cli("init", "proj", "--force", "--db", "other.duckdb", cwd=tmp_path)
    assert forced.returncode == 0, flat(forced)
    assert "database: other.duckdb\n" in (tmp_path / "proj" / "orderlayer.yml").read_text(encoding="utf-8")
    # the starter's Douyin connection reads its secrets from variables not set here: a sync says which
    sync = cli("sync", cwd=tmp_path / "proj", env={"DOUYIN_APP_KEY": "k"})
    assert sync.returncode == 2, flat(sync)
    assert "connections.douyin_main.credentials.app_secret: environment variable DOUYIN_APP_SECRET is not set" in flat(sync)


def test_files_check_lists_each_export_with_its_rows(journey: dict) -> None:
    result = journey["files check"]
    assert result.returncode == 0, flat(result)
    rows = [line.split("│")[1:5] for line in result.stdout.splitlines() if line.startswith("│")]
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["wechat_shop", "orders", "wechat_orders_test.csv", "3"],
        ["wechat_shop", "lines", "wechat_order_items_test.xlsx", "3"],
    ]


def test_files_check_refuses_a_broken_mapping(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("name: Bad Name\n", encoding="utf-8")
    result = cli("files", "check", "bad.yml", cwd=tmp_path)
    assert result.returncode == 2
    assert "bad.yml" in flat(result) and "Traceback" not in flat(result)


def test_files_generate_writes_the_staging_models_into_the_project(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "models" / "staging").mkdir(parents=True)
    shutil.copy(ROOT / "dbt_project.yml", project / "dbt_project.yml")
    shutil.copy(ROOT / "docs" / "examples" / "file-source" / "wechat_shop.yml", tmp_path / "wechat_shop.yml")
    result = cli("files", "generate", "wechat_shop.yml", cwd=tmp_path, env={"ORDERLAYER_PROJECT_DIR": str(project)})
    assert result.returncode == 0, flat(result)
    written = sorted(p.relative_to(project) for p in (project / "models").rglob("*") if p.is_file())
    assert written, "nothing generated"
    assert flat(result).startswith("wechat_shop: ")
    assert all(str(p) in flat(result) for p in written)
    # the example mapping's models are the ones committed in the checkout: generation is the same text
    for path in written:
        assert (project / path).read_text(encoding="utf-8") == (ROOT / path).read_text(encoding="utf-8"), path


def test_sync_prints_the_bookmark_before_and_after(journey: dict) -> None:
    first = journey["sync"]
    assert first.returncode == 0, flat(first)
    assert (
        "wechat: ok — 6 records read, 6 new raw rows; bookmark none → "
        "lines=2026-10-12T03:00:00+00:00, orders=2026-10-12T02:00:00+00:00"
    ) in flat(first)
    assert json.loads((journey["work"] / "raw-1.json").read_text()) == [[3]]
    again = journey["sync again"]
    assert again.returncode == 0, flat(again)
    # the new export holds one order: it is the one new raw row; the lines bookmark does not move
    assert (
        "wechat: ok — 7 records read, 1 new raw rows; bookmark lines=2026-10-12T03:00:00+00:00, "
        "orders=2026-10-12T02:00:00+00:00 → lines=2026-10-12T03:00:00+00:00, orders=2026-10-13T04:30:00+00:00"
    ) in flat(again)


def test_sync_full_refresh_forgets_the_bookmark_and_lands_nothing_twice(journey: dict) -> None:
    result = journey["sync --full-refresh"]
    assert result.returncode == 0, flat(result)
    assert (
        "wechat: ok — 7 records read, 0 new raw rows; bookmark none → "
        "lines=2026-10-12T03:00:00+00:00, orders=2026-10-13T04:30:00+00:00"
    ) in flat(result)
    db = journey["work"] / "wh.duckdb"
    assert query(db, "select count(*) from raw.wechat_shop__orders") == [(4,)]


def test_run_blocked_by_a_red_gate_leaves_nothing_published(journey: dict) -> None:
    result = journey["run red"]
    assert result.returncode == 1, flat(result)
    assert "red gate failed: published is unchanged" in flat(result)
    db = journey["work"] / "wh.duckdb"
    runs = query(db, "select status, verdict, detail from ops.runs where command = 'run'")
    assert [(status, verdict) for status, verdict, _ in runs] == [("blocked", "red")]
    gates = json.loads(runs[0][2])["check"]["gates"]["results"]
    r3 = [(g["channel"], g["colour"], g["failing_count"]) for g in gates if g["gate_id"] == "R3"]
    assert r3 == [("wechat_shop", "red", 2)]  # WX001 and WX002 are placed before 2026-10-07
    assert json.loads((journey["work"] / "published-after-red.json").read_text()) == [[0]]


def test_a_config_that_differs_from_the_build_is_refused_until_build_records_it(journey: dict) -> None:
    refused = journey["check with the default gates"]
    assert refused.returncode == 2, flat(refused)
    assert "gates.earliest_order_date: build used 2026-10-07, orderlayer.yml says 2000-01-01" in flat(refused)
    assert "run `orderlayer build` to rebuild with the new settings" in flat(refused)
    build = journey["build"]
    assert build.returncode == 0, flat(build)
    # no model reads the gate thresholds: nothing is rebuilt, the new settings are recorded
    assert "nothing new" in flat(build) and "recorded the changed settings" in flat(build)
    check = journey["check"]
    assert check.returncode == 0, flat(check)
    gates = json.loads(check.stdout)["gates"]["results"]
    assert [g["colour"] for g in gates if g["gate_id"] == "R3"] == ["green"]


def test_publish_then_sql_as_json_and_parquet(journey: dict) -> None:
    assert journey["publish"].returncode == 0, flat(journey["publish"])
    result = journey["sql json"]
    assert result.returncode == 0, flat(result)
    # paid amounts as the export wrote them, exact (decimals as text); WX010 came with the later export
    assert json.loads(result.stdout) == [
        {"channel_order_id": "WX001", "paid_amount": "197.90", "currency": "CNY"},
        {"channel_order_id": "WX002", "paid_amount": "50.00", "currency": "CNY"},
        {"channel_order_id": "WX003", "paid_amount": "0.10", "currency": "CNY"},
        {"channel_order_id": "WX010", "paid_amount": "17.90", "currency": "CNY"},
    ]
    parquet = journey["sql parquet"]
    assert parquet.returncode == 0, flat(parquet)
    table = pq.read_table(journey["work"] / "orders.parquet").to_pydict()
    assert table["channel_order_id"] == ["WX001", "WX002", "WX003", "WX010"]
    assert [str(v) for v in table["paid_amount"]] == ["197.90", "50.00", "0.10", "17.90"]
    missing = journey["sql parquet without output"]
    assert missing.returncode == 2
    assert "--format parquet needs --output FILE" in flat(missing)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_run_stops_when_a_sync_fails_and_records_why(tmp_path: Path) -> None:
    (tmp_path / "orderlayer.yml").write_text(
        "database: wh.duckdb\nconnections:\n  douyin_main:\n    source: douyin\n    shop_id: \"7784061\"\n"
        f"    base_url: http://127.0.0.1:{_closed_port()}\n"
        "    start_date: \"2026-10-01T00:00:00+08:00\"\n"
        "    credentials: {app_key: T_KEY, app_secret: T_SECRET, access_token: T_TOKEN}\n"
        "    options: {max_tries: 1, request_timeout: 2}\n",
        encoding="utf-8",
    )
    result = cli("run", cwd=tmp_path, env={"T_KEY": "k", "T_SECRET": "s", "T_TOKEN": "t"})
    assert result.returncode == 1, flat(result)
    assert "a sync failed; nothing was built or published" in flat(result)
    db = tmp_path / "wh.duckdb"
    assert query(db, "select status, verdict from ops.runs") == [("failed", None)]
    assert query(db, "select count(*) from information_schema.tables where table_schema in ('audit', 'published')") == [(0,)]


def test_check_without_the_demos_config_judges_with_the_settings_it_was_built_with(shared_demo: Path, tmp_path: Path) -> None:
    """The demo's shops keep their own zones and its ERPs stay linked: a check with no orderlayer.yml anywhere gives
    every gate the colour the demo's own run gave it (with the defaults, Shopify's night orders would be judged
    in Asia/Shanghai and Y5 would say no ERP is linked)."""
    db = tmp_path / "demo.duckdb"
    shutil.copyfile(shared_demo / "demo.duckdb", db)
    result = cli("check", "--format", "json", "--db", "demo.duckdb", cwd=tmp_path)
    assert result.returncode == 0, flat(result)
    judged = {(g["gate_id"], g["channel"]): g["colour"] for g in json.loads(result.stdout)["gates"]["results"]}
    demo_run = query(db, "select gate_id, channel, colour from ops.gate_results where run_id = (select min(run_id) from ops.gate_results)")
    assert judged == {(gate, channel): colour for gate, channel, colour in demo_run}
    notes = {(g["gate_id"], g["channel"]): g["note"] for g in json.loads(result.stdout)["gates"]["results"]}
    assert "matched and agree" in notes[("Y5", "shopify")]


def test_metrics_suggests_the_closest_metric(shared_demo: Path) -> None:
    result = cli("metrics", "gvm", "--db", "demo.duckdb", cwd=shared_demo)
    assert result.returncode == 2
    assert "unknown metric gvm (did you mean gmv?)" in flat(result)
