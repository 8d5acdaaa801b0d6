"""What the channels' push receivers share (taps/common/push.py): reading a signed form and checking the settings a
push channel needs (fetching what pushes name: taps/common/fetching.py).

A sync's record goes from the stream's ``post_process`` through singer-sdk's RECORD message (the schema's type
conformance, stream maps), a JSON line, and the target's parse (exact decimals). A fetcher that hands a record
straight to the raw store must make the same trip, or the same version of an order would land as a second raw row
(raw rows are keyed by the hash of the record's canonical JSON).
"""

from __future__ import annotations

import logging
import typing as t
from urllib.parse import parse_qsl

from orderlayer.taps.common.push import PushRejected

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


__all__ = ["form_of", "require_settings"]

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
