"""A bulk import's documents read, extracted, described and given their index fields in a
helper process, while the importing process stores, catalogues and writes the index.

Why a process: the Whoosh writer is pure Python and keeps one core busy for the length of an
import (about 15 ms a news article). Reading, extracting and describing a document and building
what the index holds of it (the names facet above all) cost another ~3 ms of Python, which in
the same process adds to the writer's time and in a second process runs beside it on the other
core. The helper works ahead of the writer by a bounded number of documents and dies with its
parent (PR_SET_PDEATHSIG; else at its next write to the pipe nobody reads), so a killed import
never leaves it behind.

Nothing here is durable: the importing process stores and catalogues each document before it is
acknowledged and before it is indexed, exactly as without the helper, so a crash of either
process loses no acknowledged document (the catalog's unindexed rows are indexed at the next
start). Small imports are prepared in-process: starting a Python costs more than it saves.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.config import Settings
from archive.errors import PrepareFailed
from archive.ingest import pipeline, sources
from archive.models import Document, Overrides
from archive.processes import die_with_parent
from archive.search.index import document_fields
from archive.search.variants import Variants

CHUNK_ITEMS = 64
# Chunks prepared ahead of the writer at most (~1,000 documents: a few batches' worth).
AHEAD_CHUNKS = 16


@dataclass(frozen=True)
class Ready:
    """One document found under the paths: the item as `sources.iter_items` yields it, and, when
    asked for, what the index will hold of it (`index.document_fields`, its "id" still to set)."""

    item: sources.Item
    fields: dict[str, object] | None = None


def worthwhile(paths: Sequence[Path], settings: Settings) -> bool:
    """Whether the paths hold enough bytes (Settings.prepare_process_min_bytes) for a helper."""
    if settings.prepare_process_min_bytes < 0:
        return False
    total = 0
    for path in paths:
        files = path.rglob("*") if path.is_dir() else (path,)
        for file in files:
            with contextlib.suppress(OSError):
                if file.is_file():
                    total += file.stat().st_size
            if total >= settings.prepare_process_min_bytes:
                return True
    return False


def prepared_fields(prepared: pipeline.Prepared, variants: Variants) -> dict[str, object] | None:
    """What the index will hold of a prepared document once catalogued (None: not published,
    so not indexed); its "id" is set when the catalog has given it one."""
    row = prepared.row
    if row.status != "published":
        return None
    doc = Document(
        id=0,
        sha256=row.sha256,
        filename=row.filename,
        format=row.format,
        size=row.size,
        metadata=row.metadata,
        blocks=tuple(row.blocks),
        added_at="",
        source_id=row.source_id,
        status=row.status,
    )
    return document_fields(doc, variants)


def iter_ready(
    paths: Sequence[Path],
    settings: Settings,
    overrides: Overrides | None,
    skip: int,
    variants: Variants | None,
) -> Iterator[Ready]:
    """`sources.iter_items(paths, settings, overrides, skip)` in the same order, prepared in a
    helper process; with variants, each published document's index fields too."""
    # a process of its own (not multiprocessing's spawn, which re-imports the caller's main
    # module): the job goes in pickled on stdin, chunks of Ready come back pickled on stdout
    proc = subprocess.Popen(
        [sys.executable, "-c", "from archive.core.prepare import main; main()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    inbox: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=AHEAD_CHUNKS)
    # the pipe holds 64 KB: a thread here reads ahead, so the helper works while this one writes
    reader = threading.Thread(
        target=_receive, args=(proc, inbox), name="archive-prepare-reader", daemon=True
    )
    try:
        with proc.stdin:
            job = (os.getpid(), list(paths), settings, overrides, skip, variants)
            pickle.dump(job, proc.stdin)
        reader.start()
        while True:
            kind, payload = inbox.get()
            if kind == "ready":
                yield from payload
            elif kind == "done":
                return
            else:
                raise PrepareFailed(
                    f"preparing documents failed ({payload}); the batches committed before are"
                    " kept, and the same import run again resumes after them"
                )
    finally:
        proc.kill()
        while reader.is_alive():  # it may wait to hand over a chunk nobody will take
            with contextlib.suppress(queue.Empty):
                inbox.get(timeout=0.05)
        proc.wait()
        proc.stdout.close()


def _receive(proc: subprocess.Popen[bytes], inbox: queue.Queue[tuple[str, Any]]) -> None:
    assert proc.stdout is not None
    try:
        while True:
            message = pickle.load(proc.stdout)
            inbox.put(message)
            if message[0] != "ready":
                return
    except (EOFError, pickle.UnpicklingError):  # it ended, perhaps in the middle of a chunk
        inbox.put(("died", f"the helper process ended (exit code {proc.wait()})"))
    except Exception as exc:  # noqa: BLE001 - reported by the generator
        inbox.put(("error", f"{type(exc).__name__}: {exc}"))


def main() -> None:
    """The helper process: reads its job from stdin, writes chunks of Ready to stdout."""
    # ^C in a terminal reaches the whole process group: the parent stops this one itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # the protocol owns stdout: anything a library prints goes to stderr
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    parent, paths, settings, overrides, skip, variants = pickle.load(sys.stdin.buffer)
    die_with_parent(parent)
    try:
        chunk: list[Ready] = []
        for item in sources.iter_items(paths, settings, overrides, skip=skip):
            fields = None
            if variants is not None and item.prepared is not None:
                fields = prepared_fields(item.prepared, variants)
            chunk.append(Ready(item, fields))
            if len(chunk) >= CHUNK_ITEMS:
                pickle.dump(("ready", chunk), out, protocol=pickle.HIGHEST_PROTOCOL)
                chunk = []
        pickle.dump(("ready", chunk), out, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(("done", None), out)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
        pickle.dump(("error", f"{type(exc).__name__}: {exc}"), out)
    out.flush()
