"""Bytes in, Extracted out: detect the format by content, then hand it to its module.

detect(data, filename)      -> "txt" | "md" | "html" | "json" | "jsonl" | "gzip"
extract(data, filename)     -> Extracted, for one document (txt, md, html, json)
iter_jsonl(data, name)      -> JsonlItem per record of a JSONL upload (gzipped or not)
"""

from __future__ import annotations

from collections.abc import Callable

from archive.errors import InvalidUpload
from archive.extract import html, jsonl, md, txt
from archive.extract.detect import ACCEPTED, detect_with_text
from archive.extract.jsonl import JsonlItem, canonical, iter_jsonl
from archive.models import Extracted

__all__ = ["ACCEPTED", "EXTRACTORS", "JsonlItem", "canonical", "detect", "extract", "iter_jsonl"]

# Each format's text -> Extracted; adding a format is one module and one line here.
EXTRACTORS: dict[str, Callable[[str], Extracted]] = {
    "txt": txt.extract,
    "md": md.extract,
    "html": html.extract,
    "json": jsonl.extract,
}


def detect(data: bytes, filename: str = "") -> str:
    """The format by content; raises UnsupportedFormat (415) or InvalidUpload (422, empty)."""
    return detect_with_text(data, filename)[0]


def extract(data: bytes, filename: str = "") -> Extracted:
    """Extract one document. JSONL and gzip hold many records: read those with iter_jsonl."""
    label = filename or "upload"
    kind, text = detect_with_text(data, filename)
    if kind == "gzip":
        raise InvalidUpload(
            f"{label}: this is gzip-compressed; decompress it first "
            "(a gzipped JSONL file is read record by record with iter_jsonl)"
        )
    if kind == "jsonl" or text is None:
        raise InvalidUpload(f"{label}: this is JSONL (many records); read it with iter_jsonl")
    try:
        extracted = EXTRACTORS[kind](text)
    except InvalidUpload as exc:
        raise InvalidUpload(f"{label}: {exc.message}") from None
    if not any(block.text.strip() for block in extracted.blocks):
        raise InvalidUpload(f"{label}: no text could be extracted from this {kind} file")
    return extracted
