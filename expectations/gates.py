"""The gate catalogue (shared/design/metrics-and-gates.md): red gates block publish, yellow ones warn.

A gate is a named group of checks on one table. Its colour sets the GX severity of its checks
(red = critical, yellow = warning). Row gates (R1-R3, Y2) judge `audit.fct_orders` directly; the
aggregate gates judge a small per-channel table in schema `gates` that the runner computes first
(see `inputs.py`); Y1 is judged by dbt source freshness (see `freshness.py`). To add a gate, write a
function returning a `Gate` and list it in `catalogue`; thresholds go in `orderlayer.core.config.GateSettings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from great_expectations.expectations.row_conditions import Column

from orderlayer.core.config import GateSettings
from orderlayer.expectations.checks import Check, Severity, between, not_in_set, not_null, pair_equal, rows, sql_literal, unique
from orderlayer.expectations.inputs import (
    NIGHT_HOURS, STATUS_TIMES, GateContext, GateInput, History, channel_profile, daily_volume, order_accounting,
)
from orderlayer.expectations.sql_dialect import DUCKDB, GateDialect
from orderlayer.core.warehouse import AUDIT, GATES, QUARANTINE

GateColour = Literal["red", "yellow"]

_SEVERITY: dict[str, Severity] = {"red": "critical", "yellow": "warning"}

ORDERS = "fct_orders"
LINES = "fct_order_lines"


@dataclass(frozen=True)
class Gate:
    id: str
    colour: GateColour
    description: str
    model: str
    checks: tuple[Check, ...]
    #: Other tables ("schema.table") the checks or the input read, checked to exist before GX runs.
    reads: tuple[str, ...] = ()
    #: Columns of `model` the per-channel report groups by and takes example keys from.
    channel_column: str = "channel"
    key_column: str = "order_key"
    schema: str = AUDIT
    #: The table the runner computes into `schema.model` before validation (aggregate gates).
    input: GateInput | None = None
    #: When set, a channel's failing count is the sum of this column over its failing rows (an aggregate
    #: row stands for many orders), and its examples come from this list column.
    count_column: str | None = None
    examples_column: str | None = None
    #: What the examples are (see GateResult.example_key).
    example_key: str = "order_key"
    #: SQL aggregate over one channel's rows of `model` giving the light's explanation.
    note: str | None = None
    #: "gx": checks validated by Great Expectations; "freshness": judged by dbt source freshness.
    kind: Literal["gx", "freshness"] = "gx"

    @property
    def severity(self) -> Severity:
        return _SEVERITY[self.colour]

    @property
    def table(self) -> str:
        return f"{self.schema}.{self.model}"


def catalogue(
    settings: GateSettings,
    now: datetime,
    context: GateContext | None = None,
    run_id: str = "",
    raw_tables: dict[str, str] | None = None,
    published_baseline: bool = False,
    refund_tables: dict[str, tuple[str, ...]] | None = None,
    dialect: GateDialect = DUCKDB,
    history: History | None = None,
) -> list[Gate]:
    """The gates of one run, their SQL in the warehouse's `dialect` (`history`: see `inputs.channel_profile`).

    `now` fixes the run's clock (R3's "future" bound, Y5's grace period); `run_id` is left out of the
    trailing history so re-checking a run never compares it with itself; `raw_tables` (channel → raw
    orders table, see `inputs.raw_order_tables`) are what R4 counts as received; `published_baseline`
    (a published fct_orders exists) gives Y4 its history days from `published`; `refund_tables` (channel → its
    after-sale raw tables, `inputs.raw_refund_tables`) are the after-sale records R4 counts as received.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    context = context or GateContext()
    d = dialect
    accounting = order_accounting(raw_tables or {}, settings, refund_tables, d)
    profile = channel_profile(settings, context, run_id, now, d, history)
    gates = [
        r1_keys(),
        r2_money(),
        r3_time(settings, now, d),
        r4_nothing_lost(accounting, d),
        r5_order_value(settings, profile, d),
        r6_quarantine(settings, accounting, d),
        y1_freshness(settings),
        y2_unmapped_status(),
        y3_night_share(settings, profile, d),
        y4_daily_volume(settings, published_baseline, d),
        y5_erp_consistency(settings, context, profile, d),
        y6_quarantine(settings, accounting, d),
        y7_promised_dates(settings, profile, d),
        y8_status_times(settings, profile, d),
        y9_carrier_events(settings, context, now, d),
    ]
    ids = [g.id for g in gates]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate gate ids in the catalogue: {ids}")
    return gates


