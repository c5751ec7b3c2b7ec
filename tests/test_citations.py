"""Citations of a document on a real server (uvicorn, the real routes) over a copy of the sample
archive: /documents/{id}/cite.bib read back by bibtexparser, cite.ris by rispy, cite.json as
CSL-JSON; the document page's Cite box, Highwire citation_* meta tags and schema.org JSON-LD.
Hostile text in every field must give valid records and inject nothing into any format.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import bibtexparser
import httpx
import pytest
import rispy

from archive import Archive
from archive.config import Settings
from archive.models import Overrides
from archive.web import create_app
from tests.live_server import serving

HOSTILE = "Q\"uo't & {braces} }} \\back % $ # _ ~ ^\nnext line \x01 \u202eRTL\u202c </script><!-- x"
FOLDED = "Q\"uo't & {braces} }} \\back % $ # _ ~ ^ next line \u202eRTL\u202c </script><!-- x"
BIBTEX_ESCAPES = {
    r"\textbackslash{}": "\\",
    r"\textasciitilde{}": "~",
    r"\textasciicircum{}": "^",
    **{f"\\{c}": c for c in "{}%&$#_"},
}


@dataclass
class Site:
    url: str
    archive: Archive
    cyrillic: int
    undated: int
    ambiguous: int
    confirmed: int
    hostile: int
    draft: int
    trashed: int


def _add(archive: Archive, name: str, overrides: Overrides, *, publish: bool = True) -> int:
    text = f"The text of {name}.\n".encode()
    return archive.add(text, f"{name}.txt", overrides, publish=publish).id


@pytest.fixture(scope="module")
def site(
    _sample_archive_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("citations") / "archive"
    shutil.copytree(_sample_archive_template, root)
    settings = Settings(root=root, rate_limits="off")
    with Archive(settings, background=True) as archive:
        cyrillic = _add(archive, "cyrillic", Overrides(
            title="Война и мир", authors=("Лев Толстой", "Smith, John A."),
            publication="Русский вестник", date="1869-03-04", language="ru", tags=("роман",),
        ))  # fmt: skip
        undated = _add(archive, "undated", Overrides(title="A memo without a date", date=""))
        ambiguous = _add(archive, "ambiguous", Overrides(
            title="An ambiguous day", authors=("Ann Author",), date="03/11/2023",
        ))  # fmt: skip
        confirmed = _add(archive, "confirmed", Overrides(
            title="A confirmed day", authors=("Ann Author",), date="04/11/2023",
        ))  # fmt: skip
        # the archivist confirms the reading she means, as an ISO date
        archive.update(confirmed, Overrides(date="2023-11-04"), actor="archivist")
        hostile = _add(archive, "hostile", Overrides(
            title=f"Title {HOSTILE}", authors=(HOSTILE, "Plain Author"), publication=HOSTILE,
            tags=(HOSTILE, "plain"), date="2022-05-06", language="en",
        ))  # fmt: skip
        draft = _add(archive, "draft", Overrides(title="A draft"), publish=False)
        trashed = _add(archive, "trashed", Overrides(title="A trashed memo"))
        archive.trash(trashed, actor="archivist")
        archive.wait_searchable(30)
        with serving(create_app(archive)) as url:
            yield Site(
                url, archive, cyrillic, undated, ambiguous, confirmed, hostile, draft, trashed
            )


@pytest.fixture
def reader(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=60) as client:
        yield client


def get(reader: httpx.Client, doc_id: int, ext: str, media_type: str) -> str:
    r = reader.get(f"/documents/{doc_id}/cite.{ext}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == f"{media_type}; charset=utf-8"
    disposition = r.headers["content-disposition"]
    assert re.fullmatch(r'inline; filename="[a-z0-9_]+\.' + ext + '"', disposition)
    return r.text


def bibtex_entry(reader: httpx.Client, doc_id: int) -> dict[str, str]:
    library = bibtexparser.parse_string(get(reader, doc_id, "bib", "application/x-bibtex"))
    assert not library.failed_blocks
    [entry] = library.entries
    assert entry.key.isascii() and str(doc_id) in entry.key
    return {"ENTRYTYPE": entry.entry_type, **{k: f.value for k, f in entry.fields_dict.items()}}


def unbibtex(value: str) -> str:
    for escaped, char in BIBTEX_ESCAPES.items():
        value = value.replace(escaped, char)
    return value


def ris_record(reader: httpx.Client, doc_id: int) -> dict:
    text = get(reader, doc_id, "ris", "application/x-research-info-systems")
    [record] = rispy.loads(text)
    return record


def csl_record(reader: httpx.Client, doc_id: int) -> dict:
    text = get(reader, doc_id, "json", "application/vnd.citationstyles.csl+json")
    [item] = json.loads(text)
    assert item["type"] and item["title"] and item["id"]
    return item


def test_a_cyrillic_author_in_all_three(reader: httpx.Client, site: Site) -> None:
    bib = bibtex_entry(reader, site.cyrillic)
    assert bib["ENTRYTYPE"] == "article"
    assert bib["title"] == "Война и мир" and bib["journal"] == "Русский вестник"
    assert bib["author"] == "{Толстой}, {Лев} and {Smith}, {John A.}"
    assert (bib["year"], bib["month"], bib["date"]) == ("1869", "mar", "1869-03-04")
    assert bib["url"] == f"{site.url}/documents/{site.cyrillic}"
    ris = ris_record(reader, site.cyrillic)
    assert ris["type_of_reference"] == "NEWS"
    assert ris["authors"] == ["Толстой, Лев", "Smith, John A."]
    assert ris["title"] == "Война и мир" and ris["secondary_title"] == "Русский вестник"
    assert (ris["year"], ris["date"]) == ("1869", "1869/03/04/")
    assert ris["keywords"] == ["роман"] and ris["language"] == "ru"
    csl = csl_record(reader, site.cyrillic)
    assert csl["type"] == "article-newspaper"
    assert csl["author"] == [
        {"family": "Толстой", "given": "Лев"},
        {"family": "Smith", "given": "John A."},
    ]
    assert csl["issued"] == {"date-parts": [[1869, 3, 4]]}


def test_no_date_cites_no_date(reader: httpx.Client, site: Site) -> None:
    bib = bibtex_entry(reader, site.undated)
    assert bib["ENTRYTYPE"] == "misc" and "year" not in bib and "date" not in bib
    assert bib["howpublished"] == r"\url{" + f"{site.url}/documents/{site.undated}" + "}"
    ris = ris_record(reader, site.undated)
    assert ris["type_of_reference"] == "ELEC" and "year" not in ris and "date" not in ris
    csl = csl_record(reader, site.undated)
    assert "issued" not in csl and "author" not in csl
    page = reader.get(f"/documents/{site.undated}").text
    assert "(n.d.)" in page and "citation_date" not in page


def test_an_unconfirmed_ambiguous_date_cites_the_year(reader: httpx.Client, site: Site) -> None:
    meta = site.archive.document(site.ambiguous).metadata
    assert meta.date_ambiguous and meta.date == "2023-11-03"
    bib = bibtex_entry(reader, site.ambiguous)
    assert (bib["year"], bib["date"]) == ("2023", "2023") and "month" not in bib
    ris = ris_record(reader, site.ambiguous)
    assert (ris["year"], ris["date"]) == ("2023", "2023///")
    assert csl_record(reader, site.ambiguous)["issued"] == {"date-parts": [[2023]]}
    page = reader.get(f"/documents/{site.ambiguous}").text
    assert '<meta name="citation_publication_date" content="2023">' in page
    assert "Author, A. (2023). An ambiguous day." in page


def test_a_confirmed_date_cites_in_full(reader: httpx.Client, site: Site) -> None:
    assert not site.archive.document(site.confirmed).metadata.date_ambiguous
    bib = bibtex_entry(reader, site.confirmed)
    assert (bib["year"], bib["month"], bib["date"]) == ("2023", "nov", "2023-11-04")
    assert ris_record(reader, site.confirmed)["date"] == "2023/11/04/"
    assert csl_record(reader, site.confirmed)["issued"] == {"date-parts": [[2023, 11, 4]]}
    page = reader.get(f"/documents/{site.confirmed}").text
    assert "Author, A. (2023, November 4). A confirmed day." in page
    assert "Author, Ann. \u201cA confirmed day.\u201d November 4, 2023." in page


def test_hostile_text_gives_valid_records(reader: httpx.Client, site: Site) -> None:
    bib = bibtex_entry(reader, site.hostile)
    assert set(bib) >= {"ENTRYTYPE", "title", "author", "journal", "year", "keywords"}
    assert unbibtex(bib["title"]) == f"Title {FOLDED}".replace("\x01", "")
    assert unbibtex(bib["journal"]) == FOLDED
    # the hostile name stays one author (its family name is its last word), braces balanced
    authors = bibtexparser.parse_string(
        get(reader, site.hostile, "bib", "application/x-bibtex"),
        append_middleware=[bibtexparser.middlewares.SeparateCoAuthors()],
    ).entries[0]["author"]
    assert len(authors) == 2 and authors[1] == "{Author}, {Plain}"
    ris = ris_record(reader, site.hostile)
    assert ris["title"] == f"Title {FOLDED}" and ris["secondary_title"] == FOLDED
    assert ris["authors"] == [f"x, {FOLDED[: -len(' x')]}", "Author, Plain"]
    assert ris["keywords"] == [FOLDED, "plain"]
    assert set(ris) <= {
        "type_of_reference", "id", "authors", "title", "secondary_title", "year", "date",
        "urls", "language", "keywords",
    }  # fmt: skip
    csl = csl_record(reader, site.hostile)
    assert csl["title"] == f"Title {FOLDED}" and csl["container-title"] == FOLDED
    assert csl["keyword"] == f"{FOLDED}, plain"
    for text in (
        get(reader, site.hostile, "bib", "application/x-bibtex"),
        get(reader, site.hostile, "ris", "application/x-research-info-systems"),
        get(reader, site.hostile, "json", "application/vnd.citationstyles.csl+json"),
    ):
        assert "\x01" not in text and "\u202e" in text


class Head(HTMLParser):
    """The page's meta tags and JSON-LD scripts, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: list[tuple[str, str]] = []
        self.scripts: list[str] = []
        self._in_json = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta" and (a.get("name") or "").startswith("citation_"):
            self.meta.append((a["name"] or "", a.get("content") or ""))
        self._in_json = tag == "script" and a.get("type") == "application/ld+json"
        if self._in_json:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_json = False

    def handle_data(self, data: str) -> None:
        if self._in_json:
            self.scripts[-1] += data


