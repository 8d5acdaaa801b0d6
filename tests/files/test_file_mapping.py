"""File-source mappings: validation names the key and the fix; the committed example regenerates identically."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orderlayer.core.filesource import render
from orderlayer.taps.files.mapping import MappingError, load_mapping

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "file-source" / "wechat_shop.yml"


def write(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path = tmp_path / "mapping.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_example_mapping_is_valid_and_its_flags_follow_the_status() -> None:
    mapping = load_mapping(EXAMPLE)
    rules = mapping.status_rules()
    assert rules["已完成"] == {
        "status": "completed", "is_paid": True, "is_shipped": True, "is_delivered": True, "is_cancelled": False,
        "is_completed": True, "description": "已完成",
    }
    # an explicit flag wins over what the status implies: refunded = paid and cancelled
    assert (rules["已退款"]["status"], rules["已退款"]["is_paid"], rules["已退款"]["is_cancelled"]) == ("cancelled", True, True)


def test_committed_staging_models_are_what_the_mapping_generates() -> None:
    files = render(load_mapping(EXAMPLE), EXAMPLE.name)
    folder = ROOT / "models" / "staging" / "wechat_shop"
    assert sorted(files) == sorted(p.name for p in folder.iterdir())
    for name, text in files.items():
        assert (folder / name).read_text(encoding="utf-8") == text, f"{name} is stale: run `orderlayer files generate`"


def test_a_mapped_cancel_time_is_kept_only_on_cancelled_rows(tmp_path: Path) -> None:
    columns = {**yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["columns"], "cancelled_at": "取消时间"}
    mapping = load_mapping(write(tmp_path, columns=columns))
    assert mapping.cancelled_statuses() == ["已取消", "已退款"]
    files = render(mapping, "mapping.yml")
    orders = files["stg_wechat_shop__orders.sql"]
    assert "        取消时间 as cancelled_at" not in orders  # the cell is read by its canonical name, like every column
    assert (
        "        case when status_native in ('已取消', '已退款') then coalesce({{ to_utc('cancelled_at', 'iso') }}, "
        "{{ to_utc('cancelled_at', 'local', 'Asia/Shanghai', '%Y/%m/%d %H:%M:%S') }}) end as cancelled_at,\n"
    ) in orders
    assert "unparseable cancelled_at (取消时间 = {})" in orders
    assert '      - name: cancelled_at\n        description: "取消时间 as UTC on a row whose status is cancelled (已取消, 已退款); NULL otherwise."' in (
        files["_wechat_shop__models.yml"])
    # the committed example maps no cancel time: an explicit NULL
    example = render(load_mapping(EXAMPLE), EXAMPLE.name)["stg_wechat_shop__orders.sql"]
    assert "        cast(null as timestamptz) as cancelled_at,  -- no cancel time in the export" in example


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"columns": {"channel_order_id": "订单号", "ordered_at": "下单时间"}}, "columns: paid_amount must be mapped"),
        ({"columns": {"channel_order_id": "a", "ordered_at": "b", "paid_amount": "c", "paid_ammount": "d"}},
         "paid_ammount is not a canonical order field"),
        ({"timezone": "CST"}, "timezone: Value error, 'CST' is not an IANA zone name"),
        ({"amount_unit": "jiao"}, "amount_unit: Input should be 'major', 'minor', 'yuan' or 'fen'"),
        ({"statuses": {"已发货": "sent"}}, "'sent' is not a canonical status"),
        ({"shop_id": None}, "set shop_id (one shop for every row) or map columns.shop_id"),
        ({"name": "WeChat Shop"}, "name: Value error, use lower-case letters"),
        ({"colums": {}}, "colums: unknown key"),
        ({"columns": {"channel_order_id": "订单号", "ordered_at": "下单时间", "paid_amount": "实付金额", "status_native": "订单状态",
                      "cancelled_at": "取消时间"}, "statuses": {"待发货": "paid"}},
         "columns.cancelled_at needs columns.status_native and at least one statuses value that is cancelled"),
        ({"columns": {"channel_order_id": "订单号", "ordered_at": "下单时间", "paid_amount": "实付金额", "cancelled_at": "取消时间"}},
         "columns.cancelled_at needs columns.status_native"),
    ],
)
def test_a_bad_mapping_names_the_key_and_the_fix(tmp_path: Path, changes: dict, message: str) -> None:
    with pytest.raises(MappingError) as info:
        load_mapping(write(tmp_path, **changes))
    assert message in str(info.value)


MARKETPLACE = ROOT / "docs" / "examples" / "file-source" / "marketplace.yml"


def market(tmp_path: Path, replace: tuple[str, ...] = (), **changes: object) -> Path:
    """The marketplace example with ``changes``: a dict is merged into the key's dict unless the key is in ``replace``."""
    data = yaml.safe_load(MARKETPLACE.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict) and key not in replace:
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    path = tmp_path / "marketplace.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"columns": {"paid_amount": {"file": "payments", "column": "payment_value"}}}, "file and agg go together"),
        ({"columns": {"paid_amount": {"column": "a", "value": 1}}}, "give exactly one of column"),
        ({"columns": {"paid_amount": {"file": "payouts", "agg": "sum", "column": "v"}}},
         "columns.paid_amount: file 'payouts' is not another files: entry; use one of lines, payments, refunds"),
        ({"columns": {"paid_at": {"file": "payments", "agg": "sum", "column": "payment_date"}}},
         "columns.paid_at: sum adds amounts; this field holds time (use min or max)"),
        ({"columns": {"freight_amount": {"expr": "[freight] || 'x'"}}}, "|| joins text; this field holds amount"),
        ({"columns": {"paid_amount": {"expr": "[a] + ; drop"}}}, "cannot read '; drop'"),
        ({"columns": {"freight_amount": {"value": "12,00"}}}, "columns.freight_amount.value: '12,00' is not a valid amount"),
        ({"columns": {"customer_key": {"value": "anyone"}}}, "columns.customer_key: personal data comes from one column"),
        ({"line_columns": {"line_paid_amount": "paid"}},
         "line_columns.line_paid_amount: allocated from the order's paid_amount; to take it from the lines, map "
         "columns.paid_amount: {file: lines, agg: sum"),
        ({"files": {"payments": {"path": "marketplace/order_payments.csv"}}},
         "payments.order_id is required: the column of payments holding the order id"),
        ({"files": {"vouchers": {"path": "v.csv", "order_id": "order_id"}}}, "files.vouchers feeds no field"),
        ({"currency": "KWD"}, "currency KWD has three decimals"),
        ({"columns": {"shop_id": {"expr": "[seller_id] || 'x'"}}}, "columns.shop_id must be a column or a constant"),
        ({"amount_unit": "cents"}, "amount_unit: Input should be 'major', 'minor', 'yuan' or 'fen'"),
    ],
)
def test_a_bad_multi_file_mapping_names_the_key_and_the_fix(tmp_path: Path, changes: dict, message: str) -> None:
    with pytest.raises(MappingError) as info:
        load_mapping(market(tmp_path, **changes))
    assert message in str(info.value)


