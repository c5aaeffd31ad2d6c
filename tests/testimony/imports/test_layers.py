"""The import package imports one way (testimony/imports/__init__.py): each
module only from the modules below it, so that none needs another's private
names and a reader can take them bottom up."""

import ast
from pathlib import Path

import testimony.imports

# Bottom first. A module may import only modules earlier in this list.
LAYERS = [
    "result",
    "cells",
    "columns",
    "memberships",
    "reader",
    "rows",
    "conflicts",
    "history",
    "cases",
    "staging",
    "setwise",
    "portable",
    "postgres",
    "service",
]
PACKAGE = Path(testimony.imports.__file__).parent


def imported_siblings(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names |= {node.module} if node.module else {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("testimony.imports"):
            names.add(node.module.removeprefix("testimony.imports").lstrip(".") or node.names[0].name)
    return names


def test_every_module_of_the_package_has_its_layer():
    modules = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set(LAYERS)


def test_modules_import_only_the_modules_below_them():
    for position, module in enumerate(LAYERS):
        above = imported_siblings(module) - set(LAYERS[:position])
        assert not above, f"{module} imports {sorted(above)}, which are not below it"


def test_no_module_is_longer_than_about_400_lines():
    for module in LAYERS:
        assert len((PACKAGE / f"{module}.py").read_text().splitlines()) <= 400, module


def test_the_old_modules_are_gone():
    testimony_dir = PACKAGE.parent
    assert not (testimony_dir / "importer.py").exists() and not (testimony_dir / "bulk.py").exists()
