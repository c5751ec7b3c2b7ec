"""Searching: queries, filters, facets, sorting, "did you mean". The only module that reads Whoosh.

One Whoosh searcher is kept open and refreshed when the index changes (checked at most once a
second, or at once after our own commits). Facet counts and filters come from a per-searcher
cache of each document's facet values, so a page costs one scored search plus set arithmetic.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable

from whoosh import query as wq
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.sorting import FieldFacet

from archive.analysis import TERM_LANGUAGES, UNKNOWN, fold, query_word_terms
from archive.errors import BadQuery
from archive.highlight import Highlighter
from archive.index import FACET_FIELDS, TEXT_FIELDS, Index, date_key
from archive.models import Document, FacetValue, Hit, Page, SearchQuery
from archive.query_syntax import And, DateRange, Node, Not, Or, Phrase, Value, Word, parse

FACET_LIMIT = 30
MAX_PREFIX_TERMS = 300
REFRESH_SECONDS = 1.0
# query field -> index fields it searches
FIELD_TARGETS = {
    None: ("title", "headings", "body", "authors_text", "tags_text"),
    "title": ("title",),
    "headings": ("headings",),
    "body": ("body",),
    "authors": ("authors_text",),
    "tags": ("tags_text",),
}
SORTS = {
    "newest": FieldFacet("date_desc", reverse=True),
    "oldest": FieldFacet("date_asc"),
    "title": FieldFacet("title_sort"),
}

ALL = wq.Every()
NOTHING = wq.NullQuery


class FacetCache:
    """Each live document's facet values, date and catalog id, by Whoosh document number."""

    def __init__(self, searcher: Searcher) -> None:
        reader = searcher.reader()
        n = reader.doc_count_all()
        self.live = frozenset(reader.all_doc_ids())
        self.values: dict[str, list[tuple[str, ...]]] = {}
        for facet in FACET_FIELDS:
            per_doc: list[tuple[str, ...]] = [()] * n
            if facet in reader.indexed_field_names():
                for raw in reader.lexicon(facet):
                    value = raw.decode("utf-8")
                    for d in reader.postings(facet, raw).all_ids():
                        per_doc[d] = (*per_doc[d], value)
            self.values[facet] = per_doc
        self.dates = list(reader.column_reader("date_desc")) if n else []

    def docs_with(self, facet: str, values: Iterable[str]) -> set[int]:
        wanted = set(values)
        column = self.values[facet]
        return {d for d in self.live if wanted.intersection(column[d])}

    def count(self, facet: str, docs: Iterable[int]) -> Counter[str]:
        column = self.values[facet]
        counts: Counter[str] = Counter()
        for d in docs:
            counts.update(column[d])
        return counts


