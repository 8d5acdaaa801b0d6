"""Deterministic TikTok Shop after-sales: the Return & Refund API's return and cancellation records of the
generator's orders (:class:`ReturnBook`, :class:`CancellationBook`; a book's ``records`` each carry ``order_index``,
``ident`` and ``events`` with the ``request`` time, and the book renders them at a clock).

Each delivered order may get returns, drawn from (seed, order index) alone, so the returns render lazily and
identically between runs. A return has a timeline of absolute times (requested, approved, buyer shipped, seller
received, refunded, rejected, cancelled) and renders at a clock ``now`` the way ``POST
/return_refund/202309/returns/search`` answers: ``return_status`` of the last event reached, ``update_time`` the
last event's time, amounts as decimal strings in major units of the shop's currency.

The cases (docs/channels/tiktok_shop.md "After-sales"): a refund without return (REFUND), a return and refund
(RETURN_AND_REFUND, with the buyer's parcel), one unit of a line (a partial line refund), two returns on one order,
a rejected request, a request the buyer withdrew, a refund after the order completed, a refund months after the
order (after ``as_of``: a later sync finds it), and a replacement (an exchange: no money back).

The order search does not change when a return happens ([I]: the order keeps its status; the sandbox's orders are
the generator's unchanged), so the return API is the only source of these facts.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate

from orderlayer.sandboxes.kit.synth import permuted_id
from orderlayer.sandboxes.kit.world import DAY, Draws
from orderlayer.sandboxes.tiktok_shop import catalog
from orderlayer.sandboxes.tiktok_shop.generator import HOUR, OrderGenerator, Timeline, _format, _round_half_up

REFUND_ONLY = "refund_only"
RETURN_AND_REFUND = "return_and_refund"
PARTIAL_LINE = "partial_line"
TWO_RETURNS = "two_returns"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
AFTER_COMPLETION = "after_completion"
MONTHS_LATER = "months_later"
REPLACEMENT = "replacement"
NONE = "none"
#: Share (per 10 000) of delivered orders that get each case.
_CASE_SHARE = (
    (REFUND_ONLY, 500), (RETURN_AND_REFUND, 500), (PARTIAL_LINE, 400), (TWO_RETURNS, 300), (REJECTED, 300),
    (WITHDRAWN, 200), (AFTER_COMPLETION, 300), (MONTHS_LATER, 300), (REPLACEMENT, 200), (NONE, 7000),
)
CASES = tuple(name for name, _ in _CASE_SHARE)
_CASE_CUTS = tuple(accumulate(share for _, share in _CASE_SHARE))
assert _CASE_CUTS[-1] == 10_000

#: Status each event moves a return to, in lifecycle order (a later event wins at equal times).
_EVENT_STATUS = (
    ("request", "RETURN_OR_REFUND_REQUEST_PENDING"),
    ("approve", "AWAITING_BUYER_SHIP"),
    ("ship", "BUYER_SHIPPED_ITEM"),
    ("receive", "RETURN_OR_REFUND_REQUEST_SUCCESS"),
    ("refund", "RETURN_OR_REFUND_REQUEST_COMPLETE"),
    ("reject", "REFUND_OR_RETURN_REQUEST_REJECT"),
    ("cancel", "RETURN_OR_REFUND_REQUEST_CANCEL"),
)
#: The platform's reason labels (codes and English texts as the seller centre shows them; [I]).
REASONS = (
    ("ecom_order_delivered_refund_and_return_reason_wrong_size", "Item doesn't fit"),
    ("ecom_order_delivered_refund_and_return_reason_damaged", "Damaged item"),
    ("ecom_order_delivered_refund_and_return_reason_not_as_described", "Item doesn't match description"),
    ("ecom_order_delivered_refund_reason_missing_item", "Missing item or accessory"),
)
RETURN_CARRIER = "USPS"


@dataclass(frozen=True)
class ReturnTimeline:
    """One return of order ``order_index``: which units, its type, reason and event times."""

    order_index: int
    return_id: str
    return_type: str  # REFUND / RETURN_AND_REFUND / REPLACEMENT
    units: tuple[int, ...]  # indexes into the order's units
    events: dict[str, int]
    reason: int
    tracking_number: str | None

    @property
    def ident(self) -> str:
        return self.return_id


class ReturnBook:
    """The returns of an :class:`OrderGenerator`'s orders (module docstring)."""

    def __init__(self, generator: OrderGenerator) -> None:
        self.generator = generator
        self.returns: list[ReturnTimeline] = []
        for tl in generator.timelines:
            self.returns.extend(self._returns_of(tl))
        self.records = self.returns

    def case_of(self, tl: Timeline) -> str:
        if "deliver" not in tl.events:
            return NONE
        take = Draws(self.generator.seed, tl.index, b"tts-return").take
        return CASES[bisect.bisect_right(_CASE_CUTS, take(10_000))]

    def _returns_of(self, tl: Timeline) -> list[ReturnTimeline]:
        case = self.case_of(tl)
        if case == NONE:
            return []
        take = Draws(self.generator.seed, tl.index, b"tts-return-times").take
        deliver, complete = tl.events["deliver"], tl.events["complete"]
        n = len(tl.units)
        every = tuple(range(n))
        request = deliver + HOUR + take(2 * DAY)  # inside the return window: before the order completes

        def ident(k: int) -> str:
            return permuted_id(self.generator.seed + 4_409, tl.index * 4 + k, 19, leading=4)

        def tracking(k: int) -> str:
            return f"9400{(tl.index * 4 + k) * 7_919 % 10**18:018d}"

        def full_return(k: int, units: tuple[int, ...], start: int) -> ReturnTimeline:
            approve = start + HOUR + take(12 * HOUR)
            ship = approve + 6 * HOUR + take(DAY)
            receive = ship + 2 * DAY + take(2 * DAY)
            ev = {"request": start, "approve": approve, "ship": ship, "receive": receive, "refund": receive + HOUR}
            return ReturnTimeline(tl.index, ident(k), "RETURN_AND_REFUND", units, ev, take(len(REASONS)), tracking(k))

        def refund_only(k: int, units: tuple[int, ...], start: int) -> ReturnTimeline:
            ev = {"request": start, "refund": start + 2 * HOUR + take(DAY)}
            return ReturnTimeline(tl.index, ident(k), "REFUND", units, ev, 3, None)

        if case == REFUND_ONLY:
            return [refund_only(0, every, request)]
        if case == RETURN_AND_REFUND:
            return [full_return(0, every, request)]
        if case == PARTIAL_LINE:  # one unit back: the last one (of a line of several units when there is one)
            return [full_return(0, (n - 1,), request)]
        if case == TWO_RETURNS:  # the first unit refunded, later the last one returned (one unit: asked again, rejected)
            first = refund_only(0, (0,), request)
            later = request + DAY + take(DAY)
            if n > 1:
                return [first, full_return(1, (n - 1,), later)]
            again = {"request": later, "reject": later + 4 * HOUR}
            return [first, ReturnTimeline(tl.index, ident(1), "REFUND", (0,), again, 0, None)]
        if case == REJECTED:
            ev = {"request": request, "reject": request + 4 * HOUR + take(DAY)}
            return [ReturnTimeline(tl.index, ident(0), "REFUND", every, ev, 0, None)]
        if case == WITHDRAWN:
            ev = {"request": request, "cancel": request + HOUR + take(6 * HOUR)}
            return [ReturnTimeline(tl.index, ident(0), "RETURN_AND_REFUND", every, ev, 0, None)]
        if case == AFTER_COMPLETION:
            return [refund_only(0, (0,), complete + HOUR + take(3 * DAY))]
        if case == MONTHS_LATER:  # a warranty-style refund two to three months on: after as_of in most worlds
            return [refund_only(0, (0,), complete + 60 * DAY + take(30 * DAY))]
        # REPLACEMENT: goods swapped, no money back
        ev = {"request": request, "approve": request + 2 * HOUR, "ship": request + DAY, "receive": request + 3 * DAY}
        return [ReturnTimeline(tl.index, ident(0), "REPLACEMENT", (0,), ev, 1, tracking(0))]

    # ------------------------------------------------------------------ rendering
    @staticmethod
    def update_time_at(rt: ReturnTimeline, now: int) -> int | None:
        times = [v for v in rt.events.values() if v <= now]
        return max(times) if times else None

    @staticmethod
    def status_at(rt: ReturnTimeline, now: int) -> str | None:
        status, best = None, -1
        for name, code in _EVENT_STATUS:
            when = rt.events.get(name)
            if when is not None and best <= when <= now:
                best, status = when, code
        return status

    def render(self, rt: ReturnTimeline, now: int, order_id: str) -> dict:
        """The return as the search serves it at ``now`` (it must exist: requested at or before ``now``)."""
        gen = self.generator
        tl = gen.timelines[rt.order_index]
        region = gen.regions[tl.shop_index]
        status = self.status_at(rt, now)
        if status is None:
            msg = f"return {rt.return_id} does not exist before {rt.events['request']}"
            raise ValueError(msg)
        money = lambda minor: _format(minor, region)  # noqa: E731 - local shorthand
        refunds = rt.return_type != "REPLACEMENT"

        def amounts(units: tuple[int, ...]) -> dict:
            subtotal = sum(tl.units[k].sale for k in units) if refunds else 0
            tax = _round_half_up(Decimal(subtotal) * region.tax_rate)
            return {
                "currency": region.currency,
                "refund_subtotal": money(subtotal),
                "refund_shipping_fee": money(0),
                "refund_tax": money(tax),
                "refund_total": money(subtotal + tax),
            }

        code, text = REASONS[rt.reason]
        record: dict = {
            "return_id": rt.return_id,
            "order_id": order_id,
            "return_type": rt.return_type,
            "return_status": status,
            "arbitration_status": "",
            "role": "BUYER",
            "return_reason": code,
            "return_reason_text": text,
            "create_time": rt.events["request"],
            "update_time": self.update_time_at(rt, now),
            "refund_amount": amounts(rt.units),
            "return_line_items": [
                {
                    "return_line_item_id": permuted_id(gen.seed + 5_227, rt.order_index * 64 + k, 19, leading=4),
                    "order_line_item_id": tl.units[k].line_id,
                    "sku_id": tl.units[k].sku.sku_id,
                    "sku_name": tl.units[k].sku.sku_name,
                    "product_name": tl.units[k].sku.product_name,
                    "seller_sku": tl.units[k].sku.seller_sku,
                    "refund_amount": amounts((k,)),
                }
                for k in rt.units
            ],
            # The buyer may add a description; free text typed by a buyer (the tap drops it).
            "buyer_remarks": f"{catalog.BUYER_MESSAGES[rt.order_index % 3]} - call {tl.buyer:07d}",
        }
        if rt.tracking_number is not None and "ship" in rt.events and rt.events["ship"] <= now:
            record |= {
                "shipment_type": "PLATFORM",
                "handover_method": "DROP_OFF",
                "return_tracking_number": rt.tracking_number,
                "return_provider_name": RETURN_CARRIER,
                "return_provider_id": "6617675021119438849",
            }
        return record


