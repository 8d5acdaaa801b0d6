"""Canonical JSON of a record, the text its raw row stores and its record hash is taken of.

`canonical_json` is the definition: sorted keys, no whitespace, non-ASCII written as is, numbers with a fraction
or an exponent as `Decimal` written digit for digit, integers exact at any size. It is simplejson, in Python, and
was most of the loader's time per record (bench/landing_bench.py), so the loader's own records take a fast path:

- `decode` reads JSON with msgspec (C) into values without a single float: every number with a fraction or an
  exponent becomes a `Decimal` of its exact text, as the Singer SDK's own reader does (`parse_float=Decimal`).
  What msgspec refuses (an escaped lone surrogate, the non-standard NaN/Infinity, which Python's json accepts)
  is read by Python's json instead, with NaN/Infinity as `Decimal` too, so nothing decoded holds a float (such a
  record is then refused by `canonical_json`, as it always was: simplejson does not write NaN).
- `canonical_bytes` writes such float-free values with msgspec (keys sorted by code point, `Decimal` as its `str`),
  byte for byte what `canonical_json` writes for them (tests/loader/test_canonical.py holds both to it on the
  fixtures and on hostile values); what msgspec refuses (a lone surrogate, a non-finite `Decimal`) goes to
  `canonical_json`, which writes or refuses it as before. Floats are why the fast path needs float-free values: msgspec writes them in another format
  (1e-07 against 1e-7) and NaN as null.

A `JsonObject` is a dict that `decode_object` made: the type says the promise (float-free), so the raw store
takes the fast path only for records that keep it, and any other dict — a test's, one a Singer stream map
rebuilt — is written by `canonical_json`.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

import msgspec
import simplejson

_DECODER = msgspec.json.Decoder(float_hook=Decimal)
_ENCODER = msgspec.json.Encoder(order="sorted", decimal_format="number")


class JsonObject(dict):
    """A JSON object read by `decode_object`: no float anywhere in it (so `canonical_bytes` may use msgspec)."""

    __slots__ = ()

    def __copy__(self) -> JsonObject:
        # The Singer SDK copies each record before its stream map; a copy keeps the promise (and is a C copy).
        return JsonObject(self)


def canonical_json(value: Any) -> str:  # noqa: ANN401 - any JSON value
    """Sorted-key compact JSON; numbers with a fraction arrive as Decimal and are written digit for digit."""
    return simplejson.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, use_decimal=True)


def decode(text: str | bytes) -> Any:  # noqa: ANN401 - any JSON value
    """JSON text → Python values with no float (see the module docstring); json.JSONDecodeError if not JSON."""
    try:
        return _DECODER.decode(text)
    except msgspec.DecodeError:
        # Python's json decides, as the SDK's reader did: it accepts what msgspec refuses or raises the error.
        return json.loads(text, parse_float=Decimal, parse_constant=Decimal)


def decode_object(text: str | bytes) -> JsonObject:
    value = decode(text)
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    return JsonObject(value)


def canonical_bytes(value: Any, float_free: bool = False) -> bytes:  # noqa: ANN401 - any JSON value
    """Canonical JSON of any value, UTF-8: msgspec when it holds no float (a `JsonObject`, or `float_free` says so
    for a value taken from one), the definition otherwise. Bytes, because the hash and the raw table take bytes:
    going through `str` cost three conversions per record. A lone surrogate raises UnicodeEncodeError, as the
    hash of its text always did."""
    if float_free or isinstance(value, JsonObject):
        try:
            return _ENCODER.encode(value)
        except ValueError:  # a lone surrogate (UnicodeEncodeError) or a non-finite Decimal: as before
            pass
    return canonical_json(value).encode()


def canonical_text(value: Any, float_free: bool = False) -> str:  # noqa: ANN401 - any JSON value
    """`canonical_bytes` as text (a lone surrogate stays in it, as `canonical_json` writes it)."""
    try:
        return canonical_bytes(value, float_free).decode()
    except UnicodeEncodeError:
        return canonical_json(value)


def record_digest(stream: str, data: bytes) -> str:
    """The raw row's key: sha256 of the stream name, a newline and the record's canonical JSON (UTF-8)."""
    return hashlib.sha256(stream.encode() + b"\n" + data).hexdigest()


def record_hash(stream: str, text: str) -> str:
    """`record_digest` of a canonical JSON text."""
    return record_digest(stream, text.encode())
