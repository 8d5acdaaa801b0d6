"""The loader's fast canonical JSON (msgspec) writes what the definition (simplejson) writes, so no hash changes.

The old path read a Singer line with json.loads(parse_float=Decimal) and wrote it with `canonical_json`; every
test here holds the new path (`decode_object` + `canonical_text`) to the same text and hash.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
from decimal import Decimal
from pathlib import Path

import pytest

from orderlayer.loader.canonical import JsonObject, canonical_json, canonical_text, decode, decode_object, record_hash
from orderlayer.loader.raw_store import raw_row

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

#: As a tap sends it: keys unsorted, non-ASCII escaped, exponents in lower case, an id above 2^64.
LINE = (
    '{"update_time":1700000000,"shop_id":7784061,"order_id":"6936476692437472563",'
    '"product_id":18446744073709551617,"name":"\\u6296\\u5e97 \\u2713 \\ud83d\\ude00",'
    '"amounts":[0.10,0.1,1e-7,-0.0,1.0e2],"lines":[[1,[2,[]]],{"b":true,"a":null}]}'
)
#: Written by hand: sorted keys, no spaces, characters as is, each number's own digits (1e-7 as Decimal writes it).
CANONICAL = (
    '{"amounts":[0.10,0.1,1E-7,-0.0,1.0E+2],"lines":[[1,[2,[]]],{"a":null,"b":true}],"name":"抖店 ✓ 😀",'
    '"order_id":"6936476692437472563","product_id":18446744073709551617,"shop_id":7784061,"update_time":1700000000}'
)
#: sha256 of "orders\n" + CANONICAL, taken with sha256sum.
HASH = "6b5fc609ffd9752d70c86aedc8a050784d203fa25797459da9f7cccf59ddf9fd"


def old_text(text: str) -> str:
    """The loader before msgspec: the SDK's reader, then simplejson."""
    return canonical_json(json.loads(text, parse_float=Decimal))


def new_text(text: str) -> str:
    return canonical_text(decode(text), float_free=True)


def test_a_record_lands_as_its_hand_written_canonical_text_and_hash() -> None:
    record = decode_object(LINE)
    assert isinstance(record, JsonObject)
    assert record["product_id"] == 18446744073709551617  # > 2^64, exact
    assert record["amounts"][:3] == [Decimal("0.10"), Decimal("0.1"), Decimal("1E-7")]
    assert str(record["amounts"][0]) == "0.10"  # not 0.1: the trailing zero is the tap's
    row = raw_row("orders", record, ["shop_id", "order_id"], "update_time", None)
    assert row.record == CANONICAL.encode()
    assert row.digest == HASH == record_hash("orders", old_text(LINE))
    assert row.primary_key == '[7784061,"6936476692437472563"]'
    assert row.replication_value == "1700000000"


