"""Taobao refunds (``taobao.refunds.receive.get`` items) derived from the trade universe.

A refund is one sub-order's (``oid``): TOP keys refunds by sub-order. Every refund follows its trade's timeline
(:mod:`.generator`), so the trade says the same: the sub-order carries the refund's ``refund_id`` and
``refund_status``.

* refund_before_ship: every sub-order refunded before shipment (several refunds on one trade when it has several);
* refund_after_ship: sub-order 0 returned after it was signed for, then refunded;
* aftersale_open: sub-order 0's return requested, agreed after six hours (WAIT_BUYER_RETURN_GOODS), never done;
* a finished normal trade's extra refund on sub-order 0: part of the line without a return, a return the seller
  refused, a request the buyer withdrew, a return refunded months after the trade.

Units as TOP sends them (shared/channels/taobao.md): yuan strings, naive Beijing ``yyyy-MM-dd HH:mm:ss`` times,
numeric ids. ``desc`` is the buyer's own text (one refund in five quotes a phone number), so tests can prove the
tap drops it; ``reason`` is the platform's reason label the buyer picked.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from orderlayer.sandboxes.kit.synth import digest
from orderlayer.sandboxes.taobao import catalog
from orderlayer.sandboxes.taobao.generator import HOUR, extra_refund_fee
from orderlayer.sandboxes.taobao.protocol import format_time

if t.TYPE_CHECKING:
    from orderlayer.sandboxes.taobao.generator import TradeGenerator

#: The platform's reason labels (what the buyer picks from a list; never the buyer's own words).
REASONS = ("七天无理由退换货", "质量问题", "不喜欢/不想要", "尺码拍错/不合适", "未按约定时间发货", "商品与描述不符")
#: After this long the seller agrees to a return (WAIT_BUYER_RETURN_GOODS), as the sub-order shows.
AGREE_AFTER = 6 * HOUR


@dataclass(frozen=True)
class Slot:
    """One refund of a trade: the sub-order, its apply and done times (0 = never), whether goods come back."""

    k: int
    apply: int
    done: int
    returns: bool
    kind: str  # the scenario's or the extra refund's name

    def modified_at(self, now: int, shipped: bool) -> int | None:
        """The refund's ``modified`` at ``now``; None before it was applied for."""
        if self.apply > now:
            return None
        times = [self.apply]
        if self.done and self.done <= now:
            times.append(self.done)
        elif shipped and self.kind in ("refund_after_ship", "aftersale_open") and self.apply + AGREE_AFTER <= now:
            times.append(self.apply + AGREE_AFTER)
        return max(times)


def slots_of(gen: TradeGenerator, i: int) -> list[Slot]:
    """Every refund trade ``i`` ever gets (whatever the clock)."""
    tl = gen.timeline(i)
    ev = tl.events
    out = []
    if tl.scenario == "refund_before_ship":
        out.extend(Slot(k, ev["refund_apply"], ev["refund_done"], False, tl.scenario) for k in sorted(tl.refund_lines))
    elif tl.scenario in ("refund_after_ship", "aftersale_open"):
        out.append(Slot(0, ev["refund_apply"], ev.get("refund_done", 0), True, tl.scenario))
    if tl.extra:
        out.append(Slot(0, ev["extra_apply"], ev["extra_done"], tl.extra in ("refused", "late"), tl.extra))
    return out


def refund_id_of(gen: TradeGenerator, i: int, slot: Slot) -> int:
    return int(gen.tid_of(i)[-12:]) * 10 + slot.k


def modified_of(gen: TradeGenerator, i: int, slot: Slot, now: int) -> int | None:
    return slot.modified_at(now, shipped=gen.timeline(i).at("ship", now) is not None)


def refunds_of(gen: TradeGenerator, i: int, now: int) -> list[tuple[Slot, dict]]:
    """Trade ``i``'s refunds visible at ``now``, each as ``taobao.refunds.receive.get`` returns it."""
    slots = [s for s in slots_of(gen, i) if modified_of(gen, i, s, now) is not None]
    if not slots:
        return []
    trade = gen.trade(i, now)
    return [(s, _refund(gen, i, now, trade, s)) for s in slots]


def _refund(gen: TradeGenerator, i: int, now: int, trade: dict, slot: Slot) -> dict:
    tl = gen.timeline(i)
    sub = trade["orders"]["order"][slot.k]
    status = sub["refund_status"]  # the trade tells the same story
    r = digest(gen.seed, i * 4 + slot.k, b"tb-refund")
    returned = slot.returns and status == "SUCCESS"
    if tl.extra and slot.kind == tl.extra:
        fee = extra_refund_fee(gen.seed, tl)
        order_status = "TRADE_FINISHED"
    else:
        fee = tl.lines[slot.k].divide_order_fee
        order_status = "WAIT_SELLER_SEND_GOODS" if slot.kind == "refund_before_ship" else "WAIT_BUYER_CONFIRM_GOODS"
    carrier, prefix = catalog.CARRIERS[r % len(catalog.CARRIERS)]
    phone = f"1{r % 70 + 30}{(r >> 8) % 10**8:08d}"
    return {
        "refund_id": refund_id_of(gen, i, slot),
        "tid": trade["tid"],
        "oid": sub["oid"],
        "title": sub["title"],
        "num": sub["num"],
        "seller_nick": trade["seller_nick"],
        "buyer_nick": trade["buyer_nick"],
        "total_fee": sub["total_fee"],
        "payment": sub["payment"],
        "refund_fee": str(fee),
        "status": status,
        "created": format_time(slot.apply),
        "modified": format_time(modified_of(gen, i, slot, now)),  # type: ignore[arg-type]
        "order_status": order_status,
        "good_status": "BUYER_RETURNED_GOODS" if returned else ("BUYER_NOT_RECEIVED" if slot.kind == "refund_before_ship" else "BUYER_RECEIVED"),
        "has_good_return": slot.returns,
        "reason": REASONS[4] if slot.kind == "refund_before_ship" else REASONS[(r >> 40) % len(REASONS)],
        "desc": f"麻烦尽快处理，电话{phone}" if r % 5 == 0 else "",
        "company_name": carrier if returned else "",
        "sid": f"{prefix}{(r >> 20) % 10**12:012d}" if returned else "",
        "refund_phase": "aftersale" if order_status == "TRADE_FINISHED" else "onsale",
        "refund_version": slot.apply * 1000,
    }
