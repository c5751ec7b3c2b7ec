"""The ingest pipeline: bytes -> checked, extracted, described (Prepared).

Pure: it writes nothing. Storing and cataloguing (archive.core.archive.commit) and indexing are
the caller's, so a crash between the catalog commit and the index commit is repaired by indexing
again at start. What files, folders, zips and JSONL(.gz) files hold is read by ingest.sources,
which prepares each document here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from archive.config import Settings
from archive.errors import TooLarge
from archive.ingest import extract, metadata
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
        extracted = extract.extract(data, filename)
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
    )
    return Prepared(filename, row, data)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
