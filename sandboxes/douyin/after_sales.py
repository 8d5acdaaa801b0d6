"""Douyin after-sale records (``afterSale/List`` items) derived from the order universe.

Every after-sale follows its order's timeline (:mod:`.generator`), so the order payload and the after-sale list
tell one story: the sku orders an after-sale covers carry its ``after_sale_info`` codes, and the order's
``update_time`` moves when the after-sale's does.

* REFUND_BEFORE_SHIP: one shop-order after-sale (``aftersale_order_type`` 2, no line) for the whole order,
  ``aftersale_type`` 2 (未发货仅退款), goods and freight refunded;
* REFUND_AFTER_SHIP / REFUND_AFTER_RECEIPT / AFTERSALE_OPEN: one sku-order after-sale per sku (several refunds on
  one order when it has several skus), type 1 (已发货仅退款) or 0 (退货退款, with the buyer's return parcel once
  refunded);
* a completed normal order's extra after-sale (EXTRA_*), on sku 0: a partial refund of the line, a return the
  shop refused (27), a request the buyer withdrew (28), a return refunded months after the order.

Units as the platform sends them (fact sheet douyin.md, SDK ``afterSale_List_response``): amounts integer fen,
times epoch seconds, ids 19-digit text. ``remark`` and ``seller_logs`` are the shop's free text; one order in
seven carries a buyer phone number in them, so tests can prove the tap drops them.
"""

from __future__ import annotations

import random
import typing as t
from dataclasses import dataclass

from orderlayer.sandboxes.douyin import catalog
from orderlayer.sandboxes.douyin import generator as g
from orderlayer.sandboxes.kit.synth import digest
from orderlayer.sandboxes.kit.world import DAY

if t.TYPE_CHECKING:
    from orderlayer.sandboxes.douyin.generator import OrderGenerator

#: The slot of an order's whole-order or extra after-sale (sku after-sales use slots 0..2, the sku's position).
ORDER_SLOT = 3

STATUS_TEXT = {6: "待商家同意", 7: "待买家退货", 11: "待商家二次同意", 12: "售后成功", 27: "商家一次拒绝", 28: "售后失败"}
TYPE_TEXT = {0: "退货退款", 1: "已发货仅退款", 2: "未发货仅退款"}
#: (first-level reason label, second-level label code, second-level label name): the platform's labels, never
#: buyer text. Codes are the sandbox's own (the real label codes are not published).
REASONS = (
    ("七天无理由退货", 101, "不想要了"),
    ("商品质量问题", 203, "做工粗糙/有瑕疵"),
    ("拍错/多拍", 105, "拍错了"),
    ("与商品描述不符", 208, "尺寸与描述不符"),
    ("未按约定时间发货", 302, "发货太慢"),
)


@dataclass(frozen=True)
class Slot:
    """One after-sale of an order: its slot, the sku positions it covers, its apply and done times (0 = never)."""

    slot: int
    skus: tuple[int, ...]
    apply: int
    done: int

    def update_time_at(self, now: int) -> int | None:
        """The after-sale's ``update_time`` at ``now``; None before it was applied for."""
        if not 0 < self.apply <= now:
            return None
        return self.done if 0 < self.done <= now else self.apply


def slots_of(gen: OrderGenerator, i: int) -> list[Slot]:
    """Every after-sale order ``i`` ever gets (whatever the clock)."""
    ev = gen.event_times(i)
    scenario = gen.scenario_of(i)
    out = []
    if scenario == g.REFUND_BEFORE_SHIP:
        out.append(Slot(ORDER_SLOT, tuple(range(gen.n_skus_of(i))), ev[g.AS_APPLY], ev[g.AS_DONE]))
    elif scenario in (g.REFUND_AFTER_SHIP, g.REFUND_AFTER_RECEIPT, g.AFTERSALE_OPEN):
        out.extend(Slot(j, (j,), ev[g.AS_APPLY], ev[g.AS_DONE]) for j in range(gen.n_skus_of(i)))
    if gen.extra_of(i) != g.EXTRA_NONE:
        out.append(Slot(ORDER_SLOT, (0,), ev[g.EX_APPLY], ev[g.EX_DONE]))
    return out


def after_sale_id(gen: OrderGenerator, i: int, slot: int) -> str:
    return g.permuted_id(3, gen.seed, i * 4 + slot)


