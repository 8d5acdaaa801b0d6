"""The mapping's expression language: parsed, type-checked against the field, compiled with everything escaped."""

from __future__ import annotations

import pytest

from orderlayer.core.filesource import _expr_sql
from orderlayer.taps.files.expressions import ExpressionError, Node, check, parse


def sql(text: str) -> str:
    return _expr_sql(parse(text), lambda column, raw: f"{'num' if raw else 'val'}<{column}>")


def test_precedence_functions_and_columns_in_order() -> None:
    node = parse("[price] + [freight] * number([qty]) - 1.5")
    assert node.columns() == ["price", "freight", "qty"]
    assert sql("[price] + [freight] * number([qty]) - 1.5") == "((val<price> + (val<freight> * num<qty>)) - 1.5)"
    assert sql("coalesce([退款时间], [关闭 时间])") == "coalesce(val<退款时间>, val<关闭 时间>)"
    assert sql("-([a] / [b])") == "(- (val<a> / nullif(val<b>, 0)))"


def test_text_literals_are_escaped_never_spliced() -> None:
    assert sql("[order_id] || '-' || [item]") == "((val<order_id> || '-') || val<item>)"
    # a quote inside a literal is doubled: the literal cannot end early and run SQL
    assert sql("[a] || 'x''); drop table raw.orders; --'") == "(val<a> || 'x''); drop table raw.orders; --')"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("price + 1", "unknown name 'price'"),
        ("[a] ; [b]", "cannot read ';"),
        ("[a] +", "ends too early"),
        ("coalesce([a], [b]", "missing ) after coalesce"),
        ("upper([a])", "unknown name 'upper'"),
        ("([a] + [b]", "missing )"),
        ("", "empty expression"),
    ],
)
def test_unreadable_expressions_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(text)


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("[a] || [b]", "amount", "|| joins text"),
        ("[a] + [b]", "time", "arithmetic needs an amount or quantity field"),
        ("[a] + [b]", "text", "arithmetic needs an amount or quantity field"),
        ("'x'", "amount", "a text literal needs a text field"),
        ("number([a])", "text", "number() takes one [column]"),
        ("[a] * number(2)", "amount", "number() takes one [column]"),
    ],
)
def test_an_expression_must_fit_its_field(text: str, kind: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]").replace("|", r"\|")):
        check(parse(text), kind, text)


def test_fitting_expressions_pass() -> None:
    for text, kind in [("[a] + [b] * 1.06", "amount"), ("coalesce([a], [b])", "time"), ("[a] || '-' || [b]", "text"),
                       ("[price] * number([qty])", "amount"), ("number([n]) * 2", "integer")]:
        check(parse(text), kind, text)
    assert parse("[ a ]") == Node("col", "a")
