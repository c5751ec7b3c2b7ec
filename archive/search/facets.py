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
    """What one segment's documents hold, by segment document number: each facet's values and
    each document's value indexes (by document: document d's at starts[d]:starts[d + 1]), each
    document's date and catalog id.

    One array of pairs a facet, ordered by document, serves every count: a broad search
    repeats its mask over each document's pairs, a narrow one gathers its documents' slices, a
    filter finds its value's pairs and their documents by the starts. (Kept as (document,
    value) pairs with a copy ordered by document, a copy numbered for the engine and the
    generation's joined copies of all three, a 100k search process held seven such arrays,
    ~86 MB of its ~350: tracemalloc.)"""

    def __init__(
        self,
        size: int,
        facets: dict[str, tuple[list[str], np.ndarray, np.ndarray]],
        dates: np.ndarray,
        ids: np.ndarray,
        identities: dict[str, list[str]] | None = None,
    ) -> None:
        """facets: facet -> (values in lexicon order, starts (size + 1), each pair's value
        index, the pairs ordered by document)."""
        self.size = size
        # a keyed facet's value identities (spellings.value_identity, encoded), computed once by the
        # writer and saved with the arrays: 20 µs a value, seconds for a large segment
        self.identities = identities if identities is not None else {}
        self.facets = facets
        self.dates = dates
        self.ids = ids  # each document's catalog id (0: none)
        # facet -> (the table, each of the segment's values' number in it), numbered on first use
        self._numbers: dict[str, tuple[ValueTable, np.ndarray]] = {}
        self.counted: dict[str, np.ndarray] = {}

    def values(self, facet: str) -> list[str]:
        return self.facets[facet][0]

    def lengths(self, facet: str) -> np.ndarray:
        """How many values each document holds."""
        return np.diff(self.facets[facet][1])

    @classmethod
    def read(cls, reader) -> SegmentValues:  # noqa: ANN001 - a Whoosh segment reader
        """Read out of the segment (seconds for a large one: see archive.search.sidecars)."""
        n = reader.doc_count_all()
        facets = {}
        for facet in FACET_FIELDS:
            values, doc, ord_ = field_pairs(reader, facet)
            facets[facet] = (values, *by_document(n, doc, ord_))
        dates = numeric_column(reader, "date_desc").astype(np.int32) if n else _NO_DATES
        identities = {f: list(map(encode_identity, facets[f][0])) for f in KEYED_FACETS}
        return cls(n, facets, dates, _catalog_ids(reader, n), identities)

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
                part = cls.from_arrays(n, saved)
            except (KeyError, ValueError, TypeError):
                pass  # a file of another shape: read again below
            else:
                if int(saved["format"]) != sidecars.FORMAT:  # an older layout: saved anew
                    sidecars.save(index_dir, key, n, part.arrays())
                return part
        part = cls.read(reader)
        sidecars.save(index_dir, key, n, part.arrays())
        return part

    def arrays(self) -> dict[str, np.ndarray | list[str]]:
        out: dict[str, np.ndarray | list[str]] = {"dates": self.dates, "ids": self.ids}
        for facet, (values, starts, ord_) in self.facets.items():
            out[f"{facet}.values"] = values
            out[f"{facet}.starts"] = starts
            out[f"{facet}.ord"] = ord_
        for facet in KEYED_FACETS:  # numbered already, it let them go: computed again
            values = self.facets[facet][0]
            found = self.identities.get(facet) or list(map(encode_identity, values))
            out[f"{facet}.identity.values"] = found
        return out

    @classmethod
    def from_arrays(cls, size: int, data: dict[str, np.ndarray | list[str]]) -> SegmentValues:
        facets = {}
        for facet in FACET_FIELDS:
            values = data[f"{facet}.values"]
            if not isinstance(values, list):
                raise ValueError("not a segment's facet arrays")
            ord_ = np.asarray(data[f"{facet}.ord"], dtype=np.int32)
            if f"{facet}.starts" in data:
                starts = np.asarray(data[f"{facet}.starts"], dtype=np.int32)
            else:  # format 2: (document, value) pairs in value order
                doc = np.asarray(data[f"{facet}.doc"], dtype=np.int32)
                if len(doc) != len(ord_) or (len(doc) and (doc.min() < 0 or doc.max() >= size)):
                    raise ValueError("facet pairs out of range")
                starts, ord_ = by_document(size, doc, ord_)
            if (
                len(starts) != size + 1
                or starts[0] != 0
                or starts[-1] != len(ord_)
                or np.any(starts[1:] < starts[:-1])
            ):
                raise ValueError("facet starts of another segment")
            if len(ord_) and (ord_.min() < 0 or ord_.max() >= len(values)):
                raise ValueError("facet arrays out of range")
            facets[facet] = (values, starts, ord_)
        dates = np.asarray(data["dates"], dtype=np.int32)
        ids = np.asarray(data["ids"], dtype=np.int64)
        if len(dates) != size or len(ids) != size:
            raise ValueError("dates or ids of another segment")
        identities = {}
        for facet in KEYED_FACETS:  # KeyError: saved before names had identities, read again
            found = data[f"{facet}.identity.values"]
            if not isinstance(found, list) or len(found) != len(facets[facet][0]):
                raise ValueError("identities of other values")
            identities[facet] = found
        return cls(size, facets, dates, ids, identities)

    def value_counts(self, facet: str) -> np.ndarray:
        """How many of the segment's documents hold each of its values (deleted ones too)."""
        found = self.counted.get(facet)
        if found is None:
            values, _, ord_ = self.facets[facet]
            found = self.counted[facet] = np.bincount(ord_, minlength=len(values))
        return found

    def numbered_values(self, facet: str, table: ValueTable) -> np.ndarray:
        """Each pair's value number in the table (by document, as the pairs)."""
        found = self._numbers.get(facet)
        if found is None or found[0] is not table:
            # the identities are let go once read: ~500,000 strings at 100k (a table numbering
            # the segment again, which an engine never does, computes them)
            numbers = table.numbers(self.facets[facet][0], self.identities.pop(facet, None))
            found = self._numbers[facet] = (table, numbers)
        return found[1][self.facets[facet][2]]


