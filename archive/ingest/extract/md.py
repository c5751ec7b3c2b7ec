"""Markdown: headings, paragraphs, list items, quotes and image captions; inline markup removed.

Metadata comes from YAML-ish front matter and from "**Key:** value" header lines (also as table
rows, "| **Authors:** | …"), as in the CRS reports. Lines that are mostly links (site navigation,
breadcrumbs, version lists) are dropped. A single short unpunctuated line standing alone is a
heading, as in plain text: converted documents often lost their heading markup.
"""

from __future__ import annotations

import re

from archive.ingest.extract.txt import INFERRED_LEVEL, heading_like, take_byline
from archive.models import Block, Extracted, Hints

_ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_BREAK = re.compile(r"^ {0,3}(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_LIST = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(.*)$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")
_META = re.compile(r"^\|?\s*\*\*([^*|]{1,40}?):?\*\*:?\s*(?:\|\s*)?(.*?)\s*\|?\s*$")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)")
_LINK = re.compile(
    r"\[([^\]]*)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)|\[([^\]]+)\]\[[^\]]*\]"
)
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")

# Header keys -> hint fields; other keys in a run of header lines are dropped as site metadata.
_KEYS = {
    "title": "title",
    "author": "authors",
    "authors": "authors",
    "author(s)": "authors",
    "by": "authors",
    "date": "date",
    "publication date": "date",
    "published": "date",
    "tags": "tags",
    "topics": "tags",
    "keywords": "tags",
    "categories": "tags",
    "language": "language",
    "lang": "language",
    "publication": "publication",
    "publisher": "publication",
    "source": "url",
    "url": "url",
}


