"""The hand-made warehouse of the gate tests (tests/expectations/conftest.py), shared here."""

from tests.expectations.conftest import make_warehouse  # noqa: F401 - a fixture, used by name
