"""Each segment's facet arrays (archive.search.facets.SegmentValues) kept on disk beside the index.

Reading a segment's facet values out of Whoosh walks every value's posting list: seconds for a
large segment (the names facet holds hundreds of thousands of values at 100,000 documents), and
every server start and every search process paid it again before its first answer. A segment
never changes once written (only its deletions, which are read from Whoosh each time), so its
arrays are saved once, under the segment's id, in `index/facets/`, and a start loads them in
milliseconds.

They are a cache of the index, as the index is of the catalog: written after a commit by the
writer (the CLI or the index worker: archive.search.index), or by a searcher that found one
missing; written to a temporary name and renamed, so a reader sees a whole file or none; checked
on load (format, segment size) and computed again when anything is off; pruned when a merge
retires their segment. `archive reindex` clears them with the index.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

FOLDER = "facets"
# 2: each document's catalog id (ids); 3: a facet's pairs ordered by document (starts)
FORMAT = 3
READABLE = (2, 3)  # an older file is read (archive.search.facets converts it) and rewritten
_SEPARATOR = "\x00"


def shared(values: list[str]) -> list[str]:
    """The values as the interpreter's one copy of each text (sys.intern). A value is written
    again by every segment that holds it (a name or an author in each of 25 segments), and each
    search process kept every copy: at 100k, 1.02 million strings (names and their identities)
    of which 184,000 differ, ~70 MB a process (tracemalloc)."""
    return [sys.intern(v) for v in values]


def folder(index_dir: Path) -> Path:
    return index_dir / FOLDER


def load(index_dir: Path, segment_id: str, size: int) -> dict[str, np.ndarray | list[str]] | None:
    """The saved arrays of a segment of `size` documents, or None (absent, stale, damaged)."""
    path = folder(index_dir) / f"{segment_id}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            if int(data["format"]) not in READABLE or int(data["size"]) != size:
                return None
            found: dict[str, np.ndarray | list[str]] = {}
            for key in data.files:
                if key.endswith(".values"):
                    text = data[key].tobytes().decode("utf-8")
                    found[key] = text.split(_SEPARATOR) if text else []
                    # a keyed facet's value identities are read once, as a segment's values
                    # are numbered, then let go (archive.search.facets): interned, they took
                    # a sixth of a 100k server's start
                    if not key.endswith(".identity.values"):
                        found[key] = shared(found[key])
                else:
                    found[key] = data[key]
            return found
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, UnicodeDecodeError):
        return None


def save(
    index_dir: Path, segment_id: str, size: int, arrays: dict[str, np.ndarray | list[str]]
) -> bool:
    """Save a segment's arrays (lists of str are value lists); False when they cannot be."""
    out: dict[str, np.ndarray] = {"format": np.array(FORMAT), "size": np.array(size)}
    for key, value in arrays.items():
        if isinstance(value, list):
            if any(_SEPARATOR in v for v in value):
                return False  # a value the joined form cannot hold: computed at each start
            out[key] = np.frombuffer(_SEPARATOR.join(value).encode("utf-8"), dtype=np.uint8)
        else:
            out[key] = value
    target = folder(index_dir)
    try:
        target.mkdir(exist_ok=True)
        temporary = target / f".{segment_id}.{os.getpid()}.tmp"
        with open(temporary, "wb") as f:
            np.savez(f, **out)
        os.replace(temporary, target / f"{segment_id}.npz")
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
        return False
    return True


def prune(index_dir: Path, keep: set[str]) -> None:
    """Remove the files of segments no longer in the index (and stray temporary files)."""
    target = folder(index_dir)
    if not target.is_dir():
        return
    now = time.time()
    for path in target.iterdir():
        stale = path.suffix == ".npz" and path.stem not in keep
        with contextlib.suppress(OSError):
            # a temporary file an hour old is a crashed writer's
            if stale or (path.suffix == ".tmp" and now - path.stat().st_mtime > 3600):
                path.unlink()
