"""Kuaidi100's subscription callback as a push receiver (taps/common/push.py; docs/serve.md).

Kuaidi100 POSTs a form (``param``, ``sign``) to the ``callback_url`` a subscription named. The receiver verifies it
with the connection's ``salt`` (``protocol.verify_push``, constant-time) and returns one ``tracking`` record in the
shape the tap lands for a query (the event texts' phone numbers masked the same way), plus the watch status.
A push lists the events newest first; they are landed oldest first, as the tap asks the query for them
(``order: asc``), so the two versions of a parcel number its events alike (``event_index`` 1 is the first event
in staging and ``fct_shipment_events``). Kuaidi100 sends no message id: a push is identified by the SHA-256 of its verified ``param``, so a redelivery of
the same push is the same message, and a later push with a new event is a new one.
"""

from __future__ import annotations

import hashlib
import typing as t
from urllib.parse import parse_qsl

from orderlayer.taps.common.push import PushRecord, PushRejected, PushRequest, Reply, json_reply
from orderlayer.taps.kuaidi100 import protocol as p
from orderlayer.taps.kuaidi100.streams import TrackingStream, scrub_events

if t.TYPE_CHECKING:
    from collections.abc import Mapping


class Kuaidi100Receiver:
    app: str | None = None  # each subscription's pushes go to its own connection's URL
    streams: t.ClassVar[Mapping[str, tuple[str, ...]]] = {TrackingStream.name: tuple(TrackingStream.primary_keys)}

    def __init__(self, salt: str) -> None:
        self._salt = salt

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any]) -> Kuaidi100Receiver | None:
        if not config.get("callback_url"):
            return None  # no subscription asks Kuaidi100 to push to us
        if not config.get("salt"):
            # without a salt Kuaidi100 signs nothing, and anyone who knows the URL could write tracking into raw
            msg = "salt: a connection with a callback_url needs the salt its pushes are signed with; map it to an environment variable, e.g. salt: KUAIDI100_SALT"
            raise ValueError(msg)
        return cls(str(config["salt"]))

    def receive(self, request: PushRequest) -> list[PushRecord]:
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            msg = "push body is not UTF-8 form data"
            raise PushRejected(msg) from None
        form = dict(parse_qsl(text, keep_blank_values=True))
        try:
            record = p.verify_push(form, self._salt)
        except p.PushError as exc:  # its messages name the problem, never the body
            raise PushRejected(str(exc)) from None
        record["data"] = scrub_events(oldest_first(record.get("data")))
        message_id = hashlib.sha256(form["param"].encode("utf-8")).hexdigest()
        return [PushRecord(TrackingStream.name, message_id, record)]

    def accepted(self) -> Reply:
        return json_reply(200, p.PUSH_ACCEPTED)

    def rejected(self, reason: str) -> Reply:  # noqa: ARG002 - Kuaidi100 reads only result; the reason is logged by serve
        return json_reply(200, p.PUSH_REJECTED)


def oldest_first(events: t.Any) -> t.Any:  # noqa: ANN401 - whatever the push sent under data
    """The events oldest first: reversed when the first is later than the last (times are naive Beijing
    ``yyyy-MM-dd HH:mm:ss``, which sort as text); anything else is returned as it is."""
    if not isinstance(events, list) or len(events) < 2 or not all(isinstance(e, dict) for e in (events[0], events[-1])):
        return events
    first, last = str(events[0].get("time") or ""), str(events[-1].get("time") or "")
    return events[::-1] if first and last and first > last else events
