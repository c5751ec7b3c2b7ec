"""The ingest pipeline: bytes -> checked, extracted, described (Prepared).

Pure: it writes nothing. Storing and cataloguing (archive.core.archive.commit) and indexing are
the caller's, so a crash between the catalog commit and the index commit is repaired by indexing
again at start. What files, folders, zips and JSONL(.gz) files hold is read by ingest.sources,
which prepares each document here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from archive.config import Settings
from archive.errors import TooLarge
from archive.ingest import extract, metadata
from archive.ingest.extract.ocr import find_tesseract
from archive.ingest.filenames import safe_filename
from archive.models import Extracted, NewRow, Overrides


@dataclass(frozen=True)
class Prepared:
    """A document ready to store: its original bytes and what the catalog will hold."""

    name: str
    row: NewRow
    data: bytes


def prepare(
    data: bytes,
    filename: str,
    settings: Settings,
    overrides: Overrides | None = None,
    extracted: Extracted | None = None,
) -> Prepared:
    """Check, extract and describe one file; raises InvalidUpload and its leaves.

    `extracted` skips extraction when the caller already has it (a JSONL record).
    """
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(
            f"{filename}: {len(data):,} bytes is over the limit of {settings.max_upload_bytes:,}."
        )
    if extracted is None:
        language = overrides.language if overrides is not None else None
        extracted = extract.extract(data, filename, ocr=ocr_options(settings, language))
    meta = metadata.suggest(extracted, filename, settings.date_order)
    if overrides is not None:
        meta = metadata.apply(meta, overrides, settings.date_order)
    row = NewRow(
        sha256=_sha256(data),
        filename=safe_filename(filename),  # shown and downloaded under it: ingest.filenames
        format=extracted.format,
        size=len(data),
        metadata=meta,
        blocks=extracted.blocks,
        source_id=extracted.hints.source_id,
        pages=extracted.pages,
        ocr=extracted.ocr,
    )
    return Prepared(filename, with_status(row, publish=True), data)


def ocr_options(settings: Settings, language: str | None = None) -> extract.OcrOptions:
    """How scanned pages are read: Settings' tesseract (found now: "" when absent), limits, and
    the archivist's language (else detected)."""
    return extract.OcrOptions(
        tesseract=find_tesseract(settings.tesseract),
        language=(language or "").strip().lower(),
        page_seconds=settings.ocr_page_seconds,
        max_pages=settings.ocr_max_pages,
    )


def with_status(row: NewRow, publish: bool) -> NewRow:
    """Published or a draft, as the upload asked; but a row whose scanned pages wait for OCR
    (Tesseract absent) is kept as a draft, never lost and never published without its text,
    and `publish` is remembered, so that `archive ocr` publishes it once read."""
    if row.ocr is None or not row.ocr.pending:
        return replace(row, status="published" if publish else "draft")
    return replace(row, status="draft", ocr=replace(row.ocr, publish=publish))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
