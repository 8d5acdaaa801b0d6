"""How a company's ERP holds its channel orders: the shared derivation behind the ERP sandboxes.

An integration (or a clerk) copies each *paid* channel order into the ERP as a sales order for the ERP
customer that stands for the channel shop, with the channel's order id in the ERP's reference field. Real
integrations are imperfect, and reconciliation exists because of that, so the derivation plants, per paid
channel order and deterministically from ``(seed, channel, shop_id, channel_order_id)``:

=============  ======  ===========================================================================
outcome        share   what the ERP holds
=============  ======  ===========================================================================
present        ~89 %   the order, amount and status agreeing; the reference mostly exact, sometimes
                       with an integration prefix (``DY``, ``JD-``, ``meituan_``…), a suffix or padding
missing        ~4 %    nothing (the import failed)
late           ~3 %    the order, created hours–days after payment *and* after the sandbox clock, so
                       it only appears after ``advance()``
amount_diff    ~3 %    the order with a different gross amount (freight left out, or a rounding cent)
status_diff    ~1 %    the order with a disagreeing status (cancelled in the channel, still open in
                       the ERP; or the reverse)
=============  ======  ===========================================================================

plus ERP-only orders (~2 % extra: offline / B2B sales with no channel reference). Unpaid channel orders never
reach the ERP (outcome ``not_paid``). Each ERP sandbox supplies its own formats (order numbers, customer codes)
and renders :class:`ErpOrder` in its protocol; :meth:`ErpDerivation.derivation` is the truth tests compare to.

ERP statuses are the four the ERP staging contract uses: ``open`` (entered, nothing delivered),
``in_process`` (being delivered), ``completed``, ``cancelled``. An order is created ``open`` and, where its
channel order has moved on, changes once to its final status later (a delivery or cancellation posted in
the ERP): that change, and the late creations, are the updates an incremental ERP sync picks up.

:func:`sample_channel_orders` makes stand-in channel orders for an ERP sandbox run on its own (and for tests).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from orderlayer.sandboxes.kit.synth import OrderFact

__all__ = [
    "OUTCOMES",
    "Derivation",
    "ErpDerivation",
    "ErpFormats",
    "ErpLine",
    "ErpOrder",
    "channel_reference_prefixes",
    "reference_prefix",
    "sample_channel_orders",
]

CENT = Decimal("0.01")
HOUR = 3_600
DAY = 86_400

#: Outcome shares per 10 000 paid channel orders ("present" takes the rest).
OUTCOME_SHARES: Mapping[str, int] = {"missing": 400, "late": 300, "amount_diff": 300, "status_diff": 100}
OUTCOMES = ("present", "missing", "late", "amount_diff", "status_diff", "not_paid", "erp_only")
#: ERP-only orders per 10 000 paid channel orders.
ERP_ONLY_PER_10000 = 200
#: Reference spellings of present orders, per 10 000 (the rest are the exact channel order id).
REFERENCE_SHARES: Mapping[str, int] = {"prefix": 1200, "suffix": 300, "padded": 100}

@functools.cache
def channel_reference_prefixes() -> Mapping[str, str]:
    """Channel -> the prefix integrations put before its order ids: each channel sandbox's ``REFERENCE_PREFIX``
    (read on first use: the ERP sandboxes import this module while the sandbox packages load)."""
    import orderlayer.sandboxes as sandboxes

    prefixes = {}
    for folder in pkgutil.iter_modules(sandboxes.__path__):
        if folder.ispkg:
            prefix = getattr(importlib.import_module(f"{sandboxes.__name__}.{folder.name}"), "REFERENCE_PREFIX", None)
            if prefix is not None:
                prefixes[folder.name] = prefix
    return prefixes


def reference_prefix(channel: str) -> str:
    """The prefix integrations put before ``channel``'s order ids (a channel without a sandbox: ``CHANNEL-``)."""
    return channel_reference_prefixes().get(channel, channel.upper() + "-")


#: (material number, description) the ERP books channel sales against.
MATERIALS: tuple[tuple[str, str], ...] = (
    ("FG-1001", "办公椅 人体工学"),
    ("FG-1002", "龙井茶 250g"),
    ("FG-1003", "纯棉T恤"),
    ("FG-1004", "保温杯 500ml"),
    ("FG-1005", "蓝牙耳机"),
    ("FG-1006", "红糖 400g"),
    ("FG-1007", "儿童绘本套装"),
    ("FG-1008", "瑜伽垫"),
    ("FG-1009", "苹果 5kg"),
    ("FG-1010", "面膜 20片"),
    ("SV-9001", "运费"),
)

