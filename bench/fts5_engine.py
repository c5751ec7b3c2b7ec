"""SQLite FTS5 in-process (the standard library's sqlite3): the same corpus, the same page.

Tables, in one database file:
- docs_fts(title, body): FTS5, contentless (the text lives in passages_fts), tokenizer
  `porter unicode61 remove_diacritics 2` (English stems, accents folded, every script split
  into words); ranked by bm25.
- passages_fts(text): FTS5 with its content, one row a paragraph, rowid = document id * 2**20
  + paragraph number; a hit's 3 snippets are `snippet()` of its best 3 paragraphs for any of
  the query's words or phrases (the archive too takes its snippets from paragraphs).
- docs, doc_authors, doc_tags: the metadata, for hits and for the facets, counted with SQL over
  the whole match set (kept in a temporary table), and the timeline by year.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from engines import (
    FACET_VALUES,
    PER_PAGE,
    SNIPPETS,
    Plain,
    Result,
    clean,
    names,
    paragraphs,
    plain,
    quoted,
    year_facets,
    year_of,
)

TOKENIZER = "porter unicode61 remove_diacritics 2"
PASSAGE_SPAN = 1 << 20  # rowids of one document's paragraphs
SNIPPET_TOKENS = 40  # about the archive's 240 characters
SCHEMA = f"""
CREATE TABLE docs(id INTEGER PRIMARY KEY, source_id TEXT, title TEXT, publication TEXT,
                  date TEXT, year INTEGER, language TEXT);
CREATE TABLE doc_authors(doc INTEGER NOT NULL, author TEXT NOT NULL);
CREATE TABLE doc_tags(doc INTEGER NOT NULL, tag TEXT NOT NULL);
CREATE VIRTUAL TABLE docs_fts USING fts5(title, body, content='', tokenize='{TOKENIZER}');
CREATE VIRTUAL TABLE passages_fts USING fts5(text, tokenize='{TOKENIZER}');
"""
INDEXES = """
CREATE INDEX doc_authors_doc ON doc_authors(doc);
CREATE INDEX doc_tags_doc ON doc_tags(doc);
"""
# facet -> SQL counting its values over the match set (temp table m)
FACET_SQL = {
    "authors": "SELECT a.author, count(*) AS n FROM m JOIN doc_authors a ON a.doc = m.doc"
    " GROUP BY a.author ORDER BY n DESC, a.author LIMIT ?",
    "tags": "SELECT t.tag, count(*) AS n FROM m JOIN doc_tags t ON t.doc = m.doc"
    " GROUP BY t.tag ORDER BY n DESC, t.tag LIMIT ?",
    "publication": "SELECT d.publication, count(*) AS n FROM m JOIN docs d ON d.id = m.doc"
    " WHERE d.publication != '' GROUP BY d.publication ORDER BY n DESC, d.publication LIMIT ?",
    "language": "SELECT d.language, count(*) AS n FROM m JOIN docs d ON d.id = m.doc"
    " WHERE d.language != '' GROUP BY d.language ORDER BY n DESC, d.language LIMIT ?",
}
# the first page: bm25 is lower for a better match; each hit with its metadata, as the archive's
HITS_SQL = """
SELECT m.doc, d.title, d.publication, d.date, d.language,
       (SELECT group_concat(author, '; ') FROM doc_authors WHERE doc = m.doc),
       (SELECT group_concat(tag, '; ') FROM doc_tags WHERE doc = m.doc)
FROM m JOIN docs d ON d.id = m.doc ORDER BY m.score, m.doc LIMIT ?
"""
YEARS_SQL = (
    "SELECT d.year, count(*) FROM m JOIN docs d ON d.id = m.doc"
    " WHERE d.year IS NOT NULL GROUP BY d.year"
)


def available() -> str | None:
    """None when this sqlite3 has FTS5, else why not."""
    try:
        with sqlite3.connect(":memory:") as conn:
            conn.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    except sqlite3.OperationalError as exc:
        return f"SQLite {sqlite3.sqlite_version} has no FTS5 ({exc})"
    return None


def match_expression(q: Plain) -> str:
    return f" {q.op} ".join(quoted(part) for part in q.parts)


def passages_expression(q: Plain) -> str:
    """Paragraphs worth a snippet: any of the query's words or phrases."""
    return " OR ".join(quoted(part) for part in q.parts)


