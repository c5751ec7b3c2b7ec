"""What bench/compare.py's engines share: a page of results, a query's parts, record fields.

Every engine answers a query with a Result: the total of matching documents, the first page of
hits (title and up to 3 highlighted snippets each), facet counts over the whole match set and a
timeline by year. The queries are plain: words (ANDed), "phrases" and a OR b, never mixed
with fields, filters or NOT, so each engine's own syntax says the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PER_PAGE = 10
SNIPPETS = 3
SNIPPET_CHARS = 240  # the archive's snippet length (about 40 words)
FACET_VALUES = 30  # values shown per facet, as the archive shows them
FACETS = ("authors", "publication", "language", "tags", "year")


@dataclass
class Result:
    total: int
    titles: list[str]  # the hits, best first
    snippets: list[int]  # snippets of each hit
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    timeline: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Plain:
    """A plain query: its parts (a word, or a phrase's words) joined by AND or by OR."""

    op: str  # "AND" | "OR"
    parts: tuple[tuple[str, ...], ...]

    @property
    def words(self) -> list[str]:
        return [w for part in self.parts for w in part]


_TOKEN = re.compile(r'"[^"]*"|\S+')


def plain(text: str) -> Plain:
    """The parts of a query in the archive's syntax: `a b`, `"a b c"`, `a OR b OR c`."""
    tokens = _TOKEN.findall(text)
    op = "OR" if "OR" in tokens else "AND"
    parts = tuple(tuple(t.strip('"').split()) for t in tokens if t not in ("OR", "AND"))
    return Plain(op, tuple(p for p in parts if p))


def quoted(words: tuple[str, ...]) -> str:
    """A word or phrase in double quotes (FTS5 and Tantivy both read "a b" as a phrase and "a"
    as the word, with no operator or column inside); quotes inside are doubled."""
    return '"' + " ".join(w.replace('"', '""') for w in words) + '"'


def clean(value: object) -> str:
    """A metadata value as the archive keeps it: whitespace collapsed."""
    return " ".join(value.split()) if isinstance(value, str) else ""


def names(values: object) -> list[str]:
    """A list field (authors, tags) as the archive keeps it: cleaned, no blanks or repeats."""
    if not isinstance(values, list):
        return []
    return list(dict.fromkeys(v for v in map(clean, values) if v))


def year_of(record: dict) -> int | None:
    date = clean(record.get("date"))
    return int(date[:4]) if len(date) >= 4 and date[:4].isdigit() else None


def paragraphs(record: dict) -> list[str]:
    """The body's paragraphs as the archive splits them: one a line, blanks left out."""
    return [p for p in map(clean, record["body"].split("\n")) if p]


def year_facets(counts: dict[int, int]) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """The year facet (the latest FACET_VALUES years, as the archive lists years) and the
    timeline (every year with a match, oldest first) from one count by year."""
    facet = [(str(y), counts[y]) for y in sorted(counts, reverse=True)[:FACET_VALUES]]
    return facet, [(str(y), counts[y]) for y in sorted(counts)]
