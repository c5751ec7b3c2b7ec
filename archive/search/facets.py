"""Each live document's facet values and date, by Whoosh document number, for one searcher, as
NumPy arrays: a facet is its (document, value number) pairs, and counting it over the documents
a search matches (a boolean array) is one bincount, where Python tuples per document and a
Counter took a fifth of a broad search's time and most of the server's memory.

Whoosh segments never change once written (only their deletions do), so what a segment holds is
read once and kept until a merge retires the segment: after a commit only the new segment is
read, and a search right after an upload does not pay for the whole archive again.

facet_page pages a facet's values,
filtered by what a reader types (typeahead, "more"), folding case and accents so that "zelen"
finds "Zelenskyy" and "jose" finds "José".
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
from whoosh.searching import Searcher

from archive.models import FacetPage, FacetValue
from archive.search import sidecars
from archive.search.analysis import fold
from archive.search.index import FACET_FIELDS
from archive.search.postings import field_pairs, live_mask, numeric_column
from archive.search.spellings import (
    encode_identity,
    keys_meet,
    typed_keys,
)
from archive.search.values import KEYED_FACETS, ValueTable, new_table


class SegmentValues:
    """What one segment's documents hold, as arrays by segment document number: each facet's
    (document, value) pairs, the values' texts, each document's date and its live flag."""

    def __init__(
        self,
        size: int,
        pairs: dict[str, tuple[list[str], np.ndarray, np.ndarray]],
        dates: np.ndarray,
        ids: np.ndarray,
        identities: dict[str, list[str]] | None = None,
    ) -> None:
        self.size = size
        # a keyed facet's value identities (spellings.value_identity, encoded), computed once by the
        # writer and saved with the arrays: 20 µs a value, seconds for a large segment
        self.identities = identities if identities is not None else {}
        # facet -> (values in lexicon order, document of each pair, value index of each pair)
        self.pairs = pairs
        self.dates = dates
        self.ids = ids  # each document's catalog id (0: none)
        # facet -> each pair's value in the engine's ValueTable (numbered on first use)
        self.numbered: dict[str, np.ndarray] = {}
        self.ordered: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.counted: dict[str, np.ndarray] = {}

    @classmethod
    def read(cls, reader) -> SegmentValues:  # noqa: ANN001 - a Whoosh segment reader
        """Read out of the segment (seconds for a large one: see archive.search.sidecars)."""
        n = reader.doc_count_all()
        pairs = {facet: field_pairs(reader, facet) for facet in FACET_FIELDS}
        dates = numeric_column(reader, "date_desc").astype(np.int32) if n else _NO_DATES
        identities = {
            f: sidecars.shared(list(map(encode_identity, pairs[f][0]))) for f in KEYED_FACETS
        }
        return cls(n, pairs, dates, _catalog_ids(reader, n), identities)

    @classmethod
    def of(cls, reader, index_dir: Path | None) -> SegmentValues:  # noqa: ANN001
        """The segment's values from its saved arrays, else read and saved for next time."""
        key = _segment_key(reader)
        n = reader.doc_count_all()
        if index_dir is None or key.startswith("empty-"):
            return cls.read(reader)
        saved = sidecars.load(index_dir, key, n)
        if saved is not None:
            try:
                return cls.from_arrays(n, saved)
            except (KeyError, ValueError, TypeError):
                pass  # a file of another shape: read again below
        part = cls.read(reader)
        sidecars.save(index_dir, key, n, part.arrays())
        return part

    def arrays(self) -> dict[str, np.ndarray | list[str]]:
        out: dict[str, np.ndarray | list[str]] = {"dates": self.dates, "ids": self.ids}
        for facet, (values, doc, ord_) in self.pairs.items():
            out[f"{facet}.values"] = values
            out[f"{facet}.doc"] = doc
            out[f"{facet}.ord"] = ord_
        for facet, identities in self.identities.items():
            out[f"{facet}.identity.values"] = identities
        return out

    @classmethod
    def from_arrays(cls, size: int, data: dict[str, np.ndarray | list[str]]) -> SegmentValues:
        pairs = {}
        for facet in FACET_FIELDS:
            values = data[f"{facet}.values"]
            doc = np.asarray(data[f"{facet}.doc"], dtype=np.int32)
            ord_ = np.asarray(data[f"{facet}.ord"], dtype=np.int32)
            if not isinstance(values, list) or len(doc) != len(ord_):
                raise ValueError("not a segment's facet arrays")
            if len(ord_) and (ord_.max() >= len(values) or doc.max() >= size):
                raise ValueError("facet arrays out of range")
            pairs[facet] = (values, doc, ord_)
        dates = np.asarray(data["dates"], dtype=np.int32)
        ids = np.asarray(data["ids"], dtype=np.int64)
        if len(dates) != size or len(ids) != size:
            raise ValueError("dates or ids of another segment")
        identities = {}
        for facet in KEYED_FACETS:  # KeyError: saved before names had identities, read again
            found = data[f"{facet}.identity.values"]
            if not isinstance(found, list) or len(found) != len(pairs[facet][0]):
                raise ValueError("identities of other values")
            identities[facet] = found
        return cls(size, pairs, dates, ids, identities)

    def by_doc(self, facet: str, table: ValueTable) -> tuple[np.ndarray, np.ndarray]:
        """The pairs' value numbers ordered by document, and each document's number of pairs."""
        found = self.ordered.get(facet)
        if found is None:
            doc = self.pairs[facet][1]
            order = np.argsort(doc, kind="stable")
            lengths = np.bincount(doc, minlength=self.size).astype(np.int64)
            found = self.ordered[facet] = (self.numbered_values(facet, table)[order], lengths)
        return found

    def value_counts(self, facet: str) -> np.ndarray:
        """How many of the segment's documents hold each of its values (deleted ones too)."""
        found = self.counted.get(facet)
        if found is None:
            values, _, ord_ = self.pairs[facet]
            found = self.counted[facet] = np.bincount(ord_, minlength=len(values))
        return found

    def numbered_values(self, facet: str, table: ValueTable) -> np.ndarray:
        found = self.numbered.get(facet)
        if found is None:
            values, _, ord_ = self.pairs[facet]
            found = self.numbered[facet] = table.numbers(values, self.identities.get(facet))[ord_]
        return found


