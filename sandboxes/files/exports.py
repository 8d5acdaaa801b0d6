"""Deterministic WeChat mini-program shop exports for the demo and the tests (docs/examples/file-source/).

`write_exports(folder, seed, as_of, n_orders)` writes what a shop owner downloads: an orders CSV (UTF-8 with
BOM, Chinese headers, `yyyy/MM/dd HH:mm:ss` Beijing times, yuan amounts) and an items Excel workbook (sheet
商品明细). A few rows carry the defects real exports have — a row shifted by a stray delimiter, a time typed
by hand, an amount with a currency sign — and must end in quarantine with their line number. `order_facts()`
describes the valid orders neutrally, so the ERP sandboxes can hold them too.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from orderlayer.sandboxes.kit.synth import SHANGHAI, OrderFact, choose, digest, permuted_id

CHANNEL = "wechat_shop"
SHOP_ID = "wx-shop-01"
ORDER_HEADER = [
    "订单号", "订单状态", "下单时间", "支付时间", "发货时间", "完成时间", "更新时间", "商品总额", "店铺优惠", "运费",
    "实付金额", "退款金额", "收货省份", "收货城市", "快递单号", "测试订单",
]
ITEM_HEADER = ["订单号", "商品编码", "商品名称", "数量", "单价", "小计"]
_PRODUCTS = [("WX-TEA-01", "明前龙井 250g", Decimal("168.00")), ("WX-CUP-02", "手工茶杯", Decimal("39.90")),
             ("WX-SET-03", "旅行茶具套装", Decimal("259.00")), ("WX-BAG-04", "茉莉花茶包 30袋", Decimal("29.90"))]
_PLACES = [("浙江省", "杭州市"), ("广东省", "深圳市"), ("上海市", "上海市"), ("四川省", "成都市"), ("北京市", "北京市")]
_STATUS = {"待付款": 5, "待发货": 15, "已发货": 25, "已完成": 45, "已取消": 6, "已退款": 4}
_FMT = "%Y/%m/%d %H:%M:%S"


@dataclass
class Export:
    orders_csv: Path
    items_xlsx: Path
    #: line number (CSV) of each planted defect -> what is wrong
    defects: dict[int, str] = field(default_factory=dict)
    facts: list[OrderFact] = field(default_factory=list)
    order_ids: list[str] = field(default_factory=list)


def _t(value: dt.datetime | None) -> str:
    return "" if value is None else value.astimezone(SHANGHAI).strftime(_FMT)


def write_exports(folder: Path, seed: int, as_of: dt.datetime, n_orders: int, *, days: int = 30) -> Export:
    """Write one orders CSV and one items workbook covering ``days`` before ``as_of``."""
    from openpyxl import Workbook

    folder.mkdir(parents=True, exist_ok=True)
    stamp = as_of.astimezone(SHANGHAI).strftime("%Y%m%d")
    export = Export(folder / f"wechat_orders_{stamp}.csv", folder / f"wechat_order_items_{stamp}.xlsx")
    book = Workbook()
    sheet = book.active
    sheet.title = "商品明细"
    sheet.append(ITEM_HEADER)
    start = as_of - dt.timedelta(days=days)
    with export.orders_csv.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ORDER_HEADER)
        for i in range(n_orders):
            order_id = "WX" + permuted_id(seed, i, 16)
            ordered = start + dt.timedelta(seconds=digest(seed, i, b"wx-time") % (days * 86_400 - 7_200))
            status = choose(seed, i, b"wx-status", _STATUS)
            n_items = 1 + digest(seed, i, b"wx-items") % 3
            goods = Decimal("0.00")
            for k in range(n_items):
                sku, name, price = _PRODUCTS[(digest(seed, i, b"wx-sku") + k) % len(_PRODUCTS)]
                qty = 1 + (digest(seed, i * 7 + k, b"wx-qty") % 2)
                goods += price * qty
                sheet.append([order_id, sku, name, qty, float(price), float(price * qty)])
            discount = Decimal(digest(seed, i, b"wx-disc") % 3 * 5).quantize(Decimal("0.01"))
            freight = Decimal("0.00") if goods >= 99 else Decimal("8.00")
            paid = goods - discount + freight
            paid_at = None if status in ("待付款", "已取消") else ordered + dt.timedelta(minutes=3)
            shipped = ordered + dt.timedelta(hours=20) if status in ("已发货", "已完成", "已退款") else None
            completed = ordered + dt.timedelta(days=6) if status == "已完成" else None
            refund = paid if status == "已退款" else Decimal("0.00")
            updated = max(t for t in (ordered, paid_at, shipped, completed) if t is not None)
            province, city = _PLACES[digest(seed, i, b"wx-place") % len(_PLACES)]
            tracking = f"SF{1400000000000 + digest(seed, i, b'wx-track') % 10**12}" if shipped else ""
            row = [
                order_id, status, _t(ordered), _t(paid_at), _t(shipped), _t(completed), _t(updated),
                f"{goods:.2f}", f"{discount:.2f}", f"{freight:.2f}", f"{paid:.2f}", f"{refund:.2f}",
                province, city, tracking, "否",
            ]
            line = i + 2  # the header is line 1
            # one defect per 600 rows, cycling through three kinds: a share real exports have, well within
            # gate R6's 0.5 % (Y6 shows them)
            defect = (i // 600) % 3 if n_orders >= 600 and i % 600 == 17 else -1
            if defect == 0:
                row[11] = "¥" + row[11]  # an amount pasted with its currency sign
                export.defects[line] = "not an amount in yuan: refund_amount"
            elif defect == 1:
                row[2] = "2026年10月5日 21:07"  # a time typed by hand
                export.defects[line] = "unparseable ordered_at"
            elif defect == 2:
                row = row[:12] + ["浙江省", "杭州市, 西湖区"] + row[13:]  # a stray extra cell
                export.defects[line] = "cell(s) beyond the header"
            else:
                export.order_ids.append(order_id)
                if paid_at is not None:
                    export.facts.append(OrderFact(
                        channel=CHANNEL, shop_id=SHOP_ID, channel_order_id=order_id, ordered_at=ordered,
                        paid_at=paid_at, status={"待发货": "paid", "已发货": "shipped", "已完成": "completed"}.get(status, "cancelled"),
                        paid_amount=paid, currency="CNY", refund_amount=refund,
                        tracking_numbers=(tracking,) if tracking else (),
                    ))
            writer.writerow(row)
    book.save(export.items_xlsx)
    return export
