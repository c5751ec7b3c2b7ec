"""A bulk load's index writer: one Whoosh writer held across many catalog batches (a large
import, a reindex), committed as segments that grow with the index, so that the load merges
nothing.

Why: a commit per catalog batch (500 documents) made a segment of 500, and Whoosh's MERGE_SMALL
then rewrote them into ever larger ones: 1.55 documents rewritten for each one added over a
100k import, at ~9 ms of CPU a merged document against ~8 ms to add one, in runs of up to
41,500 documents (minutes without progress, near the end). Here a commit comes once the writer
holds SEGMENT_GROWTH times what the index already has (at least Settings.index_segment_docs):
100k documents make about eight segments and no merge.

What the writer holds is acknowledged already (the catalog has it): `committed(ids)` follows each
commit so the caller marks exactly those ids indexed; a crash loses index work only, and the
catalog's unindexed rows are indexed at the next start. The writer holds the index's lock from
start to finish: another writer (a server's index worker beside a CLI import) waits meanwhile.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from whoosh.multiproc import MpWriter, SubWriterTask

from archive.errors import IndexWriteFailed
from archive.processes import die_with_parent
from archive.search.index import Index, add_fields
from archive.search.merges import small_merges

SEGMENT_GROWTH = 0.5


class _SubWriter(SubWriterTask):
    """Whoosh's sub-writer process (forked), dying with the writer that started it."""

    def run(self) -> None:
        die_with_parent(self._parent)
        super().run()


class _ParallelWriter(MpWriter):
    """Whoosh's multi-process writer: documents go to `procs` forked sub-writers in job files
    of 100, each sub-writer makes a segment of its own at the commit (multisegment: nothing is
    merged), while this process builds the documents' fields and writes the job files."""

    def _new_task(self) -> SubWriterTask:
        task = _SubWriter(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
            self.multisegment,
        )  # fmt: skip
        task._parent = os.getpid()  # noqa: SLF001 - read in the child
        self.tasks.append(task)
        task.start()
        return task


class BulkWriter:
    """Add (id, document_fields) pairs as they come; `finish` commits the rest. procs > 1:
    Whoosh's multi-process writer, each of its sub-writers making a segment per commit."""

    def __init__(
        self,
        index: Index,
        committed: Callable[[list[int]], None],
        *,
        procs: int = 1,
        growth: float = SEGMENT_GROWTH,
    ) -> None:
        self._index = index
        self._committed = committed
        self._procs = procs
        self._min_docs = index.settings.index_segment_docs
        self._growth = growth
        self._writer: Any = None
        self._newest = 0
        self._held: list[int] = []  # ids in the open writer, not yet committed
        self._in_index = 0
        self._new = 0
        self.commits = 0

    def add(self, docs: Iterable[tuple[int, dict[str, object]]], also: Iterable[int] = ()) -> None:
        """Add documents; `also`: ids that need nothing in the index (drafts, trashed) but are
        to be marked with the next commit's."""
        if self._writer is None:
            make = None
            if self._procs > 1:
                procs = self._procs

                def make(ix: Any, **options: object) -> MpWriter:
                    return _ParallelWriter(ix, procs=procs, multisegment=True, **options)

            self._writer, self._newest = self._index.open_writer(make)
            self._in_index = self._index.doc_count_all()
        ids: list[int] = []
        add_fields(self._writer, self._newest, ((i, f) for i, f in docs if not ids.append(i)))
        self._new += sum(1 for i in ids if i > self._newest)  # not replacing a document
        self._held.extend(ids)
        self._held.extend(also)
        if len(self._held) >= max(self._min_docs, self._growth * self._in_index):
            self._commit()

    def _commit(self) -> None:
        writer, self._writer = self._writer, None
        # a load into an index of many small segments (a server's rounds) folds the smallest
        # together, a bounded amount; its own segments are too large to be chosen
        expected = self._index.doc_count() + self._new
        writer.commit(mergetype=small_merges(self._min_docs))
        self.commits += 1
        self._new = 0
        # Whoosh's multi-process commit drops a sub-writer's segment whose result does not
        # arrive within a second of its end: never mark indexed what the index does not hold
        if self._index.doc_count() < expected:
            self._held = []
            raise IndexWriteFailed(
                f"the index holds {self._index.doc_count():,} documents after a commit, not"
                f" {expected:,}; the documents stay unindexed and are indexed at the next start"
            )
        held, self._held = self._held, []
        self._committed(held)

    def finish(self) -> None:
        """Commit what the writer holds."""
        if self._writer is not None:
            self._commit()
        elif self._held:
            held, self._held = self._held, []
            self._committed(held)

    def cancel(self) -> None:
        """Drop what the writer holds (its documents stay unindexed in the catalog)."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.cancel()
        self._held = []
        self._new = 0
