"""Deterministic JD POP order generator.

``JdOrderGenerator(seed, as_of, n_orders, shop_ids, days)`` describes ``n_orders`` orders created during the
``days`` before ``as_of``. Each order has a timeline (paid -> [held] -> shipped -> [waybill changed] -> finished,
or cancelled, or a cross-border path) that may run past ``as_of``; :meth:`JdOrderGenerator.order` renders the
order as ``jingdong.pop.order.search`` would return it at any clock ``now >= as_of``. JD lists only paid orders
(fact sheet §4 [I]), so an order appears once its payment is confirmed; ``modified`` is the last status or
waybill change at or before ``now``. Moving ``now`` forward therefore yields late updates and new orders.

Determinism: order ``i`` depends only on (seed, i, as_of, days, shop_ids) and ``now``; per-order randomness comes
from :func:`orderlayer.sandboxes.kit.synth.digest`, so orders render lazily, in any order, identically between runs.

Payload shape (fact sheet §4/§5): 19-digit order ids as strings (above 2**53), yuan amounts as decimal strings,
naive Beijing ``yyyy-MM-dd HH:mm:ss`` times, the eight documented ``orderState`` values, ``itemInfoList`` lines
without a line id. Receiver fields are plaintext for ``search`` and opaque ciphertext for ``enSearch``
(:data:`PLAINTEXT_LEAK_PER_10000` of enSearch orders still carry a plaintext ``originalConsigneeInfo``, and
:data:`VAT_PER_10000` carry VAT invoice details with a company phone: planted personal data a tap must remove).
The ciphertext format and the ``vatInfo`` sub-keys are the sandbox's own (not documented by the fact sheet).

Refund applications (``jingdong.pop.afs.soa.refundapply.queryPageList``, :meth:`JdOrderGenerator.applications`)
are cancel-order refunds (before shipment): every paid-then-cancelled order has one for its full payment, approved
when the order is cancelled (some confirmed by JD finance later without a new ``checkTime``); about
:data:`CANCEL_REQUEST_PER_10000` of the shipped orders had a cancel request before shipping that was rejected or
never reviewed. Amounts are integer fen strings (the doc's unit), ids 17 digits (above 2**53).

After-sale services (``jingdong.asc.serviceAndRefund.view``, :meth:`JdOrderGenerator.after_sales`): about
:data:`AFTER_SALE_PER_10000` of the shipped orders get one after shipping (a partial or full amount); it is
reviewed (approved or rejected) or never, and an approved one is refunded (status 13, ``completeTime``, yuan
``refoundAmount``) days later, often after the sandbox clock. In-progress status codes are the sandbox's own
(JD documents only 13 refunded and 14 failed); a rejected service is listed with status 14 and no refund.
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import hashlib
import random
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate

from orderlayer.sandboxes.kit.synth import SHANGHAI, OrderFact, digest, permuted_id
from orderlayer.sandboxes.jd import catalog
from orderlayer.sandboxes.kit.world import DAY, Draws, OrderWorld, shop_cuts

HOUR = 3_600

#: enSearch orders (per 10 000) that still carry a plaintext originalConsigneeInfo.
PLAINTEXT_LEAK_PER_10000 = 300
#: Orders (per 10 000) with VAT invoice details.
VAT_PER_10000 = 500

# Scenario (lifecycle path) of an order.
NORMAL = 0  # paid -> shipped -> finished
CANCELLED = 1  # paid, cancelled before shipping (refunded)
LOCKED_CANCELLED = 2  # paid, locked (e.g. a cancel request), then cancelled
PAUSED = 3  # paid, paused (PAUSE / POP_ORDER_PAUSE), released, shipped, finished
CROSS_BORDER = 4  # paid, waiting for domestic delivery, shipped, finished
WAYBILL_CHANGED = 5  # like NORMAL, the carrier/waybill changed after shipping (a modification without a state change)

SCENARIO_NAMES = {
    NORMAL: "normal",
    CANCELLED: "cancelled",
    LOCKED_CANCELLED: "locked_cancelled",
    PAUSED: "paused",
    CROSS_BORDER: "cross_border",
    WAYBILL_CHANGED: "waybill_changed",
}
_SCENARIO_SHARE = (6800, 1100, 500, 500, 500, 600)  # per 10 000, in scenario order
_SCENARIO_CUTS = tuple(accumulate(_SCENARIO_SHARE))
assert _SCENARIO_CUTS[-1] == 10_000

# Timeline event slots, stored as offsets (seconds) from the creation time; 0 = never happens.
PAY, HOLD, RELEASE, SHIP, WAYBILL, FINISH, CANCEL = range(7)
N_EVENTS = 7

#: Shipped orders (per 10 000) whose buyer asked to cancel before shipping (not granted: the order shipped).
CANCEL_REQUEST_PER_10000 = 1_000
#: Shipped orders (per 10 000) with an after-sale service (return / refund after shipment).
AFTER_SALE_PER_10000 = 1_200
#: After-sale refund status at a clock: the sandbox's own in-progress codes, then JD's 13 (refunded) / 14.
AFTER_SALE_PENDING, AFTER_SALE_APPROVED, AFTER_SALE_REFUNDED, AFTER_SALE_CLOSED = "0", "1", "13", "14"
#: Finished orders (per 100) with a second after-sale service months later (a quality claim 60–119 days after the
#: order finished: the order itself changed long before, beyond its own sync window; visible after `advance()`).
LATE_AFTER_SALE_PER_100 = 3
#: Services (per 10) where the buyer sends the goods back (customerExpect 10, 退货); the others are refunds only
#: and carry no customerExpect (docs/channels/jd.md "After-sale records as refunds").
RETURN_PER_10 = 6
RETURN_EXPECT = "10"
#: Application statuses that mean the money is (being) refunded; the rest are pending (0) or refused.
REFUNDED_STATUSES = frozenset({"1", "3", "5", "6", "7", "9"})
REFUND_REASONS = ("不想要了", "商品降价", "地址填写错误", "质量问题", "少件/漏发", "与描述不符")


@dataclass(frozen=True)
class Application:
    """One refund application of an order: static facts; :meth:`status_at` gives its status at a clock."""

    id: str
    order_index: int
    apply_time: int
    amount_fen: int
    #: 0 = never reviewed
    check_time: int
    #: status after review ("1" approved, "2" rejected, ...)
    reviewed_status: str
    #: when JD finance confirms an approval ("1" -> "3") without a new checkTime; 0 = never
    finance_time: int = 0
    reason: str = ""

    def visible_at(self, now: int) -> bool:
        return self.apply_time <= now

    def status_at(self, now: int) -> str:
        if not self.check_time or self.check_time > now:
            return "0"
        if self.finance_time and self.finance_time <= now:
            return "3"
        return self.reviewed_status

    def changed_at(self, now: int) -> int:
        """The application's last change at ``now`` (what a ``modified`` would say)."""
        times = [t for t in (self.apply_time, self.check_time, self.finance_time) if t and t <= now]
        return max(times)


