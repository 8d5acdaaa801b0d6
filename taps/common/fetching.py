"""Fetching the records push events name, through a tap's own streams (taps/common/push.py ``Fetcher``).

A channel whose events carry only an id (Taobao TMC, Pinduoduo PMC) fetches each named record from the platform's
detail API. :class:`IdPaginator` walks the ids one call each through singer-sdk's request loop, so the call is signed,
budgeted and retried exactly like a sync's; :func:`as_landed` then turns each answer into what a sync of the same
version emits: the tap's own stream post-processes it (ids as text, PII scrubbing) and singer-sdk builds the RECORD
message from it (schema conformance, stream maps). A fetched record and a synced one of the same version are the same
JSON, so raw keeps one row for both.
"""

from __future__ import annotations

import typing as t

from singer_sdk.pagination import BaseAPIPaginator

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    import requests
    from singer_sdk import Stream
    from singer_sdk.streams import RESTStream

    from orderlayer.taps.common.tap import SourceTap

__all__ = ["IdPaginator", "as_landed", "fetch_records"]


class IdPaginator(BaseAPIPaginator[int]):
    """Pages are the positions of the ids to fetch, one detail call each (the detail APIs take one id)."""

    def __init__(self, count: int) -> None:
        super().__init__(0)
        self._count = count
        if count == 0:
            self._finished = True

    def get_next(self, response: requests.Response) -> int | None:  # noqa: ARG002
        following = self.current_value + 1
        return following if following < self._count else None

    def continue_if_empty(self, response: requests.Response) -> bool:  # noqa: ARG002, PLR6301
        return True  # an id the platform does not know answers nothing: the next id still follows


def as_landed(stream: Stream, rows: Iterable[dict]) -> list[dict]:
    """``rows`` (answers of the platform's detail API) as ``stream`` of a sync emits them; a row the stream's
    post-processing drops is left out."""
    landed: list[dict] = []
    for row in rows:
        processed = stream.post_process(row, None)
        if processed is None:
            continue
        # singer-sdk's own RECORD step (private, but it is what a sync runs: conformance, then the stream maps)
        landed.extend(message.record for message in stream._generate_record_messages(processed))  # noqa: SLF001
    return landed


def fetch_records(tap_class: type[SourceTap], config: Mapping[str, t.Any], detail: type[RESTStream], stream: str, ids: Sequence[str]) -> list[dict]:
    """The records of ``ids`` in ``stream`` as a sync lands them: ``detail`` (a stream of the detail API named like the
    tap's stream it serves, built with ``(tap, ids)``) calls the platform through the tap ``SourceTap.for_fetch`` builds from ``config``, and the
    tap's own ``stream`` post-processes each answer (:func:`as_landed`)."""
    if stream != detail.name:
        msg = f"these pushes name records of {detail.name!r} only, not of {stream!r}"
        raise ValueError(msg)
    tap = tap_class.for_fetch(config)
    return as_landed(tap.streams[stream], detail(tap, ids).request_records(None))  # type: ignore[call-arg]
