"""The shared demo run's settings (tests/conftest.py `shared_demo`), importable by any test module."""

import sys
from pathlib import Path

#: Every bundled sandbox at a fixed clock; a demo takes about a minute, so the suites share one run.
DEMO_AS_OF = "2026-11-01T00:00:00+00:00"
DEMO_ORDERS = 900
DEMO_SEED = 11
DEMO_SHOPS = ("7784061", "7784062")
ORDERLAYER = str(Path(sys.executable).with_name("orderlayer"))