@dataclass(frozen=True)
class AfterSale:
    """One after-sale service of an order: static facts; :meth:`status_at` gives its refund status at a clock."""

    service_id: str
    refund_id: str
    order_index: int
    apply_time: int
    #: fen refunded when approved
    amount_fen: int
    #: review time; 0 = never reviewed
    approve_time: int
    approved: bool
    #: refund completion; 0 = never (rejected or not reviewed)
    complete_time: int
    reason: str = ""

    def visible_at(self, now: int) -> bool:
        return self.apply_time <= now

    def status_at(self, now: int) -> str:
        if not self.approve_time or self.approve_time > now:
            return AFTER_SALE_PENDING
        if not self.approved:
            return AFTER_SALE_CLOSED
        return AFTER_SALE_REFUNDED if self.complete_time <= now else AFTER_SALE_APPROVED

    def refunded_fen_at(self, now: int) -> int:
        return self.amount_fen if self.status_at(now) == AFTER_SALE_REFUNDED else 0


#: orderState -> canonical lifecycle word used by :class:`OrderFact`.
FACT_STATUS = {
    "WAIT_SELLER_STOCK_OUT": "paid",
    "WAIT_SELLER_DELIVERY": "paid",
    "LOCKED": "paid",
    "PAUSE": "paid",
    "POP_ORDER_PAUSE": "paid",
    "WAIT_GOODS_RECEIVE_CONFIRM": "shipped",
    "FINISHED_L": "completed",
    "TRADE_CANCELED": "cancelled",
}


