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

import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from functools import partial

import numpy as np
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
from archive.search.answers import Answer, fingerprint, query_key
from archive.search.compile import ALL, NOTHING, Compiled, weighting
from archive.search.facets import FacetCache, FacetCounts, SegmentValues, facet_page
from archive.search.generation import Generation
from archive.search.highlight import Highlighter, Marks
from archive.search.index import FACET_FIELDS, Index, date_key
from archive.search.lexicon import Presence
from archive.search.scoring import LOWER, Scored, TermCache, by_key
from archive.search.similar import similar
from archive.search.suggest import FEW_HITS, Vocabulary, correct
from archive.search.syntax import Node, Word, parse
from archive.search.timeline import months_buckets
from archive.search.values import KEYED_FACETS, ValueTable

FACET_LIMIT = 30
REFRESH_SECONDS = 1.0
# More like this asks for a few more than it shows: a document the index still holds but the
# catalog has trashed (before the next round) is dropped, and the list stays full.
SIMILAR_SPARE = 3
# An autocomplete vocabulary serves later generations that only added documents for this long.
VOCABULARY_SECONDS = 300.0
VOCABULARY_REBUILD_SECONDS = 0.5
SORTS = {"title": FieldFacet("title_sort")}
# sort -> (the date field it orders by, descending): ordered from the generation's date array
DATE_SORTS = {"newest": ("date_desc", True), "oldest": ("date_asc", False)}
UNDATED_LAST = 99999999  # date_asc of an undated document (search/index.py)


