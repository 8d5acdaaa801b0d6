"""`tap-files`: CSV and Excel order exports, read under a declarative mapping (docs/file-sources.md).

One tap config = one mapping file. Streams `orders` and (when mapped) `lines` emit every non-empty row as
text with its file name and line number, incremental on the file's modification time: a re-exported file is
read again (the loader keeps each distinct row once; staging keeps the newest version of each order).
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import typing as t
from pathlib import Path

from singer_sdk import SchemaDirectory, Stream, StreamSchema, Tap
from singer_sdk import typing as th
from singer_sdk.helpers.conform import TypeConformanceLevel

from orderlayer.taps.files.mapping import FileMapping, MappingError, load_mapping
from orderlayer.taps.files.reader import matching_files, read_rows

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(importlib.resources.files("orderlayer.taps.files") / "schemas")


class FileRowsStream(Stream):
    """Rows of one kind of file (``orders`` or ``lines``)."""

    replication_key = "modified_at"
    is_sorted = True  # files are read oldest modification first
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    #: which `files:` entry and which column holds the order id
    file_kind: str = ""

    def __init__(self, tap: TapFiles) -> None:
        super().__init__(tap)
        self.mapping: FileMapping = tap.mapping
        self.base_dir: Path = tap.base_dir

    def _order_id_column(self) -> str:
        columns = self.mapping.columns if self.file_kind == "orders" else self.mapping.line_columns
        return columns["channel_order_id"]

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        spec = self.mapping.files[self.file_kind]  # type: ignore[index]
        bookmark = self.get_starting_replication_key_value(context)
        id_column = self._order_id_column()
        shop_column = self.mapping.columns.get("shop_id")
        files = matching_files(spec, self.base_dir)
        if not files:
            self.logger.warning("No file matches files.%s.path %r (relative to %s)", self.file_kind, spec.path, self.base_dir)
        for path in files:
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).isoformat()
            if bookmark is not None and modified < bookmark:
                continue  # read by an earlier sync and not changed since
            rows = 0
            for row in read_rows(path, spec):
                rows += 1
                yield {
                    "shop_id": self.mapping.shop_id if shop_column is None else row.values.get(shop_column),
                    "order_id": row.values.get(id_column),
                    "file": row.file,
                    "line": row.line,
                    "modified_at": modified,
                    "row": row.values,
                    "extra_cells": row.extra_cells,
                    "numeric_cells": list(row.numeric_cells),
                    "read_problems": list(row.problems),
                }
            self.logger.info("Read %d row(s) from %s", rows, path.name)


class OrdersStream(FileRowsStream):
    name = "orders"
    file_kind = "orders"
    primary_keys: t.ClassVar[list[str]] = ["shop_id", "order_id"]
    schema = StreamSchema(SCHEMAS)


class LinesStream(FileRowsStream):
    name = "lines"
    file_kind = "lines"
    primary_keys: t.ClassVar[list[str]] = ["shop_id", "order_id", "file", "line"]
    schema = StreamSchema(SCHEMAS)


class TapFiles(Tap):
    name = "tap-files"
    config_jsonschema = th.PropertiesList(
        th.Property("mapping", th.StringType, required=True, description="Path of the file-source mapping (YAML)."),
        th.Property("shop_id", th.StringType, description="Set by orderlayer from the connection; informational."),
        th.Property("base_url", th.StringType, description="Unused (orderlayer passes it to every tap)."),
        th.Property("start_date", th.DateTimeType, description="Unused: every file not yet read is read."),
        th.Property("end_date", th.DateTimeType, description="Unused."),
    ).to_dict()

    @property
    def mapping_path(self) -> Path:
        return Path(self.config["mapping"]).expanduser().resolve()

    @property
    def base_dir(self) -> Path:
        return self.mapping_path.parent

    @property
    def mapping(self) -> FileMapping:
        if not hasattr(self, "_mapping"):
            try:
                self._mapping = load_mapping(self.mapping_path)
            except MappingError as exc:
                raise SystemExit(f"config key 'mapping': {exc}") from None
        return self._mapping

    def discover_streams(self) -> list[Stream]:
        streams: list[Stream] = [OrdersStream(self)]
        if "lines" in self.mapping.files:
            streams.append(LinesStream(self))
        return streams

