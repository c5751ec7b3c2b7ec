"""DOCX: paragraphs, headings, captions and table text with python-docx, after the package is
checked for the usual ZIP and XML attacks.

Word's own styles say what a paragraph is: "Title" and "Heading N" (or a style based on one)
are headings, "Caption" is a caption, anything else a paragraph; table cells are paragraphs in
reading order. Core properties (title, author, created, keywords, language) become hints.

Before python-docx sees the file (detect.py has already refused macro-enabled documents):
- the ZIP directory must describe a sane package: a bounded number of members, a bounded total
  size once unpacked, and no member compressed so well that it can only be a bomb;
- no XML part may declare a DTD. python-docx's lxml parser already leaves entities unresolved
  and never touches the network, but refusing DTDs outright also covers the parts lxml reads
  with other settings and any future change of those defaults (billion laughs, XXE).
Like pdf.py this runs inside the sandbox, which bounds what the checks cannot foresee.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import docx
from docx.document import Document
from docx.oxml.ns import qn
from docx.styles.style import BaseStyle
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from archive.errors import InvalidUpload
from archive.ingest.extract import properties, unpack
from archive.ingest.extract.detect import declares_dtd
from archive.models import Block, Extracted, Hints

MAX_MEMBERS = 5000
MAX_UNPACKED = 256 * 1024 * 1024
# XML compresses 5-20:1, rarely 50:1; a part that claims more than 100:1 is made of repeats.
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024  # smaller parts are harmless whatever their ratio
MAX_TABLE_DEPTH = 20
_HEADING = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)
# A paragraph's runs, including those python-docx's Paragraph.text leaves out: inside tracked
# insertions, content controls, smart tags and simple fields. Not runs in text boxes: those sit
# deeper (and twice, as a drawing and as its fallback).
_RUNS = (
    "./w:r | ./w:hyperlink/w:r | ./w:ins/w:r | ./w:smartTag/w:r | ./w:fldSimple/w:r"
    " | ./w:sdt/w:sdtContent/w:r | ./w:sdt/w:sdtContent/w:hyperlink/w:r"
)
# The core properties python-docx's own template carries: a file made with it and never given
# its own would otherwise say it was written by "python-docx" on 2013-12-23.
_TEMPLATE_CREATED = datetime(2013, 12, 23, 23, 15, tzinfo=UTC)


def check_package(data: bytes) -> None:
    """Refuse ZIP bombs and XML with DTDs; InvalidUpload (422) says which."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InvalidUpload(f"a damaged DOCX: its ZIP structure cannot be read ({exc})") from None
    members = package.infolist()
    if len(members) > MAX_MEMBERS:
        raise InvalidUpload(
            f"a DOCX with {len(members):,} parts, over the limit of {MAX_MEMBERS:,}"
        )
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED:
        raise InvalidUpload(
            f"a DOCX that unpacks to {unpacked:,} bytes, over the limit of {MAX_UNPACKED:,} "
            "(a zip bomb?)"
        )
    for member in members:
        if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(
            member.compress_size, 1
        ):
            ratio = member.file_size // max(member.compress_size, 1)
            raise InvalidUpload(
                f"a DOCX whose part {member.filename!r} is compressed {ratio:,}:1 (a zip bomb?)"
            )
        if member.flag_bits & 0x1:
            raise InvalidUpload("a DOCX with encrypted parts (password-protected)")
    for member in members:
        # a chunk at a time, counted: zipfile's read() inflates a part whole, whatever it says
        try:
            part = unpack.read_member(package, member, f"part {member.filename!r}", MAX_UNPACKED)
        except InvalidUpload as exc:
            raise InvalidUpload(f"a damaged DOCX: {exc.message}") from None
        if declares_dtd(part):
            raise InvalidUpload(
                f"a DOCX whose part {member.filename!r} declares a DTD or entities; refused, as "
                "Word never writes them and they are how XML entity attacks work"
            )


def extract(data: bytes) -> Extracted:
    check_package(data)
    document = docx.Document(io.BytesIO(data))
    blocks = list(_blocks(document))
    return Extracted("docx", tuple(blocks), _hints(document))


def _blocks(document: Document) -> Iterator[Block]:
    for item in _body_items(document.element.body, document, 0):
        if isinstance(item, Paragraph):
            yield from _paragraph(item)
        else:
            yield from _table(item, 1)


def _body_items(container: Any, parent: Any, depth: int) -> Iterator[Paragraph | Table]:
    """Paragraphs and tables of a body or a cell in reading order, including those inside
    block-level content controls (python-docx's iter_inner_content skips them), except a table
    of contents. `parent` is what python-docx resolves styles through (document or cell)."""
    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, parent)
        elif child.tag == qn("w:tbl"):
            yield Table(child, parent)
        elif child.tag == qn("w:sdt") and depth < MAX_TABLE_DEPTH and not _is_toc(child):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _body_items(content, parent, depth + 1)


def _is_toc(sdt: Any) -> bool:
    gallery = sdt.find(f"{qn('w:sdtPr')}/{qn('w:docPartObj')}/{qn('w:docPartGallery')}")
    return gallery is not None and "contents" in (gallery.get(qn("w:val")) or "").lower()


def _paragraph(paragraph: Paragraph) -> Iterator[Block]:
    runs = paragraph._p.xpath(_RUNS)  # the <w:p> element; python-docx has no public name for it
    text = " ".join("".join(Run(run, paragraph).text for run in runs).split())
    if text:
        kind, level = _kind(paragraph.style)
        yield Block(kind, text, level)


def _table(table: Table, depth: int) -> Iterator[Block]:
    """Each cell's paragraphs (and nested tables), row by row. A merged cell is listed by
    python-docx once per grid column it spans; it is read once."""
    if depth > MAX_TABLE_DEPTH:
        raise InvalidUpload(f"tables nested more than {MAX_TABLE_DEPTH} deep")
    # The <w:tc> elements themselves, one per real cell. Not their id()s: lxml makes a new
    # Python proxy per access, so an id is reused as soon as the last proxy is freed.
    seen: set[object] = set()
    for row in table.rows:
        for cell in row.cells:
            if cell._tc in seen:
                continue
            seen.add(cell._tc)
            for item in _body_items(cell._tc, cell, 0):
                if isinstance(item, Paragraph):
                    for block in _paragraph(item):
                        # Headings inside table cells are layout, not document structure.
                        yield Block("paragraph", block.text) if block.kind == "heading" else block
                else:
                    yield from _table(item, depth + 1)


def _kind(style: BaseStyle | None) -> tuple[str, int]:
    """(kind, level) from the paragraph style or the styles it is based on."""
    for _ in range(10):  # a style chain is short; a cycle in a hostile file must not hang us
        if style is None:
            break
        name = (style.name or "").strip()
        if name.lower() == "title":
            return "heading", 1
        if heading := _HEADING.match(name):
            return "heading", min(6, int(heading[1]))
        if name.lower() == "caption":
            return "caption", 0
        style = style.base_style
    return "paragraph", 0


def _hints(document: Document) -> Hints:
    core = document.core_properties
    created = core.created
    if created is not None and created.replace(tzinfo=UTC) == _TEMPLATE_CREATED:
        created = None
    authors = properties.people(core.author)
    if authors == ("python-docx",):
        authors = ()
    return Hints(
        title=properties.text(core.title),
        authors=authors,
        date=properties.iso_date(created),
        language=properties.text(core.language, 35),
        tags=properties.tags(core.keywords),
    )
