"""A compiled query's matches and BM25 scores as arrays over the whole index, in one pass.

Whoosh ranks by walking a tree of matchers document by document in Python and scoring every
match (a five-word OR matches most of the archive: seconds at 100,000 documents), and the match
set for facets took a second walk. Here each term's posting list is read as arrays
(archive.search.postings), scored with the same BM25 formula, boosts and sums Whoosh uses
(ArchiveBM25 in archive.search.compile; Whoosh's Or, And and AndMaybe add their parts' scores,
a Not inside an And adds 1.0, a ConstantScoreQuery adds its constant), and combined with array
arithmetic; the page then needs only the best few (numpy.argpartition). The same arrays are the
match set that facets, filters and the timeline count.

What this does not know how to score (phrases, above all: their positions) is walked by Whoosh's
own matcher, in that part of the tree only, and so scored exactly as before. A term's arrays are
kept per segment (segments never change, only their deletions) within a memory budget, so a word
asked again costs only the arithmetic.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from archive.search.compile import BM25_B, BM25_K1, DATE_FIELD, NOTHING
from archive.search.lexicon import LISTED_SEGMENT_DOCS
from archive.search.postings import field_lengths, posting_arrays

# Bytes of term arrays kept across searches (ids and frequencies, kept compact: 8 bytes a
# posting; 16 before, under a budget of 48 MB that a 100k search process filled).
TERM_CACHE_BYTES = 24_000_000
# A segment of at most this many documents (an index round's, a small merge's) has its terms'
# postings read each time, not kept: under writes such segments come with every round and go
# with the next merges, and the cache filled with their entries (a few postings each or none,
# ~520 bytes an entry of which its budget counted at most a few dozen), so that a server under
# writes grew for minutes. Read again, a term of such a segment costs microseconds. The same
# segments Presence lists whole (one meaning, one number).
UNKEPT_SEGMENT_DOCS = LISTED_SEGMENT_DOCS
# Phrases whose matching documents are kept per segment (within an eighth of that budget).
PHRASES_KEPT = 4096
# How Evaluator.evaluate counts the phrases that add no document to their Or (see ranked).
EXACT, LOWER, UPPER, GIVEN = "exact", "lower", "upper", "given"


@dataclass
class Scored:
    """Per document of the searcher (its global numbers): matched, and its score."""

    mask: np.ndarray  # bool
    score: np.ndarray  # float64, 0 where not matched


class TermCache:
    """Each segment's (ids, frequencies) of recently used terms, and each segment's field
    lengths; shared by the generations of one engine (keyed by segment id)."""

    def __init__(self, budget: int = TERM_CACHE_BYTES) -> None:
        self.budget = budget
        self._terms: OrderedDict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = (
            OrderedDict()
        )
        self._lengths: dict[tuple[str, str], np.ndarray] = {}
        # each segment's documents holding a phrase (positions walked once per segment)
        self._phrases: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._phrase_bytes = 0
        self._asked: OrderedDict[tuple, None] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def postings(self, segment: str, reader, fieldname: str, text: str):  # noqa: ANN001, ANN201
        if reader.doc_count_all() <= UNKEPT_SEGMENT_DOCS:
            return _compact(*posting_arrays(reader, fieldname, text))
        key = (segment, fieldname, text)
        with self._lock:
            found = self._terms.get(key)
            if found is not None:
                self._terms.move_to_end(key)
                return found
        found = _compact(*posting_arrays(reader, fieldname, text))
        size = found[0].nbytes + found[1].nbytes
        with self._lock:
            if key not in self._terms and size < self.budget // 4:
                self._terms[key] = found
                self._bytes += size
                while self._bytes > self.budget:
                    _, (ids, weights) = self._terms.popitem(last=False)
                    self._bytes -= ids.nbytes + weights.nbytes
        return found

    @staticmethod
    def frequencies(weights: np.ndarray) -> np.ndarray:
        """A term's kept frequencies as the float64 that scoring takes (as Whoosh gave them)."""
        return weights.astype(np.float64, copy=False)

    def phrase(self, key: tuple) -> np.ndarray | None:
        """A phrase's matching documents in one segment (its numbers), if kept: key is
        (segment id, field, words, slop)."""
        with self._lock:
            found = self._phrases.get(key)
            if found is not None:
                self._phrases.move_to_end(key)
            return found

    def asked_before(self, key: tuple) -> bool:
        """Whether a phrase was walked in part (among a page's candidates) for this segment
        before; this call counts as such a time."""
        with self._lock:
            if key in self._asked:
                return True
            self._asked[key] = None
            while len(self._asked) > PHRASES_KEPT:
                self._asked.popitem(last=False)
            return False

    def keep_phrase(self, key: tuple, ids: np.ndarray) -> None:
        with self._lock:
            if key in self._phrases:
                return
            self._phrases[key] = ids
            self._phrase_bytes += ids.nbytes
            while self._phrase_bytes > self.budget // 8 or len(self._phrases) > PHRASES_KEPT:
                _, dropped = self._phrases.popitem(last=False)
                self._phrase_bytes -= dropped.nbytes

    def lengths(self, segment: str, reader, fieldname: str) -> np.ndarray:  # noqa: ANN001
        key = (segment, fieldname)
        found = self._lengths.get(key)
        if found is None:
            found = self._lengths[key] = field_lengths(reader, fieldname)
        return found

    def retain(self, segments: set[str]) -> None:
        """Forget the segments a merge retired."""
        with self._lock:
            for key in [k for k in self._terms if k[0] not in segments]:
                ids, weights = self._terms.pop(key)
                self._bytes -= ids.nbytes + weights.nbytes
            for key in [k for k in self._lengths if k[0] not in segments]:
                del self._lengths[key]
            for key in [k for k in self._phrases if k[0] not in segments]:
                self._phrase_bytes -= self._phrases.pop(key).nbytes
            for key in [k for k in self._asked if k[0] not in segments]:
                del self._asked[key]


