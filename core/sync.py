"""Sync: run each connection's Singer tap into target-orderlayer, reporting progress to whoever draws it.

Secrets reach the tap only through its environment (singer-sdk `--config ENV`), never a file or a log.
Tokens a tap refreshes are kept in its connection's token store (`<database dir>/tokens/<connection>.json`,
docs/token-store.md), so a platform that rotates refresh tokens does not break the next sync.
The target commits records before it persists the bookmark that covers them, so a sync killed at any
moment resumes from the last committed bookmark without loss or duplicates.
A sync is recorded in `ops.sync_runs` as `running` before anything lands, so every raw row (`_sync_id`) has its
sync record even if the sync is killed (the next writer closes it as `abandoned`, core/ops.py). Its
temporary folder lives beside the database and is named for its process; the next sync removes the folders
of processes that no longer exist.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Protocol

from orderlayer.core import ops
from orderlayer.core.carriers import waybills_for
from orderlayer.core.config import ConfigError, Connection, Settings
from orderlayer.core.filesource import check_source, source_mapping
from orderlayer.core.processes import alive
from orderlayer.core.push_landing import land_pushes
from orderlayer.core.registry import URL_KEY, source
from orderlayer.loader import stores


@dataclass
class SyncResult:
    connection: str
    sync_id: str
    status: str
    records_read: int = 0
    rows_added: int = 0
    bookmark_before: dict | None = None
    bookmark_after: dict | None = None
    error: str | None = None
    log_path: Path | None = None
    extra: dict = field(default_factory=dict)



class SyncProgress(Protocol):
    """What the sync loop tells as it goes; the CLI draws it (rich bars), core knows nothing of terminals."""

    def sync_started(self, connection: str) -> None: ...

    def records_read(self, connection: str, count: int) -> None: ...

    def sync_finished(self, result: SyncResult) -> None: ...

    def syncs_finished(self, results: list[SyncResult]) -> None: ...


def sync_all(
    settings: Settings,
    names: list[str],
    run_id: str,
    progress: SyncProgress,
    end_date: datetime | None = None,
    full_refresh: bool = False,
) -> list[SyncResult]:
    """Sync the named connections (default: all) one after another; a failed sync is a result, not an error.

    Raises ConfigError, before any sync starts, for an unknown name or a credential that does not resolve."""
    unknown = [n for n in names if n not in settings.connections]
    if unknown:
        raise ConfigError(
            f"connections: {', '.join(unknown)} not in the configuration; known: {', '.join(settings.connections) or 'none'}"
        )
    selected = names or list(settings.connections)
    for name in selected:  # every credential and the PII salt resolve before anything starts
        tap_env(name, settings.connections[name], settings)
        if settings.connections[name].mapping_path is not None:  # a file source's mapping fits its files
            check_source(name, settings.connections[name].mapping_path)
    land_pushes(settings, selected, run_id)  # what `serve` acknowledged lands first (docs/serve.md)
    results = []
    for name in selected:
        progress.sync_started(name)
        result = sync_connection(
            name,
            settings,
            settings.database,
            run_id=run_id,
            end_date=end_date,
            full_refresh=full_refresh,
            on_records=lambda n, c=name: progress.records_read(c, n),
        )
        progress.sync_finished(result)
        results.append(result)
    progress.syncs_finished(results)
    return results

def _executable(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise ConfigError(f"{name} is not installed; run `make demo` or `pip install -e .` in the orderlayer checkout")
    return found


def token_store_path(db_path: Path, name: str) -> Path:
    """Where connection ``name`` keeps its refreshed tokens: beside the database, one file per connection."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name).lstrip(".")
    if safe != name:  # keep names that differ only in unsafe characters apart
        safe = f"{safe}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return (db_path.parent / "tokens" / f"{safe}.json").resolve()


