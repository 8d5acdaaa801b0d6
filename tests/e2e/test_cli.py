"""End to end: the real `orderlayer` command on the bundled sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orderlayer.core.demo import DemoWorld, demo_settings, start_sandboxes
from orderlayer.core.dbt import dbt_artifacts
from orderlayer.core.sync import token_store_path
from orderlayer.sandboxes.douyin.generator import OrderGenerator

pytestmark = pytest.mark.e2e

from tests.demo_settings import DEMO_AS_OF as AS_OF
from tests.demo_settings import DEMO_ORDERS as ORDERS
from tests.demo_settings import DEMO_SEED as SEED

ORDERLAYER = str(Path(sys.executable).with_name("orderlayer"))


def cli(*args: str, cwd: Path, tz: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if tz:
        env["TZ"] = tz
    return subprocess.run([ORDERLAYER, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo(shared_demo: Path) -> Path:
    return shared_demo


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoWorld]:
    """The demo's sandboxes again, in this process: same seed and clock, so the same orders (the truth)."""
    with start_sandboxes(seed=SEED, as_of=datetime.fromisoformat(AS_OF), orders=ORDERS, shops=2,
                         work=tmp_path_factory.mktemp("world")) as started:
        yield started


def test_demo_publishes_every_generated_order(demo: Path) -> None:
    db = demo / "demo.duckdb"
    generator = OrderGenerator(SEED, __import__("datetime").datetime.fromisoformat(AS_OF), ORDERS, ["7784061", "7784062"])
    expected = {generator.order_id_of(i) for i in range(ORDERS)}
    published = {r[0] for r in query(db, "select channel_order_id from published.fct_orders where channel = 'douyin'")}
    assert published == expected
    # each id is text, exactly as generated (19 digits, some beyond 2^53)
    assert all(len(i) == 19 and i.isdigit() for i in published)
    assert any(int(i) > 2**53 for i in published)


