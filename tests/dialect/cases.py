"""The conformance cases of the dialect macros (macros/dialect/): each a SQL expression calling one macro, and the
value it must have on every engine, worked out by hand from the macro's meaning (DuckDB's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Case:
    """`sql` (Jinja over the macros, reading the columns of `INPUTS`) must give `expected` on both engines."""

    macro: str
    name: str
    sql: str
    expected: object
    #: why Spark's answer differs, when it knowingly does (the Spark test then expects it to fail)
    spark_differs: str | None = None

    @property
    def column(self) -> str:
        return f"{self.macro}__{self.name}"


@dataclass(frozen=True)
class RowsCase:
    """A macro that makes rows: `sql` is a whole select over `ROWS_INPUT`, whose rows must be `expected`."""

    macro: str
    sql: str
    expected: list[dict]


#: The one-row relation every single-value case reads (typed NULLs and lists, so no case relies on literal typing).
INPUTS = {
    "ints": "{{ list_of(['1', '2', '3']) }}",
    "texts": "{{ list_of([\"'b'\", \"'a'\", \"'订单'\"]) }}",
    "bools_null": "{{ list_of(['false', 'null']) }}",
    "empty_ints": "{{ empty_list('integer') }}",
    "empty_texts": "{{ empty_list(text_type()) }}",
    "empty_bools": "{{ empty_list('boolean') }}",
    "null_ints": "cast(null as {{ list_type('integer') }})",
    "null_texts": "cast(null as {{ list_type(text_type()) }})",
    "null_bools": "cast(null as {{ list_type('boolean') }})",
    "null_text": "cast(null as {{ text_type() }})",
    "null_int": "cast(null as integer)",
    "zone_ny": "'America/New_York'",
    "hours": "cast(5 as integer)",
    "doc": """'{"a": {"b": "x", "c": 1}, "n": null, "名称": "订单", "x.y": 2, "amount": 12.30, "big": 12345678.9}'""",
    "items": """({{ parse_json_shape("'{\\"items\\": [{\\"sku\\": \\"A\\", \\"qty\\": \\"2\\"}, {\\"sku\\": \\"B\\"}]}'", {'items': [{'sku': 'VARCHAR', 'qty': 'VARCHAR'}]}) }}).items""",
}

#: The rows the row-making cases read: a list, an empty list, a NULL list and a list of one NULL.
ROWS_INPUT = """
select 1 as k, {{ list_of(["'a'", "'订单'"]) }} as l
union all select 2 as k, {{ empty_list(text_type()) }} as l
union all select 3 as k, cast(null as {{ list_type(text_type()) }}) as l
union all select 4 as k, {{ list_of(['cast(null as ' ~ text_type() ~ ')']) }} as l
"""


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _dec(text: str) -> str:
    return f"cast('{text}' as decimal(18, 2))"


ITEM_A, ITEM_B = {"sku": "A", "qty": "2"}, {"sku": "B", "qty": None}
DOC = """'{"id": 1234567890123456789, "amount": 12.30, "name": "订单", "tags": ["a", 1], "obj": {"k": "v"}, "nothing": null, "flag": true, "items": [{"sku": "A", "qty": 2}, {"sku": "B"}]}'"""
DOC_SHAPE = (
    "{'id': 'VARCHAR', 'amount': 'VARCHAR', 'name': 'VARCHAR', 'tags': 'VARCHAR', 'obj': 'VARCHAR', 'nothing': 'VARCHAR', "
    "'flag': 'VARCHAR', 'absent': 'VARCHAR', 'items': [{'sku': 'VARCHAR', 'qty': 'VARCHAR'}]}"
)

LISTS = [
    Case("list_map", "ints", "{{ list_map('ints', 'x', 'x * 10') }}", [10, 20, 30]),
    Case("list_map", "null_element", "{{ list_map(list_of(['1', 'null', '3']), 'x', 'x + 1') }}", [2, None, 4]),
    Case("list_map", "empty", "{{ list_map('empty_ints', 'x', 'x + 1') }}", []),
    Case("list_map", "null_list", "{{ list_map('null_ints', 'x', 'x + 1') }}", None),
    Case("list_map", "chinese", "{{ list_map('texts', 'x', \"concat(x, '号')\") }}", ["b号", "a号", "订单号"]),
    Case("list_map", "struct_field", "{{ list_map('items', 'i', 'i.sku') }}", ["A", "B"]),
    Case("list_where", "odd", "{{ list_where('ints', 'x', 'x % 2 = 1') }}", [1, 3]),
    Case("list_where", "null_element", "{{ list_where(list_of(['1', 'null', '3']), 'x', 'x > 1') }}", [3]),
    Case("list_where", "empty", "{{ list_where('empty_ints', 'x', 'x > 1') }}", []),
    Case("list_where", "null_list", "{{ list_where('null_ints', 'x', 'x > 1') }}", None),
    Case("list_where", "struct", "{{ list_where('items', 'i', 'i.qty is not null') }}", [ITEM_A]),
    Case("list_any", "some", "{{ list_any(list_of(['true', 'false'])) }}", True),
    Case("list_any", "none", "{{ list_any(list_of(['false', 'false'])) }}", False),
    Case("list_any", "false_and_null", "{{ list_any('bools_null') }}", False),
    Case("list_any", "true_and_null", "{{ list_any(list_of(['null', 'true'])) }}", True),
    Case("list_any", "only_null", "{{ list_any(list_of(['cast(null as boolean)'])) }}", None),
    Case("list_any", "empty", "{{ list_any('empty_bools') }}", None),
    Case("list_any", "null_list", "{{ list_any('null_bools') }}", None),
    Case("list_any", "mapped", "{{ list_any(list_map('ints', 'x', 'x > 2')) }}", True),
    Case("list_every", "all", "{{ list_every(list_of(['true', 'true'])) }}", True),
    Case("list_every", "not_all", "{{ list_every(list_of(['true', 'false'])) }}", False),
    Case("list_every", "true_and_null", "{{ list_every(list_of(['true', 'null'])) }}", True),
    Case("list_every", "empty", "{{ list_every('empty_bools') }}", None),
    Case("list_every", "null_list", "{{ list_every('null_bools') }}", None),
    Case("list_total", "money", f"{{{{ list_total(list_of([\"{_dec('12.30')}\", \"{_dec('0.70')}\", 'null'])) }}}}", Decimal("13.00")),
    Case("list_total", "cancelling", f"{{{{ list_total(list_of([\"{_dec('-1.50')}\", \"{_dec('1.50')}\"])) }}}}", Decimal("0")),
    Case("list_total", "ints", "{{ list_total('ints') }}", 6),
    Case("list_total", "beyond_bigint", "{{ list_total(list_of(['4611686018427387904', '4611686018427387904'])) }}", 9223372036854775808),
    Case("list_total", "ids_19_digits", "{{ list_total(list_of(['1234567890123456789', '1'])) }}", 1234567890123456790),
    Case("list_total", "only_null", "{{ list_total(list_of(['null_int'])) }}", None),
    Case("list_total", "empty", "{{ list_total('empty_ints') }}", None),
    Case("list_total", "null_list", "{{ list_total('null_ints') }}", None),
    Case("list_largest", "ints", "{{ list_largest(list_of(['3', 'null', '7'])) }}", 7),
    Case("list_largest", "chinese", "{{ list_largest('texts') }}", "订单"),
    Case("list_largest", "only_null", "{{ list_largest(list_of(['null_int'])) }}", None),
    Case("list_largest", "empty", "{{ list_largest('empty_ints') }}", None),
    Case("list_largest", "null_list", "{{ list_largest('null_ints') }}", None),
    Case("list_smallest", "ints", "{{ list_smallest(list_of(['3', 'null', '7'])) }}", 3),
    Case("list_smallest", "texts", "{{ list_smallest('texts') }}", "a"),
    Case("list_smallest", "empty", "{{ list_smallest('empty_ints') }}", None),
    Case("list_smallest", "null_list", "{{ list_smallest('null_ints') }}", None),
    Case("list_at", "first", "{{ list_at('ints', 1) }}", 1),
    Case("list_at", "last", "{{ list_at('ints', -1) }}", 3),
    Case("list_at", "past_end", "{{ list_at('ints', 4) }}", None),
    Case("list_at", "zero", "{{ list_at('ints', 0) }}", None),
    Case("list_at", "empty", "{{ list_at('empty_ints', 1) }}", None),
    Case("list_at", "null_list", "{{ list_at('null_ints', 1) }}", None),
    Case("list_at", "chinese", "{{ list_at('texts', 3) }}", "订单"),
    Case("list_size", "ints", "{{ list_size('ints') }}", 3),
    Case("list_size", "empty", "{{ list_size('empty_ints') }}", 0),
    Case("list_size", "null_list", "{{ list_size('null_ints') }}", None),
    Case("list_size", "one_null", "{{ list_size(list_of(['null_int'])) }}", 1),
    Case("list_flatten", "lists", "{{ list_flatten(list_of([list_of(['1', '2']), list_of(['3'])])) }}", [1, 2, 3]),
    Case("list_flatten", "null_inner", "{{ list_flatten(list_of([list_of(['1']), 'null_ints', list_of(['2'])])) }}", [1, 2]),
    Case("list_flatten", "null_element", "{{ list_flatten(list_of([list_of(['1', 'null'])])) }}", [1, None]),
    Case("list_flatten", "empty_inner", "{{ list_flatten(list_of(['empty_ints'])) }}", []),
    Case("list_flatten", "null_list", "{{ list_flatten('cast(null as ' ~ list_type(list_type('integer')) ~ ')') }}", None),
    Case("list_distinct_sorted", "ints", "{{ list_distinct_sorted(list_of(['3', '1', '3', 'null', '2'])) }}", [1, 2, 3]),
    Case("list_distinct_sorted", "chinese", "{{ list_distinct_sorted(list_of([\"'b'\", \"'订单'\", \"'a'\", \"'b'\"])) }}", ["a", "b", "订单"]),
    Case("list_distinct_sorted", "empty", "{{ list_distinct_sorted('empty_ints') }}", []),
    Case("list_distinct_sorted", "null_list", "{{ list_distinct_sorted('null_ints') }}", None),
    Case("list_sorted", "nulls_last", "{{ list_sorted(list_of(['3', 'null', '1'])) }}", [1, 3, None]),
    Case("list_sorted", "chinese", "{{ list_sorted('texts') }}", ["a", "b", "订单"]),
    Case("list_sorted", "empty", "{{ list_sorted('empty_ints') }}", []),
    Case("list_sorted", "null_list", "{{ list_sorted('null_ints') }}", None),
    Case("list_append", "lists", "{{ list_append('ints', list_of(['4'])) }}", [1, 2, 3, 4]),
    Case("list_append", "null_first", "{{ list_append('null_ints', list_of(['4'])) }}", [4]),
    Case("list_append", "null_second", "{{ list_append('ints', 'null_ints') }}", [1, 2, 3]),
    Case("list_append", "both_null", "{{ list_append('null_ints', 'null_ints') }}", []),
    Case("list_append", "empty", "{{ list_append('ints', 'empty_ints') }}", [1, 2, 3]),
    Case("list_has", "present", "{{ list_has('ints', '2') }}", True),
    Case("list_has", "absent", "{{ list_has('ints', '5') }}", False),
    Case("list_has", "absent_with_null", "{{ list_has(list_of(['1', 'null']), '5') }}", False),
    Case("list_has", "present_with_null", "{{ list_has(list_of(['1', 'null']), '1') }}", True),
    Case("list_has", "empty", "{{ list_has('empty_ints', '1') }}", False),
    Case("list_has", "null_list", "{{ list_has('null_ints', '1') }}", None),
    Case("list_has", "null_value", "{{ list_has('ints', 'null_int') }}", None),
    Case("list_has", "chinese", "{{ list_has('texts', \"'订单'\") }}", True),
    Case("list_position_of", "present", "{{ list_position_of('texts', \"'a'\") }}", 2),
    Case("list_position_of", "chinese", "{{ list_position_of('texts', \"'订单'\") }}", 3),
    Case("list_position_of", "absent", "{{ list_position_of('texts', \"'z'\") }}", None),
    Case("list_position_of", "null_list", "{{ list_position_of('null_texts', \"'a'\") }}", None),
    Case("list_position_of", "null_value", "{{ list_position_of(list_of(['1', 'null']), 'null_int') }}", 2),
    Case("list_join", "skips_null", "{{ list_join(list_of([\"'a'\", 'null', \"'b'\"]), \"','\") }}", "a,b"),
    Case("list_join", "metachar_sep", "{{ list_join('texts', \"'|'\") }}", "b|a|订单"),
    Case("list_join", "regex_sep", "{{ list_join('texts', \"'.*'\") }}", "b.*a.*订单"),
    Case("list_join", "ints", "{{ list_join('ints', \"'-'\") }}", "1-2-3"),
    Case("list_join", "empty", "{{ list_join('empty_texts', \"','\") }}", ""),
    Case("list_join", "null_list", "{{ list_join('null_texts', \"','\") }}", None),
    Case(
        "list_zip_as", "columns", "{{ list_zip_as(['ints', list_of([\"'x'\", \"'y'\"])], ['n', 's']) }}",
        [{"n": 1, "s": "x"}, {"n": 2, "s": "y"}, {"n": 3, "s": None}],
    ),
    Case("list_zip_as", "literals", "{{ list_zip_as([list_of(['1']), list_of([\"'订单'\"])], ['n', 's']) }}", [{"n": 1, "s": "订单"}]),
    Case("list_zip_as", "null_list", "{{ list_zip_as(['null_ints', list_of([\"'x'\"])], ['n', 's']) }}", [{"n": None, "s": "x"}]),
    Case("list_zip_as", "both_null", "{{ list_zip_as(['null_ints', 'null_texts'], ['n', 's']) }}", []),
    Case("empty_list", "ints", "{{ empty_list('integer') }}", []),
    Case("empty_list", "texts", "{{ empty_list(text_type()) }}", []),
    Case("list_of", "texts", "{{ list_of([\"'订单'\", 'null', \"'b'\"]) }}", ["订单", None, "b"]),
    Case("list_of", "ids_19_digits", "{{ list_of(['1234567890123456789']) }}", [1234567890123456789]),
    Case("list_max_of", "where", "{{ list_max_of('items', 'i', 'i.sku', 'i.qty is not null') }}", "A"),
    Case("list_max_of", "all", "{{ list_max_of('items', 'i', 'i.sku') }}", "B"),
    Case("list_max_of", "none", "{{ list_max_of('items', 'i', 'i.sku', \"i.qty = '9'\") }}", None),
    Case("list_max_of", "null_list", "{{ list_max_of('null_ints', 'x', 'x * 2') }}", None),
    Case("list_first_of", "struct", "{{ list_first_of('items', 'i', 'i.sku', 'i.qty is null') }}", "B"),
    Case("list_first_of", "ints", "{{ list_first_of('ints', 'x', 'x * 2', 'x > 1') }}", 4),
    Case("list_first_of", "none", "{{ list_first_of('ints', 'x', 'x * 2', 'x > 9') }}", None),
]

TEXT = [
    Case("full_match", "whole", "{{ full_match(\"'abc'\", \"'a.c'\") }}", True),
    Case("full_match", "longer", "{{ full_match(\"'abcd'\", \"'a.c'\") }}", False),
    Case("full_match", "alternation", "{{ full_match(\"'ab'\", \"'a|ab'\") }}", True),
    Case("full_match", "final_newline", "{{ full_match(\"concat('abc', chr(10))\", \"'abc'\") }}", False),
    Case("full_match", "backslash", r"""{{ full_match("'12.30'", "'[0-9]+\.[0-9]{2}'") }}""", True),
    Case("full_match", "backslash_no", r"""{{ full_match("'12x30'", "'[0-9]+\.[0-9]{2}'") }}""", False),
    Case("full_match", "dollar", r"""{{ full_match("'$12'", "'\$[0-9]+'") }}""", True),
    Case("full_match", "digit_class", r"""{{ full_match("'123'", "'\d{3}'") }}""", True),
    Case("full_match", "chinese", "{{ full_match(\"'订单123'\", \"'订单[0-9]+'\") }}", True),
    Case("full_match", "han_range", "{{ full_match(\"'订单123'\", \"'[一-龥]+[0-9]+'\") }}", True),
    Case("full_match", "empty_text", "{{ full_match(\"''\", \"'a*'\") }}", True),
    Case("full_match", "null", "{{ full_match('null_text', \"'a*'\") }}", None),
    Case("contains_match", "inside", "{{ contains_match(\"'abc'\", \"'b'\") }}", True),
    Case("contains_match", "anchored", "{{ contains_match(\"'abc'\", \"'^b'\") }}", False),
    Case("contains_match", "escaped_dot", r"""{{ contains_match("'a.b'", "'\.'") }}""", True),
    Case("contains_match", "escaped_dot_no", r"""{{ contains_match("'ab'", "'\.'") }}""", False),
    Case("contains_match", "dollar", r"""{{ contains_match("'a$b'", "'\$'") }}""", True),
    Case("contains_match", "chinese", "{{ contains_match(\"'退款成功'\", \"'成功'\") }}", True),
    Case("contains_match", "null", "{{ contains_match('null_text', \"'a'\") }}", None),
    Case("replace_all", "escaped_dot", r"""{{ replace_all("'a.b.c'", "'\.'", "'-'") }}""", "a-b-c"),
    Case("replace_all", "every", "{{ replace_all(\"'aaa'\", \"'a'\", \"'b'\") }}", "bbb"),
    Case("replace_all", "empty_matches", "{{ replace_all(\"'abc'\", \"'x*'\", \"'-'\") }}", "-a-b-c-"),
    Case("replace_all", "dollar_replacement", "{{ replace_all(\"'price 5'\", \"'[0-9]+'\", \"'$'\") }}", "price $"),
    Case("replace_all", "metachar", r"""{{ replace_all("'a|b'", "'\|'", "','") }}""", "a,b"),
    Case("replace_all", "chinese", "{{ replace_all(\"'订单-1'\", \"'-'\", \"'号'\") }}", "订单号1"),
    Case("replace_all", "null", "{{ replace_all('null_text', \"'a'\", \"'b'\") }}", None),
    Case("split_text", "empty_part", "{{ split_text(\"'a,b,,c'\", \"','\") }}", ["a", "b", "", "c"]),
    Case("split_text", "pipe", "{{ split_text(\"'a|b'\", \"'|'\") }}", ["a", "b"]),
    Case("split_text", "dot", "{{ split_text(\"'a.b'\", \"'.'\") }}", ["a", "b"]),
    Case("split_text", "dollar", "{{ split_text(\"'a$b'\", \"'$'\") }}", ["a", "b"]),
    Case("split_text", "backslash", r"""{{ split_text("'a\.b'", "'\.'") }}""", ["a", "b"]),
    Case("split_text", "trailing", "{{ split_text(\"'a,b,'\", \"','\") }}", ["a", "b", ""]),
    Case("split_text", "empty_text", "{{ split_text(\"''\", \"','\") }}", [""]),
    Case("split_text", "chinese", "{{ split_text(\"'订单，退款'\", \"'，'\") }}", ["订单", "退款"]),
    Case("split_text", "null", "{{ split_text('null_text', \"','\") }}", None),
    Case("format_text", "texts", "{{ format_text(\"'{}-{}'\", [\"'a'\", \"'b'\"]) }}", "a-b"),
    Case("format_text", "percent", "{{ format_text(\"'{}%'\", ['50']) }}", "50%"),
    Case("format_text", "chinese", "{{ format_text(\"'{}号'\", [\"'订单'\"]) }}", "订单号"),
    Case("format_text", "id_19_digits", "{{ format_text(\"'#{}'\", ['1234567890123456789']) }}", "#1234567890123456789"),
    Case("format_text", "null_argument", "{{ format_text(\"'{}-{}'\", [\"'a'\", 'null_text']) }}", None),
    Case("sha256_hex", "ascii", "{{ sha256_hex(\"'abc'\") }}", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    Case("sha256_hex", "chinese", "{{ sha256_hex(\"'订单'\") }}", "3d5436ea23d2e9a23eceecf41eaf15de80b51c12c649a07064e02373d2edf61a"),
    Case("sha256_hex", "empty", "{{ sha256_hex(\"''\") }}", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    Case("sha256_hex", "null", "{{ sha256_hex('null_text') }}", None),
    Case("text_literal", "quote", """{{ text_literal("it's") }}""", "it's"),
    Case("text_literal", "both_quotes", """{{ text_literal('say "it\\'s"') }}""", "say \"it's\""),
    Case("text_literal", "backslash_end", r"""{{ text_literal('a\\') }}""", "a\\"),
    Case("text_literal", "backslash_quote", r"""{{ text_literal("a\\'b") }}""", "a\\'b"),
    Case("text_literal", "pattern", r"""{{ full_match(text_literal("it's 5"), text_literal("it's \\d")) }}""", True),
    Case("text_literal", "chinese", """{{ text_literal('订单') }}""", "订单"),
]

JSON = [
    Case(
        "parse_json_shape", "leaves_as_text", f"{{{{ parse_json_shape({DOC!r}, {DOC_SHAPE}) }}}}",
        {"id": "1234567890123456789", "amount": "12.3", "name": "订单", "tags": '["a",1]', "obj": '{"k":"v"}', "nothing": None,
         "flag": "true", "absent": None, "items": [ITEM_A, ITEM_B]},
    ),
    Case("parse_json_shape", "nested", """{{ parse_json_shape("'{\\"buyer\\": {\\"nick\\": \\"张三\\"}}'", {'buyer': {'nick': 'VARCHAR'}}) }}""", {"buyer": {"nick": "张三"}}),
    Case("parse_json_shape", "text_list", """{{ parse_json_shape("'{\\"tags\\": [\\"a\\", 1, null]}'", {'tags': ['VARCHAR']}) }}""", {"tags": ["a", "1", None]}),
    Case("parse_json_shape", "object_for_list", """{{ parse_json_shape("'{\\"items\\": {\\"x\\": 1}}'", {'items': [{'x': 'VARCHAR'}]}) }}""", {"items": None}),
    Case(
        "parse_json_shape", "text_for_object", """{{ parse_json_shape("'{\\"items\\": \\"abc\\"}'", {'items': {'x': 'VARCHAR'}}) }}""", {"items": {"x": None}},
        spark_differs="a text where an object is declared: DuckDB gives the object with NULL fields, Spark a NULL object "
        "(every field read through it is NULL on both)",
    ),
    Case("parse_json_shape", "list_for_record", """{{ parse_json_shape("'[1]'", {'x': 'VARCHAR'}) }}""", {"x": None}),
    Case(
        "parse_json_shape", "reserved_word_field",
        """({{ parse_json_shape("'{\\"order\\": {\\"id\\": \\"7\\"}}'", {'order': {'id': 'VARCHAR'}}) }}).{{ adapter.quote('order') }}.id""", "7",
    ),
    Case("parse_json_shape", "null_record", "{{ parse_json_shape('null_text', {'a': 'VARCHAR'}) }}", None),
    # floats as DuckDB prints them: plain from 10^-4 up to 10^16, else 1e+16 / 1e-05 (Java: plain from 10^-3 to 10^7)
    Case(
        "parse_json_shape", "floats",
        """{{ parse_json_shape("'{\\"a\\": 1.0E10, \\"b\\": 12345678.9, \\"c\\": -12345678.90, \\"d\\": 1e7, \\"e\\": 0.0001, \\"f\\": 0.00012345, \\"g\\": 1e16, \\"h\\": 1.5e300, \\"i\\": 1.5e-5, \\"j\\": 123456789e-20, \\"k\\": 0.001, \\"l\\": 9990000000000000.0}'", {'a': 'VARCHAR', 'b': 'VARCHAR', 'c': 'VARCHAR', 'd': 'VARCHAR', 'e': 'VARCHAR', 'f': 'VARCHAR', 'g': 'VARCHAR', 'h': 'VARCHAR', 'i': 'VARCHAR', 'j': 'VARCHAR', 'k': 'VARCHAR', 'l': 'VARCHAR'}) }}""",
        {"a": "10000000000.0", "b": "12345678.9", "c": "-12345678.9", "d": "10000000.0", "e": "0.0001", "f": "0.00012345", "g": "1e+16",
         "h": "1.5e+300", "i": "1.5e-05", "j": "1.23456789e-12", "k": "0.001", "l": "9990000000000000.0"},
    ),
    Case(
        "parse_json_shape", "floats_in_lists", """{{ parse_json_shape("'{\\"v\\": [1e10, \\"x\\"], \\"o\\": [{\\"p\\": 2.5e7}]}'", {'v': ['VARCHAR'], 'o': [{'p': 'VARCHAR'}]}) }}""",
        {"v": ["10000000000.0", "x"], "o": [{"p": "25000000.0"}]},
    ),
    Case(
        "parse_json_shape", "smallest_double", """{{ parse_json_shape("'{\\"v\\": 5e-324}'", {'v': 'VARCHAR'}) }}""", {"v": "5e-324"},
        spark_differs="Java 17 prints the smallest double as 4.9E-324, not the shortest 5e-324",
    ),
    Case(
        "parse_json_shape", "string_like_java_float", """{{ parse_json_shape("'{\\"v\\": \\"1.0E10\\"}'", {'v': 'VARCHAR'}) }}""", {"v": "1.0E10"},
        spark_differs="Spark's JSON text of a float and of a string holding Java's form of one are the same text: both read as the number",
    ),
    Case("json_text", "nested", "{{ json_text('doc', ['a', 'b']) }}", "x"),
    Case("json_text", "object", "{{ json_text('doc', ['a']) }}", '{"b":"x","c":1}'),
    Case("json_text", "number", "{{ json_text('doc', ['a', 'c']) }}", "1"),
    Case("json_text", "decimal", "{{ json_text('doc', ['amount']) }}", "12.3"),
    Case("json_text", "float", "{{ json_text('doc', ['big']) }}", "12345678.9"),
    Case("json_text", "json_null", "{{ json_text('doc', ['n']) }}", None),
    Case("json_text", "absent", "{{ json_text('doc', ['missing']) }}", None),
    Case("json_text", "chinese_key", "{{ json_text('doc', ['名称']) }}", "订单"),
    Case("json_text", "dotted_key", "{{ json_text('doc', ['x.y']) }}", "2"),
    Case("json_text", "null_record", "{{ json_text('null_text', ['a']) }}", None),
    Case("json_is_valid", "object", """{{ json_is_valid("'{\\"a\\": 1}'") }}""", True),
    Case("json_is_valid", "truncated", """{{ json_is_valid("'{\\"a\\": '") }}""", False),
    Case("json_is_valid", "empty", """{{ json_is_valid("''") }}""", False),
    Case("json_is_valid", "scalar", """{{ json_is_valid("'12'") }}""", True),
    Case("json_is_valid", "trailing_text", """{{ json_is_valid("'{\\"a\\": 1} x'") }}""", False),
    Case("json_is_valid", "duplicate_key", """{{ json_is_valid("'{\\"a\\": 1, \\"a\\": 2}'") }}""", True),
    Case("json_is_valid", "nested_error", """{{ json_is_valid("'{\\"a\\": {\\"b\\": }}'") }}""", False),
    Case("json_is_valid", "null", "{{ json_is_valid('null_text') }}", None),
    Case(
        "json_is_valid", "nan", """{{ json_is_valid("'{\\"a\\": nan}'") }}""", True,
        spark_differs="DuckDB's JSON reader takes NaN as a number; Spark's (Jackson) refuses it",
    ),
]


def _local(text: str) -> str:
    return f"cast('{text}' as timestamp)"


TIME = [
    Case("instant_from_epoch_seconds", "epoch", "{{ instant_from_epoch_seconds('0') }}", _t("1970-01-01 00:00:00")),
    Case("instant_from_epoch_seconds", "recent", "{{ instant_from_epoch_seconds('1700000000') }}", _t("2023-11-14 22:13:20")),
    Case("instant_from_epoch_seconds", "before_epoch", "{{ instant_from_epoch_seconds('-1') }}", _t("1969-12-31 23:59:59")),
    Case("instant_from_epoch_seconds", "null", "{{ instant_from_epoch_seconds('null_int') }}", None),
    Case("instant_from_epoch_millis", "epoch", "{{ instant_from_epoch_millis('0') }}", _t("1970-01-01 00:00:00")),
    Case("instant_from_epoch_millis", "recent", "{{ instant_from_epoch_millis('1700000000123') }}", _t("2023-11-14 22:13:20.123")),
    Case("instant_from_epoch_millis", "before_epoch", "{{ instant_from_epoch_millis('-1') }}", _t("1969-12-31 23:59:59.999")),
    Case("instant_from_epoch_millis", "null", "{{ instant_from_epoch_millis('null_int') }}", None),
    Case("local_to_instant", "shanghai", f"{{{{ local_to_instant(\"{_local('2024-01-01 08:00:00')}\", \"'Asia/Shanghai'\") }}}}", _t("2024-01-01 00:00:00")),
    Case("local_to_instant", "sentinel_1970", f"{{{{ local_to_instant(\"{_local('1970-01-01 08:00:00')}\", \"'Asia/Shanghai'\") }}}}", _t("1970-01-01 00:00:00")),
    Case("local_to_instant", "new_york_summer", f"{{{{ local_to_instant(\"{_local('2024-07-01 08:00:00')}\", 'zone_ny') }}}}", _t("2024-07-01 12:00:00")),
    Case("local_to_instant", "new_york_winter", f"{{{{ local_to_instant(\"{_local('2024-01-15 08:00:00')}\", 'zone_ny') }}}}", _t("2024-01-15 13:00:00")),
    # 02:30 on 10 March 2024 never showed in New York (clocks went 02:00 EST → 03:00 EDT): read with EST
    Case("local_to_instant", "new_york_gap", f"{{{{ local_to_instant(\"{_local('2024-03-10 02:30:00')}\", 'zone_ny') }}}}", _t("2024-03-10 07:30:00")),
    # 01:30 on 3 November 2024 showed twice (EDT, then EST): DuckDB (ICU) takes the second, EST
    Case("local_to_instant", "new_york_overlap", f"{{{{ local_to_instant(\"{_local('2024-11-03 01:30:00')}\", 'zone_ny') }}}}", _t("2024-11-03 06:30:00")),
    Case("local_to_instant", "utc", f"{{{{ local_to_instant(\"{_local('2024-01-01 08:00:00')}\", \"'UTC'\") }}}}", _t("2024-01-01 08:00:00")),
    Case("local_to_instant", "null", "{{ local_to_instant('cast(null as timestamp)', \"'Asia/Shanghai'\") }}", None),
    Case("instant_to_local", "new_york", "{{ instant_to_local(instant_literal('2024-07-01 12:00:00'), 'zone_ny') }}", _t("2024-07-01 08:00:00")),
    Case("instant_to_local", "shanghai", "{{ instant_to_local(instant_literal('2024-07-01 12:00:00'), \"'Asia/Shanghai'\") }}", _t("2024-07-01 20:00:00")),
    Case("instant_to_local", "epoch_shanghai", "{{ instant_to_local(instant_literal('1970-01-01 00:00:00'), \"'Asia/Shanghai'\") }}", _t("1970-01-01 08:00:00")),
    Case("instant_to_local", "overlap_first", "{{ instant_to_local(instant_literal('2024-11-03 05:30:00'), 'zone_ny') }}", _t("2024-11-03 01:30:00")),
    Case("instant_to_local", "overlap_second", "{{ instant_to_local(instant_literal('2024-11-03 06:30:00'), 'zone_ny') }}", _t("2024-11-03 01:30:00")),
    Case("instant_to_local", "null", "{{ instant_to_local(iso_text_to_instant('null_text'), 'zone_ny') }}", None),
    Case("parse_local_text", "padded", "{{ parse_local_text(\"'2024-01-02 03:04:05'\", '%Y-%m-%d %H:%M:%S') }}", _t("2024-01-02 03:04:05")),
    Case("parse_local_text", "unpadded", "{{ parse_local_text(\"'2024-1-2 3:04:05'\", '%Y-%m-%d %H:%M:%S') }}", _t("2024-01-02 03:04:05")),
    Case("parse_local_text", "letter_t", "{{ parse_local_text(\"'2024-01-02T03:04:05'\", '%Y-%m-%dT%H:%M:%S') }}", _t("2024-01-02 03:04:05")),
    Case("parse_local_text", "adjacent", "{{ parse_local_text(\"'20240102'\", '%Y%m%d') }}", _t("2024-01-02 00:00:00")),
    Case("parse_local_text", "chinese", "{{ parse_local_text(\"'2024年01月02日'\", '%Y年%m月%d日') }}", _t("2024-01-02 00:00:00")),
    Case("parse_local_text", "fraction", "{{ parse_local_text(\"'2024-01-02 03:04:05.123'\", '%Y-%m-%d %H:%M:%S.%f') }}", _t("2024-01-02 03:04:05.123")),
    Case("parse_local_text", "sentinel_1970", "{{ parse_local_text(\"'1970-01-01 00:00:00'\", '%Y-%m-%d %H:%M:%S') }}", _t("1970-01-01 00:00:00")),
    Case("parse_local_text", "garbage", "{{ parse_local_text(\"'x'\", '%Y-%m-%d %H:%M:%S') }}", None),
    Case("parse_local_text", "month_13", "{{ parse_local_text(\"'2024-13-01 00:00:00'\", '%Y-%m-%d %H:%M:%S') }}", None),
    Case("parse_local_text", "trailing_text", "{{ parse_local_text(\"'2024-01-02 03:04:05x'\", '%Y-%m-%d %H:%M:%S') }}", None),
    Case("parse_local_text", "null", "{{ parse_local_text('null_text', '%Y-%m-%d') }}", None),
    Case("iso_text_to_instant", "offset", "{{ iso_text_to_instant(\"'2024-01-02T03:04:05+08:00'\") }}", _t("2024-01-01 19:04:05")),
    Case("iso_text_to_instant", "negative_offset", "{{ iso_text_to_instant(\"'2024-01-02T03:04:05-05:00'\") }}", _t("2024-01-02 08:04:05")),
    Case("iso_text_to_instant", "zulu", "{{ iso_text_to_instant(\"'2024-01-02T03:04:05Z'\") }}", _t("2024-01-02 03:04:05")),
    Case("iso_text_to_instant", "micros", "{{ iso_text_to_instant(\"'2024-01-02T03:04:05.123456+00:00'\") }}", _t("2024-01-02 03:04:05.123456")),
    Case("iso_text_to_instant", "epoch", "{{ iso_text_to_instant(\"'1970-01-01T00:00:00Z'\") }}", _t("1970-01-01 00:00:00")),
    Case("iso_text_to_instant", "no_offset_is_utc", "{{ iso_text_to_instant(\"'2024-01-02 03:04:05'\") }}", _t("2024-01-02 03:04:05")),
    Case("iso_text_to_instant", "no_such_day", "{{ iso_text_to_instant(\"'2024-02-30T00:00:00Z'\") }}", None),
    Case("iso_text_to_instant", "garbage", "{{ iso_text_to_instant(\"'garbage'\") }}", None),
    Case("iso_text_to_instant", "null", "{{ iso_text_to_instant('null_text') }}", None),
    Case("instant_literal", "recent", "{{ instant_literal('2024-01-02 03:04:05') }}", _t("2024-01-02 03:04:05")),
    Case("instant_literal", "epoch", "{{ instant_literal('1970-01-01 00:00:00') }}", _t("1970-01-01 00:00:00")),
    Case("instant_iso_text", "recent", "{{ instant_iso_text(instant_literal('2024-01-02 03:04:05')) }}", "2024-01-02T03:04:05Z"),
    Case("instant_iso_text", "epoch", "{{ instant_iso_text(instant_literal('1970-01-01 00:00:00')) }}", "1970-01-01T00:00:00Z"),
    Case("instant_iso_text", "drops_fraction", "{{ instant_iso_text(iso_text_to_instant(\"'2024-01-02T03:04:05.9Z'\")) }}", "2024-01-02T03:04:05Z"),
    Case("instant_iso_text", "null", "{{ instant_iso_text(iso_text_to_instant('null_text')) }}", None),
    Case("add_hours", "later", "{{ add_hours(instant_literal('2024-01-02 03:04:05'), 'hours') }}", _t("2024-01-02 08:04:05")),
    Case("add_hours", "earlier", "{{ add_hours(instant_literal('2024-01-02 03:04:05'), '-24') }}", _t("2024-01-01 03:04:05")),
    Case("add_hours", "local", f"{{{{ add_hours(\"{_local('2024-03-10 01:30:00')}\", '1') }}}}", _t("2024-03-10 02:30:00")),
    Case("add_hours", "null_hours", "{{ add_hours(instant_literal('2024-01-02 03:04:05'), 'null_int') }}", None),
    Case("epoch_seconds_of", "epoch", "{{ epoch_seconds_of(instant_literal('1970-01-01 00:00:00')) }}", 0),
    Case("epoch_seconds_of", "recent", "{{ epoch_seconds_of(instant_literal('2023-11-14 22:13:20')) }}", 1700000000),
    Case("epoch_seconds_of", "before_epoch", "{{ epoch_seconds_of(instant_literal('1969-12-31 23:59:59')) }}", -1),
    # DuckDB rounds the seconds to the nearest whole number, halves to even
    Case("epoch_seconds_of", "fraction_up", "{{ epoch_seconds_of(iso_text_to_instant(\"'2023-11-14T22:13:20.9Z'\")) }}", 1700000001),
    Case("epoch_seconds_of", "half_to_even_down", "{{ epoch_seconds_of(iso_text_to_instant(\"'2023-11-14T22:13:20.5Z'\")) }}", 1700000000),
    Case("epoch_seconds_of", "half_to_even_up", "{{ epoch_seconds_of(iso_text_to_instant(\"'2023-11-14T22:13:21.5Z'\")) }}", 1700000002),
    Case("epoch_seconds_of", "null", "{{ epoch_seconds_of(iso_text_to_instant('null_text')) }}", None),
]

TYPES = [
    Case("text_type", "number", "cast(123 as {{ text_type() }})", "123"),
    Case("text_type", "id_19_digits", "cast(1234567890123456789 as {{ text_type() }})", "1234567890123456789"),
    Case("text_type", "chinese", "cast('订单' as {{ text_type() }})", "订单"),
    Case("instant_type", "offset", "cast('2024-01-02 03:04:05+08:00' as {{ instant_type() }})", _t("2024-01-01 19:04:05")),
    Case("instant_type", "epoch", "cast('1970-01-01 00:00:00+00:00' as {{ instant_type() }})", _t("1970-01-01 00:00:00")),
    Case("json_type", "object", """cast('{"a": [1, "订单"]}' as {{ json_type() }})""", '{"a": [1, "订单"]}'),
    Case("list_type", "ints", "cast({{ list_of(['1', '2']) }} as {{ list_type('bigint') }})", [1, 2]),
    Case("list_type", "texts", "cast({{ list_of([\"'订单'\"]) }} as {{ list_type(text_type()) }})", ["订单"]),
    Case("list_type", "null", "cast(null as {{ list_type(text_type()) }})", None),
]

NUMBERS = [
    # 23 digits: beyond bigint, exact in both engines' wide type
    Case("wide_integer_type", "beyond_bigint", "cast(cast('12345678901234567890123' as {{ wide_integer_type() }}) as {{ text_type() }})",
         "12345678901234567890123"),
    Case("whole_division", "exact", "cast({{ whole_division('cast(84 as ' ~ wide_integer_type() ~ ')', 'cast(7 as ' ~ wide_integer_type() ~ ')') }} as bigint)", 12),
    Case("whole_division", "toward_zero", "cast({{ whole_division('cast(7 as ' ~ wide_integer_type() ~ ')', 'cast(2 as ' ~ wide_integer_type() ~ ')') }} as bigint)", 3),
    Case("whole_division", "negative_toward_zero", "cast({{ whole_division('cast(-7 as ' ~ wide_integer_type() ~ ')', 'cast(2 as ' ~ wide_integer_type() ~ ')') }} as bigint)", -3),
    # cents × weight × 100 beyond bigint, divided back: 10^20 / 10^3
    Case("whole_division", "wide", "cast({{ whole_division('cast(100000000000000000000 as ' ~ wide_integer_type() ~ ')', 'cast(1000 as ' ~ wide_integer_type() ~ ')') }} as bigint)", 100000000000000000),
    Case("whole_division", "null", "cast({{ whole_division('cast(null as ' ~ wide_integer_type() ~ ')', 'cast(2 as ' ~ wide_integer_type() ~ ')') }} as bigint)", None),
]

#: one model per group: a single row, one column per case
GROUPS = {"lists": LISTS, "text": TEXT, "json": JSON, "time": TIME, "types": TYPES, "numbers": NUMBERS}
CASES = [case for cases in GROUPS.values() for case in cases]

ROWS = [
    RowsCase("unnest_values", "select k, {{ unnest_values('l') }} as v from rows_input", [{"k": 1, "v": "a"}, {"k": 1, "v": "订单"}, {"k": 4, "v": None}]),
    RowsCase(
        "unnest_with_index",
        "select k, {{ unnest_with_index('l', 'pos', 'v') }} from rows_input",
        [{"k": 1, "v": "a", "pos": 1}, {"k": 1, "v": "订单", "pos": 2}, {"k": 4, "v": None, "pos": 1}],
    ),
    RowsCase(
        "join_unnested", "select t.k, u.v from rows_input as t {{ join_unnested('t.l', 'u', 'v') }}",
        [{"k": 1, "v": "a"}, {"k": 1, "v": "订单"}, {"k": 4, "v": None}],
    ),
]