def r1_keys() -> Gate:
    sev = _SEVERITY["red"]
    return Gate(
        id="R1",
        colour="red",
        description="order_key is present and unique; (channel, shop_id, channel_order_id) is unique",
        model=ORDERS,
        checks=(
            not_null("order_key_present", "order_key", sev),
            unique("order_key_unique", ["order_key"], sev),
            unique("channel_order_unique", ["channel", "shop_id", "channel_order_id"], sev),
        ),
    )


def r2_money() -> Gate:
    sev = _SEVERITY["red"]
    paid = Column("is_paid") == True  # noqa: E712 - builds a GX row condition, not a Python comparison
    lines = f"{AUDIT}.{LINES}"
    # Orders whose key is among those whose line totals differ from the order's amounts (a semi-join:
    # DuckDB plans it about twice as fast as the equivalent correlated EXISTS). A line with a NULL
    # amount makes its order's total NULL, so that order cannot sum "exactly".
    lines_mismatch = f"""order_key IN (
        SELECT line_totals.line_order_key
        FROM (
            SELECT order_key AS line_order_key,
                   CASE WHEN count(line_paid_amount) = count(*) THEN sum(line_paid_amount) END AS lines_paid,
                   CASE WHEN count(line_goods_amount) = count(*) THEN sum(line_goods_amount) END AS lines_goods
            FROM {lines} GROUP BY order_key
        ) AS line_totals
        JOIN {{model}} AS o ON o.order_key = line_totals.line_order_key
        WHERE line_totals.lines_paid IS DISTINCT FROM o.paid_amount
           OR line_totals.lines_goods IS DISTINCT FROM o.goods_amount)"""
    return Gate(
        id="R2",
        colour="red",
        description=(
            "money: paid orders have non-null, non-negative paid and goods amounts; "
            "refund_amount <= paid_amount; order lines sum exactly to the order"
        ),
        model=ORDERS,
        reads=(lines,),
        checks=(
            not_null("paid_amount_present", "paid_amount", sev, where=paid),
            not_null("goods_amount_present", "goods_amount", sev, where=paid),
            between("paid_amount_non_negative", "paid_amount", sev, min_value=0, where=paid),
            between("goods_amount_non_negative", "goods_amount", sev, min_value=0, where=paid),
            rows(
                "refund_within_paid",
                "refund_amount > paid_amount",
                sev,
                "refund_amount is at most paid_amount",
            ),
            rows(
                "lines_sum_to_order",
                lines_mismatch,
                sev,
                "Σ line_paid_amount = paid_amount and Σ line_goods_amount = goods_amount for orders with lines",
            ),
        ),
    )


def r3_time(settings: GateSettings, now: datetime, d: GateDialect = DUCKDB) -> Gate:
    sev = _SEVERITY["red"]
    earliest = datetime.combine(date.fromisoformat(settings.earliest_order_date), time(0), tzinfo=UTC)
    latest = now.astimezone(UTC) + timedelta(minutes=settings.future_skew_minutes)
    tolerance = int(settings.paid_before_ordered_tolerance_seconds)
    return Gate(
        id="R3",
        colour="red",
        description=(
            f"time: ordered_at is present, not after now + {settings.future_skew_minutes} min, "
            f"not before {settings.earliest_order_date}; paid_at >= ordered_at - {tolerance} s"
        ),
        model=ORDERS,
        checks=(
            not_null("ordered_at_present", "ordered_at", sev),
            between("ordered_at_plausible", "ordered_at", sev, min_value=earliest, max_value=latest, literal=d.literal),
            rows(
                "paid_not_before_ordered",
                f"paid_at < ordered_at - INTERVAL {tolerance} SECOND",
                sev,
                f"paid_at is not earlier than ordered_at by more than {tolerance} s",
            ),
        ),
    )


# Aggregate gates on gates.order_accounting (one row per channel) -----------------------------------

_ACCOUNTING_READS = (f"{AUDIT}.{ORDERS}", f"{QUARANTINE}.quarantine_orders")


