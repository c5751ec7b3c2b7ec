"""Bytes in, Extracted out: detect the format by content, then hand it to its module.

detect(data, filename)     -> "txt" | "md" | "html" | "json" | "pdf" | "docx" | "jsonl" | "gzip"
extract(data, filename, *, limits) -> Extracted, for one document (txt md html json pdf docx)
iter_jsonl(data, name)     -> JsonlItem per record of a JSONL upload (gzipped or not) or stream
is_jsonl(head)             -> whether bytes (the start of a file will do) look like JSONL
unpack                     -> gzip streams and zip members read within limits as bytes arrive

HTML, PDF and DOCX are parsed in a sandboxed child process (see sandbox.py): their parsers face
nesting, compression and references a hostile file can blow up. Plain text, Markdown and JSON
are linear string work and stay in-process, so bulk JSONL ingest keeps its speed.
"""

from __future__ import annotations

from collections.abc import Callable

from archive.errors import InvalidUpload
from archive.ingest.extract import docx, html, jsonl, md, pdf, sandbox, txt, unpack
from archive.ingest.extract.detect import ACCEPTED, detect_with_text, is_jsonl
from archive.ingest.extract.jsonl import JsonlItem, canonical, iter_jsonl
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
    "canonical",
    "detect",
    "extract",
    "is_jsonl",
    "iter_jsonl",
    "unpack",
]

# Each format's text -> Extracted; adding a format is one module and one line here.
EXTRACTORS: dict[str, Callable[[str], Extracted]] = {
    "txt": txt.extract,
    "md": md.extract,
    "html": html.extract,
    "json": jsonl.extract,
}
# Formats read from their bytes rather than from decoded text.
BINARY_EXTRACTORS: dict[str, Callable[[bytes], Extracted]] = {
    "pdf": pdf.extract,
    "docx": docx.extract,
}
SANDBOXED = frozenset({"html", "pdf", "docx"})
# Where a file of many documents goes (a program reads one with iter_jsonl).
BULK = "import it as a bulk import (/import, POST /api/imports or `archive ingest`)"


def detect(data: bytes, filename: str = "") -> str:
    """The format by content; raises UnsupportedFormat (415) or InvalidUpload (422, empty)."""
    return detect_with_text(data, filename)[0]


def extract(data: bytes, filename: str = "", *, limits: Limits = DEFAULT_LIMITS) -> Extracted:
    """Extract one document. JSONL and gzip hold many records: read those with iter_jsonl.

    `limits` bounds the time and memory of the sandboxed formats (html, pdf, docx).
    """
    label = filename or "upload"
    kind, text = detect_with_text(data, filename)
    if kind == "gzip":
        raise InvalidUpload(f"{label}: this is gzip-compressed; decompress it first, or {BULK}")
    if kind == "jsonl":
        raise InvalidUpload(f"{label}: this is JSONL (many records, one a line); {BULK}")
    try:
        if kind in BINARY_EXTRACTORS:
            extracted = sandbox.run(BINARY_EXTRACTORS[kind], data, limits)
        elif text is None:
            raise InvalidUpload(f"no text was decoded for this {kind} file")
        elif kind in SANDBOXED:
            extracted = sandbox.run(EXTRACTORS[kind], text, limits)
        else:
            extracted = EXTRACTORS[kind](text)
    except InvalidUpload as exc:  # name the file, and keep the status (415, 422)
        raise type(exc)(f"{label}: {exc.message}") from None
    if not any(block.text.strip() for block in extracted.blocks):
        raise InvalidUpload(f"{label}: no text could be extracted from this {kind} file")
    return extracted
