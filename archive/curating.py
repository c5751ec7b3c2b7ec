"""The archivist's corrections as methods of Archive (archive.core): metadata, publishing,
the trash, collections, the audit log and import jobs. Each is a step of archive.curation on the
catalog, then a nudge to the indexer."""

from __future__ import annotations

from archive import curation, jobs, metadata
from archive.catalog import Catalog
from archive.config import Settings
from archive.errors import BadRequest
from archive.models import Document, Overrides
from archive.store import Store, extension_for

# The statuses an edit may set; a draft is made only by an upload.
EDITABLE_STATUSES = ("published", "trashed")


class Curating:
    """Mixed into Archive, which provides what is declared here."""

    settings: Settings
    catalog: Catalog
    store: Store

    def _changed(self) -> None:
        raise NotImplementedError

    def document(self, doc_id: int, *, hidden: bool = False) -> Document:
        raise NotImplementedError

    def update(self, doc_id: int, overrides: Overrides, *, actor: str) -> Document:
        """Correct a document's metadata; searchable at once, recorded in the audit log."""
        doc = self.catalog.get(doc_id)
        new = metadata.apply(doc.metadata, overrides, self.settings.date_order)
        curation.update_metadata(self.catalog, doc_id, doc.metadata, new, actor)
        self._changed()
        return self.catalog.get(doc_id)

    def publish(self, doc_id: int, overrides: Overrides | None = None, *, actor: str) -> Document:
        """Confirm a draft (with the archivist's corrections) and make it searchable."""
        if overrides is not None:
            doc = self.catalog.get(doc_id)
            new = metadata.apply(doc.metadata, overrides, self.settings.date_order)
            curation.update_metadata(self.catalog, doc_id, doc.metadata, new, actor, "confirm")
        curation.set_status(self.catalog, doc_id, "published", actor, ("draft",))
        self._changed()
        return self.catalog.get(doc_id)

    def edit(
        self, doc_id: int, overrides: Overrides, status: str | None, *, actor: str
    ) -> Document:
        """Corrections, then a status change ("published" or "trashed"), in the order that keeps
        the audit log true: a draft that becomes published is confirmed with its corrections in
        one step. Raises BadRequest for another status."""
        if status not in (None, *EDITABLE_STATUSES):
            raise BadRequest(f"status must be one of {', '.join(EDITABLE_STATUSES)}.")
        current = self.document(doc_id, hidden=True).status
        if status == "published" and current == "draft":
            return self.publish(doc_id, overrides, actor=actor)
        if overrides != Overrides():
            self.update(doc_id, overrides, actor=actor)
        if status == "trashed" and current != "trashed":
            self.trash(doc_id, actor=actor)
        elif status == "published" and current == "trashed":
            self.restore(doc_id, actor=actor)
        return self.document(doc_id, hidden=True)

    def trash(self, doc_id: int, *, actor: str) -> None:
        curation.set_status(self.catalog, doc_id, "trashed", actor, ("published", "draft"))
        self._changed()

    def restore(self, doc_id: int, *, actor: str) -> Document:
        curation.set_status(self.catalog, doc_id, "published", actor, ("trashed",))
        self._changed()
        return self.catalog.get(doc_id)

    def empty_trash(self, *, actor: str) -> int:
        """Remove trashed documents for good: their rows, then their originals."""
        removed = 0
        for doc_id, _, _ in curation.trashed(self.catalog):
            sha, fmt = curation.remove_trashed(self.catalog, doc_id, actor)
            self.store.remove(sha, extension_for(fmt))
            removed += 1
        return removed

    def trashed(self) -> list[tuple[int, str, str]]:
        return curation.trashed(self.catalog)

    def drafts(self) -> list[tuple[int, str, str]]:
        return curation.drafts(self.catalog)

    def collections(self) -> list[curation.Collection]:
        return curation.collections(self.catalog)

    def collect(self, name: str, doc_ids: list[int], *, actor: str, add: bool = True) -> None:
        curation.collect(self.catalog, name, doc_ids, actor, add)
        self._changed()

    def delete_collection(self, name: str, *, actor: str) -> None:
        curation.delete_collection(self.catalog, name, actor)
        self._changed()

    def audit_log(self, doc_id: int | None = None, limit: int = 200) -> list[curation.AuditEntry]:
        return curation.audit_log(self.catalog, doc_id, limit)

    def job(self, job_id: int) -> jobs.Job:
        return jobs.get(self.catalog, job_id)

    def recent_jobs(self, limit: int = 20) -> list[jobs.Job]:
        return jobs.recent(self.catalog, limit)
