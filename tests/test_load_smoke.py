"""Concurrency on a real server subprocess: searchable within 2 s of a 201, and a short load run.

The CI variant of bench/load.py (5 s, 3 uploaders + 3 searchers; the full 60 s, 20 + 20 run and
its figures are in docs/reliability.md). A 5xx (a Whoosh LockError would be one), a lost upload
or a traceback in the server's output fails it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))
import harness  # noqa: E402 - bench/harness.py
import load  # noqa: E402 - bench/load.py
import memory_samples  # noqa: E402 - bench/memory_samples.py
import prebuilt  # noqa: E402 - bench/prebuilt.py

pytestmark = pytest.mark.slow
SEARCHABLE_WITHIN = 2.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[harness.Server, str]]:
    root = tmp_path_factory.mktemp("load") / "archive"
    token = harness.prepare_root(root)
    running = harness.Server(root)
    try:
        running.start()
        yield running, token
    finally:
        running.kill()


def test_an_upload_is_searchable_within_two_seconds_of_its_201(server) -> None:  # noqa: ANN001
    running, token = server
    headers = {"Authorization": f"Bearer {token}"}
    lags = []
    with httpx.Client(timeout=30) as client:
        for n, record in enumerate(harness.records(5, seed=3)):
            doc = harness.make_doc(record, harness.unique_word("two", n))
            r = client.post(f"{running.url}/api/documents", json=doc.payload, headers=headers)
            assert r.status_code == 201, r.text
            acked = time.monotonic()
            while True:
                hits = client.get(f"{running.url}/api/search", params={"q": doc.word}).json()
                if [h["id"] for h in hits["hits"]] == [r.json()["id"]]:
                    lags.append(time.monotonic() - acked)
                    break
                assert time.monotonic() - acked < 10, f"{doc.word} not searchable after 10 s"
                time.sleep(0.02)
    print(f"201 to searchable: {', '.join(f'{x:.2f}' for x in lags)} s")
    assert max(lags) <= SEARCHABLE_WITHIN, lags
    assert running.tracebacks() == []


@pytest.fixture(scope="module")
def smoke(server) -> dict:  # noqa: ANN001
    running, token = server
    summary = load.run(seconds=5, uploaders=3, searchers=3, url=running.url, token=token)
    summary["tracebacks"] = running.tracebacks()
    print(summary)
    return summary


def test_a_short_load_run_has_no_server_error_and_loses_nothing(smoke: dict) -> None:
    assert smoke["uploads_completed"] > 0 and smoke["searches_completed"] > 0, smoke
    assert smoke["5xx"] == 0, smoke  # a LockError or any other failure would be a 500
    assert smoke["lost"] == 0, smoke
    assert smoke["not_seen_by_watcher"] == 0, smoke
    assert smoke["transport_errors"] == {}, smoke
    # 200 and 201 only: a 400 would mean the query mix no longer parses
    assert set(smoke["statuses"]) == {"search 200", "upload 201"}, smoke
    assert smoke["tracebacks"] == [], smoke


def test_under_load_a_201_means_searchable(smoke: dict) -> None:
    """The server answers an upload once the index has it: every search begun after a 201 finds
    the document, and the watcher's own bound (its poll and search time included) is within
    the 2 s the issue asks for."""
    assert smoke["201_said_not_yet_searchable"] == 0, smoke
    assert smoke["missed_by_search_begun_after_201"] == 0, smoke
    assert smoke["searchable_after_201_s"]["max"] <= SEARCHABLE_WITHIN, smoke


def test_the_memory_sampler_sees_the_server_and_its_index_worker(server, smoke: dict) -> None:  # noqa: ANN001
    """bench/load.py's samples: every process of the server's tree, each with its own VmRSS
    (after the smoke run's writes, so the index worker is running)."""
    running, _ = server
    sampler = memory_samples.MemorySampler(running.proc.pid, every=0.2)
    sampler.start()
    sampler.mark_start()
    time.sleep(0.5)
    sampler.stop()
    figures = sampler.figures(first_minute=0.2)
    names = {p["name"] for p in figures["processes"]}
    assert "server" in names, figures["processes"]
    assert "index worker" in names, figures["processes"]  # the smoke run wrote: it is running
    last = figures["samples"][-1]
    assert last["total_rss"] == sum(last["rss"].values()) > 0
    assert figures["at_end"] == last["total_rss"]


def test_a_bench_root_is_built_when_empty_reused_when_an_archive_and_refused_otherwise(
    tmp_path: Path,
) -> None:
    assert prebuilt.root_state(tmp_path / "missing") == "build"
    assert prebuilt.root_state(tmp_path) == "build"  # empty
    root = tmp_path / "archive"
    harness.prepare_root(root)
    assert prebuilt.root_state(root) == "reuse"
    assert prebuilt.bench_token(root).startswith("arc_")  # its user exists: a new token
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("not an archive")
    with pytest.raises(prebuilt.RootError):
        prebuilt.root_state(tmp_path / "other")
    with pytest.raises(prebuilt.RootError):
        prebuilt.check_count(root, 10, 11)
