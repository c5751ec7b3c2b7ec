"""The Archive end to end on real parts: ingest, duplicates, crash recovery, rebuilds, checks."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from archive import Archive, Settings
from archive.errors import Duplicate, NotFound, UnsupportedFormat
from archive.models import Overrides, SearchQuery
from archive.search.compile import weighting
from archive.search.index import VERSION_FILE

from .conftest import corpus_records, parts, sample_path

REPO = Path(__file__).resolve().parents[1]


def ids_for(archive: Archive, text: str) -> set[int]:
    return {h.id for h in archive.search(SearchQuery(text=text, per_page=100)).hits}


def test_the_sample_article(archive):
    doc = archive.add(sample_path().read_bytes(), "partisans-winter-offensive.txt")
    m = doc.metadata
    assert m.authors == ("La Marx International",)
    assert m.date == "2023-06-11" and m.date_ambiguous
    assert m.date_readings == ("2023-06-11", "2023-11-06")
    assert m.language == "en"
    kinds = {b.kind for b in doc.blocks}
    assert {"heading", "paragraph", "caption"} <= kinds
    assert any(b.text.startswith("Bakhmut: A giant graveyard") for b in doc.blocks)
    assert ids_for(archive, "Bakhmut Wagner") == {doc.id}


def test_each_format_is_ingested_and_searchable(archive, tmp_path):
    files = {
        "note.txt": b"Plain text about the harbour of Odesa.\n\nSecond paragraph.",
        "note.md": b"# Markdown heading\n\nA paragraph about the Danube delta.\n",
        "page.html": (
            b"<html lang='en'><head><title>Html page</title></head><body><article>"
            b"<h1>Html page</h1><p>A paragraph about the Carpathian mountains.</p>"
            b"</article></body></html>"
        ),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    records = corpus_records(2)[:4]
    with gzip.open(tmp_path / "records.jsonl.gz", "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    report = archive.ingest_paths([tmp_path])
    assert not report.failed and len(report.added) == 3 + len(records)
    formats = {archive.document(i).format for i in report.added}
    assert formats == {"txt", "md", "html", "json"}
    assert (
        ids_for(archive, "Odesa") and ids_for(archive, "Danube") and ids_for(archive, "Carpathian")
    )
    by_source = {archive.document(i).source_id: archive.document(i) for i in report.added}
    for record in records:
        doc = by_source[record["id"]]
        assert doc.metadata.title == record["title"]
        assert doc.metadata.language == record["language"]
        assert doc.metadata.date == record["date"]


def test_the_same_bytes_twice_are_a_duplicate(archive, tmp_path):
    data = sample_path().read_bytes()
    first = archive.add(data, "a.txt")
    with pytest.raises(Duplicate) as caught:
        archive.add(data, "renamed.txt")
    assert caught.value.existing_id == first.id and caught.value.status == 409
    (tmp_path / "again.txt").write_bytes(data)
    report = archive.ingest_paths([tmp_path / "again.txt"])
    assert report.duplicates == [(str(tmp_path / "again.txt"), first.id)]
    assert archive.count() == 1


def test_archivist_metadata_wins(archive):
    doc = archive.add(
        sample_path().read_bytes(),
        "x.txt",
        Overrides(title="Partisans", authors=("A. Writer",), date="2023-06-06", tags=("war",)),
    )
    m = doc.metadata
    assert (m.title, m.authors, m.date, m.date_ambiguous, m.tags) == (
        "Partisans", ("A. Writer",), "2023-06-06", False, ("war",)
    )  # fmt: skip
    assert ids_for(archive, "author:writer") == {doc.id}


def test_a_type_we_do_not_take_is_refused_by_content(archive, tmp_path):
    gif = b"GIF89a" + b"\x00" * 64  # (PNG, JPEG and TIFF are read by OCR: tests/test_ocr.py)
    with pytest.raises(UnsupportedFormat, match="photo.txt"):
        archive.add(gif, "photo.txt")
    (tmp_path / "photo.txt").write_bytes(gif)
    report = archive.ingest_paths([tmp_path / "photo.txt"])
    assert len(report.failed) == 1 and "photo.txt" in report.failed[0][1]
    assert archive.count() == 0 and not list(archive.settings.originals_dir.glob("*/*"))


def _run_and_kill(root: Path, script: str) -> None:
    """Run script in a fresh interpreter that SIGKILLs itself at the point it chooses."""
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        from pathlib import Path
        from archive import Archive, Settings
        from archive.core.imports import commit
        from archive.ingest import pipeline
        from archive.search.index import Index
        from archive.storage.catalog import Catalog
        from archive.storage.originals import Store
        settings = Settings(root=Path({str(root)!r}))
        Archive(settings).close()  # an archive made; what follows happens to its parts
        store, catalog = Store(settings.originals_dir), Catalog(settings.catalog_path)
        """
    ) + textwrap.dedent(script)
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, timeout=60)
    assert proc.returncode == -9, proc.stderr.decode()


