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
process is started from one long-lived thread and dies with the server (PR_SET_PDEATHSIG, which
follows the thread that started the child), and exits when its request pipe closes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

from archive.config import Settings
from archive.core.finder import OPERATIONS, Finder
from archive.errors import ArchiveError, SearchUnavailable
from archive.models import (
    DocumentView,
    FacetPage,
    FacetRequest,
    Page,
    SearchQuery,
    SimilarDocument,
    Suggestion,
)
from archive.processes import die_with_parent

log = logging.getLogger(__name__)
# A large archive's process opens its first generation before it says it is ready.
START_SECONDS = 120.0
STOP_SECONDS = 5.0
RESTART_PAUSE_SECONDS = 1.0
# Search processes yield the CPU to the index worker (and the server): a write is acknowledged
# only once the worker's round has indexed it, so a worker starved by N busy searchers on as
# many cores would turn every upload into a wait of Settings.index_wait_seconds. At nice 4 the
# kernel gives a search process about 40% of the weight of the worker when both want a core;
# when the worker idles, searches have every core.
NICENESS = 4


class SearchProcess:
    """One search process and its two pipes; used by one thread at a time (`end` by any)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._proc: subprocess.Popen[bytes] | None = None
        self._requests: Connection | None = None
        self._answers: Connection | None = None
        self.exit_code: int | None = None
        self.ready = False  # started, and said so

    def spawn(self) -> None:
        """Start the process (from the pool's keeper thread only: see the module's docstring)."""
        request_read, request_write = os.pipe()
        answer_read, answer_write = os.pipe()
        try:
            self._proc = subprocess.Popen(  # noqa: S603 - our own module, by our own interpreter
                [sys.executable, "-c", "from archive.core.searchers import main; main()"],
                stdin=request_read,
                stdout=answer_write,
                close_fds=True,
            )
        except BaseException:
            os.close(request_write)
            os.close(answer_read)
            raise
        finally:
            os.close(request_read)
            os.close(answer_write)
        self._requests = Connection(request_write, readable=False)
        self._answers = Connection(answer_read, writable=False)
        if self._send((os.getpid(), self.settings)) is not None:
            raise OSError("the search process ended at once")

    def wait_ready(self) -> bool:
        """Whether the process started and opened the index (else it is ended)."""
        kind, said = self._receive(START_SECONDS)
        self.ready = kind == "ready"
        if not self.ready:
            log.error("a search process did not start: %s", said)
            self.end(kill=True)
        return self.ready

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def ask(self, number: int, operation: str, args: tuple[Any, ...], timeout: float) -> Any:
        """The process's answer: ("ok", result), ("error", the ArchiveError it raised),
        ("failed", a traceback), or ("gone", why) when it ended or took longer than timeout
        (it is then killed)."""
        return self._send((number, operation, args)) or self._receive(timeout)

    def _send(self, message: object) -> tuple[str, str] | None:
        """None once sent; ("gone", why) if the process cannot be reached."""
        assert self._requests is not None
        try:
            self._requests.send(message)
        except (OSError, ValueError) as exc:  # ValueError: the pipe was closed by end()
            return ("gone", f"unreachable: {exc}")
        return None

    def _receive(self, timeout: float) -> tuple[str, Any]:
        assert self._answers is not None
        try:
            if self._answers.poll(timeout):
                return self._answers.recv()
        except (EOFError, OSError):
            code = self._proc.poll() if self._proc is not None else None
            return ("gone", f"it ended (exit code {code})")
        self.end(kill=True)
        return ("gone", f"no answer within {timeout:g} s")

    def end(self, kill: bool = False) -> None:
        """Stop the process (closing its request pipe ends it; kill=True: at once) and reap it."""
        proc = self._proc
        if proc is None:
            return
        if kill:
            with contextlib.suppress(OSError):
                proc.kill()
        if self._requests is not None:
            with contextlib.suppress(OSError):
                self._requests.close()
        try:
            proc.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self.exit_code = proc.returncode

    def reset(self) -> None:
        """Before a new spawn: reap the old process and close what is left of its pipes."""
        self.end(kill=True)
        if self._answers is not None:
            with contextlib.suppress(OSError):
                self._answers.close()
        self._proc = self._requests = self._answers = None
        self.ready = False


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
        """Start the processes waiting to be (re)started, all at once, then wait until each is
        ready; the only thread that spawns them, alive as long as the pool."""
        while True:
            batch = [self._starting.get()]
            with contextlib.suppress(queue.Empty):
                while True:
                    batch.append(self._starting.get_nowait())
            if None in batch or self._closed:
                return
            started = []
            for process in batch:
                process.reset()
                try:
                    process.spawn()
                    started.append(process)
                except OSError:
                    log.exception("could not start a search process; trying again")
                    self._retry(process)
            for process in started:
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

    def similar(self, doc_id: int, limit: int) -> tuple[SimilarDocument, ...]:
        return self._ask("similar", doc_id, limit)

    def document_view(self, doc_id: int, q: str = "", hidden: bool = False) -> DocumentView:
        return self._ask("document_view", doc_id, q, hidden)

    def ranked_ids(self, query: SearchQuery, limit: int) -> tuple[list[int], int]:
        return self._ask("ranked_ids", query, limit)

    def matched_ids(self, text: str) -> set[int]:
        return self._ask("matched_ids", text)


def _answer(finder: Finder, operation: str, args: tuple[Any, ...]) -> tuple[str, Any]:
    if operation not in OPERATIONS:
        return ("failed", f"unknown operation {operation!r}")
    try:
        return ("ok", getattr(finder, operation)(*args))
    except ArchiveError as exc:
        return ("error", _portable(exc))
    except Exception:  # noqa: BLE001 - a bug: the server raises it, as it would in-process
        return ("failed", traceback.format_exc())


def _portable(exc: ArchiveError) -> ArchiveError:
    """The error itself if it survives pickling (its class takes its message alone), else an
    ArchiveError with the same message and status."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, just made
    except Exception:  # noqa: BLE001 - any failure means: send the plain form
        plain = ArchiveError(exc.message)
        plain.status = exc.status
        return plain
    return exc


def _serve(settings: Settings, requests: Connection, answers: Connection) -> None:
    from archive.search.engine import SearchEngine
    from archive.search.index import Index
    from archive.storage.catalog import Catalog

    catalog = Catalog(settings.catalog_path, read_only=True)
    index = Index(settings, read_only=True)
    finder = Finder(SearchEngine(index, catalog.get_many), catalog)
    try:
        finder.warm()
        answers.send(("ready", os.getpid()))
        seen = 0
        while True:
            try:
                number, operation, args = requests.recv()
            except EOFError:  # the server closed the pipe, or is gone
                return
            if number > seen:
                finder.changed()
                seen = number
            answers.send(_answer(finder, operation, args))
    finally:
        finder.close()
        index.close()
        catalog.close()


def main() -> None:
    """A search process: reads its parent's pid and the settings, then answers requests."""
    # ^C in a terminal reaches the whole process group: the server stops this one itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # the protocol owns stdout: anything a library prints goes to stderr
    answers = Connection(os.dup(sys.stdout.fileno()), readable=False)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    requests = Connection(os.dup(sys.stdin.fileno()), writable=False)
    try:
        parent, settings = requests.recv()
    except EOFError:
        return
    die_with_parent(parent)
    os.nice(NICENESS)
    _serve(settings, requests, answers)


if __name__ == "__main__":
    main()
