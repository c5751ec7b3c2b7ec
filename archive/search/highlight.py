"""Highlighted snippets and the document view, built from the catalog's blocks.

Matches are found with the same analysis the index uses (search/analysis.py), so what is marked is
what matched: a word of the query where its stem stands, a phrase (typed in quotes, or a name of
several words from the variants file: "Wagner Group") only where its words stand in a row, never
its words one by one. Every piece of text is escaped before our own <mark> tags go around
matches.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

from archive.models import Block, Document, DocumentView, Passage, RenderedBlock
from archive.search.analysis import WORD_RE, fold, query_word_terms, stem, stop_words, term_language
from archive.search.morphology import MORPH_LANGUAGES, forms_beginning
from archive.search.syntax import Node, Phrase, Word, words_of
from archive.search.variants import CYRILLIC_RE, alias_term

SNIPPET_CHARS = 240
MAX_SNIPPETS = 3
# Blocks examined for snippets per document, after the cheap substring test.
MAX_CANDIDATES = 40

Span = tuple[int, int]
_SEPARATOR = "\x00"
# character -> its fold, or None where folding it alone could differ from folding it in text
_FOLDED: dict[str, str | None] = {}


@dataclass
class Marks:
    """What a compiled query matches beyond its own words (search/compile.py finds it)."""

    words: set[str] = field(default_factory=set)  # other one-word spellings of names
    phrases: set[tuple[str, ...]] = field(default_factory=set)  # spellings of several words
    terms: set[str] = field(default_factory=set)  # "lang:stem" index terms (fuzzy matches)
    aliases: set[str] = field(default_factory=set)  # cross-script alias terms ("c:bagmut")


class Highlighter:
    """What a query marks in text of a given language."""

    def __init__(self, node: Node | None, marks: Marks | None = None) -> None:
        marks = marks or Marks()
        self.words: list[str] = sorted(marks.words)
        # (words, slop) of each phrase: marked where its words stand in a row (within slop)
        self.phrases: list[tuple[tuple[str, ...], int]] = [(p, 0) for p in sorted(marks.phrases)]
        self.extra_terms = frozenset(marks.terms)
        self.aliases = frozenset(marks.aliases)
        self.prefixes: list[str] = []
        for item in words_of(node):
            if isinstance(item, Word) and item.prefix:
                self.prefixes.append(fold(item.text))
            elif isinstance(item, Word):
                self.words.append(item.text)
            elif isinstance(item, Phrase) and len(item.words) == 1:
                self.words.extend(item.words)
            elif isinstance(item, Phrase):
                self.phrases.append((item.words, item.slop))
        self._by_lang: dict[str, _LangTerms] = {}
        # a Latin query word's names in Cyrillic ("c:" terms), as variants.script sees
        self._cyrillic_aliases = all(a.startswith("c:") for a in self.aliases)
        self._patterns: dict[str, re.Pattern[str] | None] = {}  # any root, by language

    @property
    def empty(self) -> bool:
        return not (self.words or self.phrases or self.prefixes or self.aliases or self.extra_terms)

    def _terms(self, lang: str) -> _LangTerms:
        """The terms and phrases that match in lang, and substrings every match contains."""
        cached = self._by_lang.get(lang)
        if cached is None:
            terms = {query_word_terms(w)[lang] for w in self.words} - {None}
            terms |= {t for t in self.extra_terms if t.startswith(lang + ":")}
            phrases: list[tuple[tuple[str, ...], int]] = []
            for words, slop in self.phrases:
                # stop words are not indexed: the phrase is its other words in a row (compile)
                found = tuple(t for w in words if (t := query_word_terms(w)[lang]) is not None)
                if len(found) == 1:
                    terms.add(found[0])
                elif found:
                    phrases.append((found, slop))
            heads = {t for t in terms if t is not None} | {p[0][0] for p in phrases}
            cached = _LangTerms(
                frozenset(t for t in terms if t is not None),
                tuple(phrases),
                tuple(_root(t.partition(":")[2], lang) for t in sorted(heads))
                + tuple(r for r in self.prefixes if r),
            )
            self._by_lang[lang] = cached
        return cached

    def spans(self, text: str, lang: str, folded: str | None = None) -> list[Span]:
        """The matches in text; folded is quick_fold(text) where the caller has it (fold_blocks)."""
        lang = term_language(lang)
        found = self._terms(lang)
        terms, phrases, roots = found.terms, found.phrases, found.roots
        aliases = self.aliases  # names in the other script: no cheap substring test for them
        if not roots and not aliases:
            return []
        if folded is None:
            folded = quick_fold(text)
        if aliases and self._cyrillic_aliases and not CYRILLIC_RE.search(folded):
            aliases = frozenset()  # ...but a Cyrillic name needs a Cyrillic letter
        if not aliases and not any(r in folded for r in roots):
            return []
        stops = stop_words(lang)
        prefix = lang + ":"
        if (
            not phrases
            and not self.prefixes
            and not aliases
            and "" not in roots
            and len(folded) == len(text)
        ):
            return self._words_with_roots(text, folded, lang, terms, stops, prefix)
        out: list[Span] = []
        # (span, term) of each indexed word, in order: the positions a phrase counts
        indexed: list[tuple[Span, str]] = []
        for m in WORD_RE.finditer(text):
            word = m.group().lower()
            term = prefix + stem(word, lang) if word not in stops else None
            if term is not None and phrases:
                indexed.append(((m.start(), m.end()), term))
            if term is None and not self.prefixes:
                continue
            if (
                (term is not None and term in terms)
                or (self.prefixes and quick_fold(word).startswith(tuple(self.prefixes)))
                or (aliases and m.group()[0].isupper() and alias_term(m.group()) in aliases)
            ):
                out.append((m.start(), m.end()))
        if phrases:
            out = sorted(set(out) | set(_phrase_spans(indexed, phrases)))
        return out

    def _words_with_roots(
        self,
        text: str,
        folded: str,
        lang: str,
        terms: frozenset[str],
        stops: frozenset[str],
        prefix: str,
    ) -> list[Span]:
        """spans() of a query of words alone, stemming only the words around a root: every
        match holds one (see _terms), and reading every word of every candidate block was
        most of a snippet's time (a long block, one match). The folded text is as long as the
        text, so a root found at a place of one is at the same place of the other (quick_fold
        folds character by character); the words are read between the white space on either
        side, as reading the whole text finds them."""
        pattern = self._pattern(lang)
        if pattern is None:
            return []
        out: list[Span] = []
        end = 0
        for hit in pattern.finditer(folded):
            if hit.start() < end:
                continue  # in the stretch read for the last root
            start = _space_before(text, hit.start())
            end = _space_after(text, hit.end())
            for m in WORD_RE.finditer(text, start, end):
                word = m.group().lower()
                if word not in stops and prefix + stem(word, lang) in terms:
                    out.append((m.start(), m.end()))
        return out

    def _pattern(self, lang: str) -> re.Pattern[str] | None:
        """Any root of the query's terms in lang (and any Cyrillic letter, where the query has
        names in Cyrillic): a block or a word without one cannot match."""
        found = self._patterns.get(lang)
        if found is None and lang not in self._patterns:
            options = [re.escape(r) for r in self._terms(lang).roots]
            if self.aliases:
                options.append(CYRILLIC_RE.pattern)
            found = self._patterns[lang] = re.compile("|".join(options)) if options else None
        return found

    def _candidates(self, folded: list[str], lang: str) -> Iterable[int]:
        """The blocks (by their folded texts) where spans() may find something: spans() tests
        the same, one block at a time, but a hit may have a thousand blocks."""
        if self.aliases and not self._cyrillic_aliases:
            return range(len(folded))
        found = self._pattern(term_language(lang))
        if found is None:
            return ()
        return [i for i, text in enumerate(folded) if found.search(text)]

    def snippets(self, doc: Document, limit: int = MAX_SNIPPETS) -> tuple[str, ...]:
        """Up to `limit` snippets from the best-matching blocks; the opening text if none match."""
        return tuple(snippet for snippet, _ in self.snippet_blocks(doc, limit))

    def snippet_blocks(
        self, doc: Document, limit: int = MAX_SNIPPETS
    ) -> tuple[tuple[str, int], ...]:
        """snippets() with the index of the block each comes from: a result links to it."""
        lang = doc.metadata.language
        scored: list[tuple[int, int, int, list[Span]]] = []
        if not self.empty:
            examined = 0
            folded = fold_blocks(doc.blocks)
            for i in self._candidates(folded, lang):
                block = doc.blocks[i]
                spans = self.spans(block.text, lang, folded[i])
                if not spans:
                    continue
                distinct = len({quick_fold(block.text[a:b]) for a, b in spans})
                scored.append((distinct, len(spans), -i, spans))
                examined += 1
                if examined >= MAX_CANDIDATES:
                    break
        if not scored:
            first = next((i for i, b in enumerate(doc.blocks) if b.kind == "paragraph"), None)
            return ((window(doc.blocks[first].text, []), first),) if first is not None else ()
        scored.sort(reverse=True)
        return tuple((window(doc.blocks[-s[2]].text, s[3]), -s[2]) for s in scored[:limit])

    def view(self, doc: Document, q: str) -> DocumentView:
        lang = doc.metadata.language
        rendered: list[RenderedBlock] = []
        passages: list[Passage] = []
        outline: list[tuple[int, int, str]] = []
        heading = ""
        counter = 0
        folded = fold_blocks(doc.blocks) if not self.empty else [""] * len(doc.blocks)
        for i, block in enumerate(doc.blocks):
            spans = [] if self.empty else self.spans(block.text, lang, folded[i])
            html = mark(block.text, spans, first_id=counter)
            counter += len(spans)
            rendered.append(RenderedBlock(block.kind, block.level, html, len(spans)))
            if block.kind == "heading":
                heading = block.text
                outline.append((i, block.level or 2, block.text))
            if spans:
                passages.append(
                    Passage(
                        i, heading if block.kind != "heading" else "", window(block.text, spans)
                    )
                )
        return DocumentView(doc, q, tuple(rendered), tuple(passages), tuple(outline))


@dataclass(frozen=True)
class _LangTerms:
    terms: frozenset[str]  # "lang:stem" terms marked wherever they stand
    phrases: tuple[tuple[tuple[str, ...], int], ...]  # (terms, slop): marked only in a row
    roots: tuple[str, ...]  # substrings every match contains (a cheap test before analysis)


def _phrase_spans(
    indexed: list[tuple[Span, str]], phrases: tuple[tuple[tuple[str, ...], int], ...]
) -> list[Span]:
    """The words of each occurrence of each phrase: its terms in order, each within slop
    positions of the one before (as Whoosh's phrase query counts them: slop 0 is adjacent)."""
    out: list[Span] = []
    terms = [t for _, t in indexed]
    for words, slop in phrases:
        reach = max(1, slop)
        for start, term in enumerate(terms):
            if term != words[0]:
                continue
            found, at = [start], start
            for word in words[1:]:
                nxt = next(
                    (j for j in range(at + 1, min(len(terms), at + 1 + reach)) if terms[j] == word),
                    None,
                )
                if nxt is None:
                    break
                found.append(nxt)
                at = nxt
            if len(found) == len(words):
                out.extend(indexed[j][0] for j in found)
    return out


def _root(stemmed: str, lang: str) -> str:
    """A substring of every word whose term is lang:stemmed: a stem less its last letter (which
    a stemmer may change: happy -> happi), or for a lemma of ru or uk what all its forms begin
    with ("" where nothing: every text may hold one)."""
    if lang in MORPH_LANGUAGES and CYRILLIC_RE.search(stemmed):
        return forms_beginning(stemmed, lang)
    return stemmed[:-1] if len(stemmed) > 3 else stemmed


def _space_before(text: str, at: int) -> int:
    """Where the stretch without white space around `at` begins."""
    return max(text.rfind(" ", 0, at), text.rfind("\n", 0, at), text.rfind("\t", 0, at)) + 1


def _space_after(text: str, at: int) -> int:
    """Where the stretch without white space around `at` ends."""
    ends = [i for i in (text.find(" ", at), text.find("\n", at), text.find("\t", at)) if i >= 0]
    return min(ends) if ends else len(text)


def quick_fold(text: str) -> str:
    """analysis.fold(text), character by character where that is the same: every block of a hit
    is folded, and fold's loop over a decomposed text is slow on accented (Spanish, French) and
    curly-quoted text. Each character is folded once alone; a text with a character whose fold
    could depend on its neighbours (a combining mark, a decomposition starting with one, a
    change of case when lowered again), or whose result is not in composed form, is folded
    whole."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    changed: list[tuple[str, str]] = []
    for ch in set(lowered):
        if ch < "\x80":
            continue
        folded = _FOLDED.get(ch, "")
        if folded == "":
            folded = _FOLDED[ch] = _fold_alone(ch)
        if folded is None:
            return fold(text)
        if folded != ch:
            changed.append((ch, folded))
    # one replace per changed character (fast on long text, unlike translate's lookup per
    # character); a result never holds a character that changes, so order does not matter
    for ch, folded in changed:
        lowered = lowered.replace(ch, folded)
    return lowered if unicodedata.is_normalized("NFC", lowered) else fold(text)


def _fold_alone(ch: str) -> str | None:
    """fold(ch) where that is what ch folds to in any text, else None."""
    if ch.lower() != ch or unicodedata.combining(unicodedata.normalize("NFD", ch)[0]):
        return None
    folded = fold(ch)
    return folded if all(fold(c) == c for c in folded) else None


def fold_blocks(blocks: tuple[Block, ...]) -> list[str]:
    """quick_fold of each block's text, folded in one pass: a hit may have a thousand short blocks
    (a transcript's lines). Joined by a character that no block holds, which folds to itself
    and neither composes nor changes case with its neighbours, the blocks fold each as alone."""
    texts = [b.text for b in blocks]
    joined = _SEPARATOR.join(texts)
    if joined.count(_SEPARATOR) == len(texts) - 1:
        parts = quick_fold(joined).split(_SEPARATOR)
        if len(parts) == len(texts):
            return parts
    return [quick_fold(t) for t in texts]


def mark(text: str, spans: list[Span], first_id: int | None = None) -> str:
    """Escaped text with <mark> around each span; ids hit-N from first_id when given."""
    out: list[str] = []
    last = 0
    for n, (a, b) in enumerate(spans):
        out.append(escape(text[last:a]))
        ident = f' id="hit-{first_id + n}"' if first_id is not None else ""
        out.append(f"<mark{ident}>{escape(text[a:b])}</mark>")
        last = b
    out.append(escape(text[last:]))
    return "".join(out)


def window(text: str, spans: list[Span], width: int = SNIPPET_CHARS) -> str:
    """The stretch of text around the densest run of spans, escaped and marked, with ellipses."""
    if len(text) <= width:
        return mark(text, spans)
    start = 0
    if spans:
        best = max(
            range(len(spans)),
            key=lambda i: (sum(1 for a, b in spans[i:] if b <= spans[i][0] + width), -i),
        )
        start = max(0, spans[best][0] - width // 4)
        while start > 0 and not text[start - 1].isspace() and spans[best][0] - start < width // 2:
            start -= 1
    end = min(len(text), start + width)
    while end < len(text) and not text[end].isspace() and end - start < width + 30:
        end += 1
    inside = [(a - start, b - start) for a, b in spans if a >= start and b <= end]
    body = mark(text[start:end], inside)
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")
