"""Y1, freshness: read dbt's `source freshness` results (target/sources.json) and turn them into lights.

Freshness is about sources, not marts, so dbt judges it (`loaded_at_field: _synced_at` and the
warn/error thresholds declared on the source); this module only reads dbt's verdict per source table.
dbt status `pass` is green, `warn` yellow, `error` red; a source dbt could not query (`runtime error`)
or a configured channel that has never been synced is red: nobody can vouch for its freshness.
The channel of a source is the dbt source's name (`douyin.orders` belongs to channel `douyin`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Colour = Literal["green", "yellow", "red"]

_COLOUR_OF_STATUS: dict[str, Colour] = {"pass": "green", "warn": "yellow", "error": "red"}

#: Status of a configured channel with no raw table at all (not a dbt status).
NEVER_SYNCED = "never synced"


@dataclass(frozen=True)
class SourceFreshness:
    #: dbt source and table, e.g. "douyin.orders"
    source: str
    channel: str
    #: dbt's status (pass, warn, error, runtime error) or "never synced"
    status: str
    max_loaded_at: datetime | None = None
    snapshotted_at: datetime | None = None
    age_seconds: float | None = None
    warn_after_minutes: float | None = None
    error_after_minutes: float | None = None
    #: dbt's message when it could not check the source (never credentials: dbt reports SQL errors)
    error: str | None = None

    @property
    def colour(self) -> Colour:
        return _COLOUR_OF_STATUS.get(self.status, "red")

    def describe(self) -> str:
        if self.status == NEVER_SYNCED:
            return f"{self.source}: never synced (no raw table)"
        if self.age_seconds is None:
            return f"{self.source}: {self.status}" + (f" ({self.error})" if self.error else "")
        limits = f"warn > {_minutes(self.warn_after_minutes)}, error > {_minutes(self.error_after_minutes)}"
        return f"{self.source}: newest record {_duration(self.age_seconds)} old ({limits})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "channel": self.channel,
            "status": self.status,
            "colour": self.colour,
            "max_loaded_at": self.max_loaded_at.isoformat() if self.max_loaded_at else None,
            "snapshotted_at": self.snapshotted_at.isoformat() if self.snapshotted_at else None,
            "age_seconds": self.age_seconds,
            "warn_after_minutes": self.warn_after_minutes,
            "error_after_minutes": self.error_after_minutes,
            "error": self.error,
        }


_PERIOD_MINUTES = {"minute": 1, "hour": 60, "day": 1440}


def _threshold_minutes(criteria: dict[str, Any], key: str) -> float | None:
    entry = criteria.get(key) or {}
    count, period = entry.get("count"), entry.get("period")
    if count is None or period not in _PERIOD_MINUTES:
        return None
    return float(count) * _PERIOD_MINUTES[period]


def _timestamp(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def parse_sources_json(data: dict[str, Any]) -> list[SourceFreshness]:
    """dbt's target/sources.json (schema v3) → one SourceFreshness per source table, by source name."""
    out = []
    for result in data.get("results", []):
        # unique_id: source.<project>.<source_name>.<table_name>
        parts = result["unique_id"].split(".")
        if len(parts) < 4 or parts[0] != "source":
            raise ValueError(f"unexpected dbt freshness result id {result['unique_id']!r}")
        source_name, table_name = parts[-2], parts[-1]
        criteria = result.get("criteria") or {}
        out.append(
            SourceFreshness(
                source=f"{source_name}.{table_name}",
                channel=source_name,
                status=result["status"],
                max_loaded_at=_timestamp(result.get("max_loaded_at")),
                snapshotted_at=_timestamp(result.get("snapshotted_at")),
                age_seconds=result.get("max_loaded_at_time_ago_in_s"),
                warn_after_minutes=_threshold_minutes(criteria, "warn_after"),
                error_after_minutes=_threshold_minutes(criteria, "error_after"),
                error=result.get("error") or (result.get("message") if result["status"] == "runtime error" else None),
            )
        )
    return sorted(out, key=lambda f: f.source)


def _minutes(value: float | None) -> str:
    return "?" if value is None else _duration(value * 60)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{int(seconds)} s"
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours >= 48:
        return f"{hours // 24} d {hours % 24} h"
    return f"{hours} h" + (f" {rest} min" if rest else "")
