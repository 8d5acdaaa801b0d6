"""The small expression language of a file-source mapping (docs/file-sources.md, "Constants and expressions").

A mapped field may be computed from columns instead of read from one: ``[price] + [freight_value]``,
``coalesce([退款时间], [关闭时间])``, ``[order_id] || '-' || [order_item_id]``. Only these parts exist:

* ``[header]`` a column of the file (any characters but ``]``), read as the field's type (an amount column is
  parsed in the mapping's amount unit, a time column in its format and zone);
* numbers (``1.06``) and text in single quotes (``'-'``, ``''`` for a quote);
* ``+ - * /`` on amounts and quantities, ``||`` on text, parentheses;
* ``coalesce(a, b, …)`` (the first non-empty) and ``number([col])`` (a column as a plain number, e.g. a quantity
  inside an amount: ``[price] * number([qty])``).

The text is parsed here into a tree, checked against the field's type when the mapping loads, and compiled to SQL
by the generator with every column and literal escaped, so a mapping can never inject SQL.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass

#: Field kinds on which arithmetic is allowed, and the kinds that allow text concatenation.
NUMERIC_KINDS = frozenset({"amount", "integer"})
TEXT_KINDS = frozenset({"text"})
FUNCTIONS = ("coalesce", "number")

_TOKEN = re.compile(
    r"\s*(?:(?P<col>\[[^\]]+\])|(?P<num>[0-9]+(?:\.[0-9]+)?)|(?P<str>'(?:[^']|'')*')|(?P<op>\|\||[-+*/(),])"
    r"|(?P<name>[A-Za-z_]+))"
)


class ExpressionError(ValueError):
    """An expression that cannot be used; the message says what and where."""


@dataclass(frozen=True)
class Node:
    kind: t.Literal["col", "num", "str", "op", "neg", "call"]
    value: str = ""
    args: tuple[Node, ...] = ()

    def columns(self) -> list[str]:
        """Every column the expression reads, in order of appearance, each once."""
        found: list[str] = []
        if self.kind == "col":
            found.append(self.value)
        for arg in self.args:
            found.extend(c for c in arg.columns() if c not in found)
        return found


def parse(text: str) -> Node:
    tokens = _tokenize(text)
    parser = _Parser(tokens, text)
    node = parser.expression()
    if parser.pos != len(tokens):
        raise ExpressionError(f"unexpected {tokens[parser.pos][1]!r} in {text!r}")
    return node


def check(node: Node, kind: str, text: str) -> None:
    """Raise ExpressionError when ``node`` does something a field of ``kind`` cannot hold."""
    if node.kind == "op" and node.value == "||" and kind not in TEXT_KINDS:
        raise ExpressionError(f"{text!r}: || joins text; this field holds {kind}")
    if node.kind in ("op", "neg") and node.value != "||" and kind not in NUMERIC_KINDS:
        raise ExpressionError(f"{text!r}: arithmetic needs an amount or quantity field; this field holds {kind}")
    if node.kind == "num" and kind not in NUMERIC_KINDS:
        raise ExpressionError(f"{text!r}: a number literal needs an amount or quantity field; use a constant (value:) instead")
    if node.kind == "str" and kind not in TEXT_KINDS:
        raise ExpressionError(f"{text!r}: a text literal needs a text field")
    if node.kind == "call" and node.value == "number":
        if kind not in NUMERIC_KINDS or len(node.args) != 1 or node.args[0].kind != "col":
            raise ExpressionError(f"{text!r}: number() takes one [column] inside an amount or quantity expression")
        return
    for arg in node.args:
        check(arg, kind, text)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot read {text[pos:].strip()[:20]!r} in {text!r}; columns go in [brackets]")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    if not tokens:
        raise ExpressionError("empty expression")
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens, self.text, self.pos = tokens, text, 0

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, value: str) -> bool:
        token = self._peek()
        if token and token[0] == "op" and token[1] == value:
            self.pos += 1
            return True
        return False

    def expression(self) -> Node:
        node = self._term()
        while (token := self._peek()) and token[0] == "op" and token[1] in ("+", "-", "||"):
            self.pos += 1
            node = Node("op", token[1], (node, self._term()))
        return node

    def _term(self) -> Node:
        node = self._unary()
        while (token := self._peek()) and token[0] == "op" and token[1] in ("*", "/"):
            self.pos += 1
            node = Node("op", token[1], (node, self._unary()))
        return node

    def _unary(self) -> Node:
        if self._take("-"):
            return Node("neg", "-", (self._unary(),))
        return self._atom()

    def _atom(self) -> Node:
        token = self._peek()
        if token is None:
            raise ExpressionError(f"{self.text!r} ends too early")
        kind, value = token
        self.pos += 1
        if kind == "col":
            return Node("col", value[1:-1].strip())
        if kind == "num":
            return Node("num", value)
        if kind == "str":
            return Node("str", value[1:-1].replace("''", "'"))
        if kind == "name":
            name = value.lower()
            if name not in FUNCTIONS:
                raise ExpressionError(f"unknown name {value!r} in {self.text!r}; functions: {', '.join(FUNCTIONS)}; "
                                      "columns go in [brackets]")
            if not self._take("("):
                raise ExpressionError(f"{value} needs ( after it in {self.text!r}")
            args = [self.expression()]
            while self._take(","):
                args.append(self.expression())
            if not self._take(")"):
                raise ExpressionError(f"missing ) after {value}(… in {self.text!r}")
            return Node("call", name, tuple(args))
        if value == "(":
            node = self.expression()
            if not self._take(")"):
                raise ExpressionError(f"missing ) in {self.text!r}")
            return node
        raise ExpressionError(f"unexpected {value!r} in {self.text!r}")
