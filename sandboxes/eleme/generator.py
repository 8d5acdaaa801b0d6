"""Deterministic Ele.me retail orders for the sandbox.

``ElemeGenerator(seed, as_of, n_orders, shop_ids, days)`` plans ``n_orders`` orders created (and paid
online) during the ``days`` before ``as_of``. Each has a timeline — awaiting confirmation (1) → confirmed
(5) → rider accepted (7) → picked up / delivering (8) → completed (9), or cancelled (10) before or after
confirmation; partial refunds applied after completion, agreed or still pending; scheduled deliveries —
that may run past ``as_of``. :meth:`ElemeGenerator.order` renders ``order.get`` data at any clock ``now``.

Payload shape copies fact sheet §B4 field for field: 14-digit ``order_id`` (the creation second plus
four digits), 19-digit ``eleme_order_id`` (beyond 2^53), times as strings where the sample has strings
(``create_time``, ``confirm_time``, ``finished_time``, ``cancel_time``, ``send_time``) and integers where
it has integers (``pickup_time``, ``atshop_time``, ``delivery_time``), fen integers, ``products`` as a list
of lists. The partial-refund records (``order.partrefund.get``) use a shape of our own — the platform's is
unconfirmed. :data:`PLAINTEXT_PII_PER_100` of orders carry a real-looking buyer phone, name and street
address (``is_private`` 0); the others a privacy relay number (``is_private`` 1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from orderlayer.sandboxes.kit.synth import SHANGHAI, OrderFact, choose, digest, permuted_id
from orderlayer.sandboxes.kit.world import DAY, OrderWorld

PLAINTEXT_PII_PER_100 = 6

NORMAL = "normal"
CANCELLED_UNCONFIRMED = "cancelled_unconfirmed"
CANCELLED_CONFIRMED = "cancelled_confirmed"
PART_REFUND = "part_refund"
PART_REFUND_PENDING = "part_refund_pending"
SCHEDULED = "scheduled"
SCENARIO_WEIGHTS = {NORMAL: 70, CANCELLED_UNCONFIRMED: 6, CANCELLED_CONFIRMED: 5, PART_REFUND: 9, PART_REFUND_PENDING: 5, SCHEDULED: 5}

#: Part-refund record status (sandbox convention): 10 applied, 20 agreed (refunded), 30 rejected.
REFUND_APPLIED, REFUND_AGREED, REFUND_REJECTED = 10, 20, 30

#: (product name, price fen, package price fen, upc)
CATALOG: tuple[tuple[str, int, int, str], ...] = (
    ("农夫山泉550ml", 200, 0, "6921168509256"),
    ("蒙牛纯牛奶250ml*12", 4990, 0, "6923644248028"),
    ("三只松鼠坚果礼盒", 12900, 100, "6958710106329"),
    ("红富士苹果1kg", 1680, 50, "2000000000011"),
    ("可口可乐330ml*6", 1590, 0, "6954767423579"),
    ("维达抽纸3包", 1190, 0, "6901236371546"),
    ("海天生抽500ml", 990, 0, "6902265111139"),
    ("康师傅红烧牛肉面", 450, 0, "6920152400010"),
)
DISCOUNTS: tuple[tuple[str, int, int], ...] = (("满30减5", 300, 200), ("新客立减10", 1000, 0), ("店铺满50减8", 0, 800))
SURNAMES = "王李张刘陈杨赵黄周吴"
GIVEN = ("伟", "芳", "秀英", "敏", "静", "磊")


@dataclass(frozen=True)
class Product:
    name: str
    price: int
    amount: int
    package_price: int
    upc: str
    baidu_product_id: str
    custom_sku_id: str
    bag: int

    @property
    def product_fee(self) -> int:
        return self.price * self.amount

    @property
    def package_fee(self) -> int:
        return self.package_price * self.amount

    @property
    def total_fee(self) -> int:
        return self.product_fee + self.package_fee


@dataclass(frozen=True)
class Plan:
    index: int
    shop: str
    order_id: str
    eleme_order_id: str
    scenario: str
    ctime: int
    products: tuple[Product, ...]
    send_fee: int
    discounts: tuple[tuple[str, int, int], ...]  # desc, platform-funded fen, shop-funded fen
    events: dict[str, int]
    send_time: int  # promised delivery; 1 = as soon as possible
    refund_applied: int | None
    refund_resolved: int | None
    plaintext_pii: bool
    #: A second request (another product) on a partly refunded order, rejected by the store: (applied, rejected).
    second_refund: tuple[int, int] | None = None

    @property
    def goods(self) -> int:
        return sum(p.total_fee for p in self.products)

    @property
    def total_fee(self) -> int:
        return self.goods + self.send_fee

    @property
    def discount_fee(self) -> int:
        return sum(mt + shop for _d, mt, shop in self.discounts)

    @property
    def user_fee(self) -> int:
        return self.total_fee - self.discount_fee

    @property
    def commission(self) -> int:
        return self.user_fee * 8 // 100


class ElemeGenerator(OrderWorld):
    """Plans orders once, renders them at any clock (see module docstring)."""

    def __init__(self, seed: int, as_of: dt.datetime, n_orders: int, shop_ids: Sequence[str], days: int = 30) -> None:
        super().__init__(seed, as_of, n_orders, shop_ids, days)
        self.plans = [self._plan(i) for i in range(self.n_orders)]
        self.start_ts = min((pl.ctime for pl in self.plans), default=self.as_of_ts)
        self._by_id = {pl.order_id: pl.index for pl in self.plans}
        self._order_index: dict[int, int] = {}
        counters: dict[tuple[str, str], int] = {}
        for pl in sorted(self.plans, key=lambda x: (x.ctime, x.index)):
            key = (pl.shop, dt.datetime.fromtimestamp(pl.ctime, SHANGHAI).strftime("%Y%m%d"))
            counters[key] = counters.get(key, 0) + 1
            self._order_index[pl.index] = counters[key]

    def _plan(self, i: int) -> Plan:
        seed = self.seed
        shop = self.shop_ids[digest(seed, i, b"el-shop") % len(self.shop_ids)]
        ctime = self.as_of_ts - self.days * DAY + digest(seed, i, b"el-ctime") % (self.days * DAY)
        scenario = choose(seed, i, b"el-scenario", SCENARIO_WEIGHTS)
        products = []
        for k in range(1 + digest(seed, i, b"el-nprod") % 3):
            name, price, package, upc = CATALOG[digest(seed, f"{i}.{k}", b"el-prod") % len(CATALOG)]
            baidu_id = f"15397177{CATALOG.index((name, price, package, upc)):02d}337067"
            custom = "" if digest(seed, f"{i}.{k}", b"el-custom") % 4 == 0 else f"SKU-{upc[-6:]}"
            bag = 1 if k == 2 and digest(seed, i, b"el-bags") % 2 else 0
            products.append(Product(name, price, 1 + digest(seed, f"{i}.{k}", b"el-amt") % 3, package, upc, baidu_id, custom, bag))
        send_fee = (0, 300, 500)[digest(seed, i, b"el-send") % 3]
        goods = sum(p.total_fee for p in products)
        discounts = []
        desc, mt, shop_part = DISCOUNTS[digest(seed, i, b"el-disc") % len(DISCOUNTS)]
        if goods >= 5000 and digest(seed, i, b"el-hasdisc") % 2:
            discounts.append((desc, mt, shop_part))

        def gap(purpose: bytes, low: int, high: int) -> int:
            return low + digest(seed, i, purpose) % (high - low + 1)

        events = {"confirmed": ctime + gap(b"el-conf", 20, 240)}
        send_time = 1
        if scenario == SCHEDULED:
            slot = dt.datetime.fromtimestamp(ctime, SHANGHAI).replace(minute=0, second=0) + dt.timedelta(hours=3)
            send_time = int(slot.timestamp())
            events["rider_accepted"] = send_time - gap(b"el-ride", 1800, 2400)
        else:
            events["rider_accepted"] = events["confirmed"] + gap(b"el-ride", 60, 600)
        events["picked_up"] = events["rider_accepted"] + gap(b"el-pick", 300, 900)
        events["delivered"] = events["picked_up"] + gap(b"el-deliv", 600, 1800)
        events["finished"] = events["delivered"] + gap(b"el-fin", 30, 600)
        refund_applied = refund_resolved = None
        if scenario == CANCELLED_UNCONFIRMED:
            events = {"cancelled": ctime + gap(b"el-cancel", 30, 200)}
        elif scenario == CANCELLED_CONFIRMED:
            cancel = events["confirmed"] + gap(b"el-cancel", 30, 300)
            events = {k: v for k, v in events.items() if v < cancel} | {"cancelled": cancel}
        elif scenario in (PART_REFUND, PART_REFUND_PENDING):
            refund_applied = events["finished"] + gap(b"el-rapply", 1800, 24 * 3600)
            if scenario == PART_REFUND:
                refund_resolved = refund_applied + gap(b"el-rdone", 600, 6 * 3600)
        second = None
        if refund_resolved is not None and digest(seed, i, b"el-r2") % 2 == 0:
            applied2 = refund_resolved + gap(b"el-r2apply", 600, 5 * 3600)
            second = (applied2, applied2 + gap(b"el-r2done", 300, 3 * 3600))
        return Plan(
            index=i,
            shop=shop,
            order_id=f"{ctime}{1000 + i % 9000:04d}",
            eleme_order_id=permuted_id(seed, i, 19, leading=2),
            scenario=scenario,
            ctime=ctime,
            products=tuple(products),
            send_fee=send_fee,
            discounts=tuple(discounts),
            events=events,
            send_time=send_time,
            refund_applied=refund_applied,
            refund_resolved=refund_resolved,
            plaintext_pii=digest(seed, i, b"el-pii") % 100 < PLAINTEXT_PII_PER_100,
            second_refund=second,
        )

    # ------------------------------------------------------------------ clock-dependent views
    def visible(self, i: int, now: int) -> bool:
        return self.plans[i].ctime <= now

    def status_at(self, plan: Plan, now: int) -> int:
        ev = {k: v for k, v in plan.events.items() if v <= now}
        for name, code in (("cancelled", 10), ("finished", 9), ("picked_up", 8), ("rider_accepted", 7), ("confirmed", 5)):
            if name in ev:
                return code
        return 1

    def part_refunds_at(self, plan: Plan, now: int) -> list[dict]:
        """The order's partial-refund records at ``now``: one unit of the first product, and on some orders a second
        request (one unit of the last product) the store rejects."""
        if plan.refund_applied is None or plan.refund_applied > now:
            return []
        agreed = plan.refund_resolved is not None and plan.refund_resolved <= now
        records = [self._part_refund(plan, "01", plan.products[0], plan.refund_applied,
                                     plan.refund_resolved if agreed else None, REFUND_AGREED, "商品少送")]
        if plan.second_refund is not None and plan.second_refund[0] <= now:
            applied, rejected = plan.second_refund
            records.append(self._part_refund(plan, "02", plan.products[-1], applied, rejected if rejected <= now else None,
                                             REFUND_REJECTED, "商品质量问题"))
        return records

    @staticmethod
    def _part_refund(plan: Plan, suffix: str, product: Product, applied: int, resolved: int | None, outcome: int, reason: str) -> dict:
        price = min(product.price, plan.user_fee)  # one unit, never more than was paid
        return {
            "refund_id": f"{plan.order_id}{suffix}",
            "status": outcome if resolved is not None else REFUND_APPLIED,
            "refund_price": price,
            "apply_time": str(applied),
            "update_time": str(resolved if resolved is not None else applied),
            "reason": reason,
            "products": [
                {
                    "custom_sku_id": product.custom_sku_id,
                    "upc": product.upc,
                    "baidu_product_id": product.baidu_product_id,
                    "product_name": product.name,
                    "number": 1,
                    "refund_price": price,
                }
            ],
        }

    def refunded_at(self, plan: Plan, now: int) -> int:
        """Fen refunded by ``now``: everything for a paid order cancelled, agreed partial refunds otherwise."""
        if self.status_at(plan, now) == 10:
            return plan.user_fee
        return sum(r["refund_price"] for r in self.part_refunds_at(plan, now) if r["status"] == REFUND_AGREED)

    def order(self, i: int, now: int) -> dict:
        """``order.get`` data of order ``i`` at clock ``now``."""
        plan = self.plans[i]
        ev = {k: v for k, v in plan.events.items() if v <= now}
        seed = self.seed
        surname = SURNAMES[digest(seed, i, b"el-surname") % len(SURNAMES)]
        if plan.plaintext_pii:
            user_name = surname + GIVEN[digest(seed, i, b"el-given") % len(GIVEN)]
            phone = f"137{digest(seed, i, b'el-phone') % 10**8:08d}"
            address = f"上海市徐汇区漕溪北路{digest(seed, i, b'el-street') % 900 + 100}弄{digest(seed, i, b'el-room') % 20 + 1}号"
        else:
            user_name = f"{surname}先生" if digest(seed, i, b"el-sex") % 2 else f"{surname}女士"
            phone = f"1{digest(seed, i, b'el-relay') % 10**10:010d},{digest(seed, i, b'el-ext') % 10000:04d}"
            address = "徐汇区漕河泾开发区(隐私地址)"
        shop_index = self.shop_ids.index(plan.shop)
        commission = plan.commission
        platform_part = sum(mt for _d, mt, _s in plan.discounts)
        return {
            "source": "62863",
            "shop": {"id": plan.shop, "name": f"沙箱便利店{shop_index + 1}号", "baidu_shop_id": f"22345265{56 + shop_index:02d}"},
            "order": {
                "order_from": "2",
                "cold_box_fee": "0",
                "eleme_order_id": plan.eleme_order_id,
                "order_flag": 0,
                "ext": {"taoxi_flag": 0},
                "is_cold_box_order": 0,
                "expect_time_mode": 1,
                "pickup_time": ev.get("picked_up", 0),
                "atshop_time": self._at_shop(plan, now),
                "delivery_time": ev.get("delivered", 0),
                "delivery_phone": f"1580000{i % 10000:04d}" if "rider_accepted" in ev else "",
                "finished_time": str(ev.get("finished", 0)),
                "confirm_time": str(ev.get("confirmed", 0)),
                "meal_num": "",
                "commission": commission,
                "order_id": plan.order_id,
                "order_index": str(self._order_index[i]),
                "status": self.status_at(plan, now),
                "send_immediately": 1 if plan.send_time == 1 else 0,
                "send_time": str(plan.send_time),
                "send_fee": plan.send_fee,
                "package_fee": sum(p.package_fee for p in plan.products),
                "total_fee": plan.total_fee,
                "shop_fee": plan.user_fee + platform_part - commission,
                "user_fee": plan.user_fee,
                "responsible_party": "商户" if plan.scenario == CANCELLED_CONFIRMED else "",
                "down_flag": 0,
                "pay_type": 2,
                "pay_status": 2,
                "need_invoice": 2,
                "invoice_title": "",
                "taxer_id": "",
                "remark": "请放门口" if i % 4 == 0 else "",
                "delivery_party": 6,
                "create_time": str(plan.ctime),
                "cancel_time": str(ev.get("cancelled", 0)),
                "is_private": 0 if plan.plaintext_pii else 1,
                "discount_fee": plan.discount_fee,
            },
            "user": {
                "name": user_name,
                "phone": phone,
                "gender": 1 + digest(seed, i, b"el-gender") % 2,
                "address": address,
                "province": "上海市",
                "city": "上海市",
                "district": "徐汇区",
                "coord": {"longitude": 121.43 + (i % 100) / 10000, "latitude": 31.18 + (i % 100) / 10000},
            },
            "products": self._products(plan),
            "discount": [
                {"type": "jian", "fee": mt + shop, "activity_id": f"ACT{i % 97:04d}", "baidu_rate": mt, "shop_rate": shop,
                 "agent_rate": 0, "logistics_rate": 0, "desc": desc}
                for desc, mt, shop in plan.discounts
            ],
        }

    @staticmethod
    def _at_shop(plan: Plan, now: int) -> int:
        """The rider reached the shop four minutes after accepting (0 until then)."""
        accepted = plan.events.get("rider_accepted")
        return accepted + 240 if accepted is not None and accepted + 240 <= now else 0

    @staticmethod
    def _products(plan: Plan) -> list[list[dict]]:
        bags: list[list[dict]] = [[]]
        for position, product in enumerate(plan.products):
            while len(bags) <= product.bag:
                bags.append([])
            bags[product.bag].append(
                {
                    "baidu_product_id": product.baidu_product_id,
                    "upc": product.upc,
                    "custom_sku_id": product.custom_sku_id,
                    "product_name": product.name,
                    "product_type": 1,
                    "product_price": product.price,
                    "product_amount": product.amount,
                    "product_fee": product.product_fee,
                    "package_price": product.package_price,
                    "package_amount": product.amount if product.package_price else 0,
                    "package_fee": product.package_fee,
                    "total_fee": product.total_fee,
                    "product_attr": [],
                    "product_features": [],
                    "product_custom_index": f"{product.baidu_product_id}_0_{position}",
                    "product_subsidy": {"discount": 0, "baidu_rate": 0, "shop_rate": 0, "user_rate": 0, "agent_rate": 0, "logistics_rate": 0},
                    "prescription_id": "",
                    "supply_type": 0,
                }
            )
        return bags

    # ------------------------------------------------------------------ lookups
    def listed(self, shop: str, start: int, end: int, now: int, *, end_inclusive: bool = True) -> list[int]:
        """Indexes of ``shop``'s orders created in the window (and by ``now``), newest first."""
        members = [
            pl.index
            for pl in self.plans
            if pl.shop == shop and pl.ctime >= start and (pl.ctime <= end if end_inclusive else pl.ctime < end) and pl.ctime <= now
        ]
        return sorted(members, key=lambda i: (self.plans[i].ctime, self.plans[i].order_id), reverse=True)

    def index_of(self, order_id: str) -> int | None:
        return self._by_id.get(order_id)

    def facts(self, now: int) -> Iterator[OrderFact]:
        names = {1: "paid", 5: "paid", 7: "paid", 8: "shipped", 9: "completed", 10: "cancelled"}
        cent = Decimal("0.01")
        for plan in self.plans:
            if not self.visible(plan.index, now):
                continue
            yield OrderFact(
                channel="eleme",
                shop_id=plan.shop,
                channel_order_id=plan.order_id,
                ordered_at=dt.datetime.fromtimestamp(plan.ctime, dt.timezone.utc),
                paid_at=dt.datetime.fromtimestamp(plan.ctime, dt.timezone.utc),
                status=names[self.status_at(plan, now)],
                paid_amount=(Decimal(plan.user_fee) * cent).quantize(cent),
                currency="CNY",
                refund_amount=(Decimal(self.refunded_at(plan, now)) * cent).quantize(cent),
            )
