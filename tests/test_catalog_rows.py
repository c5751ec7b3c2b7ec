"""A document's catalog row: the statements' columns and the values written agree, and what is
written reads back the same (through a real SQLite table with the catalog's schema)."""

from __future__ import annotations

import sqlite3

from archive.models import Copy, NewRow
from archive.storage import copies
from archive.storage.catalog import Catalog
from archive.storage.rows import INSERT, SELECT, document_from_row, dumps, row_params

from .test_catalog import FULL_BLOCKS, FULL_METADATA

ROW = NewRow(
    sha256="ab" * 32,
    filename="ночь.txt",
    format="txt",
    size=12,
    metadata=FULL_METADATA,
    blocks=FULL_BLOCKS,
    source_id="rec-1",
    status="draft",
)


def test_insert_takes_exactly_the_values_written():
    assert INSERT.count("?") == len(row_params(ROW, "2026-01-01T00:00:00+00:00"))


def test_lists_are_compact_json_that_keeps_their_letters():
    assert dumps(["ніч", "a b"]) == '["ніч","a b"]'


def test_a_row_reads_back_as_written(tmp_path):
    Catalog(tmp_path / "c.sqlite3").close()  # the catalog's own schema
    with sqlite3.connect(tmp_path / "c.sqlite3") as conn:
        [(doc_id,)] = conn.execute(INSERT, row_params(ROW, "2026-01-01T00:00:00+00:00")).fetchall()
        [raw] = conn.execute(f"{SELECT} WHERE id = ?", (doc_id,)).fetchall()
    doc = document_from_row(raw)
    assert (doc.id, doc.sha256, doc.filename, doc.format, doc.size) == (
        doc_id, ROW.sha256, ROW.filename, ROW.format, ROW.size,
    )  # fmt: skip
    assert doc.metadata == ROW.metadata and doc.blocks == ROW.blocks
    assert (doc.source_id, doc.status, doc.added_at) == (
        "rec-1",
        "draft",
        "2026-01-01T00:00:00+00:00",
    )
    assert doc.collections == ()


def test_a_copys_listing_is_read_from_its_row(tmp_path):
    # a hit's copies are listed from these few columns, not from the whole row
    catalog = Catalog(tmp_path / "c.sqlite3")
    try:
        [(doc_id, _)] = catalog.add_many([ROW])
        full = catalog.get_many([doc_id])[doc_id]
        m = full.metadata
        assert copies.listed(catalog, [doc_id, 999]) == {
            doc_id: Copy(doc_id, m.title, m.language, full.format, m.publication, m.date, "draft")
        }
        assert copies.listed(catalog, []) == {}
    finally:
        catalog.close()
