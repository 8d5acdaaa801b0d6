"""target-orderlayer: a Singer target that lands every record losslessly in `raw`: DuckDB tables, or with
`engine: spark` Parquet tables in the Spark warehouse (loader/parquet_store.py).

Usable on its own (`tap-x | target-orderlayer --config c.json`). Guarantees:
- lossless: the record is stored as the tap sent it (canonical JSON), never coerced or validated
  against the stream schema — typing happens in dbt staging, where a bad value is quarantined;
- idempotent: a record identical to one already stored adds nothing;
- resumable: on every STATE message the target commits all pending records and (with `state_key`)
  that state in one transaction (on Spark: the batches' files, then the state file), and only then emits it, so a
  bookmark never covers an uncommitted row.
Memory does not grow with the sync: a pending batch holds only the records' stored text, and DuckDB's
cache is capped by `memory_limit`.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import Any

from singer_sdk import typing as th
from singer_sdk.io_base import SingerReader
from singer_sdk.sinks import BatchSink
from singer_sdk.target_base import Target

from orderlayer.core.warehouse import connect
from orderlayer.loader import raw_store as store
from orderlayer.loader.canonical import JsonObject, decode
from orderlayer.loader.parquet_store import ParquetRawStore


class FloatFreeReader(SingerReader):
    """Reads each message without floats (loader/canonical.py): a record arrives as a `JsonObject`, which the raw
    store writes with the fast canonical encoder. A line that is not JSON is still named by the SDK's reader."""

    def deserialize_json(self, line: str) -> dict:
        try:
            message = decode(line)
        except json.JSONDecodeError:
            return super().deserialize_json(line)
        if isinstance(message, dict) and message.get("type") == "RECORD" and isinstance(message.get("record"), dict):
            message["record"] = JsonObject(message["record"])
        return message


class RawSink(BatchSink):
    """Buffers one stream's records as stored text and appends them to its raw table in one transaction."""

    # A batch also ends at every STATE message (see TargetOrderlayer); the `batch_size_rows` setting overrides.
    MAX_SIZE_DEFAULT = 10_000

    def __init__(self, target: Target, *args: Any, **kwargs: Any) -> None:
        super().__init__(target, *args, **kwargs)
        self._owner = target

    @property
    def include_sdc_metadata_properties(self) -> bool:
        # Always on, so the record message's time_extracted reaches us (see below).
        return True

    def _add_sdc_metadata_to_record(self, record: dict, message: dict, context: dict) -> None:
        # Keep the record exactly as sent; carry only the extraction time alongside it.
        extracted = message.get("time_extracted")
        record["__extracted_at"] = datetime.fromisoformat(extracted) if isinstance(extracted, str) else None

    def _add_sdc_metadata_to_schema(self) -> None:
        """The stream schema is not used to shape raw rows."""

    def _validate_and_parse(self, record: dict) -> dict:
        # Raw is lossless: no schema validation, no timestamp parsing. A record that does not fit
        # its schema still lands and is quarantined with a reason in dbt staging (rule D3).
        return record

    def _singer_validate_message(self, record: dict) -> None:
        # A record missing its key properties lands too (quarantined downstream as "missing id").
        return None

    def process_record(self, record: dict, context: dict) -> None:
        # Serialise now and keep only the text: a parsed order dict costs several times its JSON in memory.
        target: TargetOrderlayer = self._owner  # type: ignore[assignment]
        extracted = record.pop("__extracted_at", None)
        row = store.raw_row(
            self.stream_name,
            record,
            list(self.key_properties or []),
            target.replication_keys.get(self.stream_name),
            extracted,
        )
        context.setdefault("rows", []).append(row)

    def process_batch(self, context: dict) -> None:
        rows = context.pop("rows", [])
        target: TargetOrderlayer = self._owner  # type: ignore[assignment]
        added = target.raw_store.append_rows(self.stream_name, rows)
        # The SDK tallies records written (read minus merged) when the batch is marked drained.
        self.tally_duplicate_merged(len(rows) - added)