_CHANNEL_STATUS_TO_ERP = {"paid": "open", "shipped": "in_process", "completed": "completed", "cancelled": "cancelled"}


def _roll(seed: int, key: str, purpose: bytes) -> int:
    """A 256-bit number determined by (seed, key, purpose): per-order randomness without shared state."""
    data = f"{seed}\x1f{key}".encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=32, person=purpose[:16]).digest(), "little")


def _epoch(value: dt.datetime) -> int:
    if value.tzinfo is None:
        msg = "channel order times must be timezone-aware"
        raise ValueError(msg)
    return int(value.timestamp())


@dataclass(frozen=True)
class ErpFormats:
    """How one ERP spells its keys (each ERP sandbox passes its own)."""

    #: ERP order number from the 1-based creation sequence (e.g. SAP ``10000042``, Kingdee ``XSDD000042``).
    order_id: Callable[[int], str]
    #: Customer code of the k-th (0-based) channel shop, in sorted (channel, shop_id) order.
    shop_customer: Callable[[int], str]
    #: Customer code of the j-th (0-based) offline / B2B customer of ERP-only orders.
    offline_customer: Callable[[int], str]
    #: Number of offline customers ERP-only orders are spread over.
    offline_customers: int = 3


@dataclass(frozen=True)
class ErpLine:
    """One sales-order line; lines sum exactly to the order (gross, net and tax)."""

    line_no: int
    material: str
    description: str
    quantity: int
    gross: Decimal
    net: Decimal
    tax: Decimal


@dataclass(frozen=True)
class ErpOrder:
    """One ERP sales order, its creation and (at most one) later status change."""

    key: str
    seq: int
    erp_order_id: str
    customer: str
    #: The reference field exactly as the ERP stores it ("" when none).
    reference: str
    created_at: int
    #: When the order changed to ``final_status`` (None: it stays ``open``).
    changed_at: int | None
    final_status: str
    gross: Decimal
    net: Decimal
    tax: Decimal
    tax_rate: Decimal
    currency: str
    lines: tuple[ErpLine, ...]
    #: The channel order it came from (None for ERP-only orders).
    channel: str | None = None
    shop_id: str | None = None
    channel_order_id: str | None = None
    #: Carries planted plaintext contact data (the tap must remove it).
    plaintext_pii: bool = False

    def visible_at(self, now: int) -> bool:
        return self.created_at <= now

    def status_at(self, now: int) -> str:
        return self.final_status if self.changed_at is not None and self.changed_at <= now else "open"

    def updated_at(self, now: int) -> int:
        """The ERP's last-change time as seen at clock ``now`` (the order must be visible)."""
        return self.changed_at if self.changed_at is not None and self.changed_at <= now else self.created_at

    def n_versions_until(self, now: int) -> int:
        """How many distinct versions an incremental sync can have seen by ``now``."""
        if not self.visible_at(now):
            return 0
        return 2 if self.changed_at is not None and self.changed_at <= now else 1


@dataclass(frozen=True)
class Derivation:
    """What was done with one channel order (or, for ``erp_only``, which ERP order has no channel order)."""

    outcome: str
    channel: str | None
    shop_id: str | None
    channel_order_id: str | None
    erp_order_id: str | None
    #: The reference as stored in the ERP, and how it was spelled (exact / prefix / suffix / padded).
    reference: str | None
    reference_format: str | None
    channel_status: str | None
    erp_status: str | None
    channel_amount: Decimal | None
    erp_amount: Decimal | None
    currency: str | None
    #: Epoch seconds from which the ERP order exists (None: never).
    visible_from: int | None
    #: Epoch seconds of the ERP's status change (None: none).
    erp_changed_at: int | None
    customer: str | None


@dataclass
class _Draft:
    key: str
    created_at: int
    changed_at: int | None
    final_status: str
    gross: Decimal
    currency: str
    customer: str
    reference: str
    channel: str | None
    shop_id: str | None
    channel_order_id: str | None
    pii: bool