def inline(text: str) -> str:
    """Markdown inline markup to plain text: links keep their text, emphasis and code marks go."""
    text = _IMAGE.sub("", text)
    text = _LINK.sub(lambda m: m[1] if m[1] is not None else m[2], text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _HTML_TAG.sub(" ", text)
    text = text.replace("`", "").replace("~~", "")
    text = re.sub(r"\*+", "", text)
    text = re.sub(r"(?<!\w)_+|_+(?!\w)", "", text)  # snake_case words keep their underscores
    text = _ESCAPE.sub(r"\1", text)
    return " ".join(text.split())


def link_soup(line: str) -> bool:
    """Navigation rather than prose: mostly link text, or a link followed by a few stray words."""
    links = list(_LINK.finditer(line))
    if not links:
        return False
    visible = inline(line)
    rest = inline(_LINK.sub(" ", line)).strip(" |>·•-–—")
    if len(links) >= 2 and len(rest) < 0.3 * len(visible):
        return True
    # "[Listen](…)Title Updated April 17, 2026": a leading link and no sentence after it.
    starts_with_link = _LINK.match(re.sub(r"^\s*(?:[-*+]\s+)?", "", line)) is not None
    return starts_with_link and len(rest) < 200 and not re.search(r"[.!?]\s*$", rest)


def _split_values(field: str, value: str) -> tuple[str, ...]:
    if ";" in value:
        parts = value.split(";")
    elif field == "tags":
        parts = value.split(",")  # "Science & Technology" is one topic
    elif field == "authors" and value.count(",") == 1 and len(value.split(",")[0].split()) == 1:
        parts = [value]  # "Sarata, Amanda K.": one author, surname first
    else:
        parts = re.split(r",|\s+and\s+|\s+&\s+", value)
    return tuple(p.strip(" \"'[]") for p in parts if p.strip(" \"'[]"))


class _Reader:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.texts: dict[str, str] = {}  # hint field -> value, the first one found
        self.lists: dict[str, tuple[str, ...]] = {}  # authors, tags
        self.buffer: list[str] = []
        self.kind = "paragraph"  # of the buffer: paragraph | item | quote | table
        self.after_blank = True  # the buffer began after a blank line (or at the top)

    def hint(self, key: str, value: str) -> None:
        field = _KEYS.get(key.strip().lower())
        value = inline(value).strip(" \"'")
        if not field or not value or field in self.texts or field in self.lists:
            return
        if field in ("authors", "tags"):
            self.lists[field] = _split_values(field, value)
        else:
            self.texts[field] = value

    def flush(self, before_blank: bool = False) -> None:
        """Emit the buffer; `before_blank` says a blank line ends it (a standalone line)."""
        lines, kind = self.buffer, self.kind
        standalone = self.after_blank and before_blank
        self.buffer, self.kind = [], "paragraph"
        if not lines:
            return
        raw = " ".join(line.strip() for line in lines)
        image = _IMAGE.match(raw)
        alt = inline(image[1]) if image else ""
        if alt and not re.search(r"\.(?:jpe?g|png|gif|webp|svg)$", alt, re.I):
            self.add(Block("caption", alt))
        text = inline(raw)
        if not text or text == alt:
            return
        if image and len(text) <= 300:
            self.add(Block("caption", text))  # the text under an image describes it
        elif kind == "paragraph" and len(lines) == 1 and standalone and heading_like(text):
            self.add(Block("heading", text, INFERRED_LEVEL))
        else:
            self.add(Block("paragraph", text))

    def add(self, block: Block) -> None:
        # A heading repeated after only dropped chrome (CRS pages print the title twice) goes.
        if block.kind == "heading" and self.blocks and self.blocks[-1].text == block.text:
            return
        self.blocks.append(block)

    def start(self, kind: str, text: str, after_blank: bool = False) -> None:
        if self.buffer and (self.kind != kind or kind in ("item", "table")):
            self.flush()
        if not self.buffer:
            self.after_blank = after_blank
        self.kind = kind
        self.buffer.append(text)


def _front_matter(lines: list[str], reader: _Reader) -> int:
    """Consume `---` front matter at the top; returns the index of the first body line."""
    if not lines or lines[0].strip() != "---":
        return 0
    for end in range(1, min(len(lines), 80)):
        if lines[end].strip() in ("---", "..."):
            for line in lines[1:end]:
                key, sep, value = line.partition(":")
                if sep and not line.startswith((" ", "-")):
                    reader.hint(key, value.strip().strip("[]"))
            return end + 1
    return 0


def _heading(reader: _Reader, lines: list[str], i: int, level: int, text: str) -> int:
    """Emit an ATX heading; a heading hard-wrapped onto the next line (the line after that being
    blank) is joined back together. Returns the index of the next line to read."""
    nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
    after = lines[i + 2].strip() if i + 2 < len(lines) else ""
    if nxt and not after and len(nxt) < 80 and re.search(r"[\w,]$", text) and not _block_start(nxt):
        text, i = f"{text} {nxt}", i + 1
    reader.add(Block("heading", inline(text), level))
    return i + 1


def _block_start(line: str) -> bool:
    return bool(_ATX.match(line) or _LIST.match(line) or _QUOTE.match(line) or _FENCE.match(line))


def extract(text: str) -> Extracted:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    reader = _Reader()
    i = _front_matter(lines, reader)
    meta_run = 0  # consecutive "**Key:** value" lines: a header block, not prose
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        meta = _META.match(stripped)
        header = not any(b.kind == "paragraph" for b in reader.blocks)
        # Known keys count before the prose starts; any key counts in a run of two or more.
        if meta and (
            (header and meta[1].strip().lower() in _KEYS) or meta_run or _next_is_meta(lines, i)
        ):
            reader.flush()
            reader.hint(meta[1], meta[2])
            meta_run += 1
            i += 1
            continue
        meta_run = 0
        if fence := _FENCE.match(line):
            reader.flush()
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == fence[1]), None)
            code = "\n".join(lines[i + 1 : end if end is not None else len(lines)]).strip()
            if code:
                reader.add(Block("paragraph", code))
            i = (end if end is not None else len(lines)) + 1
            continue
        if not stripped:
            reader.flush(before_blank=True)
        elif _REF_DEF.match(line) or _TABLE_RULE.match(stripped) or link_soup(stripped):
            reader.flush()
        elif heading := _ATX.match(line):
            reader.flush()
            i = _heading(reader, lines, i, len(heading[1]), heading[2])
            continue
        elif (setext := _SETEXT.match(line)) and _setext_ok(reader):
            title = inline(" ".join(reader.buffer))
            reader.buffer = []
            reader.add(Block("heading", title, 1 if setext[1][0] == "=" else 2))
        elif _BREAK.match(line):
            reader.flush()
        elif item := _LIST.match(line):
            reader.start("item", item[1])
        elif quote := _QUOTE.match(line):
            if quote[1].strip():
                reader.start("quote", quote[1])
            else:
                reader.flush()
        elif stripped.startswith("|"):
            reader.start("table", stripped.strip("|").replace("|", " "))
        elif reader.buffer and reader.kind != "table":
            reader.buffer.append(stripped)  # a soft-wrapped line continues its block
        else:
            reader.start("paragraph", stripped, after_blank=i == 0 or not lines[i - 1].strip())
        i += 1
    reader.flush(before_blank=True)
    blocks, hints = take_byline(reader.blocks, _hints(reader))
    return Extracted("md", tuple(blocks), hints)


def _setext_ok(reader: _Reader) -> bool:
    """Only a single short line underlined by ===/--- is a heading; else it is a rule."""
    buf = reader.buffer
    return reader.kind == "paragraph" and len(buf) == 1 and len(buf[0]) <= 150


def _next_is_meta(lines: list[str], i: int) -> bool:
    return i + 1 < len(lines) and bool(_META.match(lines[i + 1].strip()))


def _hints(reader: _Reader) -> Hints:
    texts, lists = reader.texts, reader.lists
    title = texts.get("title")
    if not title and reader.blocks and reader.blocks[0].kind == "heading":
        title = reader.blocks[0].text  # a document that opens with its heading names itself
    return Hints(
        title=title,
        authors=lists.get("authors", ()),
        publication=texts.get("publication"),
        date=texts.get("date"),
        language=texts.get("language"),
        tags=lists.get("tags", ()),
        url=texts.get("url"),
    )
