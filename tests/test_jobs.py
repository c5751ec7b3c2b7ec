"""Bulk imports: zips, progress in the catalog, and resuming an interrupted run."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile

import pytest

from archive import Archive
from archive.errors import BadRequest
from archive.models import SearchQuery

from .conftest import corpus_records, sample_path


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def test_a_zip_of_articles_is_imported_and_reported(archive, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a/sample.txt", sample_path().read_bytes())
        z.writestr("b/note.md", "# A note\n\nAbout the Dnipro river.\n")
        z.writestr("c/picture.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
        z.writestr("__MACOSX/._sample.txt", b"junk")
    (tmp_path / "bulk.zip").write_bytes(buffer.getvalue())
    report = archive.ingest_paths([tmp_path / "bulk.zip"])
    assert len(report.added) == 2
    assert len(report.failed) == 1 and "picture.png" in report.failed[0][0]
    job = archive.job(report.job_id)
    assert (job.state, job.done, job.added, job.failed) == ("done", 3, 2, 1)
    assert archive.search(SearchQuery(text="Dnipro")).total == 1


def test_a_file_sent_over_the_web_is_kept_then_imported_by_a_job(archive):
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus_records(2)).encode()
    saved = archive.save_import(io.BytesIO(data), "news/../records 1.jsonl")
    again = archive.save_import(io.BytesIO(data), "news/../records 1.jsonl")
    assert saved != again and saved.read_bytes() == again.read_bytes() == data
    assert saved.parent == archive.settings.uploads_dir / "imports"
    assert saved.name.endswith("-records 1.jsonl")  # the one cleaner: no folders, ever
    assert [p.name for p in saved.parent.iterdir() if p.name.startswith(".")] == []
    started = archive.start_import(saved, actor="ann")
    assert (started.state, started.actor) == ("running", "ann")
    deadline = time.monotonic() + 60
    while not (job := archive.job(started.id)).finished and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (job.state, job.added) == ("done", len(corpus_records(2)))
    assert job.name == "records 1.jsonl" and job.saved_as == str(saved)


def test_a_zip_bomb_is_refused(archive, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.txt", b"0" * 20_000_000)
    (tmp_path / "bomb.zip").write_bytes(buffer.getvalue())
    report = archive.ingest_paths([tmp_path / "bomb.zip"])
    assert not report.added and "zip bomb" in report.failed[0][1]


class Stop(Exception):
    pass


def test_an_interrupted_import_resumes_after_its_last_batch(settings, tmp_path):
    records = corpus_records(40)
    source = tmp_path / "records.jsonl"
    write_jsonl(source, records)
    calls = 0

    def stop_midway(done, total, name):
        nonlocal calls
        calls += 1
        if calls == 130:
            raise Stop

    with Archive(settings) as archive:  # batches of 50
        with pytest.raises(Stop):
            archive.ingest_paths([source], progress=stop_midway)
        [job] = archive.recent_jobs()
        assert job.state == "interrupted" and job.done == 100 and job.added == 100
        assert archive.count() == 100

    with Archive(settings) as archive:
        seen = []
        report = archive.ingest_paths([source], progress=lambda d, t, n: seen.append(n))
        assert report.resumed_after == 100 and report.job_id == job.id
        assert len(seen) == len(records) - 100  # the done ones are not read again
        assert not report.duplicates and len(report.added) == len(records) - 100
        assert archive.count() == len(records)
        finished = archive.job(job.id)
        assert (finished.state, finished.done, finished.added) == ("done", 60, 60) or (
            finished.state == "done" and finished.added == len(records)
        )
        # a finished import starts afresh: everything is now a duplicate
        again = archive.ingest_paths([source])
        assert len(again.duplicates) == len(records) and again.job_id != job.id


def test_background_indexing_makes_uploads_searchable(settings):
    import time

    with Archive(settings) as archive:
        archive.start_background_indexing()
        doc = archive.add(sample_path().read_bytes(), "s.txt")
        deadline = time.monotonic() + 5
        while archive.search(SearchQuery(text="Bakhmut")).total == 0:
            assert time.monotonic() < deadline, "not searchable within 5 s"
            time.sleep(0.05)
        assert archive.search(SearchQuery(text="Bakhmut")).hits[0].id == doc.id


IMPORTER = """
import sys
from pathlib import Path
from archive import Archive, Settings
archive = Archive(Settings(root=Path(sys.argv[1])))
def stop_here(done, total, name):
    if done == 3:
        print("importing", flush=True)
        sys.stdin.readline()  # killed while waiting here
archive.ingest_paths([Path(sys.argv[2])], progress=stop_here)
"""


def test_a_job_whose_process_died_is_marked_interrupted_at_the_next_start(settings, tmp_path):
    """An import cut off by a kill or a restart (no exception to record it) does not stay
    "running" forever; one that is really running in another process is left alone."""
    sources = [tmp_path / "first.jsonl", tmp_path / "second.jsonl"]
    records = corpus_records(4)
    write_jsonl(sources[0], records[:4])
    write_jsonl(sources[1], records[4:8])
    Archive(settings).close()
    importers = [
        subprocess.Popen(
            [sys.executable, "-c", IMPORTER, str(settings.root), str(source)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        for source in sources
    ]
    try:
        for importer in importers:
            assert importer.stdout.readline() == b"importing\n"
        importers[0].kill()
        importers[0].wait(10)
        with Archive(settings) as archive:
            jobs = {job.id: job for job in archive.recent_jobs()}
            assert sorted(job.state for job in jobs.values()) == ["interrupted", "running"]
            [dead] = [job for job in jobs.values() if job.state == "interrupted"]
            assert "process running it ended" in dead.message
            # the live one cannot be resumed a second time beside itself
            with pytest.raises(BadRequest, match="running in another process"):
                archive.ingest_paths([sources[1]])
    finally:
        for importer in importers:
            importer.kill()
