"""Time helpers: platforms speak Unix epoch seconds, configs speak ISO-8601."""

from __future__ import annotations

import datetime as dt


def parse_aware_datetime(value: str | dt.datetime, *, key: str) -> dt.datetime:
    """Parse an ISO-8601 timestamp that carries a UTC offset.

    A naive timestamp is rejected rather than guessed: shops run in Asia/Shanghai, the
    machine running the tap may not, and an 8-hour silent shift loses or repeats orders.
    ``key`` names the config key in the error message.
    """
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            msg = (
                f"config key '{key}' must be an ISO-8601 timestamp with an offset, "
                f"e.g. 2024-11-01T00:00:00+08:00; got {value!r}"
            )
            raise ValueError(msg) from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        msg = (
            f"config key '{key}' needs a UTC offset (e.g. +08:00 or Z) so the sync range "
            f"is unambiguous; got {value!r}"
        )
        raise ValueError(msg)
    return parsed


def to_epoch_seconds(value: dt.datetime) -> int:
    """Aware datetime -> whole Unix seconds (floor), the unit Douyin/JD/PDD use."""
    if value.tzinfo is None:
        msg = "refusing to convert a naive datetime to epoch seconds"
        raise ValueError(msg)
    return int(value.timestamp() // 1)


def from_epoch_seconds(value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(value, tz=dt.timezone.utc)


def format_epoch(value: int) -> str:
    """Human-readable UTC rendering for log lines."""
    return from_epoch_seconds(value).strftime("%Y-%m-%dT%H:%M:%SZ")
