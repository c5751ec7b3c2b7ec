"""Bulk loads (a large CLI import, a reindex) write the index with one writer in a few large
segments (archive/search/bulk.py), a reindex with Whoosh's multi-process writer: the same
documents, facet values and search results as an index written batch by batch."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from archive import Archive, Settings
from archive.cli.main import ProgressLine
from archive.models import Overrides, SearchQuery
from archive.search.index import VERSION_FILE, Index

from .conftest import NO_LIMITS, corpus_records

QUERIES = ("", "Bakhmut", "war OR guerra", "president -Ukraine", '"White House"', "Zelensky")
FACETS = ("authors", "publication", "language", "year", "names")


def _records(folder: Path) -> list[Path]:
    folder.mkdir()
    jsonl = folder / "records.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in corpus_records(per_file=40)]
    jsonl.write_text("\n".join(lines) + "\n")
    return [jsonl]


def _settings(root: Path, **changes: object) -> Settings:
    base = Settings(root=root, index_batch_size=50, rate_limits=NO_LIMITS)
    return base.with_(**changes)


def _results(archive: Archive) -> list:
    """Every query's total, hits (ids in order) and facets, and each facet's values in full."""
    out: list = []
    for q in QUERIES:
        page = archive.search(SearchQuery(text=q, per_page=100))
        out.append((q, page.total, [h.id for h in page.hits], page.facets, page.facet_totals))
    for facet in FACETS:
        values = archive.facet_values(SearchQuery(text=""), facet, per_page=1000)
        out.append((facet, values))
    return out


def _segments(settings: Settings) -> list[int]:
    index = Index(settings)
    try:
        return index.segment_sizes()
    finally:
        index.close()


@pytest.mark.parametrize("procs", [1, 2])
def test_a_reindex_in_large_segments_finds_what_batch_by_batch_indexing_found(tmp_path, procs):
    paths = _records(tmp_path / "in")
    # no helper: the import indexes batch by batch (50 a commit), as before bulk loads
    settings = _settings(tmp_path / "a", prepare_process_min_bytes=-1)
    with Archive(settings) as archive:
        report = archive.ingest_paths(paths)
        assert len(report.added) > 100
        before = _results(archive)
    assert len(_segments(settings)) > 1
    bulk = settings.with_(bulk_index_procs=procs, index_segment_docs=40)
    with Archive(bulk) as archive:
        assert archive.reindex() == len(report.added)
        assert archive.unindexed_count() == 0
        assert archive.check() == []
        after = _results(archive)
    # sub-writers take documents as they come free, so their places in the index differ; equal
    # scores and dates are ordered by catalog id, so every page is the same, in the same order
    assert after == before
    sizes = _segments(bulk)
    assert sum(sizes) == len(report.added)
    # a commit at 40 documents, then at half the index: a few segments (two a commit with two
    # sub-writers), and never one a catalog batch (50)
    assert 2 <= len(sizes) <= 4 * procs
    assert all(size > 10 for size in sizes)


def test_a_large_import_commits_a_few_segments_finds_the_same_and_shows_progress(tmp_path):
    paths = _records(tmp_path / "in")
    with Archive(_settings(tmp_path / "alone", prepare_process_min_bytes=-1)) as archive:
        expected = _results(archive) if archive.ingest_paths(paths).added else None
    settings = _settings(tmp_path / "a", prepare_process_min_bytes=0, index_segment_docs=40)
    stream = io.StringIO()
    bar = ProgressLine("ingesting", stream)
    with Archive(settings) as archive:
        report = archive.ingest_paths(paths, progress=bar)
        assert archive.unindexed_count() == 0
        assert archive.indexed_count() == len(report.added) > 100
        assert archive.check() == []
        assert _results(archive) == expected
    # the count goes on as documents come, whatever the index writer holds
    counts = [int(line.split()[1].replace(",", "")) for line in stream.getvalue().splitlines()]
    assert len(counts) >= 2 and counts == sorted(counts) and counts[-1] <= len(report.added)
    sizes = _segments(settings)
    # 40, then half the index each time: fewer segments than the 3 batches of 50
    assert 2 <= len(sizes) <= 4
    assert sizes[0] >= 40


def test_an_import_into_an_index_of_many_small_segments_merges_only_the_smallest(tmp_path):
    paths = _records(tmp_path / "in")
    settings = _settings(tmp_path / "a", prepare_process_min_bytes=-1, index_batch_size=10)
    with Archive(settings) as archive:
        archive.ingest_paths(paths)
    many = len(_segments(settings))
    assert many >= 4
    more = tmp_path / "more.jsonl"
    records = [{**r, "id": f"{r['id']}-again", "body": r["body"] + "\nOnce more."}
               for r in corpus_records(per_file=5)]  # fmt: skip
    more.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    big = settings.with_(prepare_process_min_bytes=0, index_segment_docs=1000)
    with Archive(big) as archive:
        report = archive.ingest_paths([more])
        assert len(report.added) == len(records)
        assert archive.unindexed_count() == 0
        assert archive.indexed_count() == archive.count()
        assert archive.check() == []
    sizes = _segments(settings)
    assert len(sizes) < many


def test_an_index_lost_is_rebuilt_on_opening_in_large_segments(tmp_path):
    paths = _records(tmp_path / "in")
    settings = _settings(tmp_path / "a", prepare_process_min_bytes=-1, index_segment_docs=40)
    with Archive(settings) as archive:
        archive.ingest_paths(paths)
        before = _results(archive)
    shutil.rmtree(settings.index_dir)
    with Archive(settings) as archive:
        assert archive.unindexed_count() == 0
        assert _results(archive) == before
    assert 2 <= len(_segments(settings)) <= 4


def test_equal_scores_keep_the_order_of_catalog_ids_after_an_edit_moves_a_document(tmp_path):
    # an edit re-adds a document: its new version goes first in the commit's merged segment
    # (3, 1, 2, 4, 5 by place in the index, which Whoosh orders equal scores by), and a
    # reindex with sub-writers reshuffles places too
    settings = _settings(tmp_path / "a")
    with Archive(settings) as archive:
        ids = [
            archive.add(f"Herons nest here {word}.".encode(), f"{word}.txt").id
            for word in ("alpha", "bravo", "delta", "gamma", "omega")
        ]
        first = archive.search(SearchQuery(text="herons"))
        assert len({h.score for h in first.hits}) == 1  # all equal: the order is the tie's
        assert [h.id for h in first.hits] == ids
        archive.update(ids[2], Overrides(tags=("birds",)), actor="test")
        moved = archive.search(SearchQuery(text="herons"))
        assert [h.id for h in moved.hits] == ids
        by_date = archive.search(SearchQuery(text="herons", sort="newest"))
        assert [h.id for h in by_date.hits] == ids  # undated: equal keys, ties by id too


def test_reindex_of_an_outdated_index_rebuilds_it_once_not_on_opening_too(tmp_path):
    settings = _settings(tmp_path / "a")
    with Archive(settings) as archive:
        for word in ("alpha", "bravo", "delta"):
            archive.add(f"Herons nest here {word}.".encode(), f"{word}.txt")
    (settings.index_dir / VERSION_FILE).write_text("an older analysis\n")
    with Archive(settings, index_now=False) as archive:
        assert sum(_segments(settings)) == 0  # opened, recreated empty, nothing indexed yet
        assert archive.reindex() == 3
        assert archive.search(SearchQuery(text="herons")).total == 3
    with Archive(settings) as archive:  # current now: opening rebuilds nothing
        assert archive.unindexed_count() == 0 and archive.check() == []
