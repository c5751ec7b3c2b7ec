"""What a server gets ready for its first write once its searches are ready: the index worker
process (its imports and index opening: ~2 s alone).

It used to be started by the first round: at the start of the 20k load test (20 uploaders at
once while the search processes were opening) the first 20 uploads waited over 10 s and were
answered "not yet searchable" (with py3langid's model, which each of them loaded at once: now
once, under a lock, ingest/language_id.py; not at start, where it would hold 73 MB in every
server whose uploads never need it). The worker is started once the search processes are
ready (at once when the server searches itself, or rebuilds), so that the first search answer
waits for no more than it did, or as soon as a write comes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from archive.core.worker import IndexWorker

log = logging.getLogger(__name__)

# The longest the warm-up waits for the search processes before it starts anyway.
WAIT_SECONDS = 120.0
POLL_SECONDS = 0.1


def worker_starter(
    worker: IndexWorker,
    searches_ready: Callable[[], bool],
    warm: Callable[[], None] | None = None,
) -> Callable[[threading.Event], None]:
    """For the indexing thread (BackgroundIndexer's prepare): start the worker once searches
    are ready or a write came. It must be that thread: the worker dies with the thread that
    started it (PR_SET_PDEATHSIG), and a warm-up thread of its own would end and take it along.

    warm: open this process's searcher first (a server that searches itself), so that its first
    reader finds it open, or opening since the server began, rather than starting it."""

    def start(written: threading.Event) -> None:
        if warm is not None:
            try:
                warm()
            except Exception:  # noqa: BLE001 - the first search opens it, and says what failed
                log.exception("could not open the index's searcher at start")
        deadline = time.monotonic() + WAIT_SECONDS
        while not searches_ready() and not written.is_set() and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        worker.start()

    return start
