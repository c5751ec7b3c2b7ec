"""One search process of a server (archive.core.searchers): the server's handle on it, and the
process itself, which answers Finder's methods over its own read-only view of the archive.

The process opens the index read-only (`Index(read_only=True)`: it never recreates it, and reads
segments through the page cache the processes share) and the catalog read-only (SQLite
`mode=ro`), opens the current generation, says "ready", and then answers one request at a time:
(commit number, operation, arguments) in, ("ok", result) | ("error", ArchiveError) | ("failed",
traceback) out, pickled over two pipes (multiprocessing.connection framing). A commit number
newer than the last one it saw makes it open the next generation before answering. It dies with
the server (PR_SET_PDEATHSIG) and ends when its request pipe closes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import subprocess
import sys
import traceback
from multiprocessing.connection import Connection
from typing import Any

from archive.config import Settings
from archive.core.finder import OPERATIONS, Finder
from archive.errors import ArchiveError
from archive.processes import (
    die_with_parent,
    return_large_allocations,
    trim_heap_now_and_then,
)

log = logging.getLogger(__name__)
# A large archive's process opens its first generation before it says it is ready.
START_SECONDS = 120.0
STOP_SECONDS = 5.0
# The search processes' niceness. At first they yielded to the index worker (nice 4): a write
# is acknowledged only once the worker's round has indexed it, and a worker starved by busy
# searchers turned uploads into waits of Settings.index_wait_seconds. Once the worker's rounds
# cost half as much (tiered merges, no idle merge under writes) and came at most every
# Settings.index_round_seconds, equal weight served both better: the 20k load test (20
# uploaders, 20 searchers) gave search p50/p99 430 ms / 1.59 s at nice 0 against 841 ms /
# 2.92 s at nice 4, uploads 17/s, every one searchable within the wait (docs/reliability.md).
NICENESS = 0


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
        """Start the process (from one long-lived thread: the process dies with the thread that
        started it, PR_SET_PDEATHSIG)."""
        request_read, request_write = os.pipe()
        answer_read, answer_write = os.pipe()
        try:
            self._proc = subprocess.Popen(  # noqa: S603 - our own module, by our own interpreter
                [sys.executable, "-c", "from archive.core.search_process import main; main()"],
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
    return_large_allocations()
    trim_heap_now_and_then()
    os.nice(NICENESS)
    _serve(settings, requests, answers)


if __name__ == "__main__":
    main()
