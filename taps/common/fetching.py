"""Fetching the records push events name, through a tap's own streams (taps/common/push.py ``Fetcher``).

A channel whose events carry only an id (Taobao TMC, Pinduoduo PMC) fetches each named record from the platform's
detail API. :class:`IdPaginator` walks the ids one call each through singer-sdk's request loop, so the call is signed,
budgeted and retried exactly like a sync's; :func:`as_landed` then turns each answer into what a sync of the same
version emits: the tap's own stream post-processes it (ids as text, PII scrubbing) and singer-sdk builds the RECORD
message from it (schema conformance, stream maps). A fetched record and a synced one of the same version are the same
JSON, so raw keeps one row for both.
"""

from __future__ import annotations

import logging
import typing as t

from singer_sdk.pagination import BaseAPIPaginator
from singer_sdk.singerlib.json import deserialize_json, serialize_json

from orderlayer.taps.common.errors import SourceAPIError

if t.TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

    import requests
    from singer_sdk import Stream
    from singer_sdk.streams import RESTStream

    from orderlayer.taps.common.tap import SourceTap

log = logging.getLogger(__name__)

__all__ = ["ByIds", "IdPaginator", "as_landed", "fetch_each", "fetch_records", "landed"]


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


class ByIds:
    """Mixin for a tap stream that fetches the records of given ids (what a push names, taps/common/push.py Fetcher)
    instead of a sync range: ``ids_per_call`` ids at a time (the API's limit), each chunk requested and paged like a
    sync's page, then shaped as a sync lands it (:func:`as_landed`). It is never one of the tap's synced streams.
    The stream's request reads the current chunk from :attr:`chunk`; :meth:`before_chunk` readies anything else."""

    #: Ids one request may name.
    ids_per_call: t.ClassVar[int]

    def __init__(self, tap: t.Any, ids: t.Sequence[str]) -> None:  # noqa: ANN401
        super().__init__(tap)  # type: ignore[call-arg]  # the stream class this is mixed into
        self.ids = list(ids)
        self.chunk: list[str] = []

    def before_chunk(self) -> None:
        """Called before each chunk is requested (e.g. to look up a shop's cipher once)."""

    def fetched(self) -> list[dict]:
        """Every record of :attr:`ids` the platform answers, as a sync lands it (:func:`as_landed`)."""
        records: list[dict] = []
        for start in range(0, len(self.ids), self.ids_per_call):
            self.chunk = self.ids[start : start + self.ids_per_call]
            self.before_chunk()
            records += as_landed(self, self.request_records(None))  # type: ignore[arg-type, attr-defined]
        return records


def landed(stream: Stream, processed: dict) -> dict | None:
    """A record ``stream`` post-processed, as the target receives it in a sync: singer-sdk's own RECORD step (private,
    but it is what a sync runs: conformance, then the stream maps) and the JSON line between tap and target (exact
    decimals); None when the stream's maps filter it out."""
    for message in stream._generate_record_messages(processed):  # noqa: SLF001 - the SDK's one path from record to message
        return deserialize_json(serialize_json(message.record))
    return None


def as_landed(stream: Stream, rows: Iterable[dict]) -> list[dict]:
    """``rows`` (answers of the platform's detail API) as ``stream`` of a sync emits them; a row the stream's
    post-processing drops is left out."""
    found = []
    for row in rows:
        processed = stream.post_process(row, None)
        if processed is not None and (record := landed(stream, processed)) is not None:
            found.append(record)
    return found


def fetch_records(tap_class: type[SourceTap], config: Mapping[str, t.Any], detail: type[RESTStream], stream: str, ids: Sequence[str]) -> list[dict]:
    """The records of ``ids`` in ``stream`` as a sync lands them: ``detail`` (a stream of the detail API named like the
    tap's stream it serves, built with ``(tap, ids)``) calls the platform through the tap ``SourceTap.for_fetch`` builds from ``config``, and the
    tap's own ``stream`` post-processes each answer (:func:`as_landed`)."""
    if stream != detail.name:
        msg = f"these pushes name records of {detail.name!r} only, not of {stream!r}"
        raise ValueError(msg)
    tap = tap_class.for_fetch(config)
    return as_landed(tap.streams[stream], detail(tap, ids).request_records(None))  # type: ignore[call-arg]


def fetch_each(
    stream: Stream,
    ids: Iterable[str],
    detail: Callable[[str], dict | None],
    *,
    connection_codes: Collection[int] | None,
    owner: Callable[[dict], t.Any],
    expected_owner: str,
) -> list[dict]:
    """The records ``detail`` reads for ``ids`` (one call per id), post-processed by ``stream`` and shaped as a sync
    lands them. An id the platform does not know (``detail`` returns None, or fails with a code not in
    ``connection_codes``; None: every failure concerns the connection) or whose record belongs to another shop than ``expected_owner`` (``owner`` of the raw
    record; empty: the shop's own) is left out and logged: the reconcile poll is the safety net. A code in
    ``connection_codes`` concerns the whole connection (credentials, clock, permission): it is raised, and the
    requests stay spooled for the next landing."""
    records = []
    for record_id in ids:
        try:
            record = detail(record_id)
        except SourceAPIError as exc:
            if connection_codes is None or exc.code in connection_codes:
                raise
            log.warning("%s record %s not fetched (code %s): left to the reconcile poll", stream.tap_name, record_id, exc.code)
            continue
        if record is None:
            log.warning("%s record %s unknown to the platform: left to the reconcile poll", stream.tap_name, record_id)
            continue
        shop = owner(record)
        if shop not in (None, "") and str(shop) != expected_owner:
            log.warning("%s record %s belongs to shop %s: not landed by this connection", stream.tap_name, record_id, shop)
            continue
        records.extend(as_landed(stream, [record]))
    return records
