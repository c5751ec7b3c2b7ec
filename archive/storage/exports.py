"""The catalog rows an export carries beside its documents (collections, users without secrets,
the audit log, an archivist's decisions about copies and translations), read for `archive
export` and written back by `archive import` (core.transfer owns the folder's layout; this
module owns the SQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from archive.models import Document
from archive.storage.catalog import Catalog


def collections(catalog: Catalog) -> Iterator[dict[str, Any]]:
    for name, created in catalog.query("SELECT name, created_at FROM collections ORDER BY id"):
        yield {"name": name, "created_at": created}


def users(catalog: Catalog) -> Iterator[dict[str, Any]]:
    """Users without their password hashes: no secret leaves the archive."""
    sql = "SELECT username, role, disabled, created_at FROM users ORDER BY id"
    for u, r, d, c in catalog.query(sql):
        yield {"username": u, "role": r, "disabled": bool(d), "created_at": c}


def audit(catalog: Catalog) -> Iterator[dict[str, Any]]:
    sql = "SELECT at, actor, action, doc_id, details FROM audit ORDER BY id"
    for at, actor, action, doc_id, details in catalog.query(sql):
        yield {
            "at": at,
            "actor": actor,
            "action": action,
            "doc_id": doc_id,
            "details": json.loads(details),
        }


def decisions(catalog: Catalog) -> Iterator[dict[str, Any]]:
    """An archivist's joins and splits of groups (issue 16): the ids are the documents', which
    an import keeps."""
    sql = "SELECT a, b, decision FROM copy_decisions ORDER BY a, b"
    for a, b, decision in catalog.query(sql):
        yield {"a": a, "b": b, "decision": decision}


def restore(
    catalog: Catalog,
    docs: Sequence[Document],
    collections: Sequence[dict[str, Any]],
    users: Sequence[dict[str, Any]],
    audit: Sequence[dict[str, Any]],
    decisions: Sequence[dict[str, Any]] = (),
) -> None:
    """Write an export's collections, memberships, users, audit log and decisions in one
    transaction."""
    with catalog.transaction() as conn:
        conn.executemany(
            "INSERT INTO copy_decisions (a, b, decision) VALUES (?, ?, ?)",
            [(min(d["a"], d["b"]), max(d["a"], d["b"]), d["decision"]) for d in decisions],
        )
        for c in collections:
            conn.execute(
                "INSERT INTO collections (name, created_at) VALUES (?, ?)",
                (c["name"], c["created_at"]),
            )
        for doc in docs:
            for name in doc.collections:
                conn.execute(
                    "INSERT INTO collection_documents SELECT id, ? FROM collections WHERE name = ?",
                    (doc.id, name),
                )
        for u in users:
            # no secrets travel: an imported user signs in after an admin sets a password
            conn.execute(
                "INSERT INTO users (username, password_hash, role, disabled, created_at)"
                " VALUES (?, '!', ?, ?, ?)",
                (u["username"], u["role"], int(u["disabled"]), u["created_at"]),
            )
        for a in audit:
            conn.execute(
                "INSERT INTO audit (at, actor, action, doc_id, details) VALUES (?, ?, ?, ?, ?)",
                (a["at"], a["actor"], a["action"], a["doc_id"],
                 json.dumps(a["details"], ensure_ascii=False)),
            )  # fmt: skip
