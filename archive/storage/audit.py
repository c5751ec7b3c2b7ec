"""What archivists change after ingest: metadata, publication, the trash, collections; each change
is written to the audit log in the same transaction as the change itself."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from archive.errors import BadRequest, NotFound
from archive.models import AuditEntry, Block, BulkStep, Draft, Metadata, OcrRecord
from archive.storage.catalog import Catalog
from archive.storage.rows import dumps

MAX_COLLECTION_NAME = 200


@dataclass(frozen=True)
class Collection:
    name: str
    count: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def record(
    conn: sqlite3.Connection, actor: str, action: str, doc_id: int | None, details: dict[str, Any]
) -> None:
    conn.execute(
        "INSERT INTO audit (at, actor, action, doc_id, details) VALUES (?, ?, ?, ?, ?)",
        (_now(), actor, action, doc_id, json.dumps(details, ensure_ascii=False, default=list)),
    )


def _requeue(conn: sqlite3.Connection, doc_ids: list[int]) -> None:
    """The index must see these documents again (status, metadata or collections changed)."""
    conn.executemany(
        "UPDATE documents SET indexed = 0, revision = revision + 1 WHERE id = ?",
        [(i,) for i in doc_ids],
    )


def _status(conn: sqlite3.Connection, doc_id: int) -> str:
    row = conn.execute("SELECT status FROM documents WHERE id = ?", (doc_id,)).fetchone()
    if row is None:
        raise NotFound(f"there is no document {doc_id}")
    return row[0]


def metadata_changes(old: Metadata, new: Metadata) -> dict[str, list[Any]]:
    """field -> [before, after] for every field that differs."""
    return {
        f.name: [getattr(old, f.name), getattr(new, f.name)]
        for f in fields(Metadata)
        if getattr(old, f.name) != getattr(new, f.name)
    }


def update_metadata(
    catalog: Catalog, doc_id: int, old: Metadata, new: Metadata, actor: str, action: str = "edit"
) -> dict[str, list[Any]]:
    with catalog.transaction() as conn:
        return write_metadata(catalog, conn, doc_id, old, new, actor, action)


def write_metadata(
    catalog: Catalog,
    conn: sqlite3.Connection,
    doc_id: int,
    old: Metadata,
    new: Metadata,
    actor: str,
    action: str = "edit",
) -> dict[str, list[Any]]:
    """update_metadata inside the caller's transaction (a bulk action's: storage.bulk)."""
    changes = metadata_changes(old, new)
    _status(conn, doc_id)
    catalog.write_metadata(conn, doc_id, new)
    _requeue(conn, [doc_id])
    record(conn, actor, action, doc_id, {"changes": changes})
    return changes


def replace_text(catalog: Catalog, doc_id: int, blocks: list[Block], actor: str) -> None:
    """An archivist's corrected text in place of the extracted one (the original file stays):
    the blocks change, the index sees the document again, the log keeps the old block count."""
    with catalog.transaction() as conn:
        _status(conn, doc_id)
        before = conn.execute("SELECT blocks FROM documents WHERE id = ?", (doc_id,)).fetchone()
        conn.execute(
            "UPDATE documents SET blocks = ? WHERE id = ?",
            (dumps([[b.kind, b.level, b.text] for b in blocks]), doc_id),
        )
        _requeue(conn, [doc_id])
        details = {"blocks": [len(json.loads(before[0])), len(blocks)]}
        record(conn, actor, "replace text", doc_id, details)


def needing_ocr(catalog: Catalog) -> list[int]:
    """The documents whose scanned pages wait for OCR (kept where Tesseract was absent), oldest
    first (the schema's documents_needing_ocr index)."""
    rows = catalog.query(
        "SELECT id FROM documents WHERE json_extract(ocr, '$.needed[0]') IS NOT NULL ORDER BY id"
    )
    return [row[0] for row in rows]


def read_by_ocr(
    catalog: Catalog,
    doc_id: int,
    blocks: list[Block],
    ocr: OcrRecord,
    metadata: tuple[Metadata, Metadata],
    actor: str,
) -> bool:
    """A document's text as OCR read it (its text layer's pages and its scans), what was read,
    and the suggestions its text now gives (metadata: old, new), in one transaction with its
    audit entry; published if its upload asked for that. Returns whether it was published."""
    old, new = metadata
    with catalog.transaction() as conn:
        status = _status(conn, doc_id)
        conn.execute(
            "UPDATE documents SET blocks = ?, ocr = ? WHERE id = ?",
            (dumps([[b.kind, b.level, b.text] for b in blocks]), dumps(ocr.to_json()), doc_id),
        )
        changes = metadata_changes(old, new)
        if changes:
            catalog.write_metadata(conn, doc_id, new)
        _requeue(conn, [doc_id])
        details = {"pages": list(ocr.pages), "language": ocr.language, "changes": changes}
        record(conn, actor, "ocr", doc_id, details)
        publish = ocr.publish and status == "draft" and bool(blocks)
        if publish:
            write_status(conn, doc_id, "published", actor, ("draft",))
    return publish


def set_status(
    catalog: Catalog, doc_id: int, status: str, actor: str, allowed_from: tuple[str, ...]
) -> None:
    with catalog.transaction() as conn:
        write_status(conn, doc_id, status, actor, allowed_from)


def write_status(
    conn: sqlite3.Connection, doc_id: int, status: str, actor: str, allowed_from: tuple[str, ...]
) -> None:
    """set_status inside the caller's transaction; raises BadRequest naming the document."""
    current = _status(conn, doc_id)
    if current not in allowed_from:
        raise BadRequest(f"document {doc_id} is {current}; it cannot become {status}")
    conn.execute(
        "UPDATE documents SET status = ?, trashed_at = ? WHERE id = ?",
        (status, _now() if status == "trashed" else None, doc_id),
    )
    _requeue(conn, [doc_id])
    action = {"trashed": "trash", "published": "publish" if current == "draft" else "restore"}
    record(conn, actor, action.get(status, status), doc_id, {"from": current, "to": status})


def trashed(catalog: Catalog) -> list[tuple[int, str, str]]:
    """(id, title, trashed_at) of the documents in the trash, most recent first."""
    return [
        (r[0], r[1], r[2] or "")
        for r in catalog.query(
            "SELECT id, title, trashed_at FROM documents WHERE status = 'trashed'"
            " ORDER BY trashed_at DESC, id DESC"
        )
    ]


def drafts(catalog: Catalog) -> list[Draft]:
    """The documents awaiting confirmation, oldest first, with who uploaded each and how much
    text was extracted (blocks are stored as [[kind, level, text], …]: storage/rows.py)."""
    rows = catalog.query(
        "SELECT d.id, d.title, d.filename, d.format, d.size, d.added_at,"
        " coalesce((SELECT a.actor FROM audit a WHERE a.doc_id = d.id AND a.action = 'add'"
        "  ORDER BY a.id LIMIT 1), ''),"
        " coalesce((SELECT sum(length(json_extract(b.value, '$[2]')))"
        "  FROM json_each(d.blocks) b), 0), d.pages,"
        " json_extract(d.ocr, '$.needed[0]') IS NOT NULL"
        " FROM documents d WHERE d.status = 'draft' ORDER BY d.id"
    )
    return [Draft(*r) for r in rows]


def remove_trashed(catalog: Catalog, doc_id: int, actor: str) -> tuple[str, str]:
    """Delete a trashed document's row; returns (sha256, format) so the caller removes the file."""
    with catalog.transaction() as conn:
        row = conn.execute(
            "SELECT sha256, format, status, title FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"there is no document {doc_id}")
        if row[2] != "trashed":
            raise BadRequest(f"document {doc_id} is not in the trash")
        conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
        record(conn, actor, "purge", doc_id, {"title": row[3], "sha256": row[0]})
    return row[0], row[1]


def _collection_id(conn: sqlite3.Connection, name: str, create: bool) -> int:
    name = name.strip()
    if not name or len(name) > MAX_COLLECTION_NAME:
        raise BadRequest(f"a collection name has 1 to {MAX_COLLECTION_NAME} characters")
    row = conn.execute("SELECT id FROM collections WHERE name = ?", (name,)).fetchone()
    if row:
        return row[0]
    if not create:
        raise NotFound(f"there is no collection {name!r}")
    return conn.execute(
        "INSERT INTO collections (name, created_at) VALUES (?, ?) RETURNING id", (name, _now())
    ).fetchone()[0]


def collect(catalog: Catalog, name: str, doc_ids: list[int], actor: str, add: bool = True) -> None:
    """Put documents into a collection (made if new), or take them out."""
    with catalog.transaction() as conn:
        write_collection(conn, name, doc_ids, actor, add)


def write_collection(
    conn: sqlite3.Connection, name: str, doc_ids: list[int], actor: str, add: bool = True
) -> None:
    """collect inside the caller's transaction."""
    cid = _collection_id(conn, name, create=add)
    for doc_id in doc_ids:
        _status(conn, doc_id)
        if add:
            conn.execute("INSERT OR IGNORE INTO collection_documents VALUES (?, ?)", (cid, doc_id))
        else:
            conn.execute(
                "DELETE FROM collection_documents WHERE collection_id = ? AND doc_id = ?",
                (cid, doc_id),
            )
    _requeue(conn, doc_ids)
    for doc_id in doc_ids:
        record(conn, actor, "collect" if add else "uncollect", doc_id, {"collection": name})


def apply_bulk(catalog: Catalog, steps: list[BulkStep], actor: str) -> None:
    """A bulk action's steps in one transaction, each audited for its document: if one fails
    (a document gone, or in a status it cannot leave so), none is applied."""
    with catalog.transaction() as conn:
        for step in steps:
            if step.new is not None and step.old is not None and step.new != step.old:
                write_metadata(catalog, conn, step.doc_id, step.old, step.new, actor)
            if step.status is not None:
                write_status(conn, step.doc_id, step.status, actor, step.allowed_from)
            if step.collection is not None:
                write_collection(conn, step.collection, [step.doc_id], actor)


def delete_collection(catalog: Catalog, name: str, actor: str) -> None:
    with catalog.transaction() as conn:
        cid = _collection_id(conn, name, create=False)
        members = [
            r[0]
            for r in conn.execute(
                "SELECT doc_id FROM collection_documents WHERE collection_id = ?", (cid,)
            )
        ]
        conn.execute("DELETE FROM collections WHERE id = ?", (cid,))
        _requeue(conn, members)
        record(conn, actor, "delete-collection", None, {"collection": name, "documents": members})


def collections(catalog: Catalog) -> list[Collection]:
    rows = catalog.query(
        "SELECT c.name, count(cd.doc_id) FROM collections c"
        " LEFT JOIN collection_documents cd ON cd.collection_id = c.id"
        " GROUP BY c.id ORDER BY c.name COLLATE NOCASE"
    )
    return [Collection(name, count) for name, count in rows]


def audit_log(catalog: Catalog, doc_id: int | None = None, limit: int = 200) -> list[AuditEntry]:
    where, params = ("WHERE doc_id = ?", (doc_id, limit)) if doc_id is not None else ("", (limit,))
    rows = catalog.query(
        f"SELECT id, at, actor, action, doc_id, details FROM audit {where}"
        " ORDER BY id DESC LIMIT ?",
        params,
    )
    return [AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]