def tap_config(conn: Connection, end_date: datetime | None = None, token_store: Path | None = None) -> dict[str, object]:
    """The non-secret part of a tap's config. ``token_store``: the file for refreshed tokens, for sources that
    refresh them (an explicit ``options.token_store_path`` wins)."""
    spec = source(conn.source)
    # a tap without a default URL of its own derives it (Shopify: from the shop); options may still set it
    config: dict[str, object] = {} if conn.gateway is None else {URL_KEY: conn.gateway}
    config.update(conn.options)
    chosen = conn.options.get("token_store_path") or token_store
    if chosen and "refresh_token" in spec.secret_keys:
        # Absolute: the tap runs in a temporary directory.
        config["token_store_path"] = str(Path(str(chosen)).expanduser().resolve())
    if spec.shop_key:
        config[spec.shop_key] = conn.shop_id
    if conn.mapping_path is not None:
        config["mapping"] = str(conn.mapping_path)
    if conn.start_date is not None:
        config["start_date"] = conn.start_date.isoformat()
    if end_date is not None:
        config["end_date"] = end_date.isoformat()
    return config


def tap_env(name: str, conn: Connection, settings: Settings) -> dict[str, str]:
    spec = source(conn.source)
    env = {key: value for key, value in os.environ.items() if not key.startswith(spec.env_prefix)}
    secrets = conn.credentials.resolve(name)
    missing = [key for key in spec.required_secrets if key not in secrets]
    if missing:
        raise ConfigError(
            f"connections.{name}.credentials: {', '.join(missing)} missing; map each to the environment variable "
            f"that holds it, e.g. `{missing[0]}: {conn.source.upper()}_{missing[0].upper()}`"
        )
    if conn.mapping_path is None or source_mapping(name, conn.mapping_path).has_personal_data():
        secrets["pii_salt"] = settings.pii_salt()  # a file source without a buyer id to hash needs none
    for key, value in secrets.items():
        env[spec.env_prefix + key.upper()] = value
    return env


def push_config(name: str, settings: Settings) -> dict[str, object]:
    """The config a connection's push receiver or consumer is built from: the tap's settings with its secrets and
    the PII salt (what the tap reads from its environment in a sync), so a record it fetches or receives is scrubbed
    and hashed exactly as a synced one. Raises ConfigError like tap_env."""
    conn = settings.connections[name]
    spec = source(conn.source)
    env = tap_env(name, conn, settings)
    secrets = {key[len(spec.env_prefix):].lower(): value for key, value in env.items() if key.startswith(spec.env_prefix)}
    return {**tap_config(conn, token_store=token_store_path(settings.database, name)), **secrets}