def yuan(fen: int) -> str:
    """Integer fen as JD's yuan decimal string (``12345`` -> ``"123.45"``)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def local_time(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _opaque(seed: int, purpose: bytes, buyer: int) -> str:
    """A stand-in ciphertext (enSearch): stable per buyer, reveals nothing."""
    raw = hashlib.sha256(b"%s:%d:%d" % (purpose, seed, buyer)).digest()
    return base64.b64encode(raw).decode("ascii").rstrip("=") + "=="


class JdOrderGenerator(OrderWorld):
    """Lazily renders the orders of one deterministic universe (see module docstring)."""

    shop_id_rule = (str.isdigit, "JD venderIds are numeric")

    def __init__(self, seed: int, as_of: dt.datetime, n_orders: int, shop_ids: Sequence[str], days: int = 30) -> None:
        super().__init__(seed, as_of, n_orders, shop_ids, days)
        self._shop_cuts = shop_cuts(len(self.shop_ids))
        self._create = array("q", bytes(8 * self.n_orders))
        self._offsets = array("i", bytes(4 * N_EVENTS * self.n_orders))
        self._scenario = bytearray(self.n_orders)
        self._shop = array("H", bytes(2 * self.n_orders))
        for i in range(self.n_orders):
            self._build_timeline(i)
        self.start_ts = min(self._create) if self.n_orders else self.window_start_ts

    # ------------------------------------------------------------------ timeline
    def _build_timeline(self, i: int) -> None:
        take = Draws(self.seed, i, b"jd-timeline").take

        create = self.window_start_ts + take(self.days * DAY)
        scenario = bisect.bisect_right(_SCENARIO_CUTS, take(10_000))
        shop = bisect.bisect_right(self._shop_cuts, take(10_000))
        ev = [0] * N_EVENTS
        ev[PAY] = 5 + take(900)
        if scenario == CANCELLED:
            ev[CANCEL] = ev[PAY] + 600 + take(20 * HOUR)
        elif scenario == LOCKED_CANCELLED:
            ev[HOLD] = ev[PAY] + HOUR + take(20 * HOUR)
            ev[CANCEL] = ev[HOLD] + HOUR + take(30 * HOUR)
        else:
            ready = ev[PAY]
            if scenario == PAUSED:
                ev[HOLD] = ev[PAY] + HOUR + take(12 * HOUR)
                ev[RELEASE] = ev[HOLD] + 2 * HOUR + take(30 * HOUR)
                ready = ev[RELEASE]
            ev[SHIP] = ready + 2 * HOUR + (take(22 * HOUR) if take(4) < 3 else DAY + take(2 * DAY))
            if scenario == WAYBILL_CHANGED:
                ev[WAYBILL] = ev[SHIP] + HOUR + take(12 * HOUR)
            ev[FINISH] = ev[SHIP] + 2 * DAY + take(6 * DAY)
        self._create[i] = create
        self._offsets[i * N_EVENTS : (i + 1) * N_EVENTS] = array("i", ev)
        self._scenario[i] = scenario
        self._shop[i] = shop

    # ------------------------------------------------------------------ accessors
    def __len__(self) -> int:
        return self.n_orders

    def scenario_of(self, i: int) -> int:
        return self._scenario[i]

    def shop_id_of(self, i: int) -> str:
        return self.shop_ids[self._shop[i]]

    def indexes_for_shop(self, shop_id: str) -> list[int]:
        k = self.shop_ids.index(str(shop_id))
        return [i for i in range(self.n_orders) if self._shop[i] == k]

    def order_id_of(self, i: int) -> str:
        return permuted_id(self.seed, i, 19, leading=3)

    def create_time_of(self, i: int) -> int:
        return self._create[i]

    def event_times(self, i: int) -> list[int]:
        """Absolute epoch seconds of the timeline events (0 = never)."""
        create = self._create[i]
        return [create + off if off else 0 for off in self._offsets[i * N_EVENTS : (i + 1) * N_EVENTS]]

    def pay_time_of(self, i: int) -> int:
        return self._create[i] + self._offsets[i * N_EVENTS + PAY]

    def visible_at(self, i: int, now: int) -> bool:
        """JD lists an order once its payment is confirmed."""
        return self.pay_time_of(i) <= now

    def modified_at(self, i: int, now: int) -> int:
        """``modified`` at clock ``now``: the last status or waybill event at or before it (payment at least)."""
        return max(t for t in self.event_times(i) if 0 < t <= now) if self.visible_at(i, now) else 0

    def state_at(self, i: int, now: int) -> str:
        ev = self.event_times(i)
        seen = [0 < t <= now for t in ev]
        scenario = self._scenario[i]
        if seen[CANCEL]:
            return "TRADE_CANCELED"
        if seen[FINISH]:
            return "FINISHED_L"
        if seen[SHIP]:
            return "WAIT_GOODS_RECEIVE_CONFIRM"
        if seen[HOLD] and not seen[RELEASE]:
            if scenario == LOCKED_CANCELLED:
                return "LOCKED"
            return "POP_ORDER_PAUSE" if digest(self.seed, i, b"jd-pause") % 2 else "PAUSE"
        return "WAIT_SELLER_DELIVERY" if scenario == CROSS_BORDER else "WAIT_SELLER_STOCK_OUT"

    def order_ids_modified_between(self, shop_id: str, start: int, end: int, now: int, *, end_inclusive: bool = False) -> set[str]:
        """Ids of the shop's visible orders whose ``modified`` at ``now`` lies in ``[start, end)`` (or ``]``)."""
        out = set()
        for i in self.indexes_for_shop(shop_id):
            if not self.visible_at(i, now):
                continue
            m = self.modified_at(i, now)
            if start <= m and (m <= end if end_inclusive else m < end):
                out.add(self.order_id_of(i))
        return out

    # ------------------------------------------------------------------ amounts (static)
    def _lines(self, i: int) -> list[tuple[tuple[str, str, tuple], tuple[str, int, str], int]]:
        rng = random.Random(digest(self.seed, i, b"jd-lines"))
        n_items = 1 if rng.random() < 0.7 else (2 if rng.random() < 0.7 else 3)
        first = (self._shop[i] * 3 + rng.randrange(len(catalog.PRODUCTS))) % len(catalog.PRODUCTS)
        lines = []
        for j in range(n_items):
            product = catalog.PRODUCTS[(first + 3 * j) % len(catalog.PRODUCTS)]
            sku = product[2][rng.randrange(len(product[2]))]
            qty = 1 if rng.random() < 0.75 else rng.randint(2, 3)
            lines.append((product, sku, qty))
        return lines

    def amounts_fen(self, i: int) -> dict[str, int]:
        """goods (Σ jdPrice × itemTotal), seller discount, platform discount, freight, payment (all fen)."""
        rng = random.Random(digest(self.seed, i, b"jd-amounts"))
        goods = sum(sku[1] * qty for _product, sku, qty in self._lines(i))
        seller = (goods * rng.randint(5, 15) // 100) // 100 * 100 if rng.random() < 0.3 else 0
        platform = min(goods - seller, rng.randint(1, 10) * 100) if rng.random() < 0.2 else 0
        freight = 0 if goods >= 9_900 else (600 if rng.random() < 0.7 else 800)
        return {
            "goods": goods,
            "seller_discount": seller,
            "platform_discount": platform,
            "freight": freight,
            "payment": goods - seller - platform + freight,
        }

    # ------------------------------------------------------------------ rendering
    def order(self, i: int, now: int | None = None, *, encrypted: bool = False) -> dict:
        """Order ``i`` as ``jingdong.pop.order.search`` (``encrypted``: ``enSearch``) returns it at ``now``."""
        if not 0 <= i < self.n_orders:
            msg = f"order index {i} out of range 0..{self.n_orders - 1}"
            raise IndexError(msg)
        now = self.as_of_ts if now is None else int(now)
        ev = self.event_times(i)
        # Every static random choice is drawn up front, in a fixed order, so an order renders the same at any clock.
        rng = random.Random(digest(self.seed, i, b"jd-details"))
        buyer = i if (i == 0 or rng.random() < 0.6) else rng.randrange(i)
        carrier_index = rng.randrange(len(catalog.CARRIERS))
        waybill_numbers = (rng.randrange(10**12), rng.randrange(10**12))
        remark = rng.choice(catalog.BUYER_REMARKS)
        source = "移动端订单" if rng.random() < 0.8 else "PC订单"
        state = self.state_at(i, now)
        order_id = self.order_id_of(i)
        amounts = self.amounts_fen(i)

        def seen(slot: int) -> int:
            return ev[slot] if 0 < ev[slot] <= now else 0

        # ---- buyer and receiver (repeat buyers share identity)
        brng = random.Random(digest(self.seed, buyer, b"jd-buyer"))
        name = brng.choice(catalog.SURNAMES) + brng.choice(catalog.GIVEN_NAMES)
        mobile = f"{brng.choice(catalog.MOBILE_PREFIXES)}{brng.randrange(10**8):08d}"
        province, cities = brng.choice(catalog.PLACES)
        city, counties = brng.choice(cities)
        county, towns = brng.choice(counties)
        town = brng.choice(towns)
        street = f"{brng.choice(catalog.ROADS)}{brng.randint(1, 399)}号{brng.randint(1, 20)}栋{brng.randint(101, 2602)}室"
        plain = {
            "fullname": name,
            "mobile": mobile,
            "fullAddress": f"{province}{city}{county}{town}{street}",
            "province": province,
            "city": city,
            "county": county,
            "town": town,
        }
        if encrypted:
            receiver = {
                **plain,
                "fullname": _opaque(self.seed, b"name", buyer),
                "mobile": _opaque(self.seed, b"mobile", buyer),
                "fullAddress": _opaque(self.seed, b"address", buyer),
            }
        else:
            receiver = dict(plain)
        pin = "jd_" + hashlib.sha256(b"pin:%d:%d" % (self.seed, buyer)).hexdigest()[:12]
        open_id = base64.urlsafe_b64encode(hashlib.sha256(b"open:%d:%d" % (self.seed, buyer)).digest()[:18]).decode()

        # ---- logistics
        waybill, carrier = "", catalog.CARRIERS[carrier_index]
        if seen(SHIP):
            changed = bool(seen(WAYBILL))  # re-shipped with the next carrier
            carrier = catalog.CARRIERS[(carrier_index + changed) % len(catalog.CARRIERS)]
            waybill = f"{carrier[2]}{waybill_numbers[changed]:012d}"

        end_time = seen(FINISH) if state == "FINISHED_L" else (seen(CANCEL) if state == "TRADE_CANCELED" else 0)
        order = {
            "orderId": order_id,
            "venderId": self.shop_id_of(i),
            "orderType": "22",
            "payType": "4-在线支付",
            "orderTotalPrice": yuan(amounts["goods"]),
            "orderSellerPrice": yuan(amounts["goods"] - amounts["seller_discount"]),
            "orderPayment": yuan(amounts["payment"]),
            "freightPrice": yuan(amounts["freight"]),
            "sellerDiscount": yuan(amounts["seller_discount"]),
            "balanceUsed": "0.00",
            "serviceFee": "0.00",
            "taxFee": "0.00",
            "orderState": state,
            "orderStateRemark": catalog.STATE_REMARKS[state],
            "deliveryType": "任意时间",
            "invoiceInfo": "不需要开具发票",
            "orderRemark": remark,
            "venderRemark": "",
            "orderStartTime": local_time(self._create[i]),
            "paymentConfirmTime": local_time(ev[PAY]) if seen(PAY) else "",
            "orderEndTime": local_time(end_time) if end_time else "",
            "modified": local_time(self.modified_at(i, now)),
            "pin": pin,
            "open_id_buyer": open_id,
            "consigneeInfo": receiver,
            "itemInfoList": [
                {
                    "skuId": sku[0],
                    "skuName": product[0],
                    "outerSkuId": sku[2],
                    "wareId": product[1],
                    "jdPrice": yuan(sku[1]),
                    "itemTotal": str(qty),
                    "productNo": "",
                    "giftPoint": "0",
                }
                for product, sku, qty in self._lines(i)
            ],
            "waybill": waybill,
            "logisticsId": carrier[0] if waybill else "",
            "returnOrder": "0",
            "parentOrderId": "0",
            "directParentOrderId": "0",
            "orderSource": source,
            "storeOrder": "",
        }
        flags = digest(self.seed, i, b"jd-pii") % 10_000
        if encrypted and flags < PLAINTEXT_LEAK_PER_10000:
            order["originalConsigneeInfo"] = dict(plain)
        if flags >= 10_000 - VAT_PER_10000:
            order["vatInfo"] = {
                "vatNo": f"91{brng.randrange(10**16):016d}",
                "phoneRegIstered": mobile,
                "bankAccount": f"6222{brng.randrange(10**15):015d}",
            }
        return order

    # ------------------------------------------------------------------ refund applications (static)
    def applications(self, i: int) -> list[Application]:
        """Order ``i``'s refund applications, whatever the clock (filter with :meth:`Application.visible_at`)."""
        scenario = self._scenario[i]
        ev = self.event_times(i)
        payment = self.amounts_fen(i)["payment"]
        take = Draws(self.seed, i, b"jd-refunds").take

        def app(k: int, apply: int, amount: int, check: int, status: str, finance: int = 0) -> Application:
            app_id = permuted_id(self.seed, 2 * i + k, 17, leading=5)
            return Application(app_id, i, apply, amount, check, status, finance, REFUND_REASONS[take(len(REFUND_REASONS))])

        if scenario in (CANCELLED, LOCKED_CANCELLED):
            # the buyer's cancel request is the application; its approval cancels the order; JD finance confirms
            # half of the plain approvals later, without a new checkTime
            if scenario == CANCELLED:
                apply = max(ev[PAY] + 1, ev[CANCEL] - 60 - take(500))
                status = "9" if take(10) == 0 else "1"
            else:
                apply = ev[HOLD]
                status = "6" if take(4) == 0 else "1"
            finance = ev[CANCEL] + HOUR + take(DAY) if status == "1" and take(2) else 0
            return [app(0, apply, payment, ev[CANCEL], status, finance)]
        if not ev[SHIP] or take(10_000) >= CANCEL_REQUEST_PER_10000:
            return []
        # a cancel request before shipping that was not granted (the order shipped): refused or never reviewed
        apply = ev[PAY] + 60 + take(max(1, ev[SHIP] - ev[PAY] - 120))
        if take(100) < 15:
            return [app(0, apply, payment, 0, "0")]
        return [app(0, apply, payment, apply + HOUR + take(3 * DAY), "2")]

    def after_sales(self, i: int) -> list[AfterSale]:
        """Order ``i``'s after-sale services, whatever the clock (filter with :meth:`AfterSale.visible_at`)."""
        ev = self.event_times(i)
        if not ev[SHIP]:
            return []
        take = Draws(self.seed, i, b"jd-after-sales").take

        if take(10_000) >= AFTER_SALE_PER_10000:
            return self._late_after_sales(i)
        payment = self.amounts_fen(i)["payment"]
        apply = ev[SHIP] + HOUR + take(6 * DAY)
        amount = payment if take(10) < 3 else max(1, payment * (5 + take(80)) // 100)
        outcome = take(100)
        approve = 0 if outcome < 15 else apply + HOUR + take(2 * DAY)
        approved = outcome >= 35
        complete = approve + HOUR + take(5 * DAY) if approved else 0
        service_id = permuted_id(self.seed, i, 10, leading=4)
        refund_id = permuted_id(self.seed, i, 12, leading=7)
        return [AfterSale(service_id, refund_id, i, apply, amount, approve, approved, complete,
                          REFUND_REASONS[take(len(REFUND_REASONS))])] + self._late_after_sales(i)

    def _late_after_sales(self, i: int) -> list[AfterSale]:
        """A partial refund months after the order finished (its own draws: the other services are unchanged)."""
        ev = self.event_times(i)
        take = Draws(self.seed, i, b"jd-late-after-sale").take
        if not ev[FINISH] or take(100) >= LATE_AFTER_SALE_PER_100:
            return []
        payment = self.amounts_fen(i)["payment"]
        apply = ev[FINISH] + (60 + take(60)) * DAY + take(DAY)
        approve = apply + HOUR + take(DAY)
        complete = approve + HOUR + take(3 * DAY)
        amount = max(1, payment * (10 + take(40)) // 100)
        return [AfterSale(permuted_id(self.seed, i, 10, leading=5), permuted_id(self.seed, i, 12, leading=8), i, apply,
                          amount, approve, True, complete, REFUND_REASONS[take(len(REFUND_REASONS))])]

    def after_sale_record(self, a: AfterSale, now: int, *, epoch_ms: bool = False) -> dict:
        """Service ``a`` as the after-sale list returns it at ``now`` (all fields, before any tap processing)."""
        status = a.status_at(now)
        buyer = self.buyer_of(a.order_index)
        line = self._lines(a.order_index)[0]

        def when(epoch: int) -> str | int:
            return epoch * 1000 if epoch_ms else local_time(epoch)

        reviewed = status != AFTER_SALE_PENDING
        refunded = status == AFTER_SALE_REFUNDED
        return {
            "afsRefundId": a.refund_id if a.approved and reviewed else None,
            "refoundAmount": yuan(a.amount_fen) if refunded else None,
            "completeTime": when(a.complete_time) if refunded else None,
            "status": status,
            "sameOrderServiceBill": {
                "serviceId": a.service_id,
                "afsApplyId": str(int(a.service_id) + 1),
                "orderId": self.order_id_of(a.order_index),
                "wareId": line[0][1],
                "wareName": line[0][0],
                "serviceCount": line[2],
                "afsApplyTime": when(a.apply_time),
                "approveDate": when(a.approve_time) if reviewed else None,
                "approveName": "售后专员王芳" if reviewed else None,
                "approveNotes": ("同意退款" if a.approved else "不符合退货条件") if reviewed else None,
                "applyReason": a.reason,
                **({"customerExpect": RETURN_EXPECT} if self.is_return(a) else {}),
                "questionDesc": f"{a.reason}，请联系我 1{(buyer * 7919) % 10**10:010d}",
                "customerPin": "jd_" + hashlib.sha256(b"pin:%d:%d" % (self.seed, buyer)).hexdigest()[:12],
                "openIdBuyer": base64.urlsafe_b64encode(hashlib.sha256(b"open:%d:%d" % (self.seed, buyer)).digest()[:18]).decode(),
            },
        }

    def is_return(self, a: AfterSale) -> bool:
        """Whether service ``a`` sends goods back (its own draw stream: the order and its refunds are unchanged)."""
        return Draws(self.seed, a.order_index, b"jd-after-sale-expect").take(10) < RETURN_PER_10

    def buyer_of(self, i: int) -> int:
        """The buyer of order ``i`` (repeat buyers share identity): the first draw :meth:`order` makes."""
        rng = random.Random(digest(self.seed, i, b"jd-details"))
        return i if (i == 0 or rng.random() < 0.6) else rng.randrange(i)

    def application_record(self, a: Application, now: int) -> dict:
        """Application ``a`` as the refund list returns it at ``now`` (all fields, before any tap processing)."""
        status = a.status_at(now)
        reviewed = status != "0"
        buyer = self.buyer_of(a.order_index)
        brng = random.Random(digest(self.seed, buyer, b"jd-buyer"))
        name = brng.choice(catalog.SURNAMES) + brng.choice(catalog.GIVEN_NAMES)  # the order's receiver name
        return {
            "id": a.id,
            "orderId": self.order_id_of(a.order_index),
            "status": status,
            "applyRefundSum": str(a.amount_fen),
            "applyTime": local_time(a.apply_time),
            "checkTime": local_time(a.check_time) if reviewed else "",
            "buyerId": "jd_" + hashlib.sha256(b"pin:%d:%d" % (self.seed, buyer)).hexdigest()[:12],
            "buyerName": name,
            "checkUserName": "shop_service_01" if reviewed else "",
            "checkRemark": {"1": "同意退款", "2": "商品已发出，请走售后", "3": "同意退款", "5": "人工审核通过",
                            "6": "拦截成功并退款", "9": "强制关单"}.get(status, ""),
            "reason": a.reason,
        }

    def refund_fen_at(self, i: int, now: int) -> int:
        """What the order has been refunded at ``now``, in fen: its payment if cancelled after payment, else the
        approved applications plus the refunded after-sale services visible at ``now`` (never more than the
        payment) -- the staging rule (docs/channels/jd.md)."""
        payment = self.amounts_fen(i)["payment"]
        if self.state_at(i, now) == "TRADE_CANCELED":
            return payment
        approved = sum(a.amount_fen for a in self.applications(i) if a.visible_at(now) and a.status_at(now) in REFUNDED_STATUSES)
        after_sale = sum(a.refunded_fen_at(now) for a in self.after_sales(i) if a.visible_at(now))
        return min(payment, approved + after_sale)

    def fact(self, i: int, now: int) -> OrderFact:
        """Order ``i`` at ``now`` in neutral terms (for the ERP sandboxes)."""
        state = self.state_at(i, now)
        paid = Decimal(self.amounts_fen(i)["payment"]) / 100
        pay = self.pay_time_of(i)
        order = self.order(i, now)
        return OrderFact(
            channel="jd",
            shop_id=self.shop_id_of(i),
            channel_order_id=self.order_id_of(i),
            ordered_at=dt.datetime.fromtimestamp(self._create[i], dt.timezone.utc),
            paid_at=dt.datetime.fromtimestamp(pay, dt.timezone.utc),
            status=FACT_STATUS[state],
            paid_amount=paid.quantize(Decimal("0.01")),
            currency="CNY",
            refund_amount=(Decimal(self.refund_fen_at(i, now)) / 100).quantize(Decimal("0.01")),
            tracking_numbers=(order["waybill"],) if order["waybill"] else (),
        )

    def facts(self, now: int) -> Iterator[OrderFact]:
        for i in range(self.n_orders):
            if self.visible_at(i, now):
                yield self.fact(i, now)
