"""PDF: the text layer, read with pypdf, laid out as headings, paragraphs and captions.

pypdf reports each piece of text with its position and font; that is enough to rebuild the
layout a reader sees:
- a line's baseline, size and weight come from its longest piece;
- a gap between baselines wider than PARAGRAPH_GAP font sizes ends a paragraph; hard-wrapped
  lines inside one are joined; a jump up the page (the next column, the next page) continues
  the paragraph unless the line before it ended a sentence;
- a run of one to three lines set larger than the body text, or in bold, is a heading, its level
  ranked by size; "Figure 1."/"Table 2"/"Source:" lines are captions;
- lines in the top or bottom band of the page that repeat on half the pages or more (running
  headers and footers), and bare page numbers there, are dropped.
Hints come from the document information dictionary when plausible (see properties.py).

A page without a text layer that paints images (a scan) is read by OCR (ocr.py) and its
paragraphs take the page's place among the others.

This runs inside the sandbox only (archive.extract.sandbox): pypdf has its own limits, but a
hostile file must not be able to take the server's memory or time should one of them miss.
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, LimitReachedError, PyPdfError

from archive.errors import InvalidUpload
from archive.ingest.dates import parse_date
from archive.ingest.extract import properties
from archive.ingest.extract.ocr import OcrOptions, PageReader, check_size
from archive.models import Block, Extracted, Hints

PARAGRAPH_GAP = 1.6  # baselines of one paragraph sit ~1.2 font sizes apart, paragraphs ~2.2
HEADING_SCALE = 1.15  # this much larger than the body text reads as a heading
HEADING_MAX_LINES = 3
HEADING_MAX_CHARS = 200
BAND = 0.1  # the top and bottom tenth of a page hold running headers and footers
# A page with fewer letters and digits in its text layer than this, that paints images, is a scan
SCAN_TEXT_CHARS = 20
EOF_WINDOW = 2048  # %%EOF must be this close to the end (Acrobat looks in the last 1024 bytes)

_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_CAPTION = re.compile(
    r"^(?:figure|fig\.|table|chart|map|exhibit|photo|graph|sources?|notes?)\s*[\d.:]", re.I
)
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?#(?:\s*(?:of|/)\s*#)?$|^[-–]\s*#\s*[-–]$|^[ivxlc]+$", re.I)
_DATELINE = re.compile(
    r"^(?:last\s+)?(?:updated|published|issued|posted|released|dated?)\s*:?\s+(.+)$", re.I
)
_SENTENCE_END = re.compile(r"[.!?:;…][\"'”’)\]]*$")
# "…the same time period." ends a sentence; "Inc." or "U.S." may end a heading.
_PROSE_END = re.compile(r"(?:^|\s)[a-z][\w’'-]{3,}[.,;:]$")
_BULLET = re.compile(r"^[•◦▪▫●○■□‣∙·*–-]\s")
_BREAKING_DASH = ("-", "‐", "—", "\xad")


@dataclass
class _Line:
    page: int
    text: str
    y: float
    size: float
    bold: bool
    in_band: bool


@dataclass
class _Page:
    """Collects one page's lines from pypdf's text visitor."""

    number: int
    bottom: float
    top: float
    lines: list[_Line] = field(default_factory=list)
    pieces: list[tuple[str, float, float, bool]] = field(default_factory=list)

    def visit(
        self, text: str, cm: Sequence[float], tm: Sequence[float], font: Any, size: Any
    ) -> None:
        # The text matrix times the current transformation: where and how large the text sits.
        scale = math.hypot(tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3])
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        name = str(font.get("/BaseFont", "")) if hasattr(font, "get") else ""
        height = float(size or 0) * (scale or 1.0)
        for i, piece in enumerate(text.split("\n")):
            if i:
                self.end_line()
            if piece:
                self.pieces.append((piece, y, height, bool(_BOLD_FONT.search(name))))

    def end_line(self) -> None:
        text = " ".join("".join(p[0] for p in self.pieces).split())
        if any(ch.isalnum() for ch in text):
            weights: Counter[tuple[float, float, bool]] = Counter()
            for piece, y, size, bold in self.pieces:
                weights[(y, size, bold)] += len(piece.strip())
            y, size, _ = weights.most_common(1)[0][0]
            bold_chars = sum(n for (_, _, b), n in weights.items() if b)
            band = (self.top - self.bottom) * BAND
            in_band = y > self.top - band or y < self.bottom + band
            line = _Line(self.number, text, y, size, 2 * bold_chars > len(text), in_band)
            self.lines.append(line)
        self.pieces = []


def extract(data: bytes, ocr: dict[str, Any] | None = None) -> Extracted:
    """The text layer; a page without one that paints images (a scan) is read by OCR
    (ocr.py, with `ocr`'s options), or recorded as needing it where Tesseract is absent."""
    # Warnings about malformed files are expected from uploads; the verdict is the exception.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    if b"%%EOF" not in data[-EOF_WINDOW:]:
        raise InvalidUpload("the PDF is truncated or damaged (it does not end with %%EOF)")
    scans = PageReader(OcrOptions(**(ocr or {})))
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        _decrypt(reader)
        lines = _read_lines(reader)
        scanned = _read_scans(reader, _with_text(lines), scans)
        info = reader.metadata or {}
        language = reader.root_object.get("/Lang")
    except LimitReachedError as exc:  # pypdf's own guard against bombs and cycles
        raise InvalidUpload(f"could not be read: it goes past a safety limit ({exc})") from None
    except PyPdfError as exc:
        raise InvalidUpload(f"a damaged PDF ({type(exc).__name__}: {exc})") from None
    record = scans.record()
    if not lines and record is None:
        raise InvalidUpload("no text layer, and no scanned page to read by OCR")
    pages = len({line.page for line in lines})
    blocks = _in_page_order(_drop_running(lines, pages), scanned)
    if not blocks and record is not None and not record.needed:
        raise scans.nothing_read(f"its {len(scanned)} scanned pages (it has no text layer)")
    hints = Hints(
        title=_title(info, blocks),
        authors=properties.people(_field(info, "/Author")),
        date=_stated_date(blocks) or properties.iso_date(_field(info, "/CreationDate")),
        language=properties.text(_resolve(language), 35),
        tags=properties.tags(_field(info, "/Subject"), _field(info, "/Keywords")),
    )
    return Extracted("pdf", tuple(blocks), hints, pages=len(reader.pages), ocr=record)


def _with_text(lines: list[_Line]) -> set[int]:
    """The pages whose text layer holds text: SCAN_TEXT_CHARS letters and digits or more (a
    scan may carry a stamped page number or a few characters a scanner's OCR made up)."""
    chars: Counter[int] = Counter()
    for line in lines:
        chars[line.page] += sum(ch.isalnum() for ch in line.text)
    return {page for page, n in chars.items() if n >= SCAN_TEXT_CHARS}


def _read_scans(
    reader: PdfReader, with_text: set[int], scans: PageReader
) -> dict[int, list[Block]]:
    """Each page with (next to) no text layer that paints images, read by OCR: {page index:
    blocks}.

    The page's images are taken as they are stored (a scanner stores a page as one image), not
    rendered: pypdf decodes them with Pillow and the archive needs no renderer (poppler) beside
    it. A page whose text is drawn as outlines, without images, is not read."""
    scanned: dict[int, list[Block]] = {}
    for index, page in enumerate(reader.pages):
        if index in with_text or not _image_names(page):
            continue
        scanned[index] = []
        if scans.wanted(index + 1):
            width = float(page.mediabox.width) or 612.0
            scanned[index] = scans.read(index + 1, _page_images(page, index + 1, width))
    return scanned


def _image_names(page: Any) -> list[Any]:
    try:
        return list(page.images.keys())
    except (KeyError, AttributeError, TypeError):
        return []


def _page_images(page: Any, number: int, width_pt: float) -> Iterator[tuple[Any, float | None]]:
    """A page's images, one decoded at a time, each with its resolution on the page (pixels
    across / inches across, for the full-page image a scan is), refused before decoding when
    it declares more pixels than ocr.MAX_PIXELS."""
    resources = _resolve(page.get("/Resources")) or {}
    xobjects = _resolve(resources.get("/XObject")) if hasattr(resources, "get") else None
    for name in _image_names(page):
        if isinstance(name, str) and xobjects is not None and name in xobjects:
            declared = _resolve(xobjects[name])
            w, h = int(declared.get("/Width", 0) or 0), int(declared.get("/Height", 0) or 0)
            check_size(w, h, what=f"an image on page {number}")
        try:
            image = page.images[name].image
        except (KeyError, ValueError, OSError, NotImplementedError) as exc:
            raise InvalidUpload(f"an image on page {number} cannot be decoded ({exc})") from None
        if image is None:
            continue
        check_size(*image.size, what=f"an image on page {number}")
        yield image, image.size[0] / (width_pt / 72)


def _in_page_order(lines: list[_Line], scanned: dict[int, list[Block]]) -> list[Block]:
    """The text layer's blocks with each scanned page's OCR blocks in its place (after what
    little text its own layer has: a title over a picture is kept)."""
    if not scanned:
        return _blocks(lines)
    blocks: list[Block] = []
    run: list[_Line] = []
    by_page: defaultdict[int, list[_Line]] = defaultdict(list)
    for line in lines:
        by_page[line.page].append(line)
    for index in sorted({*by_page, *scanned}):
        if index in scanned:
            blocks += _blocks(run + by_page[index]) + scanned[index]
            run = []
        else:
            run += by_page[index]
    return blocks + _blocks(run)


def _decrypt(reader: PdfReader) -> None:
    """Many PDFs are encrypted with an empty user password (only printing or copying is
    restricted); those open. Anything that needs a password is refused."""
    if not reader.is_encrypted:
        return
    try:
        opened = reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except (DependencyError, NotImplementedError):
        opened = False  # an encryption we cannot undo without extra libraries
    if not opened:
        raise InvalidUpload("the PDF is encrypted (password-protected); upload an unlocked copy")


def _read_lines(reader: PdfReader) -> list[_Line]:
    lines: list[_Line] = []
    for number, page in enumerate(reader.pages):
        box = page.mediabox
        collector = _Page(number, float(box.bottom), float(box.top))
        # Decoded here first, where errors surface: extract_text() swallows them (a stream bomb
        # would pass for a page without text). The decoded streams are cached for it.
        page.get_contents()
        page.extract_text(visitor_text=collector.visit)
        collector.end_line()
        lines.extend(collector.lines)
    return lines


def _resolve(value: Any) -> Any:
    return value.get_object() if hasattr(value, "get_object") else value


def _field(info: Any, key: str) -> str | None:
    value = _resolve(info.get(key))
    return str(value) if isinstance(value, str) else None


def _drop_running(lines: list[_Line], pages: int) -> list[_Line]:
    """Without running headers, footers and page numbers: text at the top or bottom of the page
    that repeats (digits aside, so "Page 3" matches "Page 4") on half the pages or more."""

    def key(line: _Line) -> str:
        return re.sub(r"\d+", "#", line.text.lower())

    seen: defaultdict[str, set[int]] = defaultdict(set)
    for line in lines:
        if line.in_band:
            seen[key(line)].add(line.page)
    enough = max(2, math.ceil(pages / 2))

    def running(line: _Line) -> bool:
        return line.in_band and (
            len(seen[key(line)]) >= enough or bool(_PAGE_NUMBER.match(key(line)))
        )

    return [line for line in lines if not running(line)]


def _body_size(lines: list[_Line]) -> tuple[float, bool]:
    """The size most of the text is set in, and whether bold can mark a heading (it cannot when
    most of the text is bold)."""
    sizes: Counter[float] = Counter()
    bold = 0
    for line in lines:
        sizes[round(line.size * 2) / 2] += len(line.text)
        bold += len(line.text) if line.bold else 0
    total = sum(sizes.values())
    return sizes.most_common(1)[0][0], 2 * bold < total


def _blocks(lines: list[_Line]) -> list[Block]:
    if not lines:
        return []
    body, bold_counts = _body_size(lines)

    def prominent(line: _Line) -> bool:
        return line.size >= body * HEADING_SCALE or (
            bold_counts and line.bold and line.size >= body * 0.85
        )

    groups: list[list[_Line]] = [[lines[0]]]
    for prev, line in zip(lines, lines[1:], strict=False):
        if _breaks(prev, line, prominent(prev) != prominent(line)):
            groups.append([line])
        else:
            groups[-1].append(line)
    kinds = [_kind(group, prominent(group[0])) for group in groups]
    # Heading levels rank the sizes headings are set in: the largest is 1.
    sizes = sorted(
        {round(g[0].size * 2) / 2 for g, k in zip(groups, kinds, strict=True) if k == "heading"}
    )
    rank = {size: min(6, i + 1) for i, size in enumerate(reversed(sizes))}
    blocks = []
    for group, kind in zip(groups, kinds, strict=True):
        level = rank[round(group[0].size * 2) / 2] if kind == "heading" else 0
        blocks.append(Block(kind, _join(group), level))
    return blocks


def _breaks(prev: _Line, line: _Line, style_changed: bool) -> bool:
    if style_changed or abs(line.size - prev.size) > 0.1 * max(line.size, prev.size):
        return True
    if _BULLET.match(line.text):  # each list item is a block of its own
        return True
    drop = prev.y - line.y
    if line.page == prev.page and drop > -0.5 * line.size:  # same line or further down the page
        return drop > PARAGRAPH_GAP * max(line.size, prev.size)
    # Up the page or onto the next: a new column. A sentence cut there continues.
    return bool(_SENTENCE_END.search(prev.text))


def _kind(group: list[_Line], prominent: bool) -> str:
    text = group[0].text
    if _CAPTION.match(text):
        return "caption"
    joined = _join(group)
    if (
        prominent
        and len(group) <= HEADING_MAX_LINES
        and len(joined) <= HEADING_MAX_CHARS
        and not _PROSE_END.search(joined)
        and not _BULLET.match(joined)
        and not _dateline(joined)  # "Updated April 16, 2026" set in bold is not a section
    ):
        return "heading"
    return "paragraph"


def _join(group: list[_Line]) -> str:
    """Hard-wrapped lines as one paragraph. A line broken after a dash joins without a space
    ("U.S.-" + "Mexico"); the dash stays, as it may be part of the word."""
    text = ""
    for line in group:
        if not text:
            text = line.text
        elif text.endswith(_BREAKING_DASH) and not text[-2:-1].isspace():
            text = text.removesuffix("\xad") + line.text
        else:
            text = f"{text} {line.text}"
    return text


def _dateline(text: str) -> str | None:
    """The date in a dateline ("Updated April 16, 2026", "April 10, 2026"), else None."""
    if len(text) > 80:
        return None
    match = _DATELINE.match(text)
    candidate = match[1] if match else text
    return candidate if parse_date(candidate)[0] else None


def _stated_date(blocks: list[Block]) -> str | None:
    """A date the first blocks state: it beats /CreationDate, which is when the file was made,
    not when the text was published."""
    return next((d for d in map(_dateline, (b.text for b in blocks[:6])) if d), None)


def _title(info: Any, blocks: list[Block]) -> str | None:
    """/Title when plausible; else the level-1 heading among the first blocks (the largest type
    on the first page is the title: Word and LaTeX set it so)."""
    title = properties.text(_field(info, "/Title"))
    if title:
        return title
    return next((b.text for b in blocks[:8] if b.kind == "heading" and b.level == 1), None)
