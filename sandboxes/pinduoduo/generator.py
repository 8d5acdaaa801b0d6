"""Deterministic Pinduoduo order generator.

``PddOrderGenerator(seed, as_of, n_orders, shop_ids, days)`` describes ``n_orders`` orders created during the
``days`` before ``as_of``. Each order has a *timeline* (paid -> group formed / dealt -> [risk review] ->
shipped -> received, or a failed group, refunds and after-sales, deposit presale phases) that may run past
``as_of``; :meth:`PddOrderGenerator.order` renders the order at any clock ``now >= as_of``: events after
``now`` have not happened and ``updated_at`` is the last event at or before ``now``. Moving the clock forward
(the sandbox's ``advance``) therefore produces late updates, which an incremental sync must pick up.

Payload shape: shared/channels/pinduoduo.md §5/§6 — ``order_sn`` ``YYMMDD-`` + 15 digits, yuan amounts as
JSON numbers (``188.0``), naive Beijing-time strings with ``""`` for "not yet", the state split over
``order_status`` / ``confirm_status`` / ``group_status`` / ``refund_status`` / ``after_sales_status`` /
``risk_control_status``, ``step_order_info`` for deposit orders, ciphertext receivers with masked companions.
The platform lists only paid orders (it has no "unpaid" value), so an order appears once it is paid.

Determinism: order ``i`` depends only on (seed, i, as_of, days, shop_ids) and ``now``; randomness comes from
:func:`orderlayer.sandboxes.kit.synth.digest`, never from shared RNG state.

Plaintext PII: :data:`PLAINTEXT_PII_PER_1000` orders carry plaintext receiver values in the ciphertext fields
(as the platform did while an order awaited shipment) plus ``phone_number_chosen_by_user``, so tests can prove
the tap removes them.
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate

from orderlayer.sandboxes.kit.synth import SHANGHAI, OrderFact, digest, permuted_id
from orderlayer.sandboxes.pinduoduo.protocol import to_local_text
from orderlayer.sandboxes.pinduoduo import catalog
from orderlayer.sandboxes.kit.after_sales import LATE, draw_extra
from orderlayer.sandboxes.kit.world import DAY, Draws, OrderWorld, local_midnight, shop_cuts

HOUR = 3_600
PLAINTEXT_PII_PER_1000 = 25

# Scenarios (lifecycle paths) and their share per 100 orders.
NORMAL = "normal"
SLOW_GROUP = "slow_group"  # the group forms hours after payment
RISK_HOLD = "risk_hold"  # paid, held by risk review for a while
GROUP_FAILED = "group_failed"  # the group never forms: cancelled and refunded after 24 h
REFUND_BEFORE_SHIP = "refund_before_ship"
RETURN_AFTER_SHIP = "return_after_ship"  # return and refund while in transit
REFUND_AFTER_RECEIPT = "refund_after_receipt"
AFTERSALE_OPEN = "aftersale_open"
AFTERSALE_WITHDRAWN = "aftersale_withdrawn"  # buyer withdraws, then receives
PRESALE_PAID = "presale_paid"  # deposit order, balance paid, shipped and received
PRESALE_DEPOSIT_ONLY = "presale_deposit_only"
SCENARIO_SHARES: dict[str, int] = {
    NORMAL: 58,
    SLOW_GROUP: 4,
    RISK_HOLD: 5,
    GROUP_FAILED: 4,
    REFUND_BEFORE_SHIP: 6,
    RETURN_AFTER_SHIP: 4,
    REFUND_AFTER_RECEIPT: 3,
    AFTERSALE_OPEN: 4,
    AFTERSALE_WITHDRAWN: 3,
    PRESALE_PAID: 5,
    PRESALE_DEPOSIT_ONLY: 4,
}
_SCENARIOS = tuple(SCENARIO_SHARES)
_SCENARIO_CUTS = tuple(accumulate(SCENARIO_SHARES.values()))
_HOUR_CUTS = tuple(accumulate(catalog.HOUR_WEIGHTS))
SHIPPING = frozenset({NORMAL, SLOW_GROUP, RISK_HOLD, RETURN_AFTER_SHIP, REFUND_AFTER_RECEIPT, AFTERSALE_OPEN, AFTERSALE_WITHDRAWN, PRESALE_PAID})
RECEIVING = frozenset({NORMAL, SLOW_GROUP, RISK_HOLD, REFUND_AFTER_RECEIPT, AFTERSALE_WITHDRAWN, PRESALE_PAID})
PRESALE = frozenset({PRESALE_PAID, PRESALE_DEPOSIT_ONLY})

#: A received normal order's extra after-sale (drawn apart from the timeline, so no other draw moved): part of the
#: order refunded without a return, a return the merchant rejected, a return refunded months after the order.
#: Per 10 000 normal orders, cumulative in this order.
EXTRA_AFTER_SALES = (("partial", 700), ("rejected", 400), (LATE, 400))


@dataclass(frozen=True, slots=True)
class Timeline:
    """Absolute epoch seconds of one order's events (0 = never happens)."""

    create: int
    pay: int
    group: int  # group formed = dealt (成交); for presale, the balance payment
    risk_release: int
    balance: int
    ship: int
    receive: int
    as_apply: int
    as_agree: int
    as_done: int
    cancel: int
    remark: int
    ex_apply: int = 0  # the extra after-sale (EXTRA_AFTER_SALES) of a received normal order
    ex_done: int = 0

    def events(self) -> tuple[int, ...]:
        return (self.pay, self.group, self.risk_release, self.balance, self.ship, self.receive, self.as_apply,
                self.as_agree, self.as_done, self.cancel, self.remark, self.ex_apply, self.ex_done)


