"""The SQLite catalog: documents, their metadata and blocks, and whether the index has them.

Threading: one connection per thread (``threading.local``), and one in-process lock around every
write transaction. Per-thread connections let WAL do its job: web threads read concurrently, and
never wait behind the ingest thread's 500-row transaction, which a single shared connection behind
a lock would force. Writes are serialised by the lock and begin with ``BEGIN IMMEDIATE``, so they
take SQLite's write lock up front (waiting up to ``busy_timeout`` for another process, such as a
CLI ingest next to the server) instead of failing on a read-to-write upgrade mid-transaction.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError, Duplicate, NotFound
from archive.models import Block, Document, Metadata, is_row_id
from archive.storage.rows import (
    INSERT,
    SELECT,
    NewRow,
    document_from_row,
    dumps,
    metadata_params,
    row_params,
)
from archive.storage.schema import MIGRATIONS

BUSY_TIMEOUT_MS = 30_000
# Each connection's page cache, in KiB (SQLite's default is 2,000). A server holds one connection
# per web thread (40), and each cache filled over the minutes of a load test: at 100k the
# server's heap in use grew by ~50 MB in five minutes. Pages not cached here are read from the
# system's file cache, and a write from another connection empties a connection's cache anyway.
PAGE_CACHE_KIB = 256

SCHEMA_VERSION = len(MIGRATIONS)
# A row's revision when added (the schema's default): every change bumps it.
FIRST_REVISION = 1


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Catalog:
    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        """read_only: a reader beside the process that owns the catalog (a server's search
        process): SQLite refuses its writes, and it neither creates nor migrates the file."""
        self.path = Path(path)
        self.read_only = read_only
        self._local = threading.local()
        # (thread, connection) for every connection opened, so close() can close them all and
        # connections of finished threads (the web threadpool retires idle threads) are reclaimed.
        self._connections: list[tuple[weakref.ref[threading.Thread], sqlite3.Connection]] = []
        self._state_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False
        # revision seen by unindexed(), per id: mark_indexed() only marks that revision.
        self._pending: dict[int, int] = {}
        if read_only:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise

    # --- connections and transactions --------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise ArchiveError("the catalog is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        # isolation_level=None: we issue BEGIN/COMMIT ourselves; check_same_thread=False only so
        # close() and the reaper can close a connection from another thread; each is used by one.
        target = f"file:{self.path}?mode=ro" if self.read_only else str(self.path)
        conn = sqlite3.connect(
            target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
            check_same_thread=False, uri=self.read_only,
        )  # fmt: skip
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
        conn.execute("PRAGMA synchronous = FULL")  # a committed row survives a power cut
        conn.execute("PRAGMA foreign_keys = ON")
        self._local.conn = conn
        with self._state_lock:
            alive = []
            for ref, other in self._connections:
                thread = ref()
                if thread is not None and thread.is_alive():
                    alive.append((ref, other))
                else:
                    other.close()
            alive.append((weakref.ref(threading.current_thread()), conn))
            self._connections = alive
        return conn

    @property
    def open_connections(self) -> int:
        """How many connections this catalog holds open (one per live thread that used it)."""
        with self._state_lock:
            return len(self._connections)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction for the modules that keep their own tables in the catalog."""
        with self._write() as conn:
            yield conn

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self._read(sql, params)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: serialised in-process, committed or rolled back as a whole."""
        with self._write_lock:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # a failed COMMIT may leave it open
                    conn.execute("ROLLBACK")
                raise

    def _migrate(self) -> None:
        conn = self._conn()
        # WAL is a property of the database file: set once here, every connection then uses it.
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise ArchiveError(f"cannot put the catalog {self.path} in WAL mode (got {mode})")
        with self._write() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS catalog_meta (key TEXT PRIMARY KEY, value TEXT)"
            )
            version = self.get_meta("schema_version")
            current = int(version) if version else 0
            if current > SCHEMA_VERSION:
                raise ArchiveError(
                    f"the catalog {self.path} has schema version {current}, newer than this"
                    f" program's {SCHEMA_VERSION}: upgrade the program"
                )
            for statements in MIGRATIONS[current:]:
                for statement in statements:
                    conn.execute(statement)
            if current < SCHEMA_VERSION:
                conn.execute(
                    "INSERT OR REPLACE INTO catalog_meta VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )

    def close(self) -> None:
        with self._state_lock:
            self._closed = True
            for _, conn in self._connections:
                conn.close()
            self._connections = []

    def get_meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM catalog_meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO catalog_meta VALUES (?, ?)", (key, value))

    # --- adding ------------------------------------------------------------------------------
    def add(
        self,
        sha256: str,
        filename: str,
        format: str,
        size: int,
        metadata: Metadata,
        blocks: Sequence[Block],
        source_id: str | None = None,
    ) -> int:
        """Insert one document and return its id; raises Duplicate when the sha is present."""
        row = NewRow(sha256, filename, format, size, metadata, blocks, source_id)
        [(doc_id, duplicate)] = self.add_many([row])
        if duplicate:
            raise Duplicate(f"the same file is already in the archive as document {doc_id}", doc_id)
        return doc_id

    def add_many(self, rows: Sequence[NewRow]) -> list[tuple[int, bool]]:
        """Insert a batch in one transaction; per row (id, is_duplicate).

        A duplicate (already stored, or earlier in the batch) yields the existing id and True and
        does not abort the batch. ON CONFLICT rather than a pre-check keeps this right when another
        process inserts the same sha concurrently.
        """
        added_at = _now()
        results: list[tuple[int, bool]] = []
        with self._write() as conn:
            for row in rows:
                inserted = conn.execute(INSERT, row_params(row, added_at)).fetchall()
                if inserted:
                    results.append((inserted[0][0], False))
                else:
                    existing = conn.execute(
                        "SELECT id FROM documents WHERE sha256 = ?", (row.sha256,)
                    ).fetchone()
                    results.append((existing[0], True))
        return results

    def restore(self, docs: Sequence[Document]) -> None:
        """Insert documents exactly as exported: same ids, dates added and status (an import)."""
        sql = INSERT.replace("(sha256,", "(id, sha256,").replace("VALUES (?,", "VALUES (?, ?,")
        sql = sql.replace(" ON CONFLICT (sha256) DO NOTHING RETURNING id", "")
        with self._write() as conn:
            for doc in docs:
                row = NewRow(
                    doc.sha256, doc.filename, doc.format, doc.size, doc.metadata, doc.blocks,
                    doc.source_id, doc.status, ocr=doc.ocr,
                )  # fmt: skip
                conn.execute(sql, (doc.id, *row_params(row, doc.added_at)))

    # --- reading -----------------------------------------------------------------------------
    def _read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        # fetchall: a half-read cursor would keep a read transaction (and its WAL snapshot) open
        return self._conn().execute(sql, params).fetchall()

    def get(self, doc_id: int) -> Document:
        """The document; raises NotFound."""
        if not is_row_id(doc_id):
            raise NotFound(f"there is no document {doc_id}")
        rows = self._read(f"{SELECT} WHERE id = ?", (doc_id,))
        if not rows:
            raise NotFound(f"there is no document {doc_id}")
        return document_from_row(rows[0])

    def get_many(self, ids: Sequence[int]) -> dict[int, Document]:
        """The documents that exist among ids, by id, in one query (any number of ids)."""
        return self._documents(SELECT, ids)

    def _documents(self, select: str, ids: Sequence[int]) -> dict[int, Document]:
        return {row[0]: document_from_row(row) for row in self.rows_of(select, ids)}

    def rows_of(self, select: str, ids: Sequence[int]) -> list[tuple[Any, ...]]:
        """The rows `select` (a SELECT ... FROM documents) reads of these documents, in one
        query (any number of ids; what is not a row id is left out)."""
        ids_json = dumps([int(i) for i in ids if is_row_id(int(i))])
        return self._read(f"{select} WHERE id IN (SELECT value FROM json_each(?))", (ids_json,))

    def find_sha(self, sha: str) -> int | None:
        rows = self._read("SELECT id FROM documents WHERE sha256 = ?", (sha,))
        return rows[0][0] if rows else None

    def count(self) -> int:
        return self._read("SELECT count(*) FROM documents")[0][0]

    def all_ids(self) -> set[int]:
        return {row[0] for row in self._read("SELECT id FROM documents")}

    def sha256s(self) -> set[str]:
        """The checksum of every catalogued original, whatever its document's status."""
        return {row[0] for row in self._read("SELECT sha256 FROM documents")}

    def published_titles(self) -> list[tuple[int, str]]:
        return self._read("SELECT id, title FROM documents WHERE status = 'published'")

    def iter_documents(self, batch_size: int = 500) -> Iterator[Document]:
        """Every document by id; each batch is one query, so no read stays open across yields."""
        last = 0
        while rows := self._read(f"{SELECT} WHERE id > ? ORDER BY id LIMIT ?", (last, batch_size)):
            last = rows[-1][0]
            yield from (document_from_row(row) for row in rows)

    # --- indexing state ----------------------------------------------------------------------
    def unindexed(self, limit: int, after: int = 0) -> list[Document]:
        """Up to limit documents the index lacks, oldest first (ids above `after`: a reader
        that marks them indexed only later, search/bulk.py, reads on past them)."""
        rows = self._read(
            f"{SELECT} WHERE indexed = 0 AND id > ? ORDER BY id LIMIT ?", (after, limit)
        )
        with self._state_lock:
            self._pending.update((row[0], row[17]) for row in rows)
        return [document_from_row(row) for row in rows]

    def mark_indexed(self, ids: Sequence[int], *, as_added: bool = False) -> None:
        """Mark documents as in the index, except those changed since ``unindexed`` read them
        (as_added: since ``add_many`` added them, when they were indexed as added)."""
        with self._state_lock:
            params = [(i, FIRST_REVISION if as_added else self._pending.pop(i, None)) for i in ids]
        with self._write() as conn:
            conn.executemany(
                "UPDATE documents SET indexed = 1"
                " WHERE id = ? AND revision = coalesce(?, revision)",
                params,
            )

    def mark_unindexed(self, ids: Sequence[int]) -> None:
        with self._write() as conn:
            conn.executemany(
                "UPDATE documents SET indexed = 0, revision = revision + 1 WHERE id = ?",
                [(i,) for i in ids],
            )

    def mark_all_unindexed(self) -> None:
        with self._write() as conn:
            conn.execute("UPDATE documents SET indexed = 0 WHERE indexed != 0")

    def count_unindexed(self) -> int:
        return self._read("SELECT count(*) FROM documents WHERE indexed = 0")[0][0]

    # --- changing ----------------------------------------------------------------------------
    def update_metadata(self, doc_id: int, metadata: Metadata) -> None:
        """Replace a document's metadata and queue it for reindexing; raises NotFound."""
        with self._write() as conn:
            self.write_metadata(conn, doc_id, metadata)
            conn.execute(
                "UPDATE documents SET indexed = 0, revision = revision + 1 WHERE id = ?", (doc_id,)
            )

    def write_metadata(self, conn: sqlite3.Connection, doc_id: int, metadata: Metadata) -> None:
        """The metadata columns only, inside the caller's transaction; raises NotFound."""
        cur = conn.execute(
            "UPDATE documents SET title = ?, authors = ?, publication = ?, date = ?,"
            " date_ambiguous = ?, date_readings = ?, language = ?, tags = ?, url = ?"
            " WHERE id = ?",
            (*metadata_params(metadata), doc_id),
        )
        if cur.rowcount == 0:
            raise NotFound(f"there is no document {doc_id}")

    def delete(self, doc_id: int) -> None:
        """Remove a document's row (the index and the original are the caller's); NotFound."""
        with self._write() as conn:
            if conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,)).rowcount == 0:
                raise NotFound(f"there is no document {doc_id}")
