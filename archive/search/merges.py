"""Merge policies: which of the index's segments a commit folds together.

A Whoosh merge policy is a function (writer, segments) -> the segments to keep as they are; it
adds the others to the writer, which merges them into the commit's new segment. `Index.write`
takes one (None: Whoosh's own MERGE_SMALL). The rounds that choose between them are in
archive.core.indexing and archive.core.worker: they pass these along and never look inside.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from whoosh.reading import SegmentReader

# A Whoosh merge policy: (writer, segments) -> the segments to keep as they are; None: Whoosh's.
MergePolicy = Callable[[Any, list[Any]], list[Any]] | None

# A server's round merges only its smallest segments, at most a batch's worth of documents,
# and only once there are this many of them.
ROUND_MERGE_MIN_SEGMENTS = 4


def _merge(writer: Any, segments: list[Any], chosen: list[Any]) -> list[Any]:
    for segment in chosen:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [s for s in segments if s not in chosen]


def small_merges(limit: int) -> MergePolicy:
    """A merge policy of bounded cost: once there are ROUND_MERGE_MIN_SEGMENTS segments of few
    documents, merge the smallest, at most `limit` documents together.

    Whoosh's MERGE_SMALL may fold thousands of documents into a commit (seconds of pure
    Python); the uploads in a server's round wait for its commit, so it merges little."""

    def policy(writer: Any, segments: list[Any]) -> list[Any]:
        chosen, total = [], 0
        for segment in sorted(segments, key=lambda s: s.doc_count_all()):
            if total + segment.doc_count_all() > limit:
                break
            chosen.append(segment)
            total += segment.doc_count_all()
        if len(chosen) < ROUND_MERGE_MIN_SEGMENTS:
            return segments
        return _merge(writer, segments, chosen)

    return policy


def _tier(size: int) -> int:
    """A segment's size class: 0 below ROUND_MERGE_MIN_SEGMENTS documents, then one up for each
    factor of ROUND_MERGE_MIN_SEGMENTS."""
    tier = 0
    while size >= ROUND_MERGE_MIN_SEGMENTS:
        size //= ROUND_MERGE_MIN_SEGMENTS
        tier += 1
    return tier


def tiered_merges(limit: int) -> MergePolicy:
    """A merge policy for a server's rounds: merge segments of like size, ROUND_MERGE_MIN_SEGMENTS
    of one size class (the smallest such class), each of fewer than `limit` documents.

    Why tiers: small_merges folds every new round into the same growing segment, so under a
    steady stream of uploads each document was rewritten at every round until its segment
    reached `limit` (at 10 uploads/s on 20k documents, merges took 60-80% of the worker's core).
    Merging only like sizes rewrites a document about log4(limit / round) times, as Lucene's
    tiered and log merge policies do, and leaves at most 3 segments of each size class."""

    def policy(writer: Any, segments: list[Any]) -> list[Any]:
        chosen = tiered_choice(limit, segments, lambda s: s.doc_count_all())
        return _merge(writer, segments, chosen) if chosen else segments

    return policy


def tiered_choice(limit: int, segments: list[Any], size: Callable[[Any], int] = int) -> list[Any]:
    """The segments tiered_merges(limit) would merge now (none: []); size gives a segment's
    documents (segments may be their sizes: whether a merge is due)."""
    tiers: defaultdict[int, list[Any]] = defaultdict(list)
    for segment in segments:
        if size(segment) < limit:
            tiers[_tier(size(segment))].append(segment)
    for tier in sorted(tiers):
        if len(tiers[tier]) >= ROUND_MERGE_MIN_SEGMENTS:
            # each below `limit`, but not their sum: capping the sum at `limit` left the
            # segments of ~150 documents (4 of them: 600) unmerged, one more every 150
            # uploads (65 segments after 8,232 uploads at 100k, and every search process
            # holding each one's arrays: likely much of the 1.46 GB after ten minutes of the
            # load test there)
            return sorted(tiers[tier], key=size)[:ROUND_MERGE_MIN_SEGMENTS]
    return []


def no_merges(writer: Any, segments: list[Any]) -> list[Any]:
    """A merge policy that merges nothing (a server's round: its merges come after it)."""
    return segments


def fewest_merges(keep: int) -> MergePolicy:
    """A merge policy that leaves `keep` segments, merging the smallest: what an idle worker
    does so that a long run of small rounds does not leave searches reading many segments."""

    def policy(writer: Any, segments: list[Any]) -> list[Any]:
        chosen = fewest_choice(keep, segments, lambda s: s.doc_count_all())
        return _merge(writer, segments, chosen) if chosen else segments

    return policy


def fewest_choice(keep: int, segments: list[Any], size: Callable[[Any], int] = int) -> list[Any]:
    """The segments fewest_merges(keep) would merge now (none: []): the smallest, so that
    `keep` are left."""
    if len(segments) <= keep:
        return []
    return sorted(segments, key=size)[: len(segments) - keep + 1]
