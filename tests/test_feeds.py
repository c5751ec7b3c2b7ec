"""The Atom twin of every search (/search.atom), the OpenSearch description (/opensearch.xml) and
its suggestions (/suggest.json), on a real server (uvicorn, the real routes, a real index with
its worker) over a copy of the sample archive. Feeds are read by feedparser, a reader's library
(bozo must stay 0), and by lxml as plain XML.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import httpx
import pytest
from lxml import etree

from archive import Archive
from archive.config import Settings
from archive.web import create_app
from archive.web.oai_xml import xml_text
from tests.live_server import serving

PASSWORD = "a long enough password"
ATOM = "http://www.w3.org/2005/Atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
# Everything that breaks a format that is written by hand: quotes, ampersands, markup, braces,
# newlines, a control character XML cannot hold, and a right-to-left override.
HOSTILE = "Q\"uo't & <b>bold</b> {braces} }]]>\nnext line \x01 \u202eRTL\u202c end"
HOSTILE_WORD = "zanzibarquux"


@dataclass
class Server:
    url: str
    archive: Archive
    hostile_id: int
    draft_id: int
    trashed_id: int


def _settings(root: Path, **more: object) -> Settings:
    return Settings(
        root=root,
        index_batch_size=50,
        rate_limits="off",
        password_time_cost=1,
        password_memory_kib=8,
        password_parallelism=1,
        **more,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def server(
    _sample_archive_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("feeds") / "archive"
    shutil.copytree(_sample_archive_template, root)
    with Archive(_settings(root), background=True) as archive:
        archive.add_user("archivist", PASSWORD, "archivist")
        secret = archive.create_token("archivist", "t", "write").secret
        token = {"Authorization": f"Bearer {secret}"}
        with serving(create_app(archive)) as url, httpx.Client(base_url=url, timeout=60) as client:

            def upload(payload: dict) -> int:
                r = client.post("/api/documents", json=payload, headers=token)
                assert r.status_code == 201, r.text
                return r.json()["id"]

            hostile_id = upload({
                "title": f"{HOSTILE_WORD} {HOSTILE}", "authors": [HOSTILE, "Plain Author"],
                "tags": [HOSTILE, "plain tag"], "publication": HOSTILE, "language": "en",
                "date": "2026-11-03", "filename": "hostile.txt",
                "text": f"The {HOSTILE_WORD} report: {HOSTILE}\n\nMore {HOSTILE_WORD} text.\n",
            })  # fmt: skip
            draft_id = upload({
                "title": f"{HOSTILE_WORD} draft memo", "filename": "draft.txt", "publish": False,
                "text": f"A {HOSTILE_WORD} draft nobody confirmed.\n", "date": "2026-11-04",
            })  # fmt: skip
            trashed_id = upload({
                "title": f"{HOSTILE_WORD} trashed memo", "filename": "trashed.txt",
                "text": f"A {HOSTILE_WORD} memo sent to the trash.\n", "date": "2026-11-05",
            })  # fmt: skip
            r = client.delete(f"/api/documents/{trashed_id}", headers=token)
            assert r.status_code < 300, r.text
            yield Server(url, archive, hostile_id, draft_id, trashed_id)


@pytest.fixture
def reader(server: Server) -> Iterator[httpx.Client]:
    """A signed-out client."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def feed(reader: httpx.Client, **params: str) -> feedparser.FeedParserDict:
    r = reader.get("/search.atom", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/atom+xml")
    etree.fromstring(r.content)  # well-formed for a strict XML parser too
    parsed = feedparser.parse(r.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def doc_id(entry: feedparser.FeedParserDict) -> int:
    return int(urlsplit(entry.link).path.rsplit("/", 1)[1])


def test_a_feed_of_a_search_is_valid_atom_newest_first(reader: httpx.Client) -> None:
    parsed = feed(reader, q="energy OR Ukraine OR president")
    entries = parsed.entries
    assert len(entries) > 3
    dates = [e.updated for e in entries]
    assert dates == sorted(dates, reverse=True)
    api = reader.get("/api/search", params={"q": "energy OR Ukraine OR president",
                                            "sort": "newest"}).json()  # fmt: skip
    assert [doc_id(e) for e in entries] == [h["id"] for h in api["hits"]]
    assert int(parsed.feed.opensearch_totalresults) == api["total"]
    for entry, hit in zip(entries, api["hits"], strict=True):
        assert entry.title == hit["title"]
        assert entry.id == entry.link
        assert [a.name for a in entry.get("authors", [])] == hit["authors"]
        assert [t.term for t in entry.get("tags", [])] == hit["tags"]
        if hit["date"]:
            assert entry.updated.startswith(hit["date"])
        assert "<mark>" not in entry.summary and "&lt;mark" not in entry.summary
    with_tags = next(e for e in entries if e.get("tags"))
    assert with_tags.tags


def test_entry_links_open_the_documents(reader: httpx.Client) -> None:
    entries = feed(reader, q="Ukraine").entries
    assert entries
    for entry in entries[:3]:
        page = reader.get(entry.link)
        assert page.status_code == 200
        assert entry.title.split()[0] in page.text or "&" in entry.title


def test_the_summary_is_the_snippets_as_text(reader: httpx.Client) -> None:
    parsed = feed(reader, q="energy")
    hits = reader.get("/api/search", params={"q": "energy", "sort": "newest"}).json()["hits"]
    entry = parsed.entries[0]
    assert "energy" in entry.summary.lower()
    assert entry.summary_detail.type == "text/plain"
    first = hits[0]["snippets"][0].replace("<mark>", "").replace("</mark>", "")
    assert first.replace("&amp;", "&").replace("&#x27;", "'")[:20] in entry.summary


def test_facet_filters_apply(reader: httpx.Client) -> None:
    parsed = feed(reader, language="uk")
    api = reader.get("/api/search", params={"language": "uk"}).json()
    assert api["total"] > 0
    assert int(parsed.feed.opensearch_totalresults) == api["total"]
    assert {doc_id(e) for e in parsed.entries} == {h["id"] for h in api["hits"]}
    assert all(h["language"] == "uk" for h in api["hits"])


def test_a_sort_the_reader_chose_is_kept(reader: httpx.Client) -> None:
    parsed = feed(reader, q="energy", sort="relevance")
    api = reader.get("/api/search", params={"q": "energy"}).json()
    assert [doc_id(e) for e in parsed.entries] == [h["id"] for h in api["hits"]]
    self_link = next(link.href for link in parsed.feed.links if link.rel == "self")
    assert "sort=relevance" in self_link


def test_paging_links_walk_the_result(reader: httpx.Client) -> None:
    parsed = feed(reader, per_page="10")
    links = {link.rel: link.href for link in parsed.feed.links}
    assert {"self", "alternate", "first", "last", "next"} <= set(links)
    second = reader.get(links["next"])
    assert second.status_code == 200
    page_two = feedparser.parse(second.content)
    assert page_two.bozo == 0
    seen = {doc_id(e) for e in parsed.entries}
    assert seen.isdisjoint(doc_id(e) for e in page_two.entries)


def test_hostile_text_stays_text(reader: httpx.Client, server: Server) -> None:
    r = reader.get("/search.atom", params={"q": HOSTILE_WORD})
    assert r.status_code == 200
    root = etree.fromstring(r.content)
    entries = root.findall(f"{{{ATOM}}}entry")
    assert len(entries) == 1  # not the draft, not the trashed one
    entry = entries[0]
    meta = server.archive.document(server.hostile_id).metadata
    # the catalog kept it as sent (a title's newline folds into a space: one line)
    assert all(part in meta.title for part in HOSTILE.split("\n"))
    assert entry.findtext(f"{{{ATOM}}}title") == xml_text(meta.title)
    authors = [a.findtext(f"{{{ATOM}}}name") for a in entry.findall(f"{{{ATOM}}}author")]
    assert authors == [xml_text(a) for a in meta.authors]
    terms = [c.get("term") for c in entry.findall(f"{{{ATOM}}}category")]
    assert terms == [xml_text(t) for t in meta.tags]
    assert "\u202e" in entry.findtext(f"{{{ATOM}}}title")
    assert "\ufffd" in entry.findtext(f"{{{ATOM}}}title")
    assert "{braces}" in entry.findtext(f"{{{ATOM}}}summary")
    # nothing of it became markup: one title, no <b>, no stray element
    assert entry.find(f".//{{{ATOM}}}b") is None and entry.find(".//b") is None
    parsed = feedparser.parse(r.content)
    assert parsed.bozo == 0
    assert [doc_id(e) for e in parsed.entries] == [server.hostile_id]


def test_hostile_query_text_stays_text(reader: httpx.Client) -> None:
    parsed = feed(reader, q=f'"{HOSTILE_WORD}" OR x&y<z>', tag=HOSTILE)
    assert HOSTILE_WORD in parsed.feed.title
    r = reader.get("/search.atom", params={"q": "\x01\u202e{}&<"})
    assert r.status_code in (200, 400)
    if r.status_code == 200:
        etree.fromstring(r.content)


def test_drafts_and_trash_never_reach_the_feed(reader: httpx.Client, server: Server) -> None:
    for params in ({"q": HOSTILE_WORD}, {}, {"q": "memo"}, {"from": "2026-11"}):
        ids = {doc_id(e) for e in feed(reader, per_page="50", **params).entries}
        assert server.draft_id not in ids and server.trashed_id not in ids


def test_the_search_page_links_its_twins(reader: httpx.Client) -> None:
    r = reader.get("/search", params={"q": "energy", "language": "en"})
    assert r.status_code == 200
    head = r.text.split("</head>", 1)[0]
    assert '<link rel="alternate" type="application/atom+xml" href="/search.atom?q=energy&amp;' \
        'language=en"' in head  # fmt: skip
    assert 'type="application/opensearchdescription+xml" href="/opensearch.xml"' in head
    link = r.headers["link"]
    atom = '</search.atom?q=energy&language=en>; rel="alternate"; type="application/atom+xml"'
    assert atom in link
    assert '</api/search?q=energy&language=en>; rel="alternate"; type="application/json"' in link
    for target in ("/search.atom?q=energy&language=en", "/api/search?q=energy&language=en"):
        assert reader.get(target).status_code == 200


def test_a_document_page_names_its_json_twin(reader: httpx.Client) -> None:
    r = reader.get("/documents/1", params={"q": "x"})
    # with the query: the twin lists the passages it matches (tests/test_api_lists.py)
    assert r.headers["link"] == '</api/documents/1?q=x>; rel="alternate"; type="application/json"'
    assert reader.get("/api/documents/1", params={"q": "x"}).json()["id"] == 1
    plain = reader.get("/documents/1")
    assert plain.headers["link"] == '</api/documents/1>; rel="alternate"; type="application/json"'


def test_every_page_links_the_opensearch_description(reader: httpx.Client) -> None:
    for path in ("/", "/advanced", "/login", "/documents/1"):
        r = reader.get(path)
        assert r.status_code == 200, path
        assert 'rel="search" type="application/opensearchdescription+xml"' in r.text, path


def test_the_opensearch_description(reader: httpx.Client, server: Server) -> None:
    r = reader.get("/opensearch.xml")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/opensearchdescription+xml")
    root = etree.fromstring(r.content)
    assert root.tag == f"{{{OPENSEARCH}}}OpenSearchDescription"
    assert root.findtext(f"{{{OPENSEARCH}}}ShortName")
    templates = {u.get("type"): u.get("template") for u in root.findall(f"{{{OPENSEARCH}}}Url")}
    assert {
        "text/html",
        "application/atom+xml",
        "application/json",
        "application/x-suggestions+json",
    } <= set(templates)
    assert all("{searchTerms}" in t for k, t in templates.items() if "opensearchdesc" not in k)
    # each template, filled in as a browser would, answers
    for media, template in templates.items():
        url = template.replace("{searchTerms}", "energy").replace("{startPage?}", "")
        assert url.startswith(server.url)
        answer = reader.get(url)
        assert answer.status_code == 200, (media, url, answer.text[:200])
        assert answer.headers["content-type"].split(";")[0] == (
            media if media != "text/html" else "text/html"
        )


def test_suggestions_in_the_opensearch_shape(reader: httpx.Client) -> None:
    r = reader.get("/suggest.json", params={"q": "ener"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-suggestions+json")
    typed, completions = r.json()
    assert typed == "ener"
    assert completions and all(isinstance(c, str) for c in completions)
    api = reader.get("/api/suggest", params={"q": "ener"}).json()["suggestions"]
    assert completions == [s["text"] for s in api]
    assert reader.get("/suggest.json", params={"q": "x" * 5000}).json() == ["x" * 5000, []]
    hostile = reader.get("/suggest.json", params={"q": HOSTILE})
    assert hostile.status_code == 200 and hostile.json()[0] == HOSTILE


@pytest.fixture
def private_site(tmp_path: Path) -> Iterator[tuple[str, Archive]]:
    with Archive(_settings(tmp_path / "archive", private=True)) as archive:
        archive.add(b"Partisans crossed the river in the winter offensive.\n", "a.txt")
        with serving(create_app(archive)) as url:
            yield url, archive


def test_a_private_archive_refuses_them_without_login(private_site: tuple[str, Archive]) -> None:
    url, archive = private_site
    archive.add_user("reader", PASSWORD, "reader")
    secret = archive.create_token("reader", "r", "read").secret
    with httpx.Client(base_url=url, timeout=60) as client:
        for path in ("/search.atom?q=river", "/opensearch.xml", "/suggest.json?q=riv"):
            refused = client.get(path)
            assert refused.status_code in (401, 403) or refused.status_code in (302, 303), path
            assert "Partisans" not in refused.text and "river" not in refused.text.lower()
            allowed = client.get(path, headers={"Authorization": f"Bearer {secret}"})
            assert allowed.status_code == 200, (path, allowed.text[:200])
        parsed = feedparser.parse(
            client.get(
                "/search.atom?q=river", headers={"Authorization": f"Bearer {secret}"}
            ).content
        )
        assert parsed.bozo == 0 and len(parsed.entries) == 1


def test_a_bad_parameter_is_a_400_as_an_atom_feed_saying_why(reader: httpx.Client) -> None:
    cases = [
        ({"year": "20x4"}, "20x4"),
        ({"sort": "sideways"}, "sideways"),
        ({"from": "2024-13"}, "2024-13"),
        ({"q": "title:("}, ""),
        ({"from": "<script>&\x01\u202e"}, "<script>&"),
    ]
    for params, named in cases:
        r = reader.get("/search.atom", params=params)
        assert r.status_code == 400, params
        assert r.headers["content-type"].startswith("application/atom+xml"), params
        etree.fromstring(r.content)  # XML, not the HTML error page
        parsed = feedparser.parse(r.content)
        assert parsed.bozo == 0 and parsed.version == "atom10", params
        assert parsed.entries == []
        assert "refused (400)" in parsed.feed.title
        assert named in parsed.feed.subtitle, (params, parsed.feed.subtitle)
        assert "<script>" not in r.text


def test_the_feed_and_suggestions_count_as_searches(tmp_path: Path) -> None:
    """Rate limited like a search: the same bucket as /search and /api/search."""
    settings = _settings(tmp_path / "archive")
    with Archive(Settings(root=settings.root, rate_limits="search=0.001/3")) as archive:
        archive.add(b"Partisans crossed the river in the winter offensive.\n", "a.txt")
        with serving(create_app(archive)) as url, httpx.Client(base_url=url) as client:
            paths = ("/search.atom?q=river", "/suggest.json?q=ri", "/search.atom", "/search")
            statuses = [client.get(path).status_code for path in paths]
    assert statuses == [200, 200, 200, 429]
