"""The JSON twins of the archivists' lists (/api/drafts, /api/trash, /api/collections) and of the
document view (/api/documents/{id}?q=) on a real server: each answers whom its page answers, and
drafts and trashed documents reach no reader, no read token and no anonymous visitor, in a
public archive and in a private one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from archive.config import Settings
from archive.core.archive import Archive
from archive.models import Overrides
from archive.web import create_app
from archive.web.auth import COOKIE
from tests.live_server import serving

PASSWORD = "correct horse battery"
DRAFT_TITLE = "Unpublished memo on the harbour"
TRASHED_TITLE = "Withdrawn report on the harbour"
LINK_TWIN = re.compile(r'^<(/api/[a-z]+)>; rel="alternate"; type="application/json"$')


@dataclass
class Site:
    url: str
    archive: Archive
    published: int
    draft: int
    trashed: int
    headers: dict[str, dict[str, str]]  # principal -> request headers


def make_site(root, private: bool) -> Iterator[Site]:
    settings = Settings(
        root=root, private=private, rate_limits="off",
        password_time_cost=1, password_memory_kib=8, password_parallelism=1,
    )  # fmt: skip
    with Archive(settings) as archive:
        text = b"The harbour pilots counted nine ships.\n\nA second paragraph on the harbour.\n"
        published = archive.add(text, "p.txt", Overrides(title="Harbour chronicle")).id
        draft = archive.add(
            b"A draft on the harbour.\n", "d.txt", Overrides(title=DRAFT_TITLE), publish=False
        ).id
        trashed = archive.add(b"Gone harbour.\n", "t.txt", Overrides(title=TRASHED_TITLE)).id
        archive.trash(trashed, actor="test")
        archive.collect("Ports & harbours", [published], actor="test")
        archive.add_user("archivist", PASSWORD, "archivist")
        archive.add_user("reader", PASSWORD, "reader")
        headers = {
            "anonymous": {},
            "reader": {"Cookie": f"{COOKIE}={archive.login('reader', PASSWORD).secret}"},
            "token-read": {
                "Authorization": "Bearer " + archive.create_token("archivist", "r", "read").secret
            },
            "archivist": {"Cookie": f"{COOKIE}={archive.login('archivist', PASSWORD).secret}"},
            "token-write": {
                "Authorization": "Bearer " + archive.create_token("archivist", "w", "write").secret
            },
        }
        with serving(create_app(archive)) as url:
            yield Site(url, archive, published, draft, trashed, headers)


@pytest.fixture(scope="module", params=[False, True], ids=["public", "private"])
def site(request, tmp_path_factory) -> Iterator[Site]:
    yield from make_site(tmp_path_factory.mktemp("lists") / "archive", request.param)


def get(site: Site, principal: str, path: str, **params: str) -> httpx.Response:
    with httpx.Client(base_url=site.url, timeout=60) as client:
        return client.get(path, params=params, headers=site.headers[principal])


@pytest.mark.parametrize("principal", ["anonymous", "reader", "token-read"])
@pytest.mark.parametrize("path", ["/api/drafts", "/api/trash", "/api/collections"])
def test_readers_get_no_list(site: Site, principal: str, path: str) -> None:
    r = get(site, principal, path)
    assert r.status_code in (401, 403), r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["ok"] is False and body["status"] == r.status_code and body["error"]
    assert DRAFT_TITLE not in r.text and TRASHED_TITLE not in r.text


@pytest.mark.parametrize("principal", ["archivist", "token-write"])
def test_archivists_get_the_lists_their_pages_show(site: Site, principal: str) -> None:
    drafts = get(site, principal, "/api/drafts").json()["drafts"]
    assert [(d["id"], d["title"]) for d in drafts] == [(site.draft, DRAFT_TITLE)]
    assert drafts[0]["edit"] == f"/documents/{site.draft}/edit" and drafts[0]["added_at"]
    # what the drafts page shows to tell two drafts apart (issue 14)
    assert drafts[0]["filename"] and drafts[0]["format"] and drafts[0]["size"] > 0
    assert drafts[0]["text_chars"] > 0 and isinstance(drafts[0]["short_text"], bool)
    trashed = get(site, principal, "/api/trash").json()["trashed"]
    assert [(t["id"], t["title"]) for t in trashed] == [(site.trashed, TRASHED_TITLE)]
    assert trashed[0]["trashed_at"]
    [collection] = get(site, principal, "/api/collections").json()["collections"]
    assert collection["name"] == "Ports & harbours" and collection["documents"] == 1
    found = get(site, principal, collection["search"].replace("/search", "/api/search", 1))
    assert [h["id"] for h in found.json()["hits"]] == [site.published]


def test_each_page_with_a_twin_names_it_in_a_link_header(site: Site) -> None:
    for page, twin in (("/drafts", "/api/drafts"), ("/trash", "/api/trash"),
                       ("/collections", "/api/collections")):  # fmt: skip
        r = get(site, "archivist", page)
        assert r.status_code == 200
        assert LINK_TWIN.fullmatch(r.headers["link"]).group(1) == twin
        # the twin holds what the page shows
        assert get(site, "archivist", twin).status_code == 200
    doc = get(site, "archivist", f"/documents/{site.published}", q="pilots")
    assert doc.headers["link"] == (
        f'</api/documents/{site.published}?q=pilots>; rel="alternate"; type="application/json"'
    )


def reader_of(site: Site) -> str:
    return "token-read" if site.archive.settings.private else "anonymous"


def test_the_document_twin_gives_the_passages_a_query_matches(site: Site) -> None:
    r = get(site, reader_of(site), f"/api/documents/{site.published}", q="pilots")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["query"] == "pilots"
    [passage] = body["passages"]
    assert passage["block"] == 0 and passage["snippet"].startswith("The harbour <mark>pilots")
    assert passage["url"] == f"/documents/{site.published}?q=pilots#p-0"
    # the permalink leads to the same paragraph on the page
    with httpx.Client(base_url=site.url, headers=site.headers[reader_of(site)]) as client:
        hop = client.get(passage["permalink"])
    assert hop.status_code == 302 and hop.headers["location"].endswith("#p-0")
    plain = get(site, reader_of(site), f"/api/documents/{site.published}").json()
    assert "passages" not in plain


@pytest.mark.parametrize("principal", ["anonymous", "token-read", "archivist", "token-write"])
def test_no_twin_shows_a_hidden_document_to_a_reader(site: Site, principal: str) -> None:
    for hidden in (site.draft, site.trashed):
        for q in ("", "harbour"):
            r = get(site, principal, f"/api/documents/{hidden}", **({"q": q} if q else {}))
            assert r.status_code in (401, 404), (principal, hidden, q)
            assert DRAFT_TITLE not in r.text and TRASHED_TITLE not in r.text
    found = get(site, principal, "/api/search", q="harbour")
    if found.status_code == 200:
        assert [h["id"] for h in found.json()["hits"]] == [site.published]


def test_a_bad_query_on_the_document_twin_is_a_400_not_a_500(site: Site) -> None:
    who = reader_of(site)
    for q in ("title:(", '"unclosed', "x" * 1001, "\x00"):
        r = get(site, who, f"/api/documents/{site.published}", q=q)
        assert r.status_code in (200, 400), (q, r.status_code)
        if r.status_code == 400:
            assert r.json()["error"]