class Fts5Engine:
    name = "sqlite"
    label = "SQLite FTS5"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(path)
        self.conn.executescript(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;"
            " PRAGMA cache_size=-131072; PRAGMA mmap_size=1073741824;"
        )

    def build(self, records: Iterable[dict]) -> dict[str, float]:
        """Every record, in one transaction, then FTS5's optimize (merge into one b-tree)."""
        conn = self.conn
        conn.executescript(SCHEMA)
        began = time.perf_counter()
        n = 0
        with conn:
            for n, record in enumerate(records, 1):
                paras = paragraphs(record)
                conn.execute(
                    "INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (n, record["id"], clean(record["title"]), clean(record.get("publication")),
                     clean(record.get("date")), year_of(record), clean(record.get("language"))),
                )  # fmt: skip
                conn.executemany(
                    "INSERT INTO doc_authors VALUES (?, ?)",
                    [(n, a) for a in names(record.get("authors"))],
                )
                conn.executemany(
                    "INSERT INTO doc_tags VALUES (?, ?)",
                    [(n, t) for t in names(record.get("tags"))],
                )
                conn.execute(
                    "INSERT INTO docs_fts(rowid, title, body) VALUES (?, ?, ?)",
                    (n, clean(record["title"]), "\n".join(paras)),
                )
                conn.executemany(
                    "INSERT INTO passages_fts(rowid, text) VALUES (?, ?)",
                    [(n * PASSAGE_SPAN + i, p) for i, p in enumerate(paras)],
                )
            conn.executescript(INDEXES)
        added = time.perf_counter()
        with conn:
            conn.execute("INSERT INTO docs_fts(docs_fts) VALUES ('optimize')")
            conn.execute("INSERT INTO passages_fts(passages_fts) VALUES ('optimize')")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        done = time.perf_counter()
        conn.isolation_level = None  # searches run in autocommit
        conn.execute("CREATE TEMP TABLE m(doc INTEGER PRIMARY KEY, score REAL)")
        return {"documents": n, "seconds": done - began, "optimize_seconds": done - added}

    def search(self, text: str) -> Result:
        q = plain(text)
        conn = self.conn
        conn.execute("DELETE FROM m")
        total = conn.execute(
            "INSERT INTO m SELECT rowid, bm25(docs_fts) FROM docs_fts WHERE docs_fts MATCH ?",
            (match_expression(q),),
        ).rowcount
        top = conn.execute(HITS_SQL, (PER_PAGE,)).fetchall()
        passages = passages_expression(q)
        snippets: list[int] = []
        for doc, *_ in top:
            found = conn.execute(
                "SELECT snippet(passages_fts, 0, '<mark>', '</mark>', '…', ?) FROM passages_fts"
                " WHERE passages_fts MATCH ? AND rowid >= ? AND rowid < ? ORDER BY rank LIMIT ?",
                (SNIPPET_TOKENS, passages, doc * PASSAGE_SPAN, (doc + 1) * PASSAGE_SPAN, SNIPPETS),
            ).fetchall()
            snippets.append(len(found))
        facets = {
            facet: [(v, c) for v, c in conn.execute(sql, (FACET_VALUES,))]
            for facet, sql in FACET_SQL.items()
        }
        facets["year"], timeline = year_facets(dict(conn.execute(YEARS_SQL).fetchall()))
        return Result(total, [row[1] for row in top], snippets, facets, timeline)

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))

    def close(self) -> None:
        self.conn.close()
