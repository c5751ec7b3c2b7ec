"""Copies of one text, kept as documents are added: each new document's signature is looked up
among the catalog's band keys, candidates are verified by their estimated similarity, and the
groups of those found are recomputed, in one catalog transaction a batch. Also: an archivist's
join and split (audited) and the copies a reader may see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from archive.ingest import copies as signatures
from archive.models import Block, Copy, HarvestRecord, Hit, Page
from archive.storage import audit
from archive.storage import copies as store
from archive.storage.catalog import Catalog

BACKFILL_BATCH = 500


def detect(catalog: Catalog, docs: Sequence[tuple[int, Sequence[Block]]]) -> None:
    """Sign these documents (just added, or whose text changed) and group them with their
    copies. Signatures are computed before the transaction, so the writers' lock is held only
    for the lookups and inserts."""
    if not docs:
        return
    signed = [(doc_id, signatures.signature(blocks)) for doc_id, blocks in docs]
    with catalog.transaction() as conn:
        touched: list[int] = []
        for doc_id, sig in signed:
            if sig is None:
                store.mark_unsigned(conn, doc_id)
                touched.append(doc_id)
                continue
            pairs = []
            for other, blob in store.candidates(conn, sig.bands):
                if other == doc_id or not blob:
                    continue
                copy, similarity = sig.is_copy(blob)
                if copy:
                    pairs.append((doc_id, other, similarity))
            store.store_signature(conn, doc_id, sig.to_bytes(), sig.bands)
            store.add_pairs(conn, pairs)
            if pairs:
                touched.append(doc_id)
                touched.extend(other for _, other, _ in pairs)
            elif store.is_grouped(conn, doc_id):
                touched.append(doc_id)  # its text changed and it may leave its group
        store.regroup(conn, touched)


def backfill(catalog: Catalog) -> int:
    """Sign every document that has no signature yet (catalogued before copies were kept, or
    restored from an export); returns how many. Runs with `archive reindex`."""
    done = 0
    while ids := store.unsigned(catalog, BACKFILL_BATCH):
        docs = catalog.get_many(ids)
        detect(catalog, [(i, docs[i].blocks) for i in ids if i in docs])
        done += len(ids)
    return done


def decide(catalog: Catalog, a: int, b: int, decision: str, *, actor: str) -> None:
    """An archivist joins two documents into one group or splits one from the other; audited,
    and kept in the catalog so a reindex (or new detections) never undoes it. Splitting two
    documents of different languages ("Not a translation") parts the two languages' members,
    each keeping its copies; otherwise a leaves the group alone."""
    with catalog.transaction() as conn:
        touched = [a, b]
        if decision == "split":
            members = [b, *store.group_members(conn, b)]
            languages = {i: d.metadata.language for i, d in catalog.get_many([a, *members]).items()}
            mine = theirs = []
            if languages.get(a) and languages.get(b) and languages[a] != languages[b]:
                # "Not a translation": a's language and b's part ways, each keeping its copies
                mine = [a, *(m for m in members if m != a and languages.get(m) == languages[a])]
                theirs = [m for m in members if languages.get(m) == languages[b]]
            else:
                # splitting a from b's group: from every member, so no other path rejoins them
                mine, theirs = [a], [m for m in members if m != a]
            for one in mine:
                for other in theirs:
                    store.decide(conn, one, other, "split")
            touched = [*mine, *theirs]
        else:
            store.decide(conn, a, b, decision)
        audit.record(conn, actor, f"copies-{decision}", a, {"other": b})
        store.regroup(conn, touched)


def regroup_decided(catalog: Catalog) -> None:
    """Recompute the groups of every document an archivist decided about (after an import
    restored the decisions and detection found the pairs again: a join of two documents that
    detection never pairs would otherwise be nowhere)."""
    with catalog.transaction() as conn:
        store.regroup(conn, store.decided(conn))


# a hit lists at most this many copies (a group of hundreds is a listing, not a line)
COPIES_PER_HIT = 20


def of(catalog: Catalog, doc_id: int, *, hidden: bool = False) -> tuple[Copy, ...]:
    """The other members of doc_id's group; drafts and trashed ones only when hidden."""
    group = store.groups_of(catalog, [doc_id])
    if not group:
        return ()
    members = store.members_of(catalog, [group[doc_id]], hidden=hidden).get(group[doc_id], [])
    found = store.listed(catalog, [m for m in members if m != doc_id])
    return tuple(found[m] for m in members if m in found)


def grouped(catalog: Catalog, page: Page, collapse: bool) -> Page:
    """The page's hits with their groups and published copies; with collapse, a hit whose
    group has a better-ranked hit on the page is left out (it is listed among that one's
    copies). Works on the ranked page alone: no pass over all matches; the page's total and
    facet counts stay counts of documents."""
    groups = store.groups_of(catalog, [h.id for h in page.hits])
    if not groups:
        return page
    members = store.members_of(catalog, sorted(set(groups.values())))
    wanted = {m for ids in members.values() for m in ids[: COPIES_PER_HIT + 1]} | set(groups)
    docs = store.listed(catalog, sorted(wanted))  # titles and metadata: not the copies' text
    hits: list[Hit] = []
    seen: set[int] = set()
    for hit in page.hits:
        group_id = groups.get(hit.id)
        if group_id is None:
            hits.append(hit)
            continue
        if collapse and group_id in seen:
            continue
        seen.add(group_id)
        others = [m for m in members.get(group_id, []) if m != hit.id and m in docs]
        found = tuple(docs[m] for m in others[:COPIES_PER_HIT])
        own = docs[hit.id].format if hit.id in docs else ""
        hits.append(replace(hit, group_id=group_id, copies=found, format=own))
    return replace(page, hits=tuple(hits))


def related(catalog: Catalog, records: Sequence[HarvestRecord]) -> tuple[HarvestRecord, ...]:
    """Harvested records with the published copies of their text (OAI-PMH's dc:relation);
    one catalog query a slice. A deleted record relates to nothing."""
    live = [r.document.id for r in records if not r.deleted]
    groups = store.groups_of(catalog, live)
    members = store.members_of(catalog, sorted(set(groups.values())))
    out = []
    for record in records:
        doc_id = record.document.id
        group = groups.get(doc_id) if not record.deleted else None
        others = tuple(m for m in members.get(group, []) if m != doc_id) if group else ()
        out.append(replace(record, copies=others) if others else record)
    return tuple(out)
