"""OCR: scanned pages and images read by Tesseract, through pytesseract.

Why pytesseract (docs/ocr.md): it is a thin wrapper over the `tesseract` command, and the
archive needs only the text; ocrmypdf reads as well (the same Tesseract) but builds a new PDF
for it, 2-7 times slower a page. It runs here inside the extraction sandbox's child
(sandbox.py), and each `tesseract` it starts is a process of that child: it inherits the
child's address-space and CPU limits (Tesseract needs about 256 MiB of address space for six
languages at 300 dpi, under the sandbox's 1 GiB: docs/ocr.md) and is killed after the page's
time (OcrOptions.page_seconds).

The language: the archivist's choice when Tesseract knows it; else the first page is read with
all six of our languages at once, its language identified from that text, and the page read
again in that language alone, as are the next pages (a page found in another of ours is read
again in that one). Read with all six, a page mostly comes out right but loses a language's own
letters to another's (German umlauts as Spanish accents: docs/ocr.md).

Where Tesseract is absent (OcrOptions.tesseract empty), nothing is read: the pages are listed
as `needed`, and the upload is kept for `archive ocr` (core/ocr.py).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from archive.config import one_thread_for_ocr
from archive.errors import InvalidUpload
from archive.models import Block, OcrRecord

# ISO 639-1 -> Tesseract's language data (Debian's tesseract-ocr-eng, -ukr, … packages)
TESSERACT_LANGUAGES = {"en": "eng", "uk": "ukr", "ru": "rus", "es": "spa", "de": "deu", "fr": "fra"}
ALL_LANGUAGES = "+".join(TESSERACT_LANGUAGES.values())
# Pixels of one page image at most: A4 at 600 dpi is 35 million. A larger one is refused before
# it is decoded (a decompression bomb declares a huge size in a few bytes).
MAX_PIXELS = 60_000_000
# A resolution stated in a file is believed within these bounds (else Tesseract estimates it).
DPI_RANGE = (70, 1200)
_HYPHEN_BREAK = re.compile(r"(\w)-\n(?=[a-zа-яёіїєґ])", re.UNICODE)


@dataclass(frozen=True)
class OcrOptions:
    """How to OCR: crosses into the sandbox's child as a dict (asdict), so plain values only."""

    tesseract: str = ""  # the command's path; "": absent, the pages are marked as needing OCR
    language: str = ""  # the archivist's choice (ISO 639-1); "": detected
    page_seconds: float = 60.0
    max_pages: int = 50


def find_tesseract(command: str) -> str:
    """The path of the tesseract command (a name on PATH, or a path), "" when it is absent."""
    return shutil.which(command) or ""


def default_options() -> OcrOptions:
    """Tesseract from PATH, the language detected: for extract() called without settings."""
    return OcrOptions(tesseract=find_tesseract("tesseract"))


def check_size(width: int, height: int, what: str = "the image") -> None:
    if width * height > MAX_PIXELS:
        raise InvalidUpload(
            f"{what} is {width:,} × {height:,} pixels, over the limit of"
            f" {MAX_PIXELS // 1_000_000} million (a decompression bomb?)"
        )


def blocks_from_text(text: str) -> list[Block]:
    """Tesseract's text as paragraphs: blank lines part them, a line broken after a hyphen
    inside a word is joined, other lines of a paragraph are joined by a space."""
    text = _HYPHEN_BREAK.sub(r"\1", text.replace("\f", "\n\n"))
    blocks = []
    for part in re.split(r"\n\s*\n", text):
        joined = " ".join(part.split())
        if sum(ch.isalnum() for ch in joined) >= 2:  # specks read as "." or "|" are no text
            blocks.append(Block("paragraph", joined))
    return blocks


