"""Quality gates (Great Expectations on DuckDB) and write-audit-publish.

The gate catalogue and runner are loaded on first use: importing Great Expectations takes seconds, and what only
reads a recorded verdict (a run with nothing new, core/check_reuse.py) or publishes never needs it."""

from importlib import import_module
from typing import Any

from orderlayer.expectations.freshness import SourceFreshness, parse_sources_json
from orderlayer.expectations.inputs import GateContext
from orderlayer.expectations.publish import PublishFailed, PublishRefused, PublishResult, publish
from orderlayer.expectations.report import ExpectationOutcome, GateReport, GateResult, verdict_of

_WITH_GX = {"Gate": "gates", "catalogue": "gates", "GateRunError": "runner", "run_gates": "runner"}

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


def __getattr__(name: str) -> Any:  # noqa: ANN401
    if name not in _WITH_GX:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_WITH_GX[name]}"), name)
