"""Drafts, edits, the trash, collections and the audit log, on a real archive."""

from __future__ import annotations

import pytest

from archive.errors import BadRequest, NotFound
from archive.models import Overrides, SearchQuery

from .conftest import sample_path


def found(archive, text: str) -> set[int]:
    return {h.id for h in archive.search(SearchQuery(text=text, per_page=100)).hits}


def test_a_draft_is_hidden_until_published_with_corrections(archive):
    doc = archive.add(sample_path().read_bytes(), "s.txt", actor="ann", publish=False)
    assert doc.status == "draft"
    assert found(archive, "Bakhmut") == set()
    with pytest.raises(NotFound):
        archive.document(doc.id)
    assert archive.document(doc.id, hidden=True).id == doc.id
    assert [d.id for d in archive.drafts()] == [doc.id]
    published = archive.publish(doc.id, Overrides(date="2023-11-06"), actor="ann")
    assert published.status == "published"
    assert published.metadata.date == "2023-11-06" and not published.metadata.date_ambiguous
    assert found(archive, "Bakhmut") == {doc.id}
    actions = [e.action for e in archive.audit_log(doc.id)]
    assert actions == ["publish", "confirm", "add"]  # newest first
    confirm = archive.audit_log(doc.id)[1]
    assert confirm.actor == "ann"
    assert confirm.details["changes"]["date"] == ["2023-06-11", "2023-11-06"]


def test_an_edit_is_searchable_at_once_and_audited(archive):
    doc = archive.add(sample_path().read_bytes(), "s.txt")
    archive.update(doc.id, Overrides(title="Guerrilla spring", tags=("partisans",)), actor="bo")
    assert found(archive, "title:guerrilla") == {doc.id}
    page = archive.search(SearchQuery(filters={"tags": ("partisans",)}))
    assert [h.id for h in page.hits] == [doc.id]
    [entry, _] = archive.audit_log(doc.id)
    assert entry.action == "edit" and entry.actor == "bo"
    assert set(entry.details["changes"]) == {"title", "tags"}
    with pytest.raises(BadRequest):
        archive.update(doc.id, Overrides(date="not a date"), actor="bo")


def test_trash_restore_and_empty(archive):
    doc = archive.add(sample_path().read_bytes(), "s.txt")
    path, _ = archive.original_path(doc.id)
    archive.trash(doc.id, actor="cy")
    assert found(archive, "Bakhmut") == set()
    assert [t[0] for t in archive.trashed()] == [doc.id]
    with pytest.raises(BadRequest):
        archive.trash(doc.id, actor="cy")
    archive.restore(doc.id, actor="cy")
    assert found(archive, "Bakhmut") == {doc.id}
    archive.trash(doc.id, actor="cy")
    assert archive.empty_trash(actor="cy") == 1
    assert not path.exists() and archive.count() == 0
    assert archive.check() == []
    assert [e.action for e in archive.audit_log(doc.id)][:2] == ["purge", "trash"]


def test_collections_are_a_facet(sample_archive):
    sample_archive.collect("Winter 2023", [1, 2, 3], actor="dee")
    sample_archive.collect("Winter 2023", [3], actor="dee", add=False)
    sample_archive.collect("Kherson", [3], actor="dee")
    assert [(c.name, c.count) for c in sample_archive.collections()] == [
        ("Kherson", 1), ("Winter 2023", 2),
    ]  # fmt: skip
    page = sample_archive.search(SearchQuery(filters={"collections": ("Winter 2023",)}))
    assert {h.id for h in page.hits} == {1, 2}
    counts = {v.value: v.count for v in page.facets["collections"]}
    assert counts == {"Winter 2023": 2, "Kherson": 1}
    assert sample_archive.document(1).collections == ("Winter 2023",)
    sample_archive.delete_collection("Winter 2023", actor="dee")
    assert sample_archive.search(SearchQuery(filters={"collections": ("Winter 2023",)})).total == 0
    with pytest.raises(BadRequest):
        sample_archive.collect("  ", [1], actor="dee")
