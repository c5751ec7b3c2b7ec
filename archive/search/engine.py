"""The SearchEngine: queries, filters, facets, sorting, "did you mean", autocomplete and more
like this, the surface through which the rest of the archive searches. It hands out Page, Hit,
FacetValue and our other models; no Whoosh object leaves archive/search, the one room that
imports Whoosh.

One generation of the index (archive.search.generation: a Whoosh searcher and its caches) is
kept and replaced when the index changes (checked at most once a second, or at once after our
own commits). Facet counts and filters come from the generation's cache of each document's
facet values, so a page costs one scored search plus set arithmetic.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import replace

from whoosh import query as wq
from whoosh.sorting import FieldFacet

from archive.errors import NotFound
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
from archive.search.compile import ALL, NOTHING, Compiled, weighting
from archive.search.facets import FacetCache, SegmentValues, facet_page
from archive.search.generation import Generation
from archive.search.highlight import Highlighter, Marks
from archive.search.index import FACET_FIELDS, Index, date_key
from archive.search.similar import similar
from archive.search.suggest import FEW_HITS, correct
from archive.search.syntax import Node, Word, parse
from archive.search.timeline import buckets

FACET_LIMIT = 30
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
        self._generation: Generation | None = None
        self._segments: dict[str, SegmentValues] = {}  # kept across generations: see FacetCache
        self._checked = 0.0
        self._stale = False

    def changed(self) -> None:
        """Our own commit landed: the next search uses a fresh searcher."""
        self._stale = True

    def close(self) -> None:
        with self._lock:
            if self._generation is not None:
                self._generation.close()
                self._generation = None

    def generation(self) -> Generation:
        """The current generation, for tests that compare the engine's lookups with Whoosh's own
        (it holds Whoosh objects: nothing outside archive.search may use it)."""
        with self._lock:
            return self._current()

    def _open(self) -> Generation:
        """The next generation, on a new searcher (the last one is closed, or was)."""
        self._generation = None
        searcher = self.index.searcher(weighting())
        try:
            self._generation = Generation(searcher, self.index.variants, self._segments)
        except BaseException:
            searcher.close()
            raise
        return self._generation

    def _current(self) -> Generation:
        now = time.monotonic()
        generation = self._generation
        if generation is None or generation.closed:
            generation = self._open()
        elif self._stale or now - self._checked > REFRESH_SECONDS:
            if not generation.searcher.up_to_date():
                # a new searcher rather than refresh(): refresh() fails on an empty index's reader
                generation.close()
                generation = self._open()
            self._checked = now
        self._stale = False
        return generation

    def search(self, sq: SearchQuery) -> Page:
        node = parse(sq.text)
        with self._lock:
            generation = self._current()
            cache = generation.facets
            compiled, base, selections = self._scope(generation, node, sq)
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
            ranked = self._rank(generation, compiled.query, matched, sq)
            suggestion = None
            if node is not None and len(base) <= FEW_HITS:
                suggestion = self._suggest(generation, sq.text, node, len(base))
        docs = self.fetch([doc_id for doc_id, _ in ranked])
        highlighter = Highlighter(node, compiled.marks)
        hits = tuple(_hit(docs[i], score, highlighter) for i, score in ranked if i in docs)
        return Page(sq, len(matched), hits, facets, suggestion, timeline, totals)

    def ranked_ids(self, sq: SearchQuery, limit: int) -> tuple[list[int], int]:
        """The ids of the first limit documents the search matches, in its order (its page and
        per_page ignored), and how many it matches."""
        node = parse(sq.text)
        with self._lock:
            generation = self._current()
            compiled, base, selections = self._scope(generation, node, sq)
            matched = _intersect(base, selections.values())
            ranked = self._rank(
                generation, compiled.query, matched, replace(sq, page=1, per_page=limit)
            )
        return [doc_id for doc_id, _ in ranked], len(matched)

    def _scope(
        self, generation: Generation, node: Node | None, sq: SearchQuery
    ) -> tuple[Compiled, AbstractSet[int], dict[str, set[int]]]:
        """The compiled query, the documents it matches, and the documents of each filter."""
        cache = generation.facets
        compiled = generation.compile(node) if node is not None else Compiled(ALL, Marks())
        base = generation.matched(compiled.query)
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
            generation = self._current()
            _, base, selections = self._scope(generation, node, sq)
            matched = _intersect(base, selections.values())
            docs = _facet_docs(facet, base, matched, selections)
            counts = generation.facets.count(facet, docs)
        return facet_page(facet, counts, sq.filters.get(facet, ()), match, page, per_page)

    def complete(
        self, text: str, limit: int, titles: Callable[[], Iterable[tuple[int, str]]]
    ) -> list[Suggestion]:
        """Autocomplete; the vocabulary is built once per generation (titles() lists titles)."""
        with self._lock:
            vocabulary = self._current().vocabulary(titles)
            # under the lock: the vocabulary counts its candidates' live documents in the reader
            return vocabulary.complete(text, limit)

    def similar(self, doc: Document, limit: int) -> tuple[SimilarDocument, ...]:
        with self._lock:
            generation = self._current()
            ranked = similar(generation.searcher, generation.lexicon, doc, limit)
        docs = self.fetch([doc_id for doc_id, _ in ranked])
        return tuple(
            SimilarDocument(i, docs[i].metadata.title, docs[i].metadata.date, score)
            for i, score in ranked
            if i in docs
        )

    def _rank(
        self, generation: Generation, query: wq.Query, matched: set[int], sq: SearchQuery
    ) -> list[tuple[int, float]]:
        if not matched:
            return []
        sort = sq.sort if sq.sort != "relevance" or query is not ALL else "newest"
        limit = sq.page * sq.per_page
        results = generation.searcher.search(
            query, filter=matched, limit=limit, sortedby=SORTS.get(sort), terms=False
        )
        start = (sq.page - 1) * sq.per_page
        scored = sort == "relevance"
        return [
            (generation.catalog_id(results.docnum(n)), results.score(n) if scored else 0.0)
            for n in range(start, min(limit, results.scored_length()))
        ]

    def _suggest(self, generation: Generation, text: str, node: Node, hits: int) -> str | None:
        """A corrected query worth offering, from the archive's own vocabulary."""

        def known(word: Word) -> bool:
            """Whether the word matches a live document (a deleted one's words stay listed)."""
            query = generation.compile(word, fuzzy=False).query
            return query is not NOTHING and bool(generation.matched(query))

        def count(corrected: str) -> int:
            fixed = parse(corrected)
            query = generation.compile(fixed).query if fixed is not None else NOTHING
            return 0 if query is NOTHING else len(generation.matched(query))

        return correct(generation.lexicon, text, node, hits, known, count)

    def highlighter(self, text: str) -> Highlighter:
        """Marks what the query matches, other spellings included (for the document view)."""
        node = parse(text) if text.strip() else None
        with self._lock:
            return Highlighter(node, self._current().marks(node))

    def matched_ids(self, text: str) -> set[int]:
        """Catalog ids of the documents a query matches (for checks and tests)."""
        node = parse(text)
        with self._lock:
            generation = self._current()
            query = generation.compile(node).query if node is not None else ALL
            return {generation.catalog_id(d) for d in generation.matched(query)}


def _facet_docs(
    facet: str, base: AbstractSet[int], matched: set[int], selections: dict[str, set[int]]
) -> set[int]:
    """The documents a facet counts: every filter applies but the facet's own selection."""
    if facet not in selections:
        return matched
    return _intersect(base, [s for name, s in selections.items() if name != facet])


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
        top = most_common(counts, FACET_LIMIT)
    shown = {v for v, _ in top}
    values = [FacetValue(v, c, v in chosen) for v, c in top]
    values += [FacetValue(v, counts.get(v, 0), True) for v in chosen if v not in shown]
    return tuple(values)


def most_common(counts: Counter[str], n: int) -> list[tuple[str, int]]:
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
        m.tags, round(score, 4), highlighter.snippets(doc), doc.added_at,
    )  # fmt: skip
