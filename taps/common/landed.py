"""A record in exactly the shape a sync lands it, for fetchers (taps/common/push.py ``Fetcher``).

A sync's record goes from the stream's ``post_process`` through singer-sdk's RECORD message (the schema's type
conformance, stream maps), a JSON line, and the target's parse (exact decimals). A fetcher that hands a record
straight to the raw store must make the same trip, or the same version of an order would land as a second raw row
(raw rows are keyed by the hash of the record's canonical JSON).
"""

from __future__ import annotations

import datetime as dt
import typing as t

from singer_sdk.singerlib.json import deserialize_json, serialize_json

if t.TYPE_CHECKING:
    from collections.abc import Mapping

    from singer_sdk import Stream, Tap

__all__ = ["as_landed", "fetching_tap"]

T = t.TypeVar("T", bound="Tap")


def fetching_tap(tap_class: type[T], config: Mapping[str, t.Any]) -> T:
    """The connection's tap, for a fetcher to call its streams' own requests (signing, retries, rate limit). A fetch
    reads no sync window, but the taps' schemas require a ``start_date``: a connection without one gets now's."""
    return tap_class(config={"start_date": dt.datetime.now(dt.timezone.utc).isoformat(), **config}, parse_env_config=False)


def as_landed(stream: Stream, record: dict) -> dict | None:
    """``record`` (already post-processed by ``stream``) as the target receives it in a sync; None when the
    stream's maps filter it out."""
    for message in stream._generate_record_messages(record):  # noqa: SLF001 - the SDK's one path from record to message
        return deserialize_json(serialize_json(message.record))
    return None
