"""Which package may import which: the arrows below, read from every module's `import` statements.

The CLI sits on top and only parses arguments and renders; `core` holds the stages; the gates and the loader
need only the warehouse (its engine, and the gates their settings); taps stand alone. Nothing imports the CLI.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: package → what its modules may import from orderlayer (itself included). A prefix allows its submodules.
ALLOWED: dict[str, tuple[str, ...]] = {
    "cli": ("cli", "core", "expectations", "loader", "taps"),
    "core": ("core", "expectations", "loader", "taps", "sandboxes"),  # the demo starts the sandboxes
    # the warehouse is DuckDB or Spark (issue 16): which one, and how to reach Spark, sit beside it
    "expectations": ("expectations", "core.config", "core.warehouse", "core.engines", "core.spark_client"),
    "loader": ("loader", "core.warehouse", "core.config", "core.engines", "core.processes"),
    "taps": ("taps",),
    # Each sandbox checks signatures with its own code, so tap and sandbox test each other (issue 11 item 1).
    "sandboxes": ("sandboxes",),
}


def imported_names(source: str, module: str) -> set[str]:
    """Every `orderlayer.*` name `module`'s source imports, as `orderlayer.<pkg>.<module>[.<name>]`.

    `from a import b` yields `a.b`, so importing a submodule by name is judged like importing it."""
    found: set[str] = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing module's package
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parent + ([base] if base else []))
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("orderlayer.")}


def allowed(package: str, name: str) -> bool:
    target = name.removeprefix("orderlayer.")
    return any(target == ok or target.startswith(ok + ".") for ok in ALLOWED[package])


def modules() -> list[tuple[str, str, Path]]:
    """(top-level package, dotted module name, path) of every module of every installed package."""
    found = []
    for package in ALLOWED:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found.append((package, ".".join(("orderlayer", *parts)), path))
    return found


def installed_roots() -> set[str]:
    """packaging/layout.py's CORE_ROOTS and TAP_ROOTS: the top-level folders installed as `orderlayer.<folder>`
    by the two distributions."""
    roots: set[str] = set()
    for node in ast.parse((ROOT / "packaging" / "layout.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in ("CORE_ROOTS", "TAP_ROOTS") for t in node.targets):
            roots |= set(ast.literal_eval(node.value))
    assert roots, "packaging/layout.py no longer names CORE_ROOTS and TAP_ROOTS"
    return roots


def test_the_taps_distribution_needs_nothing_of_the_rest() -> None:
    """orderlayer-taps installs without orderlayer (docs/install.md): its packages import only each other."""
    taps_distribution = {"taps", "sandboxes"}
    for package in taps_distribution:
        assert {ok.split(".")[0] for ok in ALLOWED[package]} <= taps_distribution


def test_every_installed_package_has_its_arrows() -> None:
    assert installed_roots() == set(ALLOWED), "an installed package without a rule (or a rule without a package)"


def test_modules_import_only_what_their_package_may() -> None:
    checked = modules()
    assert len(checked) > 100  # every package was read, not an empty walk
    wrong = [
        f"{module} imports {name}"
        for package, module, path in checked
        for name in sorted(imported_names(path.read_text(encoding="utf-8"), module))
        if not allowed(package, name)
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("package", "source", "module", "ok"),
    [
        ("taps", "from orderlayer.cli.main import app", "orderlayer.taps.jd.tap", False),
        ("core", "import orderlayer.cli.output", "orderlayer.core.sync", False),
        ("expectations", "from orderlayer.core import ops", "orderlayer.expectations.runner", False),
        ("expectations", "from orderlayer.core.warehouse import AUDIT", "orderlayer.expectations.runner", True),
        ("loader", "from orderlayer.core.sync import sync_all", "orderlayer.loader.raw_store", False),
        ("taps", "from ..common.errors import FatalError", "orderlayer.taps.jd.client", True),
        ("taps", "from ...core import warehouse", "orderlayer.taps.jd.client", False),
        ("core", "def f():\n    from orderlayer.cli import main", "orderlayer.core.demo", False),
    ],
)
def test_the_check_reads_absolute_relative_and_local_imports(package: str, source: str, module: str, ok: bool) -> None:
    names = imported_names(source, module)
    assert names and all(allowed(package, n) for n in names) is ok