class SearchEngine:
    def __init__(self, index: Index, fetch: Callable[[list[int]], dict[int, Document]]) -> None:
        """fetch(ids) returns catalog documents, for snippets."""
        self.index = index
        self.fetch = fetch
        self._lock = threading.Lock()
        self._generation: Generation | None = None
        # kept across generations: see FacetCache and TermCache
        self._segments: dict[str, SegmentValues] = {}
        self._tables: dict[str, ValueTable] = {}
        self._terms = TermCache()
        self._presence = Presence()
        # (generation, its vocabulary, its deletions, when built): see complete()
        self._vocabulary: tuple[object, Vocabulary | None, frozenset, float] = (
            None,
            None,
            frozenset(),
            0.0,
        )
        self._checked = 0.0
        self._stale = False
        # (generation, query key, what _matches found) of the last query: see _matches
        self._last_matches: tuple[Generation, tuple, tuple] | None = None
        # queries compiled and scored (one answered from the last one's matches is not)
        self.evaluated = 0

    def changed(self) -> None:
        """Our own commit landed: the next search uses a fresh searcher."""
        self._stale = True

    def close(self) -> None:
        with self._lock:
            if self._generation is not None:
                self._generation.close()
                self._generation = None

    def warm(self) -> None:
        """Open the current generation now (a server's start) rather than at the first search."""
        with self._lock:
            self._current()

    def generation(self) -> Generation:
        """The current generation, for tests that compare the engine's lookups with Whoosh's own
        (it holds Whoosh objects: nothing outside archive.search may use it)."""
        with self._lock:
            return self._current()

    def _open(self) -> Generation:
        """The next generation, on a new searcher (the last one is closed, or was)."""
        self._generation = None
        self._last_matches = None  # its arrays go with the last generation
        searcher = self.index.searcher(weighting())
        try:
            self._generation = Generation(
                searcher,
                self.index.variants,
                self._segments,
                self._tables,
                self._terms,
                self.index.path,
                self._presence,
                self.index.settings.search_answers,
            )
        except BaseException:
            searcher.close()
            raise
        return self._generation

    def _current(self) -> Generation:
        now = time.monotonic()
        generation = self._generation
        # the flag is taken before the index is looked at, not cleared after: a commit told
        # (changed()) while a generation opens, from the server's indexing thread, must make
        # the next search look again (cleared after the opening, it was lost, and a search
        # begun after a write's "searchable" answer could miss it for up to REFRESH_SECONDS)
        stale, self._stale = self._stale, False
        if generation is None or generation.closed:
            generation = self._open()
        elif stale or now - self._checked > REFRESH_SECONDS:
            if not generation.searcher.up_to_date():
                # a new searcher rather than refresh(): refresh() fails on an empty index's reader
                generation.close()
                generation = self._open()
            self._checked = now
        return generation

    def search(self, sq: SearchQuery, shown: Sequence[tuple[int, float]] | None = None) -> Page:
        """sq's page; shown: the (catalog id, score) of the documents its hits show instead
        of its own ranking's (folding copies chooses them from ranked(): only they are
        fetched and given snippets)."""
        node = parse(sq.text)
        key = query_key(sq)
        with self._lock:
            generation = self._current()
            answers = generation.answers
            answer = answers.page(key)
            if answer is None:
                answer = self._answer(generation, node, sq)
                answers.keep_page(key, answer)
        ranked = answer.ranked if shown is None else tuple(shown)
        docs = self.fetch([doc_id for doc_id, _ in ranked])
        # only published documents, should the index lag behind a trash or an unpublish
        published = [(docs[i], s) for i, s in ranked if i in docs and docs[i].status == "published"]
        prints = tuple((doc.id, fingerprint(doc)) for doc, _ in published)
        hits = answers.hits(key, prints)
        if hits is None:
            highlighter = Highlighter(node, answer.marks)
            hits = tuple(_hit(doc, score, highlighter) for doc, score in published)
            answers.keep_hits(key, prints, hits)
        return Page(
            sq, answer.total, hits, answer.facets, answer.suggestion, answer.timeline, answer.totals
        )

    def _answer(self, generation: Generation, node: Node | None, sq: SearchQuery) -> Answer:
        """The index's part of sq's page on this generation (under the lock)."""
        cache = generation.facets
        compiled, base, selections, matched = self._matches(generation, node, sq)
        facets, totals = {}, {}
        for facet in FACET_FIELDS:
            counts = cache.count(facet, _facet_docs(facet, base.mask, matched, selections))
            facets[facet] = _facet_values(facet, counts, sq.filters.get(facet, ()))
            totals[facet] = len(counts)
        # the timeline ignores the date range, as a facet ignores its own selection
        undated = _intersect(base.mask, [s for name, s in selections.items() if name != "_dates"])
        years = sq.filters.get("year", ())
        timeline = months_buckets(cache.months(undated), sq.date_from, sq.date_to, years)
        ranked = self._rank(generation, compiled.query, base, matched, sq)
        suggestion = None
        base_count = int(np.count_nonzero(base.mask))
        if node is not None and base_count <= FEW_HITS:
            suggestion = self._suggest(generation, sq.text, node, base_count)
        total = int(np.count_nonzero(matched))
        return Answer(
            tuple(ranked), total, facets, totals, tuple(timeline), suggestion, compiled.marks
        )

    def ranked_ids(self, sq: SearchQuery, limit: int) -> tuple[list[int], int]:
        """The ids of the first limit documents the search matches, in its order (its page and
        per_page ignored), and how many it matches."""
        ranked, total = self.ranked(sq, limit)
        return [doc_id for doc_id, _ in ranked], total

    def ranked(self, sq: SearchQuery, limit: int) -> tuple[list[tuple[int, float]], int]:
        """ranked_ids with each document's score, as a page of the search shows it."""
        node = parse(sq.text)
        key = (query_key(sq, with_page=False), limit)
        with self._lock:
            generation = self._current()
            found = generation.answers.ranking(key)
            if found is not None:
                return found
            compiled, base, _, matched = self._matches(generation, node, sq)
            ranked = self._rank(
                generation, compiled.query, base, matched, replace(sq, page=1, per_page=limit)
            )
            total = int(np.count_nonzero(matched))
            generation.answers.keep_ranking(key, ranked, total)
        return ranked, total

    def _matches(
        self, generation: Generation, node: Node | None, sq: SearchQuery
    ) -> tuple[Compiled, Scored, dict[str, np.ndarray], np.ndarray]:
        """_scope and the documents every filter keeps, remembered for the last query (its
        page, per_page and collapse aside) on this generation: folding copies asks for the
        ranking of the search it follows (archive.core.collapse), and a page of copies for
        the page that covers them."""
        key = (sq.text, tuple(sorted(sq.filters.items())), sq.date_from, sq.date_to)
        last = self._last_matches
        if last is not None and last[0] is generation and last[1] == key:
            return last[2]
        compiled, base, selections = self._scope(generation, node, sq)
        self.evaluated += 1
        found = (compiled, base, selections, _intersect(base.mask, selections.values()))
        self._last_matches = (generation, key, found)
        return found

    def _scope(
        self, generation: Generation, node: Node | None, sq: SearchQuery
    ) -> tuple[Compiled, Scored, dict[str, np.ndarray]]:
        """The compiled query, the documents it matches with their scores, and the documents
        of each filter (masks over the generation's document numbers)."""
        cache = generation.facets
        compiled = generation.compile(node) if node is not None else Compiled(ALL, Marks())
        # the matches are exact; the scores leave out what only ranks (see _rank)
        base = generation.scored(compiled.query, LOWER)
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
            _, base, selections, matched = self._matches(generation, node, sq)
            docs = _facet_docs(facet, base.mask, matched, selections)
            counts = generation.facets.count(facet, docs)
        # a name's other spellings (names facet): other facets' values have none
        aliases = partial(generation.spellings, facet) if facet in KEYED_FACETS else None
        chosen = tuple(map(counts.table.shown, sq.filters.get(facet, ())))
        return facet_page(facet, counts, chosen, match, page, per_page, aliases)

    def complete(
        self, text: str, limit: int, titles: Callable[[], Iterable[tuple[int, str]]]
    ) -> list[Suggestion]:
        """Autocomplete; the vocabulary is built once per generation (titles() lists titles).
        One that took more than VOCABULARY_REBUILD_SECONDS to build (a large archive: 10 s and
        more at 100,000 documents, under the engine's lock) is kept for later generations that
        only added documents, for up to VOCABULARY_SECONDS (Generation.adopt): new documents'
        words are offered after that, where uploads would otherwise rebuild it at every commit."""
        with self._lock:
            generation = self._current()
            kept, deletions, built_at, took = self._vocabulary
            if (
                kept is not None
                and took > VOCABULARY_REBUILD_SECONDS
                and time.monotonic() - built_at < VOCABULARY_SECONDS
            ):
                generation.adopt(kept, deletions)
            began = time.monotonic()
            vocabulary = generation.vocabulary(titles)
            if vocabulary is not kept:
                took = time.monotonic() - began
                self._vocabulary = (vocabulary, generation.deletions, began, took)
            # under the lock: the vocabulary counts its candidates' live documents in the reader
            return vocabulary.complete(text, limit)

    def similar(
        self,
        doc: Document,
        limit: int,
        exclude: Collection[int] = (),
        translations: Sequence[Document] = (),
    ) -> tuple[SimilarDocument, ...]:
        """More like this (search/similar.py): doc, the documents of exclude and its
        translations left out, the translations' terms looked up too. Only published
        documents, should the index lag behind a trash or an unpublish."""
        with self._lock:
            generation = self._current()
            ranked = similar(generation, doc, limit + SIMILAR_SPARE, exclude, translations)
        docs = self.fetch([doc_id for doc_id, _ in ranked])
        return tuple(
            SimilarDocument(i, docs[i].metadata.title, docs[i].metadata.date, score)
            for i, score in ranked
            if i in docs and docs[i].status == "published"
        )[:limit]

    def _rank(
        self,
        generation: Generation,
        query: wq.Query,
        base: Scored,
        matched: np.ndarray,
        sq: SearchQuery,
    ) -> list[tuple[int, float]]:
        """The page's documents (catalog id, score): the best by score from the arrays of
        scores (only the page is ordered), or by date; titles are ordered by Whoosh."""
        sort = sq.sort if sq.sort != "relevance" or query is not ALL else "newest"
        start, stop = (sq.page - 1) * sq.per_page, sq.page * sq.per_page
        if sort == "relevance":
            page = generation.evaluator.ranked(query, matched, start, stop, base.score)
        elif sort in DATE_SORTS:
            keys = generation.facets.dates
            field, descending = DATE_SORTS[sort]
            if field == "date_asc":  # undated documents sort last both ways
                keys = np.where(keys == 0, UNDATED_LAST, keys)
            ids = generation.facets.ids
            page = [(d, 0.0) for d in by_key(keys, matched, start, stop, descending, ids)]
        else:
            if not matched.any():
                return []
            allowed = set(np.flatnonzero(matched).tolist())
            results = generation.searcher.search(
                query, filter=allowed, limit=stop, sortedby=SORTS.get(sort), terms=False
            )
            page = [(results.docnum(n), 0.0) for n in range(start, min(stop, len(results)))]
        return [(generation.catalog_id(d), score) for d, score in page]

    def _suggest(self, generation: Generation, text: str, node: Node, hits: int) -> str | None:
        """A corrected query worth offering, from the archive's own vocabulary."""

        def matches(word: Word) -> int:
            """The live documents the word matches alone (a deleted one's words stay listed)."""
            query = generation.compile(word, fuzzy=False).query
            return 0 if query is NOTHING else int(np.count_nonzero(generation.matched(query)))

        def count(corrected: str) -> int:
            fixed = parse(corrected)
            query = generation.compile(fixed).query if fixed is not None else NOTHING
            return 0 if query is NOTHING else int(np.count_nonzero(generation.matched(query)))

        return correct(generation.lexicon, text, node, hits, matches, count, generation.is_name)

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
            found = np.flatnonzero(generation.matched(query))
            return {generation.catalog_id(int(d)) for d in found}