def r4_nothing_lost(accounting: GateInput, d: GateDialect = DUCKDB) -> Gate:
    sev = _SEVERITY["red"]
    return Gate(
        id="R4",
        colour="red",
        description=(
            "nothing lost: distinct orders in raw = rows in fct_orders + orders quarantined without a valid "
            "version, per channel and per order; after-sale records in raw = the records fct_refunds, "
            "quarantine_refunds and refunds_left_out name (after_sale_record_id)"
        ),
        model=accounting.name,
        schema=GATES,
        input=accounting,
        reads=_ACCOUNTING_READS,
        checks=(
            pair_equal("raw_equals_accounted", "raw_orders", "accounted_orders", sev),
            between("every_order_balances", "unbalanced_orders", sev, max_value=0),
            pair_equal("refunds_balance", "raw_refunds", "accounted_refunds", sev),
        ),
        count_column="unbalanced_records",
        examples_column="unbalanced_examples",
        example_key="raw_record_id",
        note=f"""any_value({d.format('raw {} {} fct_orders {} + quarantined without a valid version {}',
            'raw_orders', "CASE WHEN raw_orders = accounted_orders THEN '=' ELSE '≠' END", 'fct_orders', 'quarantined_lost')}
            || CASE WHEN unbalanced_orders > 0 THEN {d.format('; orders that do not balance: {}', 'unbalanced_orders')} ELSE '' END
            || CASE WHEN raw_refunds + accounted_refunds > 0
                    THEN {d.format('; after-sale records: raw {} {} fct_refunds {} + quarantined {}', 'raw_refunds',
                                   "CASE WHEN raw_refunds = accounted_refunds THEN '=' ELSE '≠' END", 'fct_refunds',
                                   'quarantined_refunds')}
                         || CASE WHEN left_out_refunds > 0 THEN {d.format(' + left out by rule {}', 'left_out_refunds')} ELSE '' END
                    ELSE '' END)""",
    )


def _quarantine_note(d: GateDialect) -> str:
    # Corrected orders are history (quarantine.quarantine_orders keeps them): named, never counted.
    return f"""any_value({d.format('{} of {} orders have a quarantined version ({:.2f}%)', 'quarantined_orders', 'raw_orders',
                                   '100 * quarantine_share')}
        || CASE WHEN corrected_orders > 0
                THEN {d.format('; {} corrected by a later valid version', 'corrected_orders')} ELSE '' END)"""


def r6_quarantine(settings: GateSettings, accounting: GateInput, d: GateDialect = DUCKDB) -> Gate:
    limit = settings.quarantine_share_max
    return Gate(
        id="R6",
        colour="red",
        description=f"quarantine share above {limit:.2%} of a channel's orders (versions current now)",
        model=accounting.name,
        schema=GATES,
        input=accounting,
        reads=_ACCOUNTING_READS,
        checks=(between("quarantine_share_within_limit", "quarantine_share", "critical", max_value=limit),),
        count_column="quarantined_orders",
        examples_column="quarantined_examples",
        example_key="raw_record_id",
        note=_quarantine_note(d),
    )


def y6_quarantine(settings: GateSettings, accounting: GateInput, d: GateDialect = DUCKDB) -> Gate:
    limit = settings.quarantine_share_max
    # Only channels at or under R6's limit: above it R6 is red and Y6 does not repeat it.
    at_most_limit = Column("quarantine_share") <= limit
    return Gate(
        id="Y6",
        colour="yellow",
        description=f"quarantine share above 0 (and up to R6's {limit:.2%})",
        model=accounting.name,
        schema=GATES,
        input=accounting,
        reads=_ACCOUNTING_READS,
        checks=(between("nothing_quarantined", "quarantine_share", "warning", max_value=0, where=at_most_limit),),
        count_column="quarantined_orders",
        examples_column="quarantined_examples",
        example_key="raw_record_id",
        note=_quarantine_note(d),
    )


# Aggregate gates on gates.channel_profile (one row per channel) -----------------------------------


def r5_order_value(settings: GateSettings, profile: GateInput, d: GateDialect = DUCKDB) -> Gate:
    lo, hi = settings.order_value_ratio_min, settings.order_value_ratio_max
    return Gate(
        id="R5",
        colour="red",
        description=(
            f"unit sanity: a channel's median order value is within {lo:g}x-{hi:g}x of its trailing median "
            f"(last {settings.trailing_runs} runs where R5 was green)"
        ),
        model=profile.name,
        schema=GATES,
        input=profile,
        reads=(f"{AUDIT}.{ORDERS}",),
        checks=(between("order_value_within_band", "order_value_ratio", "critical", min_value=lo, max_value=hi),),
        count_column="valid_orders",
        examples_column="top_value_examples",
        note=f"""any_value(CASE
            WHEN median_order_value IS NULL THEN 'no valid orders'
            WHEN order_value_ratio IS NULL THEN {d.format('median {:.2f}; no history yet', 'median_order_value')}
            ELSE {d.format('median {:.2f} vs trailing {:.2f} over {} runs ({:.2f}x)', 'median_order_value',
                           'trailing_median_order_value', 'order_value_runs', 'order_value_ratio')} END)""",
    )


