"""The settings a warehouse was built with, kept in the warehouse itself.

A build stores what it used (zones, currencies, shops, ERP rules, tolerances, amount ceilings, gate thresholds; never a secret or
an environment variable's value) with its fingerprint in `ops.build_state` (core/incremental.py). Whatever judges
or reads that build — `check`, `publish`, `report`, `metrics` — goes through `settings_for`:

- no configuration file was found: the stored settings are used, so `check --db demo.duckdb` judges the demo's
  shops in their own zones without the demo's config;
- a configuration file (or settings built in code) that disagrees with them is refused, naming every differing key,
  until `orderlayer build` rebuilds with it;
- a warehouse without stored settings (never built, or built by an older release) takes the settings as given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orderlayer.core.config import ConfigError, Settings
from orderlayer.core.warehouse import OPS, connect

#: Stored with a connection so it can be rebuilt from the store, but no part of what the data means.
NOT_COMPARED = frozenset({"base_url", "mapping"})


class SettingsMismatch(ConfigError):
    """The configuration disagrees with the settings the warehouse was built with."""


def snapshot(settings: Settings) -> dict[str, Any]:
    """What a build's results depend on, as plain JSON values."""
    connections = {}
    for name, conn in settings.connections.items():
        entry: dict[str, Any] = {
            "source": conn.source,
            "shop_id": conn.shop_id,
            "channel": conn.channel,
            "timezone": conn.local_timezone,
            "currency": conn.currency,
        }
        if conn.base_url is not None:
            entry["base_url"] = conn.base_url
        if conn.mapping_path is not None:
            entry["mapping"] = str(conn.mapping_path)
        connections[name] = entry
    return {
        "reporting_timezone": settings.reporting_timezone,
        "reporting_currency": settings.reporting_currency,
        "connections": connections,
        "gates": settings.gates.model_dump(mode="json"),
        "erp_matching": {name: rule.model_dump(mode="json") for name, rule in settings.erp_matching.items()},
        "reconciliation": settings.reconciliation.model_dump(mode="json"),
        "amount_ceilings": dict(settings.amount_ceilings),
    }


def stored_settings(db: Path) -> dict[str, Any] | None:
    """The settings of the warehouse's last build (None: no build stored any)."""
    if not db.is_file():
        return None
    con = connect(db, read_only=True)
    try:
        present = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = 'build_state'", [OPS]
        ).fetchone()[0]
        row = None
        if present:
            row = con.execute(f"select fingerprint from {OPS}.build_state order by built_at desc limit 1").fetchone()
    finally:
        con.close()
    return None if row is None else json.loads(row[0]).get("settings")


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:  # noqa: ANN401 - JSON
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            if key not in NOT_COMPARED:
                flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def _shown(value: Any) -> str:  # noqa: ANN401 - JSON
    if value is None:
        return "nothing"
    return value if isinstance(value, str) else json.dumps(value)


def differences(used: dict[str, Any], current: dict[str, Any], origin: str) -> list[str]:
    """One line per key whose value differs, e.g. `gates.night_min_orders: build used 50, orderlayer.yml says 20`."""
    before, after = _flatten(used), _flatten(current)
    lines = []
    for key in sorted(before.keys() | after.keys()):
        if key not in after:
            lines.append(f"{key}: build used {_shown(before[key])}, {origin} has no such key")
        elif key not in before:
            lines.append(f"{key}: build had no such key, {origin} says {_shown(after[key])}")
        elif before[key] != after[key]:
            lines.append(f"{key}: build used {_shown(before[key])}, {origin} says {_shown(after[key])}")
    return lines


def restore(used: dict[str, Any], base: Settings) -> Settings:
    """Settings equal to the stored ones; what is not stored (database, salt variable, publish) comes from ``base``."""
    data = base.model_dump(include={"database", "pii_salt_env", "publish"})
    data.update({key: value for key, value in used.items() if key != "connections"})
    connections = {}
    for name, entry in used["connections"].items():
        conn = {key: entry[key] for key in ("source", "shop_id", "timezone", "currency", "base_url") if entry.get(key)}
        if entry.get("mapping"):
            conn["options"] = {"mapping": entry["mapping"]}
        connections[name] = conn
    settings = Settings.model_validate({**data, "connections": connections})
    for name, conn in settings.connections.items():
        conn._channel = used["connections"][name]["channel"]
    return settings


def settings_for(settings: Settings, db: Path) -> Settings:
    """The settings to judge or read the warehouse at ``db`` with (see the module's doc)."""
    used = stored_settings(db)
    if used is None:
        return settings
    if settings.defaults_only:
        return restore(used, settings)
    lines = differences(used, snapshot(settings), settings.origin)
    if lines:
        raise SettingsMismatch(
            f"{db} was built with other settings than {settings.origin}:\n  "
            + "\n  ".join(lines)
            + "\nrun `orderlayer build` to rebuild with the new settings (or pass --config with the file the build used)"
        )
    return settings
