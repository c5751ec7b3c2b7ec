"""Each live document's facet values and date, by Whoosh document number, for one searcher.

Whoosh segments never change once written (only their deletions do), so what a segment holds is
read once and kept until a merge retires the segment: after a commit only the new segment is
read, and a search right after an upload does not pay for the whole archive again.

matched_docs finds the documents a query matches as sets of those same numbers, from
`matching(query)`: the same documents, fewer clauses to walk. facet_page pages a facet's values,
filtered by what a reader types (typeahead, "more"), folding case and accents so that "zelen"
finds "Zelenskyy" and "jose" finds "José".
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from itertools import chain

from whoosh import query as wq
from whoosh.searching import Searcher

from archive.models import FacetPage, FacetValue
from archive.search.analysis import fold
from archive.search.compile import DATE_FIELD, NOTHING
from archive.search.index import FACET_FIELDS


class SegmentValues:
    """What one segment's documents hold: facet values and date, by segment document number."""

    def __init__(self, reader) -> None:  # noqa: ANN001 - a Whoosh segment reader
        n = reader.doc_count_all()
        fields = set(reader.indexed_field_names())
        self.values: dict[str, list[tuple[str, ...]]] = {}
        for facet in FACET_FIELDS:
            per_doc: list[list[str]] = [[] for _ in range(n)]
            if facet in fields:
                for raw in reader.lexicon(facet):
                    # one object per value across segments: counting compares by identity first
                    # (the names facet counts hundreds of thousands of values a broad search)
                    value = sys.intern(raw.decode("utf-8"))
                    for d in reader.postings(facet, raw).all_ids():
                        per_doc[d].append(value)
            self.values[facet] = [tuple(v) for v in per_doc]
        self.dates: list[int] = list(reader.column_reader("date_desc")) if n else []


class FacetCache:
    """The searcher-wide view: segments' values side by side, at their document offsets."""

    def __init__(self, searcher: Searcher, segments: dict[str, SegmentValues]) -> None:
        """`segments` (segment id -> values) is reused and pruned: the caller keeps it."""
        leaves = searcher.reader().leaf_readers()
        seen: set[str] = set()
        self.values: dict[str, list[tuple[str, ...]]] = {f: [] for f in FACET_FIELDS}
        self.dates: list[int] = []
        live: list[int] = []
        for reader, offset in leaves:
            key = _segment_key(reader)
            seen.add(key)
            part = segments.get(key)
            if part is None:
                part = segments[key] = SegmentValues(reader)
            for facet in FACET_FIELDS:
                self.values[facet].extend(part.values[facet])
            self.dates.extend(part.dates)
            live.extend(d + offset for d in reader.all_doc_ids())
        for key in set(segments) - seen:
            del segments[key]
        self.live = frozenset(live)
        self._totals: dict[str, Counter[str]] = {}

    def docs_with(self, facet: str, values: Iterable[str]) -> set[int]:
        wanted = set(values)
        column = self.values[facet]
        return {d for d in self.live if not wanted.isdisjoint(column[d])}

    def count(self, facet: str, docs: Iterable[int]) -> Counter[str]:
        if docs is self.live:  # everything (an empty query): counted once per searcher
            if facet not in self._totals:
                self._totals[facet] = self._count(facet, docs)
            return Counter(self._totals[facet])
        return self._count(facet, docs)

    def _count(self, facet: str, docs: Iterable[int]) -> Counter[str]:
        # Counter over one flat iterable counts in C: several times faster than update() per doc
        return Counter(chain.from_iterable(map(self.values[facet].__getitem__, docs)))


