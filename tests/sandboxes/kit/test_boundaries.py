"""Sandboxes are their own package: they never import the taps' shared code (a client's pacing, its errors,
its token store); a sandbox's server-side behaviour lives in the kit."""

from __future__ import annotations

import ast
from pathlib import Path

import orderlayer.sandboxes

ROOT = Path(orderlayer.sandboxes.__path__[0])


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_no_sandbox_imports_the_taps_common_code() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if m.startswith("orderlayer.taps.common"))
        for path in sorted(ROOT.rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_scan_sees_the_sandboxes() -> None:
    # guards the test above against scanning nothing
    assert "orderlayer.sandboxes.kit.budget" in imported_modules(ROOT / "douyin" / "server.py")