def by_document(size: int, doc: np.ndarray, ord_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(document, value) pairs as starts (size + 1) and the values ordered by document (a
    document's values in the order the pairs give them)."""
    order = np.argsort(doc, kind="stable")
    starts = np.zeros(size + 1, dtype=np.int32)
    np.cumsum(np.bincount(doc, minlength=size), out=starts[1:])
    return starts, np.asarray(ord_, dtype=np.int32)[order]


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
    (a mask). A facet is each document's value numbers, side by side in document order
    (`ords`, document d's at starts[d]:starts[d + 1]); counting it over a mask is one bincount
    over the pairs of the documents in it."""

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
        for reader, offset in leaves:
            key = _segment_key(reader)
            part = segments.get(key)
            if part is None:
                part = segments[key] = SegmentValues.of(reader, index_dir)
            self.leaves.append((key, reader, offset))
            self._parts.append(part)
        seen = {key for key, _, _ in self.leaves}
        for key in set(segments) - seen:
            del segments[key]
        self.tables = tables
        # facet -> (each pair's value number, by document; each document's number of pairs)
        self.pairs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._starts: dict[str, np.ndarray] = {}
        for facet in FACET_FIELDS:
            table = tables.get(facet) or tables.setdefault(facet, new_table(facet))
            ords = [part.numbered_values(facet, table) for part in self._parts]
            self.pairs[facet] = (
                _joined(ords, np.int32),
                _joined([part.lengths(facet) for part in self._parts], np.int32),
            )
        # which spelling each name is shown under: numbering the segments' values found them
        parts = {key: part for (key, _, _), part in zip(self.leaves, self._parts, strict=True)}
        for facet, table in tables.items():
            if table.spellings:
                table.show(_spelling_tally(table, facet, parts).__getitem__)
        self.dates = _joined([part.dates for part in self._parts], np.int32)
        # each document's catalog id: the order of equal scores or dates, whatever the
        # documents' places in the index (a reindex with sub-writers places them otherwise)
        self.ids = _joined([part.ids for part in self._parts], np.int64)
        self.live = _joined([live_mask(reader) for reader, _ in leaves], bool)
        self.live_count = int(self.live.sum())
        self._totals: dict[str, FacetCounts] = {}

    @property
    def parts(self) -> tuple[SegmentValues, ...]:
        """Each segment's values, in the searcher's order of segments."""
        return tuple(self._parts)

    def starts(self, facet: str) -> np.ndarray:
        """Where each document's pairs begin (and, last, where the pairs end), made on first
        use: a narrow count and a filter need them, a broad count does not."""
        found = self._starts.get(facet)
        if found is None:
            lengths = self.pairs[facet][1]
            found = self._starts[facet] = np.zeros(len(lengths) + 1, dtype=np.int64)
            np.cumsum(lengths, out=found[1:])
        return found

    def docs_with(self, facet: str, values: Iterable[str]) -> np.ndarray:
        """The mask of live documents holding any of the values."""
        table = self.tables.get(facet)
        wanted = [table.number[v] for v in values if table and v in table.number]
        mask = np.zeros(len(self.live), dtype=bool)
        if wanted:
            ords = self.pairs[facet][0]
            at = np.flatnonzero(np.isin(ords, wanted))
            mask[np.searchsorted(self.starts(facet), at, side="right") - 1] = True
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
        ords, lengths = self.pairs[facet]
        ids = np.flatnonzero(docs)
        if len(ids) * SPARSE_SHARE < len(docs):
            # few documents: gather their own pairs (a names facet holds ~25 a document)
            counts = np.bincount(self._of_docs(facet, ids), minlength=len(table.values))
        else:
            counts = np.bincount(ords[np.repeat(docs, lengths)], minlength=len(table.values))
        return FacetCounts(table, counts)

    def _of_docs(self, facet: str, ids: np.ndarray) -> np.ndarray:
        """The value numbers of the documents ids' pairs."""
        ords, lengths = self.pairs[facet]
        starts = self.starts(facet)
        begin = starts[ids]
        counts = lengths[ids].astype(np.int64)
        total = int(counts.sum())
        if not total:
            return ords[:0]
        # the positions begin[i] .. begin[i] + counts[i] of every document, in one array
        shift = np.repeat(begin - (np.cumsum(counts) - counts), counts)
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
        values = part.values(facet)
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
