"""Sandboxes and taps never import each other (issue 11, item 1).

A sandbox that borrows the tap's code cannot catch the tap's mistakes: with the tap's own ``sign`` on
both sides a wrong pre-hash string passes every test. The imports are read with ``ast`` from the
source folders (``sandboxes/`` is ``orderlayer.sandboxes``, ``taps/`` is ``orderlayer.taps``), type-only
imports included.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def imported_modules(path: pathlib.Path) -> set[str]:
    """Every absolute module name a file imports (``from a import b`` counts as ``a`` and ``a.b``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def imports_under(folder: str, prefix: str) -> list[str]:
    """``file: module`` for each import of ``prefix`` (or below it) by a module under ``folder``."""
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for name in sorted(imported_modules(path)):
            if name == prefix or name.startswith(prefix + "."):
                found.append(f"{path.relative_to(ROOT)}: {name}")
    return found


def test_the_source_folders_are_where_the_test_looks() -> None:
    assert (ROOT / "sandboxes" / "kit" / "server.py").is_file()
    assert (ROOT / "taps" / "common" / "errors.py").is_file()


def test_the_import_reader_sees_every_form(tmp_path: pathlib.Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import orderlayer.taps.jd.protocol\n"
        "from orderlayer.taps.douyin import protocol as p\n"
        "from orderlayer import sandboxes\n"
        "from . import local\n"
        "if TYPE_CHECKING:\n    from orderlayer.taps.common.ratelimit import TokenBucket\n",
        encoding="utf-8",
    )
    assert imported_modules(sample) >= {
        "orderlayer.taps.jd.protocol",
        "orderlayer.taps.douyin.protocol",
        "orderlayer.sandboxes",
        "orderlayer.taps.common.ratelimit.TokenBucket",
    }
    assert not any("local" in name for name in imported_modules(sample))


def test_no_sandbox_imports_a_tap() -> None:
    tap_imports = [line for line in imports_under("sandboxes", "orderlayer.taps") if "orderlayer.taps.common" not in line]
    assert tap_imports == []


def test_no_sandbox_imports_the_taps_common_package() -> None:
    assert imports_under("sandboxes", "orderlayer.taps.common") == []


def test_no_tap_imports_a_sandbox() -> None:
    assert imports_under("taps", "orderlayer.sandboxes") == []
