"""orderlayer installed from its wheel into a fresh venv, used the way a data team uses dbt or Meltano (issue 13,
items 1 and 3): `orderlayer init` makes a project, `orderlayer demo` publishes from it, a bare `dbt build` in the
project gives the same facts, and `mf query` reads `published` and never adds currencies.

One venv and one demo serve the module (building and installing take a few minutes: docs/install.md has the
timings); the checks after the demo take seconds each.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.packaging.venvs import REPO, Venv, make_venv

AS_OF = "2026-11-01T00:00:00+00:00"
#: orders each sandbox serves with `--orders 60 --shops 1`: Douyin gets --orders, every other channel its
#: declared minimum of 40 (sandboxes/<x>/demo.py), JD splits them over its 2 shops, the file source its 60
PUBLISHED_ORDERS = {
    "douyin": 60, "eleme": 40, "jd": 40, "meituan": 40, "pinduoduo": 40, "shopify": 40, "taobao": 40,
    "tiktok_shop": 40, "wechat_shop": 60, "youzan": 40,
}


@pytest.fixture(scope="module")
def venv(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    return make_venv(tmp_path_factory.mktemp("wheel") / "venv", wheelhouse, "orderlayer")


@pytest.fixture(scope="module")
def project(venv: Venv, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project made by `orderlayer init`, after `orderlayer demo` ran in it."""
    base = tmp_path_factory.mktemp("user")
    init = venv.run("orderlayer", "init", "shop_analytics", "--db", "warehouse/demo.duckdb", cwd=base)
    assert init.returncode == 0, init.stdout + init.stderr
    folder = base / "shop_analytics"
    demo = venv.run(
        "orderlayer", "demo", "--db", "warehouse/demo.duckdb", "--orders", "60", "--shops", "1", "--seed", "11",
        "--as-of", AS_OF, cwd=folder,
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    return folder


def test_the_wheel_runs_without_the_checkout(venv: Venv, project: Path) -> None:
    where = venv.run(
        "python", "-c",
        "import sys, orderlayer.core.dbt as d, orderlayer.taps; print(d.project_dir()); print(orderlayer.taps.__path__[0]); print(sys.path)",
        cwd=project,
    )
    assert where.returncode == 0, where.stderr
    package, taps, path = where.stdout.splitlines()
    site = str(next(venv.path.glob("lib/python*/site-packages")))
    assert package == f"{site}/orderlayer/dbt_package"
    assert taps == f"{site}/orderlayer/taps"
    assert str(REPO) not in path


def test_init_makes_a_dbt_project_on_the_orderlayer_package(venv: Venv, project: Path) -> None:
    assert {p.name for p in project.iterdir()} >= {
        "orderlayer.yml", "dbt_project.yml", "packages.yml", "profiles.yml", "models", "file_sources", "dbt_packages"
    }
    site = next(venv.path.glob("lib/python*/site-packages"))
    assert (project / "packages.yml").read_text(encoding="utf-8") == f"packages:\n- local: {site}/orderlayer/dbt_package\n"
    # the demo's file source: its staging models were generated into the user's project, not the package
    generated = project / "models" / "staging" / "wechat_shop"
    assert sorted(p.name for p in generated.iterdir()) == [
        "_wechat_shop__models.yml", "_wechat_shop__sources.yml", "stg_wechat_shop__order_lines.sql",
        "stg_wechat_shop__orders.sql", "stg_wechat_shop__status_map.sql",
    ]
    assert not (site / "orderlayer" / "dbt_package" / "models" / "staging" / "wechat_shop").exists()


def test_demo_publishes_every_channel(project: Path) -> None:
    with duckdb.connect(str(project / "warehouse" / "demo.duckdb"), read_only=True) as con:
        counts = dict(con.execute("select channel, count(*) from published.fct_orders group by 1").fetchall())
    assert counts == PUBLISHED_ORDERS


@pytest.fixture(scope="module")
def built_by_orderlayer(venv: Venv, project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo's warehouse as orderlayer built it, then a bare `dbt build` typed in the project folder
    (it reads the vars orderlayer wrote into dbt_project.yml, and writes target/semantic_manifest.json)."""
    copy = tmp_path_factory.mktemp("before") / "orderlayer.duckdb"
    shutil.copyfile(project / "warehouse" / "demo.duckdb", copy)
    bare = venv.run("dbt", "build", cwd=project)
    assert bare.returncode == 0, bare.stdout[-3000:]
    return copy


def test_a_bare_dbt_build_gives_the_same_facts(project: Path, built_by_orderlayer: Path) -> None:
    db = project / "warehouse" / "demo.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute(f"attach '{built_by_orderlayer}' as before (read_only)")
        assert con.execute("select count(*) from audit.fct_orders").fetchone()[0] == sum(PUBLISHED_ORDERS.values())
        for first, second in (("audit", "before.audit"), ("before.audit", "audit")):
            differing = con.execute(
                f"select count(*) from (select * from {first}.fct_orders except select * from {second}.fct_orders)"
            ).fetchone()[0]
            assert differing == 0
        # the facts that depend on orderlayer's vars: ERP matching rules and the shops' own zones
        matched, shop_days = con.execute(
            "select count(erp_order_id), count(*) filter (where shop_local_date <> business_date) from audit.fct_orders"
        ).fetchone()
    assert matched > 0 and shop_days > 0


def _mf(venv: Venv, project: Path, db: Path, *args: str) -> list[dict[str, str]]:
    out = project / "mf.csv"
    out.unlink(missing_ok=True)
    proc = venv.run("mf", "query", *args, "--csv", str(out), cwd=project, ORDERLAYER_DB=str(db))
    assert proc.returncode == 0 and out.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    with out.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_mf_query_reads_published_and_never_adds_currencies(
    venv: Venv, project: Path, built_by_orderlayer: Path, tmp_path: Path
) -> None:
    # the semantic manifest is the bare build's (target/ in the project): `mf query` as a user types it
    # a warehouse whose audit no longer matches published (as after a build the gates refused): MetricFlow must
    # answer from published
    db = tmp_path / "demo.duckdb"  # the same file name: the semantic manifest names the catalog `demo`
    shutil.copyfile(project / "warehouse" / "demo.duckdb", db)
    with duckdb.connect(str(db)) as con:
        con.execute("delete from audit.fct_orders where currency <> 'CNY'")
        expected = {
            currency: f"{total:.2f}"
            for currency, total in con.execute(
                "select currency, sum(goods_amount) from published.fct_orders where is_valid group by 1"
            ).fetchall()
        }
    per_currency = _mf(venv, project, db, "--metrics", "gmv", "--group-by", "order__currency")
    assert {row["order__currency"]: f"{float(row['gmv']):.2f}" for row in per_currency} == expected
    assert set(expected) == {"CNY", "EUR", "USD"}
    # all currencies at once: no number rather than CNY + EUR + USD
    assert _mf(venv, project, db, "--metrics", "gmv") == [{"gmv": ""}]
    # one channel selling in one currency still sums
    by_channel = {row["order__channel"]: row["gmv"] for row in _mf(venv, project, db, "--metrics", "gmv", "--group-by", "order__channel")}
    assert by_channel["shopify"] == "" and by_channel["douyin"] != ""
