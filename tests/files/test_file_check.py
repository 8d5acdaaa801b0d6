"""Mistakes caught before a run: `orderlayer files check` (and the sync's pre-flight) compares the mapping with the
headers and values of every matched file (the marketplace example, docs/examples/file-source/)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from orderlayer.core.config import ConfigError, Settings
from orderlayer.core.sync import tap_env
from orderlayer.taps.files.check import check_files
from orderlayer.taps.files.mapping import load_mapping

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples" / "file-source"
ORDERLAYER = str(Path(sys.executable).with_name("orderlayer"))


def example(tmp_path: Path, edit: dict | None = None, files: dict[str, str] | None = None) -> Path:
    """A copy of the marketplace example; ``edit`` updates the mapping's top level, ``files`` replaces exports."""
    shutil.copytree(EXAMPLES / "marketplace", tmp_path / "marketplace")
    data = yaml.safe_load((EXAMPLES / "marketplace.yml").read_text(encoding="utf-8"))
    data.update(edit or {})
    for name, text in (files or {}).items():
        (tmp_path / "marketplace" / name).write_text(text, encoding="utf-8")
    path = tmp_path / "marketplace.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def columns(**changes: object) -> dict:
    data = yaml.safe_load((EXAMPLES / "marketplace.yml").read_text(encoding="utf-8"))["columns"]
    return {**data, **changes}


def test_the_example_fits_its_files_and_counts_their_rows(tmp_path: Path) -> None:
    path = example(tmp_path)
    result = check_files(load_mapping(path), path.parent)
    assert result.errors == [] and result.notes == []
    assert result.files == [("orders", "orders.csv", 4), ("lines", "order_items.csv", 6),
                            ("payments", "order_payments.csv", 5), ("refunds", "order_refunds.csv", 1)]


def test_a_misspelled_header_is_an_error_naming_the_nearest_header(tmp_path: Path) -> None:
    path = example(tmp_path, {"columns": columns(paid_at="order_aproved_at")})
    assert check_files(load_mapping(path), path.parent).errors == [
        "columns.paid_at: column 'order_aproved_at' is not in the header of orders.csv (orders); "
        "did you mean 'order_approved_at'?"
    ]


def test_a_missing_header_of_a_joined_file_names_its_key(tmp_path: Path) -> None:
    path = example(tmp_path, {"columns": columns(paid_amount={"file": "payments", "agg": "sum", "column": "valor"})})
    [error] = check_files(load_mapping(path), path.parent).errors
    assert error.startswith("columns.paid_amount: column 'valor' is not in the header of order_payments.csv (payments); "
                            "its headers are 'order_id', 'payment_sequential'")


def test_a_time_column_no_row_can_read_is_an_error(tmp_path: Path) -> None:
    path = example(tmp_path, {"time_format": "%d/%m/%Y %H:%M"})
    errors = check_files(load_mapping(path), path.parent).errors
    # every time column of orders.csv fails; four rows have an order time, two a carrier date
    assert errors[0] == (
        "columns.ordered_at: column 'order_purchase_timestamp' of the orders file(s) has 4 non-empty cell(s) and none "
        "is a valid time (e.g. orders.csv line 2: '2018-05-02 10:15:00'); time_format is '%d/%m/%Y %H:%M' (ISO-8601 "
        "with an offset is also read): set it to the export's format"
    )
    assert [e.split(":")[0] for e in errors] == ["columns.ordered_at", "columns.paid_at", "columns.shipped_at",
                                                 "columns.delivered_at", "columns.promised_delivery_by"]


def test_an_amount_column_no_row_can_read_is_an_error_but_one_bad_cell_is_left_to_quarantine(tmp_path: Path) -> None:
    # minor units are whole numbers: every price and payment has decimals (4 of 5 payments read in major units,
    # the fifth, "28,00", is quarantined by staging, not refused here)
    path = example(tmp_path, {"amount_unit": "minor"})
    errors = check_files(load_mapping(path), path.parent).errors
    assert [e.split(": column")[0] for e in errors] == [
        "columns.paid_amount", "columns.freight_amount", "columns.refund_amount",
        "line_columns.unit_price, line_columns.line_goods_amount",
    ]
    assert "has 5 non-empty cell(s) and none is a valid amount (e.g. order_payments.csv line 2: '60.00')" in errors[0]
    assert check_files(load_mapping(example(tmp_path / "major")), tmp_path / "major").errors == []