def head_of(reader: httpx.Client, doc_id: int) -> tuple[str, Head]:
    r = reader.get(f"/documents/{doc_id}")
    assert r.status_code == 200
    head = Head()
    head.feed(r.text)
    return r.text, head


def test_the_page_has_highwire_tags_and_json_ld(reader: httpx.Client, site: Site) -> None:
    _, head = head_of(reader, site.cyrillic)
    assert ("citation_title", "Война и мир") in head.meta
    assert [c for n, c in head.meta if n == "citation_author"] == ["Толстой, Лев", "Smith, John A."]
    assert ("citation_publication_date", "1869/03/04") in head.meta
    assert ("citation_date", "1869/03/04") in head.meta
    assert ("citation_journal_title", "Русский вестник") in head.meta
    [script] = head.scripts
    data = json.loads(script)
    assert data["@context"] == "https://schema.org" and data["@type"] == "NewsArticle"
    assert data["headline"] == "Война и мир" and data["datePublished"] == "1869-03-04"
    assert [a["name"] for a in data["author"]] == ["Лев Толстой", "John A. Smith"]
    _, head = head_of(reader, site.undated)
    assert json.loads(head.scripts[0])["@type"] == "Report"


def test_the_cite_box_shows_two_styles_and_the_records(reader: httpx.Client, site: Site) -> None:
    page, _ = head_of(reader, site.cyrillic)
    assert 'class="cite"' in page
    apa = "Толстой, Л., &amp; Smith, J. A. (1869, March 4). Война и мир. <i>Русский вестник</i>."
    assert apa in page
    chicago = "Толстой, Лев, and John A. Smith. \u201cВойна и мир.\u201d <i>Русский вестник</i>, "
    assert chicago + "March 4, 1869." in page
    assert "@article{" in page and "TY  - NEWS" in page
    for ext in ("bib", "ris", "json"):
        assert f'href="/documents/{site.cyrillic}/cite.{ext}"' in page


