"""Browsing over HTTP: timeline, facet values, autocomplete, similar documents, advanced form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from archive.core.archive import Archive
from archive.models import SearchQuery
from archive.web import create_app
from archive.web.permissions import READ, TABLE


@pytest.fixture
def client(sample_archive: Archive) -> Iterator[TestClient]:
    with TestClient(create_app(sample_archive)) as client:
        yield client


def test_search_json_has_the_timeline(client: TestClient, sample_archive: Archive) -> None:
    body = client.get("/api/search", params={"q": "war"}).json()
    page = sample_archive.search(SearchQuery(text="war"))
    assert body["timeline"] == [
        {"period": b.label, "count": b.count, "from": b.start, "to": b.end, "selected": False}
        for b in page.timeline
    ]
    assert body["timeline"] and sum(b["count"] for b in body["timeline"]) <= body["total"]
    months = client.get("/api/search", params={"from": "2022", "to": "2022"}).json()
    assert [b["period"] for b in months["timeline"]][:2] == ["2022-01", "2022-02"]
    assert all(b["selected"] for b in months["timeline"])


def test_facet_values_endpoint_filters_pages_and_keeps_the_search(client: TestClient) -> None:
    body = client.get("/api/facets/tags", params={"facet_match": "МІЖНАР"}).json()
    assert set(body) == {"facet", "match", "page", "per_page", "total", "values"}
    assert body["total"] == len(body["values"]) > 0
    assert all("міжнар" in v["value"].lower() for v in body["values"])
    second = client.get("/api/facets/tags", params={"facet_page": "2"}).json()
    first = client.get("/api/facets/tags").json()
    assert second["page"] == 2 and second["total"] == first["total"] > first["per_page"]
    assert not {v["value"] for v in first["values"]} & {v["value"] for v in second["values"]}
    narrowed = client.get("/api/facets/tags", params={"language": "en", "q": "war"}).json()
    assert 0 < narrowed["total"] < first["total"]
    chosen = first["values"][0]["value"]
    ticked = client.get("/api/facets/tags", params={"tag": chosen}).json()
    assert ticked["values"][0] == {**first["values"][0], "selected": True}  # own selection ignored


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/facets/nosuch", 404),
        ("/api/facets/tags?facet_page=0", 400),
        ("/api/facets/tags?typo=1", 400),
        ("/api/facets/tags?facet_match=" + "x" * 101, 400),
        ("/api/suggest?q=" + "x" * 201, 400),
        ("/api/documents/999999/similar", 404),
    ],
)
def test_errors_have_the_canonical_shape(client: TestClient, url: str, status: int) -> None:
    response = client.get(url)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"ok", "error", "status"} and body["status"] == status


def test_suggest_endpoint(client: TestClient) -> None:
    body = client.get("/api/suggest", params={"q": "partisan"}).json()
    assert body["suggestions"], body
    for s in body["suggestions"]:
        assert s["kind"] in ("title", "name", "term")
        assert set(s) == (
            {"text", "kind", "id"} if s["kind"] == "title" else {"text", "kind", "count"}
        )
    assert any(s["kind"] == "title" and s["id"] == 1 for s in body["suggestions"])
    assert client.get("/api/suggest", params={"q": "p"}).json() == {"suggestions": []}
    assert client.get("/api/suggest").json() == {"suggestions": []}


def test_similar_endpoint_and_document_page(client: TestClient) -> None:
    body = client.get("/api/documents/1/similar").json()
    assert body["id"] == 1 and 0 < len(body["similar"]) <= 10
    assert all(set(s) == {"id", "title", "date", "score"} for s in body["similar"])
    assert 1 not in {s["id"] for s in body["similar"]}
    html = client.get("/documents/1").text
    assert "More like this" in html
    for s in body["similar"][:3]:
        assert f'href="/documents/{s["id"]}"' in html


def _bars(html: str) -> list[str]:
    """The timeline bars' links."""
    return [unescape(h) for h in re.findall(r'<li class="bar[^"]*">\s*<a href="([^"]+)"', html)]


def test_timeline_bars_link_to_their_period_and_drill_down(client: TestClient) -> None:
    html = client.get("/search", params={"q": "war", "language": "en"}).text
    assert "By year" in html
    bars = _bars(html)
    assert bars
    query = parse_qs(urlsplit(bars[0]).query)
    assert query["q"] == ["war"] and query["language"] == ["en"]
    assert query["from"] == query["to"] and len(query["from"][0]) == 4
    drilled = client.get(bars[-1]).text
    assert "By month" in drilled and "All dates" in drilled
    months = _bars(drilled)
    assert len(months) == 12 and all(
        len(parse_qs(urlsplit(m).query)["from"][0]) == 7 for m in months
    )


def test_a_long_facet_has_a_filter_form_and_more_pages_without_js(client: TestClient) -> None:
    html = client.get("/search").text
    assert 'form="facet-form-tags"' in html and 'id="facet-form-tags"' in html
    more = re.search(r'<a class="facet-next" href="([^"]+)"', html)
    assert more, "the tags facet has more values than it shows"
    url = unescape(more.group(1))
    assert "facet_more=tags" in url and "facet_page=2" in url
    page_two = client.get(url).text
    assert "page 2 of" in page_two and "Top values" in page_two
    # the filter form: only matching values, the search kept, a ticked value kept ticked
    found = client.get(
        "/search",
        params={"language": "uk", "tag": "Голод", "facet_more": "tags", "facet_match": "МІЖН"},
    ).text
    section = found.split('id="facet-tags"')[1].split("</fieldset>")[0]
    values = re.findall(r'name="tag" value="([^"]+)"', section)
    assert values[0] == "Голод" and all("міжн" in v.lower() for v in values[1:]) and values[1:]
    assert 'name="tag" value="Голод" checked' in section


def test_advanced_form_redirects_to_the_search_it_builds(client: TestClient) -> None:
    html = client.get("/advanced").text
    assert 'name="near"' in html and 'name="within"' in html and 'name="field"' in html
    response = client.get(
        "/advanced",
        params={"all": "war", "near": "Bakhmut Wagner", "within": "6", "language": "en", "go": "1"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert target.path == "/search"
    assert parse_qs(target.query) == {"q": ['war "Bakhmut Wagner"~6'], "language": ["en"]}
    assert client.get(response.headers["location"]).status_code == 200
    assert client.get("/advanced", params={"go": "1"}, follow_redirects=False).status_code == 200
    assert (
        client.get("/advanced", params={"near": "a b", "within": "x", "go": "1"}).status_code == 400
    )


def test_every_new_route_is_in_the_permission_table() -> None:
    for path in (
        "/advanced",
        "/api/suggest",
        "/api/facets/{facet}",
        "/api/documents/{id:int}/similar",
    ):
        assert TABLE[("GET", path)] == READ
