"""Archive: the one API the web app and the CLI share."""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from archive.accounts import Accounts
from archive.config import Settings
from archive.core import (
    bulk,
    citations,
    imports,
    integrity,
    passages,
    prepare,
    references,
    transfer,
    translations,
    warmup,
)
from archive.core import copies as grouping
from archive.core import ocr as scans
from archive.core.finder import SIMILAR_LIMIT, Finder, visible
from archive.core.imports import Progress
from archive.core.indexing import BackgroundIndexer, drain, refill
from archive.core.searchers import SearchPool
from archive.core.worker import IndexWorker
from archive.errors import BadQuery, BadRequest, Duplicate, IndexBusy, NotFound
from archive.ingest import metadata, pipeline, sources
from archive.ingest.extract import txt
from archive.ingest.filenames import safe_filename
from archive.models import (
    EDITABLE_STATUSES,
    AuditEntry,
    Copy,
    Document,
    DocumentView,
    Draft,
    FacetPage,
    FacetRequest,
    HarvestFacts,
    HarvestQuery,
    HarvestRecord,
    HarvestSlice,
    IngestReport,
    Job,
    NewSession,
    NewToken,
    Overrides,
    Page,
    SearchExport,
    SearchQuery,
    Session,
    SimilarDocument,
    Suggestion,
    Token,
    User,
    apart,
)
from archive.search.bulk import BulkWriter
from archive.search.engine import SearchEngine
from archive.search.index import Index
from archive.storage import audit, harvest, import_files, jobs
from archive.storage.catalog import Catalog
from archive.storage.originals import Store, extension_for

SYSTEM = "system"
EXPORT_BATCH = 500  # catalog rows read at a time by export_search