def _facet_docs(
    facet: str, base: np.ndarray, matched: np.ndarray, selections: dict[str, np.ndarray]
) -> np.ndarray:
    """The documents a facet counts: every filter applies but the facet's own selection."""
    if facet not in selections:
        return matched
    return _intersect(base, [s for name, s in selections.items() if name != facet])


def _intersect(base: np.ndarray, masks: Iterable[np.ndarray]) -> np.ndarray:
    result = base
    for mask in masks:
        result = result & mask
    return result


def _date_docs(cache: FacetCache, start: str | None, end: str | None) -> np.ndarray:
    lo = date_key(start) if start else 1
    hi = date_key(end) if end else 99999999
    if end and len(end) == 4:
        hi += 1299
    elif end and len(end) == 7:
        hi += 99
    return cache.date_range(lo, hi)


def _facet_values(
    facet: str, counts: FacetCounts, chosen: tuple[str, ...]
) -> tuple[FacetValue, ...]:
    if facet == "year":
        top_values = sorted(counts.items(), key=lambda kv: kv[0], reverse=True)[:FACET_LIMIT]
    else:
        top_values = counts.most_common(FACET_LIMIT)
    # a value chosen by another of its spellings (names=Denys Shmyhal) is the one shown
    chosen = tuple(dict.fromkeys(map(counts.table.shown, chosen)))
    shown = {v for v, _ in top_values}
    values = [FacetValue(v, c, v in chosen) for v, c in top_values]
    values += [FacetValue(v, counts.get(v, 0), True) for v in chosen if v not in shown]
    return tuple(values)


def _hit(doc: Document, score: float, highlighter: Highlighter) -> Hit:
    m = doc.metadata
    found = highlighter.snippet_blocks(doc)
    return Hit(
        doc.id, m.title, m.authors, m.publication, m.date, m.date_ambiguous, m.language,
        m.tags, round(score, 4), tuple(s for s, _ in found), doc.added_at,
        tuple(b for _, b in found),
    )  # fmt: skip
