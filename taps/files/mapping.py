"""The declarative mapping of one file source (docs/file-sources.md): which files, which column feeds which
canonical field, time format and zone, amount unit, status values, and how order and line files join.

Validation errors name the key and the fix, like every orderlayer config error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

#: Canonical order fields a file column may feed (the staging contract's names).
ORDER_FIELDS = {
    "channel_order_id": "text",
    "shop_id": "text",
    "status_native": "text",
    "ordered_at": "time",
    "paid_at": "time",
    "shipped_at": "time",
    "delivered_at": "time",
    "completed_at": "time",
    "cancelled_at": "time",
    "promised_ship_by": "time",
    "source_updated_at": "time",
    "goods_amount": "amount",
    "shop_discount_amount": "amount",
    "platform_discount_amount": "amount",
    "freight_amount": "amount",
    "tax_amount": "amount",
    "paid_amount": "amount",
    "refund_amount": "amount",
    "deposit_amount": "amount",
    "balance_amount": "amount",
    "currency": "text",
    "receiver_province": "text",
    "receiver_city": "text",
    "tracking_numbers": "list",
    "is_test": "bool",
}
#: Canonical line fields a line-file column may feed.
LINE_FIELDS = {
    "channel_order_id": "text",
    "channel_line_id": "text",
    "sku_id": "text",
    "product_id": "text",
    "product_name": "text",
    "quantity": "integer",
    "unit_price": "amount",
    "line_goods_amount": "amount",
    "line_discount_amount": "amount",
    "line_paid_amount": "amount",
    "line_refund_amount": "amount",
}
REQUIRED_ORDER_FIELDS = ("channel_order_id", "ordered_at", "paid_amount")
CANONICAL_STATUSES = ("pending_payment", "paid", "shipped", "delivered", "completed", "cancelled")
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the key and the fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileSpec(_Strict):
    #: Glob relative to the mapping file's folder (or absolute); every match is read, oldest first.
    path: str
    format: Literal["csv", "xlsx"] = "csv"
    encoding: str = "utf-8-sig"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    #: Excel: the sheet to read (default: the first).
    sheet: str | None = None
    #: 1-based row holding the column headers; data starts on the next row.
    header_row: int = Field(default=1, ge=1)


class StatusRule(_Strict):
    status: Literal["pending_payment", "paid", "shipped", "delivered", "completed", "cancelled"]
    is_paid: bool | None = None
    is_shipped: bool | None = None
    is_delivered: bool | None = None
    is_cancelled: bool | None = None
    is_completed: bool | None = None
    description: str = ""


#: What each canonical status implies when a rule does not say (S3 flags).
_IMPLIED = {
    "pending_payment": {},
    "paid": {"is_paid": True},
    "shipped": {"is_paid": True, "is_shipped": True},
    "delivered": {"is_paid": True, "is_shipped": True, "is_delivered": True},
    "completed": {"is_paid": True, "is_shipped": True, "is_delivered": True, "is_completed": True},
    "cancelled": {"is_cancelled": True},
}


class FileMapping(_Strict):
    #: Channel name of these orders (also the staging models' name: stg_<name>__orders).
    name: str
    description: str = ""
    #: Shop id for every row, unless `columns.shop_id` names a column.
    shop_id: str | None = None
    #: IANA zone of naive times in the files.
    timezone: str = "Asia/Shanghai"
    #: strptime-style format of time cells; ISO-8601 with an offset is always accepted too.
    time_format: str = "%Y-%m-%d %H:%M:%S"
    #: Unit of amount cells: `yuan` (major units, decimal text) or `fen` (integer minor units).
    amount_unit: Literal["yuan", "fen"] = "yuan"
    #: Currency of every amount, unless `columns.currency` names a column.
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    #: Separator between several tracking numbers in one cell.
    list_separator: str = ","
    files: dict[Literal["orders", "lines"], FileSpec]
    #: Canonical field -> column header in the orders file.
    columns: dict[str, str]
    #: Canonical line field -> column header in the lines file (needs `files.lines`).
    line_columns: dict[str, str] = Field(default_factory=dict)
    #: Native status value (as in the file) -> canonical status (+ optional flags).
    statuses: dict[str, StatusRule | str] = Field(default_factory=dict)
    #: Values of `columns.is_test` meaning "test order".
    test_values: list[str] = Field(default_factory=lambda: ["1", "true", "yes", "是", "Y"])

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("use lower-case letters, digits and _ (2-41 chars, starting with a letter), e.g. wechat_shop")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if "/" not in value and value != "UTC":
            raise ValueError(f"'{value}' is not an IANA zone name; use e.g. Asia/Shanghai (never CST)")
        try:
            ZoneInfo(value)
        except ZoneInfoNotFoundError as exc:
            raise ValueError(f"unknown IANA zone '{value}'") from exc
        return value

    @field_validator("statuses")
    @classmethod
    def _statuses(cls, value: dict[str, StatusRule | str]) -> dict[str, StatusRule | str]:
        for native, rule in value.items():
            if isinstance(rule, str) and rule not in CANONICAL_STATUSES:
                raise ValueError(f"{native}: '{rule}' is not a canonical status; use one of {', '.join(CANONICAL_STATUSES)}")
        return value

    @model_validator(mode="after")
    def _fields(self) -> FileMapping:
        if "orders" not in self.files:
            raise ValueError("files.orders is required: the file(s) with one row per order")
        unknown = sorted(set(self.columns) - set(ORDER_FIELDS))
        if unknown:
            raise ValueError(f"columns: {', '.join(unknown)} is not a canonical order field; use one of {', '.join(ORDER_FIELDS)}")
        missing = [f for f in REQUIRED_ORDER_FIELDS if f not in self.columns]
        if missing:
            raise ValueError(f"columns: {', '.join(missing)} must be mapped to a column of the orders file")
        if self.shop_id is None and "shop_id" not in self.columns:
            raise ValueError("set shop_id (one shop for every row) or map columns.shop_id to a column")
        if self.currency is None and "currency" not in self.columns:
            raise ValueError("set currency (e.g. CNY) or map columns.currency to a column")
        if self.line_columns:
            if "lines" not in self.files:
                raise ValueError("line_columns needs files.lines (the line file)")
            unknown = sorted(set(self.line_columns) - set(LINE_FIELDS))
            if unknown:
                raise ValueError(f"line_columns: {', '.join(unknown)} is not a canonical line field; use one of {', '.join(LINE_FIELDS)}")
            if "channel_order_id" not in self.line_columns:
                raise ValueError("line_columns.channel_order_id is required: the column that joins a line to its order")
        elif "lines" in self.files:
            raise ValueError("files.lines is set but line_columns is empty: map at least channel_order_id")
        if "cancelled_at" in self.columns and (
            "status_native" not in self.columns or not self.cancelled_statuses()
        ):
            # a cancel time is kept only on a row whose status says cancelled (docs/DECISIONS.md D-033)
            raise ValueError("columns.cancelled_at needs columns.status_native and at least one statuses value that is "
                             "cancelled (e.g. 已取消: cancelled)")
        return self

    def cancelled_statuses(self) -> list[str]:
        """Native status values whose rule sets is_cancelled, in mapping order."""
        return [native for native, rule in self.status_rules().items() if rule["is_cancelled"]]

    def status_rules(self) -> dict[str, dict]:
        """Native value -> {status, is_paid, ...} with each flag made explicit."""
        out = {}
        for native, rule in self.statuses.items():
            rule = StatusRule(status=rule) if isinstance(rule, str) else rule
            flags = {f: False for f in ("is_paid", "is_shipped", "is_delivered", "is_cancelled", "is_completed")}
            flags.update(_IMPLIED[rule.status])
            flags.update({k: v for k, v in rule.model_dump(include=set(flags)).items() if v is not None})
            out[native] = {"status": rule.status, **flags, "description": rule.description or native}
        return out


def load_mapping(path: Path) -> FileMapping:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"{path}: mapping file not found") from None
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML ({exc}); fix the syntax") from None
    if not isinstance(data, dict):
        raise MappingError(f"{path}: the top level must be a mapping with keys name, files, columns, …")
    try:
        return FileMapping.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path} is not a valid file-source mapping:"]
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = "unknown key; see docs/file-sources.md" if err["type"] == "extra_forbidden" else err["msg"]
            lines.append(f"  {key}: {msg}")
        raise MappingError("\n".join(lines)) from None
