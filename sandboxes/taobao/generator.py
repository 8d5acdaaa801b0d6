"""Deterministic Taobao / Tmall trade generator.

``TradeGenerator(seed, as_of, n_orders, shop_ids, days)`` describes ``n_orders`` trades created during
the ``days`` before ``as_of``. Each trade has a *timeline* (created -> paid -> shipped -> signed ->
finished, or closed unpaid, refunded, presale phases, COD, group-buy hold, partial shipment, international
card confirmation) that may run past ``as_of``; :meth:`TradeGenerator.trade` renders the trade at any
clock ``now``: events after ``now`` have not happened and ``modified`` is the last event at or before
``now``. Moving the clock forward therefore produces late updates.

Determinism: trade ``i`` depends only on (seed, i, as_of, days, shop_ids); randomness comes from
:func:`orderlayer.sandboxes.kit.synth.digest`, never from shared RNG state.

Payload shape follows shared/channels/taobao.md §5/§6: ``Trade`` with ``orders: {order: [...]}``, 18-digit
ids (about one trade in seven sends ``tid``/``oid`` as JSON numbers, and the first three trades carry ids
at the 2**53 boundary), yuan strings, naive Beijing times, sub-order ``refund_status``, ``step`` presale
fields, masked receivers with an OAID. :data:`PLAINTEXT_PII_PER_10000` of trades carry plaintext receiver
fields instead of masks, so tests can prove the tap removes them.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from itertools import accumulate

from orderlayer.sandboxes.kit.after_sales import LATE, draw_extra
from orderlayer.sandboxes.kit.world import DAY, Draws, OrderWorld, local_midnight, shop_cuts
from orderlayer.sandboxes.kit.synth import OrderFact, digest
from orderlayer.sandboxes.taobao.protocol import format_time
from orderlayer.sandboxes.taobao import catalog

HOUR = 3_600
MINUTE = 60
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

PLAINTEXT_PII_PER_10000 = 300
NUMERIC_ID_PER_10000 = 1_500
#: 2**53 - 1, 2**53 + 1, 2**53 + 3: the last two are not representable as a double.
BOUNDARY_TIDS = ("9007199254740991", "9007199254740993", "9007199254740995")
UNPAID_CLOSE_SECONDS = DAY
#: TOP's default trade types (what is searched when ``type`` is omitted).
DEFAULT_SEARCH_TYPES = frozenset({"guarantee_trade", "auto_delivery", "ec", "cod", "step"})

# scenario -> share per 10 000
SCENARIOS: dict[str, int] = {
    "normal": 6200,
    "unpaid_closed": 700,
    "refund_before_ship": 500,
    "refund_after_ship": 400,
    "aftersale_open": 300,
    "presale_paid": 500,
    "presale_deposit_only": 300,
    "cod": 300,
    "group_hold": 300,
    "partial_ship": 300,
    "intl_card": 200,
}
_SCENARIO_NAMES = tuple(SCENARIOS)
_SCENARIO_CUTS = tuple(accumulate(SCENARIOS.values()))
assert _SCENARIO_CUTS[-1] == 10_000
_MULTI_LINE = frozenset({"refund_after_ship", "partial_ship"})

#: A finished normal trade's extra refund on sub-order 0 (drawn apart from the timeline, so no other draw moved):
#: part of the line refunded without a return, a return the seller refused, a request the buyer withdrew, a
#: return refunded months after the trade. Per 10 000 normal trades, cumulative in this order.
EXTRA_REFUNDS = (("partial", 600), ("refused", 300), ("withdrawn", 200), (LATE, 300))
_HOUR_CUTS = tuple(accumulate(catalog.HOUR_WEIGHTS))


@dataclass(frozen=True)
class Line:
    item: int
    sku: int
    num: int
    discount: Decimal  # sub-order discount_fee
    mjz: Decimal = ZERO  # share of the order-level discount (part_mjz_discount)

    @property
    def price(self) -> Decimal:
        return Decimal(catalog.ITEMS[self.item][3][self.sku][2])

    @property
    def goods(self) -> Decimal:
        return self.price * self.num

    @property
    def total_fee(self) -> Decimal:
        return self.goods - self.discount

    @property
    def divide_order_fee(self) -> Decimal:
        return self.total_fee - self.mjz


@dataclass(frozen=True)
class Timeline:
    """Everything about trade ``index`` that does not depend on the clock."""

    index: int
    shop: int
    created: int
    scenario: str
    trade_type: str
    events: dict[str, int]
    lines: tuple[Line, ...]
    post_fee: Decimal
    order_discount: Decimal
    tax: Decimal
    tid: str
    oids: tuple[str, ...]
    numeric_ids: bool
    plaintext_pii: bool
    refund_lines: frozenset[int] = field(default_factory=frozenset)
    #: One of EXTRA_REFUNDS (events ``extra_apply`` / ``extra_done``), or "".
    extra: str = ""

    def at(self, name: str, now: int) -> int | None:
        """When event ``name`` happened, if it has by ``now``."""
        when = self.events.get(name)
        return when if when is not None and when <= now else None

    @property
    def payment(self) -> Decimal:
        return sum((line.divide_order_fee for line in self.lines), ZERO) + self.post_fee + self.tax

    @property
    def deposit(self) -> Decimal:
        return (self.payment * Decimal("0.2")).quantize(Decimal("1"), rounding=ROUND_DOWN).quantize(CENT)


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT))


class TradeGenerator(OrderWorld):
    """Lazily renders the trades of one deterministic universe (see module docstring)."""

    def __init__(
        self,
        seed: int,
        as_of: dt.datetime,
        n_orders: int,
        shop_ids: Sequence[str],
        days: int = 30,
        *,
        tmall_shops: Sequence[str] | None = None,
    ) -> None:
        super().__init__(seed, as_of, n_orders, shop_ids, days)
        # Every other shop is a Tmall (B) shop unless told otherwise.
        self.tmall_shops = frozenset(tmall_shops if tmall_shops is not None else self.shop_ids[1::2])
        self._shop_cuts = shop_cuts(len(self.shop_ids))
        self._midnight0 = local_midnight(self.window_start_ts, dt.timezone(dt.timedelta(hours=8)))
        self._timelines = [self._build(i) for i in range(self.n_orders)]
        self.start_ts = min((tl.created for tl in self._timelines), default=self.as_of_ts)

    # ------------------------------------------------------------------ timelines
    def _build(self, i: int) -> Timeline:  # noqa: PLR0915 - one linear recipe per scenario
        take = Draws(self.seed, i, b"tb-timeline").take

        span = self.days * DAY
        hour = bisect.bisect_right(_HOUR_CUTS, take(_HOUR_CUTS[-1]))
        local = self._midnight0 + take(self.days + 1) * DAY + hour * HOUR + take(HOUR)
        created = self.window_start_ts + (local - self.window_start_ts) % span
        scenario = _SCENARIO_NAMES[bisect.bisect_right(_SCENARIO_CUTS, take(10_000))]
        shop = bisect.bisect_right(self._shop_cuts, take(10_000))

        n_lines = 2 + take(2) if scenario in _MULTI_LINE else (1 if take(100) < 70 or scenario.startswith("presale") else 2)
        picks: list[tuple[int, int]] = []
        while len(picks) < n_lines:
            item = take(len(catalog.ITEMS))
            pick = (item, take(len(catalog.ITEMS[item][3])))
            if pick not in picks:
                picks.append(pick)
        lines = []
        for item, sku in picks:
            num = 1 + (take(3) if take(4) == 0 else 0)
            price = Decimal(catalog.ITEMS[item][3][sku][2])
            discount = (price * num * Decimal("0.05")).quantize(CENT) if take(5) == 0 else ZERO
            lines.append(Line(item, sku, num, discount))
        goods = sum((ln.total_fee for ln in lines), ZERO)
        order_discount = Decimal("20.00") if goods >= Decimal("200") and take(3) == 0 else ZERO
        lines = _allocate(lines, order_discount)
        post_fee = (ZERO, Decimal("8.00"), Decimal("10.00"))[take(3)] if goods < Decimal("99") else ZERO

        trade_type = {"presale_paid": "step", "presale_deposit_only": "step", "cod": "cod", "intl_card": "tmall_i18n"}.get(
            scenario, "fixed" if take(2) == 0 else "guarantee_trade"
        )
        tax = (goods * Decimal("0.091")).quantize(CENT) if trade_type == "tmall_i18n" else ZERO

        ev: dict[str, int] = {}
        refund_lines: frozenset[int] = frozenset()

        def deliver(after: int) -> None:
            ev["ship"] = after + 2 * HOUR + take(3 * DAY)
            ev["sign"] = ev["ship"] + DAY + take(2 * DAY)
            ev["finish"] = ev["sign"] + take(5 * DAY)

        if scenario == "unpaid_closed":
            ev["close"] = created + UNPAID_CLOSE_SECONDS
        elif scenario in ("presale_paid", "presale_deposit_only"):
            ev["pay"] = created + 10 + take(590)  # the deposit (定金)
            if scenario == "presale_paid":
                ev["balance"] = created + DAY + take(2 * DAY)
                deliver(ev["balance"])
        elif scenario == "cod":
            deliver(created + take(HOUR))
            ev["pay"] = ev["sign"]  # cash on delivery: paid when signed for
        else:
            if scenario == "intl_card":
                ev["pay_pending"] = created + 30
                ev["pay"] = created + 10 * MINUTE + take(50 * MINUTE)
            else:
                ev["pay"] = created + 10 + take(890)
            after = ev["pay"]
            if scenario == "group_hold":
                ev["release"] = after + HOUR + take(29 * HOUR)
                after = ev["release"]
            if scenario == "refund_before_ship":
                ev["refund_apply"] = after + HOUR + take(19 * HOUR)
                ev["refund_done"] = ev["refund_apply"] + HOUR + take(23 * HOUR)
                ev["close"] = ev["refund_done"]
                refund_lines = frozenset(range(len(lines)))
            else:
                if scenario == "partial_ship":
                    ev["ship_part"] = after + 2 * HOUR + take(DAY)
                    after = ev["ship_part"]
                deliver(after)
                if scenario in ("refund_after_ship", "aftersale_open"):
                    ev["refund_apply"] = ev["sign"] + HOUR + take(DAY)
                    refund_lines = frozenset({0})
                    del ev["finish"]
                    if scenario == "refund_after_ship":
                        ev["refund_done"] = ev["refund_apply"] + HOUR + take(2 * DAY)
                        ev["finish"] = ev["refund_done"] + take(4 * DAY)

        extra = self._extra_refund(i, ev) if scenario == "normal" else ""
        numeric = take(10_000) < NUMERIC_ID_PER_10000 or i < len(BOUNDARY_TIDS)
        pii = take(10_000) < PLAINTEXT_PII_PER_10000
        tid = BOUNDARY_TIDS[i] if i < len(BOUNDARY_TIDS) else _permuted(self.seed, i, 2)
        oids = (tid,) if len(lines) == 1 else tuple(_permuted(self.seed, i * 4 + k, 3) for k in range(len(lines)))
        return Timeline(
            index=i,
            shop=shop,
            created=created,
            scenario=scenario,
            trade_type=trade_type,
            events=ev,
            lines=tuple(lines),
            post_fee=post_fee,
            order_discount=order_discount,
            tax=tax,
            tid=tid,
            oids=oids,
            numeric_ids=numeric,
            plaintext_pii=pii,
            refund_lines=refund_lines,
            extra=extra,
        )

    def _extra_refund(self, i: int, ev: dict[str, int]) -> str:
        """Draw a finished normal trade's extra refund (EXTRA_REFUNDS) into ``ev``; "" for most trades."""
        kind, apply, done = draw_extra(self.seed, i, b"tb-refund-extra", EXTRA_REFUNDS, ev["finish"])
        if kind:
            ev["extra_apply"], ev["extra_done"] = apply, done
        return kind

    # ------------------------------------------------------------------ accessors
    def timeline(self, i: int) -> Timeline:
        return self._timelines[i]

    def __len__(self) -> int:
        return self.n_orders

    def shop_of(self, i: int) -> str:
        return self.shop_ids[self._timelines[i].shop]

    def tid_of(self, i: int) -> str:
        return self._timelines[i].tid

    def indexes_for_shop(self, shop_id: str) -> list[int]:
        k = self.shop_ids.index(str(shop_id))
        return [tl.index for tl in self._timelines if tl.shop == k]

    def has_plaintext_pii(self, i: int) -> bool:
        return self._timelines[i].plaintext_pii

    def modified_at(self, i: int, now: int) -> int | None:
        """``modified`` of trade ``i`` at clock ``now`` (None: not created yet)."""
        tl = self._timelines[i]
        if tl.created > now:
            return None
        return max([tl.created, *(when for when in tl.events.values() if when <= now)])

    # ------------------------------------------------------------------ rendering
    def status_at(self, i: int, now: int) -> str:
        tl = self._timelines[i]
        at = tl.at
        if at("close", now):
            return "TRADE_CLOSED" if at("pay", now) else "TRADE_CLOSED_BY_TAOBAO"
        if at("finish", now):
            return "TRADE_FINISHED"
        if tl.trade_type == "cod" and at("sign", now):
            return "TRADE_BUYER_SIGNED"
        if at("ship", now):
            return "WAIT_BUYER_CONFIRM_GOODS"
        if at("ship_part", now):
            return "SELLER_CONSIGNED_PART"
        if tl.trade_type == "step":
            return "WAIT_SELLER_SEND_GOODS" if at("balance", now) else "WAIT_BUYER_PAY"
        if tl.trade_type == "cod":
            return "WAIT_SELLER_SEND_GOODS"
        if at("pay", now):
            return "PAID_FORBID_CONSIGN" if "release" in tl.events and not at("release", now) else "WAIT_SELLER_SEND_GOODS"
        if at("pay_pending", now):
            return "PAY_PENDING"
        return "WAIT_BUYER_PAY"

    def trade(self, i: int, now: int, bumped: int | None = None) -> dict:
        """Trade ``i`` as TOP returns it at clock ``now`` (``bumped``: a later no-op modification)."""
        tl = self._timelines[i]
        modified = self.modified_at(i, now)
        if modified is None:
            msg = f"trade {i} is not created at {now}"
            raise ValueError(msg)
        if bumped is not None:
            modified = max(modified, bumped)
        at = tl.at
        status = self.status_at(i, now)
        shop = self.shop_ids[tl.shop]
        r = digest(self.seed, i, b"tb-people")
        tid: str | int = int(tl.tid) if tl.numeric_ids else tl.tid
        refunded = ZERO
        orders = []
        for k, line in enumerate(tl.lines):
            sub, refund_paid = self._sub_order(tl, k, line, status, now)
            refunded += refund_paid
            orders.append(sub)
        trade: dict = {
            "tid": tid,
            "tid_str": tl.tid,
            "type": tl.trade_type,
            "status": status,
            "created": format_time(tl.created),
            "modified": format_time(modified),
            "payment": _money(tl.payment),
            "total_fee": _money(sum((ln.goods for ln in tl.lines), ZERO)),
            "post_fee": _money(tl.post_fee),
            "discount_fee": _money(sum((ln.discount for ln in tl.lines), ZERO) + tl.order_discount),
            "adjust_fee": "0.00",
            "received_payment": _money(tl.payment - refunded) if at("finish", now) else "0.00",
            "platform_subsidy_fee": "0.00",
            "paid_coupon_fee": "0.00",
            "coupon_fee": 0,
            "seller_nick": catalog.SHOP_NICKS[tl.shop % len(catalog.SHOP_NICKS)],
            "buyer_nick": f"tb{r % 10**9:09d}",
            "buyer_open_uid": f"AAH{(r >> 40) % 36**20:020x}"[:27],
            "shipping_type": "express",
            "trade_from": "WAP,TAOBAO" if r % 3 else "TAOBAO",
            "buyer_message": catalog.BUYER_MESSAGES[(r >> 8) % len(catalog.BUYER_MESSAGES)],
            "seller_flag": 0,
            "orders": {"order": orders},
        }
        if tl.trade_type == "tmall_i18n":
            trade["order_tax_fee"] = _money(tl.tax)
        if tl.trade_type == "step":
            paid = at("pay", now)
            balance = at("balance", now)
            trade["step_trade_status"] = (
                "FRONT_PAID_FINAL_PAID" if balance else "FRONT_PAID_FINAL_NOPAID" if paid else "FRONT_NOPAID_FINAL_NOPAID"
            )
            trade["step_paid_fee"] = _money(tl.payment if balance else tl.deposit if paid else ZERO)
        for name, key in (("pay", "pay_time"), ("sign", "sign_time"), ("finish", "end_time"), ("close", "end_time")):
            when = at(name, now)
            if when:
                trade[key] = format_time(when)
        first_ship = at("ship_part", now) or at("ship", now)
        if first_ship:
            trade["consign_time"] = format_time(first_ship)
        trade["est_con_time"] = format_time(tl.created + 3 * DAY)
        trade.update(self._receiver(tl, r, shop))
        return trade

    def _sub_order(self, tl: Timeline, k: int, line: Line, status: str, now: int) -> tuple[dict, Decimal]:
        title, num_iid, cid, skus = catalog.ITEMS[line.item]
        sku_id, props, price, outer_sku = skus[line.sku]
        at = tl.at
        oid: str | int = int(tl.oids[k]) if tl.numeric_ids else tl.oids[k]
        shipped = at("ship", now) or (at("ship_part", now) if k == 0 else None)
        sub: dict = {
            "oid": oid,
            "num_iid": num_iid,
            "cid": cid,
            "title": title,
            "outer_iid": outer_sku.split("-")[0],
            "num": line.num,
            "price": price,
            "total_fee": _money(line.total_fee),
            "payment": _money(line.divide_order_fee),
            "divide_order_fee": _money(line.divide_order_fee),
            "part_mjz_discount": _money(line.mjz),
            "discount_fee": _money(line.discount),
            "adjust_fee": "0.00",
            "seller_type": "B" if self.shop_ids[tl.shop] in self.tmall_shops else "C",
            "refund_status": "NO_REFUND",
            "status": status,
            "shipping_type": "express",
            "buyer_rate": False,
            "seller_rate": False,
            "pic_path": f"https://img.alicdn.com/bao/uploaded/i{line.item % 4 + 1}/{num_iid}.jpg",
        }
        if sku_id:
            sub["sku_id"] = sku_id
            sub["sku_properties_name"] = props
            sub["outer_sku_id"] = outer_sku
        if status == "SELLER_CONSIGNED_PART":
            sub["status"] = "WAIT_BUYER_CONFIRM_GOODS" if shipped else "WAIT_SELLER_SEND_GOODS"
        if shipped:
            parcel = 1 if k == 0 and "ship_part" in tl.events else 0  # a partial shipment is a second parcel
            carrier, prefix = catalog.CARRIERS[(tl.index + parcel) % len(catalog.CARRIERS)]
            sub["consign_time"] = format_time(shipped)
            sub["logistics_company"] = carrier
            sub["invoice_no"] = f"{prefix}{(digest(self.seed, tl.index * 8 + parcel, b'tb-parcel') % 10**11):011d}"
        refund_paid = ZERO
        if k in tl.refund_lines and at("refund_apply", now):
            sub["refund_id"] = int(tl.tid[-12:]) * 10 + k
            if at("refund_done", now):
                sub["refund_status"] = "SUCCESS"
                sub["status"] = "TRADE_CLOSED"
                sub["end_time"] = format_time(tl.events["refund_done"])
                refund_paid = line.divide_order_fee
            elif shipped and now - tl.events["refund_apply"] >= 6 * HOUR:
                sub["refund_status"] = "WAIT_BUYER_RETURN_GOODS"
            else:
                sub["refund_status"] = "WAIT_SELLER_AGREE"
        if k == 0 and tl.extra and at("extra_apply", now):
            state = refund_state(tl, now)
            sub["refund_id"] = int(tl.tid[-12:]) * 10
            sub["refund_status"] = state
            if state == "SUCCESS":
                refund_paid = extra_refund_fee(self.seed, tl)
        if status in ("TRADE_FINISHED",) and "end_time" not in sub:
            sub["end_time"] = format_time(tl.events["finish"])
        return sub, refund_paid

    def _receiver(self, tl: Timeline, r: int, shop: str) -> dict:
        province, cities = catalog.PLACES[(r >> 16) % len(catalog.PLACES)]
        city, districts = cities[(r >> 20) % len(cities)]
        district = districts[(r >> 24) % len(districts)]
        surname = catalog.SURNAMES[(r >> 28) % len(catalog.SURNAMES)]
        given = catalog.GIVEN_NAMES[(r >> 32) % len(catalog.GIVEN_NAMES)]
        mobile = catalog.MOBILE_PREFIXES[(r >> 36) % len(catalog.MOBILE_PREFIXES)] + f"{(r >> 44) % 10**8:08d}"
        road = catalog.ROADS[(r >> 72) % len(catalog.ROADS)]
        address = f"{road}{(r >> 76) % 300 + 1}号{(r >> 84) % 30 + 1}栋{(r >> 90) % 2000 + 101}室"
        receiver = {
            "receiver_state": province,
            "receiver_city": city,
            "receiver_district": district,
            "receiver_town": catalog.TOWNS[(r >> 96) % len(catalog.TOWNS)],
            "receiver_zip": "000000",
            "receiver_country": "",
            "oaid": f"1{digest(self.seed, tl.index, b'tb-oaid') % 36**30:030x}{shop[-2:]}",
        }
        if tl.plaintext_pii:  # what an app with decrypt rights (or a misconfigured proxy) would see
            receiver |= {"receiver_name": surname + given, "receiver_mobile": mobile, "receiver_phone": "", "receiver_address": address}
        else:
            receiver |= {
                "receiver_name": surname + "**",
                "receiver_mobile": f"{mobile[:3]}****{mobile[-4:]}",
                "receiver_phone": "",
                "receiver_address": f"{road}**号***",
            }
        return receiver

    def plaintext_receiver(self, i: int) -> dict[str, str]:
        """The plaintext receiver fields a PII-planted trade carries (for tests)."""
        tl = self._timelines[i]
        fields = self._receiver(tl, digest(self.seed, i, b"tb-people"), self.shop_ids[tl.shop])
        return {k: fields[k] for k in ("receiver_name", "receiver_mobile", "receiver_address")}

    # ------------------------------------------------------------------ neutral facts
    def order_fact(self, i: int, now: int) -> OrderFact:
        tl = self._timelines[i]
        trade = self.trade(i, now)
        status = trade["status"]
        canonical = (
            "cancelled" if status in ("TRADE_CLOSED", "TRADE_CLOSED_BY_TAOBAO")
            else "completed" if status == "TRADE_FINISHED"
            else "shipped" if status in ("SELLER_CONSIGNED_PART", "WAIT_BUYER_CONFIRM_GOODS", "TRADE_BUYER_SIGNED")
            else "paid" if status in ("WAIT_SELLER_SEND_GOODS", "PAID_FORBID_CONSIGN")
            else "pending_payment"
        )  # fmt: skip
        paid_at = tl.at("balance", now) if tl.trade_type == "step" else tl.at("pay", now)
        refund = sum(
            (Decimal(o["payment"]) for o in trade["orders"]["order"] if o["refund_status"] == "SUCCESS"), ZERO
        )
        parcels = sorted({o["invoice_no"] for o in trade["orders"]["order"] if o.get("invoice_no")})
        shanghai = dt.timezone(dt.timedelta(hours=8))
        return OrderFact(
            channel="taobao",
            shop_id=self.shop_ids[tl.shop],
            channel_order_id=tl.tid,
            ordered_at=dt.datetime.fromtimestamp(tl.created, shanghai),
            paid_at=dt.datetime.fromtimestamp(paid_at, shanghai) if paid_at else None,
            status=canonical,
            paid_amount=tl.payment.quantize(CENT),
            currency="CNY",
            refund_amount=refund.quantize(CENT),
            tracking_numbers=tuple(parcels),
        )

    def facts(self, now: int) -> Iterator[OrderFact]:
        for i in range(self.n_orders):
            if self._timelines[i].created <= now:
                yield self.order_fact(i, now)


