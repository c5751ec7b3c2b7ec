"""The rooms of ../shared/DESIGN.md, held by reading the code: each rule is a function that lists
the breaches in a source tree. The real tree must have none; a copy of it with one deliberate
breach per rule must have exactly that one, so no rule here can pass by matching nothing."""

from __future__ import annotations

import ast
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "archive"
ROOMS = ("cli", "web", "core", "accounts", "ingest", "search", "storage")
GROUND = ("config", "models", "errors", "processes")
# Who may import whom (besides the ground floor, which everyone may import, and itself).
MAY_IMPORT = {
    "cli": {"core", "web"},  # web: `archive serve` starts the app it makes
    "web": {"core"},
    "core": {"ingest", "search", "storage", "accounts"},
    "accounts": {"storage"},
    "ingest": set(),
    "search": set(),
    "storage": set(),
    "ground": set(),
}
# What web/ and cli/ may take from core: the Archive and nothing behind it.
CORE_FACE = {"archive.core", "archive.core.archive", "archive.core.Archive",
             "archive.core.archive.Archive"}  # fmt: skip
SQL = re.compile(
    r"^\s*(SELECT \S|INSERT INTO|UPDATE \w+ SET|DELETE FROM|ALTER TABLE|PRAGMA \w"
    r"|(CREATE|DROP) (TABLE|INDEX|TRIGGER|VIEW))"
)
# Calls that write, move or remove files: pathlib's methods (on any object), and the functions
# of os, shutil and tempfile that do.
PATH_WRITES = {"write_text", "write_bytes", "mkdir", "unlink", "rmdir", "touch", "rename",
               "symlink_to", "hardlink_to"}  # fmt: skip
MODULE_WRITES = {
    "os": {"replace", "rename", "remove", "unlink", "makedirs", "mkdir", "rmdir", "link"},
    "shutil": {"move", "copy", "copy2", "copyfile", "copytree", "rmtree"},
    "tempfile": {"mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryDirectory"},
}
# Writers outside storage/, each for a folder that is its own: the Whoosh index (index/, which
# only the search room may touch; sidecars.py keeps its facet arrays in index/facets/, merging.py
# writes merges in index/merging/ and moves their segments into the index) and an export's
# destination (outside the data root).
OWN_FOLDER_WRITERS = {
    "search/index.py",
    "search/sidecars.py",
    "search/merging.py",
    "core/transfer.py",
}
PART_ATTRIBUTES = {"catalog", "store", "index", "engine", "accounts", "worker", "indexer"}


# --- reading a tree -------------------------------------------------------------------------------
def modules(root: Path) -> Iterator[tuple[str, ast.Module]]:
    """(path relative to the package, parsed module) for every .py file below root."""
    for path in sorted(root.rglob("*.py")):
        yield path.relative_to(root).as_posix(), ast.parse(path.read_text(), str(path))


def room_of(rel: str) -> str:
    top = rel.split("/", 1)[0]
    return top if top in ROOMS else "ground"


