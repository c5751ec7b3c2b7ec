"""Evidence that two documents are one text in two languages (pure: no catalog, no index).

A translation keeps what a reader cannot translate: names (Київ, Kyiv), numbers and dates, in
the order the text gives them. A text's anchors are its numbers (digit runs) and its capitalised
words, under their line of the variants file (Росії and Russia) or else their cross-script key
(archive.search.variants.name_key: Шмигаль and Shmyhal are both "smigal"), each with its
relative position in the text (0 at the start, 1 at the end); a word capitalised only where a
sentence opens is left out (The, Сьогодні), unless the variants know it. Two
texts' evidence is the share of anchors found in the other text near the same relative position
(within POSITION), as F1 of both directions: two unrelated addresses of one day name Ukraine and
Russia too, but not at the same places and not with the same figures. Gates come first: lengths
and paragraph counts that a translation keeps within a ratio.

bench/translations.py measures it on resistinua_uk_en (docs/copies.md, Translations).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from archive.models import Block
from archive.search.spellings import value_key
from archive.search.variants import Variants, name_key

# an anchor matches when the other text has it within this share of its length
POSITION = 0.02
# Evidence from which two texts are translations (bench/translations.py, docs/copies.md).
# resistinua_uk_en, same author, two days apart: translations 0.48 at the median; other
# addresses at most 0.21. Orphans (one side of every translation left out, so that only wrong
# partners remain) were paired wrongly below 0.25 (evidence up to 0.229); 0.30 keeps a margin
# over the worst seen, for 3 points of recall (0.906 against 0.935 at 0.25).
THRESHOLD = 0.30
# and by how much it must beat either text's next best candidate in that language
MARGIN = 0.05
# a text with fewer anchors than this says too little to be told from another
MIN_ANCHORS = 8
# the longer text's characters, and paragraphs, at most this many times the shorter's
# (resistinua: English/Ukrainian characters 0.77-1.48, paragraphs 0.71-1.46)
LENGTH_RATIO = 1.7
PARAGRAPH_RATIO = 1.55

_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+")
# a capitalised word right after these (or at a paragraph's start) may just open a sentence
_SENTENCE_END = frozenset('.!?:;…"“”«»„—–(')


@dataclass(frozen=True)
class Profile:
    """What a text's translation keeps: its anchors with their relative positions (sorted),
    its length and its paragraph count."""

    anchors: dict[str, list[float]]
    count: int  # anchor occurrences
    chars: int
    paragraphs: int


def _key(word: str, variants: Variants, memo: dict[str, str]) -> str:
    """A capitalised word's anchor: its line in the variants file (Росії and Russia: one line),
    else its cross-script key; "" for none."""
    key = memo.get(word)
    if key is None:
        line = variants.line_of((word,))
        key = memo[word] = f"={line}" if line is not None else name_key(word)
    return key


def profile(blocks: Iterable[Block], variants: Variants) -> Profile:
    """The anchors of a text: numbers, and capitalised words that are no mere sentence
    openers (a word capitalised only at sentence starts counts when the variants know it)."""
    texts = [b.text for b in blocks if b.text.strip()]
    text = "\n".join(texts)
    n = max(len(text), 1)
    memo = variants.memo.setdefault("translations", {})
    assert isinstance(memo, dict)
    found: list[tuple[str, int, bool]] = []  # (token, offset, opens a sentence)
    inside: set[str] = set()
    for m in _TOKEN.finditer(text):
        word = m.group()
        if word[0].isdigit():
            found.append(("#" + word.replace(",", "."), m.start(), False))
        elif word[0].isupper():
            before = text[max(0, m.start() - 8) : m.start()].rstrip(" \u00a0\t")[-1:]
            opens = not before or before == "\n" or before in _SENTENCE_END
            found.append((word, m.start(), opens))
            if not opens:
                inside.add(word)
    anchors: dict[str, list[float]] = {}
    count = 0
    for token, offset, opens in found:
        if token[0] == "#":
            key = token
        else:
            key = _key(token, variants, memo)
            if not key or (opens and token not in inside and key[0] != "="):
                continue
        anchors.setdefault(key, []).append(offset / n)
        count += 1
    return Profile(anchors, count, len(text), len(texts))


def _found(a: Profile, b: Profile) -> float:
    """The share of a's anchor occurrences that b has near the same relative position."""
    hit = 0
    for key, positions in a.anchors.items():
        theirs = b.anchors.get(key)
        if not theirs:
            continue
        last = len(theirs) - 1
        for p in positions:
            i = bisect_left(theirs, p)
            after = i <= last and theirs[i] - p <= POSITION
            if after or (i > 0 and p - theirs[i - 1] <= POSITION):
                hit += 1
    return hit / a.count


def _ratio(x: int, y: int) -> float:
    small, large = sorted((x, y))
    return large / max(small, 1)


def evidence(a: Profile, b: Profile) -> float:
    """How strongly b is a's translation, 0..1 (0 when a gate fails); symmetric."""
    if a.count < MIN_ANCHORS or b.count < MIN_ANCHORS:
        return 0.0
    if _ratio(a.chars, b.chars) > LENGTH_RATIO:
        return 0.0
    paragraphs = _ratio(a.paragraphs, b.paragraphs)
    if max(a.paragraphs, b.paragraphs) >= 3 and paragraphs > PARAGRAPH_RATIO:
        return 0.0
    p, r = _found(a, b), _found(b, a)
    return 2 * p * r / (p + r) if p + r else 0.0


def source_keys(authors: Sequence[str], publication: str) -> str:
    """The authors' and the publication's cross-script keys, one a line ("a:" or "p:" first):
    Володимир Зеленський and Volodymyr Zelenskyy share "a:volodimir zelensk"."""
    keys = {"a:" + " ".join(value_key(a)) for a in authors if a.strip()}
    if publication.strip():
        keys.add("p:" + " ".join(value_key(publication)))
    return "\n".join(sorted(k for k in keys if len(k) > 2))


def same_source(a: str, b: str) -> bool:
    """Whether two source_keys share an author or the publication."""
    return bool(a and b and set(a.split("\n")) & set(b.split("\n")))
