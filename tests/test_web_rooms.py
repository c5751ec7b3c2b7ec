"""The web room's walls, read from the source: routes reach only Archive and the ground floor.

web/ and cli/accounts.py import nothing below core but the Archive class, use no part of an
Archive (its catalog, store, index, engine, accounts), and only web/ imports Starlette.
"""

from __future__ import annotations

import ast
from pathlib import Path

import archive

PACKAGE = Path(archive.__file__).parent
GROUND_FLOOR = {"archive.config", "archive.models", "archive.errors", "archive.processes"}
ARCHIVE_CLASS = ("archive.core.archive", ["Archive"])
PARTS = {"catalog", "store", "index", "engine", "accounts", "_accounts"}


def modules(*names: str) -> list[Path]:
    """The Python files of these folders and files of the package."""
    found: list[Path] = []
    for name in names:
        path = PACKAGE / name
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names imported from it) for every import in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def test_web_and_the_account_commands_import_only_archive_and_the_ground_floor() -> None:
    wrong = []
    for path in modules("web", "cli/accounts.py"):
        for module, names in imports(path):
            if module.split(".")[0] != "archive" or module.startswith("archive.web"):
                continue
            if module not in GROUND_FLOOR and (module, names) != ARCHIVE_CLASS:
                wrong.append(f"{path.relative_to(PACKAGE)}: {module} {names}")
    assert wrong == []


def test_web_and_the_account_commands_use_no_part_of_an_archive() -> None:
    wrong = []
    for path in modules("web", "cli/accounts.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and node.attr in PARTS:
                wrong.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: .{node.attr}")
    assert wrong == []


def test_only_the_web_imports_starlette() -> None:
    outside = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] != "web"
        if any(module.split(".")[0] == "starlette" for module, _ in imports(path))
    ]
    assert outside == []