def test_demo_runs_every_channel_and_every_order_reaches_published(demo: Path, world: DemoWorld) -> None:
    db = demo / "demo.duckdb"
    published: dict[str, set[str]] = {}
    for channel, order_id in query(db, "select channel, channel_order_id from published.fct_orders"):
        published.setdefault(channel, set()).add(order_id)
    expected = {
        "douyin", "jd", "taobao", "pinduoduo", "youzan", "meituan", "eleme", "tiktok_shop", "shopify", "wechat_shop",
    }
    assert set(published) == expected
    for spec, sandbox in world.channels:
        served = {f.channel_order_id for f in sandbox.order_facts()}
        assert published[spec.source] == served, spec.source
    # the file source: every export row (this size plants no defect) is an order
    assert len(published["wechat_shop"]) == max(60, ORDERS // 4)
    # and the metrics break down by channel
    out = cli("metrics", "valid_orders", "--by", "channel", "--grain", "none", "--format", "json", "--db", "demo.duckdb", cwd=demo)
    assert out.returncode == 0, out.stderr
    assert {row["channel"] for row in json.loads(out.stdout)} == expected


def test_erp_matching_agrees_with_how_the_erp_sandboxes_booked_each_order(demo: Path, world: DemoWorld) -> None:
    """Truth from the ERP sandboxes' derivation; expectations computed from it alone (docs/erp-reconciliation.md)."""
    db = demo / "demo.duckdb"
    rows = query(db, """select channel, channel_order_id, erp_system, erp_order_id, match_status, mismatch_reasons
                        from published.map_order_ids""")
    mapped = {(r[0], r[1]): r[2:] for r in rows}
    as_of = int(datetime.fromisoformat(AS_OF).timestamp())
    checked = {"matched": 0, "unmatched": 0, "conflict": 0}
    for spec, sandbox, _ in world.erps:
        for d in sandbox.derivation():
            if d.outcome in ("not_paid", "erp_only"):
                continue
            erp_system, erp_order_id, status, reasons = mapped[(d.channel, d.channel_order_id)]
            if d.visible_from is None or d.visible_from > as_of:  # missing, or booked after the demo's clock
                assert (status, erp_order_id) == ("unmatched", None), d
                checked["unmatched"] += 1
                continue
            want = []
            if abs(d.erp_amount - d.channel_amount) > Decimal("0.01"):
                want.append("amount_differs")
            if (d.channel_status == "cancelled") != (d.erp_status == "cancelled"):
                want.append("cancelled_in_channel_only" if d.channel_status == "cancelled" else "cancelled_in_erp_only")
            assert (erp_system, erp_order_id) == (spec.source, d.erp_order_id), d
            assert (status, sorted(reasons)) == ("conflict" if want else "matched", sorted(want)), d
            checked[status] += 1
    assert all(n > 0 for n in checked.values()), checked
    # ERP-only orders (not cancelled by the clock) are reconciliation exceptions, never a crash
    erp_only = {(r[0], r[1]) for r in query(db, "select erp_system, erp_order_id from published.fct_reconciliation_exceptions "
                                                "where exception_type = 'erp_only'")}

    def cancelled(d: object) -> bool:
        return d.erp_status == "cancelled" and (d.erp_changed_at is None or d.erp_changed_at <= as_of)

    truth = {(spec.source, d.erp_order_id) for spec, sandbox, _ in world.erps for d in sandbox.derivation()
             if d.outcome == "erp_only" and d.visible_from is not None and d.visible_from <= as_of and not cancelled(d)}
    assert truth and truth == erp_only


def test_demo_prints_metrics_and_report(demo: Path) -> None:
    reports = list((demo / "reports").glob("report-*.html"))
    assert reports, "demo writes an HTML report"
    html = reports[0].read_text(encoding="utf-8")
    assert "R1" in html and "verdict" in html.lower()
    # the reconciliation: channel vs ERP per shop, and the orders behind the differences
    assert 'id="reconciliation"' in html and 'id="reconciliation-exceptions"' in html and "missing_in_erp" in html
    # no plaintext receiver data reaches the report
    assert "post_tel" not in html


def test_metrics_match_independent_sql(demo: Path) -> None:
    out = cli("metrics", "valid_orders", "gmv", "paid_amount", "--by", "shop_id", "--grain", "none",
              "--format", "json", "--db", "demo.duckdb", cwd=demo)
    assert out.returncode == 0, out.stderr
    answered = {row["shop_id"]: row for row in json.loads(out.stdout)}
    expected = query(
        demo / "demo.duckdb",
        """select shop_id, count(*), sum(goods_amount), sum(paid_amount) from published.fct_orders
        where is_paid and not is_cancelled and not is_test group by shop_id""",
    )
    assert set(answered) == {r[0] for r in expected}
    for shop, count, gmv, paid in expected:
        assert answered[shop]["valid_orders"] == count
        assert Decimal(answered[shop]["gmv"]) == gmv
        assert Decimal(answered[shop]["paid_amount"]) == paid


def test_demo_is_deterministic_across_machine_timezones(demo: Path, tmp_path: Path) -> None:
    again = cli("demo", "--db", "demo.duckdb", "--orders", str(ORDERS), "--seed", str(SEED), "--as-of", AS_OF,
                "--shops", "2", cwd=tmp_path, tz="America/New_York")
    assert again.returncode == 0, again.stdout + again.stderr
    # ids are unique per channel and shop only (several sandboxes plant 2^53 - 1)
    facts = """select channel, shop_id, channel_order_id, paid_amount, goods_amount, ordered_at, business_date, status
               from published.fct_orders order by 1, 2, 3"""
    assert query(tmp_path / "demo.duckdb", facts) == query(demo / "demo.duckdb", facts)


def test_sql_is_read_only(demo: Path) -> None:
    before = query(demo / "demo.duckdb", "select count(*) from published.fct_orders")
    out = cli("sql", "delete from published.fct_orders", "--db", "demo.duckdb", cwd=demo)
    assert out.returncode == 2
    assert query(demo / "demo.duckdb", "select count(*) from published.fct_orders") == before
    ok = cli("sql", "select count(*) as n from published.fct_orders", "--format", "csv", "--db", "demo.duckdb", cwd=demo)
    assert ok.returncode == 0 and ok.stdout.splitlines() == ["n", str(before[0][0])]


def _published_fingerprint(db: Path) -> list[tuple]:
    return query(
        db,
        """select (select md5(string_agg(o::varchar, '|' order by order_key)) from published.fct_orders o),
                  (select md5(string_agg(l::varchar, '|' order by order_key, line_number)) from published.fct_order_lines l),
                  (select max(version) from ops.publish_log)""",
    )


def test_red_gate_blocks_publish_and_leaves_published_unchanged(demo: Path, tmp_path: Path) -> None:
    db = tmp_path / "red.duckdb"
    db.write_bytes((demo / "demo.duckdb").read_bytes())
    before = _published_fingerprint(db)
    con = duckdb.connect(str(db))
    # the same channel order twice under another key (R1; the contract's primary key already refuses
    # a repeated order_key) and a 100x amount that makes the lines stop summing (R2)
    con.execute("insert into audit.fct_orders select * replace (md5(order_key || 'copy') as order_key) "
                "from audit.fct_orders where channel = 'douyin' order by order_key limit 1")
    con.execute("update audit.fct_orders set paid_amount = paid_amount * 100 where order_key = "
                "(select min(order_key) from audit.fct_orders where is_paid and channel = 'douyin')")
    con.close()
    check = cli("check", "--format", "json", "--db", str(db), cwd=tmp_path)
    assert check.returncode == 1, check.stdout + check.stderr
    verdict = json.loads(check.stdout)
    assert verdict["verdict"] == "red"
    red = {(g["gate_id"], g["channel"]): g["failing_count"] for g in verdict["gates"]["results"] if g["colour"] == "red"}
    assert red[("R1", "douyin")] == 2  # both copies of the duplicated key
    assert red[("R2", "douyin")] >= 1
    published = cli("publish", "--db", str(db), cwd=tmp_path)
    assert published.returncode == 1
    assert _published_fingerprint(db) == before


def test_yellow_gate_publishes_and_fail_on_yellow_exits_1(demo: Path, tmp_path: Path) -> None:
    db = tmp_path / "yellow.duckdb"
    db.write_bytes((demo / "demo.duckdb").read_bytes())
    con = duckdb.connect(str(db))
    con.execute("update audit.fct_orders set status = 'unknown', status_native = '999' where order_key = "
                "(select min(order_key) from audit.fct_orders where channel = 'douyin')")
    # an edit outside a build: record it as one, or publish finds nothing new since the demo's publish
    con.execute("insert into ops.unpublished_builds values (now(), 'full')")
    con.close()
    check = cli("check", "--format", "json", "--db", str(db), cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    result = json.loads(check.stdout)
    assert result["verdict"] == "yellow"
    y2 = [g for g in result["gates"]["results"] if g["gate_id"] == "Y2" and g["colour"] != "green"]
    assert [(g["channel"], g["colour"], g["failing_count"]) for g in y2] == [("douyin", "yellow", 1)]
    strict = cli("check", "--fail-on", "yellow", "--db", str(db), cwd=tmp_path)
    assert strict.returncode == 1
    published = cli("publish", "--db", str(db), cwd=tmp_path)
    assert published.returncode == 0, published.stdout + published.stderr
    assert query(db, "select count(*) from published.fct_orders where status = 'unknown'") == [(1,)]


def test_config_error_names_the_key_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "orderlayer.yml").write_text("reporting_timezone: CST\nconnections: {}\n", encoding="utf-8")
    out = cli("check", cwd=tmp_path)
    assert out.returncode == 2
    assert "reporting_timezone" in out.stderr and "IANA" in out.stderr


def test_no_plaintext_personal_data_anywhere(demo: Path) -> None:
    """The sandbox puts plaintext phones and names into some orders; none may land in any table."""
    generator = OrderGenerator(SEED, __import__("datetime").datetime.fromisoformat(AS_OF), ORDERS, ["7784061", "7784062"])
    planted = [generator.order(i) for i in range(ORDERS) if generator.has_plaintext_pii(i)]
    secrets = {o["post_tel"] for o in planted} | {o["post_receiver"] for o in planted}
    assert len(planted) >= 5 and all(secrets)
    db = demo / "demo.duckdb"
    columns = query(
        db,
        """select table_schema, table_name, column_name from information_schema.columns
        where data_type in ('VARCHAR', 'JSON') and table_schema not in ('information_schema', 'pg_catalog')""",
    )
    assert columns
    con = duckdb.connect(str(db), read_only=True)
    try:
        for schema, table, column in columns:
            for secret in secrets:
                hits = con.execute(
                    f'select count(*) from "{schema}"."{table}" where contains("{column}"::varchar, ?)', [secret]
                ).fetchone()[0]
                assert hits == 0, f"plaintext {secret!r} found in {schema}.{table}.{column}"
    finally:
        con.close()
    # and not in the sync logs either
    for log in (demo / "logs").glob("*.log"):
        text = log.read_text(encoding="utf-8", errors="replace")
        assert not any(secret in text for secret in secrets), log


def test_demo_forgets_tokens_a_previous_demo_refreshed(world: DemoWorld, tmp_path: Path) -> None:
    """A demo's sandboxes issue fresh tokens each run: a pair stored by the last demo would be unknown to them."""
    db = tmp_path / "demo.duckdb"
    stale = token_store_path(db, "douyin_7784061")
    stale.parent.mkdir(parents=True)
    stale.write_text("{}", encoding="utf-8")
    unrelated = stale.with_name("my_real_shop.json")
    unrelated.write_text("{}", encoding="utf-8")
    settings = demo_settings(world, db)
    assert "douyin_7784061" in settings.connections
    assert not stale.exists()
    assert unrelated.exists()  # only the demo's own connections are reset


def test_dbt_artifacts_live_beside_the_warehouse(demo: Path) -> None:
    """Run results, the freshness verdict and the semantic manifest of the demo's dbt commands are its own."""
    target, logs = dbt_artifacts(demo / "demo.duckdb")
    assert target == (demo / "dbt" / "demo" / "target").resolve()
    for name in ("manifest.json", "sources.json", "semantic_manifest.json"):
        assert (target / name).is_file(), name
    assert any((target / "run").rglob("fct_orders.sql"))  # the build ran here too
    assert (logs / "dbt.log").is_file()
