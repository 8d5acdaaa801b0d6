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

from orderlayer.taps.files.expressions import ExpressionError, check, parse

#: Canonical order fields a mapping may feed (the staging contract's names) and the kind of value each holds.
ORDER_FIELDS = {
    "channel_order_id": "text",
    "shop_id": "text",
    "status_native": "text",
    "status_detail_native": "text",
    "ordered_at": "time",
    "paid_at": "time",
    "shipped_at": "time",
    "delivered_at": "time",
    "completed_at": "time",
    "cancelled_at": "time",
    "promised_ship_by": "time",
    "promised_delivery_by": "time",
    "deposit_paid_at": "time",
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
    # personal data: the tap masks (phone, name) or salt-hashes (buyer id) the cell before it lands
    "receiver_phone_masked": "pii_phone",
    "receiver_name_masked": "pii_name",
    "customer_key": "pii_hash",
    "tracking_numbers": "list",
    "is_test": "bool",
}
#: Canonical line fields a line-file column may feed. `product_id` is the SKU when no `sku_id` is mapped.
LINE_FIELDS = {
    "channel_order_id": "text",
    "channel_line_id": "text",
    "sku_id": "text",
    "product_id": "text",
    "product_name": "text",
    "quantity": "integer",
    "unit_price": "amount",
    "line_goods_amount": "amount",
    "line_refund_amount": "amount",
}
#: Line fields orderlayer derives, never reads: what to map instead.
DERIVED_LINE_FIELDS = {
    "line_discount_amount": "allocated from the order's discounts; to take them from the lines, map "
                            "columns.shop_discount_amount: {file: lines, agg: sum, column: <discount column>}",
    "line_paid_amount": "allocated from the order's paid_amount; to take it from the lines, map "
                        "columns.paid_amount: {file: lines, agg: sum, column: <paid column>}",
}
PII_KINDS = frozenset({"pii_phone", "pii_name", "pii_hash"})
REQUIRED_ORDER_FIELDS = ("channel_order_id", "ordered_at", "paid_amount")
CANONICAL_STATUSES = ("pending_payment", "paid", "shipped", "delivered", "completed", "cancelled")
#: ISO 4217 currencies without minor units: an amount in minor units is already in major units.
ZERO_DECIMAL_CURRENCIES = ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV",
                           "XAF", "XOF", "XPF")
#: Currencies with three decimals: money is kept with two (DECIMAL(18,2)), so they cannot be loaded exactly.
THREE_DECIMAL_CURRENCIES = ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
_KIND_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
_AMOUNT_UNITS = {"major": "major", "minor": "minor", "yuan": "major", "fen": "minor"}


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
    #: A joined file (not orders, not lines): its column holding the order id its rows belong to.
    order_id: str | None = None


