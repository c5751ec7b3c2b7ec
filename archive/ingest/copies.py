"""A text's near-duplicate signature: MinHash over word shingles, cut into LSH bands.

Two copies of one text (a reprint with a new headline and footer, the PDF of a web page) share
most of their five-word shingles; MinHash estimates that share (Jaccard) from 128
numbers, and banding (b bands of r rows) makes documents that share a band candidates, so
finding a document's copies is an index lookup rather than a pass over the archive.

MinHash is computed here with NumPy as one-permutation hashing (Li, Owen and Zhang 2012, with
the densification of Shrivastava and Li 2014): one hash per shingle, the minimum kept in each of
NUM_PERM bins, empty bins filled from their neighbour. datasketch's MinHash (128 permutations,
SHA-1 of every shingle in Python) costs 4.2 ms a news article; 128 permutations in NumPy 1.8
ms; this 0.6 ms; the import may grow by 10% at most (bench/copies.py, docs/copies.md).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from archive.models import Block

NUM_PERM = 128
# 32 bands of 4 rows: a pair with Jaccard 0.5 becomes a candidate with probability 0.87, one
# with 0.3 with 0.23; candidates are then verified against THRESHOLD (bench/copies.py)
BANDS = 32
ROWS = NUM_PERM // BANDS
# estimated Jaccard of shingle sets from which two texts are copies (bench/copies.py measures)
THRESHOLD = 0.5
SHINGLE = 5
# fewer distinct shingles than this and a text says too little to call anything its copy
MIN_SHINGLES = 8
# A short text (a note, a caption) differs from another in a word or two, and one word is a
# fifth of its shingles: below SHORT_SHINGLES (about 50 words) a copy must be nearly exact.
SHORT_SHINGLES = 50
SHORT_THRESHOLD = 0.8
_MASK32 = np.uint64(0xFFFFFFFF)
# The hash is fixed, so signatures stored years apart still compare: changing it (or SHINGLE,
# NUM_PERM or the words kept) needs every stored signature recomputed.
_A = np.uint64(0x9E3779B97F4A7C15)  # odd: multiply-shift (Dietzfelbinger) mixes the shingle
_B = np.uint64(0x632BE59BD9B4E019)
_BIN_BITS = 7  # 2**7 == NUM_PERM bins
_EMPTY = np.uint64(1 << 32)

_WORD = re.compile(r"\w+", re.UNICODE)
# Lines that every outlet adds around the same text; a block made of one of these is dropped
# before shingling, so a different footer or navigation does not lower the similarity.
# (Plain substrings of the lowercased block: `in` is C's substring search, a regular expression
# of these alternatives cost 40 µs a block, the most of a document's signing.)
_BOILERPLATE = (
    "sign up", "subscribe", "newsletter", "all rights reserved", "copyright", "©", "cookie",
    "privacy policy", "terms of use", "terms of service", "follow us", "share this",
    "share on", "read more", "related articles", "related stories", "advertisement",
    "skip to content", "skip to main content", "click here", "download the app", "support our",
    "підпис", "поділит", "читайте також", "реклама", "подписат", "поделит", "читайте также",
)  # fmt: skip
# a block this short (about 40 words) that matches a pattern above is boilerplate; a long one is
# the text itself
_BOILERPLATE_CHARS = 300


@dataclass(frozen=True)
class Signature:
    """A text's MinHash values and the LSH band keys made from them; a short text keeps its
    shingle hashes too, since MinHash over a handful of shingles estimates badly (most bins
    are empty and filled from their neighbours) and one word decides whether it is a copy."""

    values: np.ndarray  # NUM_PERM uint64
    bands: tuple[int, ...]  # BANDS signed 64-bit keys (band number mixed in)
    shingles: np.ndarray | None = None  # a short text's distinct shingle hashes, sorted

    def to_bytes(self) -> bytes:
        data = self.values.astype("<u8").tobytes()
        return data + (self.shingles.astype("<u8").tobytes() if self.shingles is not None else b"")

    @staticmethod
    def values_from_bytes(data: bytes) -> np.ndarray:
        return np.frombuffer(data[:_VALUES_BYTES], dtype="<u8")

    def is_copy(self, stored: bytes) -> tuple[bool, float]:
        """Whether the text stored as `stored` (to_bytes) is a copy of this one, and their
        similarity: exact Jaccard when both are short, else the MinHash estimate."""
        theirs = (
            np.frombuffer(stored[_VALUES_BYTES:], dtype="<u8")
            if len(stored) > _VALUES_BYTES
            else None
        )
        if self.shingles is not None and theirs is not None:
            inter = len(np.intersect1d(self.shingles, theirs, assume_unique=True))
            exact = inter / (len(self.shingles) + len(theirs) - inter)
            return exact >= SHORT_THRESHOLD, exact
        estimate = similarity(self.values, self.values_from_bytes(stored))
        short = self.shingles is not None or theirs is not None
        return estimate >= (SHORT_THRESHOLD if short else THRESHOLD), estimate


_VALUES_BYTES = NUM_PERM * 8


def content_words(blocks: Iterable[Block]) -> list[str]:
    """The words of the text proper: headings and boilerplate blocks left out (a reprint's
    headline and its outlet's footer differ; the text does not)."""
    kept = []
    for block in blocks:
        if block.kind == "heading":
            continue
        text = block.text
        if len(text) < _BOILERPLATE_CHARS:
            low = text.lower()
            if any(phrase in low for phrase in _BOILERPLATE):
                continue
        kept.append(text)
    return _WORD.findall("\n".join(kept).lower())


def shingle_hashes(words: list[str]) -> np.ndarray:
    """Distinct 32-bit hashes of the SHINGLE-word windows (a short text: its words' hashes)."""
    if not words:
        return np.zeros(0, dtype=np.uint64)
    # crc32 is stable across processes and Python versions (hash() is salted per process)
    codes = {x: zlib.crc32(x.encode()) for x in set(words)}  # each distinct word hashed once
    w = np.fromiter(map(codes.__getitem__, words), dtype=np.uint64, count=len(words))
    if len(w) < SHINGLE:
        return np.unique(w)
    n = len(w) - SHINGLE + 1
    h = np.zeros(n, dtype=np.uint64)
    for j in range(SHINGLE):  # a polynomial hash of the window, vectorised over all windows
        h = (h * np.uint64(1_000_003) + w[j : j + n]) & _MASK32
    return np.unique(h)


def signature(blocks: Iterable[Block]) -> Signature | None:
    """The text's signature, or None when it is too short to have copies we can tell."""
    hashes = shingle_hashes(content_words(blocks))
    if len(hashes) < MIN_SHINGLES:
        return None
    mixed = (hashes * _A + _B) >> np.uint64(32)  # 32 well-mixed bits
    values = np.full(NUM_PERM, _EMPTY, dtype=np.uint64)
    np.minimum.at(
        values, (mixed & np.uint64(NUM_PERM - 1)).astype(np.intp), mixed >> np.uint64(_BIN_BITS)
    )
    values = _densified(values)
    short = hashes if len(hashes) < SHORT_SHINGLES else None
    return Signature(values, band_keys(values), short)


def _densified(values: np.ndarray) -> np.ndarray:
    """Empty bins take the value of the next non-empty bin (circularly) plus their distance to
    it, so two texts' empty bins agree exactly when their neighbours do."""
    empty = values == _EMPTY
    if not empty.any():
        return values
    filled = np.flatnonzero(~empty)
    positions = np.arange(NUM_PERM)
    nxt = np.searchsorted(filled, positions) % len(filled)
    distance = (filled[nxt] - positions) % NUM_PERM
    out = values.copy()
    out[empty] = values[filled[nxt[empty]]] + (distance[empty].astype(np.uint64) << np.uint64(25))
    return out


def band_keys(values: np.ndarray) -> tuple[int, ...]:
    """One key per band: a hash of the band's rows with the band's number, as SQLite integer."""
    keys = []
    for i in range(BANDS):
        digest = zlib.crc32(values[i * ROWS : (i + 1) * ROWS].tobytes())
        keys.append((i << 32) | digest)
    return tuple(keys)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard of two texts' shingle sets from their MinHash values."""
    return float(np.count_nonzero(a == b)) / len(a)
