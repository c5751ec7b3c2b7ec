"""Archive: the one API the web app and the CLI share."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from archive import ingest
from archive.catalog import Catalog
from archive.config import Settings
from archive.errors import Duplicate
from archive.highlight import Highlighter
from archive.index import Index
from archive.models import Document, DocumentView, IngestReport, Overrides, Page, SearchQuery
from archive.query_syntax import parse
from archive.search import SearchEngine
from archive.store import Store, extension_for

# progress(done, total, label): total is None when unknown
Progress = Callable[[int, int | None, str], None]
# A bulk batch is committed (stored, catalogued, indexed) at this many bytes even if not full.
BATCH_BYTES = 64 * 1024 * 1024


class Archive:
    def __init__(self, settings: Settings, progress: Progress | None = None) -> None:
        """Open store, catalog and index under settings.root, and index what the index lacks.

        A crash between a catalog commit and an index commit, a missing or damaged index, or a
        schema change all end here: the unindexed rows are indexed before the archive serves.
        """
        self.settings = settings
        settings.uploads_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(settings.originals_dir)
        self.store.clean_partials()
        self.catalog = Catalog(settings.catalog_path)
        self.index = Index(settings)
        self.engine = SearchEngine(self.index, self.catalog.get_many)
        self._write_lock = threading.Lock()
        if self.index.fresh:
            self.catalog.mark_all_unindexed()
        self.index_pending(progress)
        self.index.finish_fill()

    def close(self) -> None:
        self.engine.close()
        self.index.close()
        self.catalog.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- ingest -------------------------------------------------------------------------------
    def add(self, data: bytes, filename: str, overrides: Overrides | None = None) -> Document:
        """Store, catalog and index one file; raises Duplicate, UnsupportedFormat, InvalidUpload."""
        prepared = ingest.prepare(data, filename, self.settings, overrides)
        [(doc_id, duplicate)] = ingest.commit([prepared], self.store, self.catalog)
        if duplicate:
            raise Duplicate(f"{filename} is already in the archive as document {doc_id}.", doc_id)
        self.index_pending()
        return self.catalog.get(doc_id)

    def ingest_paths(
        self,
        paths: Iterable[Path],
        overrides: Overrides | None = None,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Files, folders and JSONL(.gz) files, committed and indexed in batches."""
        report = IngestReport()
        batch: list[ingest.Prepared] = []
        size = 0
        items = ingest.iter_items(list(paths), self.settings, overrides)
        for seen, item in enumerate(items, 1):
            if item.prepared is None:
                report.failed.append((item.name, item.error or "refused"))
            else:
                batch.append(item.prepared)
                size += len(item.prepared.data)
                if len(batch) >= self.settings.index_batch_size or size >= BATCH_BYTES:
                    self._commit_batch(batch, report)
                    batch, size = [], 0
            if progress:
                progress(seen, None, item.name)
        self._commit_batch(batch, report)
        return report

    def _commit_batch(self, batch: Sequence[ingest.Prepared], report: IngestReport) -> None:
        for prepared, (doc_id, duplicate) in zip(
            batch, ingest.commit(batch, self.store, self.catalog), strict=True
        ):
            if duplicate:
                report.duplicates.append((prepared.name, doc_id))
            else:
                report.added.append(doc_id)
        self.index_pending()

    def index_pending(self, progress: Progress | None = None) -> int:
        """Index every unindexed catalog row, a batch per Whoosh commit; returns how many."""
        done = 0
        with self._write_lock:
            total = self.catalog.count_unindexed()
            while docs := self.catalog.unindexed(self.settings.index_batch_size):
                self.index.write(docs)
                self.catalog.mark_indexed([d.id for d in docs])
                done += len(docs)
                if progress:
                    progress(done, max(total, done), "indexing")
        if done:
            self.engine.changed()
        return done

    # --- reading ------------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> Page:
        return self.engine.search(query)

    def document(self, doc_id: int) -> Document:
        """Raises NotFound."""
        return self.catalog.get(doc_id)

    def document_view(self, doc_id: int, q: str = "") -> DocumentView:
        doc = self.catalog.get(doc_id)
        return Highlighter(parse(q) if q.strip() else None).view(doc, q)

    def original_path(self, doc_id: int) -> tuple[Path, str]:
        """The stored original and the download filename."""
        doc = self.catalog.get(doc_id)
        return self.store.path(doc.sha256, extension_for(doc.format)), doc.filename

    def is_empty(self) -> bool:
        return self.catalog.count() == 0

    def count(self) -> int:
        return self.catalog.count()

    # --- maintenance --------------------------------------------------------------------------
    def reindex(self, progress: Progress | None = None) -> int:
        """Rebuild the index from the catalog alone."""
        with self._write_lock:
            self.engine.close()
            self.index.clear()
            self.catalog.mark_all_unindexed()
        count = self.index_pending(progress)
        self.index.finish_fill()
        self.engine.changed()
        return count

    def check(self) -> list[str]:
        """What disagrees between originals, catalog and index; an empty list when all agree."""
        problems: list[str] = []
        known: set[str] = set()
        for doc in self.catalog.iter_documents():
            ext = extension_for(doc.format)
            known.add(doc.sha256)
            if not self.store.exists(doc.sha256, ext):
                problems.append(f"document {doc.id}: its original {doc.sha256}.{ext} is missing")
            elif not self.store.verify(doc.sha256, ext):
                problems.append(f"document {doc.id}: its original no longer matches its checksum")
        for sha, _ext, path in self.store.iter_files():
            if sha not in known:
                problems.append(f"orphan file {path.name}: no catalog row refers to it")
        catalog_ids = self.catalog.all_ids()
        indexed = self.index.indexed_ids()
        for doc_id in sorted(indexed - catalog_ids):
            problems.append(f"document {doc_id} is in the index but not in the catalog")
        for doc_id in sorted(catalog_ids - indexed):
            problems.append(f"document {doc_id} is in the catalog but not in the index")
        return problems
