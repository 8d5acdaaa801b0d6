"""Deterministic Douyin shop-order generator.

``generate(seed, as_of, n_orders, shop_ids, days)`` describes ``n_orders`` orders created
during the ``days`` before ``as_of``. Each order has a *timeline* (created -> paid ->
[risk hold] -> shipped -> completed, or cancelled / refunded / presale phases) that may
run past ``as_of``; :meth:`OrderGenerator.order` renders the order's state at any clock
``now`` from the order's creation on (a sandbox clock may start before ``as_of`` to replay the history: the
live demo): events after ``now`` have not happened yet and ``update_time`` is the
last event at or before ``now``. Moving ``now`` forward (the sandbox's ``advance``)
therefore produces late updates, exactly what an incremental sync has to pick up.

Determinism: order ``i`` depends only on (seed, i, as_of, days, shop_ids) and ``now``;
per-order randomness comes from BLAKE2b of the seed and index, never from shared RNG
state, so orders can be rendered lazily, in any order, and are byte-identical between runs.
Only compact per-order arrays are kept (creation time, event offsets, a flags byte, the
shop index): about 50 bytes an order, so a million orders fit in memory comfortably.

Payload shape follows shared/channels/douyin.md §4/§6: a shop (parent) order with 1-3 sku
orders embedded, 19-digit string ids, fen integer amounts, epoch-second timestamps with 0
for "not reached", statuses 1/105/2/101/3/5/4 with ``main_status`` 103/21/22/39 where they
apply, after-sale info, deposit presale phases, ciphertext + masked receiver fields.

Plaintext PII share: :data:`PLAINTEXT_PII_PER_10000` (2 %) of orders additionally carry
plaintext ``post_tel``, ``post_receiver``, ``post_addr.detail`` and ``user_id_info`` at shop
and sku level, the way the platform's struct allows, so tests can prove a tap removes them.
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import hashlib
import math
import random
from array import array
from collections.abc import Iterator, Sequence
from itertools import accumulate

from orderlayer.sandboxes.douyin import catalog
from orderlayer.sandboxes.kit.synth import SHANGHAI, digest
from orderlayer.sandboxes.kit.after_sales import LATE, draw_extra
from orderlayer.sandboxes.kit.world import DAY, Draws, OrderWorld, local_midnight, shop_cuts

HOUR = 3_600

#: Orders (per 10 000) that carry plaintext receiver data besides the ciphertext.
PLAINTEXT_PII_PER_10000 = 200

# Scenario (lifecycle path) of an order.
NORMAL = 0  # paid -> (risk hold) -> shipped -> completed; stops wherever `now` is
UNPAID_CANCELLED = 1  # never paid, closed after the 30-minute payment window
REFUND_BEFORE_SHIP = 2  # paid, refunded before shipping (main_status 21)
REFUND_AFTER_SHIP = 3  # shipped, refunded before receipt (main_status 22)
REFUND_AFTER_RECEIPT = 4  # completed, then returned and refunded (main_status 39)
AFTERSALE_OPEN = 5  # shipped, after-sale applied and still pending
PRESALE_PAID = 6  # deposit presale, deposit and balance paid, shipped, completed
PRESALE_DEPOSIT_ONLY = 7  # deposit presale, only the deposit paid

SCENARIO_NAMES = {
    NORMAL: "normal",
    UNPAID_CANCELLED: "unpaid_cancelled",
    REFUND_BEFORE_SHIP: "refund_before_ship",
    REFUND_AFTER_SHIP: "refund_after_ship",
    REFUND_AFTER_RECEIPT: "refund_after_receipt",
    AFTERSALE_OPEN: "aftersale_open",
    PRESALE_PAID: "presale_paid",
    PRESALE_DEPOSIT_ONLY: "presale_deposit_only",
}
# Cumulative per-10 000 thresholds, in scenario order.
_SCENARIO_SHARE = (7000, 700, 500, 350, 250, 200, 650, 350)
_SCENARIO_CUTS = tuple(accumulate(_SCENARIO_SHARE))
assert _SCENARIO_CUTS[-1] == 10_000

# Timeline event slots, stored as offsets (seconds) from create_time; 0 = never happens.
# EX_APPLY / EX_DONE: the one extra after-sale of a completed normal order (EXTRA_* below).
PAY, RELEASE, BALANCE, SHIP_PARTIAL, SHIP, FINISH, AS_APPLY, AS_DONE, CANCEL, EX_APPLY, EX_DONE = range(11)
N_EVENTS = 11

# Extra after-sale on a completed normal order (drawn apart from the timeline, so adding it moved no other draw):
# line 0 partly refunded without a return, a return refused by the shop, a request the buyer withdrew, and a
# return refunded months after the order (found by an incremental sync long after the order's own window).
EXTRA_NONE, EXTRA_PARTIAL, EXTRA_REJECTED, EXTRA_WITHDRAWN, EXTRA_LATE = range(5)
#: (name, per 10 000 completed normal orders), in EXTRA_* order from EXTRA_PARTIAL.
EXTRA_SHARES = (("partial", 600), ("rejected", 300), ("withdrawn", 200), (LATE, 300))
_EXTRA_KINDS = {name: k for k, (name, _share) in enumerate(EXTRA_SHARES, start=EXTRA_PARTIAL)}

ORDER_STATUS_DESC = {1: "待支付", 105: "已支付", 2: "备货中", 101: "部分发货", 3: "已发货", 4: "已关闭", 5: "已完成"}
MAIN_STATUS_DESC = {
    **ORDER_STATUS_DESC,
    103: "部分支付",
    21: "发货前退款完成",
    22: "发货后退款完成",
    39: "收货后退款完成",
}
ORDER_EXPIRE_SECONDS = 1_800

_ID_SPACE = 10**18
_ID_MULTIPLIER = 780_291_637_428_176_413  # odd, not a multiple of 5: a bijection mod 10**18
assert math.gcd(_ID_MULTIPLIER, _ID_SPACE) == 1
_ID_INVERSE = pow(_ID_MULTIPLIER, -1, _ID_SPACE)  # order id -> index (the sandbox's order.orderDetail)
_HOUR_CUTS = tuple(accumulate(catalog.HOUR_WEIGHTS))


def permuted_id(prefix: int, seed: int, n: int) -> str:
    """A 19-digit id ``prefix`` + 18 digits, unique per (seed, n), scattered like real ids."""
    offset = (seed * 0x9E3779B97F4A7C15) % _ID_SPACE
    return str(prefix * _ID_SPACE + (n * _ID_MULTIPLIER + offset) % _ID_SPACE)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


class OrderGenerator(OrderWorld):
    """Lazily renders the orders of one deterministic universe.

    Iterating yields every order's state at ``as_of`` in index order. Use
    :meth:`order` for one order at another clock, and the ``*_of``/``update_time_at``
    accessors to reason about the universe without rendering payloads.
    """

    shop_id_rule = (str.isdigit, "Douyin shop ids are numeric")

    def __init__(self, seed: int, as_of: dt.datetime, n_orders: int, shop_ids: Sequence[str], days: int = 30) -> None:
        super().__init__(seed, as_of, n_orders, shop_ids, days)
        self.start_ts = self.window_start_ts
        self._shop_cuts = shop_cuts(len(self.shop_ids))
        # Shanghai midnight on/before the window start: creation times follow local hours.
        self._midnight0 = local_midnight(self.start_ts, SHANGHAI)
        self._create = array("q", bytes(8 * self.n_orders))
        self._offsets = array("i", bytes(4 * N_EVENTS * self.n_orders))
        self._flags = bytearray(self.n_orders)  # scenario(3b) | n_skus-1 (2b) | partial | pii
        self._shop = array("H", bytes(2 * self.n_orders))
        self._extra = bytearray(self.n_orders)  # EXTRA_* kind per order
        for i in range(self.n_orders):
            self._build_timeline(i)

    # ------------------------------------------------------------------ timeline
    def _build_timeline(self, i: int) -> None:
        take = Draws(self.seed, i, b"ol-timeline").take

        span = self.days * DAY
        hour = bisect.bisect_right(_HOUR_CUTS, take(_HOUR_CUTS[-1]))
        t = self._midnight0 + take(self.days) * DAY + hour * HOUR + take(HOUR)
        create = self.start_ts + (t - self.start_ts) % span

        u = take(10_000)
        scenario = bisect.bisect_right(_SCENARIO_CUTS, u)
        sku_roll = take(100)
        n_skus = 1 if sku_roll < 70 else (2 if sku_roll < 90 else 3)
        if scenario in (PRESALE_PAID, PRESALE_DEPOSIT_ONLY):
            n_skus = 1  # deposit presale is per item
        pii = take(10_000) < PLAINTEXT_PII_PER_10000
        shop = bisect.bisect_right(self._shop_cuts, take(10_000))

        ev = [0] * N_EVENTS
        partial = False
        if scenario == UNPAID_CANCELLED:
            ev[CANCEL] = ORDER_EXPIRE_SECONDS
        elif scenario in (PRESALE_PAID, PRESALE_DEPOSIT_ONLY):
            ev[PAY] = 10 + take(590)  # deposit
            if scenario == PRESALE_PAID:
                ev[BALANCE] = DAY + take(2 * DAY)
                ev[RELEASE] = ev[BALANCE]
                ev[SHIP] = ev[BALANCE] + 12 * HOUR + take(96 * HOUR)
                ev[FINISH] = ev[SHIP] + 2 * DAY + take(6 * DAY)
        else:
            ev[PAY] = 10 + take(890)
            hold = take(600) if take(10) < 3 else 0  # risk-control hold (status 105)
            ev[RELEASE] = ev[PAY] + hold
            ship_delay = 2 * HOUR + take(22 * HOUR) if take(4) < 3 else DAY + take(48 * HOUR)
            if scenario == REFUND_BEFORE_SHIP:
                ev[AS_APPLY] = ev[RELEASE] + 600 + take(DAY)
                ev[AS_DONE] = ev[AS_APPLY] + HOUR + take(47 * HOUR)
            else:
                ev[SHIP] = ev[RELEASE] + ship_delay
                if n_skus > 1 and take(5) == 0:
                    partial = True
                    ev[SHIP_PARTIAL] = ev[RELEASE] + (ev[SHIP] - ev[RELEASE]) // 2
                if scenario == REFUND_AFTER_SHIP:
                    ev[AS_APPLY] = ev[SHIP] + HOUR + take(3 * DAY)
                    ev[AS_DONE] = ev[AS_APPLY] + DAY + take(4 * DAY)
                elif scenario == AFTERSALE_OPEN:
                    ev[AS_APPLY] = ev[SHIP] + HOUR + take(2 * DAY)
                else:
                    ev[FINISH] = ev[SHIP] + 2 * DAY + take(6 * DAY)
                    if scenario == REFUND_AFTER_RECEIPT:
                        ev[AS_APPLY] = ev[FINISH] + HOUR + take(5 * DAY)
                        ev[AS_DONE] = ev[AS_APPLY] + DAY + take(3 * DAY)

        if scenario == NORMAL:
            self._extra[i] = self._draw_extra(i, ev)
        self._create[i] = create
        base = i * N_EVENTS
        self._offsets[base : base + N_EVENTS] = array("i", ev)
        self._flags[i] = scenario | ((n_skus - 1) << 3) | (int(partial) << 5) | (int(pii) << 6)
        self._shop[i] = shop

    def _draw_extra(self, i: int, ev: list[int]) -> int:
        """Fill EX_APPLY / EX_DONE of a completed normal order from its own draws; return its EXTRA_* kind."""
        name, apply, done = draw_extra(self.seed, i, b"ol-aftersale-extra", EXTRA_SHARES, ev[FINISH])
        if not name:
            return EXTRA_NONE
        ev[EX_APPLY], ev[EX_DONE] = apply, done
        return _EXTRA_KINDS[name]

    # ------------------------------------------------------------------ accessors
    def __len__(self) -> int:
        return self.n_orders

    def __iter__(self) -> Iterator[dict]:
        return self.orders()

    def scenario_of(self, i: int) -> int:
        return self._flags[i] & 0b111

    def extra_of(self, i: int) -> int:
        """The EXTRA_* after-sale kind of order ``i`` (EXTRA_NONE for most)."""
        return self._extra[i]

    def n_skus_of(self, i: int) -> int:
        return ((self._flags[i] >> 3) & 0b11) + 1

    def has_plaintext_pii(self, i: int) -> bool:
        return bool(self._flags[i] >> 6 & 1)

    def shop_index_of(self, i: int) -> int:
        return self._shop[i]

    def shop_id_of(self, i: int) -> str:
        return self.shop_ids[self._shop[i]]

    def order_id_of(self, i: int) -> str:
        return permuted_id(6, self.seed, i)

    def order_id_number(self, i: int) -> int:
        """``int(order_id_of(i))`` without building the string (fast sort keys)."""
        return 6 * _ID_SPACE + (i * _ID_MULTIPLIER + (self.seed * 0x9E3779B97F4A7C15) % _ID_SPACE) % _ID_SPACE

    def index_of_order_id(self, order_id: str) -> int | None:
        """The index whose ``order_id_of`` is ``order_id`` (the id permutation inverted), None when no order has it."""
        if not (isinstance(order_id, str) and len(order_id) == 19 and order_id.isdigit() and order_id[0] == "6"):
            return None
        offset = (self.seed * 0x9E3779B97F4A7C15) % _ID_SPACE
        i = (int(order_id) - 6 * _ID_SPACE - offset) * _ID_INVERSE % _ID_SPACE
        return i if i < self.n_orders else None

    def create_time_of(self, i: int) -> int:
        return self._create[i]

    def event_times(self, i: int) -> list[int]:
        """Absolute epoch seconds of the 9 timeline events (0 = never)."""
        create = self._create[i]
        base = i * N_EVENTS
        return [create + off if off else 0 for off in self._offsets[base : base + N_EVENTS]]

    def update_time_at(self, i: int, now: int) -> int:
        """``update_time`` of order ``i`` as served at clock ``now`` (last event <= now)."""
        create = self._create[i]
        limit = now - create
        base = i * N_EVENTS
        best = 0
        for off in self._offsets[base : base + N_EVENTS]:
            if best < off <= limit:
                best = off
        return create + best

    def update_times_at(self, now: int) -> array:
        """``update_time`` of every order at ``now`` (compact array, index order)."""
        out = array("q", bytes(8 * self.n_orders))
        offsets = self._offsets
        create = self._create
        for i in range(self.n_orders):
            c = create[i]
            limit = now - c
            best = 0
            for off in offsets[i * N_EVENTS : (i + 1) * N_EVENTS]:
                if best < off <= limit:
                    best = off
            out[i] = c + best
        return out

    def indexes_for_shop(self, shop_id: str) -> list[int]:
        k = self.shop_ids.index(str(shop_id))
        return [i for i in range(self.n_orders) if self._shop[i] == k]

    def order_ids_updated_between(
        self,
        shop_id: str,
        start: int,
        end: int,
        now: int | None = None,
        *,
        end_inclusive: bool = True,
    ) -> list[str]:
        """Ids of the shop's orders whose ``update_time`` at ``now`` lies in the range.

        What a lossless incremental sync over ``[start, end]`` must deliver (at least once).
        """
        now = self.as_of_ts if now is None else now
        out = []
        for i in self.indexes_for_shop(shop_id):
            ut = self.update_time_at(i, now)
            if start <= ut and (ut <= end if end_inclusive else ut < end):
                out.append(self.order_id_of(i))
        return out

    def orders(self, now: int | None = None, shop_id: str | None = None) -> Iterator[dict]:
        """Render orders lazily in index order (optionally one shop's)."""
        k = None if shop_id is None else self.shop_ids.index(str(shop_id))
        for i in range(self.n_orders):
            if k is None or self._shop[i] == k:
                yield self.order(i, now)

    # ------------------------------------------------------------------ after-sales
    def sku_after_sale_infos(self, i: int, now: int) -> list[dict]:
        """Each sku order's ``after_sale_info`` at clock ``now`` (fact sheet §4 codes).

        The scenario's after-sale covers every sku; an extra after-sale (EXTRA_*) covers sku 0 only. An open
        return-and-refund of an AFTERSALE_OPEN order with an odd index was agreed by the shop: 7, waiting for the
        buyer's parcel. States change at the apply and done events only, so the order's ``update_time`` moves
        whenever its after-sale state does.
        """
        ev = self.event_times(i)
        scenario = self.scenario_of(i)

        def seen(slot: int) -> bool:
            return 0 < ev[slot] <= now

        if seen(AS_DONE):
            base = {"after_sale_status": 12, "after_sale_type": {REFUND_BEFORE_SHIP: 2, REFUND_AFTER_SHIP: 1, REFUND_AFTER_RECEIPT: 0}[scenario], "refund_status": 3}
        elif seen(AS_APPLY):
            agreed = scenario == AFTERSALE_OPEN and i % 2 == 1
            base = {"after_sale_status": 7 if agreed else 6, "after_sale_type": {REFUND_BEFORE_SHIP: 2, REFUND_AFTER_SHIP: 1}.get(scenario, 0), "refund_status": 1}
        else:
            base = {"after_sale_status": 0, "after_sale_type": 0, "refund_status": 0}
        infos = [dict(base) for _ in range(self.n_skus_of(i))]
        kind = self.extra_of(i)
        if kind != EXTRA_NONE and seen(EX_APPLY):
            kind_type = 0 if kind in (EXTRA_REJECTED, EXTRA_LATE) else 1
            done_status = {EXTRA_PARTIAL: (12, 3), EXTRA_REJECTED: (27, 4), EXTRA_WITHDRAWN: (28, 4), EXTRA_LATE: (12, 3)}[kind]
            status, refund = done_status if seen(EX_DONE) else (6, 1)
            infos[0] = {"after_sale_status": status, "after_sale_type": kind_type, "refund_status": refund}
        return infos

    # ------------------------------------------------------------------ rendering
    def order(self, i: int, now: int | None = None) -> dict:
        """The shop order ``i`` as ``order.searchList`` returns it at clock ``now``."""
        if not 0 <= i < self.n_orders:
            msg = f"order index {i} out of range 0..{self.n_orders - 1}"
            raise IndexError(msg)
        now = self.as_of_ts if now is None else int(now)
        if now < self._create[i]:
            msg = "an order can only be rendered once it is created"
            raise ValueError(msg)
        rng = random.Random(digest(self.seed, i, b"ol-details"))
        ev = self.event_times(i)
        create = self._create[i]
        scenario = self.scenario_of(i)
        n_skus = self.n_skus_of(i)
        partial = bool(self._flags[i] >> 5 & 1)
        pii = self.has_plaintext_pii(i)
        shop_index = self._shop[i]
        shop_id = int(self.shop_ids[shop_index])
        order_id = self.order_id_of(i)
        presale = scenario in (PRESALE_PAID, PRESALE_DEPOSIT_ONLY)

        def seen(slot: int) -> int:
            t = ev[slot]
            return t if 0 < t <= now else 0

        # ---- items and amounts (static: independent of `now`)
        products = catalog.PRODUCTS
        first_product = (shop_index * 5) % len(products)
        skus = []
        for j in range(n_skus):
            product = products[(first_product + rng.randrange(4) + 4 * j) % len(products)]
            sku = product[3][rng.randrange(len(product[3]))]
            item_num = 1 if rng.random() < 0.75 else rng.randint(2, 3)
            skus.append((product, sku, item_num))

        post_amount = 0 if rng.random() < 0.7 else rng.choice((600, 800, 1000))
        post_promotion = 200 if post_amount and rng.random() < 0.2 else 0
        lines = []
        for j, (product, sku, item_num) in enumerate(skus):
            unit = sku[2]
            goods = unit * item_num
            shop_promo = (goods // 10 // 100) * 100 if rng.random() < 0.4 else 0
            platform_promo = (goods // 20 // 100) * 100 if rng.random() < 0.25 else 0
            talent_promo = min(500, goods // 50) if rng.random() < 0.1 else 0
            line_post = post_amount if j == 0 else 0
            lines.append(
                {
                    "unit": unit,
                    "item_num": item_num,
                    "goods": goods,
                    "shop_promo": shop_promo,
                    "platform_promo": platform_promo,
                    "talent_promo": talent_promo,
                    "post": line_post,
                    "pay": goods - shop_promo - platform_promo - talent_promo + line_post,
                }
            )
        sku_order_ids = [order_id] if n_skus == 1 else [permuted_id(5, self.seed, i * 4 + j) for j in range(n_skus)]

        # ---- buyer (repeat buyers share identity), receiver and address
        buyer = i if (i == 0 or rng.random() < 0.6) else rng.randrange(i)
        brng = random.Random(digest(self.seed, buyer, b"ol-buyer"))
        surname = brng.choice(catalog.SURNAMES)
        name = surname + brng.choice(catalog.GIVEN_NAMES)
        mobile = f"{brng.choice(catalog.MOBILE_PREFIXES)}{brng.randrange(10**8):08d}"
        province, province_id, cities = brng.choice(catalog.PLACES)
        city, city_id, towns = brng.choice(cities)
        town, town_id = brng.choice(towns)
        street_no = brng.randint(1, 9)
        street = {"name": f"{town[:-1]}第{street_no}{brng.choice(catalog.STREET_SUFFIXES)}", "id": f"{town_id}{street_no:03d}"}
        detail = f"{brng.choice(catalog.ROAD_NAMES)}{brng.randint(1, 999)}号{brng.randint(1, 30)}栋{brng.randint(101, 2802)}室"
        open_id = "1@#" + _b64(hashlib.sha256(b"open:%d:%d" % (self.seed, buyer)).digest())
        enc_tel = "$$" + _b64(hashlib.sha256(b"tel:%d:%d" % (self.seed, buyer)).digest()) + "$1$$"
        enc_name = "##" + _b64(hashlib.sha256(b"name:%d:%d" % (self.seed, buyer)).digest()) + "#1##"
        enc_detail = "##" + _b64(hashlib.sha256(b"addr:%d:%d" % (self.seed, buyer)).digest())[:32] + "#1##"
        post_addr = {
            "province": {"name": province, "id": province_id},
            "city": {"name": city, "id": city_id},
            "town": {"name": town, "id": town_id},
            "street": street,
            "encrypt_detail": enc_detail,
        }
        receiver: dict = {
            "encrypt_post_tel": enc_tel,
            "encrypt_post_receiver": enc_name,
            "mask_post_tel": f"{mobile[:3]}****{mobile[-4:]}",
            "mask_post_receiver": surname + "*" * (len(name) - len(surname)),
            "post_addr": post_addr,
            "mask_post_addr": {
                "province": {"name": province, "id": province_id},
                "city": {"name": city, "id": city_id},
                "town": {"name": town, "id": town_id},
                "street": dict(street),
                "detail": detail[:2] + "****",
            },
        }
        if pii:
            receiver["post_tel"] = mobile
            receiver["post_receiver"] = name
            post_addr["detail"] = detail
            receiver["user_id_info"] = {
                "id_card_no": f"{city_id}{1970 + brng.randrange(35)}0{brng.randint(1, 9)}{brng.randint(10, 28)}{brng.randrange(1000):03d}X",
                "id_card_name": name,
            }

        # ---- state at `now`
        pay_time = seen(PAY)
        balance_time = seen(BALANCE)
        ship_time = seen(SHIP)
        partial_time = seen(SHIP_PARTIAL)
        finish_time = seen(FINISH)
        as_apply = seen(AS_APPLY)
        as_done = seen(AS_DONE)
        if seen(CANCEL):
            status, main = 4, 4
        elif as_done:
            status = 4
            main = {REFUND_BEFORE_SHIP: 21, REFUND_AFTER_SHIP: 22, REFUND_AFTER_RECEIPT: 39}[scenario]
        elif finish_time:
            status, main = 5, 5
        elif ship_time:
            status, main = 3, 3
        elif partial_time:
            status, main = 101, 101
        elif presale:
            if balance_time:
                status, main = 2, 2
            elif pay_time:
                status, main = 1, 103  # deposit paid, balance outstanding
            else:
                status, main = 1, 1
        elif seen(RELEASE):
            status, main = 2, 2
        elif pay_time:
            status, main = 105, 105
        else:
            status, main = 1, 1
        update_time = max([create, *(t for t in ev if 0 < t <= now)])
        exp_ship_time = 0
        if presale and balance_time:
            exp_ship_time = balance_time + 5 * DAY
        elif not presale and pay_time:
            exp_ship_time = pay_time + 2 * DAY
        after_sales = self.sku_after_sale_infos(i, now)

        # ---- logistics
        carrier = catalog.CARRIERS[rng.randrange(len(catalog.CARRIERS))]
        parcels = []
        if partial_time or ship_time:
            groups = [(partial_time or ship_time, [0])] if partial_time else []
            rest = [j for j in range(n_skus) if not (partial_time and j == 0)]
            if ship_time and rest:
                groups.append((ship_time, rest))
            for k, (when, members) in enumerate(groups):
                parcels.append(
                    {
                        "tracking_no": f"{carrier[2]}{rng.randrange(10**13):013d}",
                        "company": carrier[0],
                        "company_name": carrier[1],
                        "ship_time": when,
                        "delivery_id": permuted_id(7, self.seed, i * 4 + k),
                        "product_info": [
                            {
                                "product_name": skus[j][0][0],
                                "price": skus[j][1][2],
                                "outer_sku_id": "",
                                "sku_id": skus[j][1][0],
                                "sku_specs": [{"name": n, "value": v} for n, v in skus[j][1][1]],
                                "product_count": skus[j][2],
                                "product_id": skus[j][0][1],
                                "sku_order_id": sku_order_ids[j],
                            }
                            for j in members
                        ],
                    }
                )

        # ---- sku orders
        sku_list = []
        for j, ((product, sku, item_num), line) in enumerate(zip(skus, lines, strict=True)):
            promo = line["shop_promo"] + line["platform_promo"] + line["talent_promo"]
            if status == 101:
                line_status = 3 if j == 0 else 2
                line_ship = partial_time if j == 0 else 0
            else:
                line_status = status
                line_ship = ship_time
            sku_order = {
                "parent_order_id": order_id,
                "order_id": sku_order_ids[j],
                "order_level": 3,
                "biz": 2,
                "biz_desc": "小店",
                "order_type": 0,
                "order_type_desc": "普通订单",
                "trade_type": 2 if presale else 0,
                "trade_type_desc": "定金预售" if presale else "普通",
                "pre_sale_type": 1 if presale else 0,
                "order_status": line_status,
                "order_status_desc": ORDER_STATUS_DESC[line_status],
                "main_status": main if status != 101 else line_status,
                "main_status_desc": MAIN_STATUS_DESC[main if status != 101 else line_status],
                "create_time": create,
                "pay_time": pay_time,
                "update_time": update_time,
                "finish_time": finish_time,
                "ship_time": line_ship,
                "exp_ship_time": exp_ship_time,
                "order_expire_time": ORDER_EXPIRE_SECONDS,
                "b_type": 2,
                "b_type_desc": "抖音",
                "sub_b_type": 3,
                "sub_b_type_desc": "H5",
                "app_id": 1128,
                "product_id": product[1],
                "product_id_str": str(product[1]),
                "product_name": product[0],
                "sku_id": sku[0],
                "spec": [{"name": n, "value": v} for n, v in sku[1]],
                "code": sku[3],
                "out_sku_id": "",
                "out_product_id": "0",
                "first_cid": product[2][0],
                "second_cid": product[2][1],
                "third_cid": product[2][2],
                "fourth_cid": product[2][3],
                "given_product_type": "MASTER",
                "reduce_stock_type": 1,
                "item_num": item_num,
                "origin_amount": line["unit"],
                "sum_amount": line["goods"],
                "order_amount": line["pay"],
                "pay_amount": line["pay"],
                "post_amount": line["post"],
                "post_insurance_amount": 0,
                "modify_amount": 0,
                "modify_post_amount": 0,
                "promotion_amount": promo,
                "promotion_shop_amount": line["shop_promo"],
                "promotion_platform_amount": line["platform_promo"],
                "promotion_talent_amount": line["talent_promo"],
                "promotion_pay_amount": 0,
                "shop_cost_amount": line["shop_promo"],
                "platform_cost_amount": line["platform_promo"],
                "promotion_redpack_amount": 0,
                "promotion_redpack_platform_amount": 0,
                "promotion_redpack_talent_amount": 0,
                "tax_amount": 0,
                "has_tax": False,
                "after_sale_info": after_sales[j],
                **_copy_receiver(receiver),
            }
            sku_list.append(sku_order)

        goods_total = sum(line["goods"] for line in lines)
        shop_promo = sum(line["shop_promo"] for line in lines)
        platform_promo = sum(line["platform_promo"] for line in lines)
        talent_promo = sum(line["talent_promo"] for line in lines)
        promotion = shop_promo + platform_promo + talent_promo
        pay_amount = goods_total - promotion + post_amount

        phases = []
        if presale:
            deposit = max(100, (pay_amount // 10 // 100) * 100)
            balance = pay_amount - deposit
            for phase, (amount, open_t, close_t, paid_t) in enumerate(
                (
                    (deposit, create, create + ORDER_EXPIRE_SECONDS, pay_time),
                    (balance, create + DAY, create + 4 * DAY, balance_time),
                ),
                start=1,
            ):
                phases.append(
                    {
                        "phase_order_id": permuted_id(4, self.seed, i * 2 + phase),
                        "total_phase": 2,
                        "current_phase": phase,
                        "sku_order_id": sku_order_ids[0],
                        "pay_success": bool(paid_t),
                        "phase_payable_price": amount,
                        "phase_order_amount": amount,
                        "phase_sum_amount": amount,
                        "phase_post_amount": post_amount if phase == 2 else 0,
                        "phase_pay_amount": amount if paid_t else 0,
                        "phase_promotion_amount": 0,
                        "phase_open_time": open_t,
                        "phase_pay_time": paid_t,
                        "phase_close_time": close_t,
                    }
                )

        return {
            "shop_id": shop_id,
            "shop_name": catalog.SHOP_NAMES[shop_index % len(catalog.SHOP_NAMES)],
            "order_id": order_id,
            "order_level": 2,
            "biz": 2,
            "biz_desc": "小店",
            "order_type": 0,
            "order_type_desc": "普通订单",
            "trade_type": 0,
            "trade_type_desc": "普通",
            "order_status": status,
            "order_status_desc": ORDER_STATUS_DESC[status],
            "main_status": main,
            "main_status_desc": MAIN_STATUS_DESC[main],
            "create_time": create,
            "pay_time": pay_time,
            "update_time": update_time,
            "finish_time": finish_time,
            "ship_time": ship_time or partial_time,
            "exp_ship_time": exp_ship_time,
            "logistics_receipt_time": ship_time or partial_time,  # carrier pick-up scan
            "confirm_receipt_time": finish_time,
            "appointment_ship_time": 0,
            "order_expire_time": ORDER_EXPIRE_SECONDS,
            "b_type": 2,
            "b_type_desc": "抖音",
            "sub_b_type": 3,
            "sub_b_type_desc": "H5",
            "app_id": 1128,
            "pay_type": 2 if pay_time else 0,
            "channel_payment_no": f"{dt.datetime.fromtimestamp(pay_time, SHANGHAI):%Y%m%d}22001{rng.randrange(10**17):017d}" if pay_time else "",
            "buyer_words": rng.choice(catalog.BUYER_WORDS),
            "seller_words": "",
            "seller_remark_stars": 0,
            "order_amount": pay_amount,
            "pay_amount": pay_amount,
            "post_amount": post_amount,
            "post_origin_amount": post_amount + post_promotion,
            "post_promotion_amount": post_promotion,
            "post_insurance_amount": 0,
            "modify_amount": 0,
            "modify_post_amount": 0,
            "promotion_amount": promotion,
            "promotion_shop_amount": shop_promo,
            "promotion_platform_amount": platform_promo,
            "promotion_talent_amount": talent_promo,
            "promotion_pay_amount": 0,
            "shop_cost_amount": shop_promo,
            "platform_cost_amount": platform_promo,
            "only_platform_cost_amount": platform_promo,
            "author_cost_amount": 0,
            "promotion_redpack_amount": 0,
            "promotion_redpack_platform_amount": 0,
            "promotion_redpack_talent_amount": 0,
            "total_promotion_amount": promotion + post_promotion,
            "packing_amount": 0,
            "tax_amount": 0,
            "doudian_open_id": open_id,
            "open_address_id": "#" + _b64(hashlib.sha256(b"address:%d:%d" % (self.seed, buyer)).digest())[:24],
            **_copy_receiver(receiver),
            "logistics_info": parcels,
            "order_phase_list": phases,
            "sku_order_list": sku_list,
        }


def _copy_receiver(receiver: dict) -> dict:
    """Fresh nested copies, so scrubbing one level never aliases another."""
    out = {}
    for key, value in receiver.items():
        if isinstance(value, dict):
            out[key] = {k: dict(v) if isinstance(v, dict) else v for k, v in value.items()}
        else:
            out[key] = value
    return out


def generate(
    seed: int,
    as_of: dt.datetime,
    n_orders: int,
    shop_ids: Sequence[str],
    days: int = 30,
) -> OrderGenerator:
    """The order universe for (seed, as_of, n_orders, shop_ids, days).

    Iterate it for every order's state at ``as_of`` (lazily, index order); see
    :class:`OrderGenerator` for per-order access, other clocks and expected-id helpers.
    """
    return OrderGenerator(seed, as_of, n_orders, shop_ids, days)