def test_an_empty_column_is_not_an_error(tmp_path: Path) -> None:
    # no order is delivered in this export: the column is empty, which is a fact, not a mistake
    orders = (EXAMPLES / "marketplace" / "orders.csv").read_text(encoding="utf-8").replace("2018-05-10 16:20:00", "")
    path = example(tmp_path, files={"orders.csv": orders})
    assert check_files(load_mapping(path), path.parent).errors == []


def test_files_check_exits_2_and_lists_every_problem(tmp_path: Path) -> None:
    path = example(tmp_path, {"columns": columns(paid_at="order_aproved_at", ordered_at="order_purchase_time")})
    result = subprocess.run([ORDERLAYER, "files", "check", str(path)], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 2
    assert "did you mean 'order_approved_at'?" in result.stderr
    assert "did you mean 'order_purchase_timestamp'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_salt_is_needed_only_for_personal_data_to_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORDERLAYER_PII_SALT", raising=False)
    with_buyer = example(tmp_path / "a")
    without = example(tmp_path / "b", {"columns": {k: v for k, v in columns().items() if k != "customer_key"}})
    settings = Settings(connections={
        "mp": {"source": "files", "shop_id": "mp-seller-01", "options": {"mapping": str(with_buyer)}},
        "mp2": {"source": "files", "shop_id": "mp-seller-01", "options": {"mapping": str(without)}},
    })
    env = tap_env("mp2", settings.connections["mp2"], settings)
    assert not any(key.endswith("PII_SALT") for key in env)
    with pytest.raises(ConfigError, match="ORDERLAYER_PII_SALT is not set"):
        tap_env("mp", settings.connections["mp"], settings)


def test_a_sync_refuses_a_mapping_that_does_not_fit_before_anything_lands(tmp_path: Path) -> None:
    path = example(tmp_path, {"columns": columns(paid_at="order_aproved_at")})
    (tmp_path / "orderlayer.yml").write_text(
        f"database: wh.duckdb\nconnections:\n  mp:\n    source: files\n    shop_id: mp-seller-01\n"
        f"    options:\n      mapping: {path.name}\n", encoding="utf-8")
    result = subprocess.run([ORDERLAYER, "sync"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "ORDERLAYER_PII_SALT": "s", "COLUMNS": "200"})
    assert result.returncode == 2
    assert "connections.mp: marketplace.yml does not fit its files; nothing was synced" in result.stderr
    assert "did you mean 'order_approved_at'?" in result.stderr
    assert not (tmp_path / "wh.duckdb").exists()


def test_an_excel_lines_sheet_is_checked_by_its_header_row(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "itens"
    book.active.append(["pedido", "sku", "qtd", "preco"])
    book.active.append(["mp-o-0001", "prod-a1", 1, 49.9])
    book.save(tmp_path / "items.xlsx")
    data = yaml.safe_load((EXAMPLES / "marketplace.yml").read_text(encoding="utf-8"))
    data["files"]["lines"] = {"path": "items.xlsx", "format": "xlsx", "sheet": "itens"}
    data["line_columns"] = {"channel_order_id": "pedido", "sku_id": "sku", "quantity": "qtd", "unit_price": "preço"}
    del data["columns"]["freight_amount"]  # read from the example's items, which this sheet replaces
    shutil.copytree(EXAMPLES / "marketplace", tmp_path / "marketplace")
    path = tmp_path / "m.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = check_files(load_mapping(path), tmp_path)
    assert result.errors == [
        "line_columns.unit_price: column 'preço' is not in the header of items.xlsx (lines); did you mean 'preco'?",
    ]
    assert ("lines", "items.xlsx", 1) in result.files
