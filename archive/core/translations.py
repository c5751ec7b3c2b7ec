"""Translations kept as documents are added: a document and its version in another language
join one group (the groups of copies, core/copies.py) when the evidence is strong, and only then.

Precision first. Candidates are documents in another language dated within WINDOW_DAYS, sharing
an author or the publication (cross-script keys: Зеленський is Zelenskyy); their texts must
agree in length and paragraphs and share their names, numbers and dates at the same places
(search/translations.py). A pair is kept only when each is the other's best candidate in its
language, by MARGIN over the next best that is not a copy of the best (two records of one text
tie), and the evidence reaches THRESHOLD. The pairing is a pure function of the candidate
graph, so it is recomputed for the documents a change touches (the new ones, their candidates
and their former partners) and gives the same pairs whatever the order of arrival.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from archive.models import Block, Metadata
from archive.search import translations as evidence
from archive.search.variants import Variants
from archive.search.variants import load as load_variants
from archive.storage import copies as groups
from archive.storage import translations as store
from archive.storage.catalog import Catalog

# a translation is dated the same day as its original, or a day or two later (time zones, a
# translator's night)
WINDOW_DAYS = 2
BACKFILL_BATCH = 500


def key_of(doc_id: int, meta: Metadata) -> store.Key:
    """A document's pairing keys: its day (None unless the date has a day), language, sources."""
    day = None
    if meta.date and len(meta.date) == 10:
        try:
            day = date.fromisoformat(meta.date).toordinal()
        except ValueError:
            day = None
    return (doc_id, day, meta.language or "", evidence.source_keys(meta.authors, meta.publication))


class _Pairing:
    """The candidate graph around some documents, read lazily within one transaction."""

    def __init__(
        self,
        catalog: Catalog,
        conn: store.Connection,
        texts: dict[int, Sequence[Block]],
        variants: Variants,
    ) -> None:
        self.catalog, self.conn, self.texts, self.variants = catalog, conn, texts, variants
        self.keys: dict[int, store.Key] = {}
        self.cands: dict[int, list[store.Key]] = {}
        self.profiles: dict[int, evidence.Profile] = {}
        self.scores: dict[tuple[int, int], float] = {}

    def key(self, doc_id: int) -> store.Key | None:
        if doc_id not in self.keys:
            self.keys.update(store.keys_of(self.conn, [doc_id]))
        return self.keys.get(doc_id)

    def candidates(self, doc_id: int) -> list[store.Key]:
        if doc_id not in self.cands:
            key = self.key(doc_id)
            found = []
            if key and key[1] is not None and key[2] and key[3]:
                found = [
                    k
                    for k in store.neighbours(self.conn, key[1], WINDOW_DAYS, key[2])
                    if evidence.same_source(key[3], k[3])
                ]
            self.keys.update((k[0], k) for k in found)
            self.cands[doc_id] = found
        return self.cands[doc_id]

    def profile(self, doc_id: int) -> evidence.Profile:
        if doc_id not in self.profiles:
            blocks = self.texts.get(doc_id)
            if blocks is None:
                doc = self.catalog.get_many([doc_id]).get(doc_id)
                blocks = doc.blocks if doc else ()
            self.profiles[doc_id] = evidence.profile(blocks, self.variants)
        return self.profiles[doc_id]

    def score(self, a: int, b: int) -> float:
        pair = (min(a, b), max(a, b))
        if pair not in self.scores:
            self.scores[pair] = evidence.evidence(self.profile(a), self.profile(b))
        return self.scores[pair]

    def ranked(self, doc_id: int, language: str) -> list[tuple[float, int]]:
        """doc_id's candidates in language with some evidence, best first (ties by id)."""
        scored = [
            (self.score(doc_id, k[0]), -k[0]) for k in self.candidates(doc_id) if k[2] == language
        ]
        return [(s, -neg) for s, neg in sorted(scored, reverse=True) if s > 0]

    def clear_win(self, doc_id: int, ranked: list[tuple[float, int]]) -> bool:
        """Whether the best beats the next best by MARGIN (a copy of the best is no rival)."""
        best_score, best = ranked[0]
        for s, other in ranked[1:]:
            if self._copies(best, other):
                continue
            return best_score - s >= evidence.MARGIN
        return True

    def _copies(self, a: int, b: int) -> bool:
        return groups.are_copies(self.conn, a, b)

    def pair_of(self, doc_id: int, language: str) -> tuple[int, int, float] | None:
        """doc_id's translation into language, if the evidence is strong and mutual."""
        key = self.key(doc_id)
        if key is None:
            return None
        ranked = self.ranked(doc_id, language)
        if not ranked or ranked[0][0] < evidence.THRESHOLD or not self.clear_win(doc_id, ranked):
            return None
        other = ranked[0][1]
        back = self.ranked(other, key[2])
        if not back or back[0][1] != doc_id or not self.clear_win(other, back):
            return None
        return (doc_id, other, ranked[0][0])


def detect(
    catalog: Catalog,
    docs: Sequence[tuple[int, Metadata, Sequence[Block]]],
    variants_path: Path | None = None,
) -> None:
    """Key these documents (just added, or whose text or metadata changed) and pair them and
    their neighbours with their translations; the groups they touch are recomputed. Names
    spelled on one line of the variants file (variants_path, else the bundled one) are one."""
    if not docs:
        return
    variants = load_variants(variants_path)
    keys = [key_of(doc_id, meta) for doc_id, meta, _ in docs]
    with catalog.transaction() as conn:
        store.put_keys(conn, keys)
        pairing = _Pairing(catalog, conn, {i: blocks for i, _, blocks in docs}, variants)
        pairing.keys.update((k[0], k) for k in keys)
        nodes: set[int] = set()
        for key in keys:
            near = pairing.candidates(key[0])
            if near:
                nodes.add(key[0])
                nodes.update(k[0] for k in near)
        before = store.partners(conn, [k[0] for k in keys])
        if before:  # a changed text or date may undo a pairing: its partners look again
            nodes.update(before)
            nodes.update(k[0] for k in keys)
        if not nodes:
            return
        found: dict[tuple[int, int], float] = {}  # a pair is found from both ends: once
        for doc_id in sorted(nodes):
            for language in sorted({k[2] for k in pairing.candidates(doc_id)}):
                pair = pairing.pair_of(doc_id, language)
                if pair:
                    found[min(pair[:2]), max(pair[:2])] = pair[2]
        store.replace_pairs(conn, nodes, [(a, b, e) for (a, b), e in found.items()])
        groups.regroup(conn, nodes)


def backfill(catalog: Catalog, variants_path: Path | None = None) -> int:
    """Pair every document not yet considered (catalogued before translations were kept, or
    restored from an export); returns how many. Runs with `archive reindex`."""
    done = 0
    while ids := store.unkeyed(catalog, BACKFILL_BATCH):
        got = catalog.get_many(ids)
        detect(
            catalog, [(i, got[i].metadata, got[i].blocks) for i in ids if i in got], variants_path
        )
        done += len(ids)
    return done
