"""The small tables the aggregate gates judge, computed in the warehouse's SQL before GX validates them.

Gates that compare counts across tables (R4, R6, Y6), with earlier runs (R5, Y3), across days (Y4) or
as shares of a channel (Y5, Y7) are not row rules on a mart. For those, one SQL statement per input
aggregates the marts (plus raw, quarantine and `ops` history) into a table with one row per channel
(per channel and day for Y4) in schema `gates`, and GX validates that table with ordinary
expectations and severities. The heavy lifting is a few GROUP BYs inside the warehouse (DuckDB or Spark: the
spellings that differ come from `sql_dialect.py`); GX only reads a
handful of rows (anchors §2 row 28: keep GX on small, pre-aggregated gate tables).

"Trailing" (R5, Y3) is the median of the channel's value recorded in `ops.gate_metrics` by the last
`trailing_runs` earlier *published* runs in which that gate was green for the channel (a value the gate
flagged never becomes the norm, so a defect that persists stays flagged; a check-only, red or rolled-back
run never sets it); with no such run the ratio is NULL, which GX's between-expectations skip: green, "no
history yet". Y4's history days come from `published` (see `daily_volume`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from orderlayer.core.config import GateSettings
from orderlayer.expectations.sql_dialect import DUCKDB, GateDialect
from orderlayer.core.warehouse import AUDIT, OPS, PUBLISHED, QUARANTINE, RAW, check_identifier, sql_literal

#: Local hours [start, end) that count as "night" for Y3.
NIGHT_HOURS = (0, 6)

#: Y8: the time each status requires, and the fct_orders.quality_flags entry that says it is missing (rule T2).
STATUS_TIMES = (
    ("paid", "paid_at", "paid_without_paid_at"),
    ("shipped", "shipped_at", "shipped_without_shipped_at"),
    ("completed", "completed_at", "completed_without_completed_at"),
)


@dataclass(frozen=True)
class RawOrderKey:
    """Where a channel's raw order records keep their (shop_id, order_id): a JSON column and two paths."""

    column: str = "_primary_key"
    shop_id_path: str = "$[0]"
    order_id_path: str = "$[1]"


#: The loader writes `_primary_key` as the JSON list of the stream's key properties, and order streams
#: declare them as [shop_id, order_id] (tap-douyin does); a channel whose tap differs gets an entry here.
RAW_ORDER_KEYS: dict[str, RawOrderKey] = {
    "douyin": RawOrderKey(),
    # Meituan's tap keys records by the internal `order_id`; the canonical order id is the merchant-facing
    # `wm_order_id_view` (docs/channels/meituan.md), so R4 reads both from the record itself.
    "meituan": RawOrderKey(column="_record", shop_id_path="$.app_poi_code", order_id_path="$.wm_order_id_view"),
}
DEFAULT_RAW_ORDER_KEY = RawOrderKey()


@dataclass(frozen=True)
class GateContext:
    """What the gates need to know beyond thresholds, taken from orderlayer.yml by `core/quality.py: gate_context`."""

    #: (channel, shop_id) → IANA zone, for Y3's local hour
    shop_zones: dict[tuple[str, str], str] = field(default_factory=dict)
    #: zone of shops not listed (the reporting zone)
    default_zone: str = "Asia/Shanghai"
    #: whether any ERP connection is configured (Y5 is not applicable otherwise)
    erp_configured: bool = False
    #: source → its after-sale streams (`after_sale_streams` in its source.toml): what R4 counts as after-sale records
    after_sale_streams: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: whether any carrier connection is configured (Y9 is not applicable otherwise)
    carriers_configured: bool = False


@dataclass(frozen=True)
class GateInput:
    """One table in schema `gates`: its name, the SELECT that computes it, and the per-channel columns
    recorded in `ops.gate_metrics` after the run (for trailing values and the report's trends)."""

    name: str
    sql: str
    metrics: tuple[str, ...] = ()