@dataclass
class PageReader:
    """Reads a document's scanned pages in order, and records what it did (OcrRecord)."""

    options: OcrOptions
    pages: list[int] = field(default_factory=list)
    needed: list[int] = field(default_factory=list)
    unread: list[int] = field(default_factory=list)
    slow: list[int] = field(default_factory=list)  # the unread pages that ran out of time
    language: str = ""  # the language the next page is read in ("": all of ours)
    languages: list[str] = field(default_factory=list)  # those pages were read in
    detected: bool = False
    engine: str = ""

    def __post_init__(self) -> None:
        chosen = TESSERACT_LANGUAGES.get(self.options.language.strip().lower(), "")
        self.language, self.detected = (chosen, False) if chosen else ("", True)

    def wanted(self, number: int) -> bool:
        """Whether page `number` (from 1) is to be read; if not, it is recorded as needed (no
        Tesseract) or unread (over the page limit)."""
        if not self.options.tesseract:
            self.needed.append(number)
            return False
        if len(self.pages) + len(self.unread) >= self.options.max_pages:
            self.unread.append(number)
            return False
        return True

    def read(self, number: int, images: Iterable[tuple[Any, float | None]]) -> list[Block]:
        """One page's text from its images (PIL images with their dpi, None if unknown)."""
        import pytesseract

        pytesseract.pytesseract.tesseract_cmd = self.options.tesseract
        one_thread_for_ocr()  # the sandbox already runs a child a core
        if not self.engine:
            self.engine = f"Tesseract {pytesseract.get_tesseract_version()}"
        texts = []
        for image, dpi in images:
            config = f"--dpi {round(dpi)}" if dpi and DPI_RANGE[0] <= dpi <= DPI_RANGE[1] else ""
            text = self._tesseract(number, _plain(image), self.language or ALL_LANGUAGES, config)
            if text is None:
                self.unread.append(number)
                self.slow.append(number)
                return []
            if self.detected:  # the first text read decides; a page in another of ours is reread
                language = _tesseract_language(text)
                if language and language != self.language:
                    # read again in its language alone: with all of ours, Spanish accents stand
                    # in for German umlauts (fúr, Ánderungen: docs/ocr.md)
                    text = self._tesseract(number, _plain(image), language, config) or text
                    self.language = language
            if self.language and self.language not in self.languages:
                self.languages.append(self.language)
            texts.append(text)
        self.pages.append(number)
        return blocks_from_text("\n\n".join(texts))

    def _tesseract(self, number: int, image: Any, language: str, config: str) -> str | None:
        """The text Tesseract reads; None if it took longer than the page's time."""
        import pytesseract

        try:
            return pytesseract.image_to_string(
                image, lang=language, config=config, timeout=self.options.page_seconds
            )
        except RuntimeError:  # pytesseract's timeout: it has killed tesseract
            return None
        except pytesseract.TesseractError as exc:
            raise InvalidUpload(
                f"page {number} could not be read by OCR (Tesseract: {exc.message.strip()})"
            ) from None

    def nothing_read(self, what: str) -> InvalidUpload:
        """Why a document whose only text was to come from OCR has none."""
        if self.slow:
            pages = ", ".join(map(str, self.slow[:5]))
            return InvalidUpload(
                f"reading it by OCR took too long: over {self.options.page_seconds:g} s on"
                f" page {pages} (the limit a page is ARCHIVE_OCR_PAGE_SECONDS)"
            )
        return InvalidUpload(f"OCR found no text in {what}")

    def record(self) -> OcrRecord | None:
        """What was done; a detected language is the one each page's text was found in."""
        if not (self.pages or self.needed or self.unread):
            return None
        return OcrRecord(
            pages=tuple(self.pages),
            language=", ".join(self.languages or [ALL_LANGUAGES]) if self.pages else "",
            detected=self.detected and bool(self.pages),
            engine=self.engine,
            needed=tuple(self.needed),
            unread=tuple(self.unread),
        )


def _tesseract_language(text: str) -> str:
    """The Tesseract language of a text read with all of ours, "" when it is not one of them
    (the next pages are then read with all of them too)."""
    from archive.ingest.metadata import identify_language

    return TESSERACT_LANGUAGES.get(identify_language(text), "")


def _plain(image: Any) -> Any:
    """A mode Tesseract reads as it is meant: palette, 16-bit and CMYK images become grey."""
    return image if image.mode in ("1", "L", "RGB") else image.convert("L")
