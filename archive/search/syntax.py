"""The query language readers type, parsed into a small tree; no search engine here.

    war Bakhmut            both words (AND is the default)
    "winter offensive"     a phrase; "a b"~5 lets the words stand up to 5 apart
    kyiv OR kiev           either;  NOT putin, -putin  without
    (a OR b) c             grouping
    title:offensive        a field: title, heading, body, author, tag, language, year, date
    date:2023-06  date:[2022 TO 2023-03]   year:2022   dates and ranges
    bakh*                  words that start with "bakh" (two letters at least)
    sanctons~  sanctons~2  fuzzy: words one (~, ~1) or two (~2) edits away

Bad syntax and expensive queries raise BadQuery with a message for the reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archive.errors import BadQuery

# the words of a document: an apostrophe inside a Ukrainian word keeps it whole (Прем'єр)
from archive.search.analysis import WORD_RE, join_apostrophes

MAX_QUERY_CHARS = 1000
MAX_DEPTH = 8
MAX_CLAUSES = 64
MAX_SLOP = 50
MIN_PREFIX = 2
# A query of this many words is pasted text: a stray quote or bracket in it is punctuation, so
# a syntax error falls back to its plain words (a short query still gets the error's message).
PASTED_WORDS = 8

# field as typed -> canonical name
FIELDS = {
    "title": "title",
    "heading": "headings",
    "headings": "headings",
    "body": "body",
    "text": "body",
    "author": "authors",
    "authors": "authors",
    "tag": "tags",
    "tags": "tags",
    "language": "language",
    "lang": "language",
    "year": "year",
    "date": "date",
}
TEXT_FIELDS = ("title", "headings", "body", "authors", "tags")
KNOWN = ", ".join(sorted({k for k in FIELDS if not k.endswith("s") or k == "headings"}))


@dataclass(frozen=True)
class Word:
    text: str
    field: str | None = None
    prefix: bool = False
    fuzzy: int = 0  # edits a match may make (word~ is 1, word~2 is 2): search/compile.py


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    field: str | None = None
    slop: int = 0


@dataclass(frozen=True)
class Value:
    """An exact value of a keyword field (language, year)."""

    field: str
    value: str


@dataclass(frozen=True)
class DateRange:
    start: str | None  # ISO, partial allowed; None is open
    end: str | None


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Word | Phrase | Value | DateRange | And | Or | Not

_TOKEN_RE = re.compile(r'\s+|\(|\)|"[^"]*"(?:~\d+)?|"|[^\s()"]+')
_FIELD_RE = re.compile(r"^([A-Za-z_]+):(.*)$", re.S)
_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$", re.ASCII)  # not ٢٠٢٣: no index holds it
_RANGE_RE = re.compile(r"^\[(\S+)\s+TO\s+(\S+)\]$")
# word~N, Lucene's fuzzy syntax: words up to N edits away (a bare ~ is one edit); a larger
# distance would match half the vocabulary, so it is refused rather than quietly read as the
# phrase "word N".
_FUZZY_RE = re.compile(r"^(.+?)~(\d*)$")
MAX_EDITS = 2
MAX_FUZZY_WORDS = 4  # each lists and measures part of the lexicon (search/lexicon.py)


def parse(text: str) -> Node | None:
    """The tree for a query string; None for a query with no words."""
    if len(text) > MAX_QUERY_CHARS:
        raise BadQuery(
            f"The query is too long ({len(text)} characters; at most {MAX_QUERY_CHARS})."
        )
    # one apostrophe inside a Ukrainian word, whichever was typed: Прем’єр, Прем'єр, Премʼєр
    text = join_apostrophes(text)
    try:
        return _parse(text)
    except BadQuery:
        plain = WORD_RE.findall(text)
        if len(plain) < PASTED_WORDS:
            raise
    # operators are capitals only: in pasted text "OR" is a word like any other
    return _parse(" ".join(w.lower() if w in ("AND", "OR", "NOT") else w for w in plain))


def _parse(text: str) -> Node | None:
    tokens = _tokenize(text)
    parser = _Parser(tokens)
    node = parser.parse_or(0)
    if parser.pos < len(tokens):
        raise BadQuery('Unbalanced ")" in the query: remove it or add a matching "(".')
    if parser.clauses > MAX_CLAUSES:
        raise BadQuery(f"The query has too many terms (at most {MAX_CLAUSES}).")
    return node


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    # A range is one token even though it holds spaces.
    text = re.sub(r"\[\s*(\S+)\s+TO\s+(\S+)\s*\]", "[\\1\x00TO\x00\\2]", text)
    for m in _TOKEN_RE.finditer(text):
        tok = m.group()
        if tok.isspace():
            continue
        if tok == '"':
            raise BadQuery(
                'Unclosed quote in the query: add a closing " or remove the opening one.'
            )
        tokens.append(tok.replace("\x00", " "))
    return tokens


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.clauses = 0
        self.fuzzy_words = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse_or(self, depth: int) -> Node | None:
        if depth > MAX_DEPTH:
            raise BadQuery(f"The query nests parentheses too deeply (at most {MAX_DEPTH} levels).")
        parts = [self.parse_and(depth)]
        if parts[0] is None and self.peek() == "OR":
            raise BadQuery('"OR" needs a word on each side.')
        while self.peek() == "OR":
            self.pos += 1
            if self.peek() in (None, ")", "OR", "AND"):
                raise BadQuery('"OR" needs a word on each side.')
            parts.append(self.parse_and(depth))
        kept = tuple(p for p in parts if p is not None)
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else Or(kept)

    def parse_and(self, depth: int) -> Node | None:
        parts: list[Node] = []
        while (tok := self.peek()) is not None and tok not in (")", "OR"):
            if tok == "AND":
                self.pos += 1
                if not parts or self.peek() in (None, ")", "OR", "AND"):
                    raise BadQuery('"AND" needs a word on each side.')
                continue
            node = self.parse_unary(depth)
            if node is not None:
                parts.append(node)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def parse_unary(self, depth: int) -> Node | None:
        tok = self.peek()
        assert tok is not None
        if tok == "NOT" or (tok.startswith("-") and len(tok) > 1):
            if tok == "NOT":
                self.pos += 1
                if self.peek() in (None, ")", "OR", "AND"):
                    raise BadQuery('"NOT" needs a word after it.')
            else:
                self.tokens[self.pos] = tok[1:]
            child = self.parse_unary(depth)
            return Not(child) if child is not None else None
        if tok.startswith("+") and len(tok) > 1:
            self.tokens[self.pos] = tok[1:]
        return self.parse_primary(depth, None)

    def parse_primary(self, depth: int, field: str | None) -> Node | None:
        tok = self.tokens[self.pos]
        self.pos += 1
        if tok == "(":
            node = self.parse_or(depth + 1)
            if self.peek() != ")":
                raise BadQuery('Unbalanced "(" in the query: add a matching ")".')
            self.pos += 1
            return _with_field(node, field) if field else node
        if tok == ")":
            raise BadQuery('Unbalanced ")" in the query: remove it or add a matching "(".')
        if tok.startswith('"'):
            return self.phrase(tok, field)
        m = _FIELD_RE.match(tok)
        if m and field is None:
            name, rest = m.group(1), m.group(2)
            canonical = FIELDS.get(name.lower())
            if not rest:
                if canonical is None:  # "Bakhmut: A giant graveyard": a colon in pasted text
                    return self.word(tok.rstrip(":"), None)
                if self.peek() in (None, ")"):
                    raise BadQuery(f'"{name}:" needs a value after it, like {name}:word.')
                return self.parse_primary(depth, canonical)
            if canonical is None:
                raise BadQuery(f'Unknown field "{name}". Known fields: {KNOWN}.')
            if rest.startswith('"') or rest.startswith("("):
                self.tokens.insert(self.pos, rest)
                if rest.startswith("("):
                    # "(" was glued to the field name: split it into its own token again
                    self.tokens[self.pos : self.pos + 1] = _tokenize(rest)
                return self.parse_primary(depth, canonical)
            return self.field_value(canonical, rest)
        return self.word(tok, field)

    def phrase(self, tok: str, field: str | None) -> Node | None:
        body, _, slop = tok[1:].partition('"')
        words = tuple(WORD_RE.findall(body))
        if not words:
            return None
        self.clauses += len(words)
        n = int(slop[1:]) if slop.startswith("~") else 0
        if n > MAX_SLOP:
            raise BadQuery(f"A phrase's distance can be at most ~{MAX_SLOP}.")
        if field in ("language", "year", "date"):
            raise BadQuery(f'"{field}:" takes a single value, not a phrase.')
        return Phrase(words, field, n)

    def field_value(self, field: str, value: str) -> Node | None:
        if field == "date":
            m = _RANGE_RE.match(value)
            if m:
                return DateRange(_date_bound(m.group(1)), _date_bound(m.group(2)))
            if ".." in value:
                start, _, end = value.partition("..")
                return DateRange(_date_bound(start or "*"), _date_bound(end or "*"))
            bound = _date_bound(value)
            return DateRange(bound, bound)
        if field == "year":
            if not re.fullmatch(r"\d{4}", value, re.ASCII):
                raise BadQuery(f'"year:{value}" is not a year; write it like year:2023.')
            return Value("year", value)
        if field == "language":
            if not re.fullmatch(r"[A-Za-z]{2}", value):
                raise BadQuery(
                    f'"language:{value}" is not a language code; write it like language:en.'
                )
            return Value("language", value.lower())
        return self.word(value, field)

    def word(self, tok: str, field: str | None) -> Node | None:
        if field in ("language", "year", "date"):
            return self.field_value(field, tok)
        fuzzy = _FUZZY_RE.match(tok)
        edits = 0
        if fuzzy:
            edits = int(fuzzy.group(2) or 1)
            if edits > MAX_EDITS:
                raise BadQuery(
                    f'"{tok}": a word can be at most ~{MAX_EDITS} letters off, as in '
                    f"{fuzzy.group(1)}~{MAX_EDITS}."
                )
            tok = fuzzy.group(1)
        prefix = tok.endswith("*")
        core = tok.rstrip("*")
        if "*" in core or "?" in core:
            if core.startswith(("*", "?")) or tok.startswith(("*", "?")):
                raise BadQuery(f'"{tok}": a word cannot start with a wildcard.')
            raise BadQuery(f'"{tok}": only a trailing * is supported, as in bakh*.')
        if tok.startswith(("*", "?")):
            raise BadQuery(f'"{tok}": a word cannot start with a wildcard.')
        words = WORD_RE.findall(core)
        if not words:
            return None
        self.clauses += len(words)
        if prefix:
            if len(words) > 1:
                raise BadQuery(f'"{tok}": a prefix search takes one word, as in bakh*.')
            if len(words[0]) < MIN_PREFIX:
                raise BadQuery(f'"{tok}": type at least {MIN_PREFIX} letters before the *.')
            return Word(words[0], field, prefix=True)
        if len(words) > 1:  # U.S., Kyiv's, e-mail: the parts in order
            return Phrase(tuple(words), field, 0)
        if edits and field in (None, "title", "headings", "body"):
            self.fuzzy_words += 1
            if self.fuzzy_words > MAX_FUZZY_WORDS:
                raise BadQuery(f"A query can hold at most {MAX_FUZZY_WORDS} fuzzy words (word~).")
            return Word(words[0], field, fuzzy=edits)
        return Word(words[0], field)


def _with_field(node: Node | None, field: str) -> Node | None:
    if node is None:
        return None
    if isinstance(node, Word | Phrase):
        return type(node)(**{**node.__dict__, "field": field})
    if isinstance(node, And | Or):
        return type(node)(tuple(_with_field(c, field) for c in node.children))  # type: ignore[misc]
    if isinstance(node, Not):
        return Not(_with_field(node.child, field))  # type: ignore[arg-type]
    return node


def _date_bound(text: str) -> str | None:
    if text == "*":
        return None
    if not _DATE_RE.match(text):
        raise BadQuery(f'"{text}" is not a date; write dates as YYYY, YYYY-MM or YYYY-MM-DD.')
    parts = [int(p) for p in text.split("-")]
    if len(parts) > 1 and not 1 <= parts[1] <= 12:
        raise BadQuery(f'"{text}" has no month {parts[1]}.')
    if len(parts) > 2 and not 1 <= parts[2] <= 31:
        raise BadQuery(f'"{text}" has no day {parts[2]}.')
    return text


def words_of(node: Node | None) -> list[Word | Phrase]:
    """The positive words and phrases of a query: what highlighting marks."""
    if node is None or isinstance(node, Not | Value | DateRange):
        return []
    if isinstance(node, Word | Phrase):
        return [node]
    out: list[Word | Phrase] = []
    for child in node.children:
        out.extend(words_of(child))
    return out
