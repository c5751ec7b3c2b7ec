"""A bulk import prepared in a helper process: the same documents, fields and index as without
it, and a helper that dies loses nothing that was acknowledged."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from archive import Archive, Settings
from archive.core import prepare
from archive.errors import PrepareFailed
from archive.ingest import pipeline, sources
from archive.models import SearchQuery
from archive.search.index import document_fields
from archive.search.variants import load as load_variants

from .conftest import NO_LIMITS, corpus_records, sample_path

QUERIES = ("", "Bakhmut", "war OR guerra", "president -Ukraine", '"White House"')


def _inputs(folder: Path) -> list[Path]:
    """Every format a bulk import takes: the sample article, HTML, Markdown, a zip and JSONL
    records of each corpus file (several languages), with a duplicate and refusals."""
    folder.mkdir()
    records = corpus_records(per_file=40)
    jsonl = folder / "records.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    jsonl.write_text("\n".join([*lines, lines[0], "{not json"]) + "\n")
    html = folder / "page.html"
    html.write_text(
        "<html><head><title>Odesa &amp; the port</title>"
        '<meta name="author" content="Jane Doe"></head><body><h1>Odesa</h1>'
        "<p>By Jane Doe | March 3, 2021</p><p>Grain left Odesa for Istanbul.</p>"
        "<figure><figcaption>The port at dawn</figcaption></figure></body></html>"
    )
    md = folder / "notes.md"
    md.write_text("# Kharkiv notes\n\nShelling in Kharkiv and Izium.\n\n## After\n\nQuiet.\n")
    bundle = folder / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as z:
        z.writestr("a/kherson.txt", "Kherson\n\nBy Jane Doe 11/6/23\n\nThe bridge at Kherson.\n")
        z.writestr("b/mykolaiv.md", "# Mykolaiv\n\nWater came back to Mykolaiv.\n")
        z.writestr("c/image.png", b"\x89PNG\r\n\x1a\n" + bytes(64))  # refused
    return [sample_path(), jsonl, html, md, bundle]


def _settings(root: Path, min_bytes: int) -> Settings:
    return Settings(
        root=root, index_batch_size=50, rate_limits=NO_LIMITS, prepare_process_min_bytes=min_bytes
    )


def test_fields_built_before_cataloguing_equal_those_built_from_the_catalog(tmp_path):
    paths = _inputs(tmp_path / "in")
    settings = _settings(tmp_path / "a", -1)
    with Archive(settings) as archive:
        report = archive.ingest_paths(paths)
        by_sha = {archive.document(i).sha256: i for i in report.added}
        variants = load_variants(settings.variants_path)
        compared = 0
        for item in sources.iter_items(paths, settings):
            if item.prepared is None or item.prepared.row.sha256 not in by_sha:
                continue
            doc_id = by_sha.pop(item.prepared.row.sha256)
            built = prepare.prepared_fields(item.prepared, variants)
            assert built is not None
            expected = document_fields(archive.document(doc_id), variants)
            assert {**built, "id": str(doc_id)} == expected, item.name
            compared += 1
    assert not by_sha
    assert compared == len(report.added) > 100


def test_a_draft_has_no_fields(tmp_path):
    [item] = sources.iter_items([sample_path()], _settings(tmp_path, -1))
    assert item.prepared is not None
    draft = item.prepared.row.__class__(**{**vars(item.prepared.row), "status": "draft"})
    prepared = pipeline.Prepared(item.prepared.name, draft, item.prepared.data)
    assert prepare.prepared_fields(prepared, load_variants()) is None
    assert prepare.prepared_fields(item.prepared, load_variants()) is not None


def test_the_helper_yields_what_iter_items_yields_in_order(tmp_path):
    paths = _inputs(tmp_path / "in")
    settings = _settings(tmp_path / "a", 0)
    here = list(sources.iter_items(paths, settings, skip=3))
    there = list(prepare.iter_ready(paths, settings, None, 3, None))
    assert [r.item for r in there] == here
    assert all(r.fields is None for r in there)
    assert any(i.error for i in here) and sum(1 for i in here if i.prepared) > 100


def test_an_import_with_and_without_the_helper_makes_the_same_archive(tmp_path):
    paths = _inputs(tmp_path / "in")
    results = []
    for name, min_bytes in (("alone", -1), ("helped", 0)):
        with Archive(_settings(tmp_path / name, min_bytes)) as archive:
            report = archive.ingest_paths(paths)
            assert archive.unindexed_count() == 0
            assert archive.check() == []
            pages = [archive.search(SearchQuery(text=q, per_page=100)) for q in QUERIES]
            results.append(
                (
                    report.added,
                    report.duplicates,
                    report.failed,
                    archive.indexed_count(),
                    [(p.total, [h.id for h in p.hits], p.facets) for p in pages],
                )
            )
    assert results[0] == results[1]
    assert len(results[0][0]) > 100 and results[0][1] and results[0][2]


def test_only_large_imports_start_a_helper(tmp_path):
    small = tmp_path / "small.txt"
    small.write_text("A short note on Kyiv.\n")
    settings = _settings(tmp_path / "a", 1024)
    assert not prepare.worthwhile([small], settings)
    assert prepare.worthwhile([small, _inputs(tmp_path / "in")[1]], settings)
    assert prepare.worthwhile([tmp_path / "in"], settings)
    assert not prepare.worthwhile([tmp_path / "in"], settings.with_(prepare_process_min_bytes=-1))
    # and an import starts one only then: seen among this process's children while it runs
    jsonl = tmp_path / "in" / "records.jsonl"
    for min_bytes, expected in ((jsonl.stat().st_size + 1, False), (jsonl.stat().st_size, True)):
        seen: list[bool] = []

        def progress(*_: object, seen: list[bool] = seen) -> None:
            seen.append(bool(_helper_pids()))

        with Archive(_settings(tmp_path / f"b{min_bytes}", min_bytes)) as archive:
            archive.ingest_paths([jsonl], progress=progress)
        # (a helper that has sent everything may have ended before the last documents)
        assert len(seen) > 100 and any(seen) == expected, min_bytes


def _helper_pids(parent: int | None = None) -> list[int]:
    """The children of parent (this process) running archive.prepare."""
    parent = os.getpid() if parent is None else parent
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        if ppid == parent and b"archive.core.prepare" in cmdline:
            found.append(int(entry.name))
    return found


def _dispatches(path: Path, count: int = 2000) -> Path:
    path.write_text(
        "".join(
            json.dumps({"title": f"Dispatch {n}", "body": f"Report {n} from Kherson and Mykolaiv."})
            + "\n"
            for n in range(count)
        )
    )
    return path


def test_a_helper_that_dies_loses_nothing_and_the_import_resumes(tmp_path, monkeypatch):
    # a look-ahead of one chunk: the helper cannot have finished when the import is half done
    monkeypatch.setattr(prepare, "AHEAD_CHUNKS", 1)
    jsonl = _dispatches(tmp_path / "many.jsonl")
    settings = _settings(tmp_path / "a", 0)
    killed: list[int] = []

    def progress(done: int, total: int | None, name: str) -> None:
        if done == 120 and not killed:
            pids = _helper_pids()
            assert len(pids) == 1, pids
            os.kill(pids[0], signal.SIGKILL)
            killed.extend(pids)

    with Archive(settings) as archive:
        with pytest.raises(PrepareFailed, match="exit code -9"):
            archive.ingest_paths([jsonl], progress=progress)
        assert killed and not _helper_pids()
        # the batches committed before the death are there, indexed, and nothing else
        kept = archive.count()
        assert kept % 50 == 0 and 100 <= kept < 2000
        assert archive.search(SearchQuery(text="Kherson")).total == kept
        assert archive.unindexed_count() == 0
        assert archive.check() == []
        [job] = archive.recent_jobs(1)
        assert job.state == "interrupted" and "exit code -9" in job.message

        report = archive.ingest_paths([jsonl])  # resumes after the last committed batch
        assert report.resumed_after == kept
        assert archive.count() == 2000
        assert archive.search(SearchQuery(text="Mykolaiv")).total == 2000
        assert archive.check() == []


def test_a_server_import_is_prepared_by_the_helper_and_indexed_by_its_worker(tmp_path):
    paths = _inputs(tmp_path / "in")
    with Archive(_settings(tmp_path / "a", 0), background=True) as archive:
        report = archive.ingest_paths(paths)
        assert archive.wait_searchable(30)
        assert archive.search(SearchQuery(text="Odesa")).total >= 1
        assert archive.indexed_count() == len(report.added) > 100
        assert archive.check() == []


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")  # a zombie nobody has reaped yet runs no more


def test_an_import_killed_midway_takes_its_helper_with_it_and_loses_nothing(tmp_path):
    jsonl = _dispatches(tmp_path / "many.jsonl", 3000)
    root = tmp_path / "a"
    env = {
        **os.environ,
        "ARCHIVE_PREPARE_PROCESS_MIN_BYTES": "0",
        "ARCHIVE_INDEX_BATCH_SIZE": "50",
    }
    command = [sys.executable, "-m", "archive", "--root", str(root), "ingest", str(jsonl)]
    cli = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        catalog = root / "uploads" / "catalog.sqlite3"
        deadline = time.monotonic() + 60
        helpers: list[int] = []
        while time.monotonic() < deadline:
            helpers = helpers or _helper_pids(cli.pid)
            if helpers and catalog.exists() and _count(catalog) >= 200:
                break
            time.sleep(0.02)
        assert helpers, "no helper process was started"
        os.kill(cli.pid, signal.SIGKILL)
        cli.wait()
    finally:
        if cli.poll() is None:
            cli.kill()
    deadline = time.monotonic() + 10
    while not _gone(helpers[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(helpers[0])

    settings = Settings(root=root, index_batch_size=50, rate_limits=NO_LIMITS)
    with Archive(settings) as archive:  # opening repairs: the unindexed rows are indexed
        kept = archive.count()
        assert kept % 50 == 0 and 200 <= kept < 3000
        assert archive.search(SearchQuery(text="Kherson")).total == kept
        assert archive.check() == []
        report = archive.ingest_paths([jsonl])
        # the job's count follows each batch's catalog commit: killed in between, it is a
        # batch behind, and that batch comes again as duplicates
        assert report.resumed_after in (kept, kept - 50)
        assert len(report.duplicates) == kept - report.resumed_after
        assert archive.count() == 3000 == archive.search(SearchQuery(text="Mykolaiv")).total
        assert archive.check() == []


def _count(catalog: Path) -> int:
    try:
        with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    except sqlite3.Error:
        return 0
