"""Deterministic Shopify order generator (REST Admin ``Order`` shape, shared/channels/shopify.md §6).

``ShopifyOrderGenerator(seed, as_of, n_orders, shop_ids, days)`` plans ``n_orders`` orders created in the
``days`` before ``as_of``, spread over the shops (each with its own zone, currency, tax regime and display
currencies, see ``catalog.SHOP_PROFILES``). Each order has a *timeline* (created -> paid -> fulfilled, maybe
split -> delivered -> archived, or authorised / pending / voided / cancelled / refunded paths) that may run
past ``as_of``; :meth:`ShopifyOrderGenerator.render` draws the order as the REST API shows it at a clock
``now``: events after ``now`` have not happened and ``updated_at`` is the last event at or before ``now``.
Moving the clock forward therefore produces late updates.

Determinism: every choice for order ``i`` comes from BLAKE2b of (seed, i, purpose) (``common.synth``), so an
order renders identically in any order and on any machine. Money is computed in integer cents and written as
decimal strings, as Shopify does; presentment amounts are each shop amount × the display rate, rounded.

Ids: order ids are consecutive integers straddling 2**53 (half of them cannot survive a float), other ids
are 13-digit numbers like today's Shopify ids. Personal data is plaintext, as Shopify sends it; a share of
orders also carries a phone number or a name in ``note`` / ``note_attributes`` (free text the tap must drop).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from orderlayer.sandboxes.kit.synth import OrderFact, choose, digest, unit
from orderlayer.sandboxes.shopify import protocol as p
from orderlayer.sandboxes.shopify import catalog
from orderlayer.sandboxes.kit.world import DAY, OrderWorld

HOUR = 3_600
ID_CENTRE = 2**53  # order ids run from 2**53 - n/2 upwards

#: Lifecycle paths and their share per 10 000 orders.
SCENARIOS: dict[str, int] = {
    "normal": 5000,
    "auth_capture": 800,  # authorised at checkout, captured when fulfilled
    "pending_paid": 600,  # manual payment (bank deposit / COD), paid days later
    "pending_voided": 500,  # manual payment never arrives: cancelled, voided
    "cancel_refunded": 600,  # paid, cancelled before fulfilment, refunded in full
    "partial_refund": 1000,  # delivered, one unit refunded (sometimes after a failed attempt)
    "full_return": 500,  # delivered, everything returned and refunded; not cancelled
    "partial_open": 600,  # only part of the order fulfilled so far
    "test": 400,  # a test order (bogus gateway)
}
#: Orders (per 10 000) with free text holding personal data.
NOTE_PII_PER_10000 = 600
#: Share of partial refunds whose unit came back as a Return first (the others: refund only, no goods back).
RETURNED_PARTIAL_SHARE = 0.6
#: Shares of delivered normal orders with a Return the merchant declined / with one still under way.
DECLINED_RETURN_SHARE, OPEN_RETURN_SHARE = 0.04, 0.03
#: Share of delivered normal and partially refunded orders refunded again two to three months later.
LATE_REFUND_SHARE = 0.08


def _cents(value: int) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 100}.{value % 100:02d}"


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class LinePlan:
    line_id: int
    product: str
    product_id: int
    variant: str
    variant_id: int
    sku: str
    grams: int
    quantity: int
    price: int  # cents, shop currency
    discount: int  # allocated order discount, cents
    tax: int  # cents
    taxable: bool

    @property
    def gross(self) -> int:
        return self.price * self.quantity

    @property
    def net(self) -> int:
        return self.gross - self.discount


@dataclass(frozen=True)
class OrderPlan:
    """Everything about order ``index`` that does not depend on the clock."""

    index: int
    shop_index: int
    scenario: str
    order_id: int
    number: int
    created: int
    lines: tuple[LinePlan, ...]
    discount_code: tuple[str, int] | None
    shipping: int
    #: (currency, rate shop -> presentment) or None when the buyer saw the shop currency.
    presentment: tuple[str, Decimal] | None
    customer: int | None  # customer number; None = guest checkout
    events: dict[str, int]  # event -> epoch seconds (absent = never)
    fulfil_groups: tuple[tuple[int, ...], ...]  # line indexes per shipment
    cancel_reason: str | None
    gateway: str
    note_pii: bool

    @property
    def total_line_items(self) -> int:
        return sum(line.gross for line in self.lines)

    @property
    def total_discounts(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def subtotal(self) -> int:
        return self.total_line_items - self.total_discounts

    @property
    def total_tax(self) -> int:
        return sum(line.tax for line in self.lines)


def _is_subdomain(shop: str) -> bool:
    return p.SHOP_PATTERN.match(shop) is not None


class ShopifyOrderGenerator(OrderWorld):
    """Plans a deterministic universe of orders and renders each at any clock ``now >= as_of``."""

    shop_id_rule = (_is_subdomain, "a Shopify shop is a myshopify subdomain (lower-case letters, digits, hyphens)")

    def __init__(self, seed: int, as_of: dt.datetime, n_orders: int, shop_ids: Sequence[str], days: int = 30) -> None:
        super().__init__(seed, as_of, n_orders, shop_ids, days)
        self.profiles = [catalog.SHOP_PROFILES[k % len(catalog.SHOP_PROFILES)] for k in range(len(self.shop_ids))]
        self.zones = [ZoneInfo(profile.zone) for profile in self.profiles]
        self.plans = self._plan_all()
        self.start_ts = min((plan.created for plan in self.plans), default=self.as_of_ts)

    # ------------------------------------------------------------------ planning
    def _u(self, i: int, purpose: bytes) -> float:
        return unit(self.seed, i, purpose)

    def _pick(self, i: int, purpose: bytes, n: int) -> int:
        return digest(self.seed, i, purpose) % n

    def _between(self, i: int, purpose: bytes, low: int, high: int) -> int:
        return low + int(self._u(i, purpose) * (high - low))

    def _plan_all(self) -> list[OrderPlan]:
        shop_of = []
        weights = {str(k): max(1, round(100 / (k + 1))) for k in range(len(self.shop_ids))}  # shops differ in size
        for i in range(self.n_orders):
            shop_of.append(int(choose(self.seed, i, b"shop", weights)))
        created = [self._created(i, shop_of[i]) for i in range(self.n_orders)]
        # Ids and order numbers grow with creation time, as on the platform.
        by_time = sorted(range(self.n_orders), key=lambda i: (created[i], i))
        order_id = {i: ID_CENTRE - self.n_orders // 2 + rank for rank, i in enumerate(by_time)}
        per_shop: dict[int, int] = {}
        number: dict[int, int] = {}
        for i in by_time:
            per_shop[shop_of[i]] = per_shop.get(shop_of[i], 0) + 1
            number[i] = per_shop[shop_of[i]]
        return [self._plan(i, shop_of[i], created[i], order_id[i], number[i]) for i in range(self.n_orders)]

    def _created(self, i: int, shop: int) -> int:
        """A creation time in the window, more likely in the shop's local daytime."""
        zone = self.zones[shop]
        day = self._pick(i, b"day", self.days + 1)
        local_day = dt.datetime.fromtimestamp(self.window_start_ts, zone).date() + dt.timedelta(days=day)
        hour = int(choose(self.seed, i, b"hour", {str(h): w for h, w in enumerate(_HOUR_WEIGHTS)}))
        second = self._pick(i, b"second", HOUR)
        local = dt.datetime(local_day.year, local_day.month, local_day.day, hour, tzinfo=zone)
        ts = int(local.timestamp()) + second
        span = self.as_of_ts - self.window_start_ts
        return self.window_start_ts + (ts - self.window_start_ts) % span

    def _plan(self, i: int, shop: int, created: int, order_id: int, number: int) -> OrderPlan:
        profile = self.profiles[shop]
        scenario = choose(self.seed, i, b"scenario", SCENARIOS)
        n_lines = 1 + self._pick(i, b"n_lines", 3)
        if scenario == "partial_open":
            n_lines = max(n_lines, 2)
        raw_lines = []
        for k in range(n_lines):
            title, product_id, variants = catalog.PRODUCTS[self._pick(i * 8 + k, b"product", len(catalog.PRODUCTS))]
            variant, variant_id, sku, usd, grams = variants[self._pick(i * 8 + k, b"variant", len(variants))]
            quantity = 1 + (self._pick(i * 8 + k, b"qty", 10) // 7)  # mostly 1, some 2
            raw_lines.append((title, product_id, variant, variant_id, sku, self._price(usd, profile), grams, quantity))
        gross = [price * quantity for *_rest, price, _g, quantity in raw_lines]
        code = catalog.DISCOUNT_CODES[self._pick(i, b"code", 2)] if self._u(i, b"discount") < 0.25 else None
        discounts = _allocate(sum(gross) * code[1] // 100 if code else 0, gross)
        lines = []
        for k, (title, product_id, variant, variant_id, sku, price, grams, quantity) in enumerate(raw_lines):
            taxable = title != "Gift Card"
            net = gross[k] - discounts[k]
            rate = profile.tax_rate
            tax = 0 if not taxable else _round(net * rate / (1 + rate)) if profile.taxes_included else _round(net * rate)
            lines.append(LinePlan(14_000_000_000_000 + i * 4 + k, title, product_id, variant, variant_id, sku, grams,
                                  quantity, price, discounts[k], tax, taxable))
        subtotal = sum(gross) - sum(discounts)
        shipping = 0 if subtotal >= profile.free_shipping_from_cents else profile.flat_shipping_cents
        presentment = None
        if profile.presentment and self._u(i, b"presentment") < 0.2:
            presentment = profile.presentment[self._pick(i, b"pres_currency", len(profile.presentment))]
        customer = None if self._u(i, b"guest") < 0.1 else self._pick(i, b"customer", max(1, self.n_orders // 2))
        events, groups, reason = self._timeline(i, scenario, created, n_lines)
        manual = scenario in ("pending_paid", "pending_voided")
        gateway = "bogus" if scenario == "test" else (
            catalog.MANUAL_GATEWAYS[self._pick(i, b"gw", 2)] if manual else catalog.GATEWAYS[self._pick(i, b"gw", 2)])
        return OrderPlan(
            index=i, shop_index=shop, scenario=scenario, order_id=order_id, number=number, created=created,
            lines=tuple(lines), discount_code=code, shipping=shipping, presentment=presentment, customer=customer,
            events=events, fulfil_groups=groups, cancel_reason=reason, gateway=gateway,
            note_pii=digest(self.seed, i, b"note_pii") % 10_000 < NOTE_PII_PER_10000,
        )

    @staticmethod
    def _price(usd_cents: int, profile: catalog.ShopProfile) -> int:
        if profile.price_factor == 1:
            return usd_cents
        whole = _round(usd_cents * profile.price_factor / 100)
        return max(1, whole * 100 - 1)  # charm pricing: 82.99

    def _timeline(self, i: int, scenario: str, created: int, n_lines: int) -> tuple[dict[str, int], tuple[tuple[int, ...], ...], str | None]:
        ev: dict[str, int] = {"created": created}
        split = n_lines > 1 and (scenario == "partial_open" or self._u(i, b"split") < 0.4)
        groups: tuple[tuple[int, ...], ...] = ((0,), tuple(range(1, n_lines))) if split else (tuple(range(n_lines)),)
        reason = None

        def ship_from(start: int) -> None:
            ev["fulfil1"] = start + self._between(i, b"f1", 6 * HOUR, 3 * DAY)
            if self._u(i, b"f_cancel") < 0.05:
                ev["fulfil0_cancelled"] = ev["fulfil1"] - self._between(i, b"f0", HOUR, 6 * HOUR)
            last = ev["fulfil1"]
            if split and scenario != "partial_open":
                ev["fulfil2"] = last = ev["fulfil1"] + self._between(i, b"f2", 4 * HOUR, 2 * DAY)
            if scenario != "partial_open" and self._u(i, b"delivered") < 0.85:
                ev["delivered"] = last + self._between(i, b"dlv", DAY, 5 * DAY)
                if scenario in ("normal", "auth_capture", "pending_paid", "test") and self._u(i, b"close") < 0.5:
                    ev["closed"] = ev["delivered"] + self._between(i, b"cls", DAY, 3 * DAY)

        if scenario in ("normal", "test", "partial_open", "partial_refund", "full_return"):
            ev["paid"] = created
            ship_from(created)
        elif scenario == "auth_capture":
            ship_from(created)
            ev["paid"] = ev["fulfil1"]  # captured on fulfilment
        elif scenario == "pending_paid":
            ev["paid"] = created + self._between(i, b"pay", 6 * HOUR, 3 * DAY)
            ship_from(ev["paid"])
        elif scenario == "pending_voided":
            ev["cancelled"] = ev["closed"] = created + self._between(i, b"cancel", 2 * DAY, 5 * DAY)
            reason = catalog.CANCEL_REASONS_UNPAID[self._pick(i, b"reason", len(catalog.CANCEL_REASONS_UNPAID))]
        elif scenario == "cancel_refunded":
            ev["paid"] = created
            ev["cancelled"] = ev["closed"] = ev["refund"] = created + self._between(i, b"cancel", HOUR, 2 * DAY)
            reason = catalog.CANCEL_REASONS_PAID[self._pick(i, b"reason", len(catalog.CANCEL_REASONS_PAID))]
        if scenario in ("partial_refund", "full_return"):
            base = ev.get("delivered", ev.get("fulfil2", ev["fulfil1"]))
            ev["refund"] = base + self._between(i, b"refund", DAY, 7 * DAY)
            if scenario == "partial_refund" and self._u(i, b"refund_fail") < 0.3:
                ev["refund_failed"] = ev["refund"] - self._between(i, b"rf", 600, 2 * HOUR)
            if scenario == "full_return" or self._u(i, b"has_return") < RETURNED_PARTIAL_SHARE:
                # the goods come back first (a Return), then the money: requested, parcel sent, received
                ev["return_requested"] = max(base, ev["refund"] - 4 * DAY) + self._between(i, b"rq", HOUR, 6 * HOUR)
                ev["return_shipped"] = ev["return_requested"] + self._between(i, b"rs", 6 * HOUR, DAY)
                ev["return_received"] = max(ev["return_shipped"] + HOUR, ev["refund"] - self._between(i, b"rr", HOUR, 6 * HOUR))
        elif scenario == "normal" and "delivered" in ev:
            draw = self._u(i, b"return_case")
            if draw < DECLINED_RETURN_SHARE + OPEN_RETURN_SHARE:  # a return the merchant declined, or one under way
                ev["return_requested"] = ev["delivered"] + self._between(i, b"rq", HOUR, 3 * DAY)
                if draw < DECLINED_RETURN_SHARE:
                    ev["return_declined"] = ev["return_requested"] + self._between(i, b"rd", HOUR, DAY)
                else:
                    ev["return_shipped"] = ev["return_requested"] + self._between(i, b"rs", 6 * HOUR, DAY)
        if n_lines > 1 or scenario != "partial_refund":
            if scenario in ("normal", "partial_refund") and "delivered" in ev and self._u(i, b"late_refund") < LATE_REFUND_SHARE:
                # a goodwill refund (no goods back) two to three months after the order settled
                ev["late_refund"] = max(ev.values()) + self._between(i, b"lr", 60 * DAY, 90 * DAY)
        return ev, groups, reason

    # ------------------------------------------------------------------ the universe
    def indexes_for_shop(self, shop: str) -> list[int]:
        k = self.shop_ids.index(shop)
        return [plan.index for plan in self.plans if plan.shop_index == k]

    def updated_at(self, i: int, now: int) -> int:
        return max(ts for ts in self.plans[i].events.values() if ts <= now) if self.plans[i].created <= now else self.plans[i].created

    def visible(self, i: int, now: int) -> bool:
        return self.plans[i].created <= now

    # ------------------------------------------------------------------ money
    def refund_cents(self, plan: OrderPlan) -> int:
        """What the (successful) refund returns, in shop cents."""
        if plan.scenario == "partial_refund":
            line = plan.lines[0]
            subtotal, tax = self._unit_refund(plan, line)
            profile = self.profiles[plan.shop_index]
            return subtotal + (0 if profile.taxes_included else tax)
        if plan.scenario in ("full_return", "cancel_refunded"):
            return self.total_cents(plan)
        return 0

    def late_refund_cents(self, plan: OrderPlan) -> int:
        """The late goodwill refund: one unit of the last line (goods and its tax share), in shop cents."""
        subtotal, tax = self._unit_refund(plan, plan.lines[-1])
        return subtotal + (0 if self.profiles[plan.shop_index].taxes_included else tax)

    def refunded_cents(self, plan: OrderPlan, seen: dict[str, int]) -> int:
        """Everything refunded by the events in ``seen``, in shop cents."""
        return (self.refund_cents(plan) if "refund" in seen else 0) + (self.late_refund_cents(plan) if "late_refund" in seen else 0)

    def total_cents(self, plan: OrderPlan) -> int:
        profile = self.profiles[plan.shop_index]
        return plan.subtotal + plan.shipping + (0 if profile.taxes_included else plan.total_tax)

    @staticmethod
    def _unit_refund(plan: OrderPlan, line: LinePlan) -> tuple[int, int]:  # noqa: ARG004
        return _round(Decimal(line.net) / line.quantity), _round(Decimal(line.tax) / line.quantity)

    def shop_refund_amount(self, plan: OrderPlan, cents: int | None = None) -> Decimal:
        """A refund (default: the order's main one) in shop money as orderlayer derives it from the (presentment)
        refund transactions."""
        cents = self.refund_cents(plan) if cents is None else cents
        if plan.presentment is None or cents == 0:
            return Decimal(cents) / 100
        rate = plan.presentment[1]
        presented = _round(cents * rate)
        total = self.total_cents(plan)
        return (Decimal(presented) * total / _round(total * rate) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    # ------------------------------------------------------------------ rendering
    def render(self, i: int, now: int) -> dict:
        """Order ``i`` as ``GET orders.json`` shows it at clock ``now`` (personal data in plain text)."""
        return _Renderer(self, self.plans[i], now).order()

    def returns_of(self, i: int, now: int) -> list[dict]:
        """Order ``i``'s Returns as the Admin GraphQL API shows them at clock ``now``."""
        return _Renderer(self, self.plans[i], now).returns()

    def fact(self, i: int, now: int) -> OrderFact:
        plan = self.plans[i]
        seen = {k: v for k, v in plan.events.items() if v <= now}
        profile = self.profiles[plan.shop_index]
        if "cancelled" in seen:
            status = "cancelled"
        elif "closed" in seen:
            status = "completed"
        elif "fulfil1" in seen:
            status = "shipped"
        elif "paid" in seen:
            status = "paid"
        else:
            status = "pending_payment"
        renderer = _Renderer(self, plan, now)
        return OrderFact(
            channel="shopify",
            shop_id=self.shop_ids[plan.shop_index],
            channel_order_id=str(plan.order_id),
            ordered_at=dt.datetime.fromtimestamp(plan.created, dt.timezone.utc),
            paid_at=dt.datetime.fromtimestamp(seen["paid"], dt.timezone.utc) if "paid" in seen else None,
            status=status,
            paid_amount=Decimal(self.total_cents(plan)) / 100,
            currency=profile.currency,
            refund_amount=self.shop_refund_amount(plan, self.refunded_cents(plan, seen)),
            tracking_numbers=tuple(renderer.tracking_numbers()),
        )

    def facts(self, now: int) -> Iterator[OrderFact]:
        for plan in self.plans:
            if plan.created <= now:
                yield self.fact(plan.index, now)


# Hour-of-day weights (shop-local): quiet nights, evening peak.
_HOUR_WEIGHTS = (2, 1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 7, 6, 6, 6, 6, 7, 8, 9, 10, 9, 6, 3)


def _allocate(total: int, weights: list[int]) -> list[int]:
    """``total`` cents in proportion to ``weights``, the remainder on the largest weight."""
    if total == 0 or not weights:
        return [0] * len(weights)
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    shares[max(range(len(weights)), key=lambda k: (weights[k], -k))] += total - sum(shares)
    return shares


class _Renderer:
    """Draws one order plan at one clock."""

    def __init__(self, gen: ShopifyOrderGenerator, plan: OrderPlan, now: int) -> None:
        self.gen = gen
        self.plan = plan
        self.now = now
        self.profile = gen.profiles[plan.shop_index]
        self.zone = gen.zones[plan.shop_index]
        self.seen = {k: v for k, v in plan.events.items() if v <= now}
        self.shop = gen.shop_ids[plan.shop_index]
        self.pres_currency, self.rate = plan.presentment or (self.profile.currency, Decimal(1))

    def time(self, ts: int | None) -> str | None:
        return None if ts is None else dt.datetime.fromtimestamp(ts, self.zone).isoformat()

    def pres(self, cents: int) -> int:
        return cents if self.plan.presentment is None else _round(cents * self.rate)

    def money_set(self, cents: int) -> dict:
        return {
            "shop_money": {"amount": _cents(cents), "currency_code": self.profile.currency},
            "presentment_money": {"amount": _cents(self.pres(cents)), "currency_code": self.pres_currency},
        }

    def id(self, base: int, k: int = 0, stride: int = 8) -> int:
        return base + self.plan.index * stride + k

    # ---- people (plaintext, as Shopify sends it)
    def person(self, purpose: bytes) -> tuple[str, str]:
        key = self.plan.customer if self.plan.customer is not None else self.plan.index + 10**6
        first = catalog.FIRST_NAMES[digest(self.gen.seed, key, purpose + b"f") % len(catalog.FIRST_NAMES)]
        last = catalog.LAST_NAMES[digest(self.gen.seed, key, purpose + b"l") % len(catalog.LAST_NAMES)]
        return first, last

    def phone(self) -> str:
        key = self.plan.customer if self.plan.customer is not None else self.plan.index + 10**6
        d = digest(self.gen.seed, key, b"phone")
        return self.profile.phone_format.format(a=d % 10, b=d // 10 % 10, c=d // 100 % 10, d=f"{d // 1000 % 10000:04d}")

    def email(self) -> str:
        first, last = self.person(b"cust")
        key = self.plan.customer if self.plan.customer is not None else self.plan.index + 10**6
        domain = catalog.EMAIL_DOMAINS[key % len(catalog.EMAIL_DOMAINS)]
        return f"{first}.{last}{key % 97}@{domain}".lower().replace("'", "").replace("ü", "ue")

    def address(self, purpose: bytes) -> dict:
        first, last = self.person(b"cust")
        key = self.plan.customer if self.plan.customer is not None else self.plan.index + 10**6
        province, code, city = self.profile.regions[digest(self.gen.seed, key, b"region") % len(self.profile.regions)]
        street = catalog.STREETS[digest(self.gen.seed, key, b"street") % len(catalog.STREETS)]
        return {
            "first_name": first,
            "address1": f"{digest(self.gen.seed, key, purpose) % 300 + 1} {street}",
            "phone": self.phone(),
            "city": city,
            "zip": f"{digest(self.gen.seed, key, b'zip') % 90000 + 10000}",
            "province": province,
            "country": self.profile.country,
            "last_name": last,
            "address2": "",
            "company": None,
            "latitude": round(40 + (key % 1000) / 997, 6),
            "longitude": round(-74 + (key % 777) / 811, 6),
            "name": f"{first} {last}",
            "country_code": self.profile.country_code,
            "province_code": code,
        }

    def customer(self) -> dict | None:
        if self.plan.customer is None:
            return None
        first, last = self.person(b"cust")
        customer_id = 7_400_000_000_000 + self.plan.customer
        since = self.time(self.plan.created - DAY * (self.plan.customer % 400))
        address = self.address(b"home")
        return {
            "id": customer_id,
            "email": self.email(),
            "created_at": since,
            "updated_at": self.time(self.plan.created),
            "first_name": first,
            "last_name": last,
            "state": "enabled",
            "note": None,
            "verified_email": True,
            "multipass_identifier": None,
            "tax_exempt": False,
            "phone": self.phone(),
            "currency": self.profile.currency,
            "tags": "",
            "admin_graphql_api_id": f"gid://shopify/Customer/{customer_id}",
            "default_address": {"id": customer_id + 3_000_000, "customer_id": customer_id, **address, "default": True},
        }

    # ---- lines, shipments, refunds
    def line_item(self, line: LinePlan, fulfilled: bool) -> dict:
        return {
            "id": line.line_id,
            "admin_graphql_api_id": f"gid://shopify/LineItem/{line.line_id}",
            "variant_id": line.variant_id,
            "product_id": line.product_id,
            "title": line.product,
            "variant_title": line.variant,
            "name": f"{line.product} - {line.variant}",
            "sku": line.sku,
            "vendor": "Orderlayer Goods",
            "quantity": line.quantity,
            "current_quantity": line.quantity,
            "fulfillable_quantity": 0 if fulfilled else line.quantity,
            "fulfillment_status": "fulfilled" if fulfilled else None,
            "fulfillment_service": "manual",
            "requires_shipping": line.taxable,
            "taxable": line.taxable,
            "gift_card": not line.taxable,
            "grams": line.grams,
            "price": _cents(line.price),
            "price_set": self.money_set(line.price),
            "total_discount": "0.00",
            "total_discount_set": self.money_set(0),
            "discount_allocations": [
                {"amount": _cents(line.discount), "amount_set": self.money_set(line.discount), "discount_application_index": 0}
            ] if line.discount else [],
            "tax_lines": [
                {"title": self.profile.tax_title, "price": _cents(line.tax), "rate": float(self.profile.tax_rate),
                 "price_set": self.money_set(line.tax)}
            ] if line.taxable else [],
            "properties": [],
            "product_exists": True,
        }

    def fulfilled_lines(self) -> set[int]:
        done: set[int] = set()
        for k, group in enumerate(self.plan.fulfil_groups):
            if f"fulfil{k + 1}" in self.seen:
                done.update(group)
        return done

    def fulfillments(self) -> list[dict]:
        plan, out = self.plan, []
        carrier, prefix = self.profile.carriers[plan.index % len(self.profile.carriers)]
        if "fulfil0_cancelled" in self.seen:
            fid = self.id(5_100_000_000_000, 0)
            made = self.seen["fulfil0_cancelled"]
            cancelled = min(self.seen.get("fulfil1", self.now), self.now)
            out.append(self._fulfillment(fid, 0, "cancelled", made, cancelled, carrier, f"{prefix}{plan.order_id % 10**9:09d}0", None))
        for k, group in enumerate(plan.fulfil_groups):
            made = self.seen.get(f"fulfil{k + 1}")
            if made is None:
                continue
            delivered = self.seen.get("delivered")
            number = f"{prefix}{plan.order_id % 10**9:09d}{k + 1}"
            fulfillment = self._fulfillment(
                self.id(5_100_000_000_000, k + 1), k + 1, "success", made, delivered or made, carrier, number,
                "delivered" if delivered else "in_transit",
            )
            fulfillment["line_items"] = [self.line_item(plan.lines[j], True) for j in group]
            out.append(fulfillment)
        return out

    def _fulfillment(self, fid: int, k: int, status: str, made: int, updated: int, carrier: str, number: str, shipment: str | None) -> dict:
        return {
            "id": fid,
            "admin_graphql_api_id": f"gid://shopify/Fulfillment/{fid}",
            "order_id": self.plan.order_id,
            "name": f"{self.name()}.{k}",
            "status": status,
            "service": "manual",
            "shipment_status": shipment,
            "created_at": self.time(made),
            "updated_at": self.time(updated),
            "location_id": 61_234_567_890 + self.plan.shop_index,
            "tracking_company": carrier,
            "tracking_number": number,
            "tracking_numbers": [number],
            "tracking_url": f"https://track.example.com/{number}",
            "tracking_urls": [f"https://track.example.com/{number}"],
            "receipt": {},
            "line_items": [],
        }

    def tracking_numbers(self) -> list[str]:
        return sorted(n for f in self.fulfillments() if f["status"] == "success" for n in f["tracking_numbers"])

    def name(self) -> str:
        return f"{self.profile.name_prefix}{1000 + self.plan.number}"

    def refunds(self) -> list[dict]:
        return [*self._main_refund(), *self._late_refund()]

    def _main_refund(self) -> list[dict]:
        plan = self.plan
        if "refund" not in self.seen:
            return []
        gen, made = self.gen, self.seen["refund"]
        if plan.scenario == "partial_refund":
            line = plan.lines[0]
            subtotal, tax = gen._unit_refund(plan, line)  # noqa: SLF001
            items = [(line, 1, subtotal, tax)]
            adjustments: list[dict] = []
        else:
            items = [(line, line.quantity, line.net, line.tax) for line in plan.lines]
            adjustments = []
            if plan.shipping:
                adjustments.append({
                    "id": self.id(9_700_000_000_000), "order_id": plan.order_id, "refund_id": self.id(9_600_000_000_000),
                    "kind": "shipping_refund", "reason": "Shipping refund", "amount": _cents(-plan.shipping),
                    "amount_set": self.money_set(-plan.shipping), "tax_amount": "0.00", "tax_amount_set": self.money_set(0),
                })
        money = gen.refund_cents(plan)
        transactions = []
        if "refund_failed" in self.seen:
            transactions.append(self._transaction(self.id(6_800_000_000_000, 1), "failure", money, self.seen["refund_failed"]))
        transactions.append(self._transaction(self.id(6_800_000_000_000, 2), "success", money, made))
        if "fulfil1" not in self.seen:
            restock_type = "cancel"  # unfulfilled goods: removed from the order and restocked
        else:
            restock_type = "return" if "return_requested" in plan.events else "no_restock"
        note = "Customer changed their mind" if plan.scenario != "cancel_refunded" else None
        return [self._refund(self.id(9_600_000_000_000), made, items, transactions, adjustments, restock_type, note,
                             restock=plan.scenario != "partial_refund")]

    def _late_refund(self) -> list[dict]:
        """A goodwill refund months later: one unit of the last line, no goods back."""
        if "late_refund" not in self.seen:
            return []
        plan, gen, made = self.plan, self.gen, self.seen["late_refund"]
        subtotal, tax = gen._unit_refund(plan, plan.lines[-1])  # noqa: SLF001
        transactions = [self._transaction(self.id(6_800_000_000_000, 3), "success", gen.late_refund_cents(plan), made)]
        return [self._refund(self.id(9_600_000_000_000, 1), made, [(plan.lines[-1], 1, subtotal, tax)], transactions, [],
                             "no_restock", "Goodwill refund", restock=False, line_offset=4)]

    def _refund(self, rid: int, made: int, items: list[tuple[LinePlan, int, int, int]], transactions: list[dict],
                adjustments: list[dict], restock_type: str, note: str | None, *, restock: bool, line_offset: int = 0) -> dict:
        return {
            "id": rid,
            "admin_graphql_api_id": f"gid://shopify/Refund/{rid}",
            "order_id": self.plan.order_id,
            "created_at": self.time(made),
            "processed_at": self.time(made),
            "note": note,
            "restock": restock,
            "user_id": 88_000_000_001,
            "refund_line_items": [
                {
                    "id": self.id(9_800_000_000_000, line_offset + k),
                    "line_item_id": line.line_id,
                    "quantity": quantity,
                    "restock_type": restock_type,
                    "subtotal": _cents(subtotal),
                    "subtotal_set": self.money_set(subtotal),
                    "total_tax": _cents(tax),
                    "total_tax_set": self.money_set(tax),
                    "line_item": self.line_item(line, "fulfil1" in self.seen),
                }
                for k, (line, quantity, subtotal, tax) in enumerate(items)
            ],
            "transactions": transactions,
            "order_adjustments": adjustments,
        }

    def returns(self) -> list[dict]:
        """The order's Returns as the Admin GraphQL API shows them (``Order.returns``), at this clock."""
        plan, seen = self.plan, self.seen
        requested = seen.get("return_requested")
        if requested is None:
            return []
        rid = self.id(9_900_000_000_000)
        if "return_declined" in seen:
            status = "DECLINED"
        elif "refund" in seen:
            status = "CLOSED"
        elif "return_shipped" in seen or "return_received" in seen:
            status = "OPEN"
        else:
            status = "REQUESTED"
        lines = [plan.lines[0]] if plan.scenario != "full_return" else list(plan.lines)
        quantity = {line.line_id: (1 if plan.scenario != "full_return" else line.quantity) for line in lines}
        reason = catalog.RETURN_REASONS[plan.index % len(catalog.RETURN_REASONS)]
        node: dict = {
            "id": f"gid://shopify/Return/{rid}",
            "name": f"{self.name()}-R1",
            "status": status,
            "createdAt": self.time(requested),
            "requestApprovedAt": self.time(seen.get("return_shipped")),
            "closedAt": self.time(seen.get("refund")) if status == "CLOSED" else None,
            "decline": {"reason": "RETURN_PERIOD_ENDED", "note": None} if status == "DECLINED" else None,
            "totalQuantity": sum(quantity.values()),
            "returnLineItems": {"nodes": [
                {
                    "id": f"gid://shopify/ReturnLineItem/{self.id(9_910_000_000_000, k)}",
                    "quantity": quantity[line.line_id],
                    "returnReason": reason,
                    # the buyer's own words (free text: the tap drops it)
                    "customerNote": f"Please call me on {self.phone()}",
                    "fulfillmentLineItem": {"lineItem": {"id": f"gid://shopify/LineItem/{line.line_id}"}},
                }
                for k, line in enumerate(lines)
            ]},
            "refunds": {"nodes": [{"id": f"gid://shopify/Refund/{self.id(9_600_000_000_000)}"}] if "refund" in seen else []},
            "reverseFulfillmentOrders": {"nodes": []},
        }
        if "return_shipped" in seen:
            carrier, prefix = self.profile.carriers[(plan.index + 1) % len(self.profile.carriers)]
            received = "return_received" in seen
            node["reverseFulfillmentOrders"]["nodes"].append({
                "id": f"gid://shopify/ReverseFulfillmentOrder/{self.id(9_920_000_000_000)}",
                "status": "CLOSED" if received else "OPEN",
                "reverseDeliveries": {"nodes": [{
                    "id": f"gid://shopify/ReverseDelivery/{self.id(9_930_000_000_000)}",
                    "deliverable": {"tracking": {"number": f"R{prefix}{plan.order_id % 10**9:09d}", "carrierName": carrier}},
                }]},
                "lineItems": {"nodes": [
                    {"totalQuantity": quantity[line.line_id],
                     "dispositions": [{"type": "RESTOCKED" if plan.scenario == "full_return" else "NOT_RESTOCKED",
                                       "quantity": quantity[line.line_id]}] if received else []}
                    for line in lines
                ]},
            })
        return [node]

    def _transaction(self, tid: int, status: str, cents: int, made: int) -> dict:
        # Refund transactions move money in the buyer's (presentment) currency.
        return {
            "id": tid,
            "admin_graphql_api_id": f"gid://shopify/OrderTransaction/{tid}",
            "order_id": self.plan.order_id,
            "kind": "refund",
            "gateway": self.plan.gateway,
            "status": status,
            "message": "Refund declined by the card issuer" if status == "failure" else "Refunded",
            "created_at": self.time(made),
            "processed_at": self.time(made),
            "test": self.plan.scenario == "test",
            "amount": _cents(self.pres(cents)),
            "currency": self.pres_currency,
            "error_code": "card_declined" if status == "failure" else None,
            "parent_id": self.id(6_800_000_000_000, 0),
            "source_name": "web",
        }

    # ---- the order
    def financial_status(self) -> str:
        plan, seen = self.plan, self.seen
        if "refund" in seen:
            return "partially_refunded" if plan.scenario == "partial_refund" else "refunded"
        if "late_refund" in seen:
            return "partially_refunded"
        if plan.scenario == "pending_voided" and "cancelled" in seen:
            return "voided"
        if "paid" in seen:
            return "paid"
        return "authorized" if plan.scenario == "auth_capture" else "pending"

    def fulfillment_status(self) -> str | None:
        done = self.fulfilled_lines()
        if not done:
            return None
        return "fulfilled" if len(done) == len(self.plan.lines) else "partial"

    def note(self) -> tuple[str | None, list[dict]]:
        if not self.plan.note_pii:
            return None, []
        first, last = self.person(b"gift")
        if self.plan.index % 2:
            return f"Please call {self.phone()} before delivery", []
        return None, [{"name": "gift_message", "value": f"Happy birthday {first} {last}!"}]

    def order(self) -> dict:
        plan, profile = self.plan, self.profile
        gen = self.gen
        total = gen.total_cents(plan)
        refunded = gen.refunded_cents(plan, self.seen)
        outstanding = 0 if "paid" in self.seen or "cancelled" in self.seen else total
        note, note_attributes = self.note()
        code = plan.discount_code
        token = f"{digest(gen.seed, plan.index, b'token'):032x}"[:32]
        financial = self.financial_status()
        shipping_address = self.address(b"ship") if any(line.taxable for line in plan.lines) else None
        return {
            "id": plan.order_id,
            "admin_graphql_api_id": f"gid://shopify/Order/{plan.order_id}",
            "app_id": 580111,
            "browser_ip": f"203.0.113.{plan.index % 250 + 1}",
            "buyer_accepts_marketing": plan.index % 3 == 0,
            "cancel_reason": plan.cancel_reason if "cancelled" in self.seen else None,
            "cancelled_at": self.time(self.seen.get("cancelled")),
            "cart_token": token,
            "checkout_id": plan.order_id - 3_000_000_000,
            "checkout_token": token[::-1],
            "client_details": {
                "accept_language": "en-US,en;q=0.9",
                "browser_height": None,
                "browser_ip": f"203.0.113.{plan.index % 250 + 1}",
                "browser_width": None,
                "session_hash": f"{digest(gen.seed, plan.index, b'session'):040x}"[:40],
                "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15",
            },
            "closed_at": self.time(self.seen.get("closed")),
            "confirmation_number": f"{digest(gen.seed, plan.index, b'conf'):X}"[:9],
            "confirmed": True,
            "contact_email": self.email(),
            "created_at": self.time(plan.created),
            "currency": profile.currency,
            "current_subtotal_price": _cents(plan.subtotal - min(refunded, plan.subtotal)),
            "current_total_discounts": _cents(plan.total_discounts),
            "current_total_price": _cents(total - refunded),
            "current_total_price_set": self.money_set(total - refunded),
            "current_total_tax": _cents(plan.total_tax),
            "customer_locale": "en",
            "discount_codes": [{"code": code[0], "amount": _cents(plan.total_discounts), "type": "percentage"}] if code else [],
            "email": self.email(),
            "estimated_taxes": False,
            "financial_status": financial,
            "fulfillment_status": self.fulfillment_status(),
            "landing_site": "/products/merino-crew-sweater",
            "location_id": None,
            "name": self.name(),
            "note": note,
            "note_attributes": note_attributes,
            "number": plan.number,
            "order_number": 1000 + plan.number,
            "order_status_url": f"https://{p.shop_domain(self.shop)}/{61_000_000 + plan.shop_index}/orders/{token}/authenticate?key={token[:16]}",
            "payment_gateway_names": [plan.gateway],
            "phone": self.phone() if plan.index % 4 == 0 else None,
            "presentment_currency": self.pres_currency,
            "processed_at": self.time(plan.created),
            "reference": None,
            "referring_site": "https://www.example.org/",
            "source_identifier": None,
            "source_name": "web",
            "subtotal_price": _cents(plan.subtotal),
            "subtotal_price_set": self.money_set(plan.subtotal),
            "tags": "",
            "tax_lines": [
                {"title": profile.tax_title, "price": _cents(plan.total_tax), "rate": float(profile.tax_rate),
                 "price_set": self.money_set(plan.total_tax)}
            ] if plan.total_tax else [],
            "taxes_included": profile.taxes_included,
            "test": plan.scenario == "test",
            "token": token,
            "total_discounts": _cents(plan.total_discounts),
            "total_discounts_set": self.money_set(plan.total_discounts),
            "total_line_items_price": _cents(plan.total_line_items),
            "total_line_items_price_set": self.money_set(plan.total_line_items),
            "total_outstanding": _cents(outstanding),
            "total_price": _cents(total),
            "total_price_set": self.money_set(total),
            "total_shipping_price_set": self.money_set(plan.shipping),
            "total_tax": _cents(plan.total_tax),
            "total_tax_set": self.money_set(plan.total_tax),
            "total_tip_received": "0.00",
            "total_weight": sum(line.grams * line.quantity for line in plan.lines),
            "updated_at": self.time(gen.updated_at(plan.index, self.now)),
            "user_id": None,
            "billing_address": self.address(b"bill"),
            "customer": self.customer(),
            "discount_applications": [
                {"type": "discount_code", "code": code[0], "value": f"{code[1]}.0", "value_type": "percentage",
                 "allocation_method": "across", "target_selection": "all", "target_type": "line_item"}
            ] if code else [],
            "fulfillments": self.fulfillments(),
            "line_items": [self.line_item(line, j in self.fulfilled_lines()) for j, line in enumerate(plan.lines)],
            "payment_terms": None,
            "refunds": self.refunds(),
            "shipping_address": shipping_address,
            "shipping_lines": [
                {"id": self.id(4_300_000_000_000), "code": "Standard", "title": "Standard Shipping", "source": "shopify",
                 "price": _cents(plan.shipping), "price_set": self.money_set(plan.shipping),
                 "discounted_price": _cents(plan.shipping), "discounted_price_set": self.money_set(plan.shipping),
                 "tax_lines": []}
            ],
        }
