"""Pinduoduo after-sales (``pdd.refund.list.increment.get`` items) derived from the order universe.

Every after-sale follows its order's timeline (:mod:`.generator`), so the order payload says the same: the order's
``after_sales_status`` / ``refund_status`` are the after-sale's, and its ``updated_at`` moves with it.

* refund_before_ship: one refund-only after-sale per line (several on one order when it has two lines);
* return_after_ship: a return of line 0 while in transit, agreed, then refunded with the buyer's return parcel;
* refund_after_receipt / aftersale_open / aftersale_withdrawn: a refund-only request on line 0, refunded / open /
  withdrawn by the buyer (11);
* a received normal order's extra after-sale on line 0: part of the line refunded, a return the merchant rejected
  (6), a return refunded months after the order.

Units as the SDK's examples show them (shared/channels/pinduoduo.md, ``pdd.refund.list.increment.get``): amounts
yuan text, times naive Beijing text, the after-sale ``id`` a JSON number. The list carries no buyer text.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from orderlayer.sandboxes.kit.synth import digest, permuted_id
from orderlayer.sandboxes.pinduoduo import catalog
from orderlayer.sandboxes.pinduoduo import generator as g
from orderlayer.sandboxes.pinduoduo.protocol import to_local_text

if t.TYPE_CHECKING:
    from orderlayer.sandboxes.pinduoduo.generator import PddOrderGenerator

#: The platform's reason labels (the buyer picks one; never the buyer's own words).
REASONS = ("不想要了", "货物与描述不符", "质量问题", "发货太慢", "少件/漏发", "尺码不合适")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Slot:
    """One after-sale of an order: its line, type (2 refund only, 3 return and refund) and event times (0 = never)."""

    k: int
    kind: int
    apply: int
    agree: int
    done: int

    def updated_at(self, now: int) -> int | None:
        """The after-sale's ``updated_time`` at ``now``; None before it was applied for."""
        if not 0 < self.apply <= now:
            return None
        return max(t for t in (self.apply, self.agree, self.done) if 0 < t <= now)


def slots_of(gen: PddOrderGenerator, i: int) -> list[Slot]:
    """Every after-sale order ``i`` ever gets (whatever the clock)."""
    scenario = gen.scenario_of(i)
    tl = gen.timeline_of(i)
    if scenario == g.REFUND_BEFORE_SHIP:
        return [Slot(k, 2, tl.as_apply, tl.as_agree, tl.as_done) for k in range(len(gen.amounts_of(i)["lines"]))]
    if scenario == g.RETURN_AFTER_SHIP:
        return [Slot(0, 3, tl.as_apply, tl.as_agree, tl.as_done)]
    if scenario in (g.REFUND_AFTER_RECEIPT, g.AFTERSALE_OPEN, g.AFTERSALE_WITHDRAWN):
        return [Slot(0, 2, tl.as_apply, tl.as_agree, tl.as_done)]
    extra = gen.extra_of(i)
    if extra:
        return [Slot(0, 2 if extra == "partial" else 3, tl.ex_apply, 0, tl.ex_done)]
    return []


def after_sale_id(gen: PddOrderGenerator, i: int, slot: Slot) -> int:
    return int(permuted_id(gen.seed, i * 4 + slot.k, 10, leading=3))


def line_pay_fen(gen: PddOrderGenerator, i: int, k: int) -> int:
    """Line ``k``'s share of what the buyer paid, in fen (by goods value; the remainder on the last line)."""
    a = gen.amounts_of(i)
    lines = a["lines"]
    shares = [a["pay"] * line["line_fen"] // a["goods_total"] for line in lines]
    shares[-1] += a["pay"] - sum(shares)
    return shares[k]


def items_of(gen: PddOrderGenerator, i: int, now: int) -> list[tuple[Slot, dict]]:
    """Order ``i``'s after-sales visible at ``now``, each as ``pdd.refund.list.increment.get`` lists it."""
    slots = [s for s in slots_of(gen, i) if s.updated_at(now) is not None]
    if not slots:
        return []
    state = gen.state_at(i, now)
    return [(s, _item(gen, i, now, state, s)) for s in slots]


def _item(gen: PddOrderGenerator, i: int, now: int, state: dict, slot: Slot) -> dict:
    a = gen.amounts_of(i)
    line = a["lines"][slot.k]
    r = digest(gen.seed, i * 4 + slot.k, b"pdd-aftersale")
    refund_fen = line_pay_fen(gen, i, slot.k)
    if gen.scenario_of(i) == g.NORMAL and gen.extra_of(i) == "partial":
        refund_fen = refund_fen * (20 + r % 41) // 100
    status = state["after_sales_status"]  # the order tells the same story
    returned = slot.kind == 3 and status == 10
    courier_id, prefix = catalog.COURIERS[(r >> 8) % len(catalog.COURIERS)]
    refunded = (Decimal(refund_fen) / 100).quantize(CENT, rounding=ROUND_DOWN)
    return {
        "id": after_sale_id(gen, i, slot),
        "order_sn": gen.order_sn_of(i),
        "after_sales_type": slot.kind,
        "after_sales_status": status,
        "after_sale_reason": REASONS[(r >> 16) % len(REASONS)],
        "created_time": to_local_text(slot.apply),
        "updated_time": to_local_text(slot.updated_at(now)),  # type: ignore[arg-type]
        "confirm_time": to_local_text(gen.timeline_of(i).group) if gen.timeline_of(i).group else "",
        "order_amount": f"{Decimal(a['pay']) / 100:.2f}",
        "refund_amount": f"{refunded:.2f}",
        "discount_amount": f"{Decimal(a['seller'] + a['platform']) / 100:.2f}",
        "goods_id": line["goods"][1],
        "goods_name": line["goods"][0],
        "goods_number": str(line["count"]),
        "goods_price": f"{Decimal(line['sku'][2]) / 100:.2f}",
        "good_image": f"https://img.pddpic.com/mms-material-img/sandbox/{line['goods'][1]}.jpeg",
        "sku_id": str(line["sku"][0]),
        "outer_id": line["sku"][3],
        "outer_goods_id": "",
        "tracking_number": f"{prefix}{(r >> 24) % 10**12:012d}" if returned else "",
        "shipping_name": str(courier_id) if returned else "",
        "speed_refund_flag": 0,
        "speed_refund_status": "",
        "dispute_refund_status": 0,
        "user_shipping_status": "1" if returned else "0",
    }
