"""Deterministic Meituan Waimai orders for the sandbox.

``MeituanGenerator(seed, as_of, n_orders, shop_ids, days)`` plans ``n_orders`` orders created during
the ``days`` before ``as_of``. Each order has a timeline (pushed to the store once paid → received →
confirmed → rider pick-up → delivered → completed; or cancelled; refunds, partial or full, pending or
agreed, after completion) that may run past ``as_of``. :meth:`MeituanGenerator.order` renders the order
at any clock ``now``: later events have not happened, ``utime`` is the last event at or before ``now``,
so moving the clock forward produces late updates.

Payload shape (fact sheet §A3/§A4): numeric ``order_id`` (here around 2^53, where a double stops being
exact), 17-digit ``wm_order_id_view``, Unix-second times with 0 for "not yet", yuan amounts as JSON
doubles, ``detail``/``extras`` as JSON strings (as in the push sample; ``lists_as_strings=False`` serves
arrays), ``day_seq`` per store and Beijing day in push order. Receivers mostly carry privacy relay
numbers and ``张(先生)``-style names; :data:`PLAINTEXT_PII_PER_100` of orders carry a real-looking phone,
full name and street address the tap must remove.

Per-order randomness comes from :func:`orderlayer.sandboxes.kit.synth.digest` of (seed, index, purpose):
an order is the same whenever and in whatever order it is rendered.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from orderlayer.sandboxes.kit.synth import SHANGHAI, OrderFact, choose, digest, permuted_id
from orderlayer.sandboxes.kit.world import DAY, OrderWorld

CENT = Decimal("0.01")
PLAINTEXT_PII_PER_100 = 6
#: First order id; ids step by 7, so the sandbox's ids straddle 2^53 (9007199254740992).
FIRST_ORDER_ID = 2**53 - 63

NORMAL = "normal"
CANCELLED_AFTER_PAY = "cancelled_after_pay"
PARTIAL_REFUND = "partial_refund"
FULL_REFUND = "full_refund"
REFUND_PENDING = "refund_pending"
PRE_ORDER = "pre_order"
SCENARIO_WEIGHTS = {NORMAL: 70, CANCELLED_AFTER_PAY: 8, PARTIAL_REFUND: 8, FULL_REFUND: 4, REFUND_PENDING: 5, PRE_ORDER: 5}

#: (food name, unit price yuan, spec, packaging box price yuan)
MENU: tuple[tuple[str, str, str, str], ...] = (
    ("宫保鸡丁饭", "22.8", "大份", "1"),
    ("番茄牛腩面", "26", "标准", "1"),
    ("麻辣香锅", "45.5", "中辣", "2"),
    ("酸辣土豆丝", "12", "小份", "0.5"),
    ("米饭", "2", "", "0"),
    ("可乐", "5.5", "330ml", "0"),
    ("鱼香肉丝饭", "19.9", "标准", "1"),
    ("小龙虾", "88", "1斤", "2"),
    ("烤鸡翅", "9.9", "2只", "0.5"),
    ("冰红茶", "4", "500ml", "0"),
)
DISCOUNTS: tuple[tuple[str, str, str], ...] = (  # remark, Meituan-funded, store-funded (yuan)
    ("满30减5", "2", "3"),
    ("新客立减8元", "8", "0"),
    ("门店满减20减2", "0", "2"),
)
SURNAMES = "王李张刘陈杨赵黄周吴"
GIVEN = ("伟", "芳", "秀英", "敏", "静", "磊", "洋", "艳")


@dataclass(frozen=True)
class Line:
    app_food_code: str
    food_name: str
    sku_id: str
    price: Decimal
    quantity: int
    box_price: Decimal
    box_num: int
    spec: str

    @property
    def goods(self) -> Decimal:
        return self.price * self.quantity + self.box_price * self.box_num


@dataclass(frozen=True)
class Refund:
    refund_id: int
    refund_type: int  # 1 full, 2 partial
    money: Decimal
    applied_at: int
    resolved_at: int | None  # None: still pending
    res_type: int  # once resolved: 2 merchant agreed, 1 merchant rejected, 7 buyer withdrew
    items: tuple[tuple[Line, int], ...] = ()
    apply_type: int = 2  # 1 the cancellation's refund, 2 after delivery


@dataclass(frozen=True)
class Plan:
    """Everything about order ``index`` that does not depend on the clock."""

    index: int
    shop: str
    order_id: int
    view_id: str
    scenario: str
    ctime: int
    lines: tuple[Line, ...]
    shipping_fee: Decimal
    discounts: tuple[tuple[str, Decimal, Decimal], ...]
    events: dict[str, int]
    delivery_time: int
    refund: Refund | None
    plaintext_pii: bool
    receiver: dict = field(compare=False)
    #: A second request on a partly refunded order (several refunds on one order): rejected or withdrawn.
    second_refund: Refund | None = None

    @property
    def original_price(self) -> Decimal:
        return sum((line.goods for line in self.lines), Decimal(0)) + self.shipping_fee

    @property
    def total(self) -> Decimal:
        return self.original_price - sum((mt + poi for _r, mt, poi in self.discounts), Decimal(0))

    @property
    def pushed_at(self) -> int:
        return self.events["paid"]


class MeituanGenerator(OrderWorld):
    """Plans orders once, renders them at any clock (see module docstring)."""

    def __init__(self, seed: int, as_of: dt.datetime, n_orders: int, shop_ids: Sequence[str], days: int = 30) -> None:
        super().__init__(seed, as_of, n_orders, shop_ids, days)
        self.plans = [self._plan(i) for i in range(self.n_orders)]
        self.start_ts = min((p.ctime for p in self.plans), default=self.as_of_ts)
        # day_seq: per store and Beijing day of the push, in push order (the store's daily push number)
        self._day_seq: dict[int, int] = {}
        self._by_day: dict[tuple[str, str], list[int]] = {}
        for plan in sorted(self.plans, key=lambda p: (p.pushed_at, p.index)):
            key = (plan.shop, beijing_day(plan.pushed_at))
            members = self._by_day.setdefault(key, [])
            members.append(plan.index)
            self._day_seq[plan.index] = len(members)
        self._by_order_id = {p.order_id: p.index for p in self.plans}
        self._by_view_id = {p.view_id: p.index for p in self.plans}

    # ------------------------------------------------------------------ planning
    def _plan(self, i: int) -> Plan:
        seed = self.seed
        shop = self.shop_ids[digest(seed, i, b"mt-shop") % len(self.shop_ids)]
        ctime = self.as_of_ts - self.days * DAY + digest(seed, i, b"mt-ctime") % (self.days * DAY)
        scenario = choose(seed, i, b"mt-scenario", SCENARIO_WEIGHTS)
        n_lines = 1 + digest(seed, i, b"mt-nlines") % 3
        lines = []
        for k in range(n_lines):
            name, price, spec, box = MENU[digest(seed, f"{i}.{k}", b"mt-food") % len(MENU)]
            qty = 1 + digest(seed, f"{i}.{k}", b"mt-qty") % 3
            code = f"{100000 + MENU.index((name, price, spec, box)):d}"
            lines.append(Line(code, name, code, Decimal(price), qty, Decimal(box), qty if Decimal(box) else 0, spec))
        shipping = Decimal(("0", "2.5", "3.8", "0.01")[digest(seed, i, b"mt-ship") % 4])
        discounts = []
        goods = sum((line.goods for line in lines), Decimal(0))
        remark, mt, poi = DISCOUNTS[digest(seed, i, b"mt-disc") % len(DISCOUNTS)]
        if goods >= Decimal(30) and digest(seed, i, b"mt-hasdisc") % 2:
            discounts.append((remark, Decimal(mt), Decimal(poi)))

        def gap(purpose: bytes, low: int, high: int) -> int:
            return low + digest(seed, i, purpose) % (high - low + 1)

        events = {"paid": ctime + gap(b"mt-pay", 15, 90)}
        events["received"] = events["paid"] + gap(b"mt-recv", 5, 40)
        events["confirmed"] = events["received"] + gap(b"mt-conf", 20, 180)
        delivery_time = 0
        if scenario == PRE_ORDER:
            # a reservation: delivered at noon (Beijing) the next day
            noon = dt.datetime.fromtimestamp(ctime, SHANGHAI).replace(hour=12, minute=0, second=0) + dt.timedelta(days=1)
            delivery_time = int(noon.timestamp())
            events["fetched"] = delivery_time - gap(b"mt-fetch", 900, 1800)
        else:
            events["fetched"] = events["confirmed"] + gap(b"mt-fetch", 600, 1500)
        events["delivered"] = events["fetched"] + gap(b"mt-deliv", 600, 1800)
        events["completed"] = events["delivered"] + gap(b"mt-done", 60, 900)
        refund = None
        total = goods + shipping - sum((d[1] + d[2] for d in discounts), Decimal(0))
        refund_id = 70_000_000_000 + i
        if scenario == CANCELLED_AFTER_PAY:
            cancel = events["paid"] + gap(b"mt-cancel", 30, 1200)
            for name in ("received", "confirmed", "fetched", "delivered", "completed"):
                if events[name] >= cancel:
                    del events[name]
            events["cancelled"] = cancel
            refund = Refund(refund_id, 1, total, cancel, cancel, 2, apply_type=1)
        elif scenario in (PARTIAL_REFUND, FULL_REFUND, REFUND_PENDING):
            applied = events["completed"] + gap(b"mt-rapply", 1800, 30 * 3600)
            resolved = None if scenario == REFUND_PENDING else applied + gap(b"mt-rdone", 600, 6 * 3600)
            if scenario == PARTIAL_REFUND or (scenario == REFUND_PENDING and len(lines) > 1):
                line = lines[0]
                money = min(line.price, total)  # one unit of the first food, never more than was paid
                refund = Refund(refund_id, 2, money, applied, resolved, 2, ((line, 1),))
            else:
                refund = Refund(refund_id, 1, total, applied, resolved, 2)
        second = None
        if scenario == PARTIAL_REFUND and refund is not None and refund.resolved_at is not None and digest(seed, i, b"mt-r2") % 2 == 0:
            # the buyer asks again for another food: the store rejects it (res_type 1) or the buyer withdraws it (7)
            line = lines[-1]
            applied2 = refund.resolved_at + gap(b"mt-r2apply", 600, 5 * 3600)
            res_type = 1 if digest(seed, i, b"mt-r2kind") % 2 == 0 else 7
            second = Refund(refund_id + 500_000, 2, min(line.price, total), applied2, applied2 + gap(b"mt-r2done", 300, 3 * 3600),
                            res_type, ((line, 1),))
        plaintext = digest(seed, i, b"mt-pii") % 100 < PLAINTEXT_PII_PER_100
        return Plan(
            index=i,
            shop=shop,
            order_id=FIRST_ORDER_ID + 7 * i,
            view_id=permuted_id(seed, i, 17, leading=3),
            scenario=scenario,
            ctime=ctime,
            lines=tuple(lines),
            shipping_fee=shipping,
            discounts=tuple(discounts),
            events=events,
            delivery_time=delivery_time,
            refund=refund,
            plaintext_pii=plaintext,
            receiver=self._receiver(i, plaintext),
            second_refund=second,
        )

    def _receiver(self, i: int, plaintext: bool) -> dict:
        seed = self.seed
        surname = SURNAMES[digest(seed, i, b"mt-surname") % len(SURNAMES)]
        relay = f"1{digest(seed, i, b'mt-relay') % 10**10:010d}"
        if plaintext:
            given = GIVEN[digest(seed, i, b"mt-given") % len(GIVEN)]
            phone = f"139{digest(seed, i, b'mt-phone') % 10**8:08d}"
            return {
                "recipient_name": surname + given,
                "recipient_phone": phone,
                "recipient_address": f"北京市朝阳区建国路{digest(seed, i, b'mt-street') % 900 + 100}号{digest(seed, i, b'mt-room') % 30 + 1}层",
            }
        return {
            "recipient_name": f"{surname}(先生)" if digest(seed, i, b"mt-sex") % 2 else f"{surname}(女士)",
            "recipient_phone": f"{relay}_{digest(seed, i, b'mt-ext') % 10000:04d}",
            "recipient_address": f"望京SOHO T{digest(seed, i, b'mt-tower') % 3 + 1} (隐私地址)",
        }

    # ------------------------------------------------------------------ clock-dependent views
    def events_at(self, plan: Plan, now: int) -> dict[str, int]:
        happened = {name: at for name, at in plan.events.items() if at <= now}
        refund = plan.refund
        if refund is not None and plan.scenario != CANCELLED_AFTER_PAY:
            for name, later in (("refund", refund), ("refund2", plan.second_refund)):
                if later is None:
                    continue
                if later.applied_at <= now:
                    happened[f"{name}_applied"] = later.applied_at
                if later.resolved_at is not None and later.resolved_at <= now:
                    happened[f"{name}_resolved"] = later.resolved_at
        return happened

    def visible(self, i: int, now: int) -> bool:
        """Pushed to the store by ``now`` (an unpaid order never reaches the merchant)."""
        return self.plans[i].pushed_at <= now

    def status_at(self, plan: Plan, now: int) -> int:
        ev = self.events_at(plan, now)
        for name, code in (("cancelled", 9), ("completed", 8), ("delivered", 7), ("fetched", 6), ("confirmed", 4), ("received", 3), ("paid", 2)):
            if name in ev:
                return code
        return 1

    def utime_at(self, plan: Plan, now: int) -> int:
        return max(self.events_at(plan, now).values(), default=plan.ctime)

    def refund_records_at(self, plan: Plan, now: int) -> list[dict]:
        return [self._refund_record(plan, refund, now) for refund in (plan.refund, plan.second_refund)
                if refund is not None and refund.applied_at <= now]

    @staticmethod
    def _refund_record(plan: Plan, refund: Refund, now: int) -> dict:
        resolved = refund.resolved_at is not None and refund.resolved_at <= now
        reply = {2: "商家同意退款", 1: "商家拒绝退款", 7: "用户取消退款申请"}[refund.res_type]
        return {
            "wm_order_id_view": int(plan.view_id),
            "order_id": plan.order_id,
            "refund_id": refund.refund_id,
            "ctime": refund.applied_at,
            "utime": refund.resolved_at if resolved else refund.applied_at,
            "refund_type": refund.refund_type,
            "res_type": refund.res_type if resolved else 0,
            "res_reason": reply if resolved else "",
            "apply_type": refund.apply_type,
            "apply_reason": "商家无法接单" if refund.apply_type == 1 else "餐品少送",
            "money": float(refund.money),
            "pictures": [],
            "wmAppRetailForOrderPartRefundList": [
                {
                    "app_food_code": line.app_food_code,
                    "sku_id": line.sku_id,
                    "food_name": line.food_name,
                    "count": count,
                    "refund_price": float(line.price),
                }
                for line, count in refund.items
            ],
        }

    def refund_succeeded_at(self, plan: Plan, now: int) -> Decimal:
        return sum(
            (Decimal(str(r["money"])) for r in self.refund_records_at(plan, now) if r["res_type"] in (2, 4, 5, 6)),
            Decimal(0),
        )

    def order(self, i: int, now: int, *, lists_as_strings: bool = True) -> dict:
        """Order ``i`` as getOrderDetail returns it at clock ``now``."""
        plan = self.plans[i]
        ev = self.events_at(plan, now)
        detail = [
            {
                "app_food_code": line.app_food_code,
                "food_name": line.food_name,
                "sku_id": line.sku_id,
                "quantity": line.quantity,
                "price": float(line.price),
                "unit": "份",
                "spec": line.spec,
                "food_property": "",
                "box_num": line.box_num,
                "box_price": float(line.box_price),
                "food_discount": 1,
            }
            for line in plan.lines
        ]
        extras = [
            {"reduce_fee": float(mt + poi), "mt_charge": float(mt), "poi_charge": float(poi), "remark": remark, "type": 2}
            for remark, mt, poi in plan.discounts
        ]
        fetched = ev.get("fetched", 0)
        return {
            "order_id": plan.order_id,
            "wm_order_id_view": plan.view_id,
            "app_poi_code": plan.shop,
            "wm_poi_name": f"沙箱餐厅{self.shop_ids.index(plan.shop) + 1}号店",
            "wm_poi_address": "北京市朝阳区望京街10号",
            "wm_poi_phone": "4009208801",
            **plan.receiver,
            # newer SDK fields repeating the receiver data (the tap must null them too)
            "order_phone_number": plan.receiver["recipient_phone"],
            "order_shipping_address": plan.receiver["recipient_address"],
            "delivery_position": f"{39.99 + (plan.index % 100) / 10000:.4f},{116.47 + (plan.index % 100) / 10000:.4f}",
            "backup_recipient_phone": [],
            "latitude": 39.99 + (plan.index % 100) / 10000,
            "longitude": 116.47 + (plan.index % 100) / 10000,
            "shipping_fee": float(plan.shipping_fee),
            "total": float(plan.total),
            "original_price": float(plan.original_price),
            "caution": "少放辣" if plan.index % 5 == 0 else "",
            "shipper_phone": f"1520000{plan.index % 10000:04d}" if fetched else "",
            "status": self.status_at(plan, now),
            "city_id": 110100,
            "has_invoiced": 0,
            "invoice_title": "",
            "taxpayer_id": "",
            "ctime": plan.ctime,
            "utime": self.utime_at(plan, now),
            "delivery_time": plan.delivery_time,
            "is_third_shipping": 0,
            "pay_type": 2,
            "is_pre_order": plan.scenario == PRE_ORDER,
            "day_seq": self._day_seq[i],
            "detail": json.dumps(detail, ensure_ascii=False) if lists_as_strings else detail,
            "extras": json.dumps(extras, ensure_ascii=False) if lists_as_strings else extras,
            "avg_send_time": 2400.0,
            "order_send_time": ev.get("paid", 0),
            "order_receive_time": ev.get("received", 0),
            "order_confirm_time": ev.get("confirmed", 0),
            "order_cancel_time": ev.get("cancelled", 0),
            "order_completed_time": ev.get("completed", 0),
            "logistics_status": 40 if "delivered" in ev else (20 if fetched else 0),
            "logistics_id": 101 if fetched else 0,
            "logistics_name": "美团专送" if fetched else "",
            "logistics_send_time": ev.get("confirmed", 0),
            "logistics_confirm_time": ev.get("confirmed", 0),
            "logistics_cancel_time": 0,
            "logistics_fetch_time": fetched,
            "logistics_completed_time": ev.get("delivered", 0),
            "logistics_dispatcher_name": "骑手小王" if fetched else "",
            "logistics_dispatcher_mobile": f"1310000{plan.index % 10000:04d}" if fetched else "",
        }

    # ------------------------------------------------------------------ lookups
    def order_ids_by_day_seq(self, shop: str, day: str, first: int, last: int, now: int) -> list[int]:
        """Order ids of ``shop``'s Beijing ``day`` (yyyyMMdd) with day_seq in [first, last], pushed by ``now``."""
        members = self._by_day.get((shop, day), [])
        return [self.plans[i].order_id for i in members[max(first, 1) - 1 : last] if self.visible(i, now)]

    def index_of(self, order_id: int) -> int | None:
        return self._by_order_id.get(order_id)

    def index_of_view_id(self, view_id: str) -> int | None:
        return self._by_view_id.get(view_id)

    def facts(self, now: int) -> Iterator[OrderFact]:
        status_names = {2: "paid", 3: "paid", 4: "paid", 6: "shipped", 7: "shipped", 8: "completed", 9: "cancelled"}
        for plan in self.plans:
            if not self.visible(plan.index, now):
                continue
            ev = self.events_at(plan, now)
            yield OrderFact(
                channel="meituan",
                shop_id=plan.shop,
                channel_order_id=plan.view_id,
                ordered_at=dt.datetime.fromtimestamp(plan.ctime, dt.timezone.utc),
                paid_at=dt.datetime.fromtimestamp(ev["paid"], dt.timezone.utc),
                status=status_names[self.status_at(plan, now)],
                paid_amount=plan.total.quantize(CENT),
                currency="CNY",
                refund_amount=self.refund_succeeded_at(plan, now).quantize(CENT),
            )


def beijing_day(ts: int) -> str:
    """``yyyyMMdd`` of a Unix time in Beijing (the store day of ``date_time``)."""
    return dt.datetime.fromtimestamp(ts, SHANGHAI).strftime("%Y%m%d")
