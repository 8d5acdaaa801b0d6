"""Issue 18 item 4 through a file source, on the hand-written exports in `exports/`: sync → build → check by the CLI.

First export (`wechat_orders_first.csv`): WX101's paid amount carries a currency sign, so its only version is
quarantined: 1 of 4 orders (25%) → R6 red. WX102 and WX103 are paid (待发货) without a payment time: 2 of the
3 paid orders in fct_orders (66.7%) lack paid_at → Y8 yellow.
Corrected re-export (`wechat_orders_corrected.csv`, synced later): every row readable and timed → R6 and Y8 green;
the quarantined version stays in quarantine.quarantine_orders and R6's note names it as corrected.

Two dbt builds and checks (about a minute of CPU): the only test of the rule through staging, where a file
row's version and sync time come from; the fast, hand-made-mart versions are in test_present.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = Path(__file__).with_name("exports")
ORDERLAYER = str(Path(sys.executable).with_name("orderlayer"))

pytestmark = pytest.mark.e2e


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "ORDERLAYER_PII_SALT": "present-gates-test-salt"}
    return subprocess.run([ORDERLAYER, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def sync_build_check(work: Path) -> dict[tuple[str, str], dict]:
    for step in (("sync",), ("build",)):
        done = cli(*step, cwd=work)
        assert done.returncode == 0, done.stdout + done.stderr
    checked = cli("check", "--format", "json", cwd=work)
    assert checked.returncode in (0, 1), checked.stdout + checked.stderr
    return {(g["gate_id"], g["channel"]): g for g in json.loads(checked.stdout)["gates"]["results"]}


def test_a_corrected_re_export_clears_r6_and_y8(tmp_path: Path) -> None:
    shutil.copy(ROOT / "docs" / "examples" / "file-source" / "wechat_shop.yml", tmp_path / "wechat_shop.yml")
    (tmp_path / "exports").mkdir()
    (tmp_path / "orderlayer.yml").write_text(
        "database: wh.duckdb\nconnections:\n  wechat:\n    source: files\n    shop_id: wx-shop-01\n"
        "    options:\n      mapping: wechat_shop.yml\n",
        encoding="utf-8",
    )
    shutil.copy(EXPORTS / "wechat_orders_first.csv", tmp_path / "exports" / "wechat_orders_1.csv")
    first = sync_build_check(tmp_path)
    r6, y8 = first["R6", "wechat_shop"], first["Y8", "wechat_shop"]
    assert (r6["colour"], r6["failing_count"], r6["note"]) == ("red", 1, "1 of 4 orders have a quarantined version (25.00%)")
    assert (y8["colour"], y8["failing_count"], y8["note"]) == ("yellow", 2, "paid_at missing on 2 of 3 paid orders (66.7%)")

    # the corrected re-export, a newer file beside the first (later modification time: a later version)
    second = tmp_path / "exports" / "wechat_orders_2.csv"
    shutil.copy(EXPORTS / "wechat_orders_corrected.csv", second)
    os.utime(second, (os.stat(second).st_atime, os.stat(tmp_path / "exports" / "wechat_orders_1.csv").st_mtime + 60))
    after = sync_build_check(tmp_path)
    r6, y6, y8 = after["R6", "wechat_shop"], after["Y6", "wechat_shop"], after["Y8", "wechat_shop"]
    assert (r6["colour"], y6["colour"], y8["colour"]) == ("green", "green", "green")
    # 3 corrected: the bad row, and the two rows whose paid_at the re-export fills in under the same update time —
    # conflicting versions (D-051): the later landing wins, the earlier one is quarantined as history
    assert r6["note"] == "0 of 4 orders have a quarantined version (0.00%); 3 corrected by a later valid version"
    assert y8["note"] == "every status has its time"
    # history: the quarantined version is still there
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    try:
        kept = con.execute(
            "SELECT channel_order_id, has_valid_version FROM quarantine.quarantine_orders ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    assert kept == [("WX101", True), ("WX102", True), ("WX103", True)]  # the bad row and the two displaced versions