class SearchEngine:
    def __init__(self, index: Index, fetch: Callable[[list[int]], dict[int, Document]]) -> None:
        """fetch(ids) returns catalog documents, for snippets."""
        self.index = index
        self.fetch = fetch
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._cache: FacetCache | None = None
        self._checked = 0.0
        self._stale = False

    def changed(self) -> None:
        """Our own commit landed: the next search uses a fresh searcher."""
        self._stale = True

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None

    def _current(self) -> tuple[Searcher, FacetCache]:
        now = time.monotonic()
        if self._searcher is None or getattr(self._searcher.ixreader, "is_closed", False):
            self._searcher = self.index.ix.searcher(weighting=BM25F())
            self._cache = None
        elif self._stale or now - self._checked > REFRESH_SECONDS:
            if not self._searcher.up_to_date():
                # a new searcher rather than refresh(): refresh() fails on an empty index's reader
                self._searcher.close()
                self._searcher = self.index.ix.searcher(weighting=BM25F())
                self._cache = None
            self._checked = now
        self._stale = False
        if self._cache is None:
            self._cache = FacetCache(self._searcher)
        return self._searcher, self._cache

    def search(self, sq: SearchQuery) -> Page:
        node = parse(sq.text)
        with self._lock:
            searcher, cache = self._current()
            compiled = compile_node(node, searcher) if node is not None else ALL
            base = cache.live if compiled is ALL else set(searcher.docs_for_query(compiled))
            selections = {f: cache.docs_with(f, v) for f, v in sq.filters.items() if v}
            if sq.date_from or sq.date_to:
                selections["_dates"] = _date_docs(cache, sq.date_from, sq.date_to)
            matched = _intersect(base, selections.values())
            facets = {}
            for facet in FACET_FIELDS:
                others = [s for name, s in selections.items() if name != facet]
                docs = matched if facet not in selections else _intersect(base, others)
                chosen = sq.filters.get(facet, ())
                facets[facet] = _facet_values(facet, cache.count(facet, docs), chosen)
            ranked = self._rank(searcher, compiled, matched, sq)
            suggestion = None
            if not matched and node is not None:
                suggestion = self._suggest(searcher, sq.text, node)
        docs = self.fetch([doc_id for doc_id, _ in ranked])
        highlighter = Highlighter(node)
        hits = tuple(_hit(docs[i], score, highlighter) for i, score in ranked if i in docs)
        return Page(sq, len(matched), hits, facets, suggestion)

    def _rank(
        self, searcher: Searcher, compiled: wq.Query, matched: set[int], sq: SearchQuery
    ) -> list[tuple[int, float]]:
        if not matched:
            return []
        sort = sq.sort if sq.sort != "relevance" or compiled is not ALL else "newest"
        limit = sq.page * sq.per_page
        results = searcher.search(
            compiled, filter=matched, limit=limit, sortedby=SORTS.get(sort), terms=False
        )
        start = (sq.page - 1) * sq.per_page
        scored = sort == "relevance"
        return [
            (
                int(searcher.stored_fields(results.docnum(n))["id"]),
                results.score(n) if scored else 0.0,
            )
            for n in range(start, min(limit, results.scored_length()))
        ]

    def _suggest(self, searcher: Searcher, text: str, node: Node) -> str | None:
        """A corrected query that has hits, from the archive's own vocabulary."""
        reader = searcher.reader()
        corrected = text
        for word in _plain_words(node):
            if compile_node(word, searcher) is not NOTHING:
                continue
            key = f"{UNKNOWN}:{fold(word.text)}"
            options = sorted(
                (-reader.doc_frequency("spell", t), t)
                for t in reader.terms_within("spell", key, 2, prefix=4)
            )
            if not options:
                return None
            best = options[0][1]
            best = best.decode() if isinstance(best, bytes) else best
            corrected = corrected.replace(word.text, best.partition(":")[2], 1)
        if corrected == text:
            return None
        fixed = parse(corrected)
        compiled = compile_node(fixed, searcher) if fixed is not None else NOTHING
        if compiled is NOTHING or not any(True for _ in searcher.docs_for_query(compiled)):
            return None
        return corrected

    def matched_ids(self, text: str) -> set[int]:
        """Catalog ids of the documents a query matches (for checks and tests)."""
        node = parse(text)
        with self._lock:
            searcher, cache = self._current()
            compiled = compile_node(node, searcher) if node is not None else ALL
            docs = cache.live if compiled is ALL else set(searcher.docs_for_query(compiled))
            return {int(searcher.stored_fields(d)["id"]) for d in docs}


def _plain_words(node: Node) -> list[Word]:
    if isinstance(node, Word):
        return [] if node.prefix or node.field else [node]
    if isinstance(node, And | Or):
        return [w for c in node.children for w in _plain_words(c)]
    return []


def _intersect(base: Iterable[int], sets: Iterable[set[int]]) -> set[int]:
    result = set(base)
    for s in sorted(sets, key=len):
        result &= s
    return result


def _date_docs(cache: FacetCache, start: str | None, end: str | None) -> set[int]:
    lo = date_key(start) if start else 1
    hi = date_key(end) if end else 99999999
    if end and len(end) == 4:
        hi += 1299
    elif end and len(end) == 7:
        hi += 99
    dates = cache.dates
    return {d for d in cache.live if dates[d] and lo <= dates[d] <= hi}


def _facet_values(
    facet: str, counts: Counter[str], chosen: tuple[str, ...]
) -> tuple[FacetValue, ...]:
    if facet == "year":
        top = sorted(counts.items(), key=lambda kv: kv[0], reverse=True)[:FACET_LIMIT]
    else:
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_LIMIT]
    shown = {v for v, _ in top}
    values = [FacetValue(v, c, v in chosen) for v, c in top]
    values += [FacetValue(v, counts.get(v, 0), True) for v in chosen if v not in shown]
    return tuple(values)