def y3_night_share(settings: GateSettings, profile: GateInput, d: GateDialect = DUCKDB) -> Gate:
    start, end = NIGHT_HOURS
    return Gate(
        id="Y3",
        colour="yellow",
        description=(
            f"timezone sanity: share of orders placed {start:02d}:00-{end:02d}:00 shop-local time is at most "
            f"{settings.night_share_factor:g}x the channel's trailing share (an 8-hour shift breaks it)"
        ),
        model=profile.name,
        schema=GATES,
        input=profile,
        reads=(f"{AUDIT}.{ORDERS}",),
        checks=(
            between("night_share_near_trailing", "night_share_ratio", "warning", max_value=settings.night_share_factor),
        ),
        count_column="night_orders",
        examples_column="night_examples",
        note=f"""any_value(CASE
            WHEN orders < {int(settings.night_min_orders)}
                THEN {d.format(f'night share {{:.1f}}%; fewer than {int(settings.night_min_orders)} orders, not judged',
                               '100 * night_share')}
            WHEN night_share_ratio IS NULL THEN {d.format('night share {:.1f}%; no history yet', '100 * night_share')}
            ELSE {d.format('night share {:.1f}% vs trailing {:.1f}% over {} runs', '100 * night_share',
                           '100 * trailing_night_share', 'night_share_runs')} END)""",
    )


def y5_erp_consistency(settings: GateSettings, context: GateContext, profile: GateInput, d: GateDialect = DUCKDB) -> Gate:
    target = settings.erp_consistency_target
    description = f"erp_consistency_rate (channel orders linked to their ERP order) is at least {target:.0%}"
    if not context.erp_configured:
        # Nothing to compare with: a green light that says so, rather than a silent pass.
        return Gate(
            id="Y5",
            colour="yellow",
            description=description,
            model=profile.name,
            schema=GATES,
            input=profile,
            reads=(f"{AUDIT}.{ORDERS}",),
            checks=(),
            note=sql_literal("not applicable: no ERP connection is configured in orderlayer.yml"),
        )
    return Gate(
        id="Y5",
        colour="yellow",
        description=description + f" (orders paid over {settings.erp_grace_hours} h ago)",
        model=profile.name,
        schema=GATES,
        input=profile,
        reads=(f"{AUDIT}.{ORDERS}", f"{AUDIT}.order_fulfillment"),
        checks=(between("erp_consistency_at_target", "erp_consistency_rate", "warning", min_value=target),),
        count_column="erp_unmatched_orders",
        examples_column="erp_unmatched_examples",
        note=f"""any_value(CASE WHEN erp_expected_orders = 0 THEN 'no order due in the ERP yet'
            ELSE {d.format('{} of {} orders due in the ERP are matched and agree ({:.1f}%)',
                           'erp_expected_orders - erp_unmatched_orders', 'erp_expected_orders', '100 * erp_consistency_rate')} END)""",
    )


def y7_promised_dates(settings: GateSettings, profile: GateInput, d: GateDialect = DUCKDB) -> Gate:
    limit = settings.promise_missing_max_share
    return Gate(
        id="Y7",
        colour="yellow",
        description=f"promised ship date (promised_ship_by) missing on at most {limit:.0%} of a channel's paid orders",
        model=profile.name,
        schema=GATES,
        input=profile,
        reads=(f"{AUDIT}.{ORDERS}",),
        checks=(between("promise_mostly_present", "promise_missing_share", "warning", max_value=limit),),
        count_column="promise_missing_orders",
        examples_column="promise_missing_examples",
        note=f"""any_value(CASE WHEN paid_orders = 0 THEN 'no paid orders'
            ELSE {d.format('{} of {} paid orders lack promised_ship_by ({:.1f}%)', 'promise_missing_orders', 'paid_orders',
                           '100 * promise_missing_share')} END)""",
    )


