"""Youzan refunds (``youzan.trade.refund.search`` items) derived from the order universe.

Every refund follows its order's timeline (:mod:`.generator`), so the order says the same: its
``order_info.refund_state`` (partial / full, open / done) is the refunds', and its ``update_time`` moves with
their apply and done events.

* refund_before_ship: every line refunded before shipment, one refund per line (several on one order);
* partial_refund: the last line refunded (no return) after the order succeeded;
* refund_open: a refund of the whole order after shipment, open, with customer service intervening;
* a successful normal order's extra refund of its last line: a return the seller refused, a request the buyer
  withdrew, a return agreed after a day and refunded months after the order.

Units as the SDK's ``YouzanTradeRefundSearchResult`` documents them: ``refund_fee`` in yuan (sent as text here,
as the order amounts are), ``created`` / ``modified`` naive Beijing text, ``reason`` a numeric code. The search
result names no line and no return parcel.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from decimal import Decimal

from orderlayer.sandboxes.kit.synth import permuted_id
from orderlayer.sandboxes.kit.world import DAY
from orderlayer.sandboxes.youzan import generator as g
from orderlayer.sandboxes.youzan import protocol as p

if t.TYPE_CHECKING:
    from orderlayer.sandboxes.youzan.generator import YouzanOrderGenerator

#: After this long the seller agrees to the late return (WAIT_BUYER_RETURN_GOODS).
AGREE_AFTER = DAY
#: The SDK's reason codes per case: refund only, goods not received (12 wrong/unwanted); refund only, goods
#: received (51 bought by mistake, 53 missing goods); return and refund (104 wrong/unwanted, 105 quality).
REASON = {"refund_before_ship": 12, "partial_refund": 51, "refund_open": 53, "refused": 104, "withdrawn": 51, "late": 105}


@dataclass(frozen=True)
class Slot:
    """One refund of an order: the lines it covers (None: the whole order), apply and done times (0 = never)."""

    k: int  # a slot number, unique per order
    lines: tuple[int, ...] | None
    apply: int
    done: int
    kind: str

    def modified_at(self, now: int) -> int | None:
        if not 0 < self.apply <= now:
            return None
        if 0 < self.done <= now:
            return self.done
        if self.kind == "late" and self.apply + AGREE_AFTER <= now:
            return self.apply + AGREE_AFTER
        return self.apply


def slots_of(gen: YouzanOrderGenerator, i: int) -> list[Slot]:
    """Every refund order ``i`` ever gets (whatever the clock)."""
    tl = gen.timelines[i]
    ev = dict(zip(g.EVENTS, (tl.create + o if o else 0 for o in tl.offsets), strict=True))
    last = tl.n_lines - 1
    if tl.scenario == g.REFUND_BEFORE_SHIP:
        return [Slot(k, (k,), ev["refund_apply"], ev["refund_done"], tl.scenario) for k in range(tl.n_lines)]
    if tl.scenario == g.PARTIAL_REFUND:
        return [Slot(0, (last,), ev["refund_apply"], ev["refund_done"], tl.scenario)]
    if tl.scenario == g.REFUND_OPEN:
        return [Slot(0, None, ev["refund_apply"], 0, tl.scenario)]
    if tl.extra:
        return [Slot(3, (last,), ev["ex_apply"], ev["ex_done"], tl.extra)]
    return []


def refund_id_of(gen: YouzanOrderGenerator, i: int, slot: Slot) -> str:
    return permuted_id(gen.seed, i * 4 + slot.k, 19, leading=2)


def status_at(slot: Slot, now: int) -> str:
    """The refund's status at ``now`` (the SDK's vocabulary)."""
    if 0 < slot.done <= now:
        return {"refused": "SELLER_REFUSE_BUYER", "withdrawn": "CLOSED"}.get(slot.kind, "SUCCESS")
    if slot.kind == "late" and slot.apply + AGREE_AFTER <= now:
        return "WAIT_BUYER_RETURN_GOODS"
    return "WAIT_SELLER_AGREE"


def refunds_of(gen: YouzanOrderGenerator, i: int, now: int) -> list[tuple[Slot, dict]]:
    """Order ``i``'s refunds visible at ``now``, each as ``youzan.trade.refund.search`` lists it."""
    slots = [s for s in slots_of(gen, i) if s.modified_at(now) is not None]
    if not slots:
        return []
    lines = gen.lines_of(i)
    out = []
    for slot in slots:
        covered = lines if slot.lines is None else [lines[k] for k in slot.lines]
        fee = sum((line["payment"] for line in covered), start=Decimal(0))
        out.append((slot, {
            "refund_id": refund_id_of(gen, i, slot),
            "tid": gen.tid_of(i),
            "status": status_at(slot, now),
            "return_goods": slot.kind in ("refused", "late"),
            "reason": REASON[slot.kind],
            "refund_fee": f"{fee:.2f}",
            "created": p.format_local(slot.apply),
            "modified": p.format_local(slot.modified_at(now)),  # type: ignore[arg-type]
            "cs_status": 2 if slot.kind == "refund_open" else 1,
        }))
    return out
