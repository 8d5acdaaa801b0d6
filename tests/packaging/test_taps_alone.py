"""The taps installed on their own (issue 13, item 8): the `orderlayer-taps` wheel alone in a fresh venv is small,
carries none of the warehouse side, reports its version, and a tap syncs its sandbox into a Singer target nobody
here wrote (target-jsonl, tests/support/thirdparty.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.packaging.venvs import Venv, make_venv
from tests.support.thirdparty import TargetJsonl, ensure_target_jsonl

#: the warehouse side, which a tap must not pull in
WAREHOUSE = {"orderlayer", "dbt-core", "dbt-duckdb", "duckdb", "metricflow", "dbt-metricflow", "great-expectations", "pyarrow"}

#: started in the taps venv: the Shopify sandbox as `orderlayer demo` declares it, one shop, 30 orders
SANDBOX = """
import datetime as dt, json, sys
from orderlayer.sandboxes.shopify.demo import DEMO
shop = DEMO.shops[0]
sandbox = DEMO.sandbox(*DEMO.leading, 11, dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc), 30, [shop], **DEMO.kwargs)
sandbox.start()
ids = sorted({f.channel_order_id for f in sandbox.order_facts() if f.shop_id == shop})
print(json.dumps({"config": {**sandbox.tap_config(shop), **DEMO.options}, "ids": ids}), flush=True)
sys.stdin.read()
sandbox.stop()
"""


@pytest.fixture(scope="module")
def taps(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    return make_venv(tmp_path_factory.mktemp("taps") / "venv", wheelhouse, "orderlayer-taps")


def test_the_taps_install_alone_and_small(taps: Venv, tmp_path: Path) -> None:
    listed = taps.run("python", "-m", "pip", "list", "--format", "json", cwd=tmp_path)
    installed = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert "orderlayer-taps" in installed and "singer-sdk" in installed
    assert installed & WAREHOUSE == set()
    # singer-sdk brings SQLAlchemy (29 MB) along; the whole is about 65 MB (docs/install.md)
    assert taps.installed_mb() < 100


def test_about_reports_the_version(taps: Venv, tmp_path: Path) -> None:
    for tap in ("tap-shopify", "tap-files", "tap-sap"):
        about = taps.run(tap, "--about", "--format", "json", cwd=tmp_path)
        assert about.returncode == 0, about.stderr
        assert json.loads(about.stdout)["version"] == "0.1.0"


def test_a_tap_syncs_its_sandbox_into_target_jsonl(taps: Venv, tmp_path: Path) -> None:
    server = subprocess.Popen(
        [str(taps.bin / "python"), "-c", SANDBOX], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env=taps.env(), cwd=tmp_path,
    )
    try:
        started = json.loads(server.stdout.readline())
        config = tmp_path / "tap-shopify.json"
        config.write_text(json.dumps(started["config"]), encoding="utf-8")
        tap = taps.run("tap-shopify", "--config", str(config), cwd=tmp_path, timeout=300)
        assert tap.returncode == 0, tap.stderr[-3000:]
    finally:
        server.communicate(input="", timeout=60)
    written = TargetJsonl(ensure_target_jsonl()).run(tap.stdout.encode("utf-8"), tmp_path)
    assert len(started["ids"]) == 30
    assert sorted(str(row["id"]) for row in written["orders"]) == started["ids"]
