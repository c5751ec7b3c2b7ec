"""The catalog's translations: each document's pairing keys (day, language, source) and the
translation pairs found (tables of storage/schema.py, migration 7). The groups the pairs make
are copy_groups (storage/copies.py), recomputed by its regroup."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from archive.storage.catalog import Catalog

Key = tuple[int, int | None, str, str]  # doc_id, day number, language, source keys
Connection = sqlite3.Connection  # a catalog transaction's, for core/translations.py


def put_keys(conn: sqlite3.Connection, keys: Sequence[Key]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO translation_keys (doc_id, day, language, source)"
        " VALUES (?, ?, ?, ?)",
        keys,
    )


def neighbours(conn: sqlite3.Connection, day: int, window: int, language: str) -> list[Key]:
    """Documents in another language dated within window days of day."""
    return conn.execute(
        "SELECT doc_id, day, language, source FROM translation_keys"
        " WHERE day BETWEEN ? AND ? AND language != ?",
        (day - window, day + window, language),
    ).fetchall()


def keys_of(conn: sqlite3.Connection, doc_ids: Iterable[int]) -> dict[int, Key]:
    ids = sorted(set(doc_ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT doc_id, day, language, source FROM translation_keys WHERE doc_id IN ({marks})",
        ids,
    ).fetchall()
    return {r[0]: r for r in rows}


def partners(conn: sqlite3.Connection, doc_ids: Iterable[int]) -> set[int]:
    """The documents paired with any of doc_ids."""
    out: set[int] = set()
    for doc_id in doc_ids:
        out.update(
            r[0]
            for r in conn.execute(
                "SELECT b FROM translation_pairs WHERE a = ?1"
                " UNION SELECT a FROM translation_pairs WHERE b = ?1",
                (doc_id,),
            )
        )
    return out


def replace_pairs(
    conn: sqlite3.Connection, doc_ids: Iterable[int], pairs: Iterable[tuple[int, int, float]]
) -> None:
    """Forget the pairs of doc_ids, then keep these."""
    for doc_id in doc_ids:
        conn.execute("DELETE FROM translation_pairs WHERE a = ?1 OR b = ?1", (doc_id,))
    conn.executemany(
        "INSERT OR REPLACE INTO translation_pairs (a, b, evidence) VALUES (?, ?, ?)",
        [(min(a, b), max(a, b), e) for a, b, e in pairs if a != b],
    )


def unkeyed(catalog: Catalog, limit: int) -> list[int]:
    """Documents not yet considered for translations (catalogued before migration 7, or
    restored from an export)."""
    rows = catalog.query(
        "SELECT id FROM documents WHERE id NOT IN (SELECT doc_id FROM translation_keys)"
        " ORDER BY id LIMIT ?",
        (limit,),
    )
    return [r[0] for r in rows]


def pairs(catalog: Catalog) -> list[tuple[int, int, float]]:
    """Every translation pair (a < b), for measures and tests."""
    return [tuple(r) for r in catalog.query("SELECT a, b, evidence FROM translation_pairs")]  # type: ignore[misc]
