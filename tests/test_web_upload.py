"""The write API: every upload status, limits held while streaming, edits, trash, bulk imports."""

from __future__ import annotations

import asyncio
import io
import json
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from archive import Archive, Settings
from archive.models import SearchQuery
from archive.web import create_app
from archive.web.api import document_json
from archive.web.uploads import FORM_OVERHEAD

LIMIT = 4096
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
ARTICLE = (
    b"Partisans crossed the frozen river at dawn.\n\n"
    b"The winter offensive began with a quiet march through the forest."
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A small upload limit, and cheap password hashing for the test accounts."""
    return Settings(
        root=tmp_path / "archive",
        index_batch_size=50,
        max_upload_bytes=LIMIT,
        password_time_cost=1,
        password_memory_kib=1024,
        password_parallelism=1,
    )


def bearer(archive: Archive, username: str, role: str, scope: str) -> dict[str, str]:
    archive.add_user(username, "a long enough password", role)
    secret = archive.create_token(username, "tests", scope).secret
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def client(archive: Archive) -> Iterator[TestClient]:
    """A client that sends an archivist's write token with every request."""
    headers = bearer(archive, "ann", "archivist", "write")
    with TestClient(create_app(archive), headers=headers) as client:
        yield client


def upload(client: TestClient, data: bytes = ARTICLE, name: str = "a.txt", **fields: Any):
    return client.post("/api/documents", files={"file": (name, data)}, data=fields)


def found(archive: Archive, text: str) -> list[int]:
    return [hit.id for hit in archive.search(SearchQuery(text=text)).hits]


# --- 201 ---------------------------------------------------------------------------------------
def test_multipart_upload_returns_201_and_the_document(client: TestClient, archive: Archive):
    response = upload(
        client,
        title="Crossing the river",
        author=["Ann Smith", "Bo Li"],
        tag=["winter", "rivers"],
        date="3 March 2021",
        language="en",
        publication="The Chronicle",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    doc = archive.document(body["id"])
    assert body == {
        **document_json(doc),
        "status": "published",
        "collections": [],
        "searchable": True,
    }
    assert response.headers["location"] == f"/api/documents/{doc.id}"
    assert body["title"] == "Crossing the river" and body["authors"] == ["Ann Smith", "Bo Li"]
    assert (body["date"], body["tags"], body["publication"]) == (
        "2021-03-03",
        ["winter", "rivers"],
        "The Chronicle",
    )
    assert client.get(f"/api/documents/{doc.id}").json() == {
        **document_json(doc),
        "copies": [],
        "translations": [],
    }
    assert found(archive, "partisans") == [doc.id]
    assert archive.audit_log(doc.id)[0].actor == "token:tests@ann"


def test_a_json_upload_with_a_string_for_a_list_is_400(client: TestClient, archive: Archive):
    response = client.post("/api/documents", json={"text": "Otters.", "tags": "otters"})
    assert response.status_code == 400
    assert "tags must be a list of strings" in response.json()["error"]
    assert archive.count() == 0


def test_json_upload_returns_201(client: TestClient, archive: Archive) -> None:
    payload = {"text": "A note about beavers building dams.", "filename": "beavers.md"}
    response = client.post("/api/documents", json={**payload, "authors": ["Jo"], "tags": ["x"]})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["filename"], body["format"], body["authors"]) == ("beavers.md", "md", ["Jo"])
    assert found(archive, "beavers") == [body["id"]]


def test_a_draft_is_hidden_until_published_with_corrections(
    client: TestClient, archive: Archive
) -> None:
    draft = upload(client, publish="false", date="11/06/2023").json()
    assert draft["status"] == "draft"
    assert (draft["date_ambiguous"], draft["date_readings"]) == (True, ["2023-06-11", "2023-11-06"])
    assert client.get(f"/api/documents/{draft['id']}").status_code == 404
    assert found(archive, "partisans") == []
    response = client.patch(
        f"/api/documents/{draft['id']}", json={"date": "2023-11-06", "status": "published"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "published"
    assert (response.json()["date"], response.json()["date_ambiguous"]) == ("2023-11-06", False)
    assert found(archive, "partisans") == [draft["id"]]
    confirm = next(e for e in archive.audit_log(draft["id"]) if e.action == "confirm")
    assert confirm.details["changes"]["date"] == ["2023-06-11", "2023-11-06"]


# --- errors ------------------------------------------------------------------------------------
def test_a_duplicate_is_409_with_the_existing_document(client: TestClient) -> None:
    first = upload(client).json()
    response = upload(client, name="again.txt", title="Another title")
    assert response.status_code == 409
    body = response.json()
    assert {"ok", "error", "status"} <= set(body) and body["ok"] is False
    assert (body["existing_id"], body["existing_url"]) == (first["id"], f"/documents/{first['id']}")


def test_one_byte_over_the_limit_is_413_and_at_the_limit_is_201(
    client: TestClient, archive: Archive
) -> None:
    at_limit = (ARTICLE + b" x" * LIMIT)[:LIMIT]
    assert upload(client, at_limit + b"y").status_code == 413
    assert archive.count() == 0
    assert upload(client, at_limit).status_code == 201


def test_a_lying_content_length_does_not_get_past_the_limit(client: TestClient, archive: Archive):
    big = b"--b\r\nContent-Disposition: form-data; name=file; filename=a.txt\r\n\r\n"
    big += b"word " * (LIMIT + FORM_OVERHEAD)
    headers = {"Content-Type": "multipart/form-data; boundary=b", "Content-Length": "100"}
    response = client.post("/api/documents", content=big + b"\r\n--b--\r\n", headers=headers)
    assert response.status_code == 413
    assert response.json()["error"] == f"The upload is over the limit of {LIMIT:,} bytes."
    declared = {**headers, "Content-Length": str(10 * LIMIT + FORM_OVERHEAD)}
    assert client.post("/api/documents", content=b"", headers=declared).status_code == 413
    assert archive.count() == 0


def drive(archive: Archive, headers: dict[str, str], chunks: Iterator[bytes]) -> tuple[int, int]:
    """Send a body chunk by chunk straight into the ASGI app: (status, chunks it read)."""
    app = create_app(archive)
    read = 0
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/documents",
        "raw_path": b"/api/documents",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    return status[0], read


def test_the_limit_holds_while_streaming(archive: Archive) -> None:
    """An endless body without Content-Length: reading stops at the first chunk over the limit."""
    chunk = 1024

    def endless() -> Iterator[bytes]:
        yield b"--b\r\nContent-Disposition: form-data; name=file; filename=a.txt\r\n\r\n"
        for _ in range(100_000):
            yield b"x" * chunk

    headers = {
        **bearer(archive, "bo", "archivist", "write"),
        "host": "testserver",
        "Content-Type": "multipart/form-data; boundary=b",
    }
    status, read = drive(archive, headers, endless())
    assert status == 413
    assert read <= (LIMIT + FORM_OVERHEAD) // chunk + 2


def test_a_png_named_txt_is_415(client: TestClient, archive: Archive) -> None:
    response = upload(client, PNG, "photo.txt")
    assert response.status_code == 415 and "PNG" in response.json()["error"]
    assert archive.count() == 0


def test_a_file_without_text_is_422(client: TestClient, archive: Archive) -> None:
    assert upload(client, b"  \n\n ", "blank.txt").status_code == 422
    assert upload(client, b"%PDF-1.4 not really", "broken.pdf").status_code == 422
    assert archive.count() == 0


@pytest.mark.parametrize(
    "fields",
    [{"date": "the 45th of Nonember"}, {"language": "english"}, {"titel": "typo"}],
)
def test_bad_metadata_is_400_and_nothing_is_stored(
    client: TestClient, archive: Archive, fields: dict[str, str]
) -> None:
    response = upload(client, **fields)
    assert response.status_code == 400
    assert next(iter(fields)) in response.json()["error"]
    assert archive.count() == 0 and not list(archive.settings.originals_dir.glob("*/*"))


def test_ten_thousand_fields_are_refused_fast(client: TestClient) -> None:
    started = time.monotonic()
    fields = {"tag": [f"t{i}" for i in range(10_000)]}
    response = client.post("/api/documents", files={"file": ("a.txt", ARTICLE)}, data=fields)
    assert response.status_code == 413  # their body alone is over the limit
    # Within the byte limit, the parser's field count refuses them.
    fields = {"tag": [f"t{i}" for i in range(150)]}
    response = client.post("/api/documents", files={"file": ("a.txt", ARTICLE)}, data=fields)
    assert response.status_code == 400 and "fields" in response.json()["error"]
    assert time.monotonic() - started < 3
    assert client.get("/api/search", params={"q": "x"}).status_code == 200


def test_a_huge_field_without_a_filename_is_refused_fast(client: TestClient) -> None:
    started = time.monotonic()
    response = client.post(
        "/api/documents", files={"file": ("a.txt", ARTICLE)}, data={"title": "t" * 40_000}
    )
    assert response.status_code == 400 and "maximum size" in response.json()["error"]
    huge = client.post("/api/documents", data={"title": "t" * 5_000_000}, files={"x": ("", b"")})
    assert huge.status_code == 413
    assert time.monotonic() - started < 3
    assert client.get("/api/search", params={"q": "x"}).status_code == 200


def test_writes_need_an_archivists_write_token(archive: Archive) -> None:
    reader = bearer(archive, "rita", "reader", "read")
    archivist_read = bearer(archive, "arno", "archivist", "read")
    with TestClient(create_app(archive)) as anonymous:
        assert upload(anonymous).status_code == 401
        assert (
            anonymous.post(
                "/api/documents", headers=reader, files={"file": ("a.txt", ARTICLE)}
            ).status_code
            == 403
        )  # noqa: E501
        response = anonymous.post(
            "/api/documents", headers=archivist_read, files={"file": ("a.txt", ARTICLE)}
        )
        assert response.status_code == 403
    assert archive.count() == 0


# --- edits, trash ------------------------------------------------------------------------------
WORDS = ["amber", "basalt", "cobalt", "dolomite", "emerald", "feldspar", "garnet", "hematite"]


def test_a_servers_201_comes_once_a_search_finds_the_document(settings: Settings) -> None:
    """A server indexes in its worker thread; each write still answers only when a search begun
    after the answer finds it (or leaves it out, for a trashed one), uploads arriving together."""
    with Archive(settings, background=True) as archive:
        headers = bearer(archive, "ann", "archivist", "write")
        with TestClient(create_app(archive), headers=headers) as client:

            def send(word: str) -> tuple[str, Any]:
                text = f"Notes on {word} found in the quarry, with a map of the seams."
                response = client.post("/api/documents", json={"text": text, "filename": "n.txt"})
                assert response.status_code == 201, response.text
                return word, response.json()

            with ThreadPoolExecutor(len(WORDS)) as pool:
                answers = dict(pool.map(send, WORDS))
            for word, body in answers.items():
                assert body["searchable"] is True
                assert found(archive, word) == [body["id"]]
            first = answers[WORDS[0]]["id"]
            response = client.patch(f"/api/documents/{first}", json={"tags": ["minerals"]})
            assert response.json()["searchable"] is True
            assert archive.search(SearchQuery(filters={"tags": ("minerals",)})).total == 1
            response = client.delete(f"/api/documents/{first}")
            assert (response.status_code, response.json()["searchable"]) == (200, False)
            assert found(archive, WORDS[0]) == []


def test_patch_is_searchable_at_once_and_audited(client: TestClient, archive: Archive) -> None:
    doc_id = upload(client, title="Crossing the river").json()["id"]
    response = client.patch(
        f"/api/documents/{doc_id}",
        json={"title": "Heron migration", "authors": ["Eve Ng"], "tags": ["birds"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Heron migration"
    [hit] = archive.search(SearchQuery(text="heron")).hits
    assert (hit.id, hit.title, hit.authors, hit.tags) == (
        doc_id,
        "Heron migration",
        ("Eve Ng",),
        ("birds",),
    )
    facets = archive.search(SearchQuery(text="partisans")).facets
    assert [v.value for v in facets["authors"]] == ["Eve Ng"]
    edit = archive.audit_log(doc_id)[0]
    assert (edit.action, edit.actor) == ("edit", "token:tests@ann")
    assert edit.details["changes"]["title"] == ["Crossing the river", "Heron migration"]
    assert edit.details["changes"]["authors"] == [[], ["Eve Ng"]]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"status": "draft"}, 400),
        ({"status": None}, 400),  # not among the listed statuses (schemathesis found it)
        ({"date": "31/31/2020"}, 400),
        ({"title": ["a", "b"]}, 400),
        ({"tags": "birds"}, 400),  # the API's description says an array (schemathesis found it)
        ({"authors": "Eve Ng"}, 400),
        ({"colour": "red"}, 400),
        ([1, 2], 400),
    ],
)
def test_bad_patches_are_400(client: TestClient, archive: Archive, body: Any, status: int):
    doc_id = upload(client).json()["id"]
    before = archive.document(doc_id)
    assert client.patch(f"/api/documents/{doc_id}", json=body).status_code == status
    assert archive.document(doc_id) == before
    assert client.patch("/api/documents/999", json={"title": "x"}).status_code == 404


def test_delete_trashes_and_restore_brings_back(client: TestClient, archive: Archive) -> None:
    doc_id = upload(client).json()["id"]
    response = client.delete(f"/api/documents/{doc_id}")
    assert response.status_code == 200 and response.json()["status"] == "trashed"
    assert found(archive, "partisans") == []
    assert client.get(f"/api/documents/{doc_id}").status_code == 404
    restored = client.patch(f"/api/documents/{doc_id}", json={"status": "published"})
    assert restored.status_code == 200 and restored.json()["status"] == "published"
    assert found(archive, "partisans") == [doc_id]
    assert [e.action for e in archive.audit_log(doc_id)][:2] == ["restore", "trash"]


# --- bulk imports ------------------------------------------------------------------------------
def wait_for(client: TestClient, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = client.get(url).json()
        if job["finished"]:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {url} did not finish: {job}")


def test_bulk_import_of_a_zip_and_a_jsonl(client: TestClient, archive: Archive) -> None:
    existing = upload(client).json()["id"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("dogs.txt", "Dogs guard the farm at night.\n\nThey bark at foxes.")
        zipped.writestr("birds.md", "# Birds\n\nHerons wade in the shallows.")
        zipped.writestr("copy.txt", ARTICLE)
        zipped.writestr("photo.txt", PNG)
    response = client.post("/api/imports", files={"file": ("batch.zip", buffer.getvalue())})
    assert response.status_code == 202, response.text
    started = response.json()
    assert response.headers["location"] == started["url"] == f"/api/jobs/{started['id']}"
    assert started["name"] == "batch.zip"
    job = wait_for(client, started["url"])
    assert job["state"] == "done"
    assert (job["added"], job["duplicates"], job["failed"], job["total"]) == (2, 1, 1, 4)
    assert [e["name"] for e in job["errors"]] == ["batch.zip:photo.txt"]  # not the saved path
    assert "imports" not in json.dumps(job["errors"])
    assert found(archive, "herons") and found(archive, "foxes") and existing

    records = [
        {"title": f"Record {n}", "text": f"Otters number {n} swim in the lake."} for n in range(3)
    ]
    jsonl = "\n".join(json.dumps(r) for r in records).encode()
    response = client.post("/api/imports", files={"file": ("records.jsonl", jsonl)})
    job = wait_for(client, response.json()["url"])
    assert (job["state"], job["added"], job["duplicates"], job["failed"]) == ("done", 3, 0, 0)
    assert len(found(archive, "otters")) == 3
    assert [j.id for j in archive.recent_jobs()][:2] == [job["id"], started["id"]]


def test_job_errors_are_404(client: TestClient) -> None:
    assert client.get("/api/jobs/12345").status_code == 404
    assert client.get(f"/api/jobs/{2**70}").status_code == 404
    assert client.post("/api/imports", data={"x": "y"}).status_code == 415
    no_file = client.post("/api/imports", data={"x": "y"}, files={"other": ("a.zip", b"PK")})
    assert no_file.status_code == 400 and "'file'" in no_file.json()["error"]
