"""A reader's terms as the query compiler and "did you mean" look them up: the terms under a
prefix, listed once, the near spellings of a word, remembered, and a term's count of live
documents.

Whoosh's term dictionary counts deleted documents too: a trashed document is deleted from the
index, and an edit deletes the old version and adds the new one, but a segment's dictionary (its
words and their document frequencies) is written once, so a deleted document's words stay listed
with counts that include it until a merge rewrites the segment. Anything that offers words or
weighs them by their counts (autocomplete, "did you mean", More like this) asks live_frequency
instead: a segment without deletions answers from its dictionary, one with deletions counts the
term's postings, which Whoosh reads without the deleted documents. Only the few terms about to
be shown or weighed are counted, and each once per reader.

Whoosh's terms_within on a reader of several segments merges their lexicons term by term and
computes the full distance in Python for every term under the prefix (tens of ms under "en:s").
Here the terms under a prefix are listed once per reader, and a term whose length differs by
more than maxdist, or with more than maxdist letters the other lacks, is skipped without
measuring: it cannot be that near. A rare word is looked up by the compiler, again by "did you
mean" and its count of the corrected query, and again on the next page: a Lexicon lives as long
as its reader (one searcher generation, archive.search.generation), so each lookup is made once.
"""

from __future__ import annotations

from archive.search.analysis import edit_distance

MAX_NEAR_REMEMBERED = 1024
MAX_COUNTED = 50_000  # live counts remembered per reader
# Terms listed under the prefixes looked up: at most about this many (a few MB) a reader.
MAX_LISTED_TERMS = 200_000
# (segment, field, term) answers a Presence keeps before it starts again (~150 bytes each)
MAX_PRESENCE = 300_000
# A segment of at most this many documents (an index round's, a small merge's) has its terms
# listed once (a few thousand), instead of asked term by term.
LISTED_SEGMENT_DOCS = 100
# Listed segments kept before the list starts again (merges retire them).
MAX_LISTED_SEGMENTS = 64


class Presence:
    """Which segments hold a term, remembered per segment: a segment's terms never change.

    Whether a term exists is asked for every field and language of every query word (about a
    hundred times a query, mostly for terms that exist nowhere, which makes Whoosh look in every
    segment's hash table: 35% of a five-word query's time). The answers are kept by segment id,
    so a new generation after a commit asks only its new segments.

    Under writes a new segment comes with every index round, and every query asked its
    hundred terms of it again (14% of a search process's time under the 20k load test): a
    small segment's terms are listed once instead, in one pass over its term dictionary."""

    def __init__(self, limit: int = MAX_PRESENCE) -> None:
        self.limit = limit
        # segment id -> (field, text) -> held; `_count` answers in all
        self._known: dict[str, dict[tuple[str, str], bool]] = {}
        self._count = 0
        self._listed: dict[str, frozenset[tuple[str, bytes]]] = {}

    def retain(self, segments: set[str]) -> None:
        """Forget what was learned of segments no longer in the index (merged into others).

        Under writes every index round adds a segment and merges retire them by the dozen; their
        answers stayed until a limit was reached (64 listed segments, 300,000 answers), and a
        server under writes grew for as long as that took."""
        for segment in [s for s in self._known if s not in segments]:
            self._count -= len(self._known.pop(segment))
        for segment in [s for s in self._listed if s not in segments]:
            del self._listed[segment]

    def contains(self, leaves: list[tuple[str, object]], fieldname: str, text: str) -> bool:
        if self._count >= self.limit:
            self._known.clear()
            self._count = 0
        key = (fieldname, text)
        for segment, reader in leaves:
            terms = self._terms_of(segment, reader)
            if terms is not None:
                if (
                    fieldname in reader.schema
                    and (fieldname, _bytes(reader, fieldname, text)) in terms
                ):
                    return True
                continue
            answers = self._known.get(segment)
            if answers is None:
                answers = self._known[segment] = {}
            found = answers.get(key)
            if found is None:
                found = answers[key] = key in reader
                self._count += 1
            if found:
                return True
        return False

    @property
    def known(self) -> int:
        """How many answers of segments asked term by term are kept."""
        return self._count

    @property
    def listed(self) -> int:
        """How many segments' terms are listed (the others are asked term by term)."""
        return len(self._listed)

    def _terms_of(self, segment: str, reader) -> frozenset[tuple[str, bytes]] | None:  # noqa: ANN001
        """A small segment's terms, listed once; None for a large one."""
        found = self._listed.get(segment)
        if found is None and reader.doc_count_all() <= LISTED_SEGMENT_DOCS:
            if len(self._listed) >= MAX_LISTED_SEGMENTS:
                self._listed.clear()
            found = self._listed[segment] = frozenset(reader.all_terms())
        return found


