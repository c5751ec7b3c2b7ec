"""Searching: queries, filters, facets, sorting, "did you mean". The only module that reads Whoosh.

One Whoosh searcher is kept open and refreshed when the index changes (checked at most once a
second, or at once after our own commits). Facet counts and filters come from a per-searcher
cache of each document's facet values, so a page costs one scored search plus set arithmetic.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet

from whoosh import query as wq
from whoosh.searching import Searcher
from whoosh.sorting import FieldFacet

from archive.errors import NotFound
from archive.facet_cache import FacetCache, SegmentValues, matched_docs
from archive.facet_pages import facet_page
from archive.highlight import Highlighter
from archive.index import FACET_FIELDS, Index, date_key
from archive.models import (
    Document,
    FacetPage,
    FacetValue,
    Hit,
    Page,
    SearchQuery,
    SimilarDocument,
    Suggestion,
)
from archive.query_compile import (
    ALL,
    NOTHING,
    bind,
    compile_node,
    marks_for,
    weighting,
)
from archive.query_syntax import Node, Word, parse
from archive.similar import similar
from archive.suggest import FEW_HITS, Vocabulary, correct, spell_frequency, spell_terms
from archive.timeline import buckets

FACET_LIMIT = 30
# facets whose values are names of people (and, from the names work, organisations and places)
NAME_FACETS = ("authors", "names")
REFRESH_SECONDS = 1.0
SORTS = {
    "newest": FieldFacet("date_desc", reverse=True),
    "oldest": FieldFacet("date_asc"),
    "title": FieldFacet("title_sort"),
}


class SearchEngine:
    def __init__(self, index: Index, fetch: Callable[[list[int]], dict[int, Document]]) -> None:
        """fetch(ids) returns catalog documents, for snippets."""
        self.index = index
        self.fetch = fetch
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._cache: FacetCache | None = None
        self._segments: dict[str, SegmentValues] = {}  # kept across searchers: see facet_cache
        self._checked = 0.0
        self._stale = False
        self._vocabulary: tuple[FacetCache, Vocabulary] | None = None  # autocomplete's

    def changed(self) -> None:
        """Our own commit landed: the next search uses a fresh searcher."""
        self._stale = True

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None

    def _open_searcher(self) -> Searcher:
        return bind(self.index.ix.searcher(weighting=weighting()), self.index.variants)

    def _current(self) -> tuple[Searcher, FacetCache]:
        now = time.monotonic()
        if self._searcher is None or getattr(self._searcher.ixreader, "is_closed", False):
            self._searcher = self._open_searcher()
            self._cache = None
        elif self._stale or now - self._checked > REFRESH_SECONDS:
            if not self._searcher.up_to_date():
                # a new searcher rather than refresh(): refresh() fails on an empty index's reader
                self._searcher.close()
                self._searcher = self._open_searcher()
                self._cache = None
            self._checked = now
        self._stale = False
        if self._cache is None:
            self._cache = FacetCache(self._searcher, self._segments)
        return self._searcher, self._cache

    def search(self, sq: SearchQuery) -> Page:
        node = parse(sq.text)
        with self._lock:
            searcher, cache = self._current()
            compiled, base, selections = self._scope(searcher, cache, node, sq)
            matched = _intersect(base, selections.values())
            facets, totals = {}, {}
            for facet in FACET_FIELDS:
                counts = cache.count(facet, _facet_docs(facet, base, matched, selections))
                facets[facet] = _facet_values(facet, counts, sq.filters.get(facet, ()))
                totals[facet] = len(counts)
            # the timeline ignores the date range, as a facet ignores its own selection
            undated = _intersect(base, [s for name, s in selections.items() if name != "_dates"])
            years = sq.filters.get("year", ())
            keys = map(cache.dates.__getitem__, undated)
            timeline = buckets(keys, sq.date_from, sq.date_to, years)
            ranked = self._rank(searcher, compiled, matched, sq)
            suggestion = None
            if node is not None and len(base) <= FEW_HITS:
                suggestion = self._suggest(searcher, cache, sq.text, node, len(base))
            marks = marks_for(searcher, node)
        docs = self.fetch([doc_id for doc_id, _ in ranked])
        highlighter = Highlighter(node, marks)
        hits = tuple(_hit(docs[i], score, highlighter) for i, score in ranked if i in docs)
        return Page(sq, len(matched), hits, facets, suggestion, timeline, totals)

    def _scope(
        self, searcher: Searcher, cache: FacetCache, node: Node | None, sq: SearchQuery
    ) -> tuple[wq.Query, AbstractSet[int], dict[str, set[int]]]:
        """The compiled query, the documents it matches, and the documents of each filter."""
        compiled = compile_node(node, searcher) if node is not None else ALL
        base = _matched(searcher, cache, compiled)
        selections = {f: cache.docs_with(f, v) for f, v in sq.filters.items() if v}
        if sq.date_from or sq.date_to:
            selections["_dates"] = _date_docs(cache, sq.date_from, sq.date_to)
        return compiled, base, selections

    def facet_page(
        self, sq: SearchQuery, facet: str, match: str, page: int, per_page: int
    ) -> FacetPage:
        """One page of a facet's values under sq (counted as in search), filtered by match."""
        if facet not in FACET_FIELDS:
            raise NotFound(f"there is no facet {facet!r}; facets: {', '.join(FACET_FIELDS)}")
        node = parse(sq.text)
        with self._lock:
            searcher, cache = self._current()
            _, base, selections = self._scope(searcher, cache, node, sq)
            matched = _intersect(base, selections.values())
            counts = cache.count(facet, _facet_docs(facet, base, matched, selections))
        return facet_page(facet, counts, sq.filters.get(facet, ()), match, page, per_page)

    def complete(
        self, text: str, limit: int, titles: Callable[[], Iterable[tuple[int, str]]]
    ) -> list[Suggestion]:
        """Autocomplete; the vocabulary is built once per searcher (titles() lists titles)."""
        with self._lock:
            searcher, cache = self._current()
            if self._vocabulary is None or self._vocabulary[0] is not cache:
                self._vocabulary = (cache, _vocabulary(searcher, cache, titles()))
            # under the lock: the vocabulary counts its candidates' live documents in the reader
            return self._vocabulary[1].complete(text, limit)

    def similar(self, doc: Document, limit: int) -> tuple[SimilarDocument, ...]:
        with self._lock:
            searcher, _ = self._current()
            ranked = similar(searcher, doc, limit)
        docs = self.fetch([doc_id for doc_id, _ in ranked])
        return tuple(
            SimilarDocument(i, docs[i].metadata.title, docs[i].metadata.date, score)
            for i, score in ranked
            if i in docs
        )

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

    def _suggest(
        self, searcher: Searcher, cache: FacetCache, text: str, node: Node, hits: int
    ) -> str | None:
        """A corrected query worth offering, from the archive's own vocabulary."""

        def known(word: Word) -> bool:
            """Whether the word matches a live document (a deleted one's words stay listed)."""
            compiled = compile_node(word, searcher, fuzzy=False)
            return compiled is not NOTHING and bool(_matched(searcher, cache, compiled))

        def count(corrected: str) -> int:
            fixed = parse(corrected)
            compiled = compile_node(fixed, searcher) if fixed is not None else NOTHING
            return 0 if compiled is NOTHING else len(_matched(searcher, cache, compiled))

        return correct(searcher.reader(), text, node, hits, known, count)

    def highlighter(self, text: str) -> Highlighter:
        """Marks what the query matches, other spellings included (for the document view)."""
        node = parse(text) if text.strip() else None
        with self._lock:
            searcher, _ = self._current()
            return Highlighter(node, marks_for(searcher, node))

    def matched_ids(self, text: str) -> set[int]:
        """Catalog ids of the documents a query matches (for checks and tests)."""
        node = parse(text)
        with self._lock:
            searcher, cache = self._current()
            compiled = compile_node(node, searcher) if node is not None else ALL
            docs = _matched(searcher, cache, compiled)
            return {int(searcher.stored_fields(d)["id"]) for d in docs}