#: Cancellation status each event moves a request to (a later event wins at equal times).
_CANCEL_STATUS = (
    ("request", "CANCELLATION_REQUEST_PENDING"),
    ("complete", "CANCELLATION_REQUEST_COMPLETE"),
)
CANCEL_REASONS = {
    "BUYER": ("ecom_order_unpaid_cancel_reason_no_longer_needed", "No longer needed"),
    "SELLER": ("seller_cancel_reason_out_of_stock", "Out of stock"),
}


@dataclass(frozen=True)
class CancelTimeline:
    """One cancellation request of order ``order_index``: whole order (``units`` None) or some units."""

    order_index: int
    cancel_id: str
    cancel_type: str  # BUYER_CANCEL (the buyer asked) or CANCEL (the seller cancelled)
    role: str
    units: tuple[int, ...] | None
    events: dict[str, int]

    @property
    def ident(self) -> str:
        return self.cancel_id


class CancellationBook:
    """The cancellations of paid orders, from the orders' own timelines: a buyer's request (approved, or still
    pending), a seller's cancellation, a buyer's cancelled unit. An unpaid order cancelled by the system refunds
    nothing and has no record ([I])."""

    def __init__(self, generator: OrderGenerator) -> None:
        from orderlayer.sandboxes.tiktok_shop import generator as g  # the scenario names

        self.generator = generator
        self.records: list[CancelTimeline] = []
        for tl in generator.timelines:
            ev, cid = tl.events, permuted_id(generator.seed + 6_151, tl.index, 19, leading=4)
            if tl.scenario in (g.BUYER_CANCELLED, g.CANCEL_REQUESTED):
                done = {"complete": ev["cancel"]} if "cancel" in ev else {}
                self.records.append(CancelTimeline(tl.index, cid, "BUYER_CANCEL", "BUYER", None, {"request": ev["request_cancel"], **done}))
            elif tl.scenario == g.SELLER_CANCELLED:
                self.records.append(CancelTimeline(tl.index, cid, "CANCEL", "SELLER", None, {"request": ev["cancel"], "complete": ev["cancel"]}))
            elif tl.scenario == g.ITEM_CANCELLED and tl.cancelled_unit is not None:
                at = ev["item_cancel"]
                self.records.append(CancelTimeline(tl.index, cid, "BUYER_CANCEL", "BUYER", (tl.cancelled_unit,), {"request": at, "complete": at}))

    @staticmethod
    def update_time_at(ct: CancelTimeline, now: int) -> int | None:
        times = [v for v in ct.events.values() if v <= now]
        return max(times) if times else None

    def render(self, ct: CancelTimeline, now: int, order_id: str) -> dict:
        """The request as the cancellation search serves it at ``now``. The amounts agree with the order: a whole
        order refunds its ``total_amount``, a cancelled unit its ``sale_price``."""
        gen = self.generator
        tl = gen.timelines[ct.order_index]
        region = gen.regions[tl.shop_index]
        status = "CANCELLATION_REQUEST_PENDING"
        for name, code in _CANCEL_STATUS:
            if name in ct.events and ct.events[name] <= now:
                status = code
        units = ct.units if ct.units is not None else tuple(range(len(tl.units)))
        total = gen.order(ct.order_index, now)["payment"]["total_amount"] if ct.units is None else _format(sum(tl.units[k].sale for k in units), region)
        code, text = CANCEL_REASONS[ct.role]
        return {
            "cancel_id": ct.cancel_id,
            "order_id": order_id,
            "cancel_type": ct.cancel_type,
            "cancel_status": status,
            "role": ct.role,
            "cancel_reason": code,
            "cancel_reason_text": text,
            "create_time": ct.events["request"],
            "update_time": self.update_time_at(ct, now),
            "refund_amount": {"currency": region.currency, "refund_total": total},
            "cancel_line_items": [
                {"cancel_line_item_id": permuted_id(gen.seed + 6_217, ct.order_index * 64 + k, 19, leading=4),
                 "order_line_item_id": tl.units[k].line_id, "sku_id": tl.units[k].sku.sku_id,
                 "refund_amount": {"currency": region.currency, "refund_total": _format(tl.units[k].sale, region)}}
                for k in units
            ],
        }
