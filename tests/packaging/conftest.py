"""The wheels the packaging tests install, built once per test process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.packaging.venvs import build_wheels


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheelhouse")
    wheels = build_wheels(folder)
    assert sorted(w.name.split("-")[0] for w in wheels) == ["orderlayer", "orderlayer_taps"]
    return folder
