"""PDF extraction: the CRS reports against their Markdown twins, and small PDFs written by hand
whose layout (headings, paragraphs, running headers, captions) and metadata we know exactly."""

from __future__ import annotations

import functools
import io
import re
import zlib
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from archive.config import Settings
from archive.errors import InvalidUpload
from archive.ingest.extract import detect, extract, md
from archive.ingest.pipeline import prepare
from archive.models import Extracted
from tests.conftest import CRS_PDF, SHARED_CORPORA

# The shipped report; with ../shared beside the repository, its six other CRS reports too.
CRS = [CRS_PDF, *sorted(p for p in SHARED_CORPORA.glob("raw/crs_*.pdf") if p.name != CRS_PDF.name)]
# The Markdown twins were scraped from the web page around each report: this heading is the
# page's, not the report's.
WEB_CHROME_HEADINGS = {"CRS PRODUCT (LIBRARY OF CONGRESS)"}

Line = tuple[float, str, float, str]  # (baseline y, font "F1" regular | "F2" bold, size, text)


def pdf_escape(text: str) -> bytes:
    raw = text.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def text_stream(lines: list[Line], x: float = 72) -> bytes:
    ops = [b"BT"]
    for y, font, size, text in lines:
        ops.append(
            b"/%s %g Tf 1 0 0 1 %g %g Tm (%s) Tj" % (font.encode(), size, x, y, pdf_escape(text))
        )
    ops.append(b"ET")
    return b"\n".join(ops)


def build_pdf(
    streams: list[bytes],
    info: dict[str, str] | None = None,
    *,
    compress: bool = False,
    resources: bytes = b"",
    extra: list[bytes] | None = None,
) -> bytes:
    """A PDF with one page per content stream, Helvetica as /F1 and Helvetica-Bold as /F2, and a
    correct cross-reference table. `extra` objects are appended after the pages' objects."""
    objects: list[bytes] = [b"", b""]  # 1 catalog, 2 page tree: filled in below
    fonts = b"/Font << /F1 3 0 R /F2 4 0 R >>"
    for base in (b"Helvetica", b"Helvetica-Bold"):
        objects.append(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>" % base
        )
    kids = []
    for stream in streams:
        page_no = len(objects) + 1
        kids.append(b"%d 0 R" % page_no)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << %s %s >> >>" % (page_no + 1, fonts, resources)
        )
        body = zlib.compress(stream) if compress else stream
        flate = b" /Filter /FlateDecode" if compress else b""
        objects.append(b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(body), flate, body))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R /Lang (en-GB) >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    objects.extend(extra or [])
    trailer_extra = b""
    if info:
        entries = b" ".join(b"/%s (%s)" % (k.encode(), pdf_escape(v)) for k, v in info.items())
        objects.append(b"<< %s >>" % entries)
        trailer_extra = b" /Info %d 0 R" % len(objects)
    return serialize(objects, trailer_extra)


