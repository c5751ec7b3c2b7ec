"""The indexing worker process of a server: Whoosh writes happen here, not in the server.

Why a process: Whoosh's writer is pure Python that calls into the file system hundreds of
thousands of times per commit (tell, write, compress), and each of those calls gives up the
GIL. In a server with busy request threads every such call then waits for its turn (up to
the 5 ms switch interval), so a one-document commit that takes 30 ms alone took seconds under
load and the index fell ever further behind the uploads. In a process of its own the writer
has a core and a GIL to itself, and the server's threads only search.

The worker reads unindexed rows from the catalog (SQLite, shared by both processes), writes
them to Whoosh in batches and marks them indexed, exactly as `Archive.index_pending` does in a
process without a server (it calls the same `core.indexing.drain`). The server's indexing thread
asks for a round with one JSON line on the worker's stdin and waits for the answer line. The
worker dies with the server (PR_SET_PDEATHSIG), so a killed server never leaves a writer behind,
and exits when its stdin closes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from archive.config import Settings
from archive.errors import WorkerFailed
from archive.processes import (
    die_with_parent,
    return_large_allocations,
)

log = logging.getLogger(__name__)
START_SECONDS = 60.0
ROUND_MEMORY_MB = 64
# Merges written beside the rounds at once (of different segments): while one of ~1,000
# documents runs for a minute at 100k under load, the rounds' small segments still merge.
MERGES_AT_ONCE = 2
# A round that takes longer is logged with what held it (a write waits for its round, at most
# Settings.index_wait_seconds).
SLOW_ROUND_SECONDS = 5.0
_PATH_FIELDS = ("root", "variants_path")


def settings_to_json(settings: Settings) -> dict[str, Any]:
    return {
        k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(settings).items()
    }


def settings_from_json(data: dict[str, Any]) -> Settings:
    paths = {k: Path(data[k]) for k in _PATH_FIELDS if data.get(k) is not None}
    return Settings(**{**data, **paths})


class IndexWorker:
    """The server's handle on its worker process, started on first use and again after a death.
    Used from one thread (the indexing thread); `close` may come from another."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._exit_code: int | None = None

    def index_pending(self, fresh: bool) -> int:
        """One round in the worker: every unindexed row indexed; returns how many.

        fresh: the index was recreated and is being refilled (ids need no delete first).
        """
        with self._lock:
            if self._closed:
                raise WorkerFailed("the archive is closing")
            proc = self._running()
            began = time.monotonic()
            answer = self._ask(proc, {"index": True, "fresh": fresh})
            took = time.monotonic() - began
        if "error" in answer:
            raise WorkerFailed(f"indexing worker: {answer['error']}")
        if took > SLOW_ROUND_SECONDS:  # a write waits for its round: say what held this one
            log.warning(
                "slow index round: %.1f s for %d documents (indexing %.1f s; swapping in a merge"
                " %.1f s; saving the facet arrays of the round before %.1f s)",
                took, answer["done"], answer.get("seconds", 0.0), answer.get("swapping", 0.0),
                answer.get("saving", 0.0),
            )  # fmt: skip
        return int(answer["done"])

    def start(self) -> None:
        """Start the worker process now rather than at the first round (its imports and index
        opening take seconds that the first write would otherwise wait for)."""
        with self._lock:
            if not self._closed:
                self._running()

    def _running(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        if self._proc is not None:  # died between rounds: close its pipes, keep its exit code
            self._stop(self._proc)
        self._proc = subprocess.Popen(  # noqa: S603 - our own module, by our own interpreter
            [sys.executable, "-c", "from archive.core.worker import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        # the parent's pid travels in the first message, as the import helper's does
        first = {"settings": settings_to_json(self.settings), "parent": os.getpid()}
        self._ask(self._proc, first)
        return self._proc

    def _ask(self, proc: subprocess.Popen[bytes], message: dict[str, Any]) -> dict[str, Any]:
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(json.dumps(message).encode() + b"\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        except (BrokenPipeError, OSError) as exc:
            self._stop(proc)
            raise WorkerFailed(f"indexing worker unreachable: {exc}") from exc
        if not line:
            self._stop(proc)
            raise WorkerFailed(f"indexing worker exited ({proc.poll()})")
        return json.loads(line)

    def _stop(self, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        self._exit_code = proc.returncode

    @property
    def pid(self) -> int | None:
        """The worker process's id while one runs (it is started on first use)."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def exit_code(self) -> int | None:
        """How the last worker process that was stopped ended (0: cleanly; -9: killed)."""
        return self._exit_code

    def close(self, timeout: float = 30.0) -> None:
        """Let a round in progress finish (its commit is not cut short), then stop the worker."""
        self._closed = True
        acquired = self._lock.acquire(timeout=timeout)
        try:
            if self._proc is not None:
                self._stop(self._proc, timeout)
                self._proc = None
        finally:
            if acquired:
                self._lock.release()


def _serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    from archive.core.indexing import IDLE_MAX_SEGMENTS, IDLE_MERGE_SECONDS, drain
    from archive.search import merging
    from archive.search.index import Index
    from archive.storage.catalog import Catalog

    def answer(message: dict[str, Any]) -> None:
        answers.write(json.dumps(message).encode() + b"\n")
        answers.flush()

    first = json.loads(requests.readline() or b"{}")
    if "settings" not in first:  # the server went away before it said anything
        return
    die_with_parent(int(first["parent"]))
    return_large_allocations()
    settings = settings_from_json(first["settings"])
    # a server's rounds are small: the writer's sorting pool (Whoosh's limitmb) is capped, so a
    # merge spills its postings to disk instead of growing the process (at 100k under the load
    # test the worker peaked at 346 MB with the bulk loads' 256 MB)
    settings = dataclasses.replace(
        settings, index_memory_mb=min(settings.index_memory_mb, ROUND_MEMORY_MB)
    )
    catalog = Catalog(settings.catalog_path)
    index = Index(settings)
    limit = settings.index_batch_size
    last_work = time.monotonic()
    saving = 0.0  # seconds spent saving the last round's facet arrays, after its answer
    swapping = 0.0  # and swapping in merges before this round
    # the processes writing merges (search/merging.py) -> (its folder, the segments it merges)
    mergers: dict[subprocess.Popen[bytes], tuple[Path, list[str]]] = {}
    written = 0  # merges started, which name their folders
    merging.clear(index)
    answer({"ready": True})
    try:
        for line in requests:
            request = json.loads(line)
            index.fresh = bool(request.get("fresh"))
            began = time.monotonic()
            try:
                for merger in list(mergers):
                    if (ended := merger.poll()) is not None:
                        target, _ = mergers.pop(merger)
                        if ended == 0:
                            merging.swap_in(index, target)
                        else:  # its traceback is in the log; the rounds make it due again
                            log.warning("a merge beside the rounds failed")
                            merging.discard(target)
                swapping = time.monotonic() - began
                began = time.monotonic()
                # the round's segments' facet arrays are saved after the answer: the writes
                # it acknowledges wait for the commit only (a searcher that is quicker reads
                # a small new segment itself); the merges it makes due are written beside
                with index.bulk(save_after=False):
                    policy = merging.round_merges(index.segment_count(), limit)
                    done = drain(catalog, index, limit, merge=policy)
                if done:
                    last_work = time.monotonic()
            except Exception as exc:  # noqa: BLE001 - told to the server, which retries
                answer({"error": f"{type(exc).__name__}: {exc}"})
                continue
            answer(
                {
                    "done": done,
                    "seconds": time.monotonic() - began,
                    "saving": saving,
                    "swapping": swapping,
                }
            )
            swapping = 0.0
            began = time.monotonic()
            index.save_segment_values()
            saving = time.monotonic() - began
            if len(mergers) >= MERGES_AT_ONCE or index.fresh:
                continue  # none while a rebuild refills the index
            busy = {key for _, keys in mergers.values() for key in keys}
            # written by a process beside the next rounds, swapped in by the round after it
            # ends: a merge of ~1,000 documents took 12-15 s at 100k under the load test, and
            # the writes behind it waited past the 10 s a write waits for its round; what it
            # allocates goes with that process.
            # An idle merge (the smallest segments, down to IDLE_MAX_SEGMENTS) only once the
            # writes have paused: under a stream of uploads many rounds find nothing new, and
            # merging then took 40% of the worker. It is written beside the rounds too: made
            # in the worker (a forked child it waited for), the first idle merge of a server
            # over a 100k import (16 segments, the 7 smallest 17,500 documents) held every
            # round for 3 minutes, and each upload of those minutes was answered "not yet
            # searchable" after its 10 s wait.
            chosen = merging.choose(index, limit, busy)
            if (
                not chosen
                and not done
                and not mergers
                and time.monotonic() - last_work > IDLE_MERGE_SECONDS
            ):
                chosen = merging.choose_idle(index, IDLE_MAX_SEGMENTS)
            if chosen:
                written += 1
                target = merging.folder(index, str(written))
                mergers[_start_merge(settings, chosen, target)] = (target, chosen)
    finally:
        index.close()
        catalog.close()


def _start_merge(settings: Settings, chosen: list[str], target: Path) -> subprocess.Popen[bytes]:
    """A process writing the merge of the chosen segments into target (merge_main).

    A new interpreter rather than a fork of the worker: a forked child's resident memory counts
    every page it shares with the worker (150-210 MB a merge at 100k under the load test, two
    at once: the server's total then passed 1 GB); a new one holds its imports (~70 MB) and its
    merge. Its output goes where the worker's does (the server's log)."""
    proc = subprocess.Popen(  # noqa: S603 - our own module, by our own interpreter
        [sys.executable, "-c", "from archive.core.worker import merge_main; merge_main()"],
        stdin=subprocess.PIPE,
        close_fds=True,
    )
    assert proc.stdin is not None
    order = {
        "settings": settings_to_json(settings),
        "parent": os.getpid(),
        "chosen": chosen,
        "target": str(target),
    }
    with contextlib.suppress(BrokenPipeError):  # it died at once: poll() tells the worker
        proc.stdin.write(json.dumps(order).encode() + b"\n")
        proc.stdin.close()
    return proc


def merge_main() -> None:
    """A merge process (_start_merge): one order on stdin, the merge written, exit code 0."""
    from archive.search import merging
    from archive.search.index import Index

    order = json.loads(sys.stdin.buffer.readline() or b"{}")
    if "settings" not in order:  # the worker went away before it said anything
        sys.exit(1)
    die_with_parent(int(order["parent"]))
    return_large_allocations()
    settings = settings_from_json(order["settings"])
    # read-only: an index that is missing or of another version is not recreated here
    index = Index(settings, read_only=True)
    try:
        target = Path(order["target"])
        merging.write_merged(index, order["chosen"], target, settings.index_memory_mb)
    finally:
        index.close()


def main() -> None:
    # the protocol owns stdout: anything a library prints goes to stderr
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
