"""JSON article records (the political-news schema), one per file or one per line of a JSONL.

A record's fields are its uploader's metadata: they go into the hints and are marked `given`, so
they win over suggestions. The body's newline-separated paragraphs become the blocks.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from archive.errors import ArchiveError, InvalidUpload
from archive.ingest.extract import unpack
from archive.models import Block, Extracted, Hints

MAX_LINE = 64 * 1024 * 1024  # a longer "line" is not a record; it is read past, not held
_BODY_KEYS = ("body", "content_original", "content", "text")  # the first is our schema's


@dataclass(frozen=True)
class JsonlItem:
    """One line of a JSONL upload: its canonical bytes and extraction, or why it failed."""

    name: str
    original: bytes | None
    extracted: Extracted | None
    error: str | None


def canonical(record: dict[str, Any]) -> bytes:
    """The bytes stored as a record's original: `extract` of them gives the same Extracted."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True).encode()


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _names(value: Any, separators: str = ";") -> tuple[str, ...]:
    """A list of strings, or one string joined with `separators` (AllSides: "A, B")."""
    if isinstance(value, str):
        for sep in separators:
            value = value.replace(sep, "\x00")
        value = value.split("\x00")
    if not isinstance(value, list):
        return ()
    return tuple(dict.fromkeys(t for t in (_text(v) for v in value) if t))


def extract_record(record: dict[str, Any]) -> Extracted:
    body = next((record[k] for k in _BODY_KEYS if isinstance(record.get(k), str)), "")
    blocks = tuple(Block("paragraph", p) for p in (_text(line) for line in body.split("\n")) if p)
    authors = _names(record.get("authors"), ";,") or _names(record.get("author"))
    tags = _names(record.get("tags")) or _names(record.get("topic"))
    # Our schema's `source` names the data set; an original AllSides record's names the outlet.
    publication = _text(record.get("publication")) or (
        _text(record.get("source")) if "publication" not in record else ""
    )
    record_id = record.get("id", record.get("ID"))
    fields = {
        "title": _text(record.get("title")) or None,
        "authors": authors,
        "publication": publication or None,
        "date": _text(record.get("date")) or None,
        "language": _text(record.get("language")) or None,
        "tags": tags,
        "url": _text(record.get("url")) or None,
    }
    return Extracted(
        "json",
        blocks,
        Hints(
            **fields,
            source_id=str(record_id) if record_id not in (None, "") else None,
            given=frozenset(k for k, v in fields.items() if v),
        ),
    )


def extract(text: str) -> Extracted:
    try:
        record = json.loads(text)
    except ValueError as exc:
        raise InvalidUpload(f"not a valid JSON record: {exc}") from None
    if not isinstance(record, dict):
        raise InvalidUpload("a JSON upload must be one object (a record); use JSONL for many")
    return extract_record(record)


def _lines(stream: BinaryIO) -> Iterator[bytes | None]:
    """The stream's lines, one at a time; None stands for a line longer than MAX_LINE."""
    while True:
        line = stream.readline(MAX_LINE)
        if not line:
            return
        if len(line) >= MAX_LINE and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                pass  # read past the rest of the overlong line
            yield None
        else:
            yield line


def iter_jsonl(data: bytes | BinaryIO, name: str) -> Iterator[JsonlItem]:
    """Each non-blank line of a JSONL upload, as it is read: bytes (gzipped or not, inflated
    within unpack's limits) or a binary stream of JSONL (a file, or unpack.gunzip of one).

    A bad line yields an item with `error` set and reading goes on; a broken gzip stream, or
    one past a limit, ends the iteration with one last error item.
    """
    stream: BinaryIO
    if isinstance(data, bytes):
        raw = io.BytesIO(data)
        stream = unpack.gunzip(raw, name) if data[:2] == b"\x1f\x8b" else raw
    else:
        stream = data
    number = 0
    try:
        for line in _lines(stream):
            number += 1
            where = f"{name}:{number}"
            if line is None:
                yield JsonlItem(where, None, None, f"line is longer than {MAX_LINE} bytes")
                continue
            if not line.strip():
                continue
            yield _item(where, line)
    except ArchiveError as exc:  # past a limit of unpack's, or a broken gzip stream
        yield JsonlItem(f"{name}:{number + 1}", None, None, exc.message)
    except (OSError, EOFError) as exc:
        yield JsonlItem(f"{name}:{number + 1}", None, None, f"cannot read the data: {exc}")


def _item(where: str, line: bytes) -> JsonlItem:
    try:
        record = json.loads(line.decode("utf-8-sig").strip())
    except UnicodeDecodeError:
        return JsonlItem(where, None, None, "the line is not UTF-8 text")
    except json.JSONDecodeError as exc:  # the line number is the item's; the column is the news
        return JsonlItem(where, None, None, f"not valid JSON at column {exc.colno}: {exc.msg}")
    except ValueError as exc:
        return JsonlItem(where, None, None, f"not valid JSON: {exc}")
    if not isinstance(record, dict):
        return JsonlItem(where, None, None, "the line is not a JSON object")
    extracted = extract_record(record)
    source_id = extracted.hints.source_id
    if source_id:
        where = f"{where} ({source_id[:80]})"
    if not extracted.blocks:
        return JsonlItem(where, None, None, "the record has no body text")
    return JsonlItem(where, canonical(record), extracted, None)
