"""The rule tests run in a machine zone that is not UTC (rule T5: nothing may depend on the machine's zone).

CI machines run in UTC, where a rule that wrongly reads the machine's zone still gives the right answer; here
every dbt build and CLI these tests start runs with TZ=America/New_York, against hand-computed UTC values. The
rest of the suite (the demo, e2e, gates, metrics) runs in the machine's own zone, so both are covered in one pass;
the incremental equality test runs in both zones itself.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

RULE_ZONE = "America/New_York"


@pytest.fixture(scope="module", autouse=True)
def machine_zone_not_utc() -> Iterator[None]:
    """TZ for this module's fixtures, tests and every process they start; restored afterwards (autouse module
    fixtures are set up before the module's other fixtures, so its warehouse builds run in this zone too)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = RULE_ZONE
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()
