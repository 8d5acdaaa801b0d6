"""Deterministic TikTok Shop order universe.

``OrderGenerator(seed, as_of, n_orders, shop_ids, days)`` describes ``n_orders`` orders created during
the ``days`` before ``as_of``. Each order has a *timeline* of absolute event times (placed, paid,
on-hold released, ready to ship, collected, delivered, completed, cancel request, cancelled, …) that
may run past ``as_of``; :meth:`OrderGenerator.order` renders the order at any clock ``now``: events
after ``now`` have not happened and ``update_time`` is the last event at or before ``now``. Moving the
clock forward therefore produces late updates.

Order ``i`` depends only on (seed, i, as_of, days, shop_ids); per-order randomness comes from
:func:`orderlayer.sandboxes.kit.synth.digest`, so orders render lazily and identically between runs.

Payload shape (shared/channels/tiktok_shop.md §7–§9): string ids, epoch-second times (absent until
reached), decimal-string amounts in the shop's currency (USD, GBP, VND), one line item per unit,
``ON_HOLD`` for US/UK shops, ``PRE_ORDER`` orders whose payment is captured a day before release,
buyer and seller cancellations, item-level cancellations, split shipments, an open cancel request;
receiver data with TikTok's masks plus plaintext address lines, and a planted share of orders whose
name, phone and buyer message are plaintext, so tests can prove the tap removes them.
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate

from orderlayer.sandboxes.kit.synth import OrderFact, digest, permuted_id
from orderlayer.sandboxes.tiktok_shop import catalog
from orderlayer.sandboxes.kit.world import DAY, Draws, OrderWorld, shop_cuts

HOUR = 3_600
#: An unpaid order is cancelled by the platform after this long ([I]; the real window varies by payment method).
UNPAID_TIMEOUT_SECONDS = DAY
#: Orders (per 10 000) whose receiver name, phone and buyer message come unmasked.
PLAINTEXT_PII_PER_10000 = 300

NORMAL = "normal"
UNPAID_CANCELLED = "unpaid_cancelled"
BUYER_CANCELLED = "buyer_cancelled"
SELLER_CANCELLED = "seller_cancelled"
ITEM_CANCELLED = "item_cancelled"
CANCEL_REQUESTED = "cancel_requested"
PRE_ORDER = "pre_order"
SPLIT_SHIPMENT = "split_shipment"
_SCENARIO_SHARE = (
    (NORMAL, 6200), (UNPAID_CANCELLED, 800), (BUYER_CANCELLED, 500), (SELLER_CANCELLED, 300),
    (ITEM_CANCELLED, 500), (CANCEL_REQUESTED, 300), (PRE_ORDER, 600), (SPLIT_SHIPMENT, 800),
)
SCENARIOS = tuple(name for name, _ in _SCENARIO_SHARE)
_SCENARIO_CUTS = tuple(accumulate(share for _, share in _SCENARIO_SHARE))
assert _SCENARIO_CUTS[-1] == 10_000

#: Status each event moves the order to, in lifecycle order (a later event wins at equal times).
_EVENT_STATUS = (
    ("create", "UNPAID"),
    ("hold", "ON_HOLD"),
    ("release", "AWAITING_SHIPMENT"),
    ("rts", "AWAITING_COLLECTION"),
    ("partial", "PARTIALLY_SHIPPING"),
    ("collect", "IN_TRANSIT"),
    ("deliver", "DELIVERED"),
    ("complete", "COMPLETED"),
    ("cancel", "CANCELLED"),
)
#: Events that change an order without changing its status.
_QUIET_EVENTS = ("pay", "request_cancel", "item_cancel")


@dataclass(frozen=True)
class Unit:
    """One unit bought = one TikTok line item; amounts in the shop currency's minor units."""

    line_id: str
    sku: catalog.Sku
    original: int
    seller_discount: int
    platform_discount: int
    package: int  # 0 or 1 (split shipments use two packages)

    @property
    def sale(self) -> int:
        return self.original - self.seller_discount - self.platform_discount


@dataclass(frozen=True)
class Timeline:
    index: int
    order_id: str
    shop_index: int
    scenario: str
    events: dict[str, int]
    units: tuple[Unit, ...]
    buyer: int
    plaintext_pii: bool
    cancelled_unit: int | None = None
    initiator: str | None = None
    shipping_discount_seller: int = 0
    shipping_discount_platform: int = 0
    extra: dict = field(default_factory=dict)


def _b32(data: int, length: int) -> str:
    return base64.b32encode(data.to_bytes(32, "little")).decode("ascii").rstrip("=")[:length]


