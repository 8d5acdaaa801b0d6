"""What the channels' push receivers share (taps/common/push.py): reading a signed form, checking the settings a
push channel needs, and fetching the records pushes name in exactly the shape a sync lands them.

A sync's record goes from the stream's ``post_process`` through singer-sdk's RECORD message (the schema's type
conformance, stream maps), a JSON line, and the target's parse (exact decimals). A fetcher that hands a record
straight to the raw store must make the same trip, or the same version of an order would land as a second raw row
(raw rows are keyed by the hash of the record's canonical JSON).
"""

from __future__ import annotations

import logging
import typing as t
from urllib.parse import parse_qsl

from singer_sdk.singerlib.json import deserialize_json, serialize_json

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.push import PushRejected

if t.TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Mapping

    from singer_sdk import Stream

__all__ = ["as_landed", "fetch_records", "form_of", "require_settings"]

log = logging.getLogger(__name__)


def form_of(body: bytes) -> dict[str, str]:
    """The fields of a form-encoded push body (the last of a repeated name); PushRejected when it is not UTF-8."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        msg = "push body is not UTF-8 form data"
        raise PushRejected(msg) from None
    return dict(parse_qsl(text, keep_blank_values=True))


def require_settings(config: Mapping[str, t.Any], keys: Iterable[str], platform: str, switch: str) -> None:
    """ValueError naming the first of ``keys`` the config lacks, which a connection with ``switch`` needs."""
    for key in keys:
        if not config.get(key):
            msg = f"{key}: a connection with {switch} needs it to verify {platform}'s pushes; set it as for a sync"
            raise ValueError(msg)


def as_landed(stream: Stream, record: dict) -> dict | None:
    """``record`` (already post-processed by ``stream``) as the target receives it in a sync; None when the
    stream's maps filter it out."""
    for message in stream._generate_record_messages(record):  # noqa: SLF001 - the SDK's one path from record to message
        return deserialize_json(serialize_json(message.record))
    return None


def fetch_records(
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
        landed = as_landed(stream, stream.post_process(record))
        if landed is not None:
            records.append(landed)
    return records