def _matched(searcher: Searcher, cache: FacetCache, compiled: wq.Query) -> AbstractSet[int]:
    if compiled is ALL:
        return cache.live
    return matched_docs(searcher, compiled, cache.live, cache.dates)


def _facet_docs(
    facet: str, base: AbstractSet[int], matched: set[int], selections: dict[str, set[int]]
) -> set[int]:
    """The documents a facet counts: every filter applies but the facet's own selection."""
    if facet not in selections:
        return matched
    return _intersect(base, [s for name, s in selections.items() if name != facet])


def _vocabulary(
    searcher: Searcher, cache: FacetCache, titles: Iterable[tuple[int, str]]
) -> Vocabulary:
    names: Counter[str] = Counter()
    for facet in NAME_FACETS:
        names.update(cache.count(facet, cache.live) if facet in cache.values else {})
    # in a large archive a word found in one document only is as likely a typo as a word
    min_df = 2 if len(cache.live) >= 200 else 1
    reader = searcher.reader()

    def live(word: str) -> int:
        found = spell_frequency(reader, word)
        return found if found >= min_df else 0

    return Vocabulary(names, spell_terms(reader, min_df), titles, live)


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
        top = _most_common(counts, FACET_LIMIT)
    shown = {v for v, _ in top}
    values = [FacetValue(v, c, v in chosen) for v, c in top]
    values += [FacetValue(v, counts.get(v, 0), True) for v in chosen if v not in shown]
    return tuple(values)


def _most_common(counts: Counter[str], n: int) -> list[tuple[str, int]]:
    """The n most frequent values, ties by value. The names facet has tens of thousands of
    values: the nth largest count (found over the bare counts) leaves few to order."""
    items: Iterable[tuple[str, int]] = counts.items()
    if len(counts) > n:
        floor = heapq.nlargest(n, counts.values())[-1]
        items = [kv for kv in items if kv[1] >= floor]
    return heapq.nsmallest(n, items, key=lambda kv: (-kv[1], kv[0]))


def _hit(doc: Document, score: float, highlighter: Highlighter) -> Hit:
    m = doc.metadata
    return Hit(
        doc.id, m.title, m.authors, m.publication, m.date, m.date_ambiguous, m.language,
        m.tags, round(score, 4), highlighter.snippets(doc),
    )  # fmt: skip
