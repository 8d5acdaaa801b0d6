"""`tap-files`: CSV and Excel order exports, read under a declarative mapping (docs/file-sources.md).

One tap config = one mapping file. One stream per `files:` entry (`orders`, `lines`, `payments`, …) emits every
non-empty row as text with its file name and line number, incremental on the file's modification time: a
re-exported file is read again (the loader keeps each distinct row once; staging keeps the newest version of each
order). Mapped personal data is masked (phone, name) or salt-hashed (buyer id) before a row leaves the tap.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json
import typing as t
from pathlib import Path

from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.helpers.conform import TypeConformanceLevel

from orderlayer.taps.common.pii import mask_name, mask_phone, salted_hash
from orderlayer.taps.common.tap import DISTRIBUTION
from orderlayer.taps.files.mapping import ORDER_FIELDS, FileMapping, MappingError, load_mapping
from orderlayer.taps.files.reader import matching_files, read_rows

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

SCHEMAS = importlib.resources.files("orderlayer.taps.files") / "schemas"


_MASKS = {"pii_phone": mask_phone, "pii_name": mask_name}


class FileRowsStream(Stream):
    """Rows of one kind of file (a `files:` entry: ``orders``, ``lines``, ``payments``, …)."""

    replication_key = "modified_at"
    is_sorted = True  # files are read oldest modification first
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: TapFiles, kind: str) -> None:
        schema = json.loads((SCHEMAS / ("orders.json" if kind == "orders" else "rows.json")).read_text(encoding="utf-8"))
        self.file_kind = kind
        self.mapping: FileMapping = tap.mapping
        self.base_dir: Path = tap.base_dir
        self._scrub = self._personal_data(tap) if kind == "orders" else {}
        super().__init__(tap, schema=schema, name=kind)
        self.primary_keys = ["shop_id", "order_id"] if kind == "orders" else ["shop_id", "order_id", "file", "line"]

    def _personal_data(self, tap: TapFiles) -> dict[str, t.Callable[[str], str | None]]:
        """Header -> how its cell is made safe to land (mask or salted hash)."""
        scrub: dict[str, t.Callable[[str], str | None]] = {}
        for field, spec in self.mapping.order_fields().items():
            kind = ORDER_FIELDS[field]
            if kind in _MASKS and spec.column:
                scrub[spec.column] = _MASKS[kind]
            elif kind == "pii_hash" and spec.column:
                salt = str(tap.config.get("pii_salt") or "")
                if not salt:
                    raise SystemExit("config key 'pii_salt': the mapping maps customer_key (a buyer id), which is "
                                     "hashed with the salt before it lands; set ORDERLAYER_PII_SALT")
                scrub[spec.column] = lambda value, s=salt: salted_hash(value, s)
        return scrub

    def _order_id_column(self) -> str:
        if self.file_kind == "orders":
            return self.mapping.order_fields()["channel_order_id"].column or ""
        if self.file_kind == "lines":
            return self.mapping.line_fields()["channel_order_id"].column or ""
        return self.mapping.files[self.file_kind].order_id or ""

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        spec = self.mapping.files[self.file_kind]
        bookmark = self.get_starting_replication_key_value(context)
        id_column = self._order_id_column()
        shop = self.mapping.order_fields().get("shop_id")
        shop_column = shop.column if shop else None
        shop_id = shop.constant if shop and shop.constant is not None else self.mapping.shop_id
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
                values = row.values
                if self._scrub:
                    values = {k: (self._scrub[k](v) if k in self._scrub and v else v) for k, v in values.items()}
                yield {
                    "shop_id": shop_id if shop_column is None else values.get(shop_column),
                    "order_id": values.get(id_column),
                    "file": row.file,
                    "line": row.line,
                    "modified_at": modified,
                    "row": values,
                    "extra_cells": row.extra_cells,
                    "numeric_cells": list(row.numeric_cells),
                }
            self.logger.info("Read %d row(s) from %s", rows, path.name)


class TapFiles(Tap):
    name = "tap-files"
    package_name = DISTRIBUTION
    config_jsonschema = th.PropertiesList(
        th.Property("mapping", th.StringType, required=True, description="Path of the file-source mapping (YAML)."),
        th.Property("shop_id", th.StringType, description="Set by orderlayer from the connection; informational."),
        th.Property("base_url", th.StringType, description="Unused (orderlayer passes it to every tap)."),
        th.Property("start_date", th.DateTimeType, description="Unused: every file not yet read is read."),
        th.Property("end_date", th.DateTimeType, description="Unused."),
        th.Property("pii_salt", th.StringType, secret=True,
                    description="Salt for hashing a mapped buyer id (customer_key); needed only when one is mapped."),
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
        return [FileRowsStream(self, kind) for kind in self.mapping.files]

