"""What a gate run returns: the verdict, one light per gate and channel, and GX's own outcomes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from great_expectations.core import ExpectationValidationResult
from great_expectations.expectations.metadata_types import FailureSeverity

Verdict = Literal["green", "yellow", "red"]
Colour = Literal["green", "yellow", "red"]

_COLOUR_OF_SEVERITY: dict[FailureSeverity, Colour] = {
    FailureSeverity.CRITICAL: "red",
    FailureSeverity.WARNING: "yellow",
    FailureSeverity.INFO: "green",  # informational: reported, never blocks or warns
}


def colour_of(severity: str | FailureSeverity) -> Colour:
    return _COLOUR_OF_SEVERITY[FailureSeverity(severity)]


def verdict_of(results: Iterable[ExpectationValidationResult]) -> Verdict:
    """Red if any failed expectation is critical, yellow if any failed one is a warning, else green.

    GX's own `success` is "every expectation passed" whatever its severity (severity only routes
    notifications), so the verdict is computed here from each failed expectation's severity.
    """
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
    #: rows of the model in this channel that break at least one of the gate's checks.
    failing_count: int
    #: up to `GateSettings.example_keys` distinct order_keys of failing rows, smallest first.
    examples: list[str]
    #: failing rows per failed check (a row breaking two checks counts in both).
    checks: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class GateReport:
    run_id: str
    checked_at: datetime
    verdict: Verdict
    results: list[GateResult]
    expectations: list[ExpectationOutcome]

    def failing(self, colour: Colour) -> list[GateResult]:
        return [r for r in self.results if r.colour == colour]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "checked_at": self.checked_at.isoformat(),
            "verdict": self.verdict,
            "results": [asdict(r) for r in self.results],
            "expectations": [asdict(e) for e in self.expectations],
        }
