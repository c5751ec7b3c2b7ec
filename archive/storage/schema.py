"""The catalog's tables, as migrations: entry i takes the schema from version i to i + 1.

Append, never edit: a catalog on disk has run every migration up to its schema_version.
"""

from __future__ import annotations

# A document's "last changed" time, YYYY-MM-DDThh:mm:ssZ (sorts as text): the wall clock, but
# never earlier than any document's, so that (changed_at, id) only grows in commit order even if
# the clock steps back (the OAI-PMH harvest's resumption tokens rely on it: storage/harvest.py).
CHANGED_NOW = (
    "max(strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),"
    " (SELECT coalesce(max(changed_at), '') FROM documents))"
)
# The columns a harvested record shows: changing any of them (an edit, publish, trash,
# restore) changes the document.
RECORD_COLUMNS = (
    "title, authors, publication, date, date_ambiguous, date_readings, language, tags, url, status"
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # AUTOINCREMENT: an id is never reused after a delete, so a stale index entry, link or
        # audit record can never point at a different document.
        """CREATE TABLE documents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
            filename TEXT NOT NULL,
            format TEXT NOT NULL,
            size INTEGER NOT NULL CHECK (size >= 0),
            title TEXT NOT NULL,
            authors TEXT NOT NULL,
            publication TEXT NOT NULL,
            date TEXT,
            date_ambiguous INTEGER NOT NULL DEFAULT 0,
            date_readings TEXT NOT NULL,
            language TEXT NOT NULL,
            tags TEXT NOT NULL,
            url TEXT NOT NULL,
            source_id TEXT,
            blocks TEXT NOT NULL,
            added_at TEXT NOT NULL,
            -- bumped by every metadata change, so a stale indexer batch cannot mark it indexed
            revision INTEGER NOT NULL DEFAULT 1,
            indexed INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX documents_unindexed ON documents (id) WHERE indexed = 0",
    ),
    (
        # issue 3: drafts awaiting confirmation, the trash, collections, the audit log, bulk
        # import jobs, and accounts (users, API tokens, sessions, login throttling)
        "ALTER TABLE documents ADD COLUMN status TEXT NOT NULL DEFAULT 'published'"
        " CHECK (status IN ('draft', 'published', 'trashed'))",
        "ALTER TABLE documents ADD COLUMN trashed_at TEXT",
        """CREATE TABLE collections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 200),
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE collection_documents (
            collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
            doc_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            PRIMARY KEY (collection_id, doc_id)
        )""",
        "CREATE INDEX collection_documents_doc ON collection_documents (doc_id)",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            doc_id INTEGER,
            details TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX audit_doc ON audit (doc_id, id)",
        """CREATE TABLE jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            source TEXT NOT NULL,
            actor TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed', 'interrupted')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            total INTEGER,
            done INTEGER NOT NULL DEFAULT 0,
            added INTEGER NOT NULL DEFAULT 0,
            duplicates INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            errors TEXT NOT NULL DEFAULT '[]',
            message TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('reader', 'archivist', 'admin')),
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE tokens (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL REFERENCES users (id),
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
            created_at TEXT NOT NULL,
            last_used_at TEXT,
            revoked_at TEXT
        )""",
        """CREATE TABLE sessions (
            id_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id),
            csrf TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )""",
        """CREATE TABLE login_failures (
            key TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            last_at REAL NOT NULL
        )""",
    ),
    (
        # issue 15 (OAI-PMH): the last change of each document: set by the INSERT itself
        # (storage/rows.py: a trigger's UPDATE would write every new row, text and all, twice)
        # and kept by triggers on every later change (edits, publishing, the trash,
        # collections); existing rows take their latest audited change, else their addition.
        "ALTER TABLE documents ADD COLUMN changed_at TEXT NOT NULL DEFAULT ''",
        "UPDATE documents SET changed_at = strftime('%Y-%m-%dT%H:%M:%SZ', max(added_at,"
        " coalesce(trashed_at, ''),"
        " coalesce((SELECT max(at) FROM audit WHERE audit.doc_id = documents.id), '')))",
        "CREATE INDEX documents_changed ON documents (changed_at, id)",
        f"""CREATE TRIGGER documents_changed_on_update AFTER UPDATE OF {RECORD_COLUMNS}
            ON documents BEGIN
            UPDATE documents SET changed_at = {CHANGED_NOW} WHERE id = NEW.id;
        END""",
        f"""CREATE TRIGGER documents_changed_on_collect AFTER INSERT ON collection_documents
            BEGIN
            UPDATE documents SET changed_at = {CHANGED_NOW} WHERE id = NEW.doc_id;
        END""",
        f"""CREATE TRIGGER documents_changed_on_uncollect AFTER DELETE ON collection_documents
            BEGIN
            UPDATE documents SET changed_at = {CHANGED_NOW} WHERE id = OLD.doc_id;
        END""",
    ),
    (
        # issue 14: how an import read each file ({"files": [[name, "JSONL"], …], "counts":
        # {"JSONL": 1}}), so its summary says what each file was taken for
        "ALTER TABLE jobs ADD COLUMN read_as TEXT NOT NULL DEFAULT '{}'",
        # a PDF's page count, for the drafts list (NULL: no pages, or added before)
        "ALTER TABLE documents ADD COLUMN pages INTEGER",
    ),
    (
        # issue 16 (copies of one text): each document's near-duplicate signature and its LSH
        # band keys (ingest/copies.py), the pairs found similar, an archivist's decisions that
        # override them (kept through reindexes: the index is never their source), and the
        # groups they make (group_id: the smallest id of the group; a document alone has none)
        """CREATE TABLE copy_signatures (
            doc_id INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
            signature BLOB NOT NULL
        )""",
        """CREATE TABLE copy_bands (
            key INTEGER NOT NULL,
            doc_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            PRIMARY KEY (key, doc_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX copy_bands_doc ON copy_bands (doc_id)",
        """CREATE TABLE copy_pairs (
            a INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            b INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            similarity REAL NOT NULL,
            PRIMARY KEY (a, b),
            CHECK (a < b)
        ) WITHOUT ROWID""",
        "CREATE INDEX copy_pairs_b ON copy_pairs (b)",
        """CREATE TABLE copy_decisions (
            a INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            b INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            decision TEXT NOT NULL CHECK (decision IN ('join', 'split')),
            PRIMARY KEY (a, b),
            CHECK (a < b)
        ) WITHOUT ROWID""",
        "CREATE INDEX copy_decisions_b ON copy_decisions (b)",
        """CREATE TABLE copy_groups (
            doc_id INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
            group_id INTEGER NOT NULL
        )""",
        "CREATE INDEX copy_groups_group ON copy_groups (group_id)",
    ),
    (
        # issue 14 (OCR): which pages were read by OCR, in what language, by which Tesseract,
        # and which wait for it (JSON of models.OcrRecord: ingest/extract/wire.py; NULL: none
        # scanned); the partial index finds the documents `archive ocr` has to read
        "ALTER TABLE documents ADD COLUMN ocr TEXT",
        "CREATE INDEX documents_needing_ocr ON documents (id)"
        " WHERE json_extract(ocr, '$.needed[0]') IS NOT NULL",
    ),
    (
        # issue 16 (translations): what pairing a document with its translation needs to find
        # candidates by an indexed lookup (its day as a day number, language, authors' and
        # publication's cross-script keys: search/translations.py), and the pairs found. Pairs
        # join the groups of copy_groups; an archivist's copy_decisions override them too.
        """CREATE TABLE translation_keys (
            doc_id INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
            day INTEGER,
            language TEXT NOT NULL,
            source TEXT NOT NULL
        )""",
        "CREATE INDEX translation_keys_day ON translation_keys (day, language)"
        " WHERE day IS NOT NULL",
        """CREATE TABLE translation_pairs (
            a INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            b INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            evidence REAL NOT NULL,
            PRIMARY KEY (a, b),
            CHECK (a < b)
        ) WITHOUT ROWID""",
        "CREATE INDEX translation_pairs_b ON translation_pairs (b)",
    ),
)