class TargetOrderlayer(Target):
    name = "target-orderlayer"
    default_sink_class = RawSink
    message_reader_class = FloatFreeReader
    # One store (a DuckDB connection, or the pending files of a transaction) is shared by the sinks; it must not
    # be used from several threads.
    max_parallelism = 1

    config_jsonschema = th.PropertiesList(
        th.Property(
            "engine",
            th.StringType,
            default="duckdb",
            allowed_values=["duckdb", "spark"],
            description="Where raw lands: a DuckDB file (`database`) or Parquet tables in a Spark warehouse (`warehouse`)",
        ),
        th.Property("database", th.StringType, description="Path of the DuckDB file (engine duckdb)"),
        th.Property(
            "warehouse",
            th.StringType,
            description="The Spark warehouse folder (engine spark): a local path, hdfs://, s3a:// or gs:// (docs/loader.md)",
        ),
        th.Property(
            "table_prefix",
            th.StringType,
            required=True,
            description="Source system code; raw tables are named <schema>.<table_prefix>__<stream>",
        ),
        th.Property("schema", th.StringType, default="raw", description="Schema of the raw tables"),
        th.Property("connection", th.StringType, description="Connection name stored on every row"),
        th.Property(
            "state_key",
            th.StringType,
            description="If set, committed state is also persisted under this key (DuckDB: ops.singer_state; Spark: "
            "the warehouse's _orderlayer_state folder)",
        ),
        th.Property("sync_id", th.StringType, description="Identifier of this sync run (default: a new UUID)"),
        th.Property(
            "memory_limit",
            th.StringType,
            default="256MB",
            description="DuckDB memory_limit of the loader's connection: caps its buffer cache, which otherwise "
            "grows with the raw tables up to 80% of the machine's memory (data beyond it spills to disk)",
        ),
        th.Property(
            "checkpoint_threshold",
            th.StringType,
            default="1GB",
            description="DuckDB checkpoint_threshold (WAL size that triggers a checkpoint). With DuckDB's 16MB "
            "default a checkpoint ran every few thousand orders and the sync slowed as the table grew "
            "(bench/sync_bench.py); committed rows are as durable in the WAL, so a crash loses nothing either way",
        ),
    ).to_dict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sync_id = self.config.get("sync_id") or str(uuid.uuid4())
        self.raw_store = self._open_store()
        self.replication_keys: dict[str, str | None] = {}
        self.state_refusals: list[str] = []
        self._state_to_emit: dict | None = None

    def _open_store(self) -> store.RawStore | ParquetRawStore:
        engine = self.config.get("engine", "duckdb")
        where = {"duckdb": "database", "spark": "warehouse"}[engine]
        if not self.config.get(where):
            raise ValueError(f"{where}: required with engine {engine}")
        names = (
            self.config.get("schema", "raw"),
            self.config["table_prefix"],
            self.config.get("connection") or self.config["table_prefix"],
            self.sync_id,
        )
        if engine == "spark":
            return ParquetRawStore(self.config["warehouse"], *names)
        self._con = connect(self.config["database"], create=True)
        for setting, default in (("memory_limit", "256MB"), ("checkpoint_threshold", "1GB")):
            self._con.execute(f"set {setting} = '{_size(setting, self.config.get(setting, default))}'")
        return store.RawStore(self._con, *names)

    def _process_schema_message(self, message_dict: dict) -> None:
        # Remember each stream's replication key so raw rows carry its value (load metadata).
        self.replication_keys[message_dict["stream"]] = (message_dict.get("bookmark_properties") or [None])[0]
        super()._process_schema_message(message_dict)

    def _process_state_message(self, message_dict: dict) -> None:
        super()._process_state_message(message_dict)
        # Commit everything received so far together with this state, then emit it: checkpoints follow the
        # tap's state cadence instead of the SDK's default (only at the end or every 5 minutes), and one
        # transaction means a persisted bookmark never covers an uncommitted row.
        with self.raw_store.transaction():
            self.drain_all()
        self._emit_committed_state()

    def process_endofpipe(self) -> None:
        with self.raw_store.transaction():
            super().process_endofpipe()
        self._emit_committed_state()

    def _write_state_message(self, state: dict) -> None:
        key = self.config.get("state_key")
        if key:
            refused = self.raw_store.write_state(key, state)
            if refused:
                self.state_refusals.extend(refused)
                self.logger.warning("State not persisted for %s: %s", key, "; ".join(refused))
                return
        if self.raw_store.in_transaction:
            self._state_to_emit = state  # emitted once the transaction has committed
        else:
            super()._write_state_message(state)

    def _emit_committed_state(self) -> None:
        state, self._state_to_emit = self._state_to_emit, None
        if state is not None:
            super()._write_state_message(state)


def _size(key: str, value: str) -> str:
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value.strip(), re.IGNORECASE):
        raise ValueError(f"{key}: '{value}' must be a size such as 256MB or 2GB")
    return value.strip()
