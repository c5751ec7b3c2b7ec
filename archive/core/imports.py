"""Committing documents, one or a bulk import's many: originals durably stored, then their
catalog rows in one transaction; a bulk import in batches, as a job in the catalog that a run
over the same paths resumes after its last committed batch.

Archive (core/archive.py) owns the parts and hands over what a run needs: where the documents
come from (prepared in a helper process or here) and what to do after each committed batch
(index it here, or nudge the server's index worker).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from archive.config import Settings
from archive.core import copies, translations
from archive.core.prepare import Ready
from archive.ingest.pipeline import Prepared
from archive.models import READ_AS_LISTED, IngestReport, Job, Overrides
from archive.storage import jobs
from archive.storage.catalog import Catalog
from archive.storage.originals import Store, extension_for

# progress(done, total, label): total is None when unknown
Progress = Callable[[int, int | None, str], None]
# A bulk batch is committed (stored, catalogued, indexed) at this many bytes even if not full.
BATCH_BYTES = 64 * 1024 * 1024
# A report lists the first REPORTED failures and duplicates and counts the rest, and failures
# are recorded in the job every FAILURES_PER_UPDATE: a JSONL file of millions of bad or repeated
# lines (3 bytes each) must not be held in memory (a job itself keeps 200 reasons).
REPORTED = 10_000
FAILURES_PER_UPDATE = 1_000
# a batch: each document with its index fields, when its helper built them
Batch = Sequence[tuple[Prepared, dict[str, object] | None]]


def commit(
    items: Sequence[Prepared], store: Store, catalog: Catalog, variants_path: Path | None = None
) -> list[tuple[int, bool]]:
    """Store the originals durably, then catalog them in one transaction: (id, duplicate) each;
    then their copies and translations are looked for (variants_path: the names file).

    Only after this returns may a document be acknowledged.
    """
    if not items:
        return []
    with store.writing():  # an original without its row is a crash's, never one in progress
        store.put_many([(p.data, extension_for(p.row.format)) for p in items])
        results = catalog.add_many([p.row for p in items])
    # copies of one text are found as documents arrive, never at query time (core/copies.py)
    added = [(i, p.row) for p, (i, dup) in zip(items, results, strict=True) if not dup]
    copies.detect(catalog, [(i, row.blocks) for i, row in added])
    # and translations, after the copies (two records of one text are no rivals)
    translations.detect(catalog, [(i, row.metadata, row.blocks) for i, row in added], variants_path)
    return results


def run(
    paths: Sequence[Path],
    settings: Settings,
    store: Store,
    catalog: Catalog,
    ready: Callable[[list[Path], Overrides | None, int], Iterable[Ready]],
    committed: Callable[[list[tuple[int, dict[str, object]]]], None],
    overrides: Overrides | None = None,
    progress: Progress | None = None,
    *,
    actor: str,
    resume: bool = True,
    job: Job | None = None,
    kind: str = jobs.IMPORT,
    settle: Callable[[], object] | None = None,
) -> IngestReport:
    """Files, folders, zip and JSONL(.gz) files, committed in batches; `ready(paths, overrides,
    skip)` yields the documents, `committed(added)` follows each batch with the added ids and the
    index fields their helper built (if it did). `kind`: jobs.IMPORT, or jobs.DEMO for the demo
    collection, which is no one's import. `settle()` runs after the last batch, before the job
    says "done": a server waits there until its index has the batches, so that a search sent
    after "done" finds them."""
    paths = [Path(p) for p in paths]
    source = "\n".join(str(p.resolve()) for p in paths)
    previous = jobs.resumable(catalog, source) if resume and job is None else None
    skip = previous.done if previous else 0
    job = job or previous or jobs.create(catalog, kind, source, actor)
    report = IngestReport()
    batch: list[tuple[Prepared, dict[str, object] | None]] = []
    failed: list[tuple[str, str]] = []
    size = 0
    seen = 0
    last_source: str | None = None
    if previous is not None:  # the files an interrupted run read are this import's too
        report.read_as = list(previous.read_as)
        report.read_as_counts = dict(previous.read_as_counts)
        last_source = previous.read_as[-1][0] if previous.read_as else None
    counts = [job.added if previous else 0, job.duplicates if previous else 0]

    def flush() -> None:
        if batch:
            committed(_commit_batch(batch, store, catalog, report, counts, settings))

    with jobs.running(settings.jobs_dir, job.id):
        try:
            for seen, item_ready in enumerate(ready(paths, overrides, skip), skip + 1):
                item = item_ready.item
                # a file's documents come one after another: a new source is a new file, so
                # a folder of a million files is counted, not held
                if (item.source or item.name) != last_source:
                    last_source = item.source or item.name
                    _note_read_as(report, last_source, item.read_as)
                if item.prepared is None:
                    failed.append((item.name, item.error or "refused"))
                else:
                    batch.append((item.prepared, item_ready.fields))
                    size += len(item.prepared.data)
                if (
                    len(batch) >= settings.index_batch_size
                    or size >= BATCH_BYTES
                    or len(failed) >= FAILURES_PER_UPDATE
                ):
                    flush()
                    jobs.progress(catalog, job.id, seen, *counts, failed, read_as=_read_as(report))
                    report.more_failed += _list_some(report.failed, failed)
                    batch, failed, size = [], [], 0
                if progress:
                    progress(seen - skip, None, item.name)
            flush()
            if settle is not None:
                settle()
            report.more_failed += _list_some(report.failed, failed)
            done = max(seen, skip)
            read_as = _read_as(report)
            jobs.progress(catalog, job.id, done, *counts, failed, seen, "done", read_as=read_as)
        except BaseException as exc:
            jobs.interrupt(catalog, job.id, f"{type(exc).__name__}: {exc}")
            raise
    report.job_id = job.id
    report.resumed_after = skip
    return report


def _read_as(report: IngestReport) -> tuple[list[tuple[str, str]], dict[str, int]]:
    return report.read_as, report.read_as_counts


def _note_read_as(report: IngestReport, source: str, read_as: str) -> None:
    """Count a file (met for the first time) as read as a type, and list the first ones."""
    report.read_as_counts[read_as] = report.read_as_counts.get(read_as, 0) + 1
    if len(report.read_as) < READ_AS_LISTED:
        report.read_as.append((source, read_as))


def _commit_batch(
    batch: Batch,
    store: Store,
    catalog: Catalog,
    report: IngestReport,
    counts: list[int],
    settings: Settings,
) -> list[tuple[int, dict[str, object]]]:
    """Commit a batch and count it; returns the added documents that came with index fields."""
    results = commit([prepared for prepared, _ in batch], store, catalog, settings.variants_path)
    for (prepared, _), (doc_id, duplicate) in zip(batch, results, strict=True):
        if duplicate:
            report.more_duplicates += _list_some(report.duplicates, [(prepared.name, doc_id)])
            counts[1] += 1
        else:
            report.added.append(doc_id)
            counts[0] += 1
    return [
        (doc_id, fields)
        for (_, fields), (doc_id, duplicate) in zip(batch, results, strict=True)
        if not duplicate and fields is not None
    ]


def _list_some(listed: list, new: Sequence) -> int:
    """Append what fits under REPORTED items; returns how many did not fit."""
    room = max(0, REPORTED - len(listed))
    listed.extend(new[:room])
    return max(0, len(new) - room)
