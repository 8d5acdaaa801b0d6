"""Suite-wide setup, and the one demo run the end-to-end and metric tests share."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.demo_settings import DEMO_AS_OF, DEMO_ORDERS, DEMO_SEED, DEMO_SHOPS, ORDERLAYER

from orderlayer.cli.teardown import quiet_native_teardown

# Keep pytest's summary the last thing printed (see orderlayer.cli.teardown).
quiet_native_teardown()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Groups for pytest-xdist's `--dist loadgroup` (`make test`): a test file stays on one worker, so its
    module-scoped warehouse is built once, and every file that reads the shared demo joins one group, so the
    demo runs once; the packaging tests form one group, so the wheels are built once. Without xdist the markers do
    nothing."""
    demo_files = {item.path for item in items if "shared_demo" in getattr(item, "fixturenames", ())}
    for item in items:
        group = (
            "shared_demo" if item.path in demo_files
            else "packaging" if item.path.parent.name == "packaging"
            else str(item.path)
        )
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def shared_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of one `orderlayer demo` run (its `demo.duckdb`, logs and reports). Tests only read it;
    a test that changes data copies the database first."""
    work = tmp_path_factory.mktemp("demo")
    result = subprocess.run(
        [ORDERLAYER, "demo", "--db", "demo.duckdb", "--orders", str(DEMO_ORDERS), "--seed", str(DEMO_SEED),
         "--as-of", DEMO_AS_OF, "--shops", str(len(DEMO_SHOPS))],
        cwd=work, env=dict(os.environ), capture_output=True, text=True, timeout=900, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # what a pipe or a log gets (tests/e2e/test_output.py)
    (work / "demo.stdout").write_text(result.stdout, encoding="utf-8")
    (work / "demo.stderr").write_text(result.stderr, encoding="utf-8")
    return work
