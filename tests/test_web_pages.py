"""The HTML pages, through Starlette's TestClient on a real archive (conftest's fixtures)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from markupsafe import escape
from starlette.routing import Route
from starlette.testclient import TestClient

from archive.core.archive import Archive
from archive.models import Overrides, SearchQuery
from archive.web import create_app
from archive.web.display import FACET_SHOWN
from tests.conftest import sample_path

SAMPLE = sample_path()
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


@pytest.fixture
def client(sample_archive: Archive) -> Iterator[TestClient]:
    with TestClient(create_app(sample_archive)) as client:
        yield client


def sample_id(archive: Archive) -> int:
    """The sample article's id, found the way a reader would: by searching its words."""
    page = archive.search(SearchQuery(text="Bakhmut Prigozhin partisans", per_page=50))
    ids = [hit.id for hit in page.hits if archive.document(hit.id).filename == SAMPLE.name]
    assert ids, "the sample article should be in sample_archive"
    return ids[0]


class Tags(HTMLParser):
    """Every start tag of a page with its attributes, to assert on markup rather than text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            found
            for name, found in self.tags
            if name == tag and all(found.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]


# --- search page ---------------------------------------------------------------------------


def test_search_page_renders_hits_with_links_keeping_the_query(
    client: TestClient, sample_archive: Archive
) -> None:
    page = sample_archive.search(SearchQuery(text="partisans"))
    assert page.total > 0
    response = client.get("/search", params={"q": "partisans"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert f"{page.total:,} result" in html
    tags = Tags(html)
    for hit in page.hits:
        assert tags.find("a", href=f"/documents/{hit.id}?q=partisans"), hit.title
    assert tags.find("input", name="q", value="partisans")
    assert "<mark>" in html  # snippets are highlighted
    # The home page is the same page, listing everything.
    everything = sample_archive.search(SearchQuery(sort="newest"))
    assert f"{everything.total:,} result" in client.get("/").text


def test_facets_show_counts_as_checkboxes_and_selection_is_checked(
    client: TestClient, sample_archive: Archive
) -> None:
    page = sample_archive.search(SearchQuery(sort="newest"))
    language = page.facets["language"][0]
    tags = Tags(client.get("/search").text)
    boxes = tags.find("input", type="checkbox", name="language", value=language.value)
    assert boxes and "checked" not in boxes[0]
    html = client.get("/search").text
    assert re.search(
        rf'value="{re.escape(language.value)}"[^>]*>\s*<span class="facet-name">[^<]*</span>\s*'
        rf'<span class="facet-count">{language.count:,}</span>',
        html,
    )
    for facet, param in [("authors", "author"), ("year", "year"), ("publication", "publication")]:
        for value in page.facets[facet][:3]:
            assert tags.find("input", type="checkbox", name=param, value=value.value)

    response = client.get("/search", params={"language": language.value})
    filtered = sample_archive.search(
        SearchQuery(filters={"language": (language.value,)}, sort="newest")
    )
    assert f"{filtered.total:,} result" in response.text
    tags = Tags(response.text)
    (box,) = tags.find("input", type="checkbox", name="language", value=language.value)
    assert "checked" in box
    assert tags.find("a", class_="clear-facet", href="/search")
    assert tags.find("a", class_="clear-all", href="/search")


def test_pagination_links_and_total(client: TestClient, sample_archive: Archive) -> None:
    total = sample_archive.search(SearchQuery(sort="newest")).total
    assert total > 10, "sample_archive should hold enough documents to paginate"
    first = client.get("/search", params={"per_page": "10"}).text
    tags = Tags(first)
    assert tags.find("a", rel="next", href="/search?per_page=10&page=2")
    assert tags.find("a", href="/search?per_page=10", **{"aria-current": "page"})
    second = client.get("/search", params={"per_page": "10", "page": "2"}).text
    assert Tags(second).find("a", rel="prev", href="/search?per_page=10")
    # the hits' own links (a hit's "Also in" links name its copies: issue 16)
    ids = set(re.findall(r'class="hit-title"><a href="/documents/(\d+)"', first))
    ids2 = set(re.findall(r'class="hit-title"><a href="/documents/(\d+)"', second))
    assert len(ids) == 10 and len(ids2) == 10 and not ids & ids2


def test_page_ignores_unknown_params_but_refuses_bad_values(client: TestClient) -> None:
    assert client.get("/search", params={"q": "partisans", "utm_source": "x"}).status_code == 200
    for params, status in [
        ({"page": "0"}, 400),
        ({"per_page": "100"}, 400),  # pages offer 10/20/50; the API goes to 100
        ({"from": "2023-02-30"}, 400),
    ]:
        response = client.get("/search", params=params)
        assert response.status_code == status, params
        assert response.headers["content-type"].startswith("text/html")
        assert 'class="error-message"' in response.text
        assert Tags(response.text).find("a", href="/search")
    # A refused query keeps the search page: the message above the box that holds the query,
    # and the filters (issue 13).
    for q in ('"unclosed', "*leading", "title:("):
        response = client.get("/search", params={"q": q, "language": "en"})
        assert response.status_code == 400
        tags = Tags(response.text)
        assert tags.find("p", id="query-error", role="alert")
        assert tags.find("input", name="q", value=q)
        assert tags.find("aside", id="filters")
        (box,) = tags.find("input", type="checkbox", name="language", value="en")
        assert "checked" in box
        assert not tags.find("section", class_="error-page")
    # the message quotes what the reader typed: as text, never markup
    response = client.get("/search", params={"q": "*<b>bold</b>"})
    assert response.status_code == 400
    assert "<b>bold" not in response.text and "&lt;b&gt;bold" in response.text


def test_a_page_past_the_end_says_so(client: TestClient) -> None:
    html = client.get("/search", params={"per_page": "10", "page": "999"}).text
    assert "past the last page" in html
    assert re.search(r'href="/search\?per_page=10&amp;page=\d+">Go to the last page', html)


# --- document page -------------------------------------------------------------------------


def test_document_page_blocks_passages_anchors_and_hits(
    client: TestClient, sample_archive: Archive
) -> None:
    doc_id = sample_id(sample_archive)
    view = sample_archive.document_view(doc_id, "Bakhmut")
    html = client.get(f"/documents/{doc_id}", params={"q": "Bakhmut"}).text
    tags = Tags(html)
    # every block is there with its anchor, headings as h2-h4
    ids = {found.get("id") for _, found in tags.tags}
    assert {f"p-{index}" for index in range(len(view.blocks))} <= ids
    headings = [t for t, a in tags.tags if t in ("h2", "h3", "h4") and "heading" in str(a)]
    assert len(headings) == sum(1 for b in view.blocks if b.kind == "heading") > 0
    # every passage links to an anchor that exists; the outline too
    assert view.passages
    for passage in view.passages:
        assert tags.find("a", href=f"#p-{passage.block}")
    for index, _level, _text in view.outline:
        assert tags.find("a", href=f"#p-{index}")
    # every match is a numbered mark, from hit-1, and the hit links start at the ends
    hits = sum(block.hits for block in view.blocks)
    assert hits > 2
    assert [f"hit-{n}" for n in range(1, hits + 1)] == re.findall(r'<mark id="(hit-\d+)">', html)
    assert tags.find("a", href="#hit-1", class_="hit-next")
    assert tags.find("a", href=f"#hit-{hits}", class_="hit-prev")
    assert tags.find("a", href="/search?q=Bakhmut", class_="back-link")
    assert tags.find("a", href=f"/documents/{doc_id}/original?download")


def test_document_page_flags_the_ambiguous_date_with_both_readings(
    client: TestClient, sample_archive: Archive
) -> None:
    doc_id = sample_id(sample_archive)
    meta = sample_archive.document(doc_id).metadata
    assert meta.date_ambiguous and len(meta.date_readings) == 2
    html = client.get(f"/documents/{doc_id}").text
    assert "Ambiguous date" in html
    # 11/6/23 read day first: 11 June 2023, or else 6 November 2023
    assert "11 June 2023" in html and "6 November 2023" in html
    # without a query there are no marks and no hit navigation
    assert "<mark" not in html and "hit-next" not in html


def test_search_hit_marks_an_ambiguous_date_with_both_readings(
    client: TestClient, sample_archive: Archive
) -> None:
    sample_id(sample_archive)
    html = client.get("/search", params={"q": "Bakhmut Prigozhin"}).text
    assert re.search(r'<abbr class="ambiguous" title="[^"]*11 June 2023[^"]*6 November 2023', html)


def test_original_is_an_attachment_that_cannot_be_sniffed(
    client: TestClient, sample_archive: Archive
) -> None:
    doc_id = sample_id(sample_archive)
    response = client.get(f"/documents/{doc_id}/original")
    assert response.status_code == 200
    assert response.content == SAMPLE.read_bytes()
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "html" not in response.headers["content-type"]
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    match = re.search(r"filename\*=UTF-8''(\S+)", disposition)
    assert match and unquote(match.group(1)) == SAMPLE.name


def test_download_name_is_safe_for_any_filename(archive: Archive) -> None:
    name = 'a "quoted";\r\nname «ü».txt'
    doc = archive.add(b"Plain text about partisans.\n", name, Overrides(title="Odd name"))
    with TestClient(create_app(archive)) as client:
        response = client.get(f"/documents/{doc.id}/original")
    disposition = response.headers["content-disposition"]
    fallback = re.search(r'filename="([^"]*)"', disposition)
    assert fallback and fallback.group(1).isascii() and "\n" not in disposition
    encoded = re.search(r"filename\*=UTF-8''(\S+)$", disposition)
    assert encoded and unquote(encoded.group(1)) == archive.original_path(doc.id)[1]


def test_long_facets_fold_behind_more_but_keep_selected_values_visible(
    client: TestClient, sample_archive: Archive
) -> None:
    authors = sample_archive.search(SearchQuery(sort="newest")).facets["authors"]
    assert len(authors) > FACET_SHOWN + 2, "sample_archive should have many authors"
    last = authors[-1].value
    tags = Tags(client.get("/search").text)
    assert len(tags.find("details", class_="facet-more")) >= 1
    html = client.get("/search", params={"author": last}).text
    shown = html.split('<details class="facet-more">')[0]
    assert f'name="author" value="{escape(last)}" checked' in shown


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/documents/999999", 404),
        ("GET", "/documents/999999/original", 404),
        ("GET", "/documents/abc", 404),
        ("GET", "/documents/99999999999999999999", 404),  # beyond SQLite's integers
        ("GET", "/documents/0/original", 404),
        ("GET", "/no/such/page", 404),
        ("POST", "/search", 405),
    ],
)
def test_errors_are_html_pages_with_a_way_back(
    client: TestClient, method: str, url: str, status: int
) -> None:
    response = client.request(method, url)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert f"Error {status}" in response.text
    assert Tags(response.text).find("a", href="/search")


def test_an_unexpected_error_is_a_500_page_without_a_traceback(archive: Archive) -> None:
    app = create_app(archive)

    def boom(request: object) -> None:
        raise RuntimeError("secret internals /etc/passwd")

    app.router.routes.append(Route("/boom", boom))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "secret internals" not in response.text and "Traceback" not in response.text
    assert "Error 500" in response.text


# --- escaping ------------------------------------------------------------------------------


def assert_no_injected_markup(html: str) -> None:
    """Only our own tags: one script (app.js) and at most one JSON-LD data block (a document's
    schema.org record, never executed), no img, no on* handlers, marks only as marks."""
    tags = Tags(html)
    data_block = {"type": "application/ld+json"}
    scripts = [attrs for name, attrs in tags.tags if name == "script" and attrs != data_block]
    assert scripts == [{"src": "/static/app.js", "defer": None}]
    assert [attrs for name, attrs in tags.tags if name == "script"].count(data_block) <= 1
    assert not [name for name, _ in tags.tags if name in ("img", "iframe", "object", "svg")]
    for name, attrs in tags.tags:
        assert not [a for a in attrs if a.startswith("on")], (name, attrs)
    assert SCRIPT not in html and IMG not in html


def snippet_tags(html: str, css_class: str) -> set[str]:
    inner = re.findall(rf'<(?:p|span) class="{css_class}">(.*?)</(?:p|span)>', html, re.S)
    assert inner, f"no {css_class} in the page"
    return {tag for text in inner for tag in re.findall(r"<[^>]*>", text)}


@pytest.fixture
def hostile(archive: Archive) -> tuple[Archive, int]:
    body = (
        f"Partisans {SCRIPT} wrote this.\n\n"
        f"A paragraph about partisans with {IMG} inside and <b>bold</b> claims.\n"
    )
    doc = archive.add(
        body.encode(),
        f"{IMG}.txt",
        Overrides(
            title=f"Partisans {SCRIPT}",
            authors=(IMG, "Jane <b>Doe</b>"),
            publication=SCRIPT,
            tags=(SCRIPT, "ok"),
        ),
    )
    return archive, doc.id


def test_hostile_titles_bodies_and_queries_are_escaped_everywhere(
    hostile: tuple[Archive, int],
) -> None:
    archive, doc_id = hostile
    with TestClient(create_app(archive)) as client:
        for q in ["partisans", f"partisans {SCRIPT}", f"partisans {IMG}"]:
            response = client.get("/search", params={"q": q})
            # A query may be refused (400) but never echoed unescaped.
            assert response.status_code in (200, 400), q
            assert_no_injected_markup(response.text)
        search = client.get("/search", params={"q": "partisans"}).text
        assert "Partisans &lt;script&gt;alert(1)&lt;/script&gt;" in search
        assert snippet_tags(search, "snippet") <= {"<mark>", "</mark>"}
        # the facet sidebar lists the hostile author, tag and publication as text
        assert Tags(search).find("input", name="author", value=IMG)

        for q in ["", "partisans", SCRIPT, IMG]:
            response = client.get(f"/documents/{doc_id}", params={"q": q})
            assert response.status_code == 200, q
            assert_no_injected_markup(response.text)
        page = client.get(f"/documents/{doc_id}", params={"q": "partisans"}).text
        assert snippet_tags(page, "passage-snippet") <= {"<mark>", "</mark>"}
        assert "&lt;img src=x onerror=alert(1)&gt;" in page
        marks = set(re.findall(r"<mark[^>]*>", page))
        assert marks and all(re.fullmatch(r'<mark(?: id="hit-\d+")?>', m) for m in marks)

        # errors echo what the reader sent, escaped
        response = client.get("/search", params={"from": SCRIPT})
        assert response.status_code == 400
        assert_no_injected_markup(response.text)
