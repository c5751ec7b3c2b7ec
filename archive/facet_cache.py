"""Each live document's facet values and date, by Whoosh document number, for one searcher.

Whoosh segments never change once written (only their deletions do), so what a segment holds is
read once and kept until a merge retires the segment: after a commit only the new segment is
read, and a search right after an upload does not pay for the whole archive again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import chain

from whoosh.searching import Searcher

from archive.index import FACET_FIELDS


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
                    value = raw.decode("utf-8")
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


def _segment_key(reader) -> str:  # noqa: ANN001 - a Whoosh segment reader
    segment = reader.segment() if hasattr(reader, "segment") else None
    return segment.segment_id() if segment is not None else f"empty-{id(reader)}"
