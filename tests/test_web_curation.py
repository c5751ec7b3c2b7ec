"""The archivists' pages as plain HTML forms (no JavaScript): upload, confirm, edit, trash,
collections, drafts, bulk import; and what readers do not see."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from archive import Archive, Settings
from archive.models import SearchQuery
from archive.web import create_app
from archive.web.auth import COOKIE

PASSWORD = "a long enough password"
ARTICLE = b"Otters returned to the river this spring.\n\nVolunteers counted eleven of them."


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        root=tmp_path / "archive",
        index_batch_size=50,
        password_time_cost=1,
        password_memory_kib=1024,
        password_parallelism=1,
    )


class Archivist:
    """A signed-in browser without JavaScript: a session cookie, and the CSRF token forms carry."""

    def __init__(self, client: TestClient, csrf: str) -> None:
        self.client = client
        self.csrf = csrf

    def post(self, url: str, data: dict | None = None, **kwargs):
        return self.client.post(url, data={"csrf": self.csrf, **(data or {})}, **kwargs)


@pytest.fixture
def archivist(archive: Archive) -> Iterator[Archivist]:
    archive.add_user("ann", PASSWORD, "archivist")
    opened = archive.login("ann", PASSWORD)
    with TestClient(create_app(archive), follow_redirects=False) as client:
        client.cookies.set(COOKIE, opened.secret)
        yield Archivist(client, opened.session.csrf)


def found(archive: Archive, text: str) -> list[int]:
    return [hit.id for hit in archive.search(SearchQuery(text=text)).hits]


def draft_id(archivist: Archivist, data: bytes = ARTICLE, **fields: str) -> int:
    response = archivist.post("/upload", fields, files={"file": ("otters.txt", data)})
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/documents/(\d+)/edit", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def test_every_page_renders_with_its_forms_and_csrf(archivist: Archivist, archive: Archive):
    doc_id = draft_id(archivist)
    pages = ["/upload", f"/documents/{doc_id}/edit", "/drafts", "/trash", "/collections", "/import"]
    for url in pages:
        response = archivist.client.get(url)
        assert response.status_code == 200, url
        for form in re.findall(r'<form[^>]*method="post".*?</form>', response.text, re.S):
            assert f'name="csrf" value="{archivist.csrf}"' in form, (url, form[:200])


def test_upload_without_js_makes_a_draft_then_publish_corrects_the_date(
    archivist: Archivist, archive: Archive
) -> None:
    doc_id = draft_id(archivist, date="11/06/2023")
    assert archive.document(doc_id, hidden=True).status == "draft"
    assert found(archive, "otters") == []
    page = archivist.client.get(f"/documents/{doc_id}/edit").text
    assert "Ambiguous date" in page
    assert 'value="2023-06-11" checked' in page and 'value="2023-11-06"' in page
    assert re.search(r'<a href="/drafts"[^>]*>Drafts', page)
    assert f'href="/documents/{doc_id}/edit">' in archivist.client.get("/drafts").text

    form = {"title": "Otters are back", "authors": "Ann Smith\nBo Li", "publication": "",
            "date_choice": "2023-11-06", "date_other": "", "language": "en",
            "tags": "rivers, wildlife", "action": "publish"}  # fmt: skip
    response = archivist.post(f"/documents/{doc_id}/edit", form)
    assert response.headers["location"] == f"/documents/{doc_id}/edit?done=published"
    doc = archive.document(doc_id)
    assert (doc.status, doc.metadata.date, doc.metadata.date_ambiguous) == (
        "published",
        "2023-11-06",
        False,
    )
    assert doc.metadata.authors == ("Ann Smith", "Bo Li")
    assert doc.metadata.tags == ("rivers", "wildlife")
    assert found(archive, "otters") == [doc_id]
    page = archivist.client.get(f"/documents/{doc_id}/edit?done=published").text
    assert "Published: the document is in search results now." in page
    assert "<del>2023-06-11</del>" in page and "<ins>2023-11-06</ins>" in page
    assert '<span class="audit-actor">ann</span>' in page


def test_another_date_and_bad_input(archivist: Archivist, archive: Archive) -> None:
    doc_id = draft_id(archivist, date="11/06/2023")
    base = {"title": "Otters", "date_choice": "other", "date_other": "1999", "action": "save"}
    assert archivist.post(f"/documents/{doc_id}/edit", base).status_code == 303
    assert archive.document(doc_id, hidden=True).metadata.date == "1999"
    assert archive.document(doc_id, hidden=True).status == "draft"
    bad = archivist.post(f"/documents/{doc_id}/edit", {"date": "Nonember"})
    assert bad.status_code == 400 and "is not a date" in bad.text
    assert archive.document(doc_id, hidden=True).metadata.date == "1999"


def test_a_duplicate_upload_links_to_the_stored_document(archivist: Archivist) -> None:
    doc_id = draft_id(archivist)
    response = archivist.post("/upload", files={"file": ("again.txt", ARTICLE)})
    assert response.status_code == 409
    assert f'href="/documents/{doc_id}/edit"' in response.text


def test_trash_restore_and_empty(archivist: Archivist, archive: Archive) -> None:
    keep = draft_id(archivist)
    archive.publish(keep, actor="ann")
    gone = draft_id(archivist, b"Beavers build dams.\n\nThe dam held.")
    archive.publish(gone, actor="ann")
    for doc_id in (keep, gone):
        response = archivist.post(f"/documents/{doc_id}/trash")
        assert response.headers["location"] == f"/documents/{doc_id}/edit?done=trashed"
    assert found(archive, "otters OR beavers") == []
    trash = archivist.client.get("/trash").text
    assert trash.count('action="/documents/') == 2 and "Empty trash" in trash

    response = archivist.post(f"/documents/{keep}/restore", {"next": "/trash"})
    assert response.headers["location"] == "/trash"
    assert found(archive, "otters") == [keep]
    evil = archivist.post(f"/documents/{gone}/restore", {"next": "https://evil.example/"})
    assert evil.headers["location"] == f"/documents/{gone}/edit?done=restored"
    archivist.post(f"/documents/{gone}/trash")

    assert archivist.post("/trash/empty").status_code == 400  # not confirmed
    assert archive.trashed()
    response = archivist.post("/trash/empty", {"confirm": "yes"})
    assert response.headers["location"] == "/trash?emptied=1"
    assert archive.trashed() == [] and archive.count() == 1
    assert "1 document deleted for good" in archivist.client.get("/trash?emptied=1").text


def test_collections_create_add_remove_delete(archivist: Archivist, archive: Archive) -> None:
    doc_id = draft_id(archivist)
    archive.publish(doc_id, actor="ann")
    assert archivist.post("/collections", {"name": "Rivers"}).headers["location"] == "/collections"
    archivist.post(f"/documents/{doc_id}/collections", {"name": "Rivers"})
    archivist.post(f"/documents/{doc_id}/collections", {"name": "", "new_name": "Wildlife"})
    assert archive.document(doc_id).collections == ("Rivers", "Wildlife")
    page = archivist.client.get("/collections").text
    assert "Rivers" in page and "1 document" in page
    hits = archive.search(SearchQuery(filters={"collections": ("Wildlife",)})).hits
    assert [h.id for h in hits] == [doc_id]
    archivist.post(f"/documents/{doc_id}/collections", {"name": "Rivers", "action": "remove"})
    archivist.post("/collections/delete", {"name": "Wildlife"})
    assert archive.document(doc_id).collections == ()
    assert [c.name for c in archive.collections()] == ["Rivers"]


def test_bulk_import_page_shows_the_job(archivist: Archivist, archive: Archive) -> None:
    jsonl = b'{"title": "Heron", "text": "Herons wade."}\n{"title": "Crane", "text": "Cranes fly."}'
    response = archivist.post("/import", files={"file": ("birds.jsonl", jsonl)})
    assert response.status_code == 303
    job_id = int(response.headers["location"].rsplit("=", 1)[1])
    deadline = time.monotonic() + 30
    while not archive.job(job_id).finished and time.monotonic() < deadline:
        time.sleep(0.05)
    page = archivist.client.get(f"/import?job={job_id}").text
    assert 'data-job-url="/api/jobs/' in page and "Done." in page
    assert '<dd data-count="added">2</dd>' in page
    assert "birds.jsonl" in page  # its own name, in the job and in the recent list


def test_csrf_and_roles_guard_the_forms(archivist: Archivist, archive: Archive) -> None:
    doc_id = draft_id(archivist)
    forged = archivist.client.post(f"/documents/{doc_id}/trash", data={"csrf": "wrong"})
    assert forged.status_code == 403
    assert archive.document(doc_id, hidden=True).status == "draft"
    archive.add_user("rita", PASSWORD, "reader")
    reader = archive.login("rita", PASSWORD)
    with TestClient(create_app(archive), follow_redirects=False) as client:
        assert client.get("/upload").status_code == 303  # to the sign-in page
        client.cookies.set(COOKIE, reader.secret)
        assert client.get("/upload").status_code == 403
        refused = client.post(f"/documents/{doc_id}/trash", data={"csrf": reader.session.csrf})
        assert refused.status_code == 403
    assert archive.document(doc_id, hidden=True).status == "draft"


def test_the_document_page_shows_history_to_archivists_only(
    archivist: Archivist, archive: Archive
) -> None:
    doc_id = draft_id(archivist)
    archivist.post(f"/documents/{doc_id}/edit", {"title": "Otters again", "action": "publish"})
    page = archivist.client.get(f"/documents/{doc_id}").text
    assert f'href="/documents/{doc_id}/edit">Edit</a>' in page
    assert "History" in page and "<del>" in page and "Otters again" in page
    assert '<a href="/upload">Upload</a>' in page  # the way in, from every page
    with TestClient(create_app(archive)) as reader:
        page = reader.get(f"/documents/{doc_id}").text
        assert "/edit" not in page and "History" not in page and "audit" not in page
        assert "/upload" not in page