def test_yuan_and_fen_are_major_and_minor_units(tmp_path: Path) -> None:
    assert [load_mapping(market(tmp_path, amount_unit=u)).unit for u in ("yuan", "major", "fen", "minor")] == [
        "major", "major", "minor", "minor"]


def test_the_example_is_incremental_safe_and_needs_the_salt_only_for_its_buyer_id(tmp_path: Path) -> None:
    mapping = load_mapping(MARKETPLACE)
    assert (mapping.joined_files(), mapping.derives_goods_amount(), mapping.has_personal_data()) == (
        ["payments", "lines", "refunds"], True, True)
    orders = render(mapping, "marketplace.yml")["stg_marketplace__orders.sql"]
    # it reads other files: an incremental build re-stages every version of an order with a row landed in any of
    # them, and reads those files' rows of that order (else it would keep a paid amount from before a later
    # payments export landed)
    assert "materialized" not in orders
    assert orders.count("restage=file_order_rows_restage('marketplace')") == 1 + len(mapping.joined_files())
    # the example with its own orders file only stays incremental (no config line: dbt_project.yml's default)
    example = render(load_mapping(EXAMPLE), EXAMPLE.name)
    assert "materialized" not in example["stg_wechat_shop__orders.sql"]
    # the lines too: an order's lines are re-staged when any of its exports lands, its old rows removed first
    lines = example["stg_wechat_shop__order_lines.sql"]
    assert "materialized" not in lines
    assert "pre_hook=\"{{ delete_file_orders_in_scope('wechat_shop') }}\"" in lines
    assert "restage=file_order_rows_restage('wechat_shop')" in lines
    without_buyer = {k: v for k, v in yaml.safe_load(MARKETPLACE.read_text(encoding="utf-8"))["columns"].items()
                     if k != "customer_key"}
    assert not load_mapping(market(tmp_path, replace=("columns",), columns=without_buyer)).has_personal_data()


def test_minor_units_of_a_currency_without_decimals_are_major_units(tmp_path: Path) -> None:
    yen = render(load_mapping(market(tmp_path, currency="JPY", amount_unit="minor")), "m.yml")["stg_marketplace__orders.sql"]
    # 1500 in the file: minor_units_to_amount reads 15.00, × 100 = 1500 yen (JPY has no minor unit)
    assert "(coalesce(paid_amount, 0) * 100) as paid_amount," in yen
    reais = render(load_mapping(market(tmp_path, currency="BRL", amount_unit="minor")), "m.yml")["stg_marketplace__orders.sql"]
    assert "coalesce(paid_amount, 0) as paid_amount," in reais and "* 100" not in reais


def test_goods_amount_derives_from_unit_price_times_quantity_without_a_line_total(tmp_path: Path) -> None:
    lines = {"channel_order_id": "order_id", "unit_price": "price", "quantity": "qty"}
    orders = render(load_mapping(market(tmp_path, replace=("line_columns",), line_columns=lines)), "m.yml")["stg_marketplace__orders.sql"]
    assert ("sum(cast(round(({{ major_units_to_amount('goods_amount__1') }} * try_cast(trim(goods_amount__2) as "
            "decimal(38, 6))), 2) as {{ money_type() }})) as goods_amount") in orders


def test_a_mapped_cancel_time_without_an_update_time_falls_back_to_the_rows_latest_event(tmp_path: Path) -> None:
    path = market(tmp_path, columns={"cancelled_at": "order_canceled_at"})
    orders = render(load_mapping(path), "m.yml")["stg_marketplace__orders.sql"]
    cancel = orders.split("then coalesce(coalesce({{ to_utc('cancelled_at', 'iso') }}")[1].split(" end as cancelled_at")[0]
    assert cancel.count("greatest(") == 1 and "file_modified_at" not in cancel