@pytest.mark.parametrize("path", sorted(FIXTURES.rglob("*.json")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_platform_fixtures_keep_their_text(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert new_text(text) == old_text(text)


def _number(rng: random.Random) -> str:
    sign = rng.choice(["", "-"])
    digits = str(rng.choice([0, 1, 7, 10, 2**53 + 1, 2**63, 2**64 + 1, 10**40 + 3, rng.randrange(10**6)]))
    fraction = rng.choice(["", ".0", ".10", ".1", ".000001", ".5000", "." + "9" * 30])
    exponent = rng.choice(["", "", "e-7", "E+2", "e05", "E-400", "e400", "e0"])
    return sign + digits + fraction + exponent


#: Code points that escaping or sorting could treat differently: controls, DEL, C1, line separators, the BOM,
#: the top of the BMP (sorts before astral characters by code point, after them by UTF-16), astral characters.
AWKWARD = [*range(0x20), 0x22, 0x2F, 0x5C, 0x7F, 0x80, 0x9F, 0xA0, 0xE9, 0x2028, 0x2029, 0xFEFF, 0xFFFD, 0xFFFF,
           0x4E2D, 0x1F600, 0x10FFFF, ord("a"), ord("Z")]


def _string(rng: random.Random) -> str:
    chars = []
    for _ in range(rng.randrange(6)):
        cp = rng.choice(AWKWARD)
        if cp > 0xFFFF and rng.random() < 0.5:  # an escaped surrogate pair
            hi, lo = 0xD800 + ((cp - 0x10000) >> 10), 0xDC00 + ((cp - 0x10000) & 0x3FF)
            chars.append(f"\\u{hi:04x}\\u{lo:04X}")
        elif cp < 0x20 or cp in (0x22, 0x5C) or rng.random() < 0.3:
            chars.append(f"\\u{cp:04x}" if cp <= 0xFFFF else chr(cp))
        else:
            chars.append(chr(cp))
    return '"' + "".join(chars) + '"'


def _value(rng: random.Random, depth: int) -> str:
    kind = rng.randrange(7 if depth < 6 else 4)
    if kind == 0:
        return _number(rng)
    if kind == 1:
        return _string(rng)
    if kind == 2:
        return rng.choice(["true", "false", "null"])
    if kind == 3:
        return str(rng.randrange(-(10**25), 10**25))
    if kind == 4:
        return "[" + ",".join(_value(rng, depth + 1) for _ in range(rng.randrange(4))) + "]"
    # objects, with awkward keys and now and then a repeated one (the last one wins, in both readers)
    members = [f"{_string(rng)}:{_value(rng, depth + 1)}" for _ in range(rng.randrange(5))]
    if members and rng.random() < 0.2:
        members.append(members[0].split(":", 1)[0] + ":" + _value(rng, depth + 1))
    return "{" + ",".join(members) + "}"


def test_hostile_values_keep_their_text() -> None:
    rng = random.Random(15)
    texts = [_value(rng, 0) for _ in range(3000)]
    for text in texts:
        assert new_text(text) == old_text(text), text
    # the generator does reach what it is for
    assert any("\\ud83d" in t.lower() for t in texts) and any("E-400" in t for t in texts)


def test_a_deep_record_keeps_its_text() -> None:
    text = '{"x":' * 200 + "[1.50]" + "}" * 200
    assert new_text(text) == old_text(text)


@pytest.mark.parametrize("line", ['{"v":NaN}', '{"v":Infinity}', '{"v":-Infinity}'])
def test_nan_and_infinity_are_refused_as_before(line: str) -> None:
    # Not JSON: msgspec refuses them, Python's json reads them (here as Decimal, so the record stays float-free),
    # and simplejson refuses to write them, in the old path and the new.
    with pytest.raises(ValueError, match="not JSON compliant"):
        old_text(line)
    record = decode_object(line)
    assert isinstance(record["v"], Decimal)
    with pytest.raises(ValueError, match="not JSON compliant"):
        raw_row("orders", record, [], "v", None)


def test_a_lone_surrogate_is_written_and_refused_as_before() -> None:
    line = '{"note":"\\ud800 alone"}'
    assert new_text(line) == old_text(line) == '{"note":"\ud800 alone"}'
    # its text has no UTF-8, so it has no hash: refused, in the old path and the new
    with pytest.raises(UnicodeEncodeError):
        record_hash("orders", old_text(line))
    with pytest.raises(UnicodeEncodeError):
        raw_row("orders", decode_object(line), [], None, None)


def test_a_dict_with_floats_is_written_by_the_definition() -> None:
    # Only what decode_object made takes the fast path; msgspec would write 1e-7 and NaN as null.
    record = {"weight": 1e-07, "big": 1e16}
    assert canonical_text(record) == '{"big":1e+16,"weight":1e-07}'
    assert raw_row("orders", record, [], None, None).record == b'{"big":1e+16,"weight":1e-07}'


def test_not_json_is_an_error_and_an_array_is_not_a_record() -> None:
    with pytest.raises(json.JSONDecodeError):
        decode('{"a":1')
    with pytest.raises(ValueError, match="expected a JSON object, got list"):
        decode_object("[1]")


def test_the_singer_sdk_copy_keeps_the_promise() -> None:
    record = decode_object('{"a":1.5}')
    assert type(copy.copy(record)) is JsonObject
    assert hashlib.sha256(b"orders\n" + canonical_text(copy.copy(record)).encode()).hexdigest() == record_hash(
        "orders", '{"a":1.5}'
    )


def test_canonical_text_read_again_lands_as_before() -> None:
    # The push spool stores canonical JSON and its landing reads it again. (Neither path is a fixed point for a
    # negative zero with an exponent: -0e0 is written -0 and read back as the integer 0, in the old path too.)
    rng = random.Random(72)
    for text in (_value(rng, 0) for _ in range(1000)):
        canonical = old_text(text)
        assert new_text(canonical) == old_text(canonical)
    assert new_text(CANONICAL) == CANONICAL
    assert old_text("[-0e0]") == "[-0]" and new_text("[-0]") == old_text("[-0]") == "[0]"
