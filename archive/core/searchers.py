"""A server's search processes: its searches answered on every core, beside the one index writer.

Why processes: a search is pure Python (Whoosh's matchers and collectors, facet counting,
snippets), so in one server process every search, upload and request shares one GIL and one
core, and under load searches queue behind each other while the second core idles. Here each of
Settings.search_processes processes has its own SearchEngine over the same index directory, read
only, and its own read-only catalog connection for snippets (archive.core.finder.Finder, the
same code a process without them runs). The server keeps HTTP, writes, and the index worker
(archive.core.worker); a search waits for a free process, which answers it whole (a Page, a
FacetPage...), pickled over a pipe.

Freshness: the server numbers its index commits (`SearchPool.changed`, called after each index
round that wrote something, before the writes of that round are acknowledged). Every request
carries the number current when it was sent; a process that sees a number newer than the last
one it saw opens the next generation of the index before answering. So a search begun after a
write was acknowledged sees it, whichever process answers. (Commits by another process, such as a
CLI import beside the server, are seen within the engine's own refresh interval, as before.)

Failure: a process that dies, or answers nothing within Settings.search_wait_seconds, is
replaced; the search it had is refused with SearchUnavailable (503, try again), never left
hanging. A process found dead while idle is replaced and the search goes to another. Every
process is started from one long-lived thread, the pool's keeper, because a process dies with
the thread that started it (PR_SET_PDEATHSIG). The process itself: archive.core.search_process.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Collection
from typing import Any

from archive.config import Settings
from archive.core.search_process import START_SECONDS, SearchProcess
from archive.errors import SearchUnavailable
from archive.models import (
    DocumentView,
    FacetPage,
    FacetRequest,
    Page,
    SearchQuery,
    SimilarDocument,
    Suggestion,
)

log = logging.getLogger(__name__)
RESTART_PAUSE_SECONDS = 1.0


class SearchPool:
    """The server's search processes, with Finder's methods: each call is answered by a free
    process (waiting for one at most Settings.search_wait_seconds)."""

    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self._processes = [SearchProcess(settings) for _ in range(count)]
        self._idle: queue.Queue[SearchProcess] = queue.Queue()
        self._starting: queue.Queue[SearchProcess | None] = queue.Queue()
        self._number = 0
        self._number_lock = threading.Lock()
        self._closed = False
        for process in self._processes:
            self._starting.put(process)
        self._keeper = threading.Thread(target=self._keep, name="archive-searchers", daemon=True)
        self._keeper.start()

    @property
    def pids(self) -> list[int]:
        """The ids of the search processes started and running now (for tests and reports)."""
        return [pid for p in self._processes if p.ready and (pid := p.pid) is not None]

    def changed(self) -> None:
        """The index has a new commit: every search sent from now on sees it."""
        with self._number_lock:
            self._number += 1

    def close(self) -> None:
        self._closed = True
        for process in self._processes:
            process.end()
        self._starting.put(None)
        self._keeper.join(START_SECONDS)

    def _keep(self) -> None:
        """Start the processes waiting to be (re)started, one after another, each once the last
        is ready; the only thread that spawns them, alive as long as the pool.

        One at a time because the first answer waits for the first process only: started
        together, two processes opening a 100k index shared the two cores with the server and
        the index worker, and the first answered after both had opened."""
        while True:
            batch = [self._starting.get()]
            with contextlib.suppress(queue.Empty):
                while True:
                    batch.append(self._starting.get_nowait())
            if None in batch or self._closed:
                return
            for process in batch:
                if self._closed:
                    return
                process.reset()
                try:
                    process.spawn()
                except OSError:
                    log.exception("could not start a search process; trying again")
                    self._retry(process)
                    continue
                if process.wait_ready():
                    self._idle.put(process)
                elif self._closed:
                    return
                else:
                    self._retry(process)

    def _retry(self, process: SearchProcess) -> None:
        process.end(kill=True)
        time.sleep(RESTART_PAUSE_SECONDS)
        self._replace(process)

    def _replace(self, process: SearchProcess) -> None:
        if self._closed:
            process.end(kill=True)
        else:
            self._starting.put(process)

    def _ask(self, operation: str, *args: Any) -> Any:
        wait = self.settings.search_wait_seconds
        deadline = time.monotonic() + wait
        while True:
            try:
                process = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise SearchUnavailable(
                    f"No search process was free within {wait:g} s; try again in a moment."
                ) from None
            if process.alive:
                break
            self._replace(process)  # it died while idle: another one takes this search
        with self._number_lock:
            number = self._number
        try:
            kind, payload = process.ask(number, operation, args, wait)
        except BaseException:  # interrupted here: the process's answer is not awaited
            self._replace(process)
            raise
        if kind == "gone":
            log.warning("a search process stopped answering (%s); starting another", payload)
            self._replace(process)
            raise SearchUnavailable(
                f"The search process answering this search stopped ({payload}); try again."
            )
        self._idle.put(process)
        if kind == "error":
            raise payload
        if kind == "failed":
            raise RuntimeError(f"a search process failed:\n{payload}")
        return payload

    # --- Finder's methods ---------------------------------------------------------------------
    def search(self, query: SearchQuery, expand: FacetRequest | None = None) -> Page:
        return self._ask("search", query, expand)

    def facet_values(
        self, query: SearchQuery, facet: str, match: str = "", page: int = 1, per_page: int = 30
    ) -> FacetPage:
        return self._ask("facet_values", query, facet, match, page, per_page)

    def suggest(self, text: str, limit: int = 8) -> list[Suggestion]:
        return self._ask("suggest", text, limit)

    def similar(
        self, doc_id: int, limit: int, translations: Collection[int] | None = None
    ) -> tuple[SimilarDocument, ...]:
        given = None if translations is None else tuple(translations)
        return self._ask("similar", doc_id, limit, given)

    def document_view(self, doc_id: int, q: str = "", hidden: bool = False) -> DocumentView:
        return self._ask("document_view", doc_id, q, hidden)

    def ranked_ids(self, query: SearchQuery, limit: int) -> tuple[list[int], int]:
        return self._ask("ranked_ids", query, limit)

    def matched_ids(self, text: str) -> set[int]:
        return self._ask("matched_ids", text)