def items_of(gen: OrderGenerator, i: int, now: int, order: dict | None = None) -> list[tuple[Slot, dict]]:
    """Order ``i``'s after-sales visible at ``now``, each as an ``afterSale/List`` item."""
    slots = [s for s in slots_of(gen, i) if s.update_time_at(now) is not None]
    if not slots:
        return []
    order = order if order is not None else gen.order(i, now)
    return [(s, _item(gen, i, now, order, s)) for s in slots]


def _item(gen: OrderGenerator, i: int, now: int, order: dict, slot: Slot) -> dict:
    rng = random.Random(digest(gen.seed, i * 4 + slot.slot, b"ol-aftersale"))
    skus = order["sku_order_list"]
    info = skus[slot.skus[0]]["after_sale_info"]
    status, kind, refund_status = int(info["after_sale_status"]), int(info["after_sale_type"]), int(info["refund_status"])
    extra = gen.extra_of(i) if slot.slot == ORDER_SLOT and gen.scenario_of(i) == g.NORMAL else g.EXTRA_NONE
    covered = [skus[j] for j in slot.skus]
    post = sum(int(s["post_amount"]) for s in covered)
    goods = sum(int(s["pay_amount"]) for s in covered) - post
    refund_post = post if extra in (g.EXTRA_NONE, g.EXTRA_LATE) else 0
    if extra == g.EXTRA_PARTIAL:
        goods = goods * (20 + rng.randrange(41)) // 100  # part of the line, in whole fen
    reason = REASONS[rng.randrange(len(REASONS))] if kind != 2 else REASONS[4]
    returned = kind == 0 and status == 12
    carrier = catalog.CARRIERS[rng.randrange(len(catalog.CARRIERS))]
    whole_order = len(slot.skus) > 1 or (slot.slot == ORDER_SLOT and extra == g.EXTRA_NONE)
    update_time = slot.update_time_at(now)
    seller_note = i % 7 == 0
    buyer_phone = f"1{rng.randrange(30, 99)}{rng.randrange(10**8):08d}"
    return {
        "aftersale_info": {
            "aftersale_id": after_sale_id(gen, i, slot.slot),
            "aftersale_order_type": 2 if whole_order else 1,
            "aftersale_type": kind,
            "aftersale_status": status,
            "related_id": order["order_id"] if whole_order else covered[0]["order_id"],
            "apply_time": slot.apply,
            "create_time": slot.apply,
            "update_time": update_time,
            "status_deadline": slot.apply + 2 * DAY if status in (6, 7, 11) else 0,
            "refund_amount": goods,
            "refund_post_amount": refund_post,
            "refund_tax_amount": 0,
            "return_promotion_amount": 0,
            "aftersale_num": sum(int(s["item_num"]) for s in covered),
            "part_type": 1 if extra == g.EXTRA_PARTIAL else 0,
            "aftersale_refund_type": 0,
            "refund_type": 2,
            "arbitrate_status": 0,
            "refund_status": refund_status,
            "return_logistics_code": f"{carrier[2]}{rng.randrange(10**12):012d}" if returned else "",
            "return_logistics_company_name": carrier[1] if returned else "",
            "got_pkg": 0 if kind == 2 else 1,
            "remark": f"已电话联系买家{buyer_phone}" if seller_note else "",
            "reason_second_labels": [{"code": reason[1], "name": reason[2]}],
            "aftersale_tags": [],
            "store_id": 0,
            "store_name": "",
        },
        "order_info": {
            "shop_order_id": order["order_id"],
            "order_flag": 0,
            "related_order_info": [
                {
                    "sku_order_id": s["order_id"],
                    "order_status": s["order_status"],
                    "pay_amount": s["pay_amount"],
                    "post_amount": s["post_amount"],
                    "item_num": s["item_num"],
                    "create_time": s["create_time"],
                    "tax_amount": 0,
                    "product_name": s["product_name"],
                    "product_id": s["product_id"],
                    "price": s["origin_amount"],
                    "aftersale_pay_amount": goods if len(covered) == 1 else int(s["pay_amount"]) - int(s["post_amount"]),
                    "aftersale_post_amount": refund_post if len(covered) == 1 else int(s["post_amount"]),
                    "aftersale_item_num": s["item_num"],
                }
                for s in covered
            ],
        },
        "text_part": {
            "aftersale_status_text": STATUS_TEXT[status],
            "aftersale_type_text": TYPE_TEXT[kind],
            "aftersale_refund_type_text": "原路退款",
            "reason_text": reason[0],
            "return_logistics_text": "买家已退货" if returned else "",
        },
        "seller_logs": [{"content": f"买家{buyer_phone}要求加急", "op_name": "客服小李", "create_time": "", "star": 2}] if seller_note else [],
    }
