"""Parsed queries -> Whoosh queries, and the ranking they are scored with.

A query word matches its stem in every language (search/analysis.py) and, at lower weights, the
other spellings of its name (the variants file; a spelling of several words as a phrase, never
its words one by one), the same name in the other script (the `alias` field: Бахмут for
Bakhmut) and, for a word found once that is a slip of a far more frequent word as the archive
writes it (Donestk beside Donetsk), that word with all its spellings; word~ and word~2 are fuzzy
search (both in search/nearby.py). Each word stays one clause, so "how much of the
query a document matches" counts words, not spellings. Short queries AND their words; a longer
one (a pasted sentence) matches any of them, so one word absent everywhere does not empty it, and
BM25 ranks the fuller matches first.
Variants apply at query time only: editing the file needs no rebuild for matching (the names
facet, built at index time, does: search/index.py records the file's hash).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from archive.errors import BadQuery
from archive.search import nearby
from archive.search.analysis import TERM_LANGUAGES, UNKNOWN, fold, query_word_terms
from archive.search.highlight import Marks
from archive.search.index import ALIAS_FIELD, TEXT_FIELDS, date_key
from archive.search.lexicon import Lexicon
from archive.search.nearby import FUZZY_WORDS_PER_QUERY
from archive.search.syntax import And, DateRange, Node, Not, Phrase, Value, Word
from archive.search.variants import Variants, cross_script_term

ALL = wq.Every()
NOTHING = wq.NullQuery
MAX_PREFIX_TERMS = 300
# query field -> index fields it searches
FIELD_TARGETS = {
    None: ("title", "headings", "body", "authors_text", "tags_text"),
    "title": ("title",),
    "headings": ("headings",),
    "body": ("body",),
    "authors": ("authors_text",),
    "tags": ("tags_text",),
}
# BM25 tuned on SciFact's train queries (bench/relevance.py), Lucene's and Anserini's values:
# saturate term frequency early, normalise length gently (abstracts and articles vary a lot).
BM25_K1 = 0.9
BM25_B = 0.4
# Up to this many words, every word must match (AND); beyond, any of them, and BM25's sum
# ranks documents by how much of the query they hold. A minimum share costs more than it gives
# on SciFact's claims (a quarter of the words: nDCG@10 0.646, R@100 0.79; none: 0.688, 0.908).
SHORT_QUERY_WORDS = 4
# Weights of the ways a word matches besides its own stem: exact spellings rank first.
VARIANT_BOOST = 0.5
ALIAS_BOOST = 0.4
EXPANDED_FIELDS = (None, "title", "headings", "body")
DATE_FIELD = "date_desc"  # what date:[a TO b] searches


class ArchiveBM25(BM25F):
    """BM25 with Lucene's idf, log(1 + (N - n + 0.5) / (n + 0.5)): Whoosh's log(N / (n + 1)) + 1
    weighs a word found in most documents too close to a rare one."""

    def idf(self, searcher: Searcher, fieldname: str, text: bytes) -> float:
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        total = parent.doc_count_all()
        return math.log(1 + (total - n + 0.5) / (n + 0.5))


def weighting() -> BM25F:
    return ArchiveBM25(B=BM25_B, K1=BM25_K1)


@dataclass(frozen=True)
class Compiled:
    """A parsed query compiled: the Whoosh query (ALL matches everything, NOTHING nothing) and
    what it matches beyond its own words, for the highlighter."""

    query: wq.Query
    marks: Marks = field(default_factory=Marks)


def compile_node(node: Node, lexicon: Lexicon, variants: Variants, fuzzy: bool = True) -> Compiled:
    """The query for a parsed query, against one reader's lexicon, with these name variants
    (Settings.variants_path).

    fuzzy=False leaves out misspellings (for "is this word known", which they cannot change:
    a word gets them only when it matches by itself)."""
    compiler = Compiler(lexicon, variants)
    if not fuzzy:
        compiler.fuzzy_left = 0
    query = compiler.compile(node)
    return Compiled(query, compiler.marks)


class Compiler:
    def __init__(self, lexicon: Lexicon, variants: Variants) -> None:
        self.lexicon = lexicon
        self.reader = lexicon.reader
        self.variants = variants
        self.marks = Marks()
        self.fuzzy_left = FUZZY_WORDS_PER_QUERY  # slip lookups this query may still make

    def compile(self, node: Node, soft: bool = False) -> wq.Query:
        if isinstance(node, Word):
            return self.word(node, soft)
        if isinstance(node, Phrase):
            return self.phrase(node)
        if isinstance(node, Value):
            found = self.lexicon.contains(node.field, node.value)
            return wq.Term(node.field, node.value) if found else NOTHING
        if isinstance(node, DateRange):
            return wq.NumericRange(DATE_FIELD, *_date_bounds(node))
        if isinstance(node, Not):
            inner = self.compile(node.child)
            return NOTHING if inner is ALL else ALL if inner is NOTHING else wq.Not(inner)
        if isinstance(node, And):
            loose = [c for c in node.children if _is_plain(c)]
            if len(loose) > SHORT_QUERY_WORDS:
                return self.coverage(node, loose)
            return _and([self.compile(c) for c in node.children])
        parts = [self.compile(c) for c in node.children]
        if any(p is ALL for p in parts):
            return ALL
        kept = [p for p in parts if p is not NOTHING]
        return NOTHING if not kept else kept[0] if len(kept) == 1 else wq.Or(kept)

    def coverage(self, node: And, loose: list[Word | Phrase]) -> wq.Query:
        """A long query: any of its plain words, scored by how many (and how well) match.
        A word that is a stop word somewhere ("war" in German) only adds to the score."""
        counted: list[wq.Query] = []
        optional: list[wq.Query] = []
        for child in loose:
            q = self.compile(child, soft=True)
            if q is not NOTHING and q is not ALL:
                stopish = isinstance(child, Word) and None in query_word_terms(child.text).values()
                (optional if stopish else counted).append(q)
        others = [self.compile(c) for c in node.children if c not in loose]
        if not counted and not optional:
            return NOTHING
        core: wq.Query = wq.Or(counted or optional)
        if counted and optional:
            core = wq.AndMaybe(core, wq.Or(optional))
        return _and([core, *others])

    def word(self, node: Word, soft: bool = False) -> wq.Query:
        if node.prefix:
            return self.prefix(node)
        terms = query_word_terms(node.text)
        subqueries = self.exact((node.text,), node.field, 1.0)
        if node.field in EXPANDED_FIELDS:
            subqueries += self.spellings((node.text,), node.field)
            subqueries += self.cross_script(node.text)
            if node.fuzzy:
                subqueries += nearby.fuzzy(self, node.text, node.field, node.fuzzy)
            elif not soft:  # a long pasted query ranks by coverage: slips matter little there
                subqueries += nearby.slips(self, node.text, node.field, subqueries)
        stop_langs = [lang for lang, t in terms.items() if t is None]
        if len(stop_langs) == len(terms):
            return ALL
        if not soft:  # a stop word in L leaves L's documents unconstrained
            for lang in stop_langs:
                subqueries.append(wq.ConstantScoreQuery(wq.Term("lang_key", lang), 0.0))
        # two spellings can share an alias key (Донецьк, Донецк): each clause counts once
        return _or(dict.fromkeys(subqueries))

    def phrase(self, node: Phrase) -> wq.Query:
        subqueries = self.exact(node.words, node.field, 1.0, node.slop)
        if node.field in EXPANDED_FIELDS:
            subqueries += self.spellings(node.words, node.field)
        return _or(subqueries)

    def exact(
        self, words: tuple[str, ...], field: str | None, boost: float, slop: int = 0
    ) -> list[wq.Query]:
        """The words' own stems (one word) or phrase (several), in each field and language."""
        per_word = [query_word_terms(w) for w in words]
        out: list[wq.Query] = []
        for fieldname in FIELD_TARGETS[field]:
            langs = (UNKNOWN,) if fieldname == "authors_text" else TERM_LANGUAGES
            weight = TEXT_FIELDS[fieldname] * boost
            for term_list in dict.fromkeys(
                tuple(t[lang] for t in per_word if t[lang] is not None) for lang in langs
            ):
                if not term_list or not all(self.lexicon.contains(fieldname, t) for t in term_list):
                    continue
                if len(term_list) == 1:
                    out.append(wq.Term(fieldname, term_list[0], boost=weight))
                else:
                    out.append(wq.Phrase(fieldname, list(term_list), slop=max(1, slop)))
                    out[-1].boost = weight
        return out

    def spellings(
        self, words: tuple[str, ...], field: str | None, boost: float = 1.0
    ) -> list[wq.Query]:
        """The other spellings of a name in the variants file, and their other script."""
        out: list[wq.Query] = []
        for alt in self.variants.alternatives(words):
            found = self.exact(alt, field, VARIANT_BOOST * boost)
            if len(alt) == 1:
                found += self.cross_script(alt[0], VARIANT_BOOST * boost)
            if found:
                # a name of several words matched as a phrase: marked as one, never word by word
                (self.marks.words.update if len(alt) == 1 else self.marks.phrases.add)(alt)
                out.extend(found)
        return out

    def cross_script(self, word: str, boost: float = 1.0) -> list[wq.Query]:
        term = cross_script_term(word)
        if term is None or not self.lexicon.contains(ALIAS_FIELD, term):
            return []
        self.marks.aliases.add(term)
        return [wq.Term(ALIAS_FIELD, term, boost=ALIAS_BOOST * boost)]

    def targets(self, field: str | None) -> tuple[str, ...]:
        """The index fields a query field searches."""
        return FIELD_TARGETS[field]

    def prefix(self, node: Word) -> wq.Query:
        subqueries: list[wq.Query] = []
        for fieldname in FIELD_TARGETS[node.field]:
            langs = (UNKNOWN,) if fieldname == "authors_text" else TERM_LANGUAGES
            for lang in langs:
                for term in self.reader.expand_prefix(fieldname, f"{lang}:{fold(node.text)}"):
                    if len(subqueries) >= MAX_PREFIX_TERMS:
                        raise BadQuery(
                            f'Too many words start with "{node.text}"; type more letters.'
                        )
                    subqueries.append(wq.Term(fieldname, term, boost=TEXT_FIELDS[fieldname]))
        return wq.Or(subqueries) if subqueries else NOTHING


def _is_plain(node: Node) -> bool:
    """A word or phrase of running text: what a long query may leave unmatched."""
    if isinstance(node, Word):
        return not node.prefix and node.field is None
    return isinstance(node, Phrase) and node.field is None and node.slop == 0


def _and(parts: list[wq.Query]) -> wq.Query:
    if any(p is NOTHING for p in parts):
        return NOTHING
    positive = [p for p in parts if p is not ALL and not isinstance(p, wq.Not)]
    negative = [p for p in parts if isinstance(p, wq.Not)]
    if not positive:
        return ALL if not negative else wq.And([ALL, *negative])
    return positive[0] if len(positive) == 1 and not negative else wq.And(positive + negative)


def _or(subqueries: Iterable[wq.Query]) -> wq.Query:
    subqueries = list(subqueries)
    if not subqueries:
        return NOTHING
    return subqueries[0] if len(subqueries) == 1 else wq.Or(subqueries)


def _date_bounds(node: DateRange) -> tuple[int, int]:
    lo = date_key(node.start) if node.start else 1
    if not node.end:
        return lo, 99999999
    end = node.end
    return lo, date_key(end) + (1299 if len(end) == 4 else 99 if len(end) == 7 else 0)