def imported(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every import, `from a.b import c` giving a.b and a.b.c."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def strings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):  # f"SELECT {cols} FROM …"
            head = node.values[0] if node.values else None
            if isinstance(head, ast.Constant) and isinstance(head.value, str):
                yield node.lineno, head.value


# --- the rules ------------------------------------------------------------------------------------
def whoosh_outside_search(root: Path) -> list[str]:
    """Only archive/search/ imports whoosh."""
    return [
        f"{rel}:{line} imports {name}"
        for rel, tree in modules(root)
        if room_of(rel) != "search"
        for line, name in imported(tree)
        if name.split(".")[0] == "whoosh"
    ]


def starlette_outside_web(root: Path) -> list[str]:
    """Only archive/web/ imports starlette."""
    return [
        f"{rel}:{line} imports {name}"
        for rel, tree in modules(root)
        if room_of(rel) != "web"
        for line, name in imported(tree)
        if name.split(".")[0] == "starlette"
    ]


def sql_outside_storage(root: Path) -> list[str]:
    """Only storage/ (and accounts/, through the catalog) runs SQL: no sqlite3, no statement."""
    found = []
    for rel, tree in modules(root):
        if room_of(rel) in ("storage", "accounts"):
            continue
        found += [
            f"{rel}:{line} imports sqlite3"
            for line, name in imported(tree)
            if name.split(".")[0] == "sqlite3"
        ]
        found += [f"{rel}:{line} holds SQL {text[:30]!r}" for line, text in strings(tree)
                  if SQL.match(text)]  # fmt: skip
    return found


def file_writes_outside_storage(root: Path) -> list[str]:
    """Only storage/ (and accounts/) writes files under the data root: no call that writes,
    moves or removes a file elsewhere, and no open() for writing."""
    found = []
    for rel, tree in modules(root):
        if room_of(rel) in ("storage", "accounts") or rel in OWN_FOLDER_WRITERS:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else None
            owner = getattr(getattr(node.func, "value", None), "id", "")
            if name in PATH_WRITES or name in MODULE_WRITES.get(owner, ()):
                found.append(f"{rel}:{node.lineno} calls {name}()")
            elif name == "open" or (isinstance(node.func, ast.Name) and node.func.id == "open"):
                modes = [a.value for a in node.args[1:2] if isinstance(a, ast.Constant)]
                modes += [k.value.value for k in node.keywords
                          if k.arg == "mode" and isinstance(k.value, ast.Constant)]  # fmt: skip
                if any(isinstance(m, str) and set(m) & set("wax+") for m in modes):
                    found.append(f"{rel}:{node.lineno} opens a file for writing")
    return found


def environ_outside_config(root: Path) -> list[str]:
    """os.environ (and getenv) is read only in config.py."""
    found = []
    for rel, tree in modules(root):
        if rel == "config.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
                found.append(f"{rel}:{node.lineno} reads os.{node.attr}")
            elif isinstance(node, ast.ImportFrom) and node.module == "os":
                found += [f"{rel}:{node.lineno} imports os.{a.name}" for a in node.names
                          if a.name in ("environ", "getenv")]  # fmt: skip
    return found


def rooms_importing_past_their_arrows(root: Path) -> list[str]:
    """A room imports only the rooms below it and the ground floor; the ground floor imports
    no room; web/ and cli/ take only the Archive from core."""
    found = []
    for rel, tree in modules(root):
        room = room_of(rel)
        if rel in ("__init__.py", "__main__.py"):
            continue  # the package's front door: `from archive import Archive`, `python -m archive`
        for line, name in imported(tree):
            parts = name.split(".")
            if parts[0] != "archive" or len(parts) < 2:
                continue
            target = parts[1] if parts[1] in ROOMS else "ground"
            if target == room or target == "ground" and room != "ground":
                continue
            if target == "ground":  # the ground floor among itself
                continue
            if target not in MAY_IMPORT[room]:
                found.append(f"{rel}:{line} ({room}) imports {name} ({target})")
            elif room in ("web", "cli") and target == "core" and name not in CORE_FACE:
                found.append(f"{rel}:{line} ({room}) reaches past Archive: {name}")
    return found


def parts_reached_from_web_or_cli(root: Path) -> list[str]:
    """web/ and cli/ use no part of the Archive (`archive.catalog`, `…._store`): only its calls."""
    found = []
    for rel, tree in modules(root):
        if room_of(rel) not in ("web", "cli"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.lstrip("_") in PART_ATTRIBUTES:
                owner = node.value
                named = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
                called = isinstance(owner, ast.Call) and getattr(owner.func, "id", "") == "_archive"
                if named == "archive" or called:
                    found.append(f"{rel}:{node.lineno} uses the Archive's part .{node.attr}")
    return found


def blocking_calls_on_the_event_loop(root: Path) -> list[str]:
    """In web/, an `async def` calls the Archive only through a thread (run_in_threadpool): a
    call `archive.x(…)` or `_archive(request).x(…)` straight in its body blocks the loop."""
    found = []
    for rel, tree in modules(root):
        if room_of(rel) != "web":
            continue
        for func in ast.walk(tree):
            if isinstance(func, ast.AsyncFunctionDef):
                found += [f"{rel}:{line} {func.name}() calls Archive.{name} on the event loop"
                          for line, name in _direct_archive_calls(func)]  # fmt: skip
    return found


def _direct_archive_calls(func: ast.AsyncFunctionDef) -> Iterator[tuple[int, str]]:
    def visit(node: ast.AST) -> Iterator[tuple[int, str]]:
        if (
            isinstance(node, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef))
            and node is not func
        ):
            return  # a function handed to a thread, or defined to be
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if (isinstance(owner, ast.Name) and owner.id == "archive") or (
                isinstance(owner, ast.Call) and getattr(owner.func, "id", "") == "_archive"
            ):
                yield node.lineno, node.func.attr
        for child in ast.iter_child_nodes(node):
            yield from visit(child)

    yield from visit(func)


def errors_outside_the_tree(root: Path) -> list[str]:
    """The one error tree: every exception a part raises is a class of errors.py (a private
    control-flow signal, `_Name`, may stay where it is used)."""
    found = []
    for rel, tree in modules(root):
        if rel == "errors.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = [getattr(b, "id", getattr(b, "attr", "")) for b in node.bases]
                if any(b.endswith(("Error", "Exception", "Failed")) for b in bases):
                    found.append(f"{rel}:{node.lineno} defines the exception {node.name}")
    return found


# The web's one way to each: the request's Archive, a rendered page.
WEB_HELPERS = {"archive_of": ("archive_of", "_archive"), "render": ("render", "_render")}


def web_helpers_defined_twice(root: Path) -> list[str]:
    """web/ has one function that finds a request's Archive and one that renders a page."""
    found = []
    for concept, names in WEB_HELPERS.items():
        places = [
            f"{rel}:{node.lineno}"
            for rel, tree in modules(root)
            if room_of(rel) == "web"
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names
        ]
        if len(places) > 1:
            found += [f"{place} defines a second {concept}" for place in places[1:]]
    return found


RULES: dict[str, Callable[[Path], list[str]]] = {
    "whoosh": whoosh_outside_search,
    "starlette": starlette_outside_web,
    "sql": sql_outside_storage,
    "files": file_writes_outside_storage,
    "environ": environ_outside_config,
    "arrows": rooms_importing_past_their_arrows,
    "parts": parts_reached_from_web_or_cli,
    "event loop": blocking_calls_on_the_event_loop,
    "errors": errors_outside_the_tree,
    "web helpers": web_helpers_defined_twice,
}
# One deliberate breach per rule: (file to append to, the lines appended).
BREACHES = {
    "whoosh": ("core/indexing.py", "import whoosh.index\n"),
    "starlette": ("core/archive.py", "from starlette.responses import Response\n"),
    "sql": ("core/integrity.py", "_LEAK = 'SELECT id FROM documents'\n"),
    "files": ("ingest/pipeline.py", "def _leak(p):\n    p.write_bytes(b'x')\n"),
    "environ": ("core/worker.py", "import os\n_LEAK = os.environ.get('X')\n"),
    "arrows": ("search/engine.py", "from archive.storage.catalog import Catalog  # noqa\n"),
    "parts": ("web/pages.py", "def _leak(archive):\n    return archive.catalog\n"),
    "event loop": ("web/pages.py", "async def _leak(archive):\n    return archive.search(1)\n"),
    "errors": ("core/worker.py", "class LeakFailed(RuntimeError):\n    pass\n"),
    "web helpers": ("web/pages.py", "def _render(request):\n    return None\n"),
}


def test_the_top_level_shows_the_rooms_and_the_ground_floor() -> None:
    names = {p.name for p in PACKAGE.iterdir() if not p.name.startswith(("_", "."))}
    names.discard("py.typed")
    assert names == {*ROOMS, *(f"{g}.py" for g in GROUND)}


@pytest.mark.parametrize("rule", RULES)
def test_the_tree_keeps_the_rule(rule: str) -> None:
    assert RULES[rule](PACKAGE) == []


@pytest.mark.parametrize("rule", RULES)
def test_a_deliberate_breach_is_caught(rule: str, tmp_path: Path) -> None:
    copy = tmp_path / "archive"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "static", "demo"))
    target, lines = BREACHES[rule]
    with (copy / target).open("a", encoding="utf-8") as f:
        f.write("\n" + lines)
    before = set(RULES[rule](PACKAGE))
    new = [f for f in RULES[rule](copy) if f not in before]
    assert new and all(f.startswith(f"{target}:") for f in new), new
    # and it is this rule's breach alone: the other rules see nothing new in the copy
    for other, check in RULES.items():
        if other != rule:
            assert set(check(copy)) <= set(check(PACKAGE)), other