@dataclass(frozen=True, slots=True)
class _Order:
    scenario: str
    shop: int
    timeline: Timeline
    pii: bool
    extra: str = ""


def _b64(data: bytes, n: int) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")[:n]


def _yuan(fen: int) -> float:
    """Fen as the JSON number the platform sends (``188.0``); repr of fen/100 is its exact 2-decimal text."""
    return fen / 100


def _money(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


class PddOrderGenerator(OrderWorld):
    """Lazily renders the orders of one deterministic universe (see module docstring)."""

    shop_id_rule = (str.isdigit, "Pinduoduo mall ids are numeric")

    def __init__(self, seed: int, as_of: dt.datetime, n_orders: int, shop_ids: Sequence[str], days: int = 30) -> None:
        super().__init__(seed, as_of, n_orders, shop_ids, days)
        self.start_ts = self.window_start_ts
        self._shop_cuts = shop_cuts(len(self.shop_ids))
        self._midnight0 = local_midnight(self.start_ts, SHANGHAI)
        self._orders = [self._build(i) for i in range(self.n_orders)]

    # ------------------------------------------------------------------ timeline
    def _build(self, i: int) -> _Order:
        take = Draws(self.seed, i, b"pdd-timeline").take

        hour = bisect.bisect_right(_HOUR_CUTS, take(_HOUR_CUTS[-1]))
        moment = self._midnight0 + take(self.days) * DAY + hour * HOUR + take(HOUR)
        create = self.start_ts + (moment - self.start_ts) % (self.days * DAY)
        scenario = _SCENARIOS[bisect.bisect_right(_SCENARIO_CUTS, take(100))]
        shop = bisect.bisect_right(self._shop_cuts, take(10_000))
        pii = take(1000) < PLAINTEXT_PII_PER_1000

        pay = create + 5 + take(300)
        group = risk_release = balance = ship = receive = as_apply = as_agree = as_done = cancel = 0
        if scenario == GROUP_FAILED:
            cancel = pay + DAY  # the group expires after 24 h; the payment is refunded
        elif scenario in PRESALE:
            if scenario == PRESALE_PAID:
                balance = group = pay + DAY + take(2 * DAY)
        elif scenario == SLOW_GROUP:
            group = pay + 600 + take(6 * HOUR)
        else:
            group = pay + 1 + take(5)
        if scenario == RISK_HOLD:
            risk_release = group + 600 + take(4 * HOUR)
        ready = max(group, risk_release)
        if scenario in SHIPPING:
            ship = ready + 2 * HOUR + take(46 * HOUR)
        if scenario == REFUND_BEFORE_SHIP:
            as_apply = group + 600 + take(DAY)
            as_agree = as_apply + 600 + take(12 * HOUR)
            as_done = as_agree + 60 + take(HOUR)
        elif scenario == RETURN_AFTER_SHIP:
            as_apply = ship + DAY + take(2 * DAY)
            as_agree = as_apply + HOUR + take(DAY)
            as_done = as_agree + 2 * DAY + take(3 * DAY)
        elif scenario == AFTERSALE_OPEN:
            as_apply = ship + HOUR + take(2 * DAY)
        elif scenario == AFTERSALE_WITHDRAWN:
            as_apply = ship + HOUR + take(DAY)
            as_done = as_apply + HOUR + take(DAY)
            receive = as_done + DAY + take(3 * DAY)
        if scenario in RECEIVING and not receive:
            receive = ship + 2 * DAY + take(6 * DAY)
        if scenario == REFUND_AFTER_RECEIPT:
            as_apply = receive + HOUR + take(3 * DAY)
            as_done = as_apply + HOUR + take(2 * DAY)
        # A merchant remark edited days later: an update that changes no status (a late update).
        remark = pay + DAY + take(5 * DAY) if take(10) == 0 else 0
        extra, ex_apply, ex_done = draw_extra(self.seed, i, b"pdd-aftersale-extra", EXTRA_AFTER_SALES, receive) if scenario == NORMAL else ("", 0, 0)
        timeline = Timeline(create, pay, group, risk_release, balance, ship, receive, as_apply, as_agree, as_done, cancel, remark, ex_apply, ex_done)
        return _Order(scenario, shop, timeline, pii, extra)

    # ------------------------------------------------------------------ accessors
    def __len__(self) -> int:
        return self.n_orders

    def scenario_of(self, i: int) -> str:
        return self._orders[i].scenario

    def extra_of(self, i: int) -> str:
        """The EXTRA_AFTER_SALES kind of order ``i`` ("" for most)."""
        return self._orders[i].extra

    def timeline_of(self, i: int) -> Timeline:
        return self._orders[i].timeline

    def has_plaintext_pii(self, i: int) -> bool:
        return self._orders[i].pii

    def shop_id_of(self, i: int) -> str:
        return self.shop_ids[self._orders[i].shop]

    def indexes_for_shop(self, shop_id: str) -> list[int]:
        k = self.shop_ids.index(str(shop_id))
        return [i for i, o in enumerate(self._orders) if o.shop == k]

    def order_sn_of(self, i: int) -> str:
        day = dt.datetime.fromtimestamp(self._orders[i].timeline.create, SHANGHAI).strftime("%y%m%d")
        leading = 1 + digest(self.seed, i, b"pdd-sn") % 9
        return f"{day}-{permuted_id(self.seed, i, 15, leading=leading)}"

    def visible_at(self, i: int, now: int) -> bool:
        """The platform lists an order once it is paid."""
        return 0 < self._orders[i].timeline.pay <= now

    def update_time_at(self, i: int, now: int) -> int:
        """``updated_at`` (epoch seconds) of order ``i`` at clock ``now`` (the last event at or before it)."""
        tl = self._orders[i].timeline
        return max([tl.create, *(e for e in tl.events() if 0 < e <= now)])

    def order_sns_updated_between(self, shop_id: str, start: int, end: int, now: int) -> list[str]:
        """Order numbers of the shop's visible orders with ``start <= updated_at <= end`` at ``now``."""
        return [
            self.order_sn_of(i)
            for i in self.indexes_for_shop(shop_id)
            if self.visible_at(i, now) and start <= self.update_time_at(i, now) <= end
        ]

    # ------------------------------------------------------------------ state at a clock
    def state_at(self, i: int, now: int) -> dict[str, int]:
        """The six native status fields of order ``i`` at ``now``."""
        o = self._orders[i]
        tl = o.timeline

        def seen(t: int) -> bool:
            return 0 < t <= now

        order_status = 3 if seen(tl.receive) else 2 if seen(tl.ship) else 1
        if o.scenario == GROUP_FAILED:
            confirm, group = (2, 2) if seen(tl.cancel) else (0, 0)
        elif o.scenario in PRESALE:
            confirm, group = (1, 1) if seen(tl.balance) else (0, 1)
        else:
            confirm, group = (1, 1) if seen(tl.group) else (0, 0)
        refund, after_sales = 1, 0
        if o.scenario == GROUP_FAILED and seen(tl.cancel):
            refund = 4
        elif o.scenario in (REFUND_BEFORE_SHIP, RETURN_AFTER_SHIP, REFUND_AFTER_RECEIPT):
            if seen(tl.as_done):
                refund, after_sales = 4, 10
            elif seen(tl.as_agree):
                refund, after_sales = (3, 4) if o.scenario == REFUND_BEFORE_SHIP else (2, 7)
            elif seen(tl.as_apply):
                refund, after_sales = 2, (3 if o.scenario == RETURN_AFTER_SHIP else 2)
        elif o.scenario == AFTERSALE_OPEN and seen(tl.as_apply):
            refund, after_sales = 2, 2
        elif o.scenario == AFTERSALE_WITHDRAWN:
            if seen(tl.as_done):
                refund, after_sales = 1, 11
            elif seen(tl.as_apply):
                refund, after_sales = 2, 2
        if o.extra and seen(tl.ex_apply):
            if seen(tl.ex_done):
                refund, after_sales = (2, 6) if o.extra == "rejected" else (4, 10)
            else:
                refund, after_sales = 2, (2 if o.extra == "partial" else 3)
        risk = 1 if o.scenario == RISK_HOLD and not seen(tl.risk_release) else 0
        return {
            "order_status": order_status,
            "confirm_status": confirm,
            "group_status": group,
            "refund_status": refund,
            "after_sales_status": after_sales,
            "risk_control_status": risk,
        }

    def amounts_of(self, i: int) -> dict:
        """Lines and order amounts in fen (static: independent of the clock)."""
        rng = random.Random(digest(self.seed, i, b"pdd-amounts"))
        shop = self._orders[i].shop
        goods = catalog.GOODS[(shop * 3 + rng.randrange(3)) % len(catalog.GOODS)]
        skus = list(goods[3])
        n_lines = 2 if len(skus) > 1 and rng.random() < 0.12 else 1
        lines = []
        for sku in rng.sample(skus, n_lines):
            count = 1 if rng.random() < 0.8 else rng.randint(2, 3)
            lines.append({"goods": goods, "sku": sku, "count": count, "line_fen": sku[2] * count})
        goods_total = sum(line["line_fen"] for line in lines)
        change = rng.choice((100, 200, 500)) if rng.random() < 0.05 and goods_total >= 2000 else 0
        seller = min(rng.choice((300, 500, 1000)), goods_total // 5 // 100 * 100) if rng.random() < 0.35 else 0
        platform = min(rng.randrange(1, 9) * 100, goods_total // 5 // 100 * 100) if rng.random() < 0.2 else 0
        postage = rng.choice((300, 500, 800)) if rng.random() < 0.15 else 0
        pay = goods_total - change - seller - platform + postage
        deposit = max(100, pay // 5 // 100 * 100)
        return {
            "lines": lines,
            "goods_total": goods_total,
            "change": change,
            "seller": seller,
            "platform": platform,
            "postage": postage,
            "pay": pay,
            "deposit": deposit,
            "duoduo_pay_reduction": rng.choice((50, 100, 200)) if rng.random() < 0.1 else 0,
            "memo": rng.choice(catalog.BUYER_MEMOS),
            "courier": catalog.COURIERS[rng.randrange(len(catalog.COURIERS))],
            "tracking": f"{rng.randrange(10**12):012d}",
            "split_tracking": f"{rng.randrange(10**12):012d}" if rng.random() < 0.06 else None,
            "presale_goods_days": rng.randint(5, 15) if rng.random() < 0.05 else 0,
        }

    # ------------------------------------------------------------------ rendering
    def order(self, i: int, now: int | None = None) -> dict | None:
        """Order ``i`` as ``pdd.order.number.list.increment.get`` lists it at ``now`` (None while unpaid)."""
        if not 0 <= i < self.n_orders:
            msg = f"order index {i} out of range 0..{self.n_orders - 1}"
            raise IndexError(msg)
        now = self.as_of_ts if now is None else int(now)
        if not self.visible_at(i, now):
            return None
        o = self._orders[i]
        tl = o.timeline
        state = self.state_at(i, now)
        a = self.amounts_of(i)
        presale = o.scenario in PRESALE

        def when(t: int) -> str:
            return to_local_text(t) if 0 < t <= now else ""

        dealt_at = tl.group if 0 < tl.group <= now else 0
        shipped = 0 < tl.ship <= now
        courier_id, prefix = a["courier"]
        extra = []
        if shipped and a["split_tracking"]:
            extra = [{"logistics_id": courier_id, "tracking_number": f"{prefix}{a['split_tracking']}"}]
        step = None
        if presale:
            balance_paid = 0 < tl.balance <= now
            step = {
                "advanced_paid_fee": _yuan(a["deposit"]),
                "step_paid_fee": _yuan(a["pay"] if balance_paid else a["deposit"]),
                "step_discount_amount": 0.0,
                "step_trade_status": 2 if balance_paid else 1,
            }
        pre_sale_time = to_local_text(tl.create + a["presale_goods_days"] * DAY) if a["presale_goods_days"] else ""
        last_ship = pre_sale_time or (to_local_text(dealt_at + 2 * DAY) if dealt_at else "")
        return {
            "order_sn": self.order_sn_of(i),
            **state,
            "created_time": to_local_text(tl.create),
            "pay_time": when(tl.pay),
            "confirm_time": when(tl.group),
            "shipping_time": when(tl.ship),
            "receive_time": when(tl.receive),
            "last_ship_time": last_ship,
            "updated_at": to_local_text(self.update_time_at(i, now)),
            "urge_shipping_time": "",
            "goods_amount": _yuan(a["goods_total"] - a["change"]),
            "discount_amount": _yuan(a["seller"] + a["platform"]),
            "platform_discount": _yuan(a["platform"]),
            "seller_discount": _yuan(a["seller"]),
            "capital_free_discount": 0.0,
            "order_change_amount": _yuan(a["change"]),
            "duo_duo_pay_reduction": _yuan(a["duoduo_pay_reduction"]),
            "postage": _yuan(a["postage"]),
            "pay_amount": _yuan(a["pay"]),
            "delivery_home_value": 0.0,
            "delivery_install_value": 0.0,
            "home_install_value": 0.0,
            "trade_type": 1 if presale else 0,
            "step_order_info": step,
            "is_pre_sale": 1 if a["presale_goods_days"] else 0,
            "pre_sale_time": pre_sale_time,
            "is_lucky_flag": 1,
            "item_list": [
                {
                    "goods_id": line["goods"][1],
                    "goods_name": line["goods"][0],
                    "sku_id": line["sku"][0],
                    "goods_spec": line["sku"][1],
                    "goods_price": _yuan(line["sku"][2]),
                    "goods_count": line["count"],
                    "outer_id": line["sku"][3],
                    "outer_goods_id": "",
                    "goods_img": f"https://img.pddpic.com/mms-material-img/sandbox/{line['goods'][1]}.jpeg",
                }
                for line in a["lines"]
            ],
            "cat_id_1": a["lines"][0]["goods"][2][0],
            "cat_id_2": a["lines"][0]["goods"][2][1],
            "cat_id_3": a["lines"][0]["goods"][2][2],
            "cat_id_4": a["lines"][0]["goods"][2][3],
            "logistics_id": courier_id if shipped else 0,
            "tracking_number": f"{prefix}{a['tracking']}" if shipped else "",
            "extra_delivery_list": extra,
            "resend_delivery_list": [],
            "gift_delivery_list": [],
            "promise_delivery_time": "",
            "trade_in_national_subsidy_amount": 0.0,
            "id_card_name": "",
            "id_card_num": "",
            "shipping_type": 0,
            "buyer_memo": a["memo"],
            "remark": "已核对地址" if 0 < tl.remark <= now else "",
            "stock_out_handle_status": -1,
            "is_stock_out": 0,
            "invoice_status": 0,
            "self_contained": 0,
            "free_sf": 0,
            "delivery_one_day": 0,
            "duoduo_wholesale": 0,
            "home_delivery_type": 0,
            "mkt_biz_type": 0,
            "only_support_replace": 0,
            "return_freight_payer": 0,
            "support_nationwide_warranty": 0,
            "inner_transaction_id": "",
            "pay_no": "",
            "pay_type": "",
            "yyps_date": "",
            "yyps_time": "",
            "card_info_list": [],
            "gift_list": [],
            "promotion_detail_list": [],
            "service_fee_detail": [],
            "order_tag_list": [
                {"name": "delivery_one_day", "value": 0},
                {"name": "no_trace_delivery", "value": 0},
                {"name": "self_contained", "value": 0},
            ],
            **self._receiver(i, contact=state["order_status"] == 1 and state["risk_control_status"] == 0),
        }

    def _receiver(self, i: int, *, contact: bool) -> dict:
        """Ciphertext + masked receiver of the order's buyer (repeat buyers share one), region names and ids.

        ``contact_mobile`` carries ciphertext only while the order awaits shipment outside risk review, as the
        official field note says; otherwise it is empty.
        """
        rng = random.Random(digest(self.seed, i, b"pdd-buyer"))
        buyer = i if (i == 0 or rng.random() < 0.7) else rng.randrange(i)
        brng = random.Random(digest(self.seed, buyer, b"pdd-person"))
        surname = brng.choice(catalog.SURNAMES)
        name = surname + brng.choice(catalog.GIVEN_NAMES)
        mobile = f"{brng.choice(catalog.MOBILE_PREFIXES)}{brng.randrange(10**8):08d}"
        province, province_id, cities = brng.choice(catalog.PLACES)
        city, city_id, towns = brng.choice(cities)
        town, town_id = brng.choice(towns)
        street = f"{brng.choice(catalog.ROADS)}{brng.randint(1, 300)}号{brng.randint(1, 20)}栋{brng.randint(101, 2604)}室"

        def secret(kind: bytes, n: int) -> str:
            return _b64(hashlib.sha256(b"%s:%d:%d" % (kind, self.seed, buyer)).digest() * 2, n)

        receiver = {
            "country": "中国",
            "country_id": 0,
            "province": province,
            "province_id": province_id,
            "city": city,
            "city_id": city_id,
            "town": town,
            "town_id": town_id,
            "receiver_name": f"~{secret(b'name', 24)}~0~~",
            "receiver_phone": f"${secret(b'idx', 12)}${secret(b'phone', 32)}$0$$",
            "receiver_address": f"~{secret(b'street', 44)}~0~~",
            "address": f"~{secret(b'address', 56)}~0~~",
            "receiver_name_mask": surname + "*" * (len(name) - len(surname)),
            "receiver_phone_mask": f"{mobile[0]}{'*' * 9}{mobile[-1]}",
            "receiver_address_mask": f"{street[:2]}****",
            "address_mask": f"{province}{city}{town}{street[:2]}****",
            "open_address_id": secret(b"open-address", 32),
            "open_address_id_2": secret(b"open-address-2", 32),
            "contact_mobile": f"${secret(b'idx', 12)}${secret(b'contact', 32)}$0$$" if contact else "",
        }
        if self._orders[i].pii:
            receiver.update(
                receiver_name=name,
                receiver_phone=mobile,
                receiver_address=street,
                address=f"{province}{city}{town}{street}",
                phone_number_chosen_by_user=mobile,
            )
        return receiver

    def orders(self, now: int | None = None, shop_id: str | None = None) -> Iterator[dict]:
        """Render the visible orders lazily in index order (optionally one shop's)."""
        now = self.as_of_ts if now is None else now
        k = None if shop_id is None else self.shop_ids.index(str(shop_id))
        for i in range(self.n_orders):
            if (k is None or self._orders[i].shop == k) and self.visible_at(i, now):
                yield self.order(i, now)  # type: ignore[misc]

    # ------------------------------------------------------------------ neutral facts (for ERP sandboxes)
    def fact(self, i: int, now: int) -> OrderFact | None:
        """Order ``i`` in neutral terms at ``now`` (None while unpaid)."""
        if not self.visible_at(i, now):
            return None
        o = self._orders[i]
        tl = o.timeline
        s = self.state_at(i, now)
        a = self.amounts_of(i)
        cancelled = s["confirm_status"] == 2 or s["group_status"] == 2 or s["refund_status"] == 4
        deposit_only = o.scenario in PRESALE and not 0 < tl.balance <= now
        if cancelled:
            status = "cancelled"
        elif deposit_only:
            status = "pending_payment"
        else:
            status = {1: "paid", 2: "shipped", 3: "completed"}[s["order_status"]]
        paid_at = tl.balance if o.scenario in PRESALE else tl.pay
        _, prefix = a["courier"]
        tracking: tuple[str, ...] = ()
        if 0 < tl.ship <= now:
            tracking = (f"{prefix}{a['tracking']}",) + ((f"{prefix}{a['split_tracking']}",) if a["split_tracking"] else ())
        paid_fen = a["deposit"] if deposit_only else a["pay"]
        return OrderFact(
            channel="pinduoduo",
            shop_id=self.shop_id_of(i),
            channel_order_id=self.order_sn_of(i),
            ordered_at=dt.datetime.fromtimestamp(tl.create, dt.timezone.utc),
            paid_at=dt.datetime.fromtimestamp(paid_at, dt.timezone.utc) if 0 < paid_at <= now else None,
            status=status,
            paid_amount=_money(paid_fen),
            currency="CNY",
            refund_amount=_money(a["pay"]) if s["refund_status"] == 4 else Decimal("0.00"),
            tracking_numbers=tracking,
        )
