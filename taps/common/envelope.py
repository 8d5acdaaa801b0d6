"""What to do about a platform's answer, declared per platform as data.

Each client reads an answer (an envelope, an ``error_response``, an errno, an HTTP status) into an object with a
``code`` and a ``describe(method)``; what follows from it — go on, retry (with the server's hint), renew the token
and retry at once, or fail with a hint naming the config key to fix — is the platform's :class:`ErrorTable`: rows
of :class:`ErrorRule`, the first that matches decides. :meth:`ResilientStream.act_on
<orderlayer.taps.common.stream.ResilientStream.act_on>` raises what the verdict calls for, the same way for every
tap. What stays per platform is how an answer is read, where a token travels and how it is renewed.
"""

from __future__ import annotations

import enum
import typing as t
from dataclasses import dataclass, field

if t.TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["Action", "Answer", "CodeAnswer", "ErrorRule", "ErrorTable", "Verdict", "answer_error_fields", "fatal", "rule"]

#: A platform's code: a number, a string ("0", "isv.…") or None when the answer had none readable.
Code = int | str | None


class Action(enum.Enum):
    OK = "ok"
    RETRY = "retry"
    REFRESH_TOKEN = "refresh_token"
    FATAL = "fatal"


class Answer(t.Protocol):
    """A platform's answer as its client reads it; ``sub_code`` and ``request_id`` are optional attributes."""

    @property
    def code(self) -> Code: ...

    def describe(self, method: str) -> str: ...


def answer_error_fields(answer: Answer) -> dict[str, t.Any]:
    """The fields a :class:`~orderlayer.taps.common.errors.SourceAPIError` carries from ``answer``."""
    return {
        "code": answer.code,
        "sub_code": getattr(answer, "sub_code", None) or None,
        "request_id": getattr(answer, "request_id", None) or None,
    }


@dataclass(frozen=True)
class CodeAnswer:
    """An answer that is a code and its text (Ele.me's errno, Meituan's error code, an HTTP status)."""

    code: Code
    text: str = ""
    #: How :meth:`describe` names the code, e.g. "errno".
    label: str = "code"

    def describe(self, method: str) -> str:
        return f"{method} answered {self.label} {self.code} ({self.text})"


@dataclass(frozen=True)
class ErrorRule:
    """One row of a platform's error table: which answers it covers, and what follows.

    An empty ``codes`` covers every code; ``sub_codes`` / ``sub_code_prefix`` narrow by sub-code, ``says`` by a
    fragment of the answer's text (lower case), ``when`` by a fact the caller passes (e.g. the method is an
    optional list). ``hint`` is what a fatal answer tells the operator to fix, naming the config key; it may name
    the caller's facts as ``{method}``-style fields (so a literal brace is written twice).
    """

    action: Action
    codes: frozenset[Code] = frozenset()
    sub_codes: frozenset[str] = frozenset()
    sub_code_prefix: str = ""
    says: tuple[str, ...] = ()
    when: str = ""
    hint: str = ""

    def matches(self, code: Code, sub_code: str, text: str, facts: t.Mapping[str, t.Any]) -> bool:
        return (
            (not self.codes or code in self.codes)
            and (not self.sub_codes or sub_code in self.sub_codes)
            and sub_code.startswith(self.sub_code_prefix)
            and (not self.says or any(fragment in text for fragment in self.says))
            and (not self.when or bool(facts.get(self.when)))
        )


def rule(action: Action, *codes: Code, **narrowing: t.Any) -> ErrorRule:  # noqa: ANN401
    """``rule(Action.FATAL, 12, 13, hint="…")``: a row for these codes."""
    if "sub_codes" in narrowing:
        narrowing["sub_codes"] = frozenset(narrowing["sub_codes"])
    if isinstance(narrowing.get("says"), str):
        narrowing["says"] = (narrowing["says"],)
    return ErrorRule(action, frozenset(codes), **narrowing)


def fatal(*codes: Code, hint: str, **narrowing: t.Any) -> ErrorRule:  # noqa: ANN401
    """A fatal row: these codes, and the fix to name."""
    return rule(Action.FATAL, *codes, hint=hint, **narrowing)


@dataclass(frozen=True)
class Verdict:
    action: Action
    hint: str = ""


@dataclass(frozen=True)
class ErrorTable:
    """A platform's answers in order: ``ok_codes`` go on, then the first matching rule decides, else ``fallback``."""

    rules: tuple[ErrorRule, ...]
    fallback_hint: str
    ok_codes: frozenset[Code] = field(default_factory=frozenset)

    def judge(self, code: Code, *, sub_code: str = "", text: str = "", **facts: t.Any) -> Verdict:  # noqa: ANN401
        """What to do about ``code`` (``text`` is matched in lower case; ``facts`` fill the hint's fields)."""
        if code in self.ok_codes:
            return Verdict(Action.OK)
        lowered = text.lower()
        for row in self.rules:
            if row.matches(code, sub_code, lowered, facts):
                return Verdict(row.action, (row.hint or self.fallback_hint).format(**facts))
        return Verdict(Action.FATAL, self.fallback_hint.format(**facts))

    def classify(self, code: Code, **kwargs: t.Any) -> Action:  # noqa: ANN401
        return self.judge(code, **kwargs).action

    def hint(self, code: Code, **kwargs: t.Any) -> str:  # noqa: ANN401
        return self.judge(code, **kwargs).hint

    def first(self, action: Action, codes: Iterable[Code]) -> ErrorTable:
        """This table with ``codes`` given ``action`` before any other rule (a configured list such as
        ``retriable_error_codes``); an empty list leaves the table as it is."""
        listed = tuple(codes)
        return self.ahead(rule(action, *listed)) if listed else self

    def ahead(self, *rows: ErrorRule) -> ErrorTable:
        """This table with ``rows`` looked at first."""
        return ErrorTable((*rows, *self.rules), self.fallback_hint, self.ok_codes)