def y8_status_times(settings: GateSettings, profile: GateInput, d: GateDialect = DUCKDB) -> Gate:
    limit = settings.status_time_missing_max_share
    statuses = ", ".join(f"{status} without {column}" for status, column, _ in STATUS_TIMES)
    parts = " || ".join(
        f"""CASE WHEN {status}_time_missing > 0
            THEN {d.format(f'{column} missing on {{}} of {{}} {status} orders ({{:.1f}}%); ', f'{status}_time_missing',
                           f'{status}_time_orders', f'100 * {status}_time_missing / {status}_time_orders')} ELSE '' END"""
        for status, column, _ in STATUS_TIMES
    )
    return Gate(
        id="Y8",
        colour="yellow",
        description=(
            f"a status's required time is present on most orders: at most {limit:.0%} of a channel's orders in a "
            f"status lack its time ({statuses})"
        ),
        model=profile.name,
        schema=GATES,
        input=profile,
        reads=(f"{AUDIT}.{ORDERS}",),
        checks=(between("status_times_mostly_present", "status_time_missing_share", "warning", max_value=limit),),
        count_column="status_time_failing",
        examples_column="status_time_examples",
        note=f"any_value(coalesce(nullif(TRIM(TRAILING '; ' FROM {parts}), ''), 'every status has its time'))",
    )


def y9_carrier_events(settings: GateSettings, context: GateContext, now: datetime, d: GateDialect = DUCKDB) -> Gate:
    """Shipped orders whose parcels no carrier has reported on, per channel (docs/logistics.md)."""
    hours = settings.no_carrier_event_hours
    description = f"a shipped order with a tracking number has a carrier event within {hours} h of shipping"
    if not context.carriers_configured:
        return Gate(
            id="Y9", colour="yellow", description=description, model=ORDERS, checks=(),
            note=sql_literal("not applicable: no carrier connection (sf_express, kuaidi100) is configured"),
        )
    cutoff = d.literal(now.astimezone(UTC) - timedelta(hours=hours))
    parcels, events = f"{AUDIT}.map_order_ids", f"{AUDIT}.fct_shipment_events"
    # shipped long enough ago, still undelivered per the channel, naming a parcel, and no event of any of its parcels
    silent = f"""is_shipped AND NOT is_cancelled AND NOT is_test AND delivered_at IS NULL
        AND coalesce(shipped_at, paid_at) < {cutoff}
        AND order_key IN (SELECT order_key FROM {parcels} WHERE {d.list_size("tracking_numbers")} > 0)
        AND order_key NOT IN (SELECT order_key FROM {events} WHERE order_key IS NOT NULL)"""
    return Gate(
        id="Y9",
        colour="yellow",
        description=description,
        model=ORDERS,
        reads=(parcels, events),
        checks=(rows("carrier_event_after_shipping", silent, "warning", description),),
    )


# Other gates -----------------------------------------------------------------------------------------


def y1_freshness(settings: GateSettings) -> Gate:
    return Gate(
        id="Y1",
        colour="yellow",
        description=(
            f"freshness (dbt source freshness): a source's newest synced record is at most "
            f"{settings.freshness_warn_minutes} min old (red beyond {settings.freshness_error_hours} h)"
        ),
        model="sources",
        schema="raw",
        checks=(),
        example_key="source",
        kind="freshness",
    )


def y2_unmapped_status() -> Gate:
    return Gate(
        id="Y2",
        colour="yellow",
        description="native status codes without a mapping (status = 'unknown')",
        model=ORDERS,
        checks=(not_in_set("status_mapped", "status", ["unknown"], _SEVERITY["yellow"]),),
    )


def y4_daily_volume(settings: GateSettings, published_baseline: bool = False, d: GateDialect = DUCKDB) -> Gate:
    s = settings
    volume = daily_volume(settings, published_baseline, d)
    band = f"between {s.volume_band_low:g} AND {s.volume_band_high:g}"
    return Gate(
        id="Y4",
        colour="yellow",
        description=(
            f"volume: each of the last {s.volume_days_judged} complete days has {s.volume_band_low:g}x-"
            f"{s.volume_band_high:g}x the median daily orders of the {s.volume_trailing_days} days before it"
        ),
        model=volume.name,
        schema=GATES,
        input=volume,
        reads=(f"{AUDIT}.{ORDERS}",),
        checks=(
            between(
                "daily_volume_within_band", "volume_ratio", "warning", min_value=s.volume_band_low, max_value=s.volume_band_high
            ),
        ),
        key_column="business_date",
        example_key="business_date",
        note=f"""coalesce(
            {d.joined(d.format('{}: {} orders vs trailing median {:g}', 'business_date', 'orders', 'trailing_median'),
                      'business_date', '; ', f'volume_ratio IS NOT NULL AND NOT (volume_ratio {band})')},
            CASE WHEN count(volume_ratio) = 0 THEN 'not judged: too little history or volume'
                 ELSE {d.format('{} days within the band', 'count(volume_ratio)')} END)""",
    )
