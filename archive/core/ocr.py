"""Reading scanned pages later: a document kept where Tesseract was absent ("needs OCR") is read
again from its original, its scans by OCR now, and takes the text, the record of what was read,
and the suggestions that text gives for the metadata nobody has changed since the upload; it is
published if its upload asked for that (`archive ocr`, the edit page's button)."""

from __future__ import annotations

from dataclasses import fields, replace

from archive.config import Settings
from archive.core import copies as grouping
from archive.errors import BadRequest, OcrUnavailable
from archive.ingest import extract, metadata, pipeline
from archive.models import Document, Extracted, Metadata
from archive.storage import audit
from archive.storage.catalog import Catalog
from archive.storage.originals import Store, extension_for

# Metadata fields that move together: a date and what was said about it.
_DATE_FIELDS = ("date", "date_ambiguous", "date_readings")


def check_available(settings: Settings) -> None:
    """Raises OcrUnavailable when the tesseract command is not there."""
    if not pipeline.ocr_options(settings).tesseract:
        raise OcrUnavailable(
            f"Tesseract is not installed here (looked for {settings.tesseract!r}): install"
            " Debian's tesseract-ocr and its language packs, or set ARCHIVE_TESSERACT"
        )


def read_later(
    catalog: Catalog, store: Store, settings: Settings, doc_id: int, actor: str
) -> tuple[Document, bool]:
    """Read a document's waiting scans by OCR; (the document now, whether it was published).
    Raises BadRequest when none wait, OcrUnavailable without Tesseract, InvalidUpload when
    the original cannot be read (a page over its time is recorded as unread instead)."""
    doc = catalog.get(doc_id)
    if doc.ocr is None or not doc.ocr.pending:
        raise BadRequest(f"document {doc_id} has no pages waiting for OCR")
    check_available(settings)
    data = store.read(doc.sha256, extension_for(doc.format))
    # the archivist's language, if one was given or confirmed since; else detected
    options = pipeline.ocr_options(settings, doc.metadata.language)
    extracted = extract.extract(data, doc.filename, ocr=options)
    assert extracted.ocr is not None  # its scans were found before, in the same bytes
    record = replace(extracted.ocr, publish=doc.ocr.publish)
    suggested = _resuggested(doc, extracted, settings)
    published = audit.read_by_ocr(
        catalog, doc_id, list(extracted.blocks), record, (doc.metadata, suggested), actor
    )
    grouping.detect(catalog, [(doc_id, list(extracted.blocks))])  # its text may have copies
    return catalog.get(doc_id), published


def _resuggested(doc: Document, extracted: Extracted, settings: Settings) -> Metadata:
    """The document's metadata with each field nobody changed since the upload (still what the
    text without its scans suggested) replaced by what the text read now suggests."""
    order = settings.date_order
    before = metadata.suggest(replace(extracted, blocks=doc.blocks), doc.filename, order)
    after = metadata.suggest(extracted, doc.filename, order)
    current = doc.metadata
    changed: dict[str, object] = {}
    for field in fields(Metadata):
        name = field.name
        if name in _DATE_FIELDS[1:]:
            continue  # they follow the date
        if getattr(current, name) == getattr(before, name):
            names = _DATE_FIELDS if name == "date" else (name,)
            changed.update({n: getattr(after, n) for n in names})
    return replace(current, **changed)


def waiting(catalog: Catalog) -> list[int]:
    """The documents whose scans wait for OCR, oldest first."""
    return audit.needing_ocr(catalog)
