"""target-orderlayer: a Singer target that lands every record losslessly in DuckDB `raw`.

Usable on its own (`tap-x | target-orderlayer --config c.json`). Guarantees:
- lossless: the record is stored as the tap sent it (canonical JSON), never coerced or validated
  against the stream schema — typing happens in dbt staging, where a bad value is quarantined;
- idempotent: a record identical to one already stored adds nothing;
- resumable: on every STATE message the target commits all pending records first and only then
  emits (and, with `state_key`, persists) that state, so a bookmark never covers an uncommitted row.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from singer_sdk import typing as th
from singer_sdk.sinks import BatchSink
from singer_sdk.target_base import Target

from orderlayer.taps.target import store


class RawSink(BatchSink):
    """Buffers one stream's records and appends them to its raw table in one transaction."""

    max_size = 10_000

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

    def process_batch(self, context: dict) -> None:
        records = context.get("records", [])
        target: TargetOrderlayer = self._owner  # type: ignore[assignment]
        added = target.raw_store.append(
            self.stream_name,
            records,
            list(self.key_properties or []),
            target.replication_keys.get(self.stream_name),
        )
        self.tally_record_written(added)
        self.tally_duplicate_merged(len(records) - added)


class TargetOrderlayer(Target):
    name = "target-orderlayer"
    default_sink_class = RawSink
    # One DuckDB connection is shared by the sinks; it must not be used from several threads.
    max_parallelism = 1

    config_jsonschema = th.PropertiesList(
        th.Property("database", th.StringType, required=True, description="Path of the DuckDB file"),
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
            description="If set, committed state is also persisted in ops.singer_state under this key",
        ),
        th.Property("sync_id", th.StringType, description="Identifier of this sync run (default: a new UUID)"),
    ).to_dict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sync_id = self.config.get("sync_id") or str(uuid.uuid4())
        self._con = store.connect(self.config["database"])
        self.raw_store = store.RawStore(
            self._con,
            self.config.get("schema", "raw"),
            self.config["table_prefix"],
            self.config.get("connection") or self.config["table_prefix"],
            self.sync_id,
        )
        self.replication_keys: dict[str, str | None] = {}
        self.state_refusals: list[str] = []

    def _process_schema_message(self, message_dict: dict) -> None:
        # Remember each stream's replication key so raw rows carry its value (load metadata).
        self.replication_keys[message_dict["stream"]] = (message_dict.get("bookmark_properties") or [None])[0]
        super()._process_schema_message(message_dict)

    def _process_state_message(self, message_dict: dict) -> None:
        super()._process_state_message(message_dict)
        # Commit everything received so far, then emit this state: checkpoints follow the tap's
        # state cadence instead of the SDK's default (only at the end or every 5 minutes).
        self.drain_all()

    def _write_state_message(self, state: dict) -> None:
        key = self.config.get("state_key")
        if key:
            refused = store.write_state(self._con, key, state, self.sync_id)
            if refused:
                self.state_refusals.extend(refused)
                self.logger.warning("State not persisted for %s: %s", key, "; ".join(refused))
                return
        super()._write_state_message(state)
