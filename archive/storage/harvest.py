"""Listing documents by their last change for harvesters (OAI-PMH): the SQL behind
`Archive.harvest`. Drafts are never listed; trashed documents are, as deleted records.

Sets: ``collection`` (documents in any collection), ``collection:<id>`` (one collection, by its
id: a name can hold any character, a set spec cannot), ``language`` (documents whose language
is known) and ``language:<code>`` (one language).
"""

from __future__ import annotations

import json
import re

from archive.models import HarvestFacts, HarvestQuery, HarvestRecord, HarvestSet, HarvestSlice
from archive.storage.catalog import Catalog
from archive.storage.rows import COLUMN_COUNT, COLUMNS, document_from_row

HARVESTED = "status IN ('published', 'trashed')"
_COLUMN_COUNT = COLUMN_COUNT
# the record's columns, then its last change and its collections' ids
RECORD = (
    f"SELECT {COLUMNS}, changed_at, (SELECT json_group_array(collection_id)"
    " FROM collection_documents WHERE doc_id = documents.id) FROM documents"
)
# the same without the text (ListIdentifiers): the blocks column read as an empty list
HEADER = RECORD.replace(" blocks,", " '[]',", 1)
assert HEADER != RECORD
# OAI-PMH's setSpec pattern, per part
_SPEC_PART = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")


def _set_filter(spec: str | None) -> tuple[str, list[object]] | None:
    """SQL (AND …) and parameters selecting a set's documents; None for a set that is not ours."""
    if spec is None:
        return "", []
    in_collection = "EXISTS (SELECT 1 FROM collection_documents cd WHERE cd.doc_id = documents.id"
    if spec == "collection":
        return f" AND {in_collection})", []
    if match := re.fullmatch(r"collection:([1-9][0-9]{0,17})", spec):
        return f" AND {in_collection} AND cd.collection_id = ?)", [int(match.group(1))]
    if spec == "language":
        return " AND language != ''", []
    if (match := re.fullmatch(r"language:(.+)", spec)) and _SPEC_PART.fullmatch(match.group(1)):
        return " AND language = ?", [match.group(1)]
    return None


def _where(query: HarvestQuery) -> tuple[str, list[object]] | None:
    found = _set_filter(query.set_spec)
    if found is None:
        return None
    sql, params = f"WHERE {HARVESTED}{found[0]}", list(found[1])
    if query.since is not None:
        sql += " AND changed_at >= ?"
        params.append(query.since)
    if query.until is not None:
        sql += " AND changed_at <= ?"
        params.append(query.until)
    return sql, params


def _record(row: tuple) -> HarvestRecord:
    document = document_from_row(row[:_COLUMN_COUNT])
    collection_ids = sorted(json.loads(row[_COLUMN_COUNT + 1] or "[]"))
    sets = (
        ["collection", *(f"collection:{cid}" for cid in collection_ids)] if collection_ids else []
    )
    language = document.metadata.language
    if language and _SPEC_PART.fullmatch(language):
        sets += ["language", f"language:{language}"]
    return HarvestRecord(document, row[_COLUMN_COUNT], document.status == "trashed", tuple(sets))


def has_sets(catalog: Catalog) -> bool:
    return bool(
        catalog.query(
            "SELECT EXISTS (SELECT 1 FROM collections)"
            f" OR EXISTS (SELECT 1 FROM documents WHERE {HARVESTED} AND language != '')"
        )[0][0]
    )


def changes(catalog: Catalog, query: HarvestQuery) -> HarvestSlice:
    """Up to query.limit records after the cursor, in (changed_at, id) order."""
    where = _where(query)
    if where is None:
        return HarvestSlice((), False, 0, has_sets(catalog))
    sql, params = where
    total = catalog.query(f"SELECT count(*) FROM documents {sql}", params)[0][0]
    if query.after is not None:
        sql += " AND (changed_at, id) > (?, ?)"
        params += list(query.after)
    rows = catalog.query(
        f"{RECORD if query.with_text else HEADER} {sql} ORDER BY changed_at, id LIMIT ?",
        [*params, query.limit + 1],
    )
    records = tuple(_record(row) for row in rows[: query.limit])
    return HarvestSlice(records, len(rows) > query.limit, total, has_sets(catalog))


def record(catalog: Catalog, doc_id: int) -> HarvestRecord | None:
    """One harvestable document (published or trashed), or None (a draft, or no such id)."""
    rows = catalog.query(f"{RECORD} WHERE id = ? AND {HARVESTED}", (doc_id,))
    return _record(rows[0]) if rows else None


def facts(catalog: Catalog) -> HarvestFacts:
    earliest = catalog.query(f"SELECT min(changed_at) FROM documents WHERE {HARVESTED}")[0][0]
    sets = [HarvestSet("collection", "Collections")]
    sets += [
        HarvestSet(f"collection:{cid}", name)
        for cid, name in catalog.query(
            "SELECT id, name FROM collections ORDER BY name COLLATE NOCASE, id"
        )
    ]
    languages = [
        code
        for (code,) in catalog.query(
            f"SELECT DISTINCT language FROM documents WHERE {HARVESTED} AND language != ''"
            " ORDER BY language"
        )
        if _SPEC_PART.fullmatch(code)
    ]
    if len(sets) == 1:
        sets = []  # no collection: no "collection" set either
    if languages:
        sets.append(HarvestSet("language", "Languages"))
        sets += [HarvestSet(f"language:{code}", f"Language: {code}") for code in languages]
    return HarvestFacts(earliest or None, tuple(sets))