def serialize(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R%s >>\n" % (len(objects) + 1, trailer_extra))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def report_pdf() -> bytes:
    """Two pages: a running header and page numbers, a title, section headings, a caption, a
    word broken at a hyphen, and a paragraph that runs on from page 1 to page 2."""
    header: Line = (760, "F1", 9, "Quarterly Bulletin of the River Survey")
    page1 = [
        header,
        (700, "F2", 18, "The River Survey"),
        (670, "F1", 10, "The survey measured water levels along the north-"),
        (658, "F1", 10, "east bank of the river during the spring of 2024, when"),
        (646, "F1", 10, "the snow melted early and the floods came in March."),
        (610, "F2", 12, "Methods"),
        (590, "F1", 10, "Gauges were read twice a day by volunteers from"),
        (578, "F1", 10, "three villages."),
        (550, "F2", 9, "Figure 1. Water levels at the three gauges"),
        (520, "F1", 10, "The readings were checked against the satellite record, which"),
        (30, "F1", 9, "1"),
    ]
    page2 = [
        header,
        (700, "F1", 10, "agreed within a few centimetres on most days."),
        (664, "F2", 12, "Results"),
        (644, "F1", 10, "The peak came on the 14th of March, two weeks early."),
        (30, "F1", 9, "Page 2"),
    ]
    info = {
        "Title": "The River Survey",
        "Author": "Ana Lima; Bo Chen",
        "CreationDate": "D:20240305120000+01'00'",
        "Subject": "Hydrology",
        "Keywords": "rivers, floods; Cover Date: March 2024",
    }
    return build_pdf([text_stream(page1), text_stream(page2)], info, compress=True)


@functools.cache
def crs(path: Path) -> Extracted:
    return extract(path.read_bytes(), path.name)


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


# -- the CRS reports against their Markdown twins -------------------------------------------------


@pytest.mark.parametrize("path", CRS, ids=lambda p: p.name[:16])
def test_crs_pdf_agrees_with_its_markdown_twin(path: Path) -> None:
    got = crs(path)
    twin = md.extract(path.with_suffix(".md").read_text(encoding="utf-8"))
    assert got.format == "pdf"
    pdf_words, md_words = words(got.text), words(twin.text)
    # Both ways: nothing of the report is lost, and nothing much is added (the Markdown carries
    # a little web-page chrome; the PDF a disclaimer and footers).
    assert len(md_words & pdf_words) / len(md_words) >= 0.90
    assert len(md_words & pdf_words) / len(pdf_words) >= 0.90
    # Every section heading of the report is a heading block in the PDF too.
    pdf_headings = {" ".join(words_in_order(b.text)) for b in got.blocks if b.kind == "heading"}
    md_headings = [b.text for b in twin.blocks if b.kind == "heading"]
    for heading in md_headings:
        if heading not in WEB_CHROME_HEADINGS:
            assert " ".join(words_in_order(heading)) in pdf_headings, heading
    # The title is the largest type on page 1, and paragraphs are whole: no line is a block.
    assert got.hints.title == md_headings[0]
    paragraphs = [b for b in got.blocks if b.kind == "paragraph"]
    assert sum(len(b.text) > 300 for b in paragraphs) >= 8
    # Running footers ("Congressional Research Service 2") are gone.
    assert not any(re.fullmatch(r"Congressional Research Service \d+", b.text) for b in got.blocks)


def words_in_order(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def test_crs_dates_and_metadata() -> None:
    hints = crs(CRS_PDF).hints  # IF12106, "Iran and Nuclear Weapons Production"
    assert hints.title == "Iran and Nuclear Weapons Production"
    assert hints.authors == ("Paul K. Kerr",)
    assert hints.tags == ("CRS Insights",)  # "/Keywords (Cover Date: April 9, 2026)" is no tag
    assert hints.language == "en-US"
    # "Updated April 9, 2026" on page 1 beats /CreationDate (2026-04-13, when the file was made).
    assert hints.date is not None and "2026" in hints.date and "9" in hints.date


# -- a hand-made report ---------------------------------------------------------------------------


def test_blocks_headings_captions_and_running_headers() -> None:
    got = extract(report_pdf(), "survey.pdf")
    assert [(b.kind, b.level, b.text) for b in got.blocks] == [
        ("heading", 1, "The River Survey"),
        (
            "paragraph",
            0,
            "The survey measured water levels along the north-east bank of the river during "
            "the spring of 2024, when the snow melted early and the floods came in March.",
        ),
        ("heading", 2, "Methods"),
        ("paragraph", 0, "Gauges were read twice a day by volunteers from three villages."),
        ("caption", 0, "Figure 1. Water levels at the three gauges"),
        (
            "paragraph",
            0,
            "The readings were checked against the satellite record, which agreed within a "
            "few centimetres on most days.",
        ),
        ("heading", 2, "Results"),
        ("paragraph", 0, "The peak came on the 14th of March, two weeks early."),
    ]


def test_hints_from_the_document_information() -> None:
    hints = extract(report_pdf(), "survey.pdf").hints
    assert hints.title == "The River Survey"
    assert hints.authors == ("Ana Lima", "Bo Chen")
    assert hints.date == "2024-03-05"
    assert hints.language == "en-GB"
    assert hints.tags == ("Hydrology", "rivers", "floods")


def test_implausible_metadata_is_not_suggested() -> None:
    page = text_stream([(700, "F1", 10, "A short note without a heading.")])
    info = {
        "Title": "Microsoft Word - draft3.doc",
        "Author": "Administrator",
        "CreationDate": "D:1601",
    }
    hints = extract(build_pdf([page], info), "note.pdf").hints
    assert (hints.title, hints.authors, hints.date) == (None, (), None)


def test_detected_by_content_and_prepared_for_the_catalog(tmp_path: Path) -> None:
    data = report_pdf()
    assert detect(data, "survey.txt") == "pdf"
    prepared = prepare(data, "survey.pdf", Settings(root=tmp_path))
    assert prepared.row.format == "pdf"
    assert prepared.row.metadata.title == "The River Survey"
    assert prepared.row.metadata.date == "2024-03-05"
    assert prepared.row.metadata.authors == ("Ana Lima", "Bo Chen")
    assert prepared.row.blocks[0].text == "The River Survey"


# -- PDFs that cannot be read ---------------------------------------------------------------------


def scanned_pdf() -> bytes:
    """A page that only paints an image: what a scanner without OCR produces."""
    image = b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray "
    image += b"/BitsPerComponent 8 /Length 4 >>\nstream\n\x00\xff\xff\x00\nendstream"
    return build_pdf(
        [b"q 500 0 0 700 50 50 cm /Im1 Do Q"], resources=b"/XObject << /Im1 7 0 R >>", extra=[image]
    )


def test_a_scan_in_which_ocr_finds_no_text_is_refused() -> None:
    """Its page is read by OCR (tests/test_ocr.py: scans with text), and a 2-pixel image holds
    none; without Tesseract it would be kept as needing OCR instead."""
    with pytest.raises(InvalidUpload, match="OCR found no text in its 1 scanned pages") as caught:
        extract(scanned_pdf(), "scan.pdf")
    assert caught.value.status == 422 and caught.value.message.startswith("scan.pdf: ")


def encrypted(data: bytes, user: str, owner: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user, owner_password=owner, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_password_protected_pdf_is_refused() -> None:
    with pytest.raises(InvalidUpload, match="encrypted") as caught:
        extract(encrypted(report_pdf(), "secret", "owner"), "locked.pdf")
    assert caught.value.status == 422


def test_a_pdf_encrypted_with_an_empty_password_opens() -> None:
    # Only printing or copying is restricted: anyone can read it, and so do we.
    got = extract(encrypted(report_pdf(), "", "owner"), "restricted.pdf")
    assert got.blocks[0].text == "The River Survey"
