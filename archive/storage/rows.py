"""How a document is written to a catalog row and read back: the columns, the JSON of its lists
and blocks, and the statements that insert and select it (archive.catalog runs them)."""

from __future__ import annotations

import json
from typing import Any

from archive.models import Block, Document, Metadata, NewRow, OcrRecord
from archive.storage.schema import CHANGED_NOW

COLUMNS = (
    "id, sha256, filename, format, size, title, authors, publication, date, date_ambiguous,"
    " date_readings, language, tags, url, source_id, blocks, added_at, revision, status,"
    " (SELECT json_group_array(c.name) FROM collection_documents cd"
    "  JOIN collections c ON c.id = cd.collection_id WHERE cd.doc_id = documents.id),"
    " ocr"
)
COLUMN_COUNT = 21
SELECT = f"SELECT {COLUMNS} FROM documents"
# changed_at is set here, not by a trigger's second write of the whole row (storage/schema.py)
INSERT = (
    "INSERT INTO documents (sha256, filename, format, size, title, authors, publication, date,"
    " date_ambiguous, date_readings, language, tags, url, source_id, blocks, added_at, status,"
    " pages, ocr, changed_at)"
    f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {CHANGED_NOW})"
    " ON CONFLICT (sha256) DO NOTHING RETURNING id"
)


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def metadata_params(m: Metadata) -> tuple[object, ...]:
    return (
        m.title,
        dumps(list(m.authors)),
        m.publication,
        m.date,
        int(m.date_ambiguous),
        dumps(list(m.date_readings)),
        m.language,
        dumps(list(m.tags)),
        m.url,
    )


def row_params(row: NewRow, added_at: str) -> tuple[object, ...]:
    blocks = dumps([[b.kind, b.level, b.text] for b in row.blocks])
    return (
        row.sha256,
        row.filename,
        row.format,
        row.size,
        *metadata_params(row.metadata),
        row.source_id,
        blocks,
        added_at,
        row.status,
        row.pages,
        ocr_column(row.ocr),
    )


def ocr_column(record: OcrRecord | None) -> str | None:
    return None if record is None else dumps(record.to_json())


def document_from_row(r: tuple[Any, ...]) -> Document:
    metadata = Metadata(
        title=r[5],
        authors=tuple(json.loads(r[6])),
        publication=r[7],
        date=r[8],
        date_ambiguous=bool(r[9]),
        date_readings=tuple(json.loads(r[10])),
        language=r[11],
        tags=tuple(json.loads(r[12])),
        url=r[13],
    )
    blocks = tuple(Block(kind, text, level) for kind, level, text in json.loads(r[15]))
    collections = tuple(sorted(json.loads(r[19]))) if r[19] else ()
    ocr = OcrRecord.from_json(json.loads(r[20])) if r[20] else None
    return Document(
        r[0], r[1], r[2], r[3], r[4], metadata, blocks, r[16], r[14], r[18], collections, ocr
    )
