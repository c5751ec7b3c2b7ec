"""Bulk actions: publish, trash, tag, set a field of, or collect many documents in one action.

Atomic: every document's change is planned first (a missing document or a bad value fails
before anything is written), then all are applied in one catalog transaction, each audited for
its own document; a document that cannot take the change (a published one asked to publish)
fails the whole action, naming it, and changes none of the others.
"""

from __future__ import annotations

from archive.errors import BadRequest
from archive.ingest import metadata
from archive.models import BULK_ACTIONS, BULK_FIELDS, BULK_MAX, BulkStep, Document, Overrides

# the statuses each status-changing action may start from
_FROM = {"publish": ("draft", "trashed"), "trash": ("published", "draft")}


def check_ids(doc_ids: list[int]) -> list[int]:
    """The ids, each once, in the order given; refuses none or too many."""
    ids = list(dict.fromkeys(doc_ids))
    if not ids:
        raise BadRequest("Choose at least one document.")
    if len(ids) > BULK_MAX:
        raise BadRequest(f"At most {BULK_MAX:,} documents in one action ({len(ids):,} chosen).")
    return ids


def _words(value: str, separator: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in value.split(separator) if w.strip())


def plan(
    docs: list[Document], action: str, value: str, field: str, date_order: str
) -> list[BulkStep]:
    """Each document's step; raises BadRequest for an unknown action, field or a bad value."""
    if action not in BULK_ACTIONS:
        raise BadRequest(f"action must be one of {', '.join(BULK_ACTIONS)}.")
    if action in _FROM:
        status = "published" if action == "publish" else "trashed"
        return [BulkStep(d.id, status=status, allowed_from=_FROM[action]) for d in docs]
    if action == "collect":
        name = " ".join(value.split())
        if not name:
            raise BadRequest("Name the collection to add the documents to.")
        return [BulkStep(d.id, collection=name) for d in docs]
    if action == "tag":
        tags = _words(value, ",")
        if not tags:
            raise BadRequest("Give the tags to add, separated by commas.")
        return [_edit(d, Overrides(tags=(*d.metadata.tags, *tags)), date_order) for d in docs]
    if field not in BULK_FIELDS:
        raise BadRequest(f"field must be one of {', '.join(BULK_FIELDS)}.")
    listed = {"authors": _words(value, ";"), "tags": _words(value, ",")}
    overrides = Overrides(**{field: listed.get(field, value)})  # type: ignore[arg-type]
    return [_edit(d, overrides, date_order) for d in docs]


def _edit(doc: Document, overrides: Overrides, date_order: str) -> BulkStep:
    try:
        new = metadata.apply(doc.metadata, overrides, date_order)
    except BadRequest as exc:
        raise BadRequest(f"document {doc.id}: {exc.message}") from None
    return BulkStep(doc.id, old=doc.metadata, new=new)
