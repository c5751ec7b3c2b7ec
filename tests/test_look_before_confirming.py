"""Look before confirming (issue 14): the edit page shows the extracted text beside the form, a
PDF original is shown in the browser (inline, its detected type, sandboxed) while anything else
stays an attachment, and the drafts list tells drafts apart and flags those with little text.
The inline view in Chromium: tests/test_look_before_confirming_browser.py."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from archive import Archive
from archive.models import SHORT_TEXT_CHARS
from archive.web import create_app
from archive.web.auth import COOKIE
from tests.conftest import CRS_PDF
from tests.test_web_curation import PASSWORD, Archivist, settings  # noqa: F401 - a fixture

REPORT = (
    b"# Grain corridor report\n\n## Ports\n\nShips left Odesa with grain for the third week."
    b" The port authority counted forty departures and expects more next month.\n\n"
    b"## Insurance\n\nInsurers raised their rates after the strikes on the port, and shipowners"
    b" asked the government to share the risk of the voyages through the corridor.\n"
)


@pytest.fixture
def archivist(archive: Archive) -> Iterator[Archivist]:
    archive.add_user("ann", PASSWORD, "archivist")
    opened = archive.login("ann", PASSWORD)
    with TestClient(create_app(archive), follow_redirects=False) as client:
        client.cookies.set(COOKIE, opened.secret)
        yield Archivist(client, opened.session.csrf)


def upload(archivist: Archivist, name: str, data: bytes) -> int:
    response = archivist.post("/upload", {}, files={"file": (name, data)})
    assert response.status_code == 303, response.text
    return int(re.search(r"/documents/(\d+)/edit", response.headers["location"]).group(1))


def test_the_edit_page_shows_the_extracted_text_with_headings(archivist: Archivist) -> None:
    doc_id = upload(archivist, "grain.md", REPORT)
    page = archivist.client.get(f"/documents/{doc_id}/edit").text
    preview = page[page.index('<section class="text-preview"') :]
    preview = preview[: preview.index("</section>")]
    assert re.search(r'<h3 class="preview-heading level-2">Ports</h3>', preview)
    assert "Ships left Odesa with grain for the third week." in preview
    assert "Insurers raised their rates" in preview
    assert "short-text-flag" not in preview
    # it sits beside the form: after it, before the aside, in the same layout
    assert (
        page.index('class="metadata-form"')
        < page.index("text-preview")
        < page.index('class="edit-aside"')
    )


def test_the_preview_stops_after_the_first_pages_and_escapes(archivist: Archivist) -> None:
    paragraphs = [f"Paragraph {n} <b>not bold</b> of a long report on ports." for n in range(400)]
    doc_id = upload(archivist, "long.txt", "\n\n".join(paragraphs).encode())
    page = archivist.client.get(f"/documents/{doc_id}/edit").text
    assert "Paragraph 0 &lt;b&gt;not bold&lt;/b&gt;" in page and "<b>not bold</b>" not in page
    assert "Paragraph 399" not in page
    assert re.search(r"… and [\d,]+ more blocks \([\d,]+ characters in all\)", page)


def test_a_pdf_original_is_shown_inline_anything_else_is_an_attachment(
    archivist: Archivist, archive: Archive
) -> None:
    pdf_id = upload(archivist, "report.pdf", CRS_PDF.read_bytes())
    shown = archivist.client.get(f"/documents/{pdf_id}/original")  # a draft: archivists see it
    assert shown.status_code == 200 and shown.content == CRS_PDF.read_bytes()
    assert shown.headers["content-type"] == "application/pdf"
    assert shown.headers["content-disposition"].startswith('inline; filename="report.pdf"')
    assert shown.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert shown.headers["x-content-type-options"] == "nosniff"
    download = archivist.client.get(f"/documents/{pdf_id}/original?download")
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["content-type"] == "application/octet-stream"
    edit = archivist.client.get(f"/documents/{pdf_id}/edit").text
    assert f'href="/documents/{pdf_id}/original" target="_blank"' in edit
    assert "View the original" in edit

    # a file whose name says PDF but whose bytes are HTML is stored as HTML: an attachment
    html_id = upload(archivist, "trap.pdf", b"<html><body><p>Not a PDF at all.</p></body></html>")
    trap = archivist.client.get(f"/documents/{html_id}/original")
    assert trap.headers["content-disposition"].startswith("attachment;")
    assert trap.headers["content-type"] == "application/octet-stream"
    assert "View the original" not in archivist.client.get(f"/documents/{html_id}/edit").text

    # a reader cannot reach a draft's original
    with TestClient(create_app(archive)) as reader:
        assert reader.get(f"/documents/{pdf_id}/original").status_code == 404


def test_the_drafts_list_tells_drafts_apart_and_flags_little_text(
    archivist: Archivist, archive: Archive
) -> None:
    same = b"Grain corridor\n\n"
    first = upload(archivist, "grain-a.txt", same + b"Ships left Odesa. " * 30)
    second = upload(archivist, "grain-b.txt", same + b"Short.")
    drafts = {d.id: d for d in archive.drafts()}
    assert drafts[first].title == drafts[second].title == "Grain corridor"
    assert (drafts[second].uploader, drafts[second].format) == ("ann", "txt")
    assert drafts[second].text_chars == len("Grain corridor") + len("Short.")
    assert drafts[second].short_text and not drafts[first].short_text
    assert drafts[first].text_chars >= SHORT_TEXT_CHARS

    page = archivist.client.get("/drafts").text
    rows = {
        int(m.group(1)): m.group(0)
        for m in re.finditer(r'<tr data-draft="(\d+)".*?</tr>', page, re.DOTALL)
    }
    for doc_id, name in ((first, "grain-a.txt"), (second, "grain-b.txt")):
        assert name in rows[doc_id] and "TXT" in rows[doc_id] and ">ann<" in rows[doc_id]
        assert re.search(r"\d+ bytes|KB", rows[doc_id])
    assert 'class="short-text"' in rows[second] and "very short" in rows[second]
    assert "short-text" not in rows[first]
    assert drafts[first].pages is None  # text has no pages

    pdf = upload(archivist, "report.pdf", CRS_PDF.read_bytes())
    assert next(d for d in archive.drafts() if d.id == pdf).pages == 3  # the CRS report's
    row = re.search(rf'<tr data-draft="{pdf}".*?</tr>', archivist.client.get("/drafts").text, re.S)
    assert row and '<td class="num">3</td>' in row.group(0) and "PDF" in row.group(0)
