"""Real archives in temporary folders: a real catalog, real originals, a real Whoosh index."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from archive import Archive, Settings
from archive.search.index import Index
from archive.storage.catalog import Catalog
from archive.storage.originals import Store

# shared/ lies beside the repository, for developers and CI alike
SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLE = SHARED / "samples" / "partisans-winter-offensive.txt"
CORPORA = SHARED / "corpora" / "political-news"
DEMO_SAMPLE = (
    Path(__file__).resolve().parents[1] / "archive" / "demo" / "partisans-winter-offensive.txt"
)


@contextmanager
def parts(settings: Settings) -> Iterator[tuple[Store, Catalog, Index]]:
    """The archive's parts opened on their own, as the outside world (a crash, a disk, another
    process) would meet them: for tests that damage one to see the archive notice and repair."""
    catalog = Catalog(settings.catalog_path)
    index = Index(settings)
    try:
        yield Store(settings.originals_dir), catalog, index
    finally:
        index.close()
        catalog.close()


def sample_path() -> Path:
    """The sample article: from ../shared, else the copy shipped with the demo collection."""
    return SAMPLE if SAMPLE.exists() else DEMO_SAMPLE


def corpus_records(per_file: int = 8) -> list[dict]:
    """The first records of each corpus file: several languages, authors, dates and tags."""
    records: list[dict] = []
    for path in sorted(CORPORA.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for n, line in enumerate(f):
                if n >= per_file:
                    break
                records.append(json.loads(line))
    return records


# Tests send requests in bursts far beyond what a person or a script would; the rate limits have
# their own tests (test_web_security.py), so the shared fixtures switch them off.
NO_LIMITS = "off"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(root=tmp_path / "archive", index_batch_size=50, rate_limits=NO_LIMITS)


@pytest.fixture
def archive(settings: Settings) -> Iterator[Archive]:
    with Archive(settings) as opened:
        yield opened


@pytest.fixture(scope="session")
def _sample_archive_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample-archive")
    jsonl = root.parent / "records.jsonl"
    records = corpus_records()
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    with Archive(Settings(root=root, index_batch_size=50)) as archive:
        report = archive.ingest_paths([sample_path(), jsonl])
        assert not report.failed, report.failed
        assert len(report.added) == len(records) + 1
    return root


@pytest.fixture
def sample_archive(_sample_archive_template: Path, tmp_path: Path) -> Iterator[Archive]:
    """The sample article (document 1) plus 8 records of each corpus file, indexed."""
    root = tmp_path / "sample-archive"
    shutil.copytree(_sample_archive_template, root)
    with Archive(Settings(root=root, index_batch_size=50, rate_limits=NO_LIMITS)) as opened:
        yield opened


@pytest.fixture(scope="session")
def thousand_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1,000-document archive (AllSides articles) to copy: build once, use by copying."""
    root = tmp_path_factory.mktemp("thousand")
    source = root.parent / "thousand.jsonl"
    with gzip.open(CORPORA / "allsides_en.jsonl.gz", "rt", encoding="utf-8") as f:
        source.write_text("".join(next(f) for _ in range(1000)))
    with Archive(Settings(root=root)) as archive:
        report = archive.ingest_paths([source])
        assert len(report.added) == 1000, report.failed[:3]
    return root
