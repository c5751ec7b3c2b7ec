"""The server's indexing worker process, and the merge policies its rounds commit with."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from whoosh import index as whoosh_index

from archive import Archive, Settings
from archive.core.imports import commit
from archive.core.indexing import drain
from archive.core.worker import settings_from_json, settings_to_json
from archive.ingest import pipeline
from archive.models import SearchQuery
from archive.search.merges import MergePolicy, fewest_merges, small_merges, tiered_merges

from .conftest import parts


def found(archive: Archive, word: str) -> list[int]:
    return [hit.id for hit in archive.search(SearchQuery(text=word)).hits]


def test_settings_cross_to_the_worker_unchanged(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path, index_batch_size=7, variants_path=tmp_path / "v.txt")
    assert settings_from_json(settings_to_json(settings)) == settings
    assert settings_from_json(settings_to_json(Settings(root=tmp_path))).variants_path is None


def test_a_server_indexes_in_its_worker_and_outlives_its_death(settings: Settings) -> None:
    with Archive(settings, background=True) as archive:
        first = archive.add(b"Beavers build dams across the creek.", "a.txt")
        assert archive.wait_searchable(30)
        assert found(archive, "beavers") == [first.id]
        assert archive.index_worker is not None
        worker = archive.index_worker.pid  # the process this test kills
        assert worker is not None and worker != os.getpid()
        os.kill(worker, signal.SIGKILL)
        second = archive.add(b"Otters return to the river after decades.", "b.txt")
        # the round that finds the worker dead fails; the next starts a new worker
        assert archive.wait_searchable(30)
        assert found(archive, "otters") == [second.id]
        assert archive.index_worker.pid not in (None, worker)
        assert archive.index_worker.exit_code == -signal.SIGKILL  # the one killed, reaped


def test_closing_the_archive_stops_its_worker(settings: Settings) -> None:
    archive = Archive(settings, background=True)
    archive.add(b"Herons nest in the tall reeds.", "a.txt")
    assert archive.wait_searchable(30)
    worker = archive.index_worker
    assert worker is not None and worker.pid is not None
    archive.close()
    assert worker.pid is None and worker.exit_code == 0


def test_rounds_merge_a_little_and_an_idle_merge_leaves_few_segments(settings: Settings) -> None:
    Archive(settings).close()
    with parts(settings) as (store, catalog, index):
        for n in range(30):  # thirty one-document rounds, as uploads arriving one by one
            text = f"Note {n} on the migration of cranes."
            prepared = pipeline.prepare(text.encode(), f"{n}.txt", settings)
            commit([prepared], store, catalog)
            drain(catalog, index, 50, merge=small_merges(8))
            assert index.segment_count() <= 8  # never a pile of one-document segments
        sizes = index.segment_sizes()
        assert max(sizes) <= 8 + 1 and sum(sizes) == 30  # at most 8, plus the round's own
        index.write([], merge=fewest_merges(2))
        assert index.segment_count() == 2
    with Archive(settings) as archive:
        assert archive.search(SearchQuery(text="cranes")).total == 30


def _rewrites(settings: Settings, policy: MergePolicy, rounds: int) -> tuple[int, list[int]]:
    """Documents rewritten by the merges of `rounds` one-document rounds, and the segments left."""
    rewritten = 0

    def counting(writer, segments):  # noqa: ANN001, ANN202 - Whoosh's policy signature
        nonlocal rewritten
        kept = policy(writer, segments)
        rewritten += sum(s.doc_count_all() for s in segments if s not in kept)
        return kept

    Archive(settings).close()
    with parts(settings) as (store, catalog, index):
        for n in range(rounds):
            prepared = pipeline.prepare(f"Note {n} on herons.".encode(), f"{n}.txt", settings)
            commit([prepared], store, catalog)
            drain(catalog, index, 500, merge=counting)
        return rewritten, index.segment_sizes()


def test_a_stream_of_rounds_merges_like_sizes_and_rewrites_each_document_a_few_times(
    tmp_path: Path,
) -> None:
    rewritten, sizes = _rewrites(Settings(root=tmp_path / "t"), tiered_merges(500), 64)
    assert sum(sizes) == 64
    # a document is rewritten once per size class it passes (4, 16, 64: log4 of 64)
    assert rewritten <= 64 * 3
    assert len(sizes) <= 3 * 4  # at most 3 segments of each size class
    # the policy before it folded every round into one growing segment: each document was
    # rewritten at almost every later round
    before, _ = _rewrites(Settings(root=tmp_path / "s"), small_merges(500), 64)
    assert before > 3 * rewritten  # measured: 480 against 108


def test_segments_that_four_of_would_pass_the_limit_still_merge(tmp_path: Path) -> None:
    # with a cap on the merged sum, segments of 21 documents (4 of them: 84, over 60) were never
    # merged again and piled up, one more every 21 rounds (at 100k under the load test: 65
    # segments of ~150 after 8,232 uploads); each must only be under the limit
    _, sizes = _rewrites(Settings(root=tmp_path / "t"), tiered_merges(60), 170)
    assert sum(sizes) == 170
    assert len(sizes) <= 4, sizes  # measured: [85, 85]; 10 segments with the cap on the sum


SERVER = """
import sys, time
from pathlib import Path
from archive import Archive, Settings
archive = Archive(Settings(root=Path(sys.argv[1])), background=True)
archive.add(b"Storks return to the chimneys of the village.", "a.txt")
assert archive.wait_searchable(30)
print(archive.index_worker.pid, flush=True)
sys.stdin.readline()
archive.add(b"Cranes winter in the marshes of the south.", "b.txt")
print("added", flush=True)
time.sleep(60)
"""


def test_the_worker_dies_with_a_killed_server_even_inside_a_round(tmp_path: Path) -> None:
    """No writer outlives its server: killed while its worker waits for the index's write lock
    (held here), the worker goes too, rather than writing after a new server has started."""
    root = tmp_path / "archive"
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    held = None
    try:
        assert server.stdin is not None and server.stdout is not None
        worker = int(server.stdout.readline())
        held = whoosh_index.open_dir(str(Settings(root=root).index_dir)).writer()
        server.stdin.write(b"go\n")
        server.stdin.flush()
        assert server.stdout.readline() == b"added\n"
        time.sleep(0.5)  # the worker's round is now waiting for the lock held above
        assert _alive(worker)
        server.kill()
        server.wait(10)
        deadline = time.monotonic() + 5
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(worker)
    finally:
        server.kill()
        if held is not None:
            held.cancel()


def _alive(pid: int) -> bool:
    """Running, not a zombie (the worker is the killed server's child, reaped by init)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]
    except OSError:
        return False
    return state != "Z"


def test_a_server_starts_its_worker_before_the_first_write_and_keeps_it(settings) -> None:  # noqa: ANN001
    """The worker is started once searches are ready, not by the first write (whose answer
    waited for its imports), and by the indexing thread: started by a thread that ends, it
    died with it (PR_SET_PDEATHSIG) and the first round failed."""
    with Archive(settings, background=True) as archive:
        assert archive.index_worker is not None
        deadline = time.monotonic() + 30
        while archive.index_worker.pid is None and time.monotonic() < deadline:
            time.sleep(0.05)
        started = archive.index_worker.pid
        assert started is not None, "no worker before any write"
        time.sleep(1.0)  # a thread that started it and ended would have taken it along by now
        doc = archive.add(b"Otters slide down the muddy bank.", "otters.txt")
        assert archive.wait_searchable(30)
        assert found(archive, "otters") == [doc.id]
        assert archive.index_worker.pid == started and archive.index_worker.exit_code is None


def test_a_servers_merges_come_after_its_rounds_in_a_child_of_the_worker(
    settings: Settings,
) -> None:
    # one-document rounds: every fourth leaves four segments of one size class, which the
    # worker merges after answering, in a process of its own (what a merge allocates goes
    # with it); the worker stays the same process and every document stays searchable
    from archive.search import sidecars

    settings = dataclasses.replace(settings, index_batch_size=50)
    with Archive(settings, background=True) as archive:
        assert archive.index_worker is not None
        worker = None
        for n in range(13):
            archive.add(f"Note {n} on the migration of storks.".encode(), f"{n}.txt")
            assert archive.wait_searchable(30)
            worker = worker or archive.index_worker.pid
            assert archive.index_worker.pid == worker
        deadline = time.monotonic() + 10
        with parts(settings) as (_, _, index):
            while len(index.segment_sizes()) > 4 and time.monotonic() < deadline:
                time.sleep(0.1)
            sizes = index.segment_sizes()
            assert sum(sizes) == 13 and len(sizes) <= 4, sizes  # merged: 13 rounds, <= 4 left
            saved = {p.stem for p in sidecars.folder(index.path).glob("*.npz")}
            with whoosh_index.open_dir(str(settings.index_dir)).reader() as reader:
                ids = {leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()}
            assert saved == ids  # the merged segment's arrays saved, the retired ones removed
        assert archive.search(SearchQuery(text="storks")).total == 13
        assert archive.index_worker.pid == worker


def _merge_process(worker: int, timeout: float) -> int | None:
    """The pid of a merge process (worker.merge_main) the worker started, once one runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                command = (entry / "cmdline").read_bytes()
            except (OSError, ValueError, IndexError):
                continue
            if parent == worker and b"merge_main" in command:
                return int(entry.name)
        time.sleep(0.05)
    return None


def test_an_idle_merge_is_written_beside_the_rounds_that_go_on_meanwhile(
    settings: Settings,
) -> None:
    # More segments than an idle worker keeps, each too large for the rounds' tiered merges
    # (index_batch_size 2): after IDLE_MERGE_SECONDS without writes the worker merges the
    # smallest. Held stopped (SIGSTOP), that merge must not hold the rounds: an upload made
    # meanwhile is searchable within its wait (made in the worker, as it was, the first idle
    # merge over a 100k import held every round for 3 minutes)
    from archive.core.indexing import IDLE_MAX_SEGMENTS

    from .test_merging import rounds

    settings = dataclasses.replace(settings, index_batch_size=2)
    Archive(settings).close()
    texts = [f"Entry {n} in the log of the lighthouse." for n in range(2 * IDLE_MAX_SEGMENTS + 4)]
    rounds(settings, texts, per_round=2)
    with parts(settings) as (_, _, index):
        assert index.segment_sizes() == [2] * (IDLE_MAX_SEGMENTS + 2)
    with Archive(settings, background=True) as archive:
        assert archive.wait_searchable(30)
        worker = archive.index_worker.pid
        merge = _merge_process(worker, 30)
        assert merge is not None, "no merge process beside the worker"
        os.kill(merge, signal.SIGSTOP)
        try:
            archive.add(b"A late entry: the lamp was relit at dusk.", "late.txt")
            assert archive.wait_searchable(15)  # a round committed while the merge is held
            assert len(found(archive, "relit")) == 1
        finally:
            os.kill(merge, signal.SIGCONT)
        deadline = time.monotonic() + 30
        with parts(settings) as (_, _, index):
            while index.segment_count() > IDLE_MAX_SEGMENTS and time.monotonic() < deadline:
                time.sleep(0.1)
            assert index.segment_count() <= IDLE_MAX_SEGMENTS, index.segment_sizes()
        assert archive.search(SearchQuery(text="lighthouse", per_page=50)).total == len(texts)
        assert archive.index_worker.pid == worker