def matched_docs(
    searcher: Searcher,
    query: wq.Query,
    live: AbstractSet[int],
    dates: Sequence[int] | None = None,
) -> set[int]:
    """The live documents (searcher-wide numbers) a compiled query matches; dates, each
    document's date_desc value by number (FacetCache.dates), answers date ranges.

    Words and their alternatives are unions of posting lists: read as sets, one list at a
    time, and combined by set operations in C, they cost a fraction of walking Whoosh's tree
    of matchers document by document. A date range compares the dates (Whoosh walks the
    range's many trie terms); phrases are left to Whoosh."""
    leaves = searcher.reader().leaf_readers()

    def docs(q: wq.Query) -> set[int]:
        kind = type(q)  # exact types: Whoosh's subclasses (Ordered, FuzzyTerm) mean more
        if kind is wq.Term:
            found: set[int] = set()
            for leaf, offset in leaves:
                if (q.fieldname, q.text) in leaf:
                    ids = leaf.postings(q.fieldname, q.text).all_ids()
                    found.update(ids if not offset else (d + offset for d in ids))
            return found
        if kind is wq.ConstantScoreQuery:
            return docs(q.child)
        if kind is wq.Every:
            return set(live)
        if q is NOTHING:
            return set()
        if kind is wq.Or and not q.minmatch:
            return set().union(*map(docs, q.subqueries))
        if kind is wq.And:
            parts = sorted(map(docs, q.subqueries), key=len)
            return parts[0].intersection(*parts[1:])
        if kind is wq.Not:
            return set(live) - docs(q.query)
        if kind is wq.NumericRange and q.fieldname == DATE_FIELD and _closed(q) and dates:
            lo, hi = q.start, q.end
            return {d for d in live if lo <= dates[d] <= hi}
        return set(searcher.docs_for_query(q))

    found = docs(matching(query))
    found &= live  # posting lists still hold deleted documents
    return found


def matching(query: wq.Query) -> wq.Query:
    """A query that matches the same documents, cheaper to walk, for counting them (not for
    scoring). A phrase among the alternatives of one of its own words' terms in the same field
    adds no document, only score: a variant spelling "Donald Trump" of the query word "Trump"
    costs the positions of every document with both words otherwise. An optional part
    (AndMaybe) adds no document either."""
    kind = type(query)
    if kind is wq.AndMaybe:
        return matching(query.a)
    if kind is wq.Not:
        return wq.Not(matching(query.query))
    if kind is wq.And:
        return wq.And([matching(q) for q in query.subqueries])
    if kind is wq.Or and not query.minmatch:
        terms = {(q.fieldname, q.text) for q in query.subqueries if type(q) is wq.Term}
        kept = [
            matching(q)
            for q in query.subqueries
            if not (type(q) is wq.Phrase and any((q.fieldname, w) in terms for w in q.words))
        ]
        return kept[0] if len(kept) == 1 else wq.Or(kept)
    return query


def _closed(q: wq.NumericRange) -> bool:
    return not (q.startexcl or q.endexcl or q.start is None or q.end is None)


def _segment_key(reader) -> str:  # noqa: ANN001 - a Whoosh segment reader
    segment = reader.segment() if hasattr(reader, "segment") else None
    return segment.segment_id() if segment is not None else f"empty-{id(reader)}"


# --- pages of one facet's values ---
PER_PAGE = 30
MAX_MATCH_CHARS = 100


def facet_page(
    facet: str,
    counts: Mapping[str, int],
    chosen: tuple[str, ...],
    match: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> FacetPage:
    """The values whose folded text contains `match`, best first, as page `page`.

    A value with a word starting with the typed text ranks before one that merely contains it
    ("put" lists Putin before Sputnik); then by count, as the facet lists do. Years keep their
    own order, newest first.
    """
    needle = fold(match.strip())[:MAX_MATCH_CHARS]
    rows: list[tuple[tuple[object, ...], str, int]] = []
    word_start = re.compile(r"(?<![^\W_])" + re.escape(needle)) if needle else None
    for value, count in counts.items():
        folded = fold(value)
        if needle and needle not in folded:
            continue
        starts = 0 if word_start is None or word_start.search(folded) else 1
        order = (starts, -int(value)) if facet == "year" and value.isdigit() else (starts,)
        rows.append(((*order, -count, folded), value, count))
    rows.sort()
    start = (page - 1) * per_page
    values = tuple(FacetValue(v, c, v in chosen) for _, v, c in rows[start : start + per_page])
    return FacetPage(facet, match.strip(), values, len(rows), page, per_page)
