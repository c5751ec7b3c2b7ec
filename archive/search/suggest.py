"""Suggestions from the archive's own words: autocomplete for the query box, and "did you mean".

Reads the Whoosh `spell` field (unstemmed words of titles, headings, names and tags) through the
reader and lexicon the engine hands over, and lets no Whoosh object out. Autocomplete answers
from a Vocabulary built once per searcher generation (archive.search.generation): sorted folded
keys searched with bisect, and the best entries of every one- to three-letter prefix
precomputed, because those ranges are the long ones and the first keystrokes are the most
frequent. "Did you mean" finds near spellings through the generation's Lexicon
(archive.search.lexicon), which the query compiler's fuzzy matching shares. The term
dictionary's counts include deleted (trashed, edited) documents until a merge: a word is
offered, and a correction chosen, by its count of live documents (Lexicon.live_frequency),
taken for the few candidates only.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from archive.models import Suggestion
from archive.search.analysis import UNKNOWN, edit_distance, fold
from archive.search.lexicon import Lexicon
from archive.search.syntax import And, Node, Or, Word

MIN_PREFIX = 2
PRECOMPUTED = 3  # prefixes up to this length have their best entries stored
KEEP = 12  # entries kept per precomputed prefix
SPELL = "spell"
SPELL_PREFIX = f"{UNKNOWN}:"
# "did you mean": a query with at most FEW_HITS matches may get a correction, which must find
# at least MORE_TIMES as many documents (and MIN_BETTER) to be worth offering.
FEW_HITS = 2
MORE_TIMES = 3
MIN_BETTER = 5
# A word that matches by itself is changed only when it matches at most RARE_HITS documents (a
# slip that made it into one), is no name the archive knows, and is one edit from the correction:
# "Wagner" (a name, one document in the demo) is not "Water", "café" (two) is not "case".
RARE_HITS = 1
LONG_WORD = 8  # letters from which a correction may be two edits away
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class _Entry:
    text: str
    kind: str
    count: int
    id: int | None = None


class _PrefixIndex:
    """Entries under one or more folded keys each; the best-scored entries for a prefix."""

    def __init__(self, keyed: Iterable[tuple[str, float, int]], entries: list[_Entry]) -> None:
        rows = sorted(keyed)
        self.keys = [key for key, _, _ in rows]
        self.rows = rows
        self.entries = entries
        self.best: dict[str, list[int]] = {}
        for key, _, entry in sorted(rows, key=lambda r: -r[1]):
            for n in range(1, min(PRECOMPUTED, len(key)) + 1):
                kept = self.best.setdefault(key[:n], [])
                if len(kept) < KEEP and entry not in kept:
                    kept.append(entry)

    def top(self, prefix: str, n: int) -> list[_Entry]:
        if len(prefix) <= PRECOMPUTED:
            return [self.entries[i] for i in self.best.get(prefix, [])[:n]]
        start = bisect_left(self.keys, prefix)
        end = bisect_left(self.keys, prefix + "\uffff", start)
        chosen: list[int] = []
        for _, _, entry in heapq.nlargest(n * 3, self.rows[start:end], key=lambda r: r[1]):
            if entry not in chosen:
                chosen.append(entry)
        return [self.entries[i] for i in chosen[:n]]


def _distinct(titles: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """Each title text once (the first document's): complete() shows one suggestion per text
    anyway, and reprints and copies would otherwise multiply the index."""
    seen: set[str] = set()
    for doc_id, title in titles:
        key = fold(title)
        if key not in seen:
            seen.add(key)
            yield doc_id, title


def _word_starts(text: str) -> list[str]:
    """The folded text from each of its words on: "Volodymyr Zelensky" -> both names' starts."""
    folded = _SPACE.sub(" ", fold(text)).strip()
    starts = [m.start() for m in re.finditer(r"(?<![^\W_])[^\W_]", folded)]
    return [folded[i:] for i in starts[:30]]


class Vocabulary:
    """What the query box can complete: names (with document counts), frequent words, titles.

    `terms` may count deleted documents (spell_terms does); `live(term)` then gives a term's
    count of live documents, 0 to leave it out, and is asked for the few candidates of a prefix.
    """

    def __init__(
        self,
        names: Mapping[str, int],
        terms: Mapping[str, int],
        titles: Iterable[tuple[int, str]],
        live: Callable[[str], int] | None = None,
    ) -> None:
        self.live = live
        entries: list[_Entry] = []

        def index(
            items: Iterable[tuple[_Entry, list[str], float]], later_word: float = 0.0
        ) -> _PrefixIndex:
            """later_word: what a match from the second word on costs against the first."""
            keyed = []
            for entry, keys, score in items:
                entries.append(entry)
                keyed.extend(
                    (key, score - (later_word if n else 0.0), len(entries) - 1)
                    for n, key in enumerate(keys)
                )
            return _PrefixIndex(keyed, entries)

        self.names = index(
            (_Entry(name, "name", count), _word_starts(name), count)
            for name, count in names.items()
        )
        self.terms = index(
            (_Entry(term, "term", count), [term], count) for term, count in terms.items()
        )
        # a title matched from its first word ranks above one matched inside it; then shorter
        self.titles = index(
            (
                (_Entry(title, "title", 0, doc_id), keys, -len(title))
                for doc_id, title in _distinct(titles)
                if (keys := _word_starts(title))
            ),
            later_word=10_000.0,
        )

    def complete(self, text: str, limit: int = 8) -> list[Suggestion]:
        typed = _SPACE.sub(" ", text).lstrip()
        key = fold(typed)
        if len(key.strip()) < MIN_PREFIX:
            return []
        head, _, last = typed.rpartition(" ")
        picked: list[_Entry] = self.names.top(key, 3)
        if len(fold(last)) >= MIN_PREFIX:
            # the last word completed, the words before it kept as typed
            for entry in self._live_terms(fold(last), 5):
                text = f"{head} {entry.text}" if head else entry.text
                picked.append(_Entry(text, "term", entry.count))
        picked.extend(self.titles.top(key, 3))
        seen: set[str] = set()
        out: list[Suggestion] = []
        for entry in picked:
            folded = fold(entry.text)
            # a word completed to itself says nothing; a name typed in full is offered (with
            # its documents), as one typed in part is: "Київ" is a name, not only a prefix
            if folded in seen or (entry.kind == "term" and folded == key.strip()):
                continue
            seen.add(folded)
            out.append(Suggestion(entry.text, entry.kind, entry.count, entry.id))
        # queries first, then documents, which get about three places in eight
        titles = [s for s in out if s.kind == "title"]
        room = min(len(titles), max(1, limit * 3 // 8))
        chosen = [s for s in out if s.kind != "title"][: limit - room]
        return chosen + titles[: limit - len(chosen)]

    def _live_terms(self, prefix: str, n: int) -> list[_Entry]:
        candidates = self.terms.top(prefix, KEEP if self.live else n)
        if self.live is None:
            return candidates
        counted = [_Entry(e.text, e.kind, self.live(e.text)) for e in candidates]
        return sorted((e for e in counted if e.count), key=lambda e: -e.count)[:n]


def spell_terms(reader, min_df: int) -> dict[str, int]:  # noqa: ANN001 - a Whoosh reader
    """Words of the `spell` field found in at least min_df documents, with their counts, which
    include deleted documents (spell_frequency has the live count).

    Each segment's dictionary is walked in order and the counts added up: Whoosh's walk over
    several segments looks every term up again in every segment (36 of a 41 s first
    autocomplete at 20k documents)."""
    counts: dict[str, int] = {}
    for leaf, _ in reader.leaf_readers():
        for raw, info in leaf.iter_field(SPELL):
            word = (raw.decode() if isinstance(raw, bytes) else raw).partition(":")[2]
            counts[word] = counts.get(word, 0) + info.doc_frequency()
    return {
        word: n
        for word, n in counts.items()
        if n >= min_df and len(word) >= 3 and not word.isdigit()
    }


def spell_frequency(lexicon: Lexicon, word: str) -> int:
    """The live documents whose `spell` field holds the (folded) word."""
    return lexicon.live_frequency(SPELL, SPELL_PREFIX + word)


# --- did you mean ------------------------------------------------------------------------------


def plain_words(node: Node) -> list[Word]:
    """The words a correction may replace: not prefixes, fuzzy words (word~ asks for near
    spellings already), fields, phrases or excluded words."""
    if isinstance(node, Word):
        return [] if node.prefix or node.field or node.fuzzy else [node]
    if isinstance(node, And | Or):
        return [w for c in node.children for w in plain_words(c)]
    return []


def correct(
    lexicon: Lexicon,
    text: str,
    node: Node,
    hits: int,
    matches: Callable[[Word], int],
    count: Callable[[str], int],
    is_name: Callable[[str], bool] = lambda word: False,
) -> str | None:
    """A corrected query from the archive's vocabulary, worth offering, or None.

    matches(word) counts the documents a word matches alone; count(text) a query's matches;
    is_name(word) says whether the archive knows the word as a name (variants, names, authors).
    Each plain word is corrected on its own: a word found nowhere must be corrected; one that
    matches is left as typed unless it is a rare slip (see RARE_HITS) of a word far more
    frequent (a typo that slipped into a document must not hide the right spelling). The
    correction is offered when it finds documents, and, when the original found some, many more
    than it.
    """
    corrected = text
    for word in plain_words(node):
        folded = fold(word.text)
        if len(folded) < 3 or folded.isdigit():
            continue
        found = matches(word)
        if found and (found > RARE_HITS or is_name(word.text)):
            continue
        best = _closest(lexicon, folded)
        if best is None:
            if found:
                continue
            return None
        better, df = best
        if found and (
            df < max(MIN_BETTER, MORE_TIMES * found) or edit_distance(better, folded) > 1
        ):
            continue
        pattern = rf"(?<![^\W_]){re.escape(word.text)}(?![^\W_])"
        corrected = re.sub(pattern, _same_case(better, word.text), corrected, count=1)
    if corrected == text:
        return None
    found = count(corrected)
    if found == 0 or (hits and found < max(MIN_BETTER, MORE_TIMES * hits)):
        return None
    return corrected


def _closest(lexicon: Lexicon, folded: str) -> tuple[str, int] | None:
    """The likeliest intended word: the nearest in spelling, then the most frequent (Norvig's
    rule): "troat" is "throat", not "that", however frequent "that" is."""
    # two edits only for a long word: "felder" is not "fedex" (a single slip is one edit)
    maxdist = 1 if len(folded) < LONG_WORD else 2
    best: tuple[int, int, str] | None = None  # (edits, -df, term): the smallest wins
    # prefix: "xx:" and the first letter, which typos rarely change; it keeps the search fast
    for near in lexicon.near(SPELL, SPELL_PREFIX + folded, maxdist, prefix=4):
        term = near.partition(":")[2]
        if term == folded or term.isdigit():
            continue
        df = spell_frequency(lexicon, term)
        if not df:  # only in deleted documents
            continue
        option = (edit_distance(term, folded), -df, term)
        if best is None or option < best:
            best = option
    return (best[2], -best[1]) if best else None


def _same_case(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