class Evaluator:
    """Evaluates compiled queries against one searcher (a generation's)."""

    def __init__(
        self,
        searcher: Searcher,
        segments: list[tuple[str, object, int]],
        live: np.ndarray,
        dates: np.ndarray,
        cache: TermCache,
        ids: np.ndarray | None = None,
    ) -> None:
        """segments: (segment id, segment reader, offset) of each leaf; live: the live mask
        over global numbers; dates: each document's date_desc value; ids: each document's
        catalog id, which orders equal scores (None: the documents' numbers do)."""
        self.searcher = searcher
        self.segments = segments
        self.live = live
        self.dates = dates
        self.ids = ids
        self.cache = cache
        self.size = len(live)
        self._mode = EXACT
        self._candidates: np.ndarray | None = None
        self._walks: dict[tuple[int, bool], Scored] = {}
        # whole-tree evaluations made (tests read it: a page's query is scored once)
        self.evaluations = 0

    def evaluate(self, query: wq.Query, mode: str = EXACT) -> Scored:
        """The live documents the query matches and their scores.

        mode: EXACT scores every part; LOWER and UPPER leave out, or count at most, what the
        phrases that add no document (a variant "Donald Trump" beside the word "Trump") add to
        a score, so the matches are exact and the scores bounds (see ranked)."""
        self._mode = mode
        self.evaluations += 1
        try:
            found = self._node(query)
        finally:
            self._mode = EXACT
            self._walks.clear()
        return Scored(found.mask & self.live, np.where(self.live, found.score, 0.0))

    def ranked(
        self,
        query: wq.Query,
        matched: np.ndarray,
        start: int,
        stop: int,
        lower: np.ndarray | None = None,
    ) -> list[tuple[int, float]]:
        """Documents start..stop of `matched` by the query's exact scores, best first; lower:
        the query's LOWER scores, when its matches were found with them (the exact scores of a
        query without such phrases: not evaluated again, a third of a search's time).

        Walking a phrase costs its positions in every document holding its words: a variant
        spelling of a frequent name is most of such a query's time. The phrases that add no
        document are walked only where they could change the page: with them left out (lower
        bounds) the stop-th best score is a floor; a document whose score with them counted at
        most (upper bounds: the sum of their words' scores) stays under it cannot reach the
        page, and the rest get their phrases walked and their exact scores."""
        if not _has_extra_phrases(query):
            exact = lower if lower is not None else self.evaluate(query).score
            return top(exact, matched, start, stop, self.ids)
        if lower is None:
            lower = self.evaluate(query, LOWER).score
        ids = np.flatnonzero(matched)
        if len(ids) > stop:
            floor = -np.partition(-lower[ids], stop - 1)[stop - 1]
            upper = self.evaluate(query, UPPER).score
            candidates = matched & (upper >= floor)
        else:
            candidates = matched
        self._candidates = candidates
        try:
            exact = self.evaluate(query, GIVEN).score
        finally:
            self._candidates = None
        return top(exact, candidates, start, stop, self.ids)

    # --- the tree ---
    def _empty(self) -> Scored:
        return Scored(np.zeros(self.size, dtype=bool), np.zeros(self.size, dtype=np.float64))

    def _node(self, q: wq.Query) -> Scored:
        kind = type(q)  # exact types: Whoosh's subclasses (FuzzyTerm, Ordered) mean more
        if q is NOTHING or kind is wq.NullQuery.__class__:
            return self._empty()
        if kind is wq.Term:
            return self._term(q)
        if kind is wq.Every:
            return Scored(self.live.copy(), np.where(self.live, 1.0, 0.0))
        if kind is wq.Or and not q.minmatch and not q.scale:
            return self._boosted(self._or(q.subqueries), q.boost)
        if kind is wq.And:
            return self._boosted(self._and(q.subqueries), q.boost)
        if kind is wq.AndMaybe:
            a, b = self._node(q.a), self._node(q.b)
            score = a.score + np.where(a.mask & b.mask, b.score, 0.0)
            return self._boosted(Scored(a.mask, np.where(a.mask, score, 0.0)), q.boost)
        if kind is wq.ConstantScoreQuery and type(q.child) is wq.Term:
            inner = self._term(q.child)
            return Scored(inner.mask, np.where(inner.mask, float(q.score), 0.0))
        if kind is wq.Phrase:
            return self._phrase(q)
        if kind is wq.NumericRange and q.fieldname == DATE_FIELD and _closed(q) and q.boost == 1:
            mask = (self.dates >= q.start) & (self.dates <= q.end)
            # Whoosh matches a numeric range as constant-score terms: 1.0 a document
            return Scored(mask, np.where(mask, 1.0, 0.0))
        return self._walked(q)

    @staticmethod
    def _boosted(found: Scored, boost: float) -> Scored:
        if boost != 1.0:
            found.score = found.score * boost
        return found

    def _or(self, parts: list[wq.Query]) -> Scored:
        mask = np.zeros(self.size, dtype=bool)
        score = np.zeros(self.size, dtype=np.float64)
        extra = {id(q) for q in _extra_phrases(parts)}
        for part in parts:
            if id(part) in extra and self._mode != EXACT:
                found = self._extra_phrase(part)
            else:
                found = self._node(part)
            mask |= found.mask
            score += found.score
        return Scored(mask, score)

    def _extra_phrase(self, q: wq.Phrase) -> Scored:
        """A phrase that adds no document to its Or, as the mode counts it."""
        if self._mode == LOWER:
            return self._empty()
        if self._mode == UPPER:
            # at most its words' scores where all of them occur (a phrase scores their sum)
            words = [wq.Term(q.fieldname, w) for w in q.words]
            return self._boosted(self._and(words), q.boost)
        if type(q) is wq.Phrase:
            return self._phrase(q, self._candidates)
        return self._walked(q, self._candidates)

    def _phrase(self, q: wq.Phrase, only: np.ndarray | None = None) -> Scored:
        """A phrase: the documents holding all its words (arrays) whose positions make the
        phrase, scored as Whoosh scores it: its words' BM25 scores added in Whoosh's binary
        tree of intersections, times its boost. Which documents hold the phrase is found by
        Whoosh's own matcher, once per segment (segments never change), and kept; only: the
        documents that matter (ranked's candidates)."""
        try:
            field = self.searcher.schema[q.fieldname]
        except KeyError:
            field = None
        if field is None or not field.format or not field.format.supports("positions"):
            return self._walked(q, only)  # Whoosh says why (a QueryError), as before
        key = (id(q), only is None)
        if key in self._walks:
            return self._walks[key]
        parts = [self._term(wq.Term(q.fieldname, word)) for word in q.words]
        if not parts:
            return self._empty()
        mask = parts[0].mask.copy()
        for part in parts[1:]:
            mask &= part.mask
        holding = np.zeros(self.size, dtype=bool)
        context = self.searcher.context(needs_current=False)
        leaves = self.searcher.leaf_searchers()
        for (segment, _reader, offset), (subsearcher, _) in zip(self.segments, leaves, strict=True):
            size = subsearcher.reader().doc_count_all()
            inside = mask[offset : offset + size]
            if not inside.any():
                continue
            cache_key = (segment, q.fieldname, tuple(q.words), q.slop)
            ids = self.cache.phrase(cache_key)
            if ids is None:
                # a phrase asked among a page's candidates is walked there alone the first
                # time (a one-off query pays only for those); asked again, it is walked whole
                # and kept: a repeated variant ("Donald Trump" beside Trump) then costs nothing
                whole = only is None or self.cache.asked_before(cache_key)
                walk = inside if whole else inside & only[offset : offset + size]
                ids = _phrase_ids(q.matcher(subsearcher, context), np.flatnonzero(walk))
                if whole:
                    self.cache.keep_phrase(cache_key, ids)
            holding[ids + offset] = True
        mask &= holding
        score = _tree_sum([part.score for part in parts])
        found = self._boosted(Scored(mask, np.where(mask, score, 0.0)), q.boost)
        self._walks[key] = found
        return found

    def _and(self, parts: list[wq.Query]) -> Scored:
        mask = np.ones(self.size, dtype=bool)
        score = np.zeros(self.size, dtype=np.float64)
        for part in parts:
            if type(part) is wq.Not:
                excluded = self._node(part.query).mask
                mask &= ~excluded
                score += 1.0  # Whoosh's InverseMatcher scores each document it passes 1.0
                continue
            found = self._node(part)
            mask &= found.mask
            score += found.score
        return Scored(mask, np.where(mask, score, 0.0))

    def _term(self, q: wq.Term) -> Scored:
        found = self._empty()
        fieldname = q.fieldname
        try:
            text = self.searcher.schema[fieldname].to_bytes(q.text)
        except (KeyError, ValueError):
            return found
        parent = self.searcher
        # each segment's postings (remembered, absent ones too: most terms asked for are in
        # few segments or none)
        found_in = [
            (segment, reader, offset, *self.cache.postings(segment, reader, fieldname, text))
            for segment, reader, offset in self.segments
        ]
        if not any(len(ids) for _, _, _, ids, _ in found_in):
            return found
        idf = parent.idf(fieldname, text)
        avgfl = parent.avg_field_length(fieldname) or 1
        for segment, reader, offset, ids, tf in found_in:
            if not len(ids):
                continue
            tf = self.cache.frequencies(tf)
            fl = self.cache.lengths(segment, reader, fieldname)[ids]
            # Whoosh's bm25(), operation for operation, so that scores agree to the last bit
            norm = tf + BM25_K1 * ((1 - BM25_B) + BM25_B * fl / avgfl)
            score = idf * ((tf * (BM25_K1 + 1)) / norm)
            where = ids + offset
            found.mask[where] = True
            found.score[where] = score
        return self._boosted(found, q.boost)

    def _walked(self, q: wq.Query, only: np.ndarray | None = None) -> Scored:
        """A part of the tree scored by Whoosh's own matcher (phrases, fuzzy terms...); only:
        the documents to look at (the matcher skips to each), else all."""
        key = (id(q), only is None)
        if key in self._walks:  # the same part in another pass of ranked()
            return self._walks[key]
        found = self._empty()
        context = self.searcher.context(needs_current=False)
        for subsearcher, offset in self.searcher.leaf_searchers():
            matcher = q.matcher(subsearcher, context)
            ids: list[int] = []
            scores: list[float] = []
            if only is None:
                while matcher.is_active():
                    ids.append(matcher.id())
                    scores.append(matcher.score())
                    matcher.next()
            else:
                size = subsearcher.reader().doc_count_all()
                for doc in (np.flatnonzero(only[offset : offset + size])).tolist():
                    if not matcher.is_active():
                        break
                    if matcher.id() < doc:
                        matcher.skip_to(doc)
                    if matcher.is_active() and matcher.id() == doc:
                        ids.append(doc)
                        scores.append(matcher.score())
            if ids:
                where = np.array(ids, dtype=np.int64) + offset
                found.mask[where] = True
                found.score[where] = scores
        self._walks[key] = found
        return found