def _bytes(reader, fieldname: str, text: str) -> bytes:  # noqa: ANN001 - a Whoosh reader
    """The term as the segment's dictionary holds it (what `(field, text) in reader` looks up)."""
    return reader.schema[fieldname].to_bytes(text)


class Lexicon:
    """Lookups in one Whoosh reader's lexicon (`reader`, for the caller's other lookups).
    segments: (segment id, segment reader) of each of its segments; presence: the engine's
    memory of which segments hold which terms."""

    def __init__(
        self,
        reader,  # noqa: ANN001 - a Whoosh reader
        segments: list[tuple[str, object]] | None = None,
        presence: Presence | None = None,
    ) -> None:
        self.reader = reader
        self._segments = segments
        self._presence = presence
        self._near: dict[tuple[str, str, int, int], tuple[str, ...]] = {}
        self._listed: dict[tuple[str, str], tuple[str, ...]] = {}
        self._counted: dict[tuple[str, str], int] = {}

    def contains(self, fieldname: str, text: str) -> bool:
        """Whether any segment's term dictionary holds the term (deleted documents' too)."""
        if self._presence is None or self._segments is None:
            return (fieldname, text) in self.reader
        return self._presence.contains(self._segments, fieldname, text)

    def live_frequency(self, fieldname: str, text: str) -> int:
        """The number of live (not deleted) documents whose field holds the term; remembered."""
        key = (fieldname, text)
        found = self._counted.get(key)
        if found is None:
            found = 0
            for leaf, _ in self.reader.leaf_readers():
                if not leaf.has_deletions():
                    found += leaf.doc_frequency(fieldname, text)
                elif key in leaf:
                    found += sum(1 for _ in leaf.postings(fieldname, text).all_ids())
            if len(self._counted) >= MAX_COUNTED:
                self._counted.clear()
            self._counted[key] = found
        return found

    def near(self, fieldname: str, text: str, maxdist: int, prefix: int) -> tuple[str, ...]:
        """The field's terms within maxdist edits of text (a swap of neighbours is one edit)
        that share its first `prefix` characters, in lexicon order; remembered."""
        key = (fieldname, text, maxdist, prefix)
        found = self._near.get(key)
        if found is None:
            size, letters = len(text), set(text)
            found = tuple(
                term
                for term in self._terms_under(fieldname, text[:prefix])
                if abs(len(term) - size) <= maxdist
                and len(set(term) - letters) <= maxdist
                and len(letters - set(term)) <= maxdist
                and edit_distance(term, text) <= maxdist
            )
            if len(self._near) >= MAX_NEAR_REMEMBERED:
                self._near.clear()
            self._near[key] = found
        return found

    def _terms_under(self, fieldname: str, head: str) -> tuple[str, ...]:
        """The field's terms starting with head, sorted; listed once."""
        found = self._listed.get((fieldname, head))
        if found is None:
            merged: set[bytes] = set()
            for leaf, _ in self.reader.leaf_readers():  # each segment's lexicon: no heap merge
                merged.update(leaf.expand_prefix(fieldname, head))
            # UTF-8 bytes sort as their text does: the lexicon's order
            found = tuple(raw.decode("utf-8") for raw in sorted(merged))
            if sum(map(len, self._listed.values())) + len(found) > MAX_LISTED_TERMS:
                self._listed.clear()
            self._listed[(fieldname, head)] = found
        return found
