"""What a sandboxed child sends back: an Extracted, an error, or a limit it hit, in JSON.

JSON rather than pickle because the child has just parsed a hostile file and may be subverted by
it: its answer must not be able to do more than carry text. decode() checks every field.
"""

from __future__ import annotations

import json
from typing import Any

from archive.errors import InvalidUpload, TooLarge, UnsupportedFormat
from archive.models import BLOCK_KINDS, Block, Extracted, Hints, OcrRecord

_ERRORS: dict[int, type[InvalidUpload]] = {
    413: TooLarge,
    415: UnsupportedFormat,
    422: InvalidUpload,
}
_TEXT_HINTS = ("title", "publication", "date", "language", "url", "source_id")
_LIST_HINTS = ("authors", "tags", "given")
# Encoded ahead of need: when memory has run out, there may be none left to encode them with.
MEMORY = b'{"limit": "memory"}'
CPU = b'{"limit": "cpu"}'


def encode(extracted: Extracted) -> bytes:
    hints = extracted.hints
    return json.dumps(
        {
            "format": extracted.format,
            "pages": extracted.pages,
            "blocks": [[b.kind, b.text, b.level] for b in extracted.blocks],
            "ocr": extracted.ocr.to_json() if extracted.ocr else None,
            "hints": {
                **{k: getattr(hints, k) for k in _TEXT_HINTS},
                **{
                    k: sorted(getattr(hints, k)) if k == "given" else list(getattr(hints, k))
                    for k in _LIST_HINTS
                },
            },
        },
        ensure_ascii=False,
    ).encode()


def error(exc: InvalidUpload) -> bytes:
    return json.dumps({"error": {"status": exc.status, "message": exc.message}}).encode()


def decode(raw: bytes, memory_bytes: int, cpu_seconds: int) -> Extracted | InvalidUpload:
    """The child's answer, or an InvalidUpload that says what went wrong."""
    try:
        reply = json.loads(raw)
        if reply.get("limit") == "memory":
            mib = memory_bytes // (1024 * 1024)
            return InvalidUpload(f"could not be read: it used too much memory (over {mib} MiB)")
        if reply.get("limit") == "cpu":
            return InvalidUpload(
                f"could not be read: it took too long (over {cpu_seconds} s of CPU time)"
            )
        if "error" in reply:
            status, message = reply["error"]["status"], reply["error"]["message"]
            if isinstance(message, str) and status in _ERRORS:
                return _ERRORS[status](message)
        else:
            return _extracted(reply)
    except (ValueError, TypeError, KeyError, AttributeError):
        pass
    return InvalidUpload("could not be read: the reader gave an answer that makes no sense")


def _extracted(reply: dict[str, Any]) -> Extracted:
    blocks = []
    for kind, text, level in reply["blocks"]:
        if kind not in BLOCK_KINDS or not isinstance(text, str) or type(level) is not int:
            raise ValueError("not a block")
        blocks.append(Block(kind, text, level))
    raw = reply["hints"]
    texts = {k: raw[k] for k in _TEXT_HINTS}
    lists = {k: tuple(raw[k]) for k in _LIST_HINTS}
    if not all(v is None or isinstance(v, str) for v in texts.values()):
        raise ValueError("not a hint")
    if not all(isinstance(v, str) for values in lists.values() for v in values):
        raise ValueError("not a hint")
    given = frozenset(lists.pop("given"))
    fmt, pages = reply["format"], reply.get("pages")
    if not isinstance(fmt, str):
        raise ValueError("not a format")
    if pages is not None and (type(pages) is not int or pages < 0):
        raise ValueError("not a page count")
    ocr = OcrRecord.from_json(reply.get("ocr"))
    return Extracted(fmt, tuple(blocks), Hints(**texts, **lists, given=given), pages, ocr)
