"""Passage permalinks: a paragraph named by a fingerprint of its own text, not by its position.

A block's position (#p-12) moves when text is added above it; its fingerprint does not. The
fingerprint is the first 12 hex digits (48 bits) of the SHA-256 of the block's normalised text
(Unicode NFC, runs of whitespace as one space, trimmed), so a metadata edit or a reindex (which
rebuild nothing of the catalog's blocks) keeps every link, a re-extraction that only reflows
whitespace keeps it too, and a changed sentence makes a new fingerprint: the old link then finds
no block, and the page says the passage is gone instead of opening a wrong one. Two blocks with
the same text share a fingerprint; a link names the first, which holds the same words.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

from archive.models import Block

FINGERPRINT_CHARS = 12
FINGERPRINT_RE = re.compile(rf"[0-9a-f]{{{FINGERPRINT_CHARS}}}")


def fingerprint(text: str) -> str:
    """The passage's stable name: 12 lowercase hex digits of its normalised text's SHA-256."""
    normal = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:FINGERPRINT_CHARS]


def anchors(blocks: Sequence[Block]) -> tuple[str, ...]:
    """Each block's fingerprint, in reading order (the document view's link controls)."""
    return tuple(fingerprint(block.text) for block in blocks)


def locate(blocks: Sequence[Block], wanted: str) -> int | None:
    """The index of the first block whose fingerprint is `wanted`, or None: the text changed (or
    the fingerprint was never one: anything not 12 hex digits finds nothing)."""
    if not FINGERPRINT_RE.fullmatch(wanted):
        return None
    return next((i for i, block in enumerate(blocks) if fingerprint(block.text) == wanted), None)


def heading_above(blocks: Sequence[Block], index: int) -> str:
    """The nearest heading before the block at index ("" when none): a passage's section."""
    for block in reversed(blocks[:index]):
        if block.kind == "heading":
            return block.text
    return ""