def test_hostile_text_injects_nothing_into_the_page(reader: httpx.Client, site: Site) -> None:
    page, head = head_of(reader, site.hostile)
    # one script element of JSON-LD, whole, and the data's </script> and <!-- never raw
    [script] = head.scripts
    data = json.loads(script)
    assert data["headline"] == f"Title {FOLDED}"
    assert [a["name"] for a in data["author"]] == [FOLDED, "Plain Author"]
    assert data["keywords"] == [FOLDED, "plain"]
    assert page.count("</script>") == page.count("<script")
    assert "<!-- x" not in page  # the data's comment opener is escaped everywhere
    assert ("citation_title", f"Title {FOLDED}") in head.meta
    assert [c for n, c in head.meta if n == "citation_author"] == [
        f"x, {FOLDED[: -len(' x')]}",
        "Author, Plain",
    ]


def test_a_draft_or_trashed_document_cites_nothing(reader: httpx.Client, site: Site) -> None:
    for path in ("", "/cite.bib", "/cite.ris", "/cite.json"):
        assert reader.get(f"/documents/{site.draft}{path}").status_code == 404
        assert reader.get(f"/documents/{site.trashed}{path}").status_code == 404
    assert reader.get("/documents/999999/cite.bib").status_code == 404
    assert reader.get(f"/documents/{site.cyrillic}/cite.xml").status_code == 404


def test_a_pdf_original_is_named_by_citation_pdf_url(tmp_path: Path) -> None:
    """Zotero and Google Scholar fetch the PDF from citation_pdf_url: it must lead to the PDF."""
    pdf = Path(__file__).parent / "data" / "crs_IF12106v21-iran-and-nuclear-weapons-production.pdf"
    with Archive(Settings(root=tmp_path / "archive", rate_limits="off")) as archive:
        doc = archive.add(pdf.read_bytes(), pdf.name)
        text = archive.add(b"A plain text memo.\n", "memo.txt")
        with serving(create_app(archive)) as url, httpx.Client(base_url=url) as client:
            head = Head()
            head.feed(client.get(f"/documents/{doc.id}").text)
            [pdf_url] = [c for n, c in head.meta if n == "citation_pdf_url"]
            assert pdf_url == f"{url}/documents/{doc.id}/original"
            original = client.get(pdf_url)
            assert original.status_code == 200
            assert original.headers["content-type"] == "application/pdf"
            assert original.headers["content-disposition"].startswith("attachment;")
            assert original.content == pdf.read_bytes()
            plain = Head()
            plain.feed(client.get(f"/documents/{text.id}").text)
            assert "citation_pdf_url" not in dict(plain.meta)
            assert ("citation_public_url", f"{url}/documents/{text.id}") in plain.meta
