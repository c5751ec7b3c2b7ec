"""Bytes in, Extracted out: detect the format by content, then hand it to its module.

detect(data, filename)     -> "txt" | "md" | "html" | "json" | "pdf" | "docx" | "png" | "jpeg"
                              | "tiff" | "jsonl" | "gzip"
extract(data, filename, *, limits, ocr) -> Extracted, for one document (all but jsonl, gzip)
iter_jsonl(data, name)     -> JsonlItem per record of a JSONL upload (gzipped or not) or stream
is_jsonl(head)             -> whether bytes (the start of a file will do) look like JSONL
unpack                     -> gzip streams and zip members read within limits as bytes arrive

HTML, PDF, DOCX and images are parsed in a sandboxed child process (see sandbox.py): their
parsers face nesting, compression and references a hostile file can blow up; scanned pages and
images are read by OCR there too (ocr.py), each Tesseract a process of that child. Plain text,
Markdown and JSON are linear string work and stay in-process, so bulk JSONL ingest keeps its
speed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

from archive.errors import InvalidUpload
from archive.ingest.extract import html, image, jsonl, md, sandbox, txt, unpack
from archive.ingest.extract.detect import ACCEPTED, detect_with_text, is_jsonl
from archive.ingest.extract.jsonl import JsonlItem, canonical, iter_jsonl
from archive.ingest.extract.ocr import OcrOptions, default_options
from archive.ingest.extract.sandbox import DEFAULT_LIMITS, Limits
from archive.models import Extracted

__all__ = [
    "ACCEPTED",
    "BINARY_EXTRACTORS",
    "DEFAULT_LIMITS",
    "EXTRACTORS",
    "SANDBOXED",
    "JsonlItem",
    "Limits",
    "OcrOptions",
    "canonical",
    "detect",
    "extract",
    "is_jsonl",
    "iter_jsonl",
    "unpack",
]


class _Imported:
    """A format's extract function, its module imported on first call. The PDF and DOCX
    readers run in the sandbox's helper (sandbox.run sends their module and name), and their
    parsers' imports (pypdf, python-docx: 0.2 s, a tenth of a 100k server's start) stay out of
    a server that never reads one here."""

    def __init__(self, module: str, name: str = "extract") -> None:
        self.__module__ = f"{__name__}.{module}"
        self.__qualname__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Extracted:
        return getattr(importlib.import_module(self.__module__), self.__qualname__)(*args, **kwargs)


# Each format's text -> Extracted; adding a format is one module and one line here.
EXTRACTORS: dict[str, Callable[[str], Extracted]] = {
    "txt": txt.extract,
    "md": md.extract,
    "html": html.extract,
    "json": jsonl.extract,
}
# Formats read from their bytes rather than from decoded text.
BINARY_EXTRACTORS: dict[str, Callable[..., Extracted]] = {
    "pdf": _Imported("pdf"),
    "docx": _Imported("docx"),
    "png": image.extract,
    "jpeg": image.extract,
    "tiff": image.extract,
}
SANDBOXED = frozenset({"html", "pdf", "docx", "png", "jpeg", "tiff"})
# Formats that may hold pages to read by OCR: their extractor takes the OCR options.
SCANNED = frozenset({"pdf", "png", "jpeg", "tiff"})
OCR_CPU_SECONDS_A_PAGE = 2
# Where a file of many documents goes (a program reads one with iter_jsonl).
BULK = "import it as a bulk import (/import, POST /api/imports or `archive ingest`)"


def detect(data: bytes, filename: str = "") -> str:
    """The format by content; raises UnsupportedFormat (415) or InvalidUpload (422, empty)."""
    return detect_with_text(data, filename)[0]


def extract(
    data: bytes,
    filename: str = "",
    *,
    limits: Limits = DEFAULT_LIMITS,
    ocr: OcrOptions | None = None,
) -> Extracted:
    """Extract one document. JSONL and gzip hold many records: read those with iter_jsonl.

    `limits` bounds the time and memory of the sandboxed formats (html, pdf, docx, images); a
    document with scanned pages is read again with more time for OCR (_scanned). `ocr`: how
    to read scanned pages (default: tesseract from PATH, the language detected); an image or a
    PDF whose scans wait for OCR (no Tesseract) has no text yet.
    """
    label = filename or "upload"
    kind, text = detect_with_text(data, filename)
    if kind == "gzip":
        raise InvalidUpload(f"{label}: this is gzip-compressed; decompress it first, or {BULK}")
    if kind == "jsonl":
        raise InvalidUpload(f"{label}: this is JSONL (many records, one a line); {BULK}")
    try:
        if kind in SCANNED:
            extracted = _scanned(kind, data, limits, ocr or default_options())
        elif kind in BINARY_EXTRACTORS:
            extracted = sandbox.run(BINARY_EXTRACTORS[kind], data, limits)
        elif text is None:
            raise InvalidUpload(f"no text was decoded for this {kind} file")
        elif kind in SANDBOXED:
            extracted = sandbox.run(EXTRACTORS[kind], text, limits)
        else:
            extracted = EXTRACTORS[kind](text)
    except InvalidUpload as exc:  # name the file, and keep the status (415, 422)
        raise type(exc)(f"{label}: {exc.message}") from None
    waiting = extracted.ocr is not None and extracted.ocr.pending
    if not waiting and not any(block.text.strip() for block in extracted.blocks):
        raise InvalidUpload(f"{label}: no text could be extracted from this {kind} file")
    return extracted


def _scanned(kind: str, data: bytes, limits: Limits, options: OcrOptions) -> Extracted:
    """A format that may hold scans: parsed first within `limits`, without OCR (which finds
    the scanned pages); then, if there are any and Tesseract is here, parsed and read again
    with time for those pages: page_seconds a reading, at most two a page (a page found in
    another language is read again), up to max_pages. So a file without scans keeps the tight
    limits, and one with scans gets time by what it holds."""
    extractor = BINARY_EXTRACTORS[kind]
    first = sandbox.run(extractor, data, limits, {"ocr": asdict(replace(options, tesseract=""))})
    if not (options.tesseract and first.ocr and first.ocr.needed):
        return first
    pages = min(len(first.ocr.needed), options.max_pages)
    limits = replace(
        limits,
        wall_seconds=limits.wall_seconds + 2 * options.page_seconds * pages,
        # the child's own CPU decodes each page's image; each tesseract it starts has a limit
        # of its own (the same) and page_seconds of wall time
        cpu_seconds=limits.cpu_seconds + OCR_CPU_SECONDS_A_PAGE * pages,
    )
    return sandbox.run(extractor, data, limits, {"ocr": asdict(options)})
