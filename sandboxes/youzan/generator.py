"""Deterministic Youzan (有赞) order generator.

``YouzanOrderGenerator(seed, as_of, n_orders, shop_ids, days)`` describes ``n_orders`` orders created during the
``days`` before ``as_of``. Each order has a timeline (created -> paid -> [group formed] -> shipped -> success,
or closed unpaid / cancelled / refunded, or presale deposit -> balance ...) that may run past ``as_of``;
:meth:`render` shows the order as ``youzan.trades.sold.get`` would at clock ``now >= as_of``: events after
``now`` have not happened and ``update_time`` is the last event at or before ``now``. Moving the clock
forward therefore produces late updates.

Order ``i`` depends only on (seed, i, as_of, days, shop_ids) and ``now`` (per-order randomness from
:func:`orderlayer.sandboxes.kit.synth.digest`), so orders render lazily, in any order, identically between runs.

Payload shape: fact sheet §3 ``full_order_info`` — naive Beijing ``yyyy-MM-dd HH:mm:ss`` strings ("" when an
event has not happened), yuan amounts as strings (or JSON numbers with ``amounts_as="number"``), ``tid`` like
``E20241118155551123456789``, numeric-string ``oid``, ``item_id``/``sku_id``/``buyer_id`` as JSON numbers (some
above 2**53), order-level ``refund_state``, deposit presale with ``pay_info.phase_payments`` (``real_price`` in
fen, the SDK types it long), and masked receiver fields. ``PLAINTEXT_PII_PER_10000`` of the orders also carry
plaintext receiver name, phone, address, buyer phone and an id-card number, which the tap must remove.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate

from orderlayer.sandboxes.kit.synth import SHANGHAI, OrderFact, digest, permuted_id
from orderlayer.sandboxes.youzan import protocol as p
from orderlayer.sandboxes.youzan import catalog
from orderlayer.sandboxes.kit.after_sales import LATE, draw_extra
from orderlayer.sandboxes.kit.world import DAY, Draws, OrderWorld, local_midnight, shop_cuts

HOUR = 3_600
CENT = Decimal("0.01")

#: Orders (per 10 000) carrying plaintext personal data besides the platform's masks.
PLAINTEXT_PII_PER_10000 = 300
#: Unpaid orders close after this many seconds (``expired_time``).
PAY_WINDOW_SECONDS = HOUR

NORMAL = "normal"
UNPAID_CLOSED = "unpaid_closed"
BUYER_CANCELLED = "buyer_cancelled"
GROUP_BUY = "group_buy"
SELF_FETCH = "self_fetch"
REFUND_BEFORE_SHIP = "refund_before_ship"
PARTIAL_REFUND = "partial_refund"
REFUND_OPEN = "refund_open"
PRESALE_PAID = "presale_paid"
PRESALE_DEPOSIT_ONLY = "presale_deposit_only"

#: Scenario shares per 10 000 orders.
SCENARIO_SHARES: dict[str, int] = {
    NORMAL: 5800,
    UNPAID_CLOSED: 700,
    BUYER_CANCELLED: 300,
    GROUP_BUY: 600,
    SELF_FETCH: 400,
    REFUND_BEFORE_SHIP: 500,
    PARTIAL_REFUND: 450,
    REFUND_OPEN: 250,
    PRESALE_PAID: 600,
    PRESALE_DEPOSIT_ONLY: 400,
}
SCENARIOS = tuple(SCENARIO_SHARES)
_SCENARIO_CUTS = tuple(accumulate(SCENARIO_SHARES.values()))
assert _SCENARIO_CUTS[-1] == 10_000
_HOUR_CUTS = tuple(accumulate(catalog.HOUR_WEIGHTS))

PRESALE = frozenset({PRESALE_PAID, PRESALE_DEPOSIT_ONLY})
#: close_type per closing scenario (§3: 1 expired, 2 refund mark, 4 buyer cancelled).
CLOSE_TYPES = {UNPAID_CLOSED: 1, REFUND_BEFORE_SHIP: 2, BUYER_CANCELLED: 4}

# Timeline event slots (offsets in seconds from creation; 0 = never happens).
EVENTS = ("pay", "confirm", "balance", "ship", "success", "refund_apply", "refund_done", "close", "ex_apply", "ex_done")

#: A successful normal order's extra refund of its last line (drawn apart from the timeline, so no other draw
#: moved): a return the seller refused, a request the buyer withdrew, a return refunded months after the order.
#: Per 10 000 normal orders, cumulative in this order.
EXTRA_REFUNDS = (("refused", 400), ("withdrawn", 300), (LATE, 400))


@dataclass(frozen=True)
class Timeline:
    create: int
    scenario: str
    shop: int
    n_lines: int
    plaintext_pii: bool
    offsets: tuple[int, ...]  # parallel to EVENTS
    extra: str = ""  # one of EXTRA_REFUNDS (events ex_apply / ex_done), or ""

    def at(self, event: str, now: int) -> int:
        """Absolute time of ``event`` if it has happened by ``now``, else 0."""
        offset = self.offsets[EVENTS.index(event)]
        when = self.create + offset
        return when if offset and when <= now else 0

    def update_time(self, now: int) -> int:
        happened = [self.create + o for o in self.offsets if o and self.create + o <= now]
        return max([self.create, *happened])


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


class YouzanOrderGenerator(OrderWorld):
    """The deterministic order universe of one sandbox (see module docstring)."""

    shop_id_rule = (str.isdigit, "Youzan shop ids (kdt_id) are numeric")

    def __init__(
        self,
        seed: int,
        as_of: dt.datetime,
        n_orders: int,
        shop_ids: Sequence[str],
        days: int = 30,
        *,
        plaintext_pii_per_10000: int = PLAINTEXT_PII_PER_10000,
    ) -> None:
        super().__init__(seed, as_of, n_orders, shop_ids, days)
        self.start_ts = self.window_start_ts
        self.plaintext_pii_per_10000 = plaintext_pii_per_10000
        self._shop_cuts = shop_cuts(len(self.shop_ids))
        self._midnight0 = local_midnight(self.start_ts, SHANGHAI)
        self.timelines = [self._timeline(i) for i in range(self.n_orders)]
        # Creation times are unique-ish but not sorted; the earliest order bounds a full sync.
        self.first_create_ts = min((tl.create for tl in self.timelines), default=self.start_ts)

    # ------------------------------------------------------------------ timelines
    def _timeline(self, i: int) -> Timeline:
        take = Draws(self.seed, i, b"yz-timeline").take

        hour = bisect.bisect_right(_HOUR_CUTS, take(_HOUR_CUTS[-1]))
        t = self._midnight0 + take(self.days) * DAY + hour * HOUR + take(HOUR)
        create = self.start_ts + (t - self.start_ts) % (self.days * DAY)
        scenario = SCENARIOS[bisect.bisect_right(_SCENARIO_CUTS, take(10_000))]
        roll = take(100)
        n_lines = 1 if roll < 65 else (2 if roll < 90 else 3)
        if scenario in PRESALE:
            n_lines = 1  # deposit presale is per item
        elif scenario == PARTIAL_REFUND:
            n_lines = max(2, n_lines)  # one line refunded, the others kept
        pii = take(10_000) < self.plaintext_pii_per_10000
        shop = bisect.bisect_right(self._shop_cuts, take(10_000))

        ev = dict.fromkeys(EVENTS, 0)
        if scenario == UNPAID_CLOSED:
            ev["close"] = PAY_WINDOW_SECONDS
        elif scenario == BUYER_CANCELLED:
            ev["close"] = 60 + take(1_700)
        elif scenario in PRESALE:
            ev["pay"] = 10 + take(590)  # the deposit
            if scenario == PRESALE_PAID:
                ev["balance"] = DAY + take(2 * DAY)
                ev["ship"] = ev["balance"] + 12 * HOUR + take(84 * HOUR)
                ev["success"] = ev["ship"] + 2 * DAY + take(5 * DAY)
        else:
            ev["pay"] = 10 + take(890)
            ready = ev["pay"]
            if scenario == GROUP_BUY:
                ev["confirm"] = ev["pay"] + 600 + take(20 * HOUR)
                ready = ev["confirm"]
            if scenario == SELF_FETCH:
                ev["success"] = ready + 2 * HOUR + take(3 * DAY)
            elif scenario == REFUND_BEFORE_SHIP:
                ev["refund_apply"] = ready + 600 + take(DAY)
                ev["refund_done"] = ev["refund_apply"] + HOUR + take(23 * HOUR)
                ev["close"] = ev["refund_done"]
            else:
                ev["ship"] = ready + 2 * HOUR + take(46 * HOUR)
                if scenario == REFUND_OPEN:
                    ev["refund_apply"] = ev["ship"] + HOUR + take(2 * DAY)
                else:
                    ev["success"] = ev["ship"] + 2 * DAY + take(6 * DAY)
                    if scenario == PARTIAL_REFUND:
                        ev["refund_apply"] = ev["success"] + HOUR + take(3 * DAY)
                        ev["refund_done"] = ev["refund_apply"] + DAY + take(DAY)
        extra = self._extra_refund(i, ev) if scenario == NORMAL else ""
        return Timeline(create, scenario, shop, n_lines, pii, tuple(ev[e] for e in EVENTS), extra)

    def _extra_refund(self, i: int, ev: dict[str, int]) -> str:
        """Draw a successful normal order's extra refund (EXTRA_REFUNDS) into ``ev``; "" for most orders."""
        kind, apply, done = draw_extra(self.seed, i, b"yz-refund-extra", EXTRA_REFUNDS, ev["success"])
        if kind:
            ev["ex_apply"], ev["ex_done"] = apply, done
        return kind

    # ------------------------------------------------------------------ accessors
    def __len__(self) -> int:
        return self.n_orders

    def scenario_of(self, i: int) -> str:
        return self.timelines[i].scenario

    def shop_id_of(self, i: int) -> str:
        return self.shop_ids[self.timelines[i].shop]

    def has_plaintext_pii(self, i: int) -> bool:
        return self.timelines[i].plaintext_pii

    def indexes_for_shop(self, shop_id: str) -> list[int]:
        k = self.shop_ids.index(str(shop_id))
        return [i for i, tl in enumerate(self.timelines) if tl.shop == k]

    def tid_of(self, i: int) -> str:
        """``E`` + creation time (Beijing, to the second) + 9 digits, like real Youzan order numbers."""
        stamp = dt.datetime.fromtimestamp(self.timelines[i].create, SHANGHAI).strftime("%Y%m%d%H%M%S")
        return f"E{stamp}{permuted_id(self.seed, i, 9)}"

    def lines_of(self, i: int) -> list[dict]:
        """Order ``i``'s lines (static), with each line's share of the payment (``payment``, yuan)."""
        return self._lines(i, self.timelines[i], random.Random(digest(self.seed, i, b"yz-details")))[0]

    def oid_of(self, i: int, line: int) -> str:
        return permuted_id(self.seed, i * 4 + line, 19, leading=2)

    def update_time_at(self, i: int, now: int) -> int:
        return self.timelines[i].update_time(now)

    def tids_updated_between(self, shop_id: str, start: int, end: int, now: int) -> set[str]:
        """Order numbers of the shop whose update time at ``now`` is in ``[start, end]``."""
        return {self.tid_of(i) for i in self.indexes_for_shop(shop_id) if start <= self.update_time_at(i, now) <= end}

    # ------------------------------------------------------------------ rendering
    def render(self, i: int, now: int, *, amounts_as: str = "string", line_refund_state: bool = False) -> dict:
        """``full_order_info`` of order ``i`` as ``youzan.trades.sold.get`` returns it at clock ``now``."""
        tl = self.timelines[i]
        if now < self.as_of_ts:
            msg = "orders can only be rendered at or after as_of"
            raise ValueError(msg)
        rng = random.Random(digest(self.seed, i, b"yz-details"))
        state = self._state(tl, now)
        lines, totals = self._lines(i, tl, rng)
        money = _formatter(amounts_as)
        buyer = i if (i == 0 or rng.random() < 0.6) else rng.randrange(i)
        person = self._person(buyer)
        when = _local_or_empty

        refunded_lines = self._refunded_lines(tl, state["refund_state"])
        order_lines = []
        for j, line in enumerate(lines):
            item = {
                "oid": self.oid_of(i, j),
                "item_id": line["item_id"],
                "sku_id": line["sku_id"],
                "item_type": 0,
                "title": line["title"],
                "num": line["num"],
                "price": money(line["price"]),
                "discount_price": money(line["discount_price"]),
                "total_fee": money(line["total_fee"]),
                "payment": money(line["payment"]),
                "outer_sku_id": line["outer_sku_id"],
                "outer_item_id": line["outer_sku_id"].rsplit("-", 1)[0],
                "sku_properties_name": line["properties"],
                "sku_unique_code": f"{line['item_id']}{line['sku_id']}",
                "is_present": False,
                "pre_sale_type": "1" if tl.scenario in PRESALE else "",
                "is_pre_sale": "1" if tl.scenario in PRESALE else "0",
                "buyer_messages": "",
                "points_price": "0",
                "alias": line["alias"],
                "pic_path": f"https://img.yzcdn.cn/upload_files/{line['alias']}.jpg",
                "goods_url": f"https://h5.youzan.com/v2/goods/{line['alias']}",
            }
            if line_refund_state:
                item["refund_state"] = refunded_lines.get(j, p.REFUND_NONE)
            order_lines.append(item)

        payment = totals["payment"]
        pay_info: dict = {
            "total_fee": money(totals["total_fee"]),
            "post_fee": money(totals["post_fee"]),
            "payment": money(payment),
            "transaction": [f"{tl.create}{i:08d}01"] if state["paid_any"] else [],
            "outer_transactions": [f"4200{permuted_id(self.seed, i, 24)}"] if state["paid_any"] else [],
        }
        if tl.scenario in PRESALE:
            pay_info["phase_payments"] = self._phases(i, tl, payment, now)

        address = self._address(person, tl, rng)
        return {
            "order_info": {
                "tid": self.tid_of(i),
                "status": state["status"],
                "status_str": p.STATUS_DESC[state["status"]],
                "type": 10 if tl.scenario == GROUP_BUY else 0,
                "created": when(tl.create),
                "update_time": when(tl.update_time(now)),
                "pay_time": when(state["pay_time"]),
                "consign_time": when(tl.at("ship", now)),
                "confirm_time": when(tl.at("confirm", now)),
                "success_time": when(tl.at("success", now)),
                "expired_time": when(tl.create + PAY_WINDOW_SECONDS),
                "refund_state": state["refund_state"],
                "close_type": state["close_type"],
                "express_type": 1 if tl.scenario == SELF_FETCH else 0,
                "pay_type": 1 if state["paid_any"] else 0,
                "pay_type_str": "WEIXIN" if state["paid_any"] else "",
                "team_type": 0,
                "is_retail_order": False,
                "offline_id": 0,
                "order_tags": {
                    "is_payed": state["paid_any"],
                    "is_refund": state["refund_state"] != p.REFUND_NONE,
                    "is_feedback": tl.scenario == REFUND_OPEN and state["refund_state"] != p.REFUND_NONE,
                    "is_down_payment_pre": tl.scenario in PRESALE,
                    "is_secured_transactions": True,
                    "is_postage_free": totals["post_fee"] == 0,
                    "is_member": buyer % 3 == 0,
                    "is_virtual": False,
                    "is_offline_order": False,
                },
                "order_extra": {
                    "is_from_cart": "true" if len(lines) > 1 else "false",
                    "is_points_order": "0",
                    "is_member": "1" if buyer % 3 == 0 else "0",
                    "buyer_name": person["nickname"],
                    **({"id_card_number": person["id_card"]} if tl.plaintext_pii else {}),
                },
            },
            "source_info": {
                "is_offline_order": False,
                "source": {"platform": "wx", "wx_entrance": "merchant_xcx"},
                "order_mark": catalog.ORDER_MARKS[i % len(catalog.ORDER_MARKS)],
                "book_key": hashlib.md5(b"book:%d:%d" % (self.seed, i)).hexdigest(),  # noqa: S324 - an id, not security
                "biz_source": "mall_group_buy" if tl.scenario == GROUP_BUY else "",
            },
            "buyer_info": {
                "buyer_id": person["buyer_id"],
                "buyer_phone": person["mobile"] if tl.plaintext_pii else _mask_mobile(person["mobile"]),
                "fans_type": 1,
                "fans_id": person["fans_id"],
                "fans_nickname": person["nickname"],
                "outer_user_id": "",
                "yz_open_id": person["yz_open_id"],
            },
            "pay_info": pay_info,
            "remark_info": {"buyer_message": rng.choice(catalog.BUYER_MESSAGES), "star": 0, "trade_memo": ""},
            "address_info": address,
            "orders": order_lines,
            "child_info": {"gift_no": "", "gift_sign": "", "child_orders": []},
        }

    def _state(self, tl: Timeline, now: int) -> dict:
        paid = tl.at("pay", now)
        balance = tl.at("balance", now)
        closed = tl.at("close", now)
        if closed:
            status = "TRADE_CLOSED"
        elif tl.at("success", now):
            status = "TRADE_SUCCESS"
        elif tl.at("ship", now):
            status = "WAIT_BUYER_CONFIRM_GOODS"
        elif tl.scenario in PRESALE:
            status = "WAIT_SELLER_SEND_GOODS" if balance else "WAIT_BUYER_PAY"  # deposit paid: still "待付款"
        elif tl.scenario == GROUP_BUY and paid and not tl.at("confirm", now):
            status = "WAIT_CONFIRM"
        elif paid:
            status = "WAIT_SELLER_SEND_GOODS"
        else:
            status = "WAIT_BUYER_PAY"
        full = tl.scenario in (REFUND_BEFORE_SHIP, REFUND_OPEN)
        if tl.at("refund_done", now):
            refund_state = p.REFUND_FULL_DONE if full else p.REFUND_PARTIAL_DONE
        elif tl.at("refund_apply", now):
            refund_state = p.REFUND_FULL_OPEN if full else p.REFUND_PARTIAL_OPEN
        elif tl.at("ex_done", now):
            # the extra refund of the last line: refunded, or refused / withdrawn (nothing refunded)
            refund_state = p.REFUND_PARTIAL_DONE if tl.extra == "late" else p.REFUND_NONE
        elif tl.at("ex_apply", now):
            refund_state = p.REFUND_PARTIAL_OPEN
        else:
            refund_state = p.REFUND_NONE
        return {
            "status": status,
            # pay_time follows the latest successful payment (deposit, then balance): our reading, unconfirmed
            "pay_time": balance or paid,
            "paid_any": bool(paid),
            "refund_state": refund_state,
            "close_type": CLOSE_TYPES.get(tl.scenario, 0) if closed else 0,
        }

    def _refunded_lines(self, tl: Timeline, refund_state: int) -> dict[int, int]:
        """Per-line refund state (only emitted with ``line_refund_state``): partial refunds hit the last line."""
        if refund_state == p.REFUND_NONE:
            return {}
        if refund_state in (p.REFUND_PARTIAL_OPEN, p.REFUND_PARTIAL_DONE):
            done = refund_state == p.REFUND_PARTIAL_DONE
            return {tl.n_lines - 1: p.REFUND_FULL_DONE if done else p.REFUND_FULL_OPEN}
        return dict.fromkeys(range(tl.n_lines), refund_state)

    def _lines(self, i: int, tl: Timeline, rng: random.Random) -> tuple[list[dict], dict[str, Decimal]]:
        goods = catalog.GOODS
        first = (tl.shop * 3) % len(goods)
        lines = []
        for j in range(tl.n_lines):
            title, item_id, alias, skus = goods[(first + rng.randrange(3) + 3 * j) % len(goods)]
            sku_id, properties, price, outer = skus[rng.randrange(len(skus))]
            unit = Decimal(price)
            num = 1 if rng.random() < 0.75 else rng.randint(2, 3)
            # member / limited-time price: 0, 5 or 10 % off the unit price
            discount_price = _money(unit * (Decimal(100) - rng.choice((0, 0, 5, 10))) / 100)
            lines.append(
                {
                    "title": title, "item_id": item_id, "alias": alias, "sku_id": sku_id, "properties": properties,
                    "outer_sku_id": outer, "num": num, "price": unit, "discount_price": discount_price,
                    "total_fee": discount_price * num,
                }
            )
        after_items = sum((line["total_fee"] for line in lines), Decimal(0))
        coupon = Decimal(rng.choice((0, 0, 5, 10, 20)))
        if coupon * 3 > after_items:
            coupon = Decimal(0)
        # coupon allocated to lines in proportion to their total, in whole fen, remainder on the first line
        to_pay = after_items - coupon
        shares = [_money(to_pay * line["total_fee"] / after_items) for line in lines]
        shares[0] += to_pay - sum(shares, Decimal(0))
        for line, share in zip(lines, shares, strict=True):
            line["payment"] = share
        post_fee = Decimal(0) if rng.random() < 0.6 else Decimal(rng.choice((6, 8, 10)))
        if tl.scenario == SELF_FETCH:
            post_fee = Decimal(0)
        totals = {
            "total_fee": sum((line["price"] * line["num"] for line in lines), Decimal(0)),
            "post_fee": post_fee,
            "payment": to_pay + post_fee,
        }
        return lines, totals

    def _phases(self, i: int, tl: Timeline, payment: Decimal, now: int) -> list[dict]:
        total_fen = int(payment * 100)
        deposit = int(self._deposit(payment) * 100)
        phases = []
        for phase, amount, opens, closes, event in (
            (1, deposit, tl.create, tl.create + 1_800, "pay"),
            (2, total_fen - deposit, tl.create + DAY, tl.create + 40 * DAY, "balance"),
        ):
            paid = bool(tl.at(event, now))
            phases.append(
                {
                    "phase": phase,
                    "pay_start_time": _local_or_empty(opens),
                    "pay_end_time": _local_or_empty(closes),
                    "real_price": amount,
                    "outer_transaction_no": f"4200{permuted_id(self.seed, i * 2 + phase, 24)}" if paid else "",
                    "inner_transaction_no": f"{tl.create}{i:08d}{phase:02d}" if paid else "",
                }
            )
        return phases

    def _person(self, buyer: int) -> dict:
        rng = random.Random(digest(self.seed, buyer, b"yz-buyer"))
        surname = rng.choice(catalog.SURNAMES)
        name = surname + rng.choice(catalog.GIVEN_NAMES)
        mobile = f"{rng.choice(catalog.MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
        # odd buyers get ids just above 2**53 (a float would round them)
        buyer_id = 2**53 + 1 + 2 * buyer if buyer % 2 else 700_000_000 + 37 * buyer
        province, city, districts = rng.choice(catalog.PLACES)
        return {
            "name": name,
            "masked_name": surname + "*" * (len(name) - 1),
            "mobile": mobile,
            "nickname": rng.choice(catalog.NICKNAMES),
            "buyer_id": buyer_id,
            "fans_id": 5_000_000_000 + 11 * buyer,
            "yz_open_id": "yz" + hashlib.sha256(b"open:%d:%d" % (self.seed, buyer)).hexdigest()[:28],
            "province": province,
            "city": city,
            "district": rng.choice(districts),
            "street": f"{rng.choice(catalog.ROADS)}{rng.randint(1, 999)}号{rng.randint(1, 30)}幢{rng.randint(101, 2802)}室",
            "id_card": f"3301{rng.randint(10, 99)}{1970 + rng.randrange(35)}0{rng.randint(1, 9)}{rng.randint(10, 28)}"
            f"{rng.randrange(1000):03d}X",
        }

    def _address(self, person: dict, tl: Timeline, rng: random.Random) -> dict:
        plain = tl.plaintext_pii
        street = person["street"]
        extra = {"areaCode": "", "lon": round(120 + rng.random(), 6), "lat": round(30 + rng.random(), 6)}
        if plain:
            extra["idCardNumber"] = person["id_card"]
        self_fetch = ""
        if tl.scenario == SELF_FETCH:
            self_fetch = (
                '{"name":"' + catalog.SHOP_NAMES[tl.shop % len(catalog.SHOP_NAMES)] + '门店",'
                '"user_name":"' + (person["name"] if plain else person["masked_name"]) + '",'
                '"user_tel":"' + (person["mobile"] if plain else _mask_mobile(person["mobile"])) + '"}'
            )
        return {
            "receiver_name": person["name"] if plain else person["masked_name"],
            "receiver_tel": person["mobile"] if plain else _mask_mobile(person["mobile"]),
            "delivery_province": person["province"],
            "delivery_city": person["city"],
            "delivery_district": person["district"],
            "delivery_address": street if plain else street[:3] + "****",
            "delivery_postal_code": "",
            "address_extra": json.dumps(extra, ensure_ascii=False, separators=(",", ":")),
            "self_fetch_info": self_fetch,
        }

    # ------------------------------------------------------------------ neutral facts
    def order_fact(self, i: int, now: int) -> OrderFact:
        """Order ``i`` at clock ``now`` in neutral terms (what an ERP receives from the channel)."""
        tl = self.timelines[i]
        state = self._state(tl, now)
        lines, totals = self._lines(i, tl, random.Random(digest(self.seed, i, b"yz-details")))
        canonical = {
            "WAIT_BUYER_PAY": "pending_payment",
            "TRADE_PAID": "paid",
            "WAIT_CONFIRM": "paid",
            "WAIT_SELLER_SEND_GOODS": "paid",
            "WAIT_BUYER_CONFIRM_GOODS": "shipped",
            "TRADE_SUCCESS": "completed",
            "TRADE_CLOSED": "cancelled",
        }[state["status"]]
        payment = totals["payment"]
        deposit_only = tl.scenario in PRESALE and not tl.at("balance", now)
        if not state["paid_any"]:
            paid_amount = Decimal("0.00")
        elif deposit_only:
            paid_amount = self._deposit(payment)  # what the buyer paid so far; the order is not paid (rule P1)
        else:
            paid_amount = payment
        paid_at = state["pay_time"] if state["pay_time"] and not deposit_only else 0
        refund = Decimal("0.00")
        if state["refund_state"] == p.REFUND_FULL_DONE:
            refund = payment
        elif state["refund_state"] == p.REFUND_PARTIAL_DONE:
            refund = lines[-1]["payment"]
        tracking: tuple[str, ...] = ()
        if tl.at("ship", now):
            carrier = catalog.CARRIERS[digest(self.seed, i, b"yz-carrier") % len(catalog.CARRIERS)]
            tracking = (f"{carrier[1]}{digest(self.seed, i, b'yz-waybill') % 10**12:012d}",)
        return OrderFact(
            channel="youzan",
            shop_id=self.shop_id_of(i),
            channel_order_id=self.tid_of(i),
            ordered_at=dt.datetime.fromtimestamp(tl.create, dt.timezone.utc),
            paid_at=dt.datetime.fromtimestamp(paid_at, dt.timezone.utc) if paid_at else None,
            status=canonical,
            paid_amount=_money(paid_amount),
            currency="CNY",
            refund_amount=_money(refund),
            tracking_numbers=tracking,
        )

    @staticmethod
    def _deposit(payment: Decimal) -> Decimal:
        """The presale deposit: 20 % of the order in whole yuan, at least 1 yuan."""
        total_fen = int(payment * 100)
        return Decimal(max(100, (total_fen // 5 // 100) * 100)) / 100

    def order_facts(self, now: int) -> Iterator[OrderFact]:
        for i in range(self.n_orders):
            yield self.order_fact(i, now)


def _local_or_empty(epoch: int) -> str:
    """The platform's naive Beijing time, or "" for an event that has not happened."""
    return p.format_local(epoch) if epoch else ""


def _mask_mobile(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}"


def _formatter(amounts_as: str):  # noqa: ANN202
    if amounts_as == "string":
        return lambda value: f"{_money(value):f}"
    if amounts_as == "number":
        return _money  # Decimal: the server writes it as a JSON number, digit for digit
    msg = f"amounts_as must be 'string' or 'number', got {amounts_as!r}"
    raise ValueError(msg)