class FieldSpec(_Strict):
    """Where one canonical field comes from: exactly one of `column`, `value` (a constant) or `expr`; with `file`
    and `agg`, from the rows of another file that belong to the order (payments summed per order, …)."""

    column: str | None = None
    value: bool | int | float | str | None = None
    expr: str | None = None
    #: another `files:` entry, joined to the order by its order id
    file: str | None = None
    #: how that file's rows of one order become one value
    agg: Literal["sum", "min", "max"] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        given = [k for k in ("column", "value", "expr") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of column (a header), value (a constant) or expr (an expression)")
        if (self.file is None) != (self.agg is None):
            raise ValueError("file and agg go together: {file: payments, agg: sum, column: payment_value}")
        if self.expr is not None:
            parse(self.expr)  # raises ExpressionError (a ValueError) naming the problem
        return self

    @property
    def constant(self) -> str | None:
        """The constant as the text a cell would hold."""
        if self.value is None:
            return None
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return str(self.value)

    def columns(self) -> list[str]:
        """The headers this field reads."""
        if self.column is not None:
            return [self.column]
        return parse(self.expr).columns() if self.expr is not None else []

    def describe(self) -> str:
        """How the generated SQL names where the value comes from."""
        if self.column is not None:
            what = self.column
        elif self.expr is not None:
            what = self.expr
        else:
            what = f"constant {self.constant}"
        return f"{self.agg} of {self.file}.{what}" if self.file else what


def _field(value: str | FieldSpec) -> FieldSpec:
    return FieldSpec(column=value) if isinstance(value, str) else value


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
    #: Unit of amount cells: `major` (decimal text, e.g. 12.30) or `minor` (integer minor units, e.g. 1230 cents);
    #: `yuan` and `fen` are the same two under their Chinese names. Any currency: minor units follow its exponent.
    amount_unit: Literal["major", "minor", "yuan", "fen"] = "major"
    #: Currency of every amount, unless `columns.currency` names a column.
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    #: Separator between several tracking numbers in one cell.
    list_separator: str = ","
    #: `orders` (one row per order, required), `lines` (one row per item) and any other file whose rows belong to
    #: an order (payments, refunds: named as you like), joined by its `order_id` column.
    files: dict[str, FileSpec]
    #: Canonical field -> a column header of the orders file, or {column | value | expr, file, agg}.
    columns: dict[str, str | FieldSpec]
    #: Canonical line field -> a column header of the lines file, or {column | value | expr} (needs `files.lines`).
    line_columns: dict[str, str | FieldSpec] = Field(default_factory=dict)
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

    @field_validator("files")
    @classmethod
    def _files(cls, value: dict[str, FileSpec]) -> dict[str, FileSpec]:
        if "orders" not in value:
            raise ValueError("files.orders is required: the file(s) with one row per order")
        for kind, spec in value.items():
            if not _KIND_NAME.match(kind):
                raise ValueError(f"{kind}: name a file kind with lower-case letters, digits and _ (e.g. payments)")
            if kind not in ("orders", "lines") and not spec.order_id:
                raise ValueError(f"{kind}.order_id is required: the column of {kind} holding the order id its rows belong to")
            if kind in ("orders", "lines") and spec.order_id:
                raise ValueError(f"{kind}.order_id: not used here; the order id is columns/line_columns.channel_order_id")
        return value

    @model_validator(mode="after")
    def _fields(self) -> FileMapping:
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
        if self.currency in THREE_DECIMAL_CURRENCIES:
            raise ValueError(f"currency {self.currency} has three decimals; orderlayer keeps money with two, so it "
                             "cannot load it exactly")
        for field, spec in self.order_fields().items():
            self._check_field(f"columns.{field}", ORDER_FIELDS[field], spec, own_file="orders")
        if self.order_fields()["channel_order_id"].column is None:
            raise ValueError("columns.channel_order_id must be a column of the orders file (the order id)")
        shop = self.order_fields().get("shop_id")
        if shop is not None and (shop.expr is not None or shop.file is not None):
            # the tap keys every row of every file by its shop: a column of each file, or one constant
            raise ValueError("columns.shop_id must be a column or a constant (value:); or set shop_id at the top level")
        if self.line_columns:
            if "lines" not in self.files:
                raise ValueError("line_columns needs files.lines (the line file)")
            for field, why in DERIVED_LINE_FIELDS.items():
                if field in self.line_columns:
                    raise ValueError(f"line_columns.{field}: {why}")
            unknown = sorted(set(self.line_columns) - set(LINE_FIELDS))
            if unknown:
                raise ValueError(f"line_columns: {', '.join(unknown)} is not a canonical line field; use one of {', '.join(LINE_FIELDS)}")
            for field, spec in self.line_fields().items():
                if spec.file is not None:
                    raise ValueError(f"line_columns.{field}: a line field comes from the lines file itself (no file/agg)")
                self._check_field(f"line_columns.{field}", LINE_FIELDS[field], spec, own_file="lines")
            if self.line_fields().get("channel_order_id", FieldSpec(value="")).column is None:
                raise ValueError("line_columns.channel_order_id is required: the column that joins a line to its order")
        elif "lines" in self.files:
            raise ValueError("files.lines is set but line_columns is empty: map at least channel_order_id")
        unused = sorted(set(self.files) - {"orders", "lines"} - {s.file for s in self.order_fields().values()})
        if unused:
            raise ValueError(f"files.{unused[0]} feeds no field; map one, e.g. paid_amount: {{file: {unused[0]}, agg: sum, column: …}}")
        if "cancelled_at" in self.columns and (
            "status_native" not in self.columns or not self.cancelled_statuses()
        ):
            # a cancel time is kept only on a row whose status says cancelled (docs/DECISIONS.md D-033)
            raise ValueError("columns.cancelled_at needs columns.status_native and at least one statuses value that is "
                             "cancelled (e.g. 已取消: cancelled)")
        return self

    def _check_field(self, key: str, kind: str, spec: FieldSpec, own_file: str) -> None:
        if kind in PII_KINDS and (spec.column is None or spec.file is not None):
            raise ValueError(f"{key}: personal data comes from one column of the {own_file} file (the tap masks or "
                             "hashes it before it lands)")
        if spec.file is not None:
            if spec.file == own_file or spec.file not in self.files:
                others = sorted(set(self.files) - {own_file})
                raise ValueError(f"{key}: file {spec.file!r} is not another files: entry; use one of {', '.join(others) or '(none: add one under files:)'}")
            if spec.agg == "sum" and kind not in ("amount", "integer"):
                raise ValueError(f"{key}: sum adds amounts; this field holds {kind} (use min or max)")
            if kind in ("list", "bool"):
                raise ValueError(f"{key}: a {kind} field comes from the {own_file} file")
        if spec.expr is not None:
            try:
                check(parse(spec.expr), kind, spec.expr)
            except ExpressionError as exc:
                raise ValueError(f"{key}.expr: {exc}") from None
            if kind in {"list", "bool"} | PII_KINDS:
                raise ValueError(f"{key}: a {kind} field reads one column, not an expression")
        if spec.constant is not None:
            problem = constant_problem(spec.constant, kind, self)
            if problem:
                raise ValueError(f"{key}.value: {problem}")

    @property
    def unit(self) -> Literal["major", "minor"]:
        """`major` or `minor`, whichever name the mapping used."""
        return _AMOUNT_UNITS[self.amount_unit]  # type: ignore[return-value]

    def order_fields(self) -> dict[str, FieldSpec]:
        return {field: _field(value) for field, value in self.columns.items()}

    def line_fields(self) -> dict[str, FieldSpec]:
        return {field: _field(value) for field, value in self.line_columns.items()}

    def joined_files(self) -> list[str]:
        """Files other than orders whose rows feed order fields, in mapping order (incl. an implied `lines`)."""
        files = [s.file for s in self.order_fields().values() if s.file]
        if self.derives_goods_amount():
            files.append("lines")
        return list(dict.fromkeys(files))

    def derives_goods_amount(self) -> bool:
        """An unmapped goods_amount is the sum of the lines' goods amounts, when the lines carry one."""
        lines = self.line_columns
        return "goods_amount" not in self.columns and (
            "line_goods_amount" in lines or ("unit_price" in lines and "quantity" in lines)
        )

    def has_personal_data(self) -> bool:
        """Whether a mapped field needs the PII salt (a buyer id to hash)."""
        return any(ORDER_FIELDS[f] == "pii_hash" for f in self.columns)

    def used_columns(self) -> dict[str, dict[str, list[str]]]:
        """file kind -> header -> the mapping keys reading it (for checking the mapping against real headers)."""
        used: dict[str, dict[str, list[str]]] = {kind: {} for kind in self.files}
        for field, spec in self.order_fields().items():
            for column in spec.columns():
                used[spec.file or "orders"].setdefault(column, []).append(f"columns.{field}")
        for field, spec in self.line_fields().items():
            for column in spec.columns():
                used["lines"].setdefault(column, []).append(f"line_columns.{field}")
        for kind, spec in self.files.items():
            if spec.order_id:
                used[kind].setdefault(spec.order_id, []).append(f"files.{kind}.order_id")
        return used

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


def constant_problem(text: str, kind: str, mapping: FileMapping) -> str | None:
    """Why a constant cannot be a value of ``kind`` (None when it can), read as a cell would be."""
    from orderlayer.taps.files.parsing import parses

    if kind in PII_KINDS or kind == "list":
        return f"a {kind} field cannot be a constant"
    if kind in ("time", "amount", "integer") and not parses(text, kind, mapping):
        return f"{text!r} is not a valid {kind} here (see time_format / amount_unit)"
    return None


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
