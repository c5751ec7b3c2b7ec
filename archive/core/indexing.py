"""The single indexing worker of a running server: writes are acknowledged once the catalog has
them, and this thread folds whatever is unindexed into one index commit per batch."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from archive.search.bulk import BulkWriter
from archive.search.index import document_fields

if TYPE_CHECKING:
    from archive.search.index import Index
    from archive.search.merges import MergePolicy
    from archive.storage.catalog import Catalog

log = logging.getLogger(__name__)
# Unindexed rows left by another process (a CLI import beside the server) are picked up this often.
IDLE_SECONDS = 1.0


# When a round finds nothing to index, none has for IDLE_MERGE_SECONDS, and the index has more
# segments than this, the worker merges the smallest (archive.search.merges.fewest_merges).
IDLE_MAX_SEGMENTS = 10
IDLE_MERGE_SECONDS = 5.0


def drain(
    catalog: Catalog,
    index: Index,
    batch_size: int,
    progress: Callable[[int, int | None, str], None] | None = None,
    merge: MergePolicy = None,
) -> int:
    """Index every unindexed catalog row, a batch per index commit; returns how many.

    Only published documents are in the index: drafts and trashed ones are taken out.
    merge: the merge policy (archive.search.merges) of commits smaller than a batch (a full
    batch merges as the index does by default).
    """
    done = 0
    total = catalog.count_unindexed()
    while docs := catalog.unindexed(batch_size):
        shown = [d for d in docs if d.status == "published"]
        hidden = [d.id for d in docs if d.status != "published"]
        # a full batch (a bulk import) merges as Whoosh would; a server's small rounds merge little
        index.write(shown, delete_ids=hidden, merge=merge if len(docs) < batch_size else None)
        catalog.mark_indexed([d.id for d in docs])
        done += len(docs)
        if progress:
            progress(done, max(total, done), "indexing")
    return done


def refill(
    catalog: Catalog,
    index: Index,
    batch_size: int,
    procs: int = 1,
    progress: Callable[[int, int | None, str], None] | None = None,
) -> int:
    """Index every unindexed catalog row with one bulk writer (search/bulk.py: a few large
    segments, no merges), procs sub-writers; returns how many. For a fresh index (reindex)."""
    done = 0
    total = catalog.count_unindexed()
    after = 0
    bulk = BulkWriter(index, catalog.mark_indexed, procs=procs)
    try:
        while docs := catalog.unindexed(batch_size, after=after):
            after = docs[-1].id
            shown = [d for d in docs if d.status == "published"]
            hidden = [d.id for d in docs if d.status != "published"]
            bulk.add(((d.id, document_fields(d, index.variants)) for d in shown), also=hidden)
            done += len(docs)
            if progress:
                progress(done, max(total, done), "indexing")
    except BaseException:
        bulk.cancel()
        raise
    bulk.finish()
    return done


class BackgroundIndexer(threading.Thread):
    def __init__(
        self,
        index_pending: Callable[[], int],
        round_seconds: float = 0.0,
        prepare: Callable[[threading.Event], None] | None = None,
    ) -> None:
        """round_seconds: the least time from one round's start to the next one's; prepare:
        run first in this thread, given the event a write sets (archive.core.warmup)."""
        super().__init__(name="archive-indexer", daemon=True)
        self._index_pending = index_pending
        self._round_seconds = round_seconds
        self._prepare = prepare
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self.failures = 0
        # Rounds are numbered as they begin; _done is the last one that finished cleanly. Each
        # round drains every unindexed row, so round n finishing covers all written before n began.
        self._rounds = threading.Condition()
        self._begun = 0
        self._done = 0

    def poke(self) -> None:
        """Something was written: index it soon."""
        self._wake.set()

    def ticket(self) -> int:
        """The round that will cover whatever was committed before this call."""
        with self._rounds:
            return self._begun + 1

    def wait(self, ticket: int, timeout: float) -> bool:
        """Wait until round `ticket` has finished; False if it has not within timeout."""
        self.poke()
        with self._rounds:
            return self._rounds.wait_for(lambda: self._done >= ticket, timeout)

    def stop(self, timeout: float = 30.0, before_join: Callable[[], None] | None = None) -> None:
        """No more rounds; a round in progress finishes. before_join runs in between (the
        worker process must end before this thread: it dies with the thread that started it)."""
        self._stopping.set()
        self._wake.set()
        if before_join is not None:
            before_join()
        if self.is_alive():
            self.join(timeout)

    def run(self) -> None:
        if self._prepare is not None:
            try:
                self._prepare(self._wake)
            except Exception:  # noqa: BLE001 - the first round starts what is missing itself
                log.exception("could not get ready for writes; the first write will")
        began = 0.0
        while not self._stopping.is_set():
            self._wake.wait(IDLE_SECONDS)
            # a group commit: what arrives until the round's time has come shares its commit
            self._stopping.wait(max(0.0, began + self._round_seconds - time.monotonic()))
            began = time.monotonic()
            self._wake.clear()
            with self._rounds:
                self._begun += 1
                number = self._begun
            try:
                done = self._index_pending()
            except Exception:  # noqa: BLE001 - the rows stay unindexed; the next round retries
                if self._stopping.is_set():
                    return
                self.failures += 1
                log.exception("indexing failed; retrying shortly")
                self._stopping.wait(min(30.0, 2.0**self.failures))
            else:
                self.failures = 0
                if not done:  # an idle round: the next write's round need not wait its turn
                    began = 0.0
                with self._rounds:
                    self._done = number
                    self._rounds.notify_all()
