"""What the carrier taps (SF Express, Kuaidi100) share: the waybills a sync hands them, and route text without
personal data.

A carrier tap never opens the warehouse: the sync (``orderlayer.core.carriers``) reads the tracking numbers the
channels gave for orders shipped and not yet finally delivered and passes them as the ``waybills`` setting, one
object per parcel. Route texts name couriers and their phone numbers ("快件交给张三，正在派送途中（联系电话：
13800001111）"): :func:`scrub_route_text` masks every phone-number-shaped run of digits with the masking rule of
:func:`~orderlayer.taps.common.pii.mask_phone` before a record is emitted.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass

from singer_sdk import typing as th

from orderlayer.taps.common.pii import mask_phone

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

__all__ = ["Waybill", "batched", "carrier_request_properties", "read_waybills", "scrub_route_text", "waybills_property"]

#: A mobile number (11 digits from 1), or a landline with an area code (0xx-xxxxxxxx), inside free text.
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")


@dataclass(frozen=True)
class Waybill:
    """One parcel to track: its tracking number, the carrier's code where the channel named it (Kuaidi100's
    company codes: shunfeng, yuantong, ...), and the last four digits of the receiver's phone where known
    (SF's ``checkPhoneNo`` / Kuaidi100's ``phone``: required for waybills not booked on the querying account)."""

    number: str
    carrier: str | None = None
    phone_tail: str | None = None


def waybills_property() -> th.Property:
    return th.Property(
        "waybills",
        th.ArrayType(
            th.ObjectType(
                th.Property("number", th.StringType(min_length=1, max_length=40), required=True),
                th.Property("carrier", th.StringType),
                th.Property("phone_tail", th.StringType(pattern=r"^[0-9]{4}$")),
            )
        ),
        default=[],
        description=(
            "The parcels to track, filled by `orderlayer sync` from the tracking numbers the channels gave for "
            "orders shipped and not finally delivered: {number, carrier (Kuaidi100 company code, optional), "
            "phone_tail (last 4 digits of the receiver's phone, optional)}."
        ),
    )


def read_waybills(config: Mapping[str, t.Any]) -> list[Waybill]:
    """The configured waybills, each number once (the first entry of a number wins), in the given order."""
    seen: dict[str, Waybill] = {}
    for entry in config.get("waybills") or ():
        number = str(entry["number"]).strip()
        if number and number not in seen:
            seen[number] = Waybill(number, entry.get("carrier") or None, entry.get("phone_tail") or None)
    return list(seen.values())


def batched(items: Iterable[Waybill], size: int) -> Iterator[list[Waybill]]:
    batch: list[Waybill] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def scrub_route_text(value: object) -> object:
    """``value`` with every phone number in it masked (138****1111); anything not text is returned as it is."""
    if not isinstance(value, str):
        return value
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)) or "****", value)


def carrier_request_properties(*, max_requests_per_second: float, request_timeout: float) -> list[th.Property]:
    """The request settings of a carrier tap. No sync range: a carrier is asked about the waybills it is given,
    not about a time window, so there is no start_date, end_date or bookmark."""
    return [
        th.Property("max_requests_per_second", th.NumberType(exclusive_minimum=0), default=max_requests_per_second,
                    description="Client-side request budget (retries included); the carrier publishes none."),
        th.Property("request_timeout", th.NumberType(exclusive_minimum=0), default=request_timeout,
                    description="Seconds per HTTP request."),
        th.Property("max_tries", th.IntegerType(minimum=1), default=6, description="Attempts per request before failing."),
        th.Property("retry_base_seconds", th.NumberType(minimum=0), default=1.0, description="First retry wait; doubles each try."),
        th.Property("retry_max_wait_seconds", th.NumberType(minimum=0), default=60.0,
                    description="Cap of one retry wait; a server Retry-After above it fails the sync."),
    ]
