"""Which parcels a carrier connection tracks (docs/logistics.md).

A carrier tap never opens the warehouse: before it runs, the sync reads here the tracking numbers the channels gave
(``map_order_ids``) for orders shipped and not yet finally delivered, and passes them as the tap's ``waybills``
setting. They come from the last build (``audit``), so the parcels of orders synced in this run are tracked from
the next run on. A parcel leaves the list once the channel or the carrier says it is delivered, and after
:data:`TRACKING_DAYS` days (Kuaidi100 itself stops watching a parcel after 60 days without change).

Which carrier source asks about which parcel: a carrier that declares its own waybill numbers (``tracking_pattern`` in
its ``source.toml``: SF Express ``^SF``) the parcels whose number matches; an aggregator (Kuaidi100, no pattern) every
parcel no configured carrier claims — SF's too when no SF Express connection is configured.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from orderlayer.core.registry import source
from orderlayer.core.warehouse import AUDIT, connect, table_exists

if TYPE_CHECKING:
    from pathlib import Path

    from orderlayer.core.config import Settings

TRACKING_DAYS = 60
#: The last four digits of a masked phone (138****1234): SF's checkPhoneNo / Kuaidi100's phone.
_TAIL = re.compile(r"([0-9]{4})$")

_PARCELS = f"""
with delivered as (
    select distinct tracking_number from {AUDIT}.fct_shipment_events where is_latest and state = 'delivered'
)
select t.tracking_number, max(o.receiver_phone_masked) as phone
from {AUDIT}.fct_orders as o
join {AUDIT}.map_order_ids as m using (order_key), unnest(m.tracking_numbers) as t(tracking_number)
where o.is_shipped and not o.is_cancelled and o.delivered_at is null
  and coalesce(o.shipped_at, o.paid_at, o.ordered_at) >= ?::timestamptz - to_days({TRACKING_DAYS})
  and t.tracking_number not in (select tracking_number from delivered)
group by t.tracking_number
order by t.tracking_number
"""


def tracks(carrier_source: str, number: str, settings: Settings) -> bool:
    """Whether ``carrier_source`` asks about parcel ``number`` (module docstring)."""
    own = source(carrier_source).tracking_pattern
    if own is not None:
        return re.search(own, number) is not None
    claimed = {source(c.source).tracking_pattern for c in settings.connections.values()} - {None}
    return not any(re.search(pattern, number) for pattern in claimed)


def waybills_for(db_path: Path, carrier_source: str, settings: Settings, now: datetime | None = None) -> list[dict[str, str]]:
    """The tap's ``waybills`` for a connection of ``carrier_source``: [] before the first build. ``now``: the clock
    the tracking window ends at — the sync's end date (a demo's as-of time), default the wall clock."""
    if source(carrier_source).kind != "carrier":
        raise ValueError(f"{carrier_source} is not a carrier source")
    con = connect(db_path, read_only=True)
    try:
        if not all(table_exists(con, AUDIT, t) for t in ("fct_orders", "map_order_ids", "fct_shipment_events")):
            return []
        rows = con.execute(_PARCELS, [now or datetime.now(UTC)]).fetchall()
    finally:
        con.close()
    waybills = []
    for number, phone in rows:
        if not tracks(carrier_source, number, settings):
            continue
        entry = {"number": number}
        tail = _TAIL.search(phone or "")
        if tail:
            entry["phone_tail"] = tail.group(1)
        waybills.append(entry)
    return waybills