class Archive:
    def __init__(
        self,
        settings: Settings,
        progress: Progress | None = None,
        *,
        background: bool = False,
        index_now: bool = True,
    ) -> None:
        """Open store, catalog and index under settings.root, and index what the index lacks.

        A crash between a catalog commit and an index commit, a missing or damaged index, or a
        schema change all end here: the unindexed rows are indexed before this returns, or, with
        background=True (a server), by the indexing worker while searches answer IndexBusy
        until a rebuilt index is complete. index_now=False leaves them to the caller's
        reindex(): an outdated index is then rebuilt once, not on opening and again.
        """
        self.settings = settings
        self._store = Store(settings.originals_dir)
        self._store.clean_partials()
        self._catalog = Catalog(settings.catalog_path)
        self._index = Index(settings)
        self._engine = SearchEngine(self._index, self._catalog.get_many)
        # searches: here, or (a server with Settings.search_processes) in search processes,
        # started first: a process opening a large index (~1 s at 100k) is what a server's
        # first answer waits for, and the start-up sweep below (a listing of every original)
        # and the server's own start go on meanwhile
        self._finder: Finder | SearchPool = Finder(self._engine, self._catalog)
        if background and settings.search_processes > 0:
            self._finder = SearchPool(settings, settings.search_processes)
        self.swept = integrity.sweep_at_start(self._catalog, self._store, self._quarantine_dir)
        jobs.interrupt_orphans(self._catalog, settings.jobs_dir)
        self._accounts = Accounts(self._catalog, settings)
        self._write_lock = threading.Lock()
        self._indexer: BackgroundIndexer | None = None
        self._worker: IndexWorker | None = None
        if self._index.fresh:
            self._catalog.mark_all_unindexed()
        self.rebuilding = False
        if background:
            self.rebuilding = self._index.fresh and self._catalog.count_unindexed() > 0
            if not self.rebuilding:
                self._index.finish_fill()
            self.start_background_indexing()
        elif index_now:  # (index_now=False: the caller rebuilds the index next: `reindex`)
            if self._index.fresh:  # a missing or outdated index: rebuilt in large segments
                with self._write_lock:  # by one writer (no process forked while opening)
                    self._refill(progress, procs=1)
            self.index_pending(progress)
            self._index.finish_fill()

    def close(self) -> None:
        if self._indexer is not None:
            self._indexer.stop(before_join=self._worker.close if self._worker else None)
        self._finder.close()
        self._engine.close()
        self._index.close()
        self._catalog.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start_background_indexing(self) -> None:
        """Index in a worker process from now on (core/worker.py), driven by one thread here:
        writes return once the catalog has them, and wait_searchable() until the index does."""
        if self._indexer is None:
            self._worker = IndexWorker(self.settings)
            wanted = self.settings.search_processes

            def searches_ready() -> bool:
                # a rebuild needs its rounds at once
                return self.rebuilding or len(self.search_processes) >= wanted

            # a server that searches itself opens its searcher before its first reader comes
            warm = None if wanted or self.rebuilding else self._engine.warm
            self._indexer = BackgroundIndexer(
                self._index_round,
                self.settings.index_round_seconds,
                warmup.worker_starter(self._worker, searches_ready, warm),
            )
            self._indexer.start()

    @property
    def index_worker(self) -> IndexWorker | None:
        """The server's index worker (background indexing only): its pid and exit code."""
        return self._worker

    @property
    def search_processes(self) -> list[int]:
        """The pids of a server's search processes (Settings.search_processes); [] when this
        process searches itself."""
        return self._finder.pids if isinstance(self._finder, SearchPool) else []

    def _index_round(self) -> int:
        assert self._worker is not None
        done = self._worker.index_pending(fresh=self._index.fresh)
        if done:  # before the round counts as done: searches sent after its writes' answers see it
            self._finder.changed()
        if self.rebuilding and self._catalog.count_unindexed() == 0:
            self._index.finish_fill()
            self.rebuilding = False
        return done

    def wait_searchable(self, timeout: float | None = None) -> bool:
        """Block until everything written before this call is in the index and seen by the next
        search; False if that took longer than timeout (Settings.index_wait_seconds)."""
        if self._indexer is None:
            return self._catalog.count_unindexed() == 0
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
        prepared = pipeline.prepare(data, filename, self.settings, overrides)
        if not publish:
            prepared = replace(prepared, row=pipeline.with_status(prepared.row, publish=False))
        [(doc_id, duplicate)] = imports.commit(
            [prepared], self._store, self._catalog, self.settings.variants_path
        )
        if duplicate:
            raise Duplicate(f"{filename} is already in the archive as document {doc_id}.", doc_id)
        with self._catalog.transaction() as conn:
            audit.record(conn, actor, "add", doc_id, {"filename": prepared.row.filename})
        self._changed()
        return self._catalog.get(doc_id)

    def ingest_paths(
        self,
        paths: Iterable[Path],
        overrides: Overrides | None = None,
        progress: Progress | None = None,
        *,
        actor: str = SYSTEM,
        resume: bool = True,
        job: Job | None = None,
        demo: bool = False,
    ) -> IngestReport:
        """Files, folders, zip and JSONL(.gz) files, committed and indexed in batches.

        The run is a job in the catalog; a run over the same paths that was cut short resumes
        after the last committed batch instead of starting again (core/imports.py). `demo`:
        the demo collection, loaded by `serve --demo`, which recent_jobs leaves out.
        """
        kind = jobs.DEMO if demo else jobs.IMPORT
        # the segments' facet arrays are saved once, when the import is done (Index.bulk)
        with self._index.bulk():
            return self._ingest_paths(list(paths), overrides, progress, actor, resume, job, kind)

    def _ingest_paths(
        self,
        paths: list[Path],
        overrides: Overrides | None,
        progress: Progress | None,
        actor: str,
        resume: bool,
        job: Job | None,
        kind: str,
    ) -> IngestReport:
        if self._indexer is not None or not prepare.worthwhile(paths, self.settings):
            # a server's import is "done" once its index rounds have its documents
            settle = self.wait_searchable if self._indexer is not None else None
            return imports.run(
                paths, self.settings, self._store, self._catalog, self._ready_items,
                self._committed, overrides, progress, actor=actor, resume=resume, job=job,
                kind=kind, settle=settle,
            )  # fmt: skip
        # a large import here (the CLI): one index writer for the whole run, committed in a
        # few large segments (search/bulk.py), the rest (drafts) indexed after it
        with self._write_lock:
            bulk = BulkWriter(
                self._index, self._bulk_committed, procs=self.settings.bulk_index_procs
            )
            try:
                report = imports.run(
                    paths, self.settings, self._store, self._catalog, self._ready_items,
                    bulk.add, overrides, progress, actor=actor, resume=resume, job=job,
                    kind=kind,
                )  # fmt: skip
            except Exception:
                bulk.finish()  # what the catalog has is acknowledged: make it searchable
                raise
            except BaseException:
                bulk.cancel()  # ^C: left unindexed, indexed at the next start
                raise
            bulk.finish()
        self.index_pending()
        return report

    def _ready_items(
        self, paths: list[Path], overrides: Overrides | None, skip: int
    ) -> Iterator[prepare.Ready]:
        """The documents under paths, prepared in a helper process when there are enough of
        them; with their index fields when this process indexes (no server worker)."""
        if prepare.worthwhile(paths, self.settings):
            variants = self._index.variants if self._indexer is None else None
            return prepare.iter_ready(paths, self.settings, overrides, skip, variants)
        items = sources.iter_items(paths, self.settings, overrides, skip=skip)
        return (prepare.Ready(item) for item in items)

    def _committed(self, added: list[tuple[int, dict[str, object]]]) -> None:
        """After a bulk batch's commit: index here what came with its fields (the CLI), and let
        the server's worker, or index_pending, take the rest."""
        if added and self._indexer is None:
            self._index_added(added)
        self._changed()

    def _bulk_committed(self, ids: list[int]) -> None:
        self._catalog.mark_indexed(ids, as_added=True)
        self._engine.changed()

    def _index_added(self, added: Sequence[tuple[int, dict[str, object]]]) -> None:
        """Index documents just catalogued from the fields their helper built (the catalog rows
        need not be read back); whatever else is unindexed is left to index_pending."""
        with self._write_lock:
            self._index.write_fields(added)
            self._catalog.mark_indexed([doc_id for doc_id, _ in added], as_added=True)
        self._finder.changed()

    def index_pending(self, progress: Progress | None = None) -> int:
        """Index every unindexed catalog row here, a batch per Whoosh commit; returns how many.

        Only published documents are in the index: drafts and trashed ones are taken out.
        """
        with self._write_lock, self._index.bulk():
            done = drain(self._catalog, self._index, self.settings.index_batch_size, progress)
        if done:
            self._finder.changed()
        return done

    # --- reading ------------------------------------------------------------------------------
    def search(self, query: SearchQuery, expand: FacetRequest | None = None) -> Page:
        """A page of results; with expand, also the page of that facet's values a reader asked
        for (typed text, "more") as Page.expanded. Each hit carries its copies; with collapse,
        a copy ranked below another of its group on the page is folded into that one (unless
        query.collapse is False)."""
        self._check_searchable()
        return self._finder.search(query, expand)

    def copies(self, doc_id: int, *, hidden: bool = False) -> tuple[Copy, ...]:
        """The other copies of a document's text (reprints, other formats) that the reader may
        see; raises NotFound when the document itself is not visible."""
        visible(self._catalog, doc_id, hidden)
        return grouping.of(self._catalog, doc_id, hidden=hidden)

    def join_copies(self, doc_id: int, other: int, *, actor: str) -> tuple[Copy, ...]:
        """An archivist's decision that two documents are copies of one text, or one the
        translation of the other (audited): one group."""
        grouping.decide(self._catalog, doc_id, other, "join", actor=actor)
        return grouping.of(self._catalog, doc_id, hidden=True)

    def split_copy(self, doc_id: int, other: int, *, actor: str) -> tuple[Copy, ...]:
        """An archivist's decision that doc_id is neither a copy nor a translation of other's
        group (audited)."""
        grouping.decide(self._catalog, doc_id, other, "split", actor=actor)
        return grouping.of(self._catalog, doc_id, hidden=True)

    def search_page(self, query: SearchQuery, expand: FacetRequest | None = None) -> Page:
        """search() for the search page: a query the reader must correct (title:( ) comes back
        as a Page with no hits whose `refusal` holds the message, and with the facets of its
        filters alone, so that the page keeps the box with the query, the filters and the message
        above them (scripts get the BadQuery from search() itself, as JSON)."""
        try:
            return self.search(query, expand)
        except BadQuery as refused:
            plain = self.search(replace(query, text=""), expand)
            return replace(
                plain,
                query=query,
                total=0,
                hits=(),
                suggestion=None,
                timeline=(),
                refusal=refused.message,
            )

    def _check_searchable(self) -> None:
        if self.rebuilding:
            left = self._catalog.count_unindexed()
            raise IndexBusy(
                f"The search index is being rebuilt from the catalog ({left:,} documents to go);"
                " try again in a moment."
            )

    def document(self, doc_id: int, *, hidden: bool = False) -> Document:
        """A published document (or any, with hidden=True); raises NotFound."""
        return visible(self._catalog, doc_id, hidden)

    def document_view(self, doc_id: int, q: str = "", *, hidden: bool = False) -> DocumentView:
        """The document's passages with the query's highlights, similar documents and its
        copies."""
        view = self._finder.document_view(doc_id, q, hidden)
        members = grouping.of(self._catalog, doc_id, hidden=hidden)
        copies, translated = apart(view.document.metadata.language, members)
        return replace(view, copies=copies, translations=translated)

    def document_with_copies(
        self, doc_id: int, *, hidden: bool = False
    ) -> tuple[Document, tuple[Copy, ...], tuple[Copy, ...]]:
        """A document (as document()), the copies of its text and its translations that the
        viewer may see."""
        doc = visible(self._catalog, doc_id, hidden)
        members = grouping.of(self._catalog, doc_id, hidden=hidden)
        return doc, *apart(doc.metadata.language, members)

    def cite(
        self, doc_id: int, fmt: str, link: str = "", passage: str = "", passage_link: str = ""
    ) -> citations.Citation:
        """A published document as a citation record in one of citations.FORMATS (bibtex, ris,
        csl-json); link, the archive's page of it, stands in for a missing source URL. With
        passage (a fingerprint, core/passages.py), the passage's citation: its permalink
        (passage_link) as the URL and its section heading. Raises NotFound for a draft, a
        trashed or missing document, an unknown format, or a passage no longer in the text."""
        doc = self.document(doc_id)
        return citations.cite(doc, fmt, link, self._pinpoint(doc, passage, passage_link))

    def citing(
        self, doc: Document, link: str = "", passage: str = "", passage_link: str = ""
    ) -> references.Cited:
        """What a document's page shows to cite it: APA and Chicago references, BibTeX, RIS,
        Highwire meta tags and schema.org JSON-LD; with passage, the Cite box cites that
        passage (a passage no longer in the text: the document). No lookup."""
        try:
            pinpoint = self._pinpoint(doc, passage, passage_link)
        except NotFound:  # the page says the passage is gone; its Cite box cites the document
            pinpoint = None
        return references.cited(doc, link, pinpoint)

    @staticmethod
    def _pinpoint(doc: Document, passage: str, passage_link: str) -> citations.Pinpoint | None:
        if not passage:
            return None
        index = passages.locate(doc.blocks, passage)
        if index is None:
            raise NotFound(
                f"document {doc.id} no longer holds the passage {passage[:40]!r}: its text changed"
            )
        return citations.Pinpoint(passage_link, passages.heading_above(doc.blocks, index))

    def find_passage(self, doc_id: int, fingerprint: str) -> int | None:
        """Where a passage permalink's text is now in a published document (its block index),
        or None when the text is gone; raises NotFound for the document."""
        return passages.locate(self.document(doc_id).blocks, fingerprint)

    def facet_values(
        self, query: SearchQuery, facet: str, match: str = "", page: int = 1, per_page: int = 30
    ) -> FacetPage:
        """A page of one facet's values under a search, filtered by typed text; NotFound for
        a facet that does not exist."""
        return self._finder.facet_values(query, facet, match, page, per_page)

    def suggest(self, text: str, limit: int = 8) -> list[Suggestion]:
        """Autocomplete for the query box: names, frequent words and titles starting so."""
        return self._finder.suggest(text, limit)

    def similar(
        self, doc_id: int, limit: int = SIMILAR_LIMIT, translations: Collection[int] | None = None
    ) -> tuple[SimilarDocument, ...]:
        """More like this: the documents about the same subject (shared names weigh more than
        shared words), best first; never the document's copies (listed as copies) nor its
        translations (ids, by default those the archive knows; listed as translations), whose
        terms are looked up too so that documents in their languages are found."""
        return self._finder.similar(doc_id, limit, translations)

    def _published_titles(self) -> list[tuple[int, str]]:
        return self._catalog.published_titles()

    def original_path(self, doc_id: int, *, hidden: bool = False) -> tuple[Path, str]:
        """The stored original and the download filename."""
        path, filename, _ = self.original(doc_id, hidden=hidden)
        return path, filename

    def original(self, doc_id: int, *, hidden: bool = False) -> tuple[Path, str, str]:
        """The stored original, the download filename and the format detected at upload."""
        doc = self.document(doc_id, hidden=hidden)
        return self._store.path(doc.sha256, extension_for(doc.format)), doc.filename, doc.format

    def unindexed_count(self) -> int:
        """Catalogued documents the index has yet to take in (or take out)."""
        return self._catalog.count_unindexed()

    def indexed_count(self) -> int:
        """Documents in the search index (published ones only, once indexing has caught up)."""
        return self._index.doc_count()

    @property
    def index_version(self) -> str:
        """The index's schema version (with the variants' digest): a change triggers a rebuild."""
        return self._index.version

    def matched_ids(self, text: str) -> set[int]:
        """Every document a query matches, unranked (what facets and the timeline count)."""
        return self._finder.matched_ids(text)

    def is_empty(self) -> bool:
        return self._catalog.count() == 0

    def count(self) -> int:
        return self._catalog.count()

    # --- the archivist's corrections: metadata, publishing, trash, collections, audit, jobs ---
    def update(self, doc_id: int, overrides: Overrides, *, actor: str) -> Document:
        """Correct a document's metadata; searchable at once, recorded in the audit log."""
        doc = self._catalog.get(doc_id)
        new = metadata.apply(doc.metadata, overrides, self.settings.date_order)
        audit.update_metadata(self._catalog, doc_id, doc.metadata, new, actor)
        self._repair_translations(doc_id)
        self._changed()
        return self._catalog.get(doc_id)

    def _repair_translations(self, doc_id: int) -> None:
        """A document's date, language, authors or publication changed (or its text): its
        translations are looked for again."""
        doc = self._catalog.get(doc_id)
        translations.detect(
            self._catalog, [(doc_id, doc.metadata, doc.blocks)], self.settings.variants_path
        )

    def publish(self, doc_id: int, overrides: Overrides | None = None, *, actor: str) -> Document:
        """Confirm a draft (with the archivist's corrections) and make it searchable."""
        if overrides is not None:
            doc = self._catalog.get(doc_id)
            new = metadata.apply(doc.metadata, overrides, self.settings.date_order)
            audit.update_metadata(self._catalog, doc_id, doc.metadata, new, actor, "confirm")
            self._repair_translations(doc_id)
        audit.set_status(self._catalog, doc_id, "published", actor, ("draft",))
        self._changed()
        return self._catalog.get(doc_id)

    def edit(
        self,
        doc_id: int,
        overrides: Overrides,
        status: str | None,
        *,
        actor: str,
        text: str | None = None,
    ) -> Document:
        """Corrections (a corrected text first, then metadata), then a status change
        ("published" or "trashed"), in the order that keeps the audit log true: a draft that
        becomes published is confirmed with its corrections in one step. Raises BadRequest for
        another status."""
        if status not in (None, *EDITABLE_STATUSES):
            raise BadRequest(f"status must be one of {', '.join(EDITABLE_STATUSES)}.")
        current = self.document(doc_id, hidden=True).status
        if text is not None:
            self.replace_text(doc_id, text, actor=actor)
        if status == "published" and current == "draft":
            return self.publish(doc_id, overrides, actor=actor)
        if overrides != Overrides():
            self.update(doc_id, overrides, actor=actor)
        if status == "trashed" and current != "trashed":
            self.trash(doc_id, actor=actor)
        elif status == "published" and current == "trashed":
            self.restore(doc_id, actor=actor)
        return self.document(doc_id, hidden=True)

    def replace_text(self, doc_id: int, text: str, *, actor: str) -> Document:
        """An archivist's corrected text (plain text, paragraphs apart by blank lines) in place
        of the extracted one; recorded in the audit log, searchable as edits are. Passage links
        to paragraphs that changed then open the document with a note (core/passages.py)."""
        blocks = list(txt.extract(text).blocks)
        if not blocks:
            raise BadRequest("the new text is empty")
        audit.replace_text(self._catalog, doc_id, blocks, actor)
        grouping.detect(self._catalog, [(doc_id, blocks)])  # a new text may have other copies
        self._repair_translations(doc_id)
        self._changed()
        return self._catalog.get(doc_id)

    def bulk(
        self, doc_ids: list[int], action: str, *, value: str = "", field: str = "", actor: str
    ) -> list[int]:
        """One action on many documents (core/bulk.py): publish, trash, tag (value: tags to
        add, comma-separated), set (field = value; authors separated by ";") or collect (value:
        the collection). Atomic: all change, each audited, or none (the error names the
        document). Returns the ids changed."""
        ids = bulk.check_ids(doc_ids)
        docs = [self._catalog.get(doc_id) for doc_id in ids]  # NotFound names a missing one
        steps = bulk.plan(docs, action, value, field, self.settings.date_order)
        audit.apply_bulk(self._catalog, steps, actor)
        self._changed()
        return ids

    # --- scanned pages read later (Tesseract was absent at upload) ------------------------------
    def needing_ocr(self) -> list[int]:
        """The documents whose scanned pages wait for OCR, oldest first."""
        return scans.waiting(self._catalog)

    def read_by_ocr(self, doc_id: int, *, actor: str = SYSTEM) -> Document:
        """Read a document's waiting scans by OCR now (core/ocr.py): it takes their text, and
        is published if its upload asked for that. Raises OcrUnavailable without Tesseract."""
        doc, _ = scans.read_later(self._catalog, self._store, self.settings, doc_id, actor)
        self._changed()
        return doc

    def check_ocr(self) -> None:
        """Raises OcrUnavailable when Tesseract is not installed (the tesseract setting)."""
        scans.check_available(self.settings)

    def trash(self, doc_id: int, *, actor: str) -> None:
        audit.set_status(self._catalog, doc_id, "trashed", actor, ("published", "draft"))
        self._changed()

    def restore(self, doc_id: int, *, actor: str) -> Document:
        audit.set_status(self._catalog, doc_id, "published", actor, ("trashed",))
        self._changed()
        return self._catalog.get(doc_id)

    def empty_trash(self, *, actor: str) -> int:
        """Remove trashed documents for good: their rows, then their originals."""
        removed = 0
        for doc_id, _, _ in audit.trashed(self._catalog):
            sha, fmt = audit.remove_trashed(self._catalog, doc_id, actor)
            self._store.remove(sha, extension_for(fmt))
            removed += 1
        return removed

    def trashed(self) -> list[tuple[int, str, str]]:
        return audit.trashed(self._catalog)

    def drafts(self) -> list[Draft]:
        return audit.drafts(self._catalog)

    def collections(self) -> list[audit.Collection]:
        return audit.collections(self._catalog)

    def collect(self, name: str, doc_ids: list[int], *, actor: str, add: bool = True) -> None:
        audit.collect(self._catalog, name, doc_ids, actor, add)
        self._changed()

    def delete_collection(self, name: str, *, actor: str) -> None:
        audit.delete_collection(self._catalog, name, actor)
        self._changed()

    def audit_log(self, doc_id: int | None = None, limit: int = 200) -> list[AuditEntry]:
        return audit.audit_log(self._catalog, doc_id, limit)

    def job(self, job_id: int) -> Job:
        return jobs.get(self._catalog, job_id)

    def recent_jobs(self, limit: int = 20) -> list[Job]:
        return jobs.recent(self._catalog, limit)

    # --- bulk imports from the web ------------------------------------------------------------
    def save_import(self, stream: BinaryIO, filename: str) -> Path:
        """Keep a bulk import file (a zip or JSONL) that arrived over the web, for start_import."""
        return import_files.save(self.settings.uploads_dir, stream, safe_filename(filename))

    def start_import(self, path: Path, *, actor: str) -> Job:
        """Record the job first (its id is the answer), then ingest path in a thread of its own;
        job(id) follows its progress."""
        job = jobs.create(self._catalog, jobs.IMPORT, str(path.resolve()), actor)

        def run() -> None:
            try:
                self.ingest_paths([path], actor=actor, resume=False, job=job)
            except Exception:
                # The job row already says it was interrupted and why; the log keeps the traceback.
                logging.getLogger(__name__).exception("import job %s stopped", job.id)

        threading.Thread(target=run, name=f"import-{job.id}", daemon=True).start()
        return job

    # --- accounts -----------------------------------------------------------------------------
    @classmethod
    @contextmanager
    def accounts_only(cls, settings: Settings) -> Iterator[Archive]:
        """An Archive over the catalog alone, for `archive users|tokens` beside a running server:
        it opens no index (no contention for the index writer) and sweeps nothing, and SQLite's
        WAL lets both processes write the catalog. Only the accounts methods below work on it."""
        catalog = Catalog(settings.catalog_path)
        try:
            archive = cls.__new__(cls)
            archive.settings = settings
            archive._accounts = Accounts(catalog, settings)
            yield archive
        finally:
            catalog.close()

    def add_user(self, username: str, password: str, role: str) -> User:
        return self._accounts.users.add(username, password, role)

    def users(self) -> list[User]:
        return self._accounts.users.all()

    def user(self, username: str) -> User:
        """The user of this name; NotFound if there is none."""
        return self._accounts.users.get(username)

    def set_role(self, username: str, role: str) -> User:
        """Raises BadRequest if the archive would be left without an active admin."""
        return self._accounts.users.set_role(username, role)

    def set_disabled(self, username: str, disabled: bool) -> User:
        """Disable (ending every session; tokens stop working too) or enable an account."""
        return self._accounts.users.set_disabled(username, disabled)

    def login(
        self,
        username: str,
        password: str,
        address: str | None = None,
        previous: str | None = None,
    ) -> NewSession:
        """A new session for the right password (Unauthorized otherwise, TooManyRequests after
        repeated failures from this username or address); the previous session is ended."""
        return self._accounts.sessions.login(username, password, address, previous)

    def session(self, secret: str) -> Session | None:
        """The live session of this cookie value, else None (unknown, expired, disabled)."""
        return self._accounts.sessions.find(secret)

    def logout(self, secret: str) -> None:
        self._accounts.sessions.logout(secret)

    def create_token(self, username: str, name: str, scope: str) -> NewToken:
        """A new API token; its secret is in the answer only."""
        return self._accounts.tokens.create(username, name, scope)

    def tokens(self, username: str | None = None) -> list[Token]:
        """Every token, or one user's, revoked ones included (newest first)."""
        return self._accounts.tokens.all(username)

    def revoke_token(self, token_id: int, owner: str | None = None) -> Token:
        """Revoke a token; with owner, only one of theirs (NotFound for another's)."""
        return self._accounts.tokens.revoke(token_id, owner)

    def authenticate_token(self, secret: str) -> tuple[User, Token] | None:
        """The enabled user and live token this API token secret belongs to, else None."""
        return self._accounts.tokens.authenticate(secret)

    # --- maintenance --------------------------------------------------------------------------
    def reindex(self, progress: Progress | None = None) -> int:
        """Rebuild the index from the catalog alone (copies found before are kept; documents
        never signed, from before copies were kept, are signed now; likewise translations)."""
        grouping.backfill(self._catalog)
        translations.backfill(self._catalog, self.settings.variants_path)
        with self._write_lock:
            self._engine.close()
            self._index.clear()
            self._catalog.mark_all_unindexed()
            with self._index.bulk():  # facet arrays saved once, at the end
                count = self._refill(progress, self.settings.bulk_index_procs)
        self._index.finish_fill()
        self._finder.changed()
        return count

    def _refill(self, progress: Progress | None, procs: int) -> int:
        """Index every unindexed row into the fresh (empty) index in a few large segments."""
        return refill(self._catalog, self._index, self.settings.index_batch_size, procs, progress)

    @property
    def _quarantine_dir(self) -> Path:
        return self.settings.uploads_dir / "quarantine"

    def check(self, repair: bool = False, source: Path | None = None) -> list[integrity.Problem]:
        """What disagrees between originals, catalog and index (and, with repair, what was done
        about it); an empty list when all agree."""
        problems = integrity.find(self._catalog, self._store, self._index.indexed_ids())
        if not (repair and problems):
            return problems
        ids = {kind: [p.doc_id for p in problems if p.kind == kind and p.doc_id is not None]
               for kind in (integrity.EXTRA, integrity.UNINDEXED)}  # fmt: skip
        extra, unindexed = ids[integrity.EXTRA], ids[integrity.UNINDEXED]
        if extra:
            with self._write_lock:
                self._index.write([], delete_ids=extra)
            self._finder.changed()
        if unindexed:
            self._catalog.mark_unindexed(unindexed)
            self.index_pending()
        return integrity.repair_files(
            self._store, problems, self.settings.root, self._quarantine_dir, source
        )

    # --- harvesting (OAI-PMH) ---------------------------------------------------------------------
    def harvest(self, query: HarvestQuery) -> HarvestSlice:
        """Published and trashed documents by last change, a page after query.after, each
        with the published copies of its text."""
        found = harvest.changes(self._catalog, query)
        return replace(found, records=grouping.related(self._catalog, found.records))

    def harvest_record(self, doc_id: int) -> HarvestRecord | None:
        """One published or trashed document with its last change; None for drafts and unknowns."""
        record = harvest.record(self._catalog, doc_id)
        return grouping.related(self._catalog, [record])[0] if record else None

    def harvest_facts(self) -> HarvestFacts:
        return harvest.facts(self._catalog)

    # --- a search's export (CSV and JSON Lines of its documents' metadata) --------------------
    def export_search(self, query: SearchQuery, limit: int | None = None) -> SearchExport:
        """Every document the search matches (its page and per_page ignored), in its order, up
        to limit (Settings.export_limit by default); the documents are read from the catalog
        EXPORT_BATCH at a time as the iterator is consumed, so memory stays bounded. Published
        ones only: a document drafted or trashed since the index last caught up is skipped."""
        self._check_searchable()
        cap = max(1, self.settings.export_limit if limit is None else limit)
        ids, total = self._finder.ranked_ids(query, cap)
        return SearchExport(total, cap, self._published_in_order(ids))

    def _published_in_order(self, ids: list[int]) -> Iterator[Document]:
        for start in range(0, len(ids), EXPORT_BATCH):
            batch = ids[start : start + EXPORT_BATCH]
            docs = self._catalog.get_many(batch)
            for doc_id in batch:
                doc = docs.get(doc_id)
                if doc is not None and doc.status == "published":
                    yield doc

    # --- export and import ----------------------------------------------------------------------
    def export(self, dest: Path, progress: Progress | None = None) -> int:
        """Write the whole archive to dest (new or empty) with SHA256SUMS; returns the number of
        documents (archive.core.transfer)."""
        return transfer.export(self._catalog, self._store, dest, progress)

    def import_export(self, src: Path, progress: Progress | None = None) -> int:
        """Restore an export into this empty archive (same ids), then index it; returns the
        number of documents. Copies and translations are found again (an export does not
        carry them), an archivist's splits and joins are restored and hold over them."""
        docs = transfer.import_(self._catalog, self._store, src, progress)
        grouping.backfill(self._catalog)
        translations.backfill(self._catalog, self.settings.variants_path)
        grouping.regroup_decided(self._catalog)
        self._catalog.mark_all_unindexed()
        self.index_pending()
        return len(docs)
