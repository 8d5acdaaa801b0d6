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
