"""End to end: `cancelled_at` on the shared demo run is the platform's cancel time where the sandbox sends one
(DECISIONS D-009, D-033), read back from the raw record in Python, independently of the staging SQL."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

pytestmark = pytest.mark.e2e

#: Channels whose sandbox (like the platform) sends its own cancel time, and those that send none.
NATIVE = ("eleme", "meituan", "shopify", "taobao", "tiktok_shop")
OBSERVED = ("douyin", "jd", "pinduoduo", "wechat_shop", "youzan")


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_every_cancelled_order_has_a_cancel_time_of_the_right_kind(shared_demo: Path) -> None:
    rows = query(shared_demo / "demo.duckdb", """
        select channel, count(*) filter (where is_cancelled), count(*) filter (where cancelled_at_source = 'platform'),
               count(*) filter (where cancelled_at_source = 'observed'),
               count(*) filter (where (cancelled_at is not null) <> is_cancelled or cancelled_at < ordered_at)
        from published.fct_orders group by channel""")
    by_channel = {r[0]: r[1:] for r in rows}
    assert set(by_channel) == set(NATIVE) | set(OBSERVED)
    for channel in NATIVE:
        cancelled, platform, observed, wrong = by_channel[channel]
        assert cancelled > 0 and (platform, observed, wrong) == (cancelled, 0, 0), channel
    for channel in OBSERVED:
        cancelled, platform, observed, wrong = by_channel[channel]
        assert cancelled > 0 and (platform, observed, wrong) == (0, cancelled, 0), channel


def test_cancel_times_equal_the_raw_records_fields(shared_demo: Path) -> None:
    db = shared_demo / "demo.duckdb"
    beijing = ZoneInfo("Asia/Shanghai")
    readers = {
        # TikTok Shop: cancel_time, unix seconds
        "tiktok_shop": lambda r: datetime.fromtimestamp(int(r["cancel_time"]), timezone.utc),
        # Taobao: a closed trade's end_time, naive Beijing time
        "taobao": lambda r: datetime.strptime(r["end_time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=beijing),
        # Shopify: cancelled_at, ISO-8601 with the shop's offset
        "shopify": lambda r: datetime.fromisoformat(r["cancelled_at"]),
    }
    for channel, read in readers.items():
        facts = query(db, f"""
            select o.cancelled_at, r._record from published.fct_orders o
            join raw.{channel}__orders r on r._record_hash = o.raw_record_id
            where o.channel = '{channel}' and o.is_cancelled""")
        assert facts, channel
        for cancelled_at, record in facts:
            assert cancelled_at == read(json.loads(record)), (channel, record)
    # the event log dates every cancellation exactly like the fact
    disagreeing = query(db, """
        select count(*) from published.fct_order_events e join published.fct_orders o using (order_key)
        where e.event_type = 'cancelled' and o.is_cancelled and e.event_at is distinct from o.cancelled_at""")
    assert disagreeing == [(0,)]