def sync_connection(
    name: str,
    settings: Settings,
    db_path: Path,
    run_id: str | None = None,
    end_date: datetime | None = None,
    full_refresh: bool = False,
    on_records: Callable[[int], None] | None = None,
    log_dir: Path | None = None,
) -> SyncResult:
    conn = settings.connections[name]
    spec = source(conn.source)
    sync_id = str(uuid.uuid4())
    env = tap_env(name, conn, settings)

    if full_refresh:
        stores.clear_state(settings, db_path, name)
    state = stores.read_state(settings, db_path, name)
    ops_db = stores.ops_database(settings, db_path)

    started = ops.now()
    log_dir = log_dir or db_path.parent / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"sync-{name}-{sync_id[:8]}.log"
    result = SyncResult(connection=name, sync_id=sync_id, status="running", bookmark_before=state, log_path=log_path)
    record = {
        "sync_id": sync_id,
        "run_id": run_id,
        "connection": name,
        "started_at": started,
        "finished_at": None,
        "status": "running",
        "records_read": None,
        "rows_added": None,
        "bookmark_before": state,
        "bookmark_after": None,
        "error": None,
    }
    ops.record_sync(ops_db, record)  # before anything lands: no raw row without its sync record
    temp_root = sync_temp_root(db_path)
    remove_dead_temp(temp_root)
    temp_root.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix=f"sync-{os.getpid()}-", dir=temp_root) as tmp:
        tap_cfg = Path(tmp) / "tap.json"
        config = tap_config(conn, end_date, token_store_path(db_path, name))
        if spec.kind == "carrier" and "waybills" not in conn.options:  # the parcels to track (core/carriers.py)
            config["waybills"] = waybills_for(db_path, conn.source, settings, end_date)  # the sync's clock
        tap_cfg.write_text(json.dumps(config), encoding="utf-8")
        target_cfg = Path(tmp) / "target.json"
        target_cfg.write_text(
            json.dumps(
                {
                    **stores.target_location(settings, db_path),
                    "table_prefix": conn.channel,
                    "connection": name,
                    "state_key": name,
                    "sync_id": sync_id,
                }
            ),
            encoding="utf-8",
        )
        tap_cmd = [_executable(spec.executable), "--config", str(tap_cfg), "--config", "ENV"]
        if state:
            state_file = Path(tmp) / "state.json"
            state_file.write_text(json.dumps(state), encoding="utf-8")
            tap_cmd += ["--state", str(state_file)]
        target_cmd = [_executable("target-orderlayer"), "--config", str(target_cfg)]

        with open(log_path, "w", encoding="utf-8") as log:
            tap = subprocess.Popen(tap_cmd, stdout=subprocess.PIPE, stderr=log, env=env, cwd=tmp)
            target = subprocess.Popen(target_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=tmp)
            emitted: list[bytes] = []
            reader = threading.Thread(target=lambda: emitted.extend(target.stdout), daemon=True)  # type: ignore[arg-type]
            reader.start()
            records = 0
            try:
                assert tap.stdout is not None and target.stdin is not None
                for line in tap.stdout:
                    target.stdin.write(line)
                    if b'"RECORD"' in line[:32]:
                        records += 1
                        if on_records and records % 500 == 0:
                            on_records(500)
                if on_records:
                    on_records(records % 500)
            except BrokenPipeError:
                tap.kill()
            finally:
                if target.stdin:
                    try:
                        target.stdin.close()
                    except BrokenPipeError:
                        pass
            tap_rc = tap.wait()
            target_rc = target.wait()
            reader.join(timeout=10)

    result.records_read = records
    result.bookmark_after = stores.read_state(settings, db_path, name)
    result.rows_added = stores.rows_of_sync(settings, db_path, spec.stream_tables(conn.channel), sync_id)
    try:
        stores.after_landing(settings, db_path)  # Spark: a new raw table into its catalog (retried until it is)
        registration = None
    except Exception as exc:  # noqa: BLE001 - the rows are landed and the next sync retries; the sync says why
        registration = str(exc)

    if tap_rc != 0 or target_rc != 0:
        result.status = "failed"
        who = "tap" if tap_rc != 0 else "target"
        result.error = f"{who} exited with code {tap_rc if tap_rc else target_rc}: {_last_error(log_path)}"
    else:
        result.status = "ok" if registration is None else "failed"
        result.error = registration
    ops.record_sync(
        ops_db,
        {
            **record,
            "finished_at": ops.now(),
            "status": result.status,
            "records_read": result.records_read,
            "rows_added": result.rows_added,
            "bookmark_after": result.bookmark_after,
            "error": result.error,
        },
    )
    return result


def sync_temp_root(db_path: Path) -> Path:
    """Where syncs keep their temporary folders (tap and target config, state): beside the database."""
    return db_path.resolve().parent / ".sync-tmp"  # absolute: the tap runs inside it


def remove_dead_temp(root: Path) -> list[Path]:
    """Remove the temporary folders of syncs whose process is gone (killed); returns them."""
    removed = []
    for folder in sorted(root.glob("sync-*")) if root.is_dir() else []:
        pid = folder.name.split("-")[1]
        if pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _last_error(log_path: Path) -> str:
    """The most telling line of a failed sync's log (the exception message)."""
    lines = [line.strip() for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    for line in reversed(lines):
        if "Error" in line or "error" in line:
            return line[-400:]
    return lines[-1][-400:] if lines else "no output"
