"""Bulk actions (issue 14): publish, trash, tag, set a field and collect many documents in one
action, through the Archive and the JSON API; atomic (a document that cannot take the change is
named and none changes), each document audited. The browser: test_bulk_actions_browser.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from archive import Archive, Settings
from archive.errors import BadRequest, NotFound
from archive.models import SearchQuery
from archive.web import create_app
from tests.live_server import serving


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    with Archive(Settings(root=tmp_path / "archive", index_batch_size=50)) as opened:
        yield opened


def drafts(archive: Archive, n: int, word: str = "herons") -> list[int]:
    return [
        archive.add(
            f"River count {i}\n\nVolunteers counted {word} along the river, count {i}.".encode(),
            f"count-{i}.txt",
            actor="ann",
            publish=False,
        ).id
        for i in range(n)
    ]


def found(archive: Archive, text: str) -> set[int]:
    archive.wait_searchable()
    return {hit.id for hit in archive.search(SearchQuery(text=text, per_page=100)).hits}


def actions(archive: Archive, doc_id: int) -> list[str]:
    return [entry.action for entry in archive.audit_log(doc_id)]


def test_publish_tag_set_collect_trash_each_audited(archive: Archive) -> None:
    ids = drafts(archive, 3)
    assert found(archive, "herons") == set()
    assert archive.bulk(ids, "publish", actor="ann") == ids
    assert found(archive, "herons") == set(ids)
    archive.bulk(ids[:2], "tag", value="birds, rivers", actor="ann")
    archive.bulk(ids, "set", field="publication", value="River Gazette", actor="ann")
    archive.bulk(ids, "set", field="authors", value="Ann Smith; Bo Li", actor="ann")
    archive.bulk(ids[1:], "collect", value="Spring counts", actor="ann")
    docs = [archive.document(i) for i in ids]
    assert [d.metadata.tags for d in docs] == [("birds", "rivers"), ("birds", "rivers"), ()]
    assert {d.metadata.publication for d in docs} == {"River Gazette"}
    assert {d.metadata.authors for d in docs} == {("Ann Smith", "Bo Li")}
    assert [d.collections for d in docs] == [(), ("Spring counts",), ("Spring counts",)]
    assert found(archive, "tag:birds") == set(ids[:2])
    for doc_id in ids:  # one audit record per document per action
        assert actions(archive, doc_id).count("publish") == 1
        assert actions(archive, doc_id).count("edit") == (3 if doc_id in ids[:2] else 2)
    assert actions(archive, ids[0]).count("collect") == 0
    archive.bulk(ids, "trash", actor="ann")
    assert found(archive, "herons") == set()
    assert all(archive.document(i, hidden=True).status == "trashed" for i in ids)


def test_one_document_that_cannot_change_changes_none(archive: Archive) -> None:
    ids = drafts(archive, 3)
    archive.bulk([ids[1]], "publish", actor="ann")
    before = {i: actions(archive, i) for i in ids}
    with pytest.raises(BadRequest, match=f"document {ids[1]} is published"):
        archive.bulk(ids, "publish", actor="ann")
    assert [archive.document(i, hidden=True).status for i in ids] == [
        "draft",
        "published",
        "draft",
    ]
    assert {i: actions(archive, i) for i in ids} == before  # nothing half-done, nothing audited
    with pytest.raises(NotFound, match="there is no document 999"):
        archive.bulk([ids[0], 999], "trash", actor="ann")
    assert archive.document(ids[0], hidden=True).status == "draft"
    with pytest.raises(BadRequest, match=f"document {ids[0]}: "):
        archive.bulk(ids, "set", field="date", value="31/02/2020", actor="ann")


@pytest.mark.parametrize(
    ("ids", "action", "extra", "message"),
    [
        ([], "publish", {}, "at least one"),
        ([1], "explode", {}, "action must be one of"),
        ([1], "set", {"field": "sha256", "value": "x"}, "field must be one of"),
        ([1], "tag", {"value": " , "}, "tags to add"),
        ([1], "collect", {"value": "  "}, "Name the collection"),
        (list(range(1, 1_002)), "trash", {}, "At most 1,000"),
    ],
)
def test_bad_requests_name_what_was_wrong(
    archive: Archive, ids: list[int], action: str, extra: dict[str, str], message: str
) -> None:
    drafts(archive, 1)
    with pytest.raises(BadRequest, match=message):
        archive.bulk(ids, action, actor="ann", **extra)


def test_the_api_acts_on_many_atomically(archive: Archive) -> None:
    ids = drafts(archive, 4, "otters")
    archive.add_user("ann", "a long enough password", "archivist")
    write = {"Authorization": f"Bearer {archive.create_token('ann', 's', 'write').secret}"}
    read = {"Authorization": f"Bearer {archive.create_token('ann', 'r', 'read').secret}"}
    with serving(create_app(archive)) as base_url, httpx.Client(base_url=base_url) as client:
        done = client.post(
            "/api/documents/bulk", json={"ids": ids, "action": "publish"}, headers=write
        )
        assert done.status_code == 200, done.text
        assert done.json() == {
            "ok": True, "action": "publish", "changed": ids, "atomic": True, "searchable": True,
        }  # fmt: skip
        assert {h["id"] for h in client.get("/api/search?q=otters").json()["hits"]} == set(ids)

        tagged = client.post(
            "/api/documents/bulk", json={"ids": ids[:2], "action": "tag", "value": "mammals"},
            headers=write,
        )  # fmt: skip
        assert tagged.status_code == 200
        assert client.get(f"/api/documents/{ids[0]}").json()["tags"] == ["mammals"]

        again = client.post(
            "/api/documents/bulk", json={"ids": ids, "action": "publish"}, headers=write
        )
        assert again.status_code == 400
        error = again.json()["error"]
        assert error == f"document {ids[0]} is published; it cannot become published"

        for body in ({"ids": "1,2", "action": "trash"}, {"ids": ["x"], "action": "trash"}, [1]):
            bad = client.post("/api/documents/bulk", json=body, headers=write)
            assert bad.status_code == 400 and bad.json()["ok"] is False, body
        refused = client.post(
            "/api/documents/bulk", json={"ids": ids, "action": "trash"}, headers=read
        )
        assert refused.status_code == 403 and "read-only" in refused.json()["error"]
    assert all(archive.document(i).status == "published" for i in ids)
