"""pyproject declares exactly what the app imports: nothing missing, nothing unused."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OWN = {"cli", "csdesk", "ui", "db", "resources"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_top_levels() -> set[str]:
    found = set()
    for package in ("cli", "csdesk", "ui", "db"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names and name not in OWN}


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {_norm(re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0]) for spec in project["dependencies"]}


def test_every_imported_package_is_declared_and_every_declared_one_imported():
    providers = packages_distributions()
    used = {_norm(dist) for name in imported_top_levels() for dist in providers.get(name, [name])}
    # PySide6 is imported through the Essentials wheel (the PySide6 metapackage is not installed).
    used = {"pyside6-essentials" if dist in ("pyside6", "shiboken6") else dist for dist in used}
    assert used - declared() == set(), "imported but not declared"
    assert declared() - used == set(), "declared but never imported"
