"""A merge written beside the index's rounds, then swapped in by a commit of a few milliseconds.

A server's round commits its writes without merging; a merge the rounds make due used to run
in the one writer, holding the index's lock, and every write behind it waited: at 100k under
the load test a merge of ~1,000 documents took 12-15 s with both cores busy, and the uploads
of those seconds were answered "not yet searchable". Here the merge is written by a process
the index worker starts (core/worker.py, merge_main) without the lock (`write_merged`: the
chosen segments read as they stood when it began, the new segment written into
`index/merging/`), while the worker goes on committing rounds; `swap_in` then replaces the
merged segments by the new one in one commit, after marking deleted in it the documents deleted
from them meanwhile (an edit, a trash, a replaced upload), and moves its file into the index.

Nothing acknowledged depends on it: a merge abandoned half-way (its process killed, the server
stopped) leaves files in `index/merging/` that the next merge clears, and a new segment whose
merged segments changed otherwise (a CLI import's writer merged them, a rebuild recreated the
index) is dropped, not swapped in.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
from bisect import bisect_left
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from archive.search.index import Index
from archive.search.merges import (
    MergePolicy,
    fewest_choice,
    no_merges,
    tiered_choice,
    tiered_merges,
)

FOLDER = "merging"
RESULT = "result.pickle"
# Segments beyond which a round merges in the writer again (round_merges): merges beside the
# rounds that fall behind (a machine too busy to give them the CPU) let small segments pile
# up, and every search reads each of them; merging in the round holds the writes back instead.
MAX_SEGMENTS_BESIDE = 40


class _Beside:
    """What a Whoosh SegmentWriter reads of its index: here the index's schema and segments,
    with a storage of its own, so that the new segment's files are out of the index's way
    (its commits delete every segment file that its table of contents does not name)."""

    def __init__(self, storage: FileStorage, indexname: str, toc: Any) -> None:
        self.storage = storage
        self.indexname = indexname
        self._toc = toc

    def _read_toc(self) -> Any:
        return self._toc


def round_merges(segments: int, limit: int) -> MergePolicy:
    """What a server's round merges as it commits: nothing while the merges beside it keep
    the segments few, else tiered_merges(limit) in the round (a merge beside that overlaps it
    is then dropped when it ends, see swap_in)."""
    return tiered_merges(limit) if segments > MAX_SEGMENTS_BESIDE else no_merges


def folder(index: Index, name: str = "") -> Path:
    """Where merges are written (name: one merge's own folder in it)."""
    return index.path / FOLDER / name if name else index.path / FOLDER


def choose(index: Index, limit: int, busy: set[str] = frozenset()) -> list[str]:
    """The ids of the segments tiered_merges(limit) would merge now, leaving out `busy` ones
    (being merged already): [] when no merge is due."""
    toc = index.whoosh_index._read_toc()  # noqa: SLF001 - the segments as they stand
    free = [s for s in toc.segments if s.segment_id() not in busy]
    return [s.segment_id() for s in tiered_choice(limit, free, lambda s: s.doc_count_all())]


def choose_idle(index: Index, keep: int) -> list[str]:
    """The ids of the segments fewest_merges(keep) would merge now (an idle worker's merge,
    written beside the rounds like the others): [] when the index has `keep` or fewer."""
    toc = index.whoosh_index._read_toc()  # noqa: SLF001 - the segments as they stand
    return [s.segment_id() for s in fewest_choice(keep, toc.segments, lambda s: s.doc_count_all())]


def write_merged(index: Index, chosen: list[str], target: Path, memory_mb: int) -> bool:
    """Write the merge of the chosen segments (their ids) into the folder target (for a merge
    process: it takes no lock and changes nothing the index's readers or writers see); False
    when one of them is gone (another writer merged it)."""
    ix = index.whoosh_index
    toc = ix._read_toc()  # noqa: SLF001 - the segments as they stand, without a lock
    by_id = {s.segment_id(): s for s in toc.segments}
    if not chosen or any(key not in by_id for key in chosen):
        return False
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    storage = FileStorage(str(target))
    writer = SegmentWriter(_Beside(storage, ix.indexname, toc), _lk=False, limitmb=memory_mb)
    merged = []
    for segment in (by_id[key] for key in chosen):
        reader = SegmentReader(ix.storage, toc.schema, segment)
        try:
            writer.add_reader(reader)
        finally:
            reader.close()
        merged.append(
            (segment.segment_id(), segment.doc_count_all(), sorted(segment.deleted_docs()))
        )
    new = writer._finalize_segment()  # noqa: SLF001 - written, not committed: swap_in commits it
    writer._finish()  # noqa: SLF001
    partial = target / (RESULT + ".tmp")
    with open(partial, "wb") as f:
        pickle.dump({"segment": new, "merged": merged}, f)
    os.replace(partial, target / RESULT)  # whole or absent
    return True


def clear(index: Index) -> None:
    """Remove what merges left (a worker's start: no merge of an earlier one still runs)."""
    shutil.rmtree(folder(index), ignore_errors=True)


def discard(target: Path) -> None:
    """Remove what a merge that failed left in its folder."""
    shutil.rmtree(target, ignore_errors=True)


def swap_in(index: Index, target: Path) -> bool | None:
    """Commit the merge `write_merged` left in target, if any: True when swapped in, False
    when dropped (the merged segments changed otherwise), None when there was none."""
    try:
        with open(target / RESULT, "rb") as f:
            result = pickle.load(f)  # noqa: S301 - our own child's, in our own index folder
    except (OSError, EOFError, pickle.UnpicklingError):
        return None
    new, merged = result["segment"], result["merged"]
    names = [
        name for name in os.listdir(target) if name.startswith(f"{index.whoosh_index.indexname}_")
    ]
    swapped = False

    def policy(writer: Any, segments: list[Any]) -> list[Any]:
        nonlocal swapped
        current = {s.segment_id(): s for s in segments}
        if any(
            key not in current or current[key].doc_count_all() != size for key, size, _ in merged
        ):
            return segments  # changed by another writer: dropped
        base = 0
        for key, size, deleted_then in merged:
            # the merge copied the live documents in order: document d of the segment is
            # document base + d - (documents before d deleted when it began) of the new one
            for doc in set(current[key].deleted_docs()) - set(deleted_then):
                new.delete_document(base + doc - bisect_left(deleted_then, doc))
            base += size - len(deleted_then)
        for name in names:  # into the index before the table of contents names them
            os.replace(target / name, index.path / name)
        swapped = True
        keys = {key for key, _, _ in merged}
        return [s for s in segments if s.segment_id() not in keys] + [new]

    try:
        index.write([], merge=policy)
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(target)
    return swapped