def test_a_crash_between_catalog_and_index_commit_is_repaired_at_start(tmp_path):
    root = tmp_path / "crash"
    _run_and_kill(
        root,
        f"""
        prepared = pipeline.prepare(Path({str(sample_path())!r}).read_bytes(), "s.txt", settings)
        commit([prepared], store, catalog)  # acknowledged from here on
        os.kill(os.getpid(), signal.SIGKILL)
        """,
    )
    with Archive(Settings(root=root)) as archive:
        assert archive.count() == 1
        assert ids_for(archive, "Bakhmut") == {1}
        assert archive.check() == []


def test_a_crash_after_the_index_commit_does_not_index_twice(tmp_path):
    root = tmp_path / "crash2"
    _run_and_kill(
        root,
        f"""
        prepared = pipeline.prepare(Path({str(sample_path())!r}).read_bytes(), "s.txt", settings)
        commit([prepared], store, catalog)
        Index(settings).write(catalog.unindexed(10))  # committed, but never marked
        os.kill(os.getpid(), signal.SIGKILL)
        """,
    )
    with Archive(Settings(root=root)) as archive:
        assert archive.indexed_count() == 1
        assert archive.search(SearchQuery(text="Bakhmut")).total == 1


def test_reindex_and_a_schema_change_rebuild_from_the_catalog(sample_archive):
    before = ids_for(sample_archive, "Bakhmut OR Ukraine")
    count = sample_archive.count()
    assert sample_archive.reindex() == count
    assert ids_for(sample_archive, "Bakhmut OR Ukraine") == before
    settings = sample_archive.settings
    sample_archive.close()
    (settings.index_dir / VERSION_FILE).write_text("0\n")
    with Archive(settings) as reopened:
        assert reopened.indexed_count() == count
        assert ids_for(reopened, "Bakhmut OR Ukraine") == before


def test_a_damaged_or_missing_index_is_rebuilt(sample_archive):
    settings, count = sample_archive.settings, sample_archive.count()
    sample_archive.close()
    for path in settings.index_dir.glob("*.toc"):
        path.write_bytes(b"garbage")
    with Archive(settings) as reopened:
        assert reopened.indexed_count() == count
    for path in settings.index_dir.iterdir():
        if path.is_file():  # index/facets/ holds the segments' facet arrays: left, and pruned
            path.unlink()
    with Archive(settings) as reopened:
        assert reopened.search(SearchQuery()).total == count
    kept = {p.stem for p in (settings.index_dir / "facets").glob("*.npz")}
    with parts(settings) as (_, _, index), index.searcher(weighting()) as searcher:
        assert kept == {leaf.segment().segment_id() for leaf, _ in searcher.reader().leaf_readers()}


def test_check_finds_what_drifted(sample_archive):
    assert sample_archive.check() == []
    doc = sample_archive.document(2)
    path, _ = sample_archive.original_path(2)
    path.unlink()
    with parts(sample_archive.settings) as (store, _, _):
        orphan = store.put(b"nobody refers to me", "txt")
    problems = [str(p) for p in sample_archive.check()]
    assert any(f"document {doc.id}" in p and "missing" in p for p in problems)
    assert any(orphan in p for p in problems)
    assert len(problems) == 2


def test_unknown_documents_are_not_found(archive):
    with pytest.raises(NotFound):
        archive.document(999)
    with pytest.raises(NotFound):
        archive.document_view(999, "x")


def test_document_view_marks_every_hit_with_anchors(sample_archive):
    view = sample_archive.document_view(1, "Putin")
    assert len(view.passages) >= 3
    marked = sum(b.hits for b in view.blocks)
    assert marked >= len(view.passages)
    html = "".join(b.html for b in view.blocks)
    assert html.count("<mark") == marked
    assert 'id="hit-0"' in html and f'id="hit-{marked - 1}"' in html
    assert any(p.heading for p in view.passages)
    assert view.outline and all(
        view.document.blocks[i].kind == "heading" for i, _, _ in view.outline
    )


def test_whoosh_is_the_pinned_fork():
    import whoosh

    assert whoosh.versionstring() == "2.7.5"
    assert os.path.basename(os.path.dirname(whoosh.__file__)) == "whoosh"


def test_a_server_answers_busy_while_it_rebuilds_then_serves(sample_archive):
    import time

    from archive.errors import IndexBusy

    settings, count = sample_archive.settings, sample_archive.count()
    sample_archive.close()
    for path in settings.index_dir.glob("*.toc"):
        path.write_bytes(b"")  # a truncated table of contents
    # a few documents per commit: the rebuild takes long enough to be seen
    with Archive(settings.with_(index_batch_size=4), background=True) as archive:
        assert archive.rebuilding
        with pytest.raises(IndexBusy, match="being rebuilt") as busy:
            archive.search(SearchQuery(text="Bakhmut"))
        assert busy.value.status == 503
        deadline = time.monotonic() + 30
        while archive.rebuilding:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert archive.search(SearchQuery()).total == count
        assert ids_for(archive, "Bakhmut")
