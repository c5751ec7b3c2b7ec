"""The catalog side of harvesting: a 20,000-record harvest in pages while documents arrive, and
the migration that gives an existing catalog its documents' last changes."""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter
from pathlib import Path

from archive.models import Block, HarvestQuery, Metadata, NewRow
from archive.storage import harvest
from archive.storage.catalog import Catalog
from archive.storage.schema import MIGRATIONS

TOTAL = 20_000


def rows(start: int, count: int, status: str = "published") -> list[NewRow]:
    return [
        NewRow(
            sha256=hashlib.sha256(str(n).encode()).hexdigest(),
            filename=f"{n}.txt",
            format="txt",
            size=10,
            metadata=Metadata(title=f"Document {n}", language="en" if n % 2 else "uk"),
            blocks=(Block("paragraph", f"text {n}"),),
            status=status,
        )
        for n in range(start, start + count)
    ]


def test_a_harvest_of_20000_ends_and_yields_each_once_while_documents_arrive(
    tmp_path: Path,
) -> None:
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    try:
        for start in range(0, TOTAL, 5_000):
            catalog.add_many(rows(start, 5_000))
        catalog.add_many(rows(TOTAL, 50, status="draft"))
        until = catalog.query("SELECT max(changed_at) FROM documents")[0][0]
        seen: Counter[int] = Counter()
        after, pages, arrived = None, 0, TOTAL + 50
        while True:
            page = harvest.changes(catalog, HarvestQuery(until=until, after=after, limit=500))
            seen.update(r.document.id for r in page.records)
            pages += 1
            if pages % 5 == 0:  # documents arrive during the harvest
                catalog.add_many(rows(arrived, 100))
                arrived += 100
            if not page.more:
                break
            last = page.records[-1]
            after = (last.changed_at, last.document.id)
        assert pages >= TOTAL // 500
        headers = harvest.changes(catalog, HarvestQuery(limit=3, with_text=False)).records
        assert [r.document.blocks for r in headers] == [(), (), ()]  # ListIdentifiers: no text
        assert headers[0].document.metadata.title == "Document 0"
        assert all(n == 1 for n in seen.values())
        first = set(range(1, TOTAL + 1))
        assert first <= set(seen)  # every one, once; drafts (ids after TOTAL) never
        # what arrived within the frozen until's second may come too, and nothing else
        assert set(seen) - first <= set(range(TOTAL + 51, arrived + 1))
    finally:
        catalog.close()


def test_the_migration_dates_existing_documents_by_their_last_audited_change(
    tmp_path: Path,
) -> None:
    path = tmp_path / "catalog.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE catalog_meta (key TEXT PRIMARY KEY, value TEXT)")
    for statement in (*MIGRATIONS[0], *MIGRATIONS[1]):
        conn.execute(statement)
    conn.execute("INSERT INTO catalog_meta VALUES ('schema_version', '2')")
    for n, added in ((1, "2024-01-02T03:04:05+00:00"), (2, "2024-02-03T04:05:06+00:00")):
        conn.execute(
            "INSERT INTO documents (sha256, filename, format, size, title, authors, publication,"
            " date_readings, language, tags, url, blocks, added_at)"
            " VALUES (?, 'f.txt', 'txt', 1, 't', '[]', '', '[]', '', '[]', '', '[]', ?)",
            (str(n) * 64, added),
        )
    conn.execute(
        "INSERT INTO audit (at, actor, action, doc_id) VALUES"
        " ('2025-05-06T07:08:09+00:00', 'a', 'edit', 2)"
    )
    conn.close()
    catalog = Catalog(path)
    try:
        stamps = dict(catalog.query("SELECT id, changed_at FROM documents ORDER BY id"))
        assert stamps == {1: "2024-01-02T03:04:05Z", 2: "2025-05-06T07:08:09Z"}
        catalog.update_metadata(1, Metadata(title="edited"))
        [(edited,)] = catalog.query("SELECT changed_at FROM documents WHERE id = 1")
        assert edited > "2025-05-06T07:08:09Z"  # now, and never before any other change
    finally:
        catalog.close()