_ABSENT = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))
for _array in _ABSENT:
    _array.flags.writeable = False


def _compact(ids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A segment's postings of a term as kept: numbers as int32 (a segment holds fewer than 2**31
    documents), frequencies as float32 when that holds them exactly (whole numbers do; a
    weight it would round stays float64, so that scores agree with Whoosh's to the last bit)."""
    if not len(ids):  # most terms asked for are absent from most segments: one pair for all
        return _ABSENT
    small = weights.astype(np.float32)
    if np.array_equal(small, weights):
        weights = small
    return ids.astype(np.int32), weights


def _tree_sum(scores: list[np.ndarray]) -> np.ndarray:
    """The sum as Whoosh's make_binary_tree of IntersectionMatchers adds it (a + (b + c)),
    so that a phrase's score agrees with Whoosh's to the last bit."""
    if len(scores) == 1:
        return scores[0]
    half = len(scores) // 2
    return _tree_sum(scores[:half]) + _tree_sum(scores[half:])


def _phrase_ids(matcher, candidates: np.ndarray) -> np.ndarray:  # noqa: ANN001 - Whoosh's
    """The candidates (a segment's numbers, ascending) at which the phrase's matcher stops."""
    ids: list[int] = []
    for doc in candidates.tolist():
        if not matcher.is_active():
            break
        if matcher.id() < doc:
            matcher.skip_to(doc)
        if matcher.is_active() and matcher.id() == doc:
            ids.append(doc)
    return np.array(ids, dtype=np.int64)


def top(
    scores: np.ndarray,
    mask: np.ndarray,
    start: int,
    stop: int,
    tiebreak: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """Documents start..stop of the matches by score, best first; ties by catalog id (tiebreak,
    by document number; None: by document number), so that equal scores keep their order
    through a reindex that places documents otherwise (Whoosh's collector orders them by
    number)."""
    ids = np.flatnonzero(mask)
    if stop <= start or not len(ids):
        return []
    values = scores[ids]
    if stop < len(ids):
        # every document scoring at least the stop-th best score (ties at the cut included)
        cut = -np.partition(-values, stop - 1)[stop - 1]
        keep = values >= cut
        ids, values = ids[keep], values[keep]
    order = np.lexsort((ids if tiebreak is None else tiebreak[ids], -values))[start:stop]
    return [(int(ids[i]), float(values[i])) for i in order]


def by_key(
    keys: np.ndarray,
    mask: np.ndarray,
    start: int,
    stop: int,
    descending: bool,
    tiebreak: np.ndarray | None = None,
) -> list[int]:
    """Documents start..stop of the matches ordered by a numeric key, ties by catalog id
    (tiebreak, by document number; None: by document number)."""
    ids = np.flatnonzero(mask)
    if stop <= start or not len(ids):
        return []
    values = keys[ids].astype(np.int64)
    if descending:
        values = -values
    order = np.lexsort((ids if tiebreak is None else tiebreak[ids], values))[start:stop]
    return [int(ids[i]) for i in order]


def _extra_phrases(parts: list[wq.Query]) -> list[wq.Query]:
    """The phrases among an Or's parts that add no document to it: one of their words is a
    term of the same field among the parts (every document with the phrase has that word)."""
    terms = {(q.fieldname, q.text) for q in parts if type(q) is wq.Term}
    return [
        q for q in parts if type(q) is wq.Phrase and any((q.fieldname, w) in terms for w in q.words)
    ]


def _has_extra_phrases(q: wq.Query) -> bool:
    if type(q) is wq.Or and not q.minmatch and not q.scale and _extra_phrases(q.subqueries):
        return True
    return any(_has_extra_phrases(c) for c in q.children())


def _closed(q: wq.NumericRange) -> bool:
    return not (q.startexcl or q.endexcl or q.start is None or q.end is None)