def raw_order_tables(raw_tables: Iterable[str]) -> dict[str, str]:
    """channel → raw table of its orders (`raw.<channel>__orders`, the loader's naming), among the tables of `raw`."""
    return {name.removesuffix("__orders"): name for name in sorted(raw_tables) if name.endswith("__orders") and _is_identifier(name)}


def raw_refund_tables(raw_tables: Iterable[str], after_sale_streams: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """channel → raw tables of its after-sale streams (`GateContext.after_sale_streams`), among the tables of `raw`."""
    found = set(raw_tables)
    tables = {
        channel: tuple(f"{channel}__{stream}" for stream in streams if f"{channel}__{stream}" in found)
        for channel, streams in after_sale_streams.items()
    }
    return {channel: names for channel, names in tables.items() if names and _is_identifier(channel)}


def _refund_counts(refund_tables: dict[str, tuple[str, ...]] | None, d: GateDialect) -> str:
    """R4 for after-sale records: per channel with after-sale streams, distinct records in its after-sale raw tables
    (by the stream's key, `_primary_key`; one row per record whatever its versions) against the distinct records the
    rows of fct_refunds, quarantine_refunds and quarantine.refunds_left_out (exchanges and the like) stand for
    (`after_sale_record_id`: the raw row of the record's latest version). A record is counted once, on the first side
    that has a row of it (facts, then quarantined, then left out): a Shopify Return settled by two refunds is one
    record. Rows with no after-sale record (refunds read from an order payload) are accounted with their order.
    None: the warehouse has no refund facts (built before they existed), nothing to count."""
    if refund_tables is None:
        return f"""SELECT NULL::{d.text} AS channel, 0::BIGINT AS raw_refunds, 0::BIGINT AS fct_refunds,
               0::BIGINT AS quarantined_refunds, 0::BIGINT AS left_out_refunds WHERE FALSE"""
    raw = [
        f"""SELECT {sql_literal(channel)} AS channel, count(DISTINCT coalesce(_primary_key, _record_hash)) AS raw_refunds,
               0 AS fct_refunds, 0 AS quarantined_refunds, 0 AS left_out_refunds
        FROM {RAW}.{check_identifier(table)}"""
        for channel, tables in sorted(refund_tables.items())
        for table in tables
    ]
    declared = ", ".join(sql_literal(channel) for channel in sorted(refund_tables)) or "NULL"
    sides = "\n            UNION ALL\n            ".join(
        f"SELECT channel, after_sale_record_id, {rank} AS side FROM {table} "
        f"WHERE channel IN ({declared}) AND after_sale_record_id IS NOT NULL"
        for rank, table in enumerate(
            (f"{AUDIT}.fct_refunds", f"{QUARANTINE}.quarantine_refunds", f"{QUARANTINE}.refunds_left_out"))
    )
    # named, not positional: with no after-sale raw table this leads the union and names its columns
    accounted = f"""SELECT channel, 0 AS raw_refunds, count(*) FILTER (WHERE side = 0) AS fct_refunds,
               count(*) FILTER (WHERE side = 1) AS quarantined_refunds, count(*) FILTER (WHERE side = 2) AS left_out_refunds
        FROM (SELECT channel, after_sale_record_id, min(side) AS side FROM (
            {sides}
        ) GROUP BY channel, after_sale_record_id) GROUP BY channel"""
    union = "\n        UNION ALL\n        ".join([accounted, *raw])
    return f"""SELECT channel, sum(raw_refunds)::BIGINT AS raw_refunds, sum(fct_refunds)::BIGINT AS fct_refunds,
               sum(quarantined_refunds)::BIGINT AS quarantined_refunds, sum(left_out_refunds)::BIGINT AS left_out_refunds
        FROM ({union}) GROUP BY channel"""


def _is_identifier(name: str) -> bool:
    try:
        check_identifier(name)
    except ValueError:
        return False
    return True


#: Every quarantined order version, and whether it is history: `superseded` when the order's current version in
#: fct_orders was synced after it (a corrected re-export, or a later good update). R6/Y6 count only the rest —
#: what is wrong *now* — while quarantine.quarantine_orders keeps every version for the report.
_QUARANTINE_NOW = f"""SELECT q.*, EXISTS (
        SELECT 1 FROM {AUDIT}.fct_orders AS f
        WHERE f.channel = q.channel AND f.shop_id = q.shop_id AND f.channel_order_id = q.channel_order_id
          AND f.source_synced_at > q.source_synced_at
    ) AS superseded
    FROM {QUARANTINE}.quarantine_orders AS q"""


def order_accounting(
    raw_tables: dict[str, str],
    settings: GateSettings,
    refund_tables: dict[str, tuple[str, ...]] | None = None,
    d: GateDialect = DUCKDB,
) -> GateInput:
    """R4, R6, Y6: every order identity in raw, fct_orders and quarantine, balanced per channel; and R4's
    after-sale records: raw after-sale records = fct_refunds + quarantine_refunds per channel (`refund_tables`,
    channel → its after-sale raw tables, see `raw_refund_tables`; None when the warehouse has no refund facts).

R6/Y6 judge the present: `quarantined_orders` counts orders with a quarantined version no later valid version
has replaced (see _QUARANTINE_NOW); `corrected_orders` those whose every quarantined version was replaced.

    An identity is (channel, shop_id, order_id); a raw record without either id is its own identity,
    keyed by its record hash. It balances when (1 if in raw) = (rows in fct_orders) + (1 if quarantined
    with no valid version): that is the rule "raw distinct orders = fct_orders + quarantined" held per
    order, so one lost order cannot hide behind one duplicated order.
    """
    n = settings.example_keys
    raw_parts = []
    for channel, table in sorted(raw_tables.items()):
        key = RAW_ORDER_KEYS.get(channel, DEFAULT_RAW_ORDER_KEY)
        column = check_identifier(key.column)
        ids = d.json_texts(column, [key.shop_id_path, key.order_id_path])
        shop_id, order_id = d.at("ids", 1), d.at("ids", 2)
        raw_parts.append(
            f"""SELECT {sql_literal(channel)} AS channel, {shop_id} AS shop_id, {order_id} AS order_id,
                   CASE WHEN {shop_id} IS NULL OR {order_id} IS NULL THEN _record_hash END AS anon_id,
                   1 AS in_raw, 0 AS fct_rows, FALSE AS quarantined, FALSE AS corrected, FALSE AS lost, _record_hash AS raw_id
            FROM (SELECT _record_hash, {ids} AS ids
                  FROM {RAW}.{check_identifier(table)})"""
        )
    entries = raw_parts + [
        f"""SELECT channel, shop_id, channel_order_id AS order_id, NULL::{d.text} AS anon_id,
               0 AS in_raw, 1 AS fct_rows, FALSE AS quarantined, FALSE AS corrected, FALSE AS lost, raw_record_id AS raw_id
        FROM {AUDIT}.fct_orders""",
        f"""SELECT channel, shop_id, channel_order_id AS order_id,
               CASE WHEN shop_id IS NULL OR channel_order_id IS NULL THEN raw_record_id END AS anon_id,
               0 AS in_raw, 0 AS fct_rows, NOT superseded AS quarantined, superseded AS corrected,
               NOT coalesce(has_valid_version, FALSE) AS lost, raw_record_id AS raw_id
        FROM ({_QUARANTINE_NOW})""",
    ]
    union = "\n        UNION ALL\n        ".join(entries)
    same_identity = " AND ".join(f"e.{c} IS NOT DISTINCT FROM u.{c}" for c in ("channel", "shop_id", "order_id", "anon_id"))
    # Counting needs no string aggregate over millions of rows: the raw pointers are looked up only for
    # the (usually zero) identities that do not balance.
    sql = f"""
    WITH entries AS {d.not_materialized}(
        {union}
    ),
    identities AS (
        SELECT channel, shop_id, order_id, anon_id,
               -- counts, not sums: an integer sum is a HUGEINT in DuckDB and slower to aggregate
               (count(*) FILTER (WHERE in_raw = 1) > 0)::INTEGER AS in_raw,
               count(*) FILTER (WHERE fct_rows = 1) AS fct_rows,
               bool_or(quarantined) AS quarantined,
               bool_or(corrected) AND NOT bool_or(quarantined) AS corrected,
               bool_or(lost) AS lost
        FROM entries
        GROUP BY channel, shop_id, order_id, anon_id
    ),
    unbalanced AS (
        SELECT channel, shop_id, order_id, anon_id FROM identities WHERE in_raw <> fct_rows + lost::INTEGER
    ),
    pointers AS (
        -- the raw pointer of an unbalanced order: a raw version if there is one, else its fct row's
        SELECT e.channel, coalesce(max(e.raw_id) FILTER (WHERE e.in_raw = 1), max(e.raw_id)) AS raw_record_id
        FROM entries AS e {d.semi_join} unbalanced AS u ON {same_identity}
        GROUP BY e.channel, e.shop_id, e.order_id, e.anon_id
    ),
    counted AS (
        SELECT channel,
               count(*) FILTER (WHERE in_raw = 1) AS raw_orders,
               sum(fct_rows)::BIGINT AS fct_orders,
               count(*) FILTER (WHERE lost) AS quarantined_lost,
               count(*) FILTER (WHERE in_raw <> fct_rows + lost::INTEGER) AS unbalanced_orders,
               count(*) FILTER (WHERE quarantined) AS quarantined_orders,
               count(*) FILTER (WHERE corrected) AS corrected_orders
        FROM identities
        GROUP BY channel
    ),
    unbalanced_examples AS (
        SELECT channel, {d.smallest("raw_record_id", n, "TRUE")} AS unbalanced_examples FROM pointers GROUP BY channel
    ),
    quarantined_examples AS (
        SELECT channel, {d.smallest("raw_record_id", n, "NOT superseded")} AS quarantined_examples
        FROM ({_QUARANTINE_NOW}) GROUP BY channel
    ),
    refunds AS (
        {_refund_counts(refund_tables, d)}
    )
    SELECT c.channel, raw_orders, fct_orders, quarantined_lost,
           fct_orders + quarantined_lost AS accounted_orders,
           unbalanced_orders, coalesce(u.unbalanced_examples, {d.empty_list()}) AS unbalanced_examples,
           quarantined_orders, coalesce(q.quarantined_examples, {d.empty_list()}) AS quarantined_examples, corrected_orders,
           -- quarantined orders can only come from raw; greatest() keeps an impossible 0/0 defined
           quarantined_orders::DOUBLE / greatest(raw_orders, 1) AS quarantine_share,
           -- after-sale records (0 where a channel has none)
           coalesce(r.raw_refunds, 0) AS raw_refunds, coalesce(r.fct_refunds, 0) AS fct_refunds,
           coalesce(r.quarantined_refunds, 0) AS quarantined_refunds, coalesce(r.left_out_refunds, 0) AS left_out_refunds,
           coalesce(r.fct_refunds + r.quarantined_refunds + r.left_out_refunds, 0) AS accounted_refunds,
           -- R4's failing count: orders that do not balance + after-sale records missing (or extra)
           unbalanced_orders + abs(coalesce(r.raw_refunds - r.fct_refunds - r.quarantined_refunds - r.left_out_refunds, 0))
               AS unbalanced_records
    FROM counted AS c
    LEFT JOIN unbalanced_examples AS u ON u.channel IS NOT DISTINCT FROM c.channel
    LEFT JOIN quarantined_examples AS q ON q.channel IS NOT DISTINCT FROM c.channel
    LEFT JOIN refunds AS r ON r.channel IS NOT DISTINCT FROM c.channel
    """
    return GateInput(
        "order_accounting",
        sql,
        metrics=("raw_orders", "fct_orders", "quarantined_orders", "quarantine_share", "unbalanced_orders", "raw_refunds",
                 "accounted_refunds"),
    )


def _trailing(metric: str, gate_id: str, run_id: str, now: datetime, runs: int) -> str:
    """Median of the channel's `metric` over the last `runs` earlier published runs in which `gate_id` was
    green for that channel: only values the gate accepted and a publish kept set the norm, so a persisting
    defect stays flagged and a check-only run (or one rolled back: it leaves publish_log) never counts."""
    return f"""SELECT channel, median(value) AS trailing, count(*) AS runs
        FROM (
            SELECT m.channel, m.value,
                   row_number() OVER (PARTITION BY m.channel ORDER BY m.checked_at DESC, m.run_id DESC) AS recency
            FROM {OPS}.gate_metrics AS m
            JOIN {OPS}.gate_results AS g
              ON g.run_id = m.run_id AND g.channel = m.channel AND g.gate_id = {sql_literal(gate_id)} AND g.colour = 'green'
            WHERE m.metric = {sql_literal(metric)} AND m.value IS NOT NULL
              AND m.run_id IN (SELECT run_id FROM {OPS}.publish_log)
              AND m.run_id <> {sql_literal(run_id)} AND m.checked_at <= {sql_literal(now)}
        )
        WHERE recency <= {int(runs)}
        GROUP BY channel"""


#: Where the trailing values (`_trailing`, a query of `ops`) come from: on DuckDB that query itself; on Spark, whose
#: warehouse has no `ops`, its rows as a VALUES list (`runner.py`).
History = Callable[[str], str]


def channel_profile(
    settings: GateSettings,
    context: GateContext,
    run_id: str,
    now: datetime,
    d: GateDialect = DUCKDB,
    history: History | None = None,
) -> GateInput:
    """R5, Y3, Y5, Y7, Y8: per channel, one pass over fct_orders plus the trailing values from `ops`."""
    history = history or (lambda sql: sql)
    n = settings.example_keys
    zones = [
        f"({sql_literal(channel)}, {sql_literal(shop)}, {sql_literal(zone)})"
        for (channel, shop), zone in sorted(context.shop_zones.items())
    ]
    zone_rows = (
        f"SELECT * FROM (VALUES {', '.join(zones)}) AS z(channel, shop_id, zone)"
        if zones
        else f"SELECT NULL::{d.text} AS channel, NULL::{d.text} AS shop_id, NULL::{d.text} AS zone WHERE FALSE"
    )
    start, end = NIGHT_HOURS
    # Y5 counts exactly what the erp_consistency_rate metric counts: order_fulfillment's flags (due in the ERP
    # after gates.erp_grace_hours; consistent = matched with agreeing amount, currency and status).
    erp_expected = "is_erp_expected"
    erp_unmatched = "is_erp_expected AND NOT is_erp_consistent"
    promise_missing = "is_paid AND promised_ship_by IS NULL"
    # the channel's highest-value orders; ties broken by key so the examples are stable
    top_value = d.largest_by("order_key", "paid_amount", n, "is_valid")
    erp_rate = (
        "(c.erp_expected_orders - c.erp_unmatched_orders)::DOUBLE / nullif(c.erp_expected_orders, 0)"
        if context.erp_configured
        else "NULL::DOUBLE"
    )
    status_time_counts, status_time_judged = _status_times(settings, d)
    sql = f"""
    WITH zones AS ({zone_rows}),
    orders AS (
        SELECT o.channel, o.order_key, o.is_valid, o.is_paid, o.paid_amount, o.paid_at,
               o.shipped_at, o.completed_at, coalesce(o.quality_flags, {d.empty_list()}) AS quality_flags,
               o.promised_ship_by, coalesce(f.is_erp_expected, false) AS is_erp_expected,
               coalesce(f.is_erp_consistent, false) AS is_erp_consistent,
               {d.local_hour(f"coalesce(z.zone, {sql_literal(context.default_zone)})", "o.ordered_at")}
                   BETWEEN {start} AND {end - 1} AS at_night
        FROM {AUDIT}.fct_orders AS o
        LEFT JOIN {AUDIT}.order_fulfillment AS f ON f.order_key = o.order_key
        LEFT JOIN zones AS z ON z.channel = o.channel AND z.shop_id = o.shop_id
    ),
    current AS (
        SELECT channel,
               count(*) AS orders,
               count(*) FILTER (WHERE is_valid) AS valid_orders,
               (median(paid_amount) FILTER (WHERE is_valid))::DOUBLE AS median_order_value,
               {top_value} AS top_value_examples,
               count(*) FILTER (WHERE at_night) AS night_orders,
               {d.smallest("order_key", n, "at_night")} AS night_examples,
               count(*) FILTER (WHERE is_paid) AS paid_orders,
               count(*) FILTER (WHERE {promise_missing}) AS promise_missing_orders,
               {d.smallest("order_key", n, promise_missing)} AS promise_missing_examples,
               count(*) FILTER (WHERE {erp_expected}) AS erp_expected_orders,
               count(*) FILTER (WHERE {erp_unmatched}) AS erp_unmatched_orders,
               {d.smallest("order_key", n, erp_unmatched)} AS erp_unmatched_examples,
               {status_time_counts}
        FROM orders
        GROUP BY channel
    ),
    value_history AS ({history(_trailing("median_order_value", "R5", run_id, now, settings.trailing_runs))}),
    night_history AS ({history(_trailing("night_share", "Y3", run_id, now, settings.trailing_runs))})
    SELECT c.*,
           v.trailing AS trailing_median_order_value,
           coalesce(v.runs, 0) AS order_value_runs,
           CASE WHEN v.trailing > 0 AND c.median_order_value IS NOT NULL
                THEN c.median_order_value / v.trailing END AS order_value_ratio,
           c.night_orders::DOUBLE / nullif(c.orders, 0) AS night_share,
           h.trailing AS trailing_night_share,
           coalesce(h.runs, 0) AS night_share_runs,
           CASE WHEN h.trailing IS NOT NULL AND c.orders >= {int(settings.night_min_orders)}
                THEN (c.night_orders::DOUBLE / c.orders) / greatest(h.trailing, {float(settings.night_share_floor)})
           END AS night_share_ratio,
           c.promise_missing_orders::DOUBLE / nullif(c.paid_orders, 0) AS promise_missing_share,
           {erp_rate} AS erp_consistency_rate,
           {status_time_judged}
    FROM current AS c
    LEFT JOIN value_history AS v ON v.channel = c.channel
    LEFT JOIN night_history AS h ON h.channel = c.channel
    """
    return GateInput(
        "channel_profile",
        sql,
        metrics=(
            "orders",
            "valid_orders",
            "median_order_value",
            "night_share",
            "promise_missing_share",
            "erp_consistency_rate",
            "status_time_missing_share",
        ),
    )


def _status_times(settings: GateSettings, d: GateDialect) -> tuple[str, str]:
    """Y8's columns: per status in STATUS_TIMES, the orders it requires a time of (those with the time, plus
    those flagged for lacking it) and the flagged ones; then, over the statuses whose missing share is above
    `status_time_missing_max_share`, the missing count (an order lacking two times counts twice) and examples."""
    n = settings.example_keys
    limit = float(settings.status_time_missing_max_share)
    counts, failing, examples = [], [], []
    for status, column, flag in STATUS_TIMES:
        missing = d.list_has("quality_flags", sql_literal(flag))
        counts += [
            f"count(*) FILTER (WHERE {check_identifier(column)} IS NOT NULL OR {missing}) AS {status}_time_orders",
            f"count(*) FILTER (WHERE {missing}) AS {status}_time_missing",
            f"{d.smallest('order_key', n, missing)} AS {status}_time_examples",
        ]
        share = f"c.{status}_time_missing::DOUBLE / nullif(c.{status}_time_orders, 0)"
        failing.append(f"CASE WHEN {share} > {limit} THEN c.{status}_time_missing ELSE 0 END")
        examples.append(f"CASE WHEN {share} > {limit} THEN c.{status}_time_examples ELSE {d.empty_list()} END")
    shares = ", ".join(f"c.{s}_time_missing::DOUBLE / nullif(c.{s}_time_orders, 0)" for s, _, _ in STATUS_TIMES)
    judged = [
        # greatest() skips NULLs: a channel with no order in any of these statuses has a NULL share (green)
        f"greatest({shares}) AS status_time_missing_share",
        f"{' + '.join(failing)} AS status_time_failing",
        f"{d.distinct_sorted_head(examples, n)} AS status_time_examples",
    ]
    return ",\n               ".join(counts), ",\n           ".join(judged)


def daily_volume(settings: GateSettings, published_baseline: bool = False, d: GateDialect = DUCKDB) -> GateInput:
    """Y4: orders per channel and business_date for the judged days, with the trailing median of the
    `volume_trailing_days` days before each (days without orders count as 0 from the channel's first day).

    The latest business_date in fct_orders is the run's current day and usually incomplete, so it is
    not judged; the `volume_days_judged` days before it are. A channel missing a whole day shows as 0.

    The judged days are always counted in `audit` (the build being checked). With `published_baseline`
    the history days before them come from `published` up to the channel's last published day (which
    was still partial when published), so a build that rewrites history is compared with what was
    accepted, never with itself; days after that, and channels never published, have only `audit`.
    """
    s = settings
    first_judged = (
        f"(SELECT max(business_date) FROM {AUDIT}.fct_orders WHERE channel IS NOT NULL) - {int(s.volume_days_judged)}"
    )
    judged = (
        f"day < last_day AND day >= last_day - {int(s.volume_days_judged)} "
        f"AND history_days >= {int(s.volume_min_history_days)} "
        f"AND trailing_median >= {float(s.volume_min_median_orders)} AND trailing_median > 0"
    )
    counted = """SELECT channel, business_date AS day, count(*) AS orders
        FROM {table}
        WHERE channel IS NOT NULL AND business_date IS NOT NULL
        GROUP BY ALL"""
    if published_baseline:
        daily = f"""audit_daily AS ({counted.format(table=f"{AUDIT}.fct_orders")}),
    published_daily AS ({counted.format(table=f"{PUBLISHED}.fct_orders")}),
    published_last AS (SELECT channel, max(day) AS last_published FROM published_daily GROUP BY channel),
    daily AS (
        SELECT a.channel, a.day, a.orders
        FROM audit_daily AS a LEFT JOIN published_last AS p ON p.channel = a.channel
        WHERE a.day >= {first_judged} OR p.last_published IS NULL OR a.day >= p.last_published
        UNION ALL
        SELECT d.channel, d.day, d.orders
        FROM published_daily AS d JOIN published_last AS p ON p.channel = d.channel
        WHERE d.day < {first_judged} AND d.day < p.last_published
          AND d.channel IN (SELECT channel FROM audit_daily)
    ),"""
    else:
        daily = f"daily AS ({counted.format(table=f'{AUDIT}.fct_orders')}),"
    sql = f"""
    WITH {daily}
    bounds AS (SELECT max(day) AS last_day FROM daily),
    spine AS (
        SELECT c.channel,
               {d.days("c.first_day", "b.last_day")} AS day
        FROM (SELECT channel, min(day) AS first_day FROM daily GROUP BY channel) AS c, bounds AS b
    ),
    filled AS (
        SELECT s.channel, s.day, coalesce(d.orders, 0) AS orders
        FROM spine AS s LEFT JOIN daily AS d ON d.channel = s.channel AND d.day = s.day
    ),
    banded AS (
        SELECT channel, day, orders,
               ({d.window_median("orders", "w")})::DOUBLE AS trailing_median,
               count(*) OVER w AS history_days
        FROM filled
        WINDOW w AS (PARTITION BY channel ORDER BY day ROWS BETWEEN {int(s.volume_trailing_days)} PRECEDING AND 1 PRECEDING)
    )
    SELECT channel, day AS business_date, orders, trailing_median, history_days,
           CASE WHEN {judged} THEN orders / trailing_median END AS volume_ratio
    FROM banded, bounds
    WHERE day >= last_day - {int(s.volume_days_judged)}
    """
    return GateInput("daily_volume", sql)