def refund_state(tl: Timeline, now: int) -> str:
    """The status of a finished trade's extra refund at ``now`` (TOP's refund status vocabulary)."""
    if not tl.at("extra_done", now):
        return "WAIT_SELLER_AGREE"
    return {"partial": "SUCCESS", "refused": "SELLER_REFUSE_BUYER", "withdrawn": "CLOSED", "late": "SUCCESS"}[tl.extra]


def extra_refund_fee(seed: int, tl: Timeline) -> Decimal:
    """What the extra refund pays back: part of line 0 (20-60 %, whole fen) for ``partial``, else the line."""
    line = tl.lines[0].divide_order_fee
    if tl.extra != "partial":
        return line
    share = 20 + digest(seed, tl.index, b"tb-refund-share") % 41
    return (line * share / 100).quantize(CENT, rounding=ROUND_DOWN)


def _permuted(seed: int, n: int, leading: int) -> str:
    """An 18-digit id: ``leading`` then 17 digits, a bijection of ``n`` (unique per seed)."""
    space = 10**17
    return str(leading * space + (n * 780_291_637_428_176_413 + seed * 0x9E3779B97F4A7C15) % space)


def _allocate(lines: list[Line], amount: Decimal) -> list[Line]:
    """Share an order-level discount over lines by ``total_fee``, in fen, remainder on the largest line."""
    if amount == ZERO:
        return lines
    fen = int(amount * 100)
    weights = [int(ln.total_fee * 100) for ln in lines]
    total = sum(weights)
    shares = [fen * w // total for w in weights]
    largest = max(range(len(lines)), key=lambda k: (weights[k], -k))
    shares[largest] += fen - sum(shares)
    return [Line(ln.item, ln.sku, ln.num, ln.discount, Decimal(s) / 100) for ln, s in zip(lines, shares, strict=True)]