class ErpDerivation:
    """The ERP's sales orders derived from channel orders (see module docstring); computed once, eagerly."""

    def __init__(
        self,
        seed: int,
        as_of: dt.datetime,
        channel_orders: Iterable[OrderFact],
        formats: ErpFormats,
        *,
        customer_codes: Mapping[tuple[str, str], str] | None = None,
        tax_rate: Decimal = Decimal("0.13"),
    ) -> None:
        self.seed = int(seed)
        self.as_of_ts = _epoch(as_of)
        self.formats = formats
        self.tax_rate = tax_rate
        facts = sorted(channel_orders, key=lambda f: (f.channel, f.shop_id, f.channel_order_id))
        shops = sorted({(f.channel, f.shop_id) for f in facts})
        given = dict(customer_codes or {})
        self.customer_codes: dict[tuple[str, str], str] = {
            shop: given.get(shop, formats.shop_customer(k)) for k, shop in enumerate(shops)
        }
        drafts: list[_Draft] = []
        self._entries: list[tuple[OrderFact, str, str | None, _Draft | None]] = []
        for fact in facts:
            outcome, reference_format, draft = self._derive(fact)
            self._entries.append((fact, outcome, reference_format, draft))
            if draft is not None:
                drafts.append(draft)
        n_paid = sum(1 for _, outcome, _, _ in self._entries if outcome != "not_paid")
        paid_times = [_epoch(f.paid_at) for f in facts if f.paid_at is not None]
        first = min(paid_times) if paid_times else self.as_of_ts - 30 * DAY
        currency = facts[0].currency if facts else "CNY"
        self._erp_only_keys: list[str] = []
        for j in range((n_paid * ERP_ONLY_PER_10000 + 5_000) // 10_000):
            draft = self._erp_only(j, first, currency)
            drafts.append(draft)
            self._erp_only_keys.append(draft.key)
        # ERP numbers follow creation order, as a real number range does.
        drafts.sort(key=lambda d: (d.created_at, d.key))
        self.orders: list[ErpOrder] = [self._render(seq, d) for seq, d in enumerate(drafts, start=1)]
        self._by_key = {o.key: o for o in self.orders}

    # ------------------------------------------------------------------ derivation
    def _derive(self, fact: OrderFact) -> tuple[str, str | None, _Draft | None]:
        key = f"{fact.channel}|{fact.shop_id}|{fact.channel_order_id}"
        if fact.paid_at is None or fact.status == "pending_payment":
            return "not_paid", None, None
        if fact.status not in _CHANNEL_STATUS_TO_ERP:
            msg = f"channel order {key} has status {fact.status!r}; expected one of pending_payment, {sorted(_CHANNEL_STATUS_TO_ERP)}"
            raise ValueError(msg)
        r = _roll(self.seed, key, b"erp-outcome")
        outcome = "present"
        pick = r % 10_000
        for name, share in OUTCOME_SHARES.items():
            if pick < share:
                outcome = name
                break
            pick -= share
        if outcome == "missing":
            return outcome, None, None
        r >>= 14
        paid = _epoch(fact.paid_at)
        if outcome == "late":
            # Entered hours–days after payment, and after the sandbox clock: visible only after advance().
            lag = 6 * HOUR + (r % (66 * HOUR))
            created = max(paid + lag, self.as_of_ts + HOUR + (r >> 20) % (47 * HOUR))
        else:
            # An integration batch picks a paid order up within minutes to a few hours.
            created = min(paid + 120 + r % (3 * HOUR), self.as_of_ts)
        r >>= 40
        final = _CHANNEL_STATUS_TO_ERP[fact.status]
        if outcome == "status_diff":
            final = "open" if final == "cancelled" else "cancelled"
        changed: int | None = None
        if final != "open":
            delay = 10 * 60 + r % (36 * HOUR)
            # Agreeing orders have caught up with the channel by the sandbox clock; late ones change later.
            if outcome == "late":
                changed = created + delay
            else:
                changed = min(created + delay, self.as_of_ts)
                created = min(created, changed - 1)  # a change at the clock needs a creation before it
        r >>= 20
        gross = fact.paid_amount.quantize(CENT)
        if outcome == "amount_diff":
            gross = self._disagreeing_amount(gross, r)
        r >>= 8
        reference_format = "exact"
        reference = fact.channel_order_id
        if outcome == "present":
            pick = r % 10_000
            for name, share in REFERENCE_SHARES.items():
                if pick < share:
                    reference_format = name
                    break
                pick -= share
            reference = self._spell_reference(fact.channel, fact.channel_order_id, reference_format)
        draft = _Draft(
            key=key,
            created_at=created,
            changed_at=changed,
            final_status=final,
            gross=gross,
            currency=fact.currency,
            customer=self.customer_codes[(fact.channel, fact.shop_id)],
            reference=reference,
            channel=fact.channel,
            shop_id=fact.shop_id,
            channel_order_id=fact.channel_order_id,
            pii=False,
        )
        return outcome, reference_format, draft

    @staticmethod
    def _disagreeing_amount(gross: Decimal, r: int) -> Decimal:
        """Freight left out of the ERP order, or a rounding cent; never equal to ``gross``."""
        freight = Decimal((6, 8, 10, 12)[r % 4])
        if r % 3 != 0 and gross > freight + 1:
            return gross - freight
        if gross > CENT and (r >> 2) % 2:
            return gross - CENT
        return gross + CENT

    @staticmethod
    def _spell_reference(channel: str, order_id: str, reference_format: str) -> str:
        if reference_format == "prefix":
            return reference_prefix(channel) + order_id
        if reference_format == "suffix":
            return order_id + "-01"  # a re-entered or split order
        if reference_format == "padded":
            return order_id + "  "  # typed by hand, trailing blanks kept by the field
        return order_id

    def _erp_only(self, j: int, first: int, currency: str) -> _Draft:
        key = f"erp-only|{j}"
        r = _roll(self.seed, key, b"erp-only")
        span = max(1, self.as_of_ts - first)
        created = first + r % span
        r >>= 40
        final = ("completed", "completed", "in_process", "open", "cancelled")[r % 5]
        r >>= 4
        changed = None if final == "open" else created + DAY + r % (5 * DAY)  # may fall after the clock
        r >>= 20
        gross = Decimal(2_000 + r % 480_000) / 100  # B2B orders: 20.00 .. 4 819.99
        r >>= 20
        reference = f"PO-B2B-{2400 + j:05d}" if r % 3 == 0 else ""
        r >>= 2
        customer = self.formats.offline_customer(j % self.formats.offline_customers)
        return _Draft(key, created, changed, final, gross, currency, customer, reference, None, None, None, pii=r % 2 == 0)

    def _render(self, seq: int, d: _Draft) -> ErpOrder:
        lines = self._lines(d.key, d.gross)
        return ErpOrder(
            key=d.key,
            seq=seq,
            erp_order_id=self.formats.order_id(seq),
            customer=d.customer,
            reference=d.reference,
            created_at=d.created_at,
            changed_at=d.changed_at,
            final_status=d.final_status,
            gross=d.gross,
            net=sum((ln.net for ln in lines), Decimal("0.00")),
            tax=sum((ln.tax for ln in lines), Decimal("0.00")),
            tax_rate=self.tax_rate,
            currency=d.currency,
            lines=lines,
            channel=d.channel,
            shop_id=d.shop_id,
            channel_order_id=d.channel_order_id,
            plaintext_pii=d.pii,
        )

    def _lines(self, key: str, gross: Decimal) -> tuple[ErpLine, ...]:
        """1–3 lines whose gross amounts sum exactly to ``gross``; net = gross / (1 + rate), tax the rest."""
        r = _roll(self.seed, key, b"erp-lines")
        cents = int((gross / CENT).to_integral_value())
        n = 1 + r % 3
        r >>= 2
        n = max(1, min(n, cents))  # every line carries at least a cent
        shares = []
        for _ in range(n):
            shares.append(1 + r % 9)
            r >>= 4
        amounts = [cents * s // sum(shares) for s in shares]
        amounts[0] += cents - sum(amounts)
        lines = []
        for k, line_cents in enumerate(amounts):
            material, description = MATERIALS[r % (len(MATERIALS) - 1)]
            r >>= 4
            quantity = 1 + r % 3
            r >>= 2
            line_gross = Decimal(line_cents) / 100
            net = (line_gross / (1 + self.tax_rate)).quantize(CENT, rounding=ROUND_HALF_UP)
            lines.append(ErpLine(10 * (k + 1), material, description, quantity, line_gross, net, line_gross - net))
        return tuple(lines)

    # ------------------------------------------------------------------ answers
    def order(self, key: str) -> ErpOrder:
        return self._by_key[key]

    def derivation(self) -> list[Derivation]:
        """Per channel order what was done, then one ``erp_only`` entry per ERP-only order."""
        out = []
        for fact, outcome, reference_format, draft in self._entries:
            erp = self._by_key[draft.key] if draft is not None else None
            out.append(
                Derivation(
                    outcome=outcome,
                    channel=fact.channel,
                    shop_id=fact.shop_id,
                    channel_order_id=fact.channel_order_id,
                    erp_order_id=erp.erp_order_id if erp else None,
                    reference=erp.reference if erp else None,
                    reference_format=reference_format,
                    channel_status=fact.status,
                    erp_status=erp.final_status if erp else None,
                    channel_amount=fact.paid_amount,
                    erp_amount=erp.gross if erp else None,
                    currency=fact.currency,
                    visible_from=erp.created_at if erp else None,
                    erp_changed_at=erp.changed_at if erp else None,
                    customer=erp.customer if erp else None,
                )
            )
        for key in self._erp_only_keys:
            erp = self._by_key[key]
            out.append(
                Derivation(
                    outcome="erp_only",
                    channel=None,
                    shop_id=None,
                    channel_order_id=None,
                    erp_order_id=erp.erp_order_id,
                    reference=erp.reference,
                    reference_format=None,
                    channel_status=None,
                    erp_status=erp.final_status,
                    channel_amount=None,
                    erp_amount=erp.gross,
                    currency=erp.currency,
                    visible_from=erp.created_at,
                    erp_changed_at=erp.changed_at,
                    customer=erp.customer,
                )
            )
        return out

    def visible_orders(self, now: int) -> list[ErpOrder]:
        """ERP orders that exist at clock ``now``, in creation order."""
        return [o for o in self.orders if o.visible_at(now)]


def sample_channel_orders(
    seed: int,
    as_of: dt.datetime,
    n_orders: int,
    shops: Iterable[tuple[str, str]] = (("douyin", "7784061"), ("jd", "10086001"), ("taobao", "57300121")),
    *,
    days: int = 30,
    currency: str = "CNY",
) -> list[OrderFact]:
    """Stand-in channel orders for an ERP sandbox run on its own (``python -m …sandbox``) and for ERP tests.

    The ERP sandboxes normally derive from the channel sandboxes' ``order_facts()``; this gives the same
    neutral facts without starting a channel: ids in each channel's style, every lifecycle status, refunds.
    """
    shops = list(shops)
    if not shops:
        msg = "at least one (channel, shop_id) is required"
        raise ValueError(msg)
    end = _epoch(as_of)
    statuses = (("pending_payment", 6), ("paid", 14), ("shipped", 25), ("completed", 45), ("cancelled", 10))
    total = sum(w for _, w in statuses)
    out = []
    for i in range(n_orders):
        r = _roll(seed, str(i), b"sample-order")
        channel, shop_id = shops[r % len(shops)]
        r //= len(shops)
        # placed at least a day before the clock, so shipped and completed orders had time to get there
        ordered = end - days * DAY + r % ((days - 1) * DAY) if days > 1 else end - DAY
        r >>= 24
        pick = r % total
        r >>= 8
        status = statuses[-1][0]
        for name, weight in statuses:
            if pick < weight:
                status = name
                break
            pick -= weight
        paid_at = None if status == "pending_payment" or (status == "cancelled" and r % 3 == 0) else min(end, ordered + 30 + r % 900)
        r >>= 12
        amount = Decimal(990 + r % 60_000) / 100
        r >>= 16
        refund = amount if status == "cancelled" and paid_at is not None else Decimal("0.00")
        order_id = {
            "jd": str(3_000_000_000_0 + i * 7_919),
            "taobao": str(4_100_000_000_000_000_00 + i * 104_729),
            "meituan": f"meituan_{dt.datetime.fromtimestamp(ordered, dt.timezone.utc):%Y%m%d%H%M%S}_{i:04d}",
        }.get(channel, str(6_900_000_000_000_000_000 + i * 1_000_003))
        out.append(
            OrderFact(
                channel=channel,
                shop_id=shop_id,
                channel_order_id=order_id,
                ordered_at=dt.datetime.fromtimestamp(ordered, dt.timezone.utc),
                paid_at=None if paid_at is None else dt.datetime.fromtimestamp(paid_at, dt.timezone.utc),
                status=status,
                paid_amount=amount if paid_at is not None else Decimal("0.00"),
                currency=currency,
                refund_amount=refund,
            )
        )
    return out
