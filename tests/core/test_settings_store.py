"""The warehouse remembers the settings it was built with (core/settings_store.py): a config that disagrees is
refused naming each differing key, and without a config the stored settings are used."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orderlayer.cli.main import app
from orderlayer.core.config import Settings, load_settings
from orderlayer.core.settings_store import SettingsMismatch, differences, restore, settings_for, snapshot
from orderlayer.core.warehouse import connect, ensure_ops

BUILT = """\
reporting_timezone: Asia/Shanghai
connections:
  douyin_main: {source: douyin, shop_id: "7784061"}
  shopify_us: {source: shopify, shop_id: acme-tea-us, timezone: America/New_York, currency: USD}
  sap_1710: {source: sap, shop_id: "1710", base_url: "https://s4.example.com", credentials: {username: SAP_USER}}
erp_matching:
  sap: {strip_prefixes: ["DY"], customers: {"1000231": "douyin:7784061"}}
gates:
  night_min_orders: 20
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def built_warehouse(tmp_path: Path, settings: Settings) -> Path:
    """A warehouse whose last build stored ``settings`` (as core/incremental.py does, without running dbt)."""
    db = tmp_path / "wh.duckdb"
    con = connect(db, create=True)
    try:
        ensure_ops(con, "build_state")
        fingerprint = {"seeds": {}, "models": {}, "shared": "x", "vars": {}, "settings": snapshot(settings)}
        con.execute(
            "insert into ops.build_state values (?, 'full', 'full build', null, 0, ?)",
            [datetime(2026, 11, 1, tzinfo=UTC), json.dumps(fingerprint)],
        )
    finally:
        con.close()
    return db


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Settings]:
    settings = load_settings(write(tmp_path / "built.yml", BUILT))
    return built_warehouse(tmp_path, settings), settings


def test_snapshot_keeps_what_the_data_means_and_no_secret(tmp_path: Path) -> None:
    stored = snapshot(load_settings(write(tmp_path / "built.yml", BUILT)))
    assert stored["connections"] == {
        # Douyin states its currency and zone (taps/douyin/source.toml): the connection takes them
        "douyin_main": {"source": "douyin", "shop_id": "7784061", "channel": "douyin", "timezone": "Asia/Shanghai", "currency": "CNY"},
        "shopify_us": {"source": "shopify", "shop_id": "acme-tea-us", "channel": "shopify", "timezone": "America/New_York", "currency": "USD"},
        # an ERP's documents carry their currency and date no shop: nothing stated by the connection
        "sap_1710": {"source": "sap", "shop_id": "1710", "channel": "sap", "timezone": None, "currency": None, "base_url": "https://s4.example.com"},
    }
    assert stored["gates"]["night_min_orders"] == 20
    assert stored["erp_matching"]["sap"]["customers"] == {"1000231": "douyin:7784061"}
    assert "SAP_USER" not in json.dumps(stored) and "credentials" not in json.dumps(stored)
    assert set(stored) == {
        "reporting_timezone", "reporting_currency", "connections", "gates", "erp_matching", "reconciliation", "amount_ceilings",
    }


def test_a_disagreeing_config_is_refused_naming_each_key(built: tuple[Path, Settings], tmp_path: Path) -> None:
    db, _ = built
    changed = BUILT.replace("timezone: America/New_York", "timezone: Asia/Shanghai").replace("night_min_orders: 20", "night_min_orders: 50")
    changed = changed.replace('  sap_1710: {source: sap, shop_id: "1710", base_url: "https://s4.example.com", credentials: {username: SAP_USER}}\n', "")
    config = load_settings(write(tmp_path / "orderlayer.yml", changed))
    with pytest.raises(SettingsMismatch) as caught:
        settings_for(config, db)
    lines = str(caught.value).splitlines()
    origin = str(tmp_path / "orderlayer.yml")
    assert lines[1:] == [
        f"  connections.sap_1710.channel: build used sap, {origin} has no such key",
        f"  connections.sap_1710.currency: build used nothing, {origin} has no such key",
        f"  connections.sap_1710.shop_id: build used 1710, {origin} has no such key",
        f"  connections.sap_1710.source: build used sap, {origin} has no such key",
        f"  connections.sap_1710.timezone: build used nothing, {origin} has no such key",
        f"  connections.shopify_us.timezone: build used America/New_York, {origin} says Asia/Shanghai",
        f"  gates.night_min_orders: build used 20, {origin} says 50",
        "run `orderlayer build` to rebuild with the new settings (or pass --config with the file the build used)",
    ]


def test_the_same_settings_pass_and_a_moved_gateway_is_no_difference(built: tuple[Path, Settings], tmp_path: Path) -> None:
    db, settings = built
    assert settings_for(settings, db) is settings
    moved = load_settings(write(tmp_path / "moved.yml", BUILT.replace("s4.example.com", "s4-new.example.com")))
    assert settings_for(moved, db) is moved


def test_without_a_config_the_stored_settings_judge(built: tuple[Path, Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db, _ = built
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")  # no orderlayer.yml here: every value would be a default
    defaults = load_settings(db=db)
    assert defaults.defaults_only and defaults.connections == {}
    used = settings_for(defaults, db)
    assert used.connections["shopify_us"].timezone == "America/New_York"
    assert used.connections["douyin_main"].currency == "CNY"
    assert used.gates.night_min_orders == 20
    assert used.erp_matching["sap"].strip_prefixes == ["DY"]
    assert used.database == db
    assert differences(snapshot(used), snapshot(load_settings(tmp_path / "built.yml")), "x") == []


def test_restore_needs_no_mapping_file(tmp_path: Path) -> None:
    stored = {
        "reporting_timezone": "UTC",
        "reporting_currency": "USD",
        "connections": {
            "wx": {"source": "files", "shop_id": "wx-01", "channel": "wechat_shop", "timezone": None, "currency": None,
                   "mapping": str(tmp_path / "gone.yml")},
        },
        "gates": {},
        "erp_matching": {},
        "reconciliation": {},
        "amount_ceilings": {"CNY": 1000000},
    }
    restored = restore(stored, Settings(database=tmp_path / "x.duckdb"))
    assert restored.connections["wx"].channel == "wechat_shop"
    assert restored.reporting_currency == "USD"
    assert restored.amount_ceilings == {"CNY": 1000000}
    assert restored.database == tmp_path / "x.duckdb"


def test_a_warehouse_without_stored_settings_takes_the_config(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path / "built.yml", BUILT))
    assert settings_for(settings, tmp_path / "absent.duckdb") is settings


@pytest.mark.parametrize("command", [["check"], ["publish"], ["report", "--no-data-docs"], ["metrics", "gmv"]])
def test_commands_that_read_a_build_exit_2_on_a_disagreeing_config(
    built: tuple[Path, Settings], tmp_path: Path, command: list[str]
) -> None:
    db, _ = built
    config = write(tmp_path / "other.yml", BUILT.replace("night_min_orders: 20", "night_min_orders: 21"))
    result = CliRunner().invoke(app, [*command, "--db", str(db), "--config", str(config)], env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert f"gates.night_min_orders: build used 20, {config} says 21" in result.output