class OrderGenerator(OrderWorld):
    """The orders of one deterministic universe (see module docstring)."""

    def __init__(
        self,
        seed: int,
        as_of: dt.datetime,
        n_orders: int,
        shop_ids: Sequence[str],
        days: int = 30,
        *,
        shop_regions: Sequence[str] | None = None,
    ) -> None:
        super().__init__(seed, as_of, n_orders, shop_ids, days)
        codes = list(shop_regions) if shop_regions else [catalog.REGION_CYCLE[k % len(catalog.REGION_CYCLE)] for k in range(len(self.shop_ids))]
        if len(codes) != len(self.shop_ids) or any(c not in catalog.REGIONS for c in codes):
            msg = f"shop_regions must name one of {sorted(catalog.REGIONS)} per shop"
            raise ValueError(msg)
        self.regions = [catalog.REGIONS[c] for c in codes]
        self._shop_cuts = shop_cuts(len(self.shop_ids))
        self.timelines = [self._timeline(i) for i in range(self.n_orders)]
        self.start_ts = min((tl.events["create"] for tl in self.timelines), default=self.as_of_ts)

    # ------------------------------------------------------------------ universe
    def _timeline(self, i: int) -> Timeline:
        take = Draws(self.seed, i, b"tts-timeline").take

        create = self.as_of_ts - self.days * DAY + take(self.days * DAY)
        scenario = SCENARIOS[bisect.bisect_right(_SCENARIO_CUTS, take(10_000))]
        shop = bisect.bisect_right(self._shop_cuts, take(10_000))
        region = self.regions[shop]
        plaintext_pii = take(10_000) < PLAINTEXT_PII_PER_10000
        buyer = take(max(1, self.n_orders // 3 + 1))

        # Units: 1-3 SKUs, 1-3 units each (item cancellation and split shipment need two or more).
        n_skus = 1 + take(3)
        counts = [1 + take(3) for _ in range(n_skus)]
        if scenario in (ITEM_CANCELLED, SPLIT_SHIPMENT) and sum(counts) < 2:
            counts[0] = 2
        seller_off = take(4) == 0  # a 10 % seller promotion on the whole order
        platform_off = take(5) == 0  # a platform voucher on the first unit
        units: list[Unit] = []
        line_no = 0
        for k, count in enumerate(counts):
            sku = catalog.SKUS[take(len(catalog.SKUS))]
            price = _local_price(sku.price_cents, region)
            for _ in range(count):
                seller = (price // 10 // region.step) * region.step if seller_off else 0
                platform = _local_price(300, region) if platform_off and not units else 0
                platform = min(platform, price - seller)
                line_id = permuted_id(self.seed + 7_919, i * 16 + line_no, 18, leading=5)
                package = 1 if scenario == SPLIT_SHIPMENT and k == n_skus - 1 and n_skus > 1 else 0
                if scenario == SPLIT_SHIPMENT and n_skus == 1 and line_no == count - 1:
                    package = 1
                units.append(Unit(line_id, sku, price, seller, platform, package))
                line_no += 1

        ev: dict[str, int] = {"create": create}
        initiator: str | None = None
        cancelled_unit: int | None = None
        if scenario == UNPAID_CANCELLED:
            if take(3) == 0:  # placed recently: still UNPAID at as_of, cancelled after advance()
                create = self.as_of_ts - 1 - take(12 * HOUR)
                ev["create"] = create
            ev["cancel"] = create + UNPAID_TIMEOUT_SECONDS
            initiator = "SYSTEM"
        elif scenario == PRE_ORDER:
            ev["hold"] = create + 60
            release = create + 3 * DAY + take(7 * DAY)
            ev["pay"] = release - DAY  # payment is captured a day before release
            ev["release"] = release
        else:
            ev["pay"] = create + 10 + take(890)
            if region.on_hold:
                ev["hold"] = ev["pay"]
                ev["release"] = ev["pay"] + HOUR
            else:
                ev["release"] = ev["pay"]
        if scenario in (BUYER_CANCELLED, CANCEL_REQUESTED):
            ev["request_cancel"] = ev["release"] + HOUR + take(23 * HOUR)
            if scenario == BUYER_CANCELLED:
                ev["cancel"] = ev["request_cancel"] + HOUR + take(11 * HOUR)
                initiator = "BUYER"
        elif scenario == SELLER_CANCELLED:
            ev["cancel"] = ev["release"] + 2 * HOUR + take(28 * HOUR)
            initiator = "SELLER"
        elif scenario != UNPAID_CANCELLED:
            if scenario == ITEM_CANCELLED:
                ev["item_cancel"] = ev["release"] + HOUR + take(11 * HOUR)
                cancelled_unit = len(units) - 1
            ev["rts"] = max(ev["release"], ev.get("item_cancel", 0)) + 2 * HOUR + take(28 * HOUR)
            if scenario == SPLIT_SHIPMENT:
                ev["partial"] = ev["rts"] + HOUR + take(5 * HOUR)
                ev["collect"] = ev["partial"] + 12 * HOUR + take(36 * HOUR)
            else:
                ev["collect"] = ev["rts"] + 2 * HOUR + take(28 * HOUR)
            ev["deliver"] = ev["collect"] + DAY + take(4 * DAY)
            ev["complete"] = ev["deliver"] + 2 * DAY + take(7 * DAY)  # after the return window ([I])

        shipping = region.shipping_fee if take(3) else 0
        free_shipping_by = ("SELLER", "PLATFORM", None)[take(3)] if shipping else None
        order_id = permuted_id(self.seed, i, 18, leading=5)
        return Timeline(
            index=i,
            order_id=order_id,
            shop_index=shop,
            scenario=scenario,
            events=ev,
            units=tuple(units),
            buyer=buyer,
            plaintext_pii=plaintext_pii,
            cancelled_unit=cancelled_unit,
            initiator=initiator,
            shipping_discount_seller=shipping if free_shipping_by == "SELLER" else 0,
            shipping_discount_platform=shipping if free_shipping_by == "PLATFORM" else 0,
            extra={"shipping_fee": shipping, "street_no": 1 + take(400), "place": take(3), "name": take(100)},
        )

    # ------------------------------------------------------------------ accessors
    def __len__(self) -> int:
        return self.n_orders

    def shop_id_of(self, i: int) -> str:
        return self.shop_ids[self.timelines[i].shop_index]

    def indexes_for_shop(self, shop_id: str) -> list[int]:
        k = self.shop_ids.index(str(shop_id))
        return [tl.index for tl in self.timelines if tl.shop_index == k]

    def update_time_at(self, i: int, now: int) -> int | None:
        """Last event at or before ``now`` (None: the order does not exist yet)."""
        times = [v for v in self.timelines[i].events.values() if v <= now]
        return max(times) if times else None

    def status_at(self, i: int, now: int) -> str | None:
        ev = self.timelines[i].events
        status = None
        best = -1
        for name, code in _EVENT_STATUS:
            when = ev.get(name)
            if when is not None and when <= now and when >= best:
                best, status = when, code
        return status

    # ------------------------------------------------------------------ rendering
    def order(self, i: int, now: int) -> dict:
        """Order ``i`` as the order search returns it at clock ``now``."""
        tl = self.timelines[i]
        region = self.regions[tl.shop_index]
        ev = {k: v for k, v in tl.events.items() if v <= now}
        status = self.status_at(i, now)
        if status is None:
            msg = f"order {i} does not exist before {tl.events['create']}"
            raise ValueError(msg)
        paid = "pay" in ev
        units = tl.units
        sub_total = sum(u.sale for u in units)
        shipping = tl.extra["shipping_fee"]
        shipping_fee = shipping - tl.shipping_discount_seller - tl.shipping_discount_platform
        product_tax = _round_half_up(Decimal(sub_total) * region.tax_rate)
        shipping_tax = _round_half_up(Decimal(shipping_fee) * region.tax_rate)
        money = lambda v: _format(v, region)  # noqa: E731 - local shorthand
        payment = {
            "currency": region.currency,
            "sub_total": money(sub_total),
            "shipping_fee": money(shipping_fee),
            "seller_discount": money(sum(u.seller_discount for u in units)),
            "platform_discount": money(sum(u.platform_discount for u in units)),
            "original_total_product_price": money(sum(u.original for u in units)),
            "original_shipping_fee": money(shipping),
            "shipping_fee_seller_discount": money(tl.shipping_discount_seller),
            "shipping_fee_platform_discount": money(tl.shipping_discount_platform),
            "total_amount": money(sub_total + shipping_fee + product_tax + shipping_tax),
        }
        if region.tax_rate:
            payment |= {"tax": money(product_tax + shipping_tax), "product_tax": money(product_tax), "shipping_fee_tax": money(shipping_tax)}

        order: dict = {
            "id": tl.order_id,
            "status": status,
            "create_time": ev["create"],
            "update_time": max(ev.values()),
            "order_type": "PRE_ORDER" if tl.scenario == PRE_ORDER else "NORMAL",
            "fulfillment_type": "FULFILLMENT_BY_SELLER",
            "shipping_type": "TIKTOK",
            "delivery_type": "HOME_DELIVERY",
            "delivery_option_name": "Standard shipping",
            "is_cod": False,
            "is_sample_order": False,
            "is_replacement_order": False,
            "is_exchange_order": False,
            "is_on_hold_order": region.on_hold or tl.scenario == PRE_ORDER,
            "is_buyer_request_cancel": "request_cancel" in ev,
            "commerce_platform": "TIKTOK_SHOP",
            "warehouse_id": permuted_id(self.seed + 31, tl.shop_index, 19, leading=7),
            "user_id": permuted_id(self.seed + 17, tl.buyer, 19, leading=7),
            "buyer_email": f"{_b32(digest(self.seed, tl.buyer, b'tts-email'), 16).lower()}@scs2.tiktok.com",
            "payment_method_name": "Credit card",
            "recipient_address": self._address(tl, region),
            "payment": payment,
        }
        if paid:
            order["paid_time"] = ev["pay"]
        if tl.scenario == PRE_ORDER:
            order["release_date"] = tl.events["release"]
        if "release" in ev or paid:
            base = tl.events.get("release", ev.get("pay", ev["create"]))
            order["rts_sla_time"] = base + 2 * DAY
            order["tts_sla_time"] = base + 3 * DAY
            order["shipping_due_time"] = base + 3 * DAY
            order["delivery_sla_time"] = base + 10 * DAY
        for name, field_name in (("rts", "rts_time"), ("collect", "collection_time"), ("deliver", "delivery_time"),
                                 ("cancel", "cancel_time"), ("request_cancel", "request_cancel_time")):
            if name in ev:
                order[field_name] = ev[name]
        if "cancel" in ev:
            order["cancellation_initiator"] = tl.initiator
            order["cancel_reason"] = catalog.CANCEL_REASONS[tl.initiator or "SYSTEM"]
        elif "request_cancel" in ev:
            order["cancel_reason"] = catalog.CANCEL_REASONS["BUYER"]
        if tl.plaintext_pii:
            order["buyer_message"] = f"{catalog.BUYER_MESSAGES[tl.index % 3]}: {self._plain_phone(tl, region)}"

        packages = sorted({u.package for u in units})
        shipped_packages = set()
        if "rts" in ev:
            order["shipping_provider"] = "TikTok Shipping"
            order["shipping_provider_id"] = "7117858858072016686"
            order["packages"] = [{"id": self._package_id(tl, k)} for k in packages]
            order["tracking_number"] = self._tracking(tl, packages[0])
            shipped_packages = {packages[0]} if "partial" in ev and "collect" not in ev else set(packages)
        order["line_items"] = [self._line(tl, k, u, status, ev, region, shipped_packages) for k, u in enumerate(units)]
        return order

    def _line(self, tl: Timeline, k: int, u: Unit, status: str, ev: dict, region: catalog.Region, shipped: set[int]) -> dict:
        item_status = status
        if tl.cancelled_unit == k and "item_cancel" in ev:
            item_status = "CANCELLED"
        elif status == "PARTIALLY_SHIPPING":
            item_status = "IN_TRANSIT" if u.package in shipped else "AWAITING_COLLECTION"
        line = {
            "id": u.line_id,
            "product_id": u.sku.product_id,
            "product_name": u.sku.product_name,
            "sku_id": u.sku.sku_id,
            "sku_name": u.sku.sku_name,
            "seller_sku": u.sku.seller_sku,
            "sku_type": "PRE_ORDER" if tl.scenario == PRE_ORDER else "NORMAL",
            "currency": region.currency,
            "original_price": _format(u.original, region),
            "sale_price": _format(u.sale, region),
            "seller_discount": _format(u.seller_discount, region),
            "platform_discount": _format(u.platform_discount, region),
            "display_status": item_status,
            "is_gift": False,
        }
        if item_status == "CANCELLED" and status != "CANCELLED":
            line["cancel_reason"] = catalog.CANCEL_REASONS["BUYER"]
            line["cancel_user"] = "BUYER"
        elif "rts" in ev:
            line["package_id"] = self._package_id(tl, u.package)
            line["tracking_number"] = self._tracking(tl, u.package)
            line["shipping_provider_name"] = "TikTok Shipping"
            line["rts_time"] = ev["rts"]
        return line

    def _address(self, tl: Timeline, region: catalog.Region) -> dict:
        state, city, district, zipcode = region.places[tl.extra["place"]]
        first = catalog.FIRST_NAMES[tl.extra["name"] % 10]
        last = catalog.LAST_NAMES[tl.extra["name"] // 10]
        street = f"{tl.extra['street_no']} {catalog.STREETS[tl.extra['name'] % len(catalog.STREETS)]}"
        phone = self._plain_phone(tl, region)
        masked_phone = phone[: len(region.phone_prefix) + 3] + "*****" + phone[-2:]
        address = {
            "name": f"{first} {last}" if tl.plaintext_pii else f"{first[0]}***{first[-1]} {last[0]}***",
            "phone": phone if tl.plaintext_pii else masked_phone,
            "first_name": first,
            "last_name": last,
            "full_address": f"{street}, {district}, {city}, {state}, {zipcode}",
            "address_detail": f"Unit {1 + tl.extra['street_no'] % 40}",
            "address_line_list": [street, f"Unit {1 + tl.extra['street_no'] % 40}", "", ""],
            "region_code": region.code,
            "state": state,
            "city": city,
            "district": district,
            "zipcode": zipcode,
            "postal_code": zipcode,
            "district_info": [
                {"address_level": "L0", "address_level_name": "Country", "address_name": region.code},
                {"address_level": "L1", "address_level_name": "State", "address_name": state},
                {"address_level": "L3", "address_level_name": "City", "address_name": city},
            ],
        }
        return address

    def _plain_phone(self, tl: Timeline, region: catalog.Region) -> str:
        return f"{region.phone_prefix}{digest(self.seed, tl.buyer, b'tts-phone') % 10**9:09d}"

    def _package_id(self, tl: Timeline, package: int) -> str:
        return permuted_id(self.seed + 101, tl.index * 2 + package, 18, leading=1)

    def _tracking(self, tl: Timeline, package: int) -> str:
        return f"TT{digest(self.seed, tl.index * 2 + package, b'tts-track') % 10**12:012d}"

    # ------------------------------------------------------------------ neutral facts
    def order_fact(self, i: int, now: int) -> OrderFact | None:
        """Order ``i`` in neutral terms at ``now`` (None before it exists)."""
        status = self.status_at(i, now)
        if status is None:
            return None
        tl = self.timelines[i]
        region = self.regions[tl.shop_index]
        order = self.order(i, now)
        paid_at = tl.events["pay"] if tl.events.get("pay", now + 1) <= now else None
        total = Decimal(order["payment"]["total_amount"])
        refund = Decimal(0)
        if status == "CANCELLED" and paid_at is not None:
            refund = total
        elif tl.cancelled_unit is not None and "item_cancel" in tl.events and tl.events["item_cancel"] <= now:
            refund = Decimal(_format(tl.units[tl.cancelled_unit].sale, region))
        neutral = {
            "UNPAID": "pending_payment",
            "ON_HOLD": "paid" if paid_at is not None else "pending_payment",
            "AWAITING_SHIPMENT": "paid",
            "AWAITING_COLLECTION": "paid",
            "PARTIALLY_SHIPPING": "shipped",
            "IN_TRANSIT": "shipped",
            "DELIVERED": "shipped",
            "COMPLETED": "completed",
            "CANCELLED": "cancelled",
        }[status]
        tracking = tuple(sorted({line["tracking_number"] for line in order["line_items"] if line.get("tracking_number")}))
        return OrderFact(
            channel="tiktok_shop",
            shop_id=self.shop_id_of(i),
            channel_order_id=tl.order_id,
            ordered_at=dt.datetime.fromtimestamp(tl.events["create"], dt.timezone.utc),
            paid_at=None if paid_at is None else dt.datetime.fromtimestamp(paid_at, dt.timezone.utc),
            status=neutral,
            paid_amount=total.quantize(Decimal("0.01")) if paid_at is not None else Decimal("0.00"),
            currency=region.currency,
            refund_amount=refund.quantize(Decimal("0.01")),
            tracking_numbers=tracking,
        )

    def order_facts(self, now: int) -> Iterator[OrderFact]:
        for i in range(self.n_orders):
            fact = self.order_fact(i, now)
            if fact is not None:
                yield fact


def _local_price(cents: int, region: catalog.Region) -> int:
    """A US-cent price in the region's minor units, rounded to the region's price step."""
    raw = Decimal(cents) * region.per_cent
    return max(region.step, _round_half_up(raw / region.step) * region.step)


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def _format(minor: int, region: catalog.Region) -> str:
    """Minor units as TikTok writes amounts: a decimal string in major units (``"12.99"``, ``"553000"``)."""
    if region.exponent == 0:
        return str(minor)
    return str((Decimal(minor) / (10**region.exponent)).quantize(Decimal(1).scaleb(-region.exponent)))
