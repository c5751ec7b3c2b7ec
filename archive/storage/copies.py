"""The catalog's copies of one text: signatures, LSH band keys, similar pairs, an archivist's
decisions, and the groups they make (tables of storage/schema.py, migration 4).

A group is a connected part of the graph whose edges are the pairs found similar and the
translations found (storage/translations.py), less those an archivist split, and the pairs an
archivist joined; its id is its smallest document id. Groups
are recomputed here for the documents a change touches, never at query time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from archive.errors import BadRequest, NotFound
from archive.models import Copy
from archive.storage.catalog import Catalog

# a component larger than this is a chain gone wrong (boilerplate left in): it is cut here
MAX_GROUP = 500


def candidates(conn: sqlite3.Connection, keys: Sequence[int]) -> list[tuple[int, bytes]]:
    """(doc_id, signature) of every document sharing one of the band keys."""
    marks = ",".join("?" * len(keys))
    return conn.execute(
        "SELECT s.doc_id, s.signature FROM copy_signatures s WHERE s.doc_id IN"
        f" (SELECT DISTINCT doc_id FROM copy_bands WHERE key IN ({marks}))",
        tuple(keys),
    ).fetchall()


def store_signature(
    conn: sqlite3.Connection, doc_id: int, signature: bytes, keys: Sequence[int]
) -> None:
    """A document's signature and band keys, replacing any earlier ones (its text changed)."""
    conn.execute("DELETE FROM copy_bands WHERE doc_id = ?", (doc_id,))
    conn.execute("DELETE FROM copy_pairs WHERE a = ? OR b = ?", (doc_id, doc_id))
    conn.execute(
        "INSERT OR REPLACE INTO copy_signatures (doc_id, signature) VALUES (?, ?)",
        (doc_id, signature),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO copy_bands (key, doc_id) VALUES (?, ?)",
        [(k, doc_id) for k in keys],
    )


def add_pairs(conn: sqlite3.Connection, pairs: Iterable[tuple[int, int, float]]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO copy_pairs (a, b, similarity) VALUES (?, ?, ?)",
        [(min(a, b), max(a, b), s) for a, b, s in pairs if a != b],
    )


def unsigned(catalog: Catalog, limit: int) -> list[int]:
    """Documents without a signature yet (catalogued before migration 4, or restored)."""
    rows = catalog.query(
        "SELECT id FROM documents WHERE id NOT IN (SELECT doc_id FROM copy_signatures)"
        " ORDER BY id LIMIT ?",
        (limit,),
    )
    return [r[0] for r in rows]


def mark_unsigned(conn: sqlite3.Connection, doc_id: int) -> None:
    """A document with too little text for a signature: an empty one records that it was seen."""
    conn.execute(
        "INSERT OR REPLACE INTO copy_signatures (doc_id, signature) VALUES (?, x'')", (doc_id,)
    )
    conn.execute("DELETE FROM copy_bands WHERE doc_id = ?", (doc_id,))
    conn.execute("DELETE FROM copy_pairs WHERE a = ? OR b = ?", (doc_id, doc_id))


def _edges(conn: sqlite3.Connection, doc_id: int) -> tuple[set[int], set[int]]:
    """(documents doc_id is a copy of, documents an archivist split from it)."""
    found = {
        r[0]
        for r in conn.execute(
            "SELECT b FROM copy_pairs WHERE a = ?1 UNION SELECT a FROM copy_pairs WHERE b = ?1"
            " UNION SELECT b FROM copy_decisions WHERE a = ?1 AND decision = 'join'"
            " UNION SELECT a FROM copy_decisions WHERE b = ?1 AND decision = 'join'"
            # translations (storage/translations.py) join the same groups
            " UNION SELECT b FROM translation_pairs WHERE a = ?1"
            " UNION SELECT a FROM translation_pairs WHERE b = ?1",
            (doc_id,),
        )
    }
    split = {
        r[0]
        for r in conn.execute(
            "SELECT b FROM copy_decisions WHERE a = ?1 AND decision = 'split'"
            " UNION SELECT a FROM copy_decisions WHERE b = ?1 AND decision = 'split'",
            (doc_id,),
        )
    }
    return found - split, split


