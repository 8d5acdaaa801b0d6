"""What a gate run returns: the verdict, one light per gate and channel, and GX's own outcomes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from typing import TYPE_CHECKING

from orderlayer.expectations.freshness import SourceFreshness

if TYPE_CHECKING:  # GX is imported where expectations are validated, not where a verdict is only read
    from great_expectations.core import ExpectationValidationResult
    from great_expectations.expectations.metadata_types import FailureSeverity

Verdict = Literal["green", "yellow", "red"]
Colour = Literal["green", "yellow", "red"]

#: GX's FailureSeverity values → lights (info: reported, never blocks or warns)
_COLOUR_OF_SEVERITY: dict[str, Colour] = {"critical": "red", "warning": "yellow", "info": "green"}


def colour_of(severity: str | FailureSeverity) -> Colour:
    from great_expectations.expectations.metadata_types import FailureSeverity

    return _COLOUR_OF_SEVERITY[FailureSeverity(severity).value]


_RANK: dict[str, int] = {"green": 0, "yellow": 1, "red": 2}


def worst(*colours: Colour) -> Colour:
    return max(colours, key=_RANK.__getitem__, default="green")


def verdict_of(results: Iterable[ExpectationValidationResult]) -> Verdict:
    """Red if any failed expectation is critical, yellow if any failed one is a warning, else green.

    GX's own `success` is "every expectation passed" whatever its severity (severity only routes
    notifications), so the verdict is computed here from each failed expectation's severity.
    """
    from great_expectations.expectations.metadata_types import FailureSeverity

    failed = [FailureSeverity(r.expectation_config.severity) for r in results if not r.success]
    if FailureSeverity.CRITICAL in failed:
        return "red"
    if FailureSeverity.WARNING in failed:
        return "yellow"
    return "green"


@dataclass(frozen=True)
class ExpectationOutcome:
    """One GX expectation's result, tied back to its gate and check."""

    gate_id: str
    check: str
    expectation_type: str
    severity: str
    success: bool
    #: GX's count of unexpected rows (None when GX does not report one).
    unexpected_count: int | None


@dataclass(frozen=True)
class GateResult:
    """One gate's light for one channel (channel None: rows without a channel, or an empty model)."""

    gate_id: str
    model: str
    description: str
    channel: str | None
    #: green when the gate passed in this channel, else the colour of its worst failing check.
    colour: Colour
    #: the gate's severity when green, else that of its worst failing check.
    severity: str
    #: what fails in this channel: rows of the mart breaking at least one check for row gates; for the
    #: aggregate gates the orders behind the failing figure (R4 unbalanced, R5 valid, R6/Y6 quarantined,
    #: Y3 night, Y5 unlinked, Y7 without promise), days for Y4, stale sources for Y1.
    failing_count: int
    #: up to `GateSettings.example_keys` keys of failing rows (see example_key), smallest first for row gates.
    examples: list[str]
    #: failing count per failed check, in the gate's unit (a row breaking two checks counts in both).
    checks: dict[str, int] = field(default_factory=dict)
    #: what `examples` are: order_key for gates on orders; raw_record_id (the raw pointer) where an order
    #: may never have reached fct_orders (R4, R6, Y6); business_date for Y4; the dbt source for Y1.
    example_key: str = "order_key"
    #: a short explanation of the light (the figures behind it, "no history yet", "not applicable").
    note: str = ""


@dataclass(frozen=True)
class GateReport:
    run_id: str
    checked_at: datetime
    verdict: Verdict
    results: list[GateResult]
    expectations: list[ExpectationOutcome]
    #: Y1's input: dbt source freshness per source table (empty when freshness was not checked).
    freshness: list[SourceFreshness] = field(default_factory=list)

    def failing(self, colour: Colour) -> list[GateResult]:
        return [r for r in self.results if r.colour == colour]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "checked_at": self.checked_at.isoformat(),
            "verdict": self.verdict,
            "results": [asdict(r) for r in self.results],
            "expectations": [asdict(e) for e in self.expectations],
            "freshness": [f.to_dict() for f in self.freshness],
        }
