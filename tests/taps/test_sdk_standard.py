"""singer-sdk's standard tap tests, one class per source, each against its own class-scoped sandbox.

``get_tap_test_class`` builds a class at import time from a config dict and reads the records in a class-scoped
sync; a sandbox's port and issued credentials are only known once it starts. So each class gets an autouse
class-scoped fixture (run before the sync, as autouse fixtures of a scope come first) that starts the source's
sandbox and fills those values into that same dict. What a source contributes is its kit's ``STANDARD``.
"""

from __future__ import annotations

import typing as t

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tests.taps.specs import STANDARD_SOURCES, StandardSpec, kit_of


def _standard_class(spec: StandardSpec) -> type:
    config = dict(spec.config)
    test_class = get_tap_test_class(
        tap_class=spec.tap_class,
        config=config,
        suite_config=SuiteConfig(max_records_limit=spec.max_records_limit),
        parse_env_config=False,
    )

    @pytest.fixture(scope="class", autouse=True)
    def source_sandbox() -> t.Iterator[t.Any]:  # noqa: ANN401
        sandbox, known_once_started = spec.start()
        config.update(known_once_started)
        yield sandbox
        sandbox.stop()

    test_class.source_sandbox = staticmethod(source_sandbox)
    return test_class


for _source in STANDARD_SOURCES:
    _spec = kit_of(_source).STANDARD
    globals()[f"Test{_spec.tap_class.__name__}"] = _standard_class(_spec)
