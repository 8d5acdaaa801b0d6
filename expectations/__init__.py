"""Quality gates (Great Expectations on DuckDB) and write-audit-publish."""

from orderlayer.expectations.freshness import SourceFreshness, parse_sources_json
from orderlayer.expectations.gates import Gate, catalogue
from orderlayer.expectations.inputs import GateContext
from orderlayer.expectations.publish import PublishFailed, PublishRefused, PublishResult, publish
from orderlayer.expectations.report import ExpectationOutcome, GateReport, GateResult, verdict_of
from orderlayer.expectations.runner import GateRunError, run_gates

__all__ = [
    "ExpectationOutcome",
    "Gate",
    "GateContext",
    "GateReport",
    "GateResult",
    "GateRunError",
    "PublishFailed",
    "PublishRefused",
    "PublishResult",
    "SourceFreshness",
    "catalogue",
    "parse_sources_json",
    "publish",
    "run_gates",
    "verdict_of",
]
