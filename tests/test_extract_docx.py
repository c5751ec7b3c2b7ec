"""DOCX extraction: documents written with python-docx, as Word writes them, read back into
headings, paragraphs, captions, table text and hints."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from archive.config import Settings
from archive.errors import InvalidUpload, UnsupportedFormat
from archive.ingest.extract import detect, extract
from archive.ingest.pipeline import prepare


def docx_bytes(document: docx.document.Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def report_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("Harvest Report 2023", style="Title")
    document.add_paragraph("The harvest came in two weeks late after a wet spring.")
    document.add_paragraph("   ")  # empty paragraphs are spacing, not blocks
    document.add_heading("Yields", level=1)
    document.add_paragraph("Wheat yields fell by a tenth; barley held steady.")
    document.add_paragraph("Figure 1: Yields by crop, 2019-2023", style="Caption")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).text = "Crop"
    table.cell(0, 1).text = "2022"
    table.cell(0, 2).text = "2023"
    table.cell(1, 0).text = "Wheat"
    merged = table.cell(1, 1).merge(table.cell(1, 2))  # one cell across two columns: read once
    merged.text = "down ten percent"
    inner = table.cell(0, 0).add_table(rows=1, cols=1)
    inner.cell(0, 0).text = "nested note"
    # A house style based on Heading 2 is a level-2 heading too.
    house = document.styles.add_style("Region Heading", WD_STYLE_TYPE.PARAGRAPH)
    house.base_style = document.styles["Heading 2"]
    document.add_paragraph("The North", style=house)
    document.add_heading("Outlook\nfor 2024", level=3)  # a soft line break inside a heading
    para = document.add_paragraph("Prices are expected to ")
    para.add_run("rise").bold = True
    para.add_run(" again.")
    props = document.core_properties
    props.title = "Harvest Report"
    props.author = "Marta Díaz; J. Smith"
    props.created = datetime(2023, 10, 2, 9, 30, tzinfo=UTC)
    props.keywords = "harvest, wheat; barley"
    props.language = "en-GB"
    return docx_bytes(document)


def test_blocks_headings_captions_and_tables() -> None:
    got = extract(report_docx(), "harvest.docx")
    assert got.format == "docx"
    assert [(b.kind, b.level, b.text) for b in got.blocks] == [
        ("heading", 1, "Harvest Report 2023"),
        ("paragraph", 0, "The harvest came in two weeks late after a wet spring."),
        ("heading", 1, "Yields"),
        ("paragraph", 0, "Wheat yields fell by a tenth; barley held steady."),
        ("caption", 0, "Figure 1: Yields by crop, 2019-2023"),
        ("paragraph", 0, "Crop"),
        ("paragraph", 0, "nested note"),
        ("paragraph", 0, "2022"),
        ("paragraph", 0, "2023"),
        ("paragraph", 0, "Wheat"),
        ("paragraph", 0, "down ten percent"),
        ("heading", 2, "The North"),
        ("heading", 3, "Outlook for 2024"),
        ("paragraph", 0, "Prices are expected to rise again."),
    ]


def test_hints_from_the_core_properties() -> None:
    hints = extract(report_docx(), "harvest.docx").hints
    assert hints.title == "Harvest Report"
    assert hints.authors == ("Marta Díaz", "J. Smith")
    assert hints.date == "2023-10-02"
    assert hints.tags == ("harvest", "wheat", "barley")
    assert hints.language == "en-GB"


def test_text_in_content_controls_and_tracked_insertions_is_kept() -> None:
    # Word writes these; python-docx's own Paragraph.text and iter_inner_content skip them.
    document = docx.Document()
    document.add_heading("Minutes", level=1)
    w = nsdecls("w")
    parts = [
        f"<w:sdt {w}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>Held in the town hall.</w:t></w:r>"
        "</w:p></w:sdtContent></w:sdt>",
        f"<w:sdt {w}><w:sdtPr><w:docPartObj><w:docPartGallery w:val='Table of Contents'/>"
        "</w:docPartObj></w:sdtPr><w:sdtContent><w:p><w:r><w:t>Minutes 1</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>",
        f"<w:p {w}><w:r><w:t xml:space='preserve'>The budget was </w:t></w:r>"
        "<w:ins w:id='1' w:author='Clerk'><w:r><w:t>approved</w:t></w:r></w:ins>"
        "<w:del w:id='2' w:author='Clerk'><w:r><w:delText>rejected</w:delText></w:r></w:del>"
        "<w:sdt><w:sdtContent><w:r><w:t xml:space='preserve'> on Monday.</w:t></w:r>"
        "</w:sdtContent></w:sdt></w:p>",
    ]
    section = document.element.body.find(qn("w:sectPr"))
    for xml in parts:
        section.addprevious(parse_xml(xml))
    got = extract(docx_bytes(document), "minutes.docx")
    assert [b.text for b in got.blocks] == [
        "Minutes",
        "Held in the town hall.",  # the table of contents is left out
        "The budget was approved on Monday.",  # the deletion is gone, the insertion kept
    ]


def test_python_docx_template_properties_are_not_suggested() -> None:
    document = docx.Document()  # python-docx's template says: by "python-docx", 2013-12-23
    document.add_paragraph("Just one paragraph of text.")
    hints = extract(docx_bytes(document), "plain.docx").hints
    assert (hints.title, hints.authors, hints.date) == (None, (), None)


def test_detected_by_content_and_prepared_for_the_catalog(tmp_path: Path) -> None:
    data = report_docx()
    assert detect(data, "harvest.bin") == "docx"
    prepared = prepare(data, "harvest.docx", Settings(root=tmp_path))
    assert prepared.row.format == "docx"
    assert prepared.row.metadata.title == "Harvest Report"
    assert prepared.row.metadata.date == "2023-10-02"
    assert prepared.row.metadata.language == "en"


def rezip(data: bytes, replace: dict[str, bytes], drop: tuple[str, ...] = ()) -> bytes:
    """The same package with some parts replaced, added or dropped."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            if item.filename not in drop and item.filename not in replace:
                dst.writestr(item, src.read(item))
        for name, body in replace.items():
            dst.writestr(name, body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def test_other_office_files_and_plain_zips_are_refused() -> None:
    workbook = rezip(
        report_docx(), {"xl/workbook.xml": b"<workbook/>"}, drop=("word/document.xml",)
    )
    with pytest.raises(InvalidUpload, match="damaged DOCX"):  # word/ parts but no document
        detect(workbook, "book.docx")
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("notes.txt", "hello")
    with pytest.raises(UnsupportedFormat, match="a ZIP archive") as caught:
        detect(plain.getvalue(), "notes.docx")
    assert caught.value.status == 415
    sheet = io.BytesIO()
    with zipfile.ZipFile(sheet, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(UnsupportedFormat, match="Excel"):
        detect(sheet.getvalue(), "sheet.docx")


def test_a_truncated_docx_cannot_be_read() -> None:
    data = report_docx()
    with pytest.raises(InvalidUpload, match="damaged or truncated DOCX") as caught:
        extract(data[: len(data) // 2], "cut.docx")
    assert caught.value.status == 422