def _hit(doc: Document, score: float, highlighter: Highlighter) -> Hit:
    m = doc.metadata
    return Hit(
        doc.id, m.title, m.authors, m.publication, m.date, m.date_ambiguous, m.language,
        m.tags, round(score, 4), highlighter.snippets(doc),
    )  # fmt: skip


def compile_node(node: Node, searcher: Searcher) -> wq.Query:
    """The Whoosh query for a parsed query; ALL matches everything, NOTHING nothing."""
    reader = searcher.reader()
    if isinstance(node, Word):
        return _word(node, reader)
    if isinstance(node, Phrase):
        return _phrase(node, reader)
    if isinstance(node, Value):
        return wq.Term(node.field, node.value) if (node.field, node.value) in reader else NOTHING
    if isinstance(node, DateRange):
        lo = date_key(node.start) if node.start else 1
        hi = (
            date_key(node.end) + (1299 if len(node.end) == 4 else 99 if len(node.end) == 7 else 0)
            if node.end
            else 99999999
        )
        return wq.NumericRange("date_desc", lo, hi)
    if isinstance(node, Not):
        inner = compile_node(node.child, searcher)
        return NOTHING if inner is ALL else ALL if inner is NOTHING else wq.Not(inner)
    parts = [compile_node(c, searcher) for c in node.children]
    if isinstance(node, And):
        if any(p is NOTHING for p in parts):
            return NOTHING
        positive = [p for p in parts if p is not ALL and not isinstance(p, wq.Not)]
        negative = [p for p in parts if isinstance(p, wq.Not)]
        if not positive:
            return ALL if not negative else wq.And([ALL, *negative])
        return positive[0] if len(positive) == 1 and not negative else wq.And(positive + negative)
    if any(p is ALL for p in parts):
        return ALL
    kept = [p for p in parts if p is not NOTHING]
    return NOTHING if not kept else kept[0] if len(kept) == 1 else wq.Or(kept)


def _targets(field: str | None) -> tuple[str, ...]:
    return FIELD_TARGETS[field]


def _word(node: Word, reader) -> wq.Query:  # noqa: ANN001 - a Whoosh reader
    subqueries: list[wq.Query] = []
    if node.prefix:
        count = 0
        for field in _targets(node.field):
            langs = (UNKNOWN,) if field == "authors_text" else TERM_LANGUAGES
            for lang in langs:
                for term in reader.expand_prefix(field, f"{lang}:{fold(node.text)}"):
                    count += 1
                    if count > MAX_PREFIX_TERMS:
                        raise BadQuery(
                            f'Too many words start with "{node.text}"; type more letters.'
                        )
                    subqueries.append(wq.Term(field, term, boost=TEXT_FIELDS[field]))
        return wq.Or(subqueries) if subqueries else NOTHING
    terms = query_word_terms(node.text)
    stop_langs = [lang for lang, t in terms.items() if t is None]
    for field in _targets(node.field):
        options = [terms[UNKNOWN]] if field == "authors_text" else terms.values()
        for term in dict.fromkeys(options):
            if term is not None and (field, term) in reader:
                subqueries.append(wq.Term(field, term, boost=TEXT_FIELDS[field]))
    if len(stop_langs) == len(terms):
        return ALL
    for lang in stop_langs:  # a stop word in L leaves L's documents unconstrained
        subqueries.append(wq.ConstantScoreQuery(wq.Term("lang_key", lang), 0.0))
    if not subqueries:
        return NOTHING
    return subqueries[0] if len(subqueries) == 1 else wq.Or(subqueries)


def _phrase(node: Phrase, reader) -> wq.Query:  # noqa: ANN001 - a Whoosh reader
    per_word = [query_word_terms(w) for w in node.words]
    subqueries: list[wq.Query] = []
    for field in _targets(node.field):
        langs = (UNKNOWN,) if field == "authors_text" else TERM_LANGUAGES
        for lang in langs:
            terms = [t[lang] for t in per_word if t[lang] is not None]
            if not terms or not all((field, t) in reader for t in terms):
                continue
            boost = TEXT_FIELDS[field]
            if len(terms) == 1:
                subqueries.append(wq.Term(field, terms[0], boost=boost))
            else:
                subqueries.append(wq.Phrase(field, terms, slop=max(1, node.slop), boost=boost))
    if not subqueries:
        return NOTHING
    return subqueries[0] if len(subqueries) == 1 else wq.Or(subqueries)
