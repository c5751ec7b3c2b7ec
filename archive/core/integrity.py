"""`archive check`: compare originals, catalog and index, and repair what drifted.

The originals and the catalog are the truth. What the index lacks or holds in excess is rebuilt
from the catalog. A damaged or missing original can only come back from a copy (an export or a
backup folder holding originals by checksum): without one it is reported, never papered over.
Files are moved to uploads/quarantine/, never deleted, so a repair cannot lose anything.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from archive.storage.catalog import Catalog
from archive.storage.originals import Store, extension_for, file_sha256

MISSING = "missing-original"
CHANGED = "changed-original"
ORPHAN = "orphan-file"
EXTRA = "index-extra"
UNINDEXED = "index-missing"


@dataclass(frozen=True)
class Problem:
    kind: str
    detail: str
    doc_id: int | None = None
    sha256: str = ""
    ext: str = ""
    path: Path | None = None
    repair: str = ""  # what --repair did, or why it could not

    def __str__(self) -> str:
        return self.detail + (f" -> {self.repair}" if self.repair else "")


def find(catalog: Catalog, store: Store, indexed: set[int]) -> list[Problem]:
    """Every disagreement between originals, catalog and index (the ids it holds); empty when
    all agree."""
    problems: list[Problem] = []
    known: set[str] = set()
    published: set[int] = set()
    for doc in catalog.iter_documents():
        ext = extension_for(doc.format)
        known.add(doc.sha256)
        if doc.status == "published":
            published.add(doc.id)
        name = f"{doc.sha256}.{ext}"
        if not store.exists(doc.sha256, ext):
            detail = f"document {doc.id}: its original {name} is missing"
            problems.append(Problem(MISSING, detail, doc.id, doc.sha256, ext))
        elif not store.verify(doc.sha256, ext):
            detail = f"document {doc.id}: its original {name} no longer matches its checksum"
            problems.append(Problem(CHANGED, detail, doc.id, doc.sha256, ext))
    for sha, ext, path in store.iter_files():
        if sha not in known:
            detail = f"orphan file {path.name}: no catalog row refers to it"
            problems.append(Problem(ORPHAN, detail, None, sha, ext, path))
    for doc_id in sorted(indexed - published):
        detail = f"document {doc_id} is in the index but not published in the catalog"
        problems.append(Problem(EXTRA, detail, doc_id))
    for doc_id in sorted(published - indexed):
        detail = f"document {doc_id} is in the catalog but not in the index"
        problems.append(Problem(UNINDEXED, detail, doc_id))
    return problems


def sweep_at_start(catalog: Catalog, store: Store, quarantine: Path) -> int:
    """Move originals that no catalog row names to quarantine: uploads cut off between their
    file and their catalog commit (never acknowledged), so each is wholly absent, not half there.

    Runs only when no writer in any process holds the store's lock; returns how many moved.
    """
    moved = 0
    with store.exclusive() as alone:
        if not alone:
            return 0  # a writer is at work: the next start sweeps
        known = catalog.sha256s()
        for sha, ext in store.iter_names():
            if sha not in known:
                store.quarantine(store.path(sha, ext), quarantine)
                moved += 1
    return moved


def repair_files(
    store: Store, problems: list[Problem], root: Path, quarantine: Path, source: Path | None
) -> list[Problem]:
    """Fix what can be fixed of the originals (the caller fixes the index); each problem comes
    back with what was done about it."""
    done: list[Problem] = []
    for p in problems:
        if p.kind == EXTRA:
            done.append(replace(p, repair="removed from the index"))
        elif p.kind == UNINDEXED:
            done.append(replace(p, repair="indexed from the catalog"))
        elif p.kind == ORPHAN:
            assert p.path is not None
            moved = store.quarantine(p.path, quarantine)
            done.append(replace(p, repair=f"moved to {moved.relative_to(root)}"))
        else:
            done.append(_restore_original(store, p, root, quarantine, source))
    return done


def _restore_original(
    store: Store, p: Problem, root: Path, quarantine: Path, source: Path | None
) -> Problem:
    target = store.path(p.sha256, p.ext)
    note = ""
    if p.kind == CHANGED and target.exists():
        moved = store.quarantine(target, quarantine)
        note = f"damaged copy moved to {moved.relative_to(root)}; "
    copy = _find_copy(source, p.sha256, p.ext) if source else None
    if copy is None:
        where = "in " + str(source) if source else "(give --source DIR: an export or backup)"
        return replace(p, repair=note + f"NOT repaired: no intact copy found {where}")
    store.put(copy.read_bytes(), p.ext)
    return replace(p, repair=note + f"restored from {copy}")


def _find_copy(source: Path, sha: str, ext: str) -> Path | None:
    """A file with the right checksum under source, by the usual layouts, else by name anywhere."""
    name = f"{sha}.{ext}"
    candidates = [source / "originals" / sha[:2] / name, source / sha[:2] / name, source / name]
    for path in (*candidates, *_walk(source, name)):
        if path.is_file() and file_sha256(path) == sha:
            return path
    return None


def _walk(root: Path, name: str) -> Iterator[Path]:
    for folder, _dirs, files in os.walk(root):
        if name in files:
            yield Path(folder) / name
