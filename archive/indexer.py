"""The single indexing worker of a running server: writes are acknowledged once the catalog has
them, and this thread folds whatever is unindexed into one Whoosh commit per batch."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)
# Unindexed rows left by another process (a CLI import beside the server) are picked up this often.
IDLE_SECONDS = 1.0


class BackgroundIndexer(threading.Thread):
    def __init__(self, index_pending: Callable[[], int]) -> None:
        super().__init__(name="archive-indexer", daemon=True)
        self._index_pending = index_pending
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self.failures = 0

    def poke(self) -> None:
        """Something was written: index it soon."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self.is_alive():
            self.join(timeout)

    def run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(IDLE_SECONDS)
            self._wake.clear()
            try:
                self._index_pending()
            except Exception:  # noqa: BLE001 - the rows stay unindexed; the next round retries
                self.failures += 1
                log.exception("indexing failed; retrying shortly")
                self._stopping.wait(min(30.0, 2.0**self.failures))
            else:
                self.failures = 0
