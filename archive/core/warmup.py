"""What a server gets ready for its first write once its searches are ready: the index worker
process (its imports and index opening: ~2 s alone) and the language model that metadata
extraction consults for short texts (ingest/language_id.py: ~1 s alone).

Both used to be started by the first upload: at the start of the 20k load test (20 uploaders
at once while the search processes were opening) the first 20 uploads waited over 10 s and were
answered "not yet searchable". They are started once the search processes are ready, so that
the first search answer waits for no more than it did, or as soon as a write comes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from archive.core.worker import IndexWorker
from archive.ingest import language_id

# The longest the warm-up waits for the search processes before it starts anyway.
WAIT_SECONDS = 120.0
POLL_SECONDS = 0.1


def _wait(searches_ready: Callable[[], bool], written: threading.Event | None = None) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not searches_ready() and time.monotonic() < deadline:
        if written is not None and written.is_set():
            return
        time.sleep(POLL_SECONDS)


def worker_starter(
    worker: IndexWorker, searches_ready: Callable[[], bool]
) -> Callable[[threading.Event], None]:
    """For the indexing thread (BackgroundIndexer's prepare): start the worker once searches
    are ready or a write came. It must be that thread: the worker dies with the thread that
    started it (PR_SET_PDEATHSIG), and a warm-up thread of its own would end and take it along."""

    def start(written: threading.Event) -> None:
        _wait(searches_ready, written)
        worker.start()

    return start


def load_language_model(searches_ready: Callable[[], bool]) -> threading.Thread:
    """A daemon thread that loads the language model once searches are ready."""

    def run() -> None:
        _wait(searches_ready)
        language_id.preload()

    thread = threading.Thread(target=run, name="archive-warmup", daemon=True)
    thread.start()
    return thread