def regroup(conn: sqlite3.Connection, doc_ids: Iterable[int]) -> None:
    """Recompute the groups of these documents (and of the groups they were in)."""
    todo = set(doc_ids)
    for doc_id in list(todo):  # the old group's members may fall apart from each other
        row = conn.execute("SELECT group_id FROM copy_groups WHERE doc_id = ?", (doc_id,))
        for (group_id,) in row.fetchall():
            todo.update(
                r[0]
                for r in conn.execute(
                    "SELECT doc_id FROM copy_groups WHERE group_id = ?", (group_id,)
                )
            )
    done: set[int] = set()
    for start in sorted(todo):
        if start in done:
            continue
        component, frontier = {start}, [start]
        # an archivist's split holds for the whole group: a document split from any member
        # never joins it through another (a later reprint similar to both, say)
        kept_out = _edges(conn, start)[1]
        while frontier and len(component) < MAX_GROUP:
            for other in _edges(conn, frontier.pop())[0]:
                if other in component or other in kept_out or other in done:
                    continue
                linked, split = _edges(conn, other)
                if split & component:
                    continue
                component.add(other)
                kept_out |= split
                frontier.append(other)
        done |= component
        conn.executemany("DELETE FROM copy_groups WHERE doc_id = ?", [(d,) for d in component])
        if len(component) > 1:
            group_id = min(component)
            conn.executemany(
                "INSERT INTO copy_groups (doc_id, group_id) VALUES (?, ?)",
                [(d, group_id) for d in component],
            )


def decide(conn: sqlite3.Connection, a: int, b: int, decision: str) -> None:
    """An archivist's join or split of two documents; it overrides what detection found."""
    if decision not in ("join", "split"):
        raise BadRequest("a decision is join or split")
    if a == b:
        raise BadRequest("a document cannot be joined to or split from itself")
    for doc_id in (a, b):
        if conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone() is None:
            raise NotFound(f"there is no document {doc_id}")
    conn.execute(
        "INSERT OR REPLACE INTO copy_decisions (a, b, decision) VALUES (?, ?, ?)",
        (min(a, b), max(a, b), decision),
    )


def are_copies(conn: sqlite3.Connection, a: int, b: int) -> bool:
    """Whether detection found a and b copies of one text."""
    row = conn.execute(
        "SELECT 1 FROM copy_pairs WHERE a = ? AND b = ?", (min(a, b), max(a, b))
    ).fetchone()
    return row is not None


def is_grouped(conn: sqlite3.Connection, doc_id: int) -> bool:
    row = conn.execute("SELECT 1 FROM copy_groups WHERE doc_id = ?", (doc_id,)).fetchone()
    return row is not None


def group_members(conn: sqlite3.Connection, doc_id: int) -> list[int]:
    """The other documents of doc_id's group, in id order (none when it is alone)."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT g.doc_id FROM copy_groups g JOIN copy_groups me"
            " ON g.group_id = me.group_id WHERE me.doc_id = ? AND g.doc_id != me.doc_id"
            " ORDER BY g.doc_id",
            (doc_id,),
        )
    ]


def groups_of(catalog: Catalog, doc_ids: Sequence[int]) -> dict[int, int]:
    """doc_id -> group_id for those of doc_ids that are in a group."""
    if not doc_ids:
        return {}
    marks = ",".join("?" * len(doc_ids))
    rows = catalog.query(
        f"SELECT doc_id, group_id FROM copy_groups WHERE doc_id IN ({marks})", tuple(doc_ids)
    )
    return dict(rows)


def listed(catalog: Catalog, doc_ids: Sequence[int]) -> dict[int, Copy]:
    """How a hit lists these documents as its copies (title, language, format, publication,
    date, status), by id, in one query. Read as whole catalog rows (every field but the text,
    each row's JSON fields decoded) the listing of a page's copies was a tenth of a search at
    100k, where every hit has four."""
    rows = catalog.rows_of(
        "SELECT id, title, language, format, publication, date, status FROM documents", doc_ids
    )
    return {row[0]: Copy(*row) for row in rows}


def members_of(
    catalog: Catalog, group_ids: Sequence[int], *, hidden: bool = False
) -> dict[int, list[int]]:
    """group_id -> its documents in id order; only published ones unless hidden (a reader must
    never learn of a draft or a trashed copy)."""
    if not group_ids:
        return {}
    marks = ",".join("?" * len(group_ids))
    status = "" if hidden else " AND d.status = 'published'"
    rows = catalog.query(
        "SELECT g.group_id, g.doc_id FROM copy_groups g JOIN documents d ON d.id = g.doc_id"
        f" WHERE g.group_id IN ({marks}){status} ORDER BY g.doc_id",
        tuple(group_ids),
    )
    out: dict[int, list[int]] = {}
    for group_id, doc_id in rows:
        out.setdefault(group_id, []).append(doc_id)
    return out


def decisions(catalog: Catalog, doc_id: int) -> list[tuple[int, str]]:
    """(other document, decision) for every archivist's decision about doc_id."""
    rows = catalog.query(
        "SELECT b, decision FROM copy_decisions WHERE a = ?1"
        " UNION ALL SELECT a, decision FROM copy_decisions WHERE b = ?1",
        (doc_id,),
    )
    return [(r[0], r[1]) for r in rows]


def decided(conn: sqlite3.Connection) -> list[int]:
    """Every document that an archivist's decision names."""
    return [
        r[0]
        for r in conn.execute("SELECT a FROM copy_decisions UNION SELECT b FROM copy_decisions")
    ]
