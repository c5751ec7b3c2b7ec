"""What one generation of the index has answered, kept until the next generation: the
index's part of a results page (its ranking, total, facets, timeline, "did you mean" and the
query's marks), the page's hits, and the rankings that folding copies asks for.

Readers ask the same searches again and again (the newest documents, a tag's page, a name in
the news, the next page of a search): a generation never changes, so what it answered holds
until a commit opens the next one (every index round under uploads: at most
Settings.index_round_seconds apart). Under the 20k load test (12 searches asked by 20 readers,
archive.search.engine's lock held for every one) a search process answered each anew.

A hit's title, dates and snippets come from the catalog, which can change before the index's
next round (an edit, a trash): the hits are kept with a fingerprint of each document they were
built from, and built again from the catalog's current copy when any differs. Bounded: at most
MAX_ANSWERS of each kind a generation, then the memory starts again.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from archive.models import Document, FacetValue, Hit, SearchQuery, TimeBucket
from archive.search.highlight import Marks

# Pages (and as many rankings and hit lists) a generation keeps: a page's answer is a few KB
# (its facets' 30 values each, the timeline), its hits up to a few tens of KB of snippets.
MAX_ANSWERS = 128  # Settings.search_answers


@dataclass(frozen=True)
class Answer:
    """The index's part of a page: (catalog id, score) of its documents in order, and the rest."""

    ranked: tuple[tuple[int, float], ...]
    total: int
    facets: dict[str, tuple[FacetValue, ...]]
    totals: dict[str, int]
    timeline: tuple[TimeBucket, ...]
    suggestion: str | None
    marks: Marks


def query_key(sq: SearchQuery, with_page: bool = True) -> Hashable:
    """What the engine's answer to sq depends on (its collapse aside: folding is the caller's)."""
    filters = tuple(sorted((name, tuple(values)) for name, values in sq.filters.items()))
    key = (sq.text, filters, sq.date_from, sq.date_to, sq.sort)
    return key + (sq.page, sq.per_page) if with_page else key


def fingerprint(doc: Document) -> int:
    """What a hit shows of a document (its status, metadata, text and date added), hashed."""
    return hash((doc.status, doc.metadata, doc.blocks, doc.added_at))


class Answers:
    """One generation's remembered answers; the engine uses it under its lock (hits are kept
    after the lock is let go: a dict's item set is one step for the interpreter)."""

    def __init__(self, limit: int = MAX_ANSWERS) -> None:
        self.limit = limit
        self._pages: dict[Hashable, Answer] = {}
        self._hits: dict[Hashable, tuple[tuple[int, ...], tuple[Hit, ...]]] = {}
        self._rankings: dict[Hashable, tuple[list[tuple[int, float]], int]] = {}
        # pages answered from memory (tests and benchmarks read it)
        self.remembered = 0

    def page(self, key: Hashable) -> Answer | None:
        found = self._pages.get(key)
        self.remembered += found is not None
        return found

    def keep_page(self, key: Hashable, answer: Answer) -> None:
        _bounded(self._pages, self.limit)[key] = answer

    def hits(self, key: Hashable, prints: tuple[tuple[int, int], ...]) -> tuple[Hit, ...] | None:
        """The page's hits, if they were built from these documents ((id, fingerprint) each,
        in order: a page of folded copies shows other documents than its ranking's)."""
        found = self._hits.get(key)
        return found[1] if found is not None and found[0] == prints else None

    def keep_hits(
        self, key: Hashable, prints: tuple[tuple[int, int], ...], hits: tuple[Hit, ...]
    ) -> None:
        _bounded(self._hits, self.limit)[key] = (prints, hits)

    def ranking(self, key: Hashable) -> tuple[list[tuple[int, float]], int] | None:
        found = self._rankings.get(key)
        return (list(found[0]), found[1]) if found is not None else None

    def keep_ranking(self, key: Hashable, ranked: list[tuple[int, float]], total: int) -> None:
        _bounded(self._rankings, self.limit)[key] = (list(ranked), total)


def _bounded(kept: dict, limit: int) -> dict:
    """kept, emptied when full; a dict that keeps nothing when limit is 0."""
    if len(kept) >= limit:
        kept.clear()
        if limit <= 0:
            return {}
    return kept
