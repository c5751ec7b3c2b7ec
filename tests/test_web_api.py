"""The JSON API: the search contract, documents, and the one shape every error has."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from archive.core.archive import Archive
from archive.models import FACETS, SearchQuery
from archive.web import create_app

HIT_KEYS = {
    "group_id",
    "copies",
    "translations",
    "id",
    "title",
    "authors",
    "publication",
    "date",
    "date_ambiguous",
    "language",
    "tags",
    "score",
    "snippets",
}


@pytest.fixture
def client(sample_archive: Archive) -> Iterator[TestClient]:
    with TestClient(create_app(sample_archive)) as client:
        yield client


def test_search_json_has_exactly_the_documented_shape(
    client: TestClient, sample_archive: Archive
) -> None:
    response = client.get("/api/search", params={"q": "partisans", "per_page": "5"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"total", "page", "per_page", "hits", "facets", "suggestion", "timeline"}
    expected = sample_archive.search(SearchQuery(text="partisans", per_page=5))
    assert (body["total"], body["page"], body["per_page"]) == (expected.total, 1, 5)
    assert [hit["id"] for hit in body["hits"]] == [hit.id for hit in expected.hits]
    assert 0 < len(body["hits"]) <= 5
    for hit in body["hits"]:
        assert set(hit) == HIT_KEYS
        assert isinstance(hit["authors"], list) and isinstance(hit["tags"], list)
        assert isinstance(hit["snippets"], list) and len(hit["snippets"]) <= 3
        assert isinstance(hit["score"], float | int) and isinstance(hit["date_ambiguous"], bool)
    assert set(body["facets"]) == set(FACETS)
    for facet, values in body["facets"].items():
        for value in values:
            assert set(value) == {"value", "count", "selected"}, facet
            assert isinstance(value["count"], int) and value["selected"] is False
    assert body["suggestion"] is None or isinstance(body["suggestion"], str)


def test_search_json_filters_mark_the_selection(client: TestClient) -> None:
    everything = client.get("/api/search").json()
    language = everything["facets"]["language"][0]
    body = client.get("/api/search", params={"language": language["value"]}).json()
    assert body["total"] == language["count"]
    assert {hit["language"] for hit in body["hits"]} == {language["value"]}
    selected = [v for v in body["facets"]["language"] if v["selected"]]
    assert [v["value"] for v in selected] == [language["value"]]


def test_per_page_goes_up_to_100(client: TestClient) -> None:
    # collapse=false: the sample holds two copies of one CRS report, which fold into one hit
    body = client.get("/api/search", params={"per_page": "100", "collapse": "false"}).json()
    assert body["per_page"] == 100
    assert len(body["hits"]) == min(100, body["total"])
    response = client.get("/api/search", params={"per_page": "101"})
    assert response.status_code == 400
    assert "per_page" in response.json()["error"]


def test_document_json_has_metadata_and_blocks(client: TestClient, sample_archive: Archive) -> None:
    hit = sample_archive.search(SearchQuery(text="Bakhmut")).hits[0]
    doc = sample_archive.document(hit.id)
    body = client.get(f"/api/documents/{hit.id}").json()
    assert body["id"] == doc.id and body["title"] == doc.metadata.title
    assert body["authors"] == list(doc.metadata.authors)
    assert body["date"] == doc.metadata.date
    assert body["date_ambiguous"] == doc.metadata.date_ambiguous
    assert body["original"] == f"/documents/{doc.id}/original"
    assert [(b["kind"], b["text"]) for b in body["blocks"]] == [
        (b.kind, b.text) for b in doc.blocks
    ]


# One guard test: every way a script can get it wrong answers the same JSON shape.
BAD_REQUESTS = [
    ("GET", "/api/search?page=0", 400),
    ("GET", "/api/search?page=abc", 400),
    ("GET", "/api/search?per_page=0", 400),
    ("GET", "/api/search?per_page=101", 400),
    ("GET", "/api/search?per_page=ten", 400),
    ("GET", "/api/search?from=2023-13", 400),
    ("GET", "/api/search?to=yesterday", 400),
    ("GET", "/api/search?from=2024&to=2023", 400),
    ("GET", "/api/search?year=twenty", 400),
    ("GET", "/api/search?sort=random", 400),
    ("GET", "/api/search?q=x&colour=red", 400),
    ("GET", '/api/search?q="unclosed', 400),
    ("GET", "/api/search?q=*leading", 400),
    ("GET", "/api/search?q=" + "x" * 1001, 400),
    ("GET", "/api/documents/999999", 404),
    ("GET", "/api/documents/abc", 404),
    ("GET", "/api/documents/99999999999999999999", 404),
    ("GET", "/api/no/such/route", 404),
    ("GET", "/api", 404),
    ("POST", "/api/search", 405),
    ("PUT", "/api/documents/1", 405),
    ("GET", "/api/boom", 500),
]


def test_every_api_error_has_the_canonical_shape(sample_archive: Archive) -> None:
    app = create_app(sample_archive)

    def boom(request: object) -> None:
        raise RuntimeError("secret internals")

    app.router.routes.append(Route("/api/boom", boom))
    with TestClient(app, raise_server_exceptions=False) as client:
        for method, url, status in BAD_REQUESTS:
            response = client.request(method, url)
            label = f"{method} {url[:60]}"
            assert response.status_code == status, label
            assert response.headers["content-type"] == "application/json", label
            body = response.json()
            assert set(body) == {"ok", "error", "status"}, label
            assert body["ok"] is False and body["status"] == status, label
            assert isinstance(body["error"], str) and body["error"].strip(), label
            assert "secret internals" not in body["error"] and "Traceback" not in response.text


def test_unknown_parameters_are_named(client: TestClient) -> None:
    error = client.get("/api/search", params={"q": "x", "auther": "Jane"}).json()["error"]
    assert "auther" in error
