"""Plain text: paragraphs split on blank lines; short unpunctuated lines are headings or captions.

The conventions come from articles pasted out of web pages (see the sample article):
- a short line without closing punctuation that stands alone between blank lines is a heading;
- such a line glued by a single newline to the text below it is an image caption (the picture
  sat between them);
- a byline among the first lines ("By Jane Doe 11/6/23") becomes hints and leaves the body
  (Markdown and HTML do the same with take_byline).
Hard-wrapped text (every line under ~100 characters) instead joins its lines into paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import replace

from archive.ingest.dates import parse_date
from archive.ingest.metadata import parse_byline
from archive.models import Block, Extracted, Hints

HEADING_MAX_CHARS = 150
HEADING_MAX_WORDS = 20
INFERRED_LEVEL = 2  # the document's title is level 1; inferred section headings sit below it
_CLOSING = "\"'»”’)]*_ "
_LIST_MARK = re.compile(r"^(?:[-*+•–—]\s|\d+[.)]\s+\S.*[.!?]$)")
_URL = re.compile(r"^(?:https?://|www\.)\S+$")
_DATELINE_SPLIT = re.compile(r"\s+[|·•—–]\s+")
# Transcripts: "(INICIA VIDEO)" stage directions and "PREGUNTA: …" speaker turns are not titles.
_ASIDE = re.compile(r"^[(\[].*[)\]]$|^[A-ZÀ-ÞА-ЯЁІЇЄҐ][A-ZÀ-ÞА-ЯЁІЇЄҐ .,'-]{3,}:\s")


def heading_like(line: str) -> bool:
    """A short line that reads like a title: no closing punctuation, not a list item or a URL."""
    line = line.strip()
    if not line or len(line) > HEADING_MAX_CHARS or len(line.split()) > HEADING_MAX_WORDS:
        return False
    if _LIST_MARK.match(line) or _URL.match(line) or _ASIDE.match(line) or parse_byline(line):
        return False
    if line.rstrip(_CLOSING)[-1:] in ".,;:!?…":  # a question alone is speech, not a title
        return False
    first = next((ch for ch in line if ch.isalnum()), "")
    if not first or (first.isalpha() and not first.isupper()):
        return False
    # "Outlet | 8 de enero de 2019" is a dateline, not a section title.
    parts = _DATELINE_SPLIT.split(line)
    return not (len(parts) > 1 and parse_date(parts[-1])[0])


def _units(text: str) -> list[list[str]]:
    """Blank-line separated units, each a list of its stripped non-empty lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    units = ([ln.strip() for ln in chunk.split("\n")] for chunk in re.split(r"\n[ \t]*\n", text))
    return [[ln for ln in unit if ln] for unit in units if any(unit)]


def _take_byline(units: list[list[str]]) -> Hints:
    """Remove the first byline found in the first three units and return it as hints."""
    for unit in units[:3]:
        found = parse_byline(unit[0]) if len(unit[0]) <= 200 else None
        if found:
            authors, date = found
            del unit[0]
            if not unit:
                units.remove(unit)
            return Hints(authors=authors, date=date)
    return Hints()


def take_byline(blocks: list[Block], hints: Hints) -> tuple[list[Block], Hints]:
    """The same for a document's blocks (md, html): a byline paragraph among the first three
    moves into the hints, filling authors and date only where the file's metadata left a gap."""
    for i, block in enumerate(blocks[:3]):
        found = parse_byline(block.text) if block.kind == "paragraph" else None
        if found:
            authors, date = found
            hints = replace(hints, authors=hints.authors or authors, date=hints.date or date)
            return blocks[:i] + blocks[i + 1 :], hints
    return blocks, hints


def _hard_wrapped(units: list[list[str]]) -> bool:
    lines = [ln for unit in units for ln in unit]
    multi = sum(1 for unit in units if len(unit) >= 3)
    return len(lines) >= 5 and multi >= 1 and sum(len(ln) > 100 for ln in lines) < len(lines) / 20


def blocks_from_units(units: list[list[str]]) -> list[Block]:
    wrapped = _hard_wrapped(units)
    blocks: list[Block] = []
    for unit in units:
        if wrapped or len(unit) == 1:
            text = " ".join(unit)
            if len(unit) == 1 and heading_like(text):
                blocks.append(Block("heading", text, INFERRED_LEVEL))
            else:
                blocks.append(Block("paragraph", text))
            continue
        for i, line in enumerate(unit):
            if not heading_like(line):
                blocks.append(Block("paragraph", line))
            elif i < len(unit) - 1:
                blocks.append(Block("caption", line))
            else:  # the last line of a unit after a caption: "Caption\nSection title\n\n"
                blocks.append(Block("heading", line, INFERRED_LEVEL))
    return blocks


def extract(text: str) -> Extracted:
    units = _units(text)
    hints = _take_byline(units)
    return Extracted("txt", tuple(blocks_from_units(units)), hints)