_NO_DATES = np.zeros(0, dtype=np.int32)


def _catalog_ids(reader, size: int) -> np.ndarray:  # noqa: ANN001 - a Whoosh segment reader
    """Each document's catalog id (its "id" term), by segment document number."""
    ids = np.zeros(size, dtype=np.int64)
    if size and "id" in reader.indexed_field_names():
        values, doc, ord_ = field_pairs(reader, "id")
        if len(doc):
            ids[doc] = np.array([int(v) for v in values], dtype=np.int64)[ord_]
    return ids


# A search matching fewer than 1 in SPARSE_SHARE documents counts its documents' own pairs;
# a broader one scans every pair of the facet with a mask.
SPARSE_SHARE = 8


class FacetCounts(Mapping[str, int]):
    """A facet's counts under a search: an array by value number, read as a mapping of the
    values counted at least once."""

    def __init__(self, table: ValueTable, counts: np.ndarray) -> None:
        self.table = table
        self.counts = counts
        self._nonzero: np.ndarray | None = None

    @property
    def nonzero(self) -> np.ndarray:
        if self._nonzero is None:
            self._nonzero = np.flatnonzero(self.counts)
        return self._nonzero

    def __len__(self) -> int:
        return len(self.nonzero)

    def __iter__(self) -> Iterator[str]:
        values = self.table.values
        return (values[i] for i in self.nonzero)

    def __getitem__(self, value: str) -> int:
        i = self.table.number.get(value)
        count = int(self.counts[i]) if i is not None and i < len(self.counts) else 0
        if not count:
            raise KeyError(value)
        return count

    def get(self, value: str, default: int = 0) -> int:  # type: ignore[override]
        try:
            return self[value]
        except KeyError:
            return default

    def items(self) -> Iterator[tuple[str, int]]:  # type: ignore[override]
        values, counts = self.table.values, self.counts
        return ((values[i], int(counts[i])) for i in self.nonzero)

    def most_common(self, n: int) -> list[tuple[str, int]]:
        """The n most frequent values, ties by value."""
        nonzero = self.nonzero
        if len(nonzero) > n:
            # every value counted at least as often as the n-th (ties at the cut included)
            counts = self.counts[nonzero]
            floor = -np.partition(-counts, n - 1)[n - 1]
            nonzero = nonzero[counts >= floor]
        values, counts = self.table.values, self.counts
        rows = [(values[i], int(counts[i])) for i in nonzero]
        rows.sort(key=lambda kv: (-kv[1], kv[0]))
        return rows[:n]


