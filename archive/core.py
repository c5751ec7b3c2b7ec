"""Archive: the one API the web app and the CLI share."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from archive import curation, ingest, integrity, jobs, prepare_process
from archive.accounts import Accounts
from archive.catalog import Catalog
from archive.config import Settings
from archive.curating import Curating
from archive.errors import Duplicate, IndexBusy, NotFound
from archive.index import Index
from archive.index_worker import IndexWorker
from archive.indexer import BackgroundIndexer, drain
from archive.models import (
    Document,
    DocumentView,
    FacetPage,
    FacetRequest,
    IngestReport,
    Overrides,
    Page,
    SearchQuery,
    SimilarDocument,
    Suggestion,
)
from archive.search import SearchEngine
from archive.store import Store, extension_for

# progress(done, total, label): total is None when unknown
Progress = Callable[[int, int | None, str], None]
# A bulk batch is committed (stored, catalogued, indexed) at this many bytes even if not full.
BATCH_BYTES = 64 * 1024 * 1024
# A report lists the first REPORTED failures and duplicates and counts the rest, and failures
# are recorded in the job every FAILURES_PER_UPDATE: a JSONL file of millions of bad or repeated
# lines (3 bytes each) must not be held in memory (a job itself keeps 200 reasons).
REPORTED = 10_000
FAILURES_PER_UPDATE = 1_000
SYSTEM = "system"
SIMILAR_LIMIT = 10


class Archive(Curating):
    def __init__(
        self, settings: Settings, progress: Progress | None = None, *, background: bool = False
    ) -> None:
        """Open store, catalog and index under settings.root, and index what the index lacks.

        A crash between a catalog commit and an index commit, a missing or damaged index, or a
        schema change all end here: the unindexed rows are indexed before this returns, or, with
        background=True (a server), by the indexing worker while searches answer IndexBusy
        until a rebuilt index is complete.
        """
        self.settings = settings
        settings.uploads_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(settings.originals_dir)
        self.store.clean_partials()
        self.catalog = Catalog(settings.catalog_path)
        self.swept = integrity.sweep_at_start(self)
        jobs.interrupt_orphans(self.catalog, settings.jobs_dir)
        self.accounts = Accounts(self.catalog, settings)
        self.index = Index(settings)
        self.engine = SearchEngine(self.index, self.catalog.get_many)
        self._write_lock = threading.Lock()
        self._indexer: BackgroundIndexer | None = None
        self._worker: IndexWorker | None = None
        if self.index.fresh:
            self.catalog.mark_all_unindexed()
        self.rebuilding = False
        if background:
            self.rebuilding = self.index.fresh and self.catalog.count_unindexed() > 0
            if not self.rebuilding:
                self.index.finish_fill()
            self.start_background_indexing()
        else:
            self.index_pending(progress)
            self.index.finish_fill()

    def close(self) -> None:
        if self._indexer is not None:
            self._indexer.stop(before_join=self._worker.close if self._worker else None)
        self.engine.close()
        self.index.close()
        self.catalog.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start_background_indexing(self) -> None:
        """Index in a worker process from now on (index_worker), driven by one thread here:
        writes return once the catalog has them, and wait_searchable() until the index does."""
        if self._indexer is None:
            self._worker = IndexWorker(self.settings)
            self._indexer = BackgroundIndexer(self._index_round)
            self._indexer.start()

    def _index_round(self) -> int:
        assert self._worker is not None
        done = self._worker.index_pending(fresh=self.index.fresh)
        if done:
            self.engine.changed()
        if self.rebuilding and self.catalog.count_unindexed() == 0:
            self.index.finish_fill()
            self.rebuilding = False
        return done

    def wait_searchable(self, timeout: float | None = None) -> bool:
        """Block until everything written before this call is in the index and seen by the next
        search; False if that took longer than timeout (Settings.index_wait_seconds)."""
        if self._indexer is None:
            return self.catalog.count_unindexed() == 0
        limit = self.settings.index_wait_seconds if timeout is None else timeout
        return self._indexer.wait(self._indexer.ticket(), limit)

    def _changed(self) -> None:
        if self._indexer is not None:
            self._indexer.poke()
        else:
            self.index_pending()

    # --- ingest -------------------------------------------------------------------------------
    def add(
        self,
        data: bytes,
        filename: str,
        overrides: Overrides | None = None,
        *,
        actor: str = SYSTEM,
        publish: bool = True,
    ) -> Document:
        """Store and catalog one file, published or as a draft awaiting confirmation.

        Raises Duplicate, TooLarge, UnsupportedFormat, InvalidUpload, BadRequest.
        """
        prepared = ingest.prepare(data, filename, self.settings, overrides)
        if not publish:
            prepared = replace(prepared, row=replace(prepared.row, status="draft"))
        [(doc_id, duplicate)] = ingest.commit([prepared], self.store, self.catalog)
        if duplicate:
            raise Duplicate(f"{filename} is already in the archive as document {doc_id}.", doc_id)
        with self.catalog.transaction() as conn:
            curation.record(conn, actor, "add", doc_id, {"filename": prepared.row.filename})
        self._changed()
        return self.catalog.get(doc_id)

    def ingest_paths(
        self,
        paths: Iterable[Path],
        overrides: Overrides | None = None,
        progress: Progress | None = None,
        *,
        actor: str = SYSTEM,
        resume: bool = True,
        job: jobs.Job | None = None,
    ) -> IngestReport:
        """Files, folders, zip and JSONL(.gz) files, committed and indexed in batches.

        The run is a job in the catalog; a run over the same paths that was cut short resumes
        after the last committed batch instead of starting again.
        """
        paths = [Path(p) for p in paths]
        source = "\n".join(str(p.resolve()) for p in paths)
        previous = jobs.resumable(self.catalog, source) if resume and job is None else None
        skip = previous.done if previous else 0
        job = job or previous or jobs.create(self.catalog, "import", source, actor)
        report = IngestReport()
        # each document with its index fields, when its helper built them
        batch: list[tuple[ingest.Prepared, dict[str, object] | None]] = []
        failed: list[tuple[str, str]] = []
        size = 0
        seen = 0
        counts = [job.added if previous else 0, job.duplicates if previous else 0]
        with jobs.running(self.settings.jobs_dir, job.id):
            try:
                for seen, ready in enumerate(self._ready_items(paths, overrides, skip), skip + 1):
                    item = ready.item
                    if item.prepared is None:
                        failed.append((item.name, item.error or "refused"))
                    else:
                        batch.append((item.prepared, ready.fields))
                        size += len(item.prepared.data)
                    if (
                        len(batch) >= self.settings.index_batch_size
                        or size >= BATCH_BYTES
                        or len(failed) >= FAILURES_PER_UPDATE
                    ):
                        self._commit_batch(batch, report, counts, actor)
                        jobs.progress(self.catalog, job.id, seen, *counts, failed)
                        report.more_failed += _list_some(report.failed, failed)
                        batch, failed, size = [], [], 0
                    if progress:
                        progress(seen - skip, None, item.name)
                self._commit_batch(batch, report, counts, actor)
                report.more_failed += _list_some(report.failed, failed)
                jobs.progress(self.catalog, job.id, max(seen, skip), *counts, failed, seen, "done")
            except BaseException as exc:
                jobs.interrupt(self.catalog, job.id, f"{type(exc).__name__}: {exc}")
                raise
        report.job_id = job.id
        report.resumed_after = skip
        return report

    def _ready_items(
        self, paths: list[Path], overrides: Overrides | None, skip: int
    ) -> Iterator[prepare_process.Ready]:
        """The documents under paths, prepared in a helper process when there are enough of
        them; with their index fields when this process indexes (no server worker)."""
        if prepare_process.worthwhile(paths, self.settings):
            variants = self.index.variants if self._indexer is None else None
            return prepare_process.iter_ready(paths, self.settings, overrides, skip, variants)
        items = ingest.iter_items(paths, self.settings, overrides, skip=skip)
        return (prepare_process.Ready(item) for item in items)

    def _commit_batch(
        self,
        batch: Sequence[tuple[ingest.Prepared, dict[str, object] | None]],
        report: IngestReport,
        counts: list[int],
        actor: str,
    ) -> None:
        if not batch:
            return
        results = ingest.commit([prepared for prepared, _ in batch], self.store, self.catalog)
        for (prepared, _), (doc_id, duplicate) in zip(batch, results, strict=True):
            if duplicate:
                report.more_duplicates += _list_some(report.duplicates, [(prepared.name, doc_id)])
                counts[1] += 1
            else:
                report.added.append(doc_id)
                counts[0] += 1
        added = [
            (doc_id, fields)
            for (_, fields), (doc_id, duplicate) in zip(batch, results, strict=True)
            if not duplicate and fields is not None
        ]
        if added and self._indexer is None:
            self._index_added(added)
        self._changed()

    def _index_added(self, added: Sequence[tuple[int, dict[str, object]]]) -> None:
        """Index documents just catalogued from the fields their helper built (the catalog rows
        need not be read back); whatever else is unindexed is left to index_pending."""
        with self._write_lock:
            self.index.write_fields(added)
            self.catalog.mark_indexed([doc_id for doc_id, _ in added], as_added=True)
        self.engine.changed()

    def index_pending(self, progress: Progress | None = None) -> int:
        """Index every unindexed catalog row here, a batch per Whoosh commit; returns how many.

        Only published documents are in the index: drafts and trashed ones are taken out.
        """
        with self._write_lock:
            done = drain(self.catalog, self.index, self.settings.index_batch_size, progress)
        if done:
            self.engine.changed()
        return done

    # --- reading ------------------------------------------------------------------------------
    def search(self, query: SearchQuery, expand: FacetRequest | None = None) -> Page:
        """A page of results; with expand, also the page of that facet's values a reader asked
        for (typed text, "more") as Page.expanded."""
        if self.rebuilding:
            left = self.catalog.count_unindexed()
            raise IndexBusy(
                f"The search index is being rebuilt from the catalog ({left:,} documents to go);"
                " try again in a moment."
            )
        page = self.engine.search(query)
        if expand is None:
            return page
        more = self.facet_values(query, expand.facet, expand.match, expand.page)
        return replace(page, expanded=more)

    def document(self, doc_id: int, *, hidden: bool = False) -> Document:
        """A published document (or any, with hidden=True); raises NotFound."""
        doc = self.catalog.get(doc_id)
        if doc.status != "published" and not hidden:
            raise NotFound(f"there is no document {doc_id}")
        return doc

    def document_view(self, doc_id: int, q: str = "", *, hidden: bool = False) -> DocumentView:
        doc = self.document(doc_id, hidden=hidden)
        view = self.engine.highlighter(q).view(doc, q)
        return replace(view, similar=self.engine.similar(doc, SIMILAR_LIMIT))

    def facet_values(
        self, query: SearchQuery, facet: str, match: str = "", page: int = 1, per_page: int = 30
    ) -> FacetPage:
        """A page of one facet's values under a search, filtered by typed text; NotFound for
        a facet that does not exist."""
        return self.engine.facet_page(query, facet, match, page, per_page)

    def suggest(self, text: str, limit: int = 8) -> list[Suggestion]:
        """Autocomplete for the query box: names, frequent words and titles starting so."""
        return self.engine.complete(text, limit, self._published_titles)

    def similar(self, doc_id: int, limit: int = SIMILAR_LIMIT) -> tuple[SimilarDocument, ...]:
        """More like this: the documents sharing most of this one's key terms, best first."""
        return self.engine.similar(self.document(doc_id), limit)

    def _published_titles(self) -> list[tuple[int, str]]:
        return self.catalog.query("SELECT id, title FROM documents WHERE status = 'published'")

    def original_path(self, doc_id: int, *, hidden: bool = False) -> tuple[Path, str]:
        """The stored original and the download filename."""
        doc = self.document(doc_id, hidden=hidden)
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

    def check(self, repair: bool = False, source: Path | None = None) -> list[integrity.Problem]:
        """What disagrees between originals, catalog and index (and, with repair, what was done
        about it); an empty list when all agree."""
        problems = integrity.find(self)
        return integrity.repair(self, problems, source) if repair and problems else problems


def _list_some(listed: list, new: Sequence) -> int:
    """Append what fits under REPORTED items; returns how many did not fit."""
    room = max(0, REPORTED - len(listed))
    listed.extend(new[:room])
    return max(0, len(new) - room)
