"""Passage permalinks and passage citations over HTTP on a real server: /documents/{id}/passages/
{fingerprint} redirects to the paragraph holding those words now (or to the document with a note
when they are gone); cite.bib/.ris/.json?passage= read back by bibtexparser, rispy and json; a
result's snippets name their passages; hostile headings inject nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import bibtexparser
import httpx
import pytest
import rispy

from archive import Archive
from archive.config import Settings
from archive.models import Overrides
from archive.web import create_app
from tests.live_server import serving

HEADING = 'Section {one} & "two" \\ %50'
PASSAGE = "The harbour pilots counted nine ships before the storm."
TEXT = f"Harbour chronicle\n\nAn opening paragraph.\n\n{HEADING}\n\n{PASSAGE}\n\nA closing line.\n"
# the text core/passages.py fingerprints is what extraction kept: find it from the page instead of
# recomputing it here, so the test reads the server's answer, not our own formula
LINK = re.compile(r'href="(/documents/\d+/passages/([0-9a-f]{12}))"')


@dataclass
class Site:
    url: str
    archive: Archive
    doc: int
    draft: int


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("passages") / "archive"
    with Archive(Settings(root=root, rate_limits="off")) as archive:
        doc = archive.add(TEXT.encode(), "harbour.txt", Overrides(
            title="Harbour chronicle", authors=("Ann Pilot",), date="2021-04-05",
            publication="Port Gazette",
        )).id  # fmt: skip
        draft = archive.add(b"A draft about harbour pilots.\n", "d.txt", publish=False).id
        with serving(create_app(archive)) as url:
            yield Site(url, archive, doc, draft)


@pytest.fixture
def reader(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=60) as client:
        yield client


def passage_links(reader: httpx.Client, doc_id: int) -> dict[str, str]:
    """block text -> its permalink path, read from the document page."""
    html = reader.get(f"/documents/{doc_id}").text
    blocks = re.findall(r'<(?:p|h\d) id="p-\d+" class="block [a-z]+">(.*?)</', html)
    links = [m.group(1) for m in LINK.finditer(html)]
    assert len(blocks) == len(links) > 3
    unescape = {"&amp;": "&", "&#34;": '"', "&quot;": '"', "&#39;": "'"}
    texts = [re.sub("|".join(unescape), lambda m: unescape[m.group()], b) for b in blocks]
    return dict(zip(texts, links, strict=True))


def test_every_paragraph_has_a_permalink_that_redirects_to_it(
    reader: httpx.Client, site: Site
) -> None:
    links = passage_links(reader, site.doc)
    assert len(set(links.values())) == len(links)  # one each
    for n, (text, link) in enumerate(links.items()):
        r = reader.get(link)
        assert r.status_code == 302
        location = r.headers["location"]
        fingerprint = link.rsplit("/", 1)[1]
        assert location == f"/documents/{site.doc}?passage={fingerprint}#p-{n}", text
        page = reader.get(location.split("#")[0]).text
        assert f'data-passage-block="p-{n}"' in page
        assert "passage-gone" not in page


def test_an_unknown_or_malformed_passage_opens_the_document_with_a_note(
    reader: httpx.Client, site: Site
) -> None:
    for wanted in ("0123456789ab", "not-a-fingerprint", "<script>x", "a" * 500):
        r = reader.get(f"/documents/{site.doc}/passages/{wanted}")
        assert r.status_code == 302
        assert "#" not in r.headers["location"]
        page = reader.get(r.headers["location"])
        assert page.status_code == 200
        assert "no longer in this document" in page.text
        assert "<script>x" not in page.text


def test_a_draft_or_missing_document_has_no_passages(reader: httpx.Client, site: Site) -> None:
    assert reader.get(f"/documents/{site.draft}/passages/0123456789ab").status_code == 404
    assert reader.get("/documents/999999/passages/0123456789ab").status_code == 404
    for ext in ("bib", "ris", "json"):
        r = reader.get(f"/documents/{site.draft}/cite.{ext}", params={"passage": "0123456789ab"})
        assert r.status_code == 404


def test_a_passage_cites_as_the_document_with_its_permalink_and_section(
    reader: httpx.Client, site: Site
) -> None:
    link = passage_links(reader, site.doc)[PASSAGE]
    fingerprint = link.rsplit("/", 1)[1]
    permalink = site.url + link

    bib = reader.get(f"/documents/{site.doc}/cite.bib", params={"passage": fingerprint})
    assert bib.status_code == 200, bib.text
    library = bibtexparser.parse_string(bib.text)
    assert not library.failed_blocks
    [entry] = library.entries
    fields = {k: f.value for k, f in entry.fields_dict.items()}
    assert fields["url"] == permalink
    assert fields["title"] == "Harbour chronicle" and fields["journal"] == "Port Gazette"
    assert fields["note"] == r'Section: Section \{one\} \& "two" \textbackslash{} \%50'
    assert fingerprint in entry.key  # the passage and the whole document can share a library

    ris = reader.get(f"/documents/{site.doc}/cite.ris", params={"passage": fingerprint})
    [record] = rispy.loads(ris.text)
    assert record["urls"][0] == permalink
    assert record["section"] == HEADING
    assert record["title"] == "Harbour chronicle"

    csl = reader.get(f"/documents/{site.doc}/cite.json", params={"passage": fingerprint})
    [item] = json.loads(csl.text)
    assert item["URL"] == permalink and item["section"] == HEADING

    # the whole document's citation is unchanged by the passage feature
    whole = bibtexparser.parse_string(reader.get(f"/documents/{site.doc}/cite.bib").text)
    assert "note" not in whole.entries[0].fields_dict
    assert whole.entries[0].fields_dict["url"].value == f"{site.url}/documents/{site.doc}"


def test_the_cite_box_cites_the_passage_a_permalink_chose(reader: httpx.Client, site: Site) -> None:
    link = passage_links(reader, site.doc)[PASSAGE]
    fingerprint = link.rsplit("/", 1)[1]
    page = reader.get(f"/documents/{site.doc}", params={"passage": fingerprint}).text
    assert "Cite this passage" in page
    assert f"cite.bib?passage={fingerprint}" in page
    start = page.index('<details class="cite"')
    box = page[start : page.index("</details>", start)]
    assert site.url + link in box  # APA and Chicago end in the permalink
    assert "Section \u201cSection {one} &amp; &#34;two&#34;" in box
    plain = reader.get(f"/documents/{site.doc}").text
    assert "Cite this passage" not in plain


def test_a_passage_gone_is_a_404_for_its_citation(reader: httpx.Client, site: Site) -> None:
    r = reader.get(f"/documents/{site.doc}/cite.bib", params={"passage": "0123456789ab"})
    assert r.status_code == 404
    assert "no longer holds the passage" in r.text
    too_long = reader.get(f"/documents/{site.doc}/cite.ris", params={"passage": "f" * 100})
    assert too_long.status_code == 400


def test_each_snippet_links_to_its_passage(reader: httpx.Client, site: Site) -> None:
    html = reader.get("/search", params={"q": "pilots counted"}).text
    hrefs = re.findall(r'<p class="hit-snippet"><a href="([^"]+)"', html)
    assert hrefs, html
    assert hrefs[0].startswith(f"/documents/{site.doc}?q=pilots+counted#p-")
    block = int(hrefs[0].rsplit("-", 1)[1])
    page = reader.get(hrefs[0].split("#")[0]).text
    assert re.search(rf'id="p-{block}" class="block paragraph">The harbour <mark', page)


def test_an_archivist_replaces_the_text_through_the_api(tmp_path) -> None:
    """PATCH {"text": …}: the passages kept are found where they moved, the one changed is gone
    (the page notes it, its citation is a 404), and the audit log keeps the change."""
    settings = Settings(root=tmp_path / "archive", rate_limits="off")
    with Archive(settings) as archive:
        doc = archive.add(TEXT.encode(), "harbour.txt", Overrides(title="Harbour chronicle")).id
        archive.add_user("archivist", "a long enough password", "archivist")
        secret = archive.create_token("archivist", "w", "write").secret
        reader_secret = archive.create_token("archivist", "r", "read").secret
        with serving(create_app(archive)) as url, httpx.Client(base_url=url) as client:
            links = passage_links(client, doc)
            kept, changed = links["A closing line."], links[PASSAGE]
            new_text = TEXT.replace(PASSAGE, "The pilots counted ten ships.")
            new_text = new_text.replace("An opening", "A new first paragraph.\n\nAn opening")
            refused = client.patch(
                f"/api/documents/{doc}", json={"text": new_text},
                headers={"Authorization": f"Bearer {reader_secret}"},
            )  # fmt: skip
            assert refused.status_code == 403
            for bad in ("", "   \n", ["a list"], 7):
                r = client.patch(
                    f"/api/documents/{doc}", json={"text": bad},
                    headers={"Authorization": f"Bearer {secret}"},
                )  # fmt: skip
                assert r.status_code == 400 and "text" in r.json()["error"], bad
            r = client.patch(
                f"/api/documents/{doc}", json={"text": new_text, "title": "Chronicle, corrected"},
                headers={"Authorization": f"Bearer {secret}"},
            )  # fmt: skip
            assert r.status_code == 200, r.text
            assert r.json()["title"] == "Chronicle, corrected"
            blocks = [b["text"] for b in r.json()["blocks"]]
            assert "The pilots counted ten ships." in blocks and PASSAGE not in blocks
            hop = client.get(kept)
            assert hop.headers["location"].endswith(f"#p-{blocks.index('A closing line.')}")
            gone = client.get(changed)
            assert "#" not in gone.headers["location"]
            assert "no longer in this document" in client.get(gone.headers["location"]).text
            fingerprint = changed.rsplit("/", 1)[1]
            cite = client.get(f"/documents/{doc}/cite.bib", params={"passage": fingerprint})
            assert cite.status_code == 404
        [entry] = [e for e in archive.audit_log(doc) if e.action == "replace text"]
        assert entry.actor == "token:w@archivist" and entry.details["blocks"] == [5, 6]