class FacetCache:
    """The searcher-wide view: the segments' arrays side by side, at their document offsets.

    Documents are the searcher's numbers; a set of documents is a boolean array over them
    (a mask). Counting a facet over a mask is one bincount over its (document, value) pairs."""

    def __init__(
        self,
        searcher: Searcher,
        segments: dict[str, SegmentValues],
        tables: dict[str, ValueTable],
        index_dir: Path | None = None,
    ) -> None:
        """`segments` (segment id -> values) and `tables` (facet -> ValueTable) are reused and
        `segments` pruned: the caller keeps them from one generation to the next. index_dir:
        where segments' arrays are saved (archive.search.sidecars); None reads them each time."""
        leaves = searcher.reader().leaf_readers()
        self.leaves: list[tuple[str, object, int]] = []
        self._parts: list[SegmentValues] = []
        docs: dict[str, list[np.ndarray]] = {f: [] for f in FACET_FIELDS}
        ords: dict[str, list[np.ndarray]] = {f: [] for f in FACET_FIELDS}
        dates: list[np.ndarray] = []
        ids: list[np.ndarray] = []
        live: list[np.ndarray] = []
        for reader, offset in leaves:
            key = _segment_key(reader)
            part = segments.get(key)
            if part is None:
                part = segments[key] = SegmentValues.of(reader, index_dir)
            self.leaves.append((key, reader, offset))
            self._parts.append(part)
            for facet in FACET_FIELDS:
                table = tables.get(facet) or tables.setdefault(facet, new_table(facet))
                docs[facet].append(part.pairs[facet][1] + np.int32(offset))
                ords[facet].append(part.numbered_values(facet, table))
            dates.append(part.dates)
            ids.append(part.ids)
            live.append(live_mask(reader))
        seen = {key for key, _, _ in self.leaves}
        for key in set(segments) - seen:
            del segments[key]
        self.tables = tables
        parts = {key: part for (key, _, _), part in zip(self.leaves, self._parts, strict=True)}
        for facet, table in tables.items():
            if table.spellings:
                table.show(_spelling_tally(table, facet, parts).__getitem__)
        self.pairs = {
            f: (_joined(docs[f], np.int32), _joined(ords[f], np.int32)) for f in FACET_FIELDS
        }
        self.dates = _joined(dates, np.int32)
        # each document's catalog id: the order of equal scores or dates, whatever the
        # documents' places in the index (a reindex with sub-writers places them otherwise)
        self.ids = _joined(ids, np.int64)
        self.live = _joined(live, bool)
        self.live_count = int(self.live.sum())
        self._totals: dict[str, FacetCounts] = {}
        self._doc_order: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    @property
    def parts(self) -> tuple[SegmentValues, ...]:
        """Each segment's values, in the searcher's order of segments."""
        return tuple(self._parts)

    def docs_with(self, facet: str, values: Iterable[str]) -> np.ndarray:
        """The mask of live documents holding any of the values."""
        table = self.tables.get(facet)
        wanted = [table.number[v] for v in values if table and v in table.number]
        mask = np.zeros(len(self.live), dtype=bool)
        if wanted:
            doc, ord_ = self.pairs[facet]
            mask[doc[np.isin(ord_, wanted)]] = True
            mask &= self.live
        return mask

    def count(self, facet: str, docs: np.ndarray) -> FacetCounts:
        """The facet's counts over the documents of a mask."""
        if docs is self.live:  # everything (an empty query): counted once per searcher
            if facet not in self._totals:
                self._totals[facet] = self._count(facet, docs)
            return self._totals[facet]
        return self._count(facet, docs)

    def _count(self, facet: str, docs: np.ndarray) -> FacetCounts:
        table = self.tables.get(facet) or self.tables.setdefault(facet, new_table(facet))
        doc, ord_ = self.pairs[facet]
        ids = np.flatnonzero(docs)
        if len(ids) * SPARSE_SHARE < len(docs):
            # few documents: gather their own pairs (a names facet holds ~25 a document)
            counts = np.bincount(self._by_doc(facet, ids), minlength=len(table.values))
        else:
            counts = np.bincount(ord_[docs[doc]], minlength=len(table.values))
        return FacetCounts(table, counts)

    def _by_doc(self, facet: str, ids: np.ndarray) -> np.ndarray:
        """The value numbers of the documents ids' pairs (each segment's pairs ordered by
        document once, side by side for the generation)."""
        found = self._doc_order.get(facet)
        if found is None:
            table = self.tables[facet]
            parts = [part.by_doc(facet, table) for part in self._parts]
            starts = np.zeros(len(self.live) + 1, dtype=np.int64)
            np.cumsum(_joined([lengths for _, lengths in parts], np.int64), out=starts[1:])
            found = self._doc_order[facet] = (_joined([o for o, _ in parts], np.int32), starts)
        ords, starts = found
        begin, end = starts[ids], starts[ids + 1]
        lengths = end - begin
        total = int(lengths.sum())
        if not total:
            return ords[:0]
        # the positions begin[i] .. end[i] of every document, in one array
        shift = np.repeat(begin - (np.cumsum(lengths) - lengths), lengths)
        return ords[np.arange(total) + shift]

    def date_range(self, lo: int, hi: int) -> np.ndarray:
        """The mask of live dated documents whose date key lies in lo..hi."""
        dates = self.dates
        return (dates != 0) & (dates >= lo) & (dates <= hi) & self.live

    def months(self, docs: np.ndarray) -> dict[int, int]:
        """How many documents of a mask fall in each yyyymm (0: undated)."""
        months, counts = np.unique(self.dates[docs] // 100, return_counts=True)
        return dict(zip(months.tolist(), counts.tolist(), strict=True))


class SpellingTally(dict[str, int]):
    """How many documents (deleted ones too) write each spelling of a keyed facet's values that
    have several (ValueTable.spellings), over the segments it has counted: a generation adds
    what its new segments write and takes away what its retired ones wrote. Summed again over
    every segment for every generation, as at first, it took 8% of a search process's time
    under the 20k load test (a generation every round)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: dict[str, SegmentValues] = {}

    def __missing__(self, spelling: str) -> int:
        return 0

    def follow(self, facet: str, spellings: set[str], parts: dict[str, SegmentValues]) -> None:
        for key in self.parts.keys() - parts.keys():
            self._add(facet, self.parts.pop(key), self.keys() & spellings, -1)
        new = spellings - self.keys()
        if new:  # spellings that came with this generation: counted in every segment
            for part in self.parts.values():
                self._add(facet, part, new, 1)
            for spelling in new:
                self.setdefault(spelling, 0)
        for key in parts.keys() - self.parts.keys():
            self.parts[key] = parts[key]
            self._add(facet, parts[key], spellings, 1)

    def _add(self, facet: str, part: SegmentValues, spellings: set[str], sign: int) -> None:
        values = part.pairs[facet][0]
        if not values or not spellings:
            return
        counts = part.value_counts(facet)
        if len(values) <= len(spellings):  # a round's small segment: walk its values
            for i, value in enumerate(values):
                if value in spellings:
                    self[value] = self.get(value, 0) + sign * int(counts[i])
            return
        for spelling in spellings:  # values in lexicon order
            i = bisect_left(values, spelling)
            if i < len(values) and values[i] == spelling:
                self[spelling] = self.get(spelling, 0) + sign * int(counts[i])


def _spelling_tally(
    table: ValueTable, facet: str, parts: dict[str, SegmentValues]
) -> SpellingTally:
    """The table's tally, brought up to these segments."""
    tally = table.tally
    if not isinstance(tally, SpellingTally):
        tally = table.tally = SpellingTally()
    spellings = {v for values in table.spellings.values() for v in values}
    tally.follow(facet, spellings, parts)
    return tally


def save_segment_values(reader, index_dir: Path) -> None:  # noqa: ANN001 - a Whoosh reader
    """After a commit (the writer's side): save the arrays of every segment that has none,
    and remove those of segments a merge retired."""
    keep = set()
    for leaf, _ in reader.leaf_readers():
        key = _segment_key(leaf)
        keep.add(key)
        if (
            not key.startswith("empty-")
            and not (sidecars.folder(index_dir) / f"{key}.npz").exists()
        ):
            part = SegmentValues.read(leaf)
            sidecars.save(index_dir, key, part.size, part.arrays())
    sidecars.prune(index_dir, keep)


def _joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype=dtype)


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
    aliases: Callable[[str], Sequence[str]] | None = None,
) -> FacetPage:
    """The values that match what a reader typed, best first, as page `page`.

    A value matches when its folded text (or one of its aliases': the other spellings of a
    name) contains the typed text, or when each typed word meets one of its words across
    scripts and inflections (archive.search.spellings.typed_keys: "Shmyhal" finds Денис Шмигаль,
    "Росією" finds Russia). A value with a word starting with the typed text ranks before one
    that merely contains it ("put" lists Putin before Sputnik); then by count, as the facet
    lists do. Years keep their own order, newest first.
    """
    needle = fold(match.strip())[:MAX_MATCH_CHARS]
    typed = typed_keys(match[:MAX_MATCH_CHARS]) if needle else ()
    ascii_needle = needle.isascii()
    rows: list[tuple[tuple[object, ...], str, int]] = []
    word_start = re.compile(r"(?<![^\W_])" + re.escape(needle)) if needle else None
    for value, count in counts.items():
        folded = fold(value)
        starts = 0
        if needle and needle in folded:
            starts = 0 if word_start.search(folded) else 1  # type: ignore[union-attr]
        elif needle:
            # the other spellings (asked only of values the text misses), then the keys of
            # the words across scripts and inflections (not needed when both are plain ASCII)
            spellings = [fold(v) for v in aliases(value)] if aliases else []
            if any(needle in v for v in spellings):
                at_start = any(word_start.search(v) for v in spellings)  # type: ignore[union-attr]
                starts = 0 if at_start else 1
            elif (
                not typed
                or (ascii_needle and value.isascii())
                or not keys_meet(typed, [folded, *spellings])
            ):
                continue
        order = (starts, -int(value)) if facet == "year" and value.isdigit() else (starts,)
        rows.append(((*order, -count, folded), value, count))
    rows.sort()
    start = (page - 1) * per_page
    values = tuple(FacetValue(v, c, v in chosen) for _, v, c in rows[start : start + per_page])
    return FacetPage(facet, match.strip(), values, len(rows), page, per_page)
