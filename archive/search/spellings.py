"""A name's spellings across scripts and inflections: the keys that make them one facet value,
and that match what a reader types into a facet's filter.

A name's key is its words' cross-script keys (archive.search.variants.name_key: Шмигаль and
Shmyhal are both "smigal"). A key is coarse (Hanoi, Khan and Ghani share one), so the names
facet (archive.search.values.ValueTable) merges two values of one key only across scripts, or
when they are one edit apart in the same script (`near`); a value's identity (key, script,
folded spelling) is computed once by the index's writer and saved with the segment's arrays
(`encode_identity`). What a reader types meets a name by the keys of its words and of their
Ukrainian and Russian dictionary forms (`typed_keys`, `keys_meet`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from archive.search.analysis import WORD_RE, edit_distance, fold, join_apostrophes
from archive.search.morphology import MORPH_LANGUAGES, nominative
from archive.search.variants import name_key, script

# Spellings whose word keys a filter remembers: it asks again for every value at each keystroke.
CACHE_SIZE = 5_000  # as names.CACHE_SIZE: kept for a server's life


def value_key(words: tuple[str, ...] | str) -> tuple[str, ...]:
    """The key under which spellings of one name meet: each word's cross-script key (Шмигаль
    and Shmyhal: "smigal"). Taken of a name's nominative words, or of a names facet value."""
    if isinstance(words, str):
        words = tuple(WORD_RE.findall(words))
    return tuple(name_key(w) or fold(w) for w in words)


def typed_keys(text: str) -> tuple[frozenset[str], ...]:
    """What a reader typed into a facet's filter, as the keys each word may have: its own
    cross-script key and those of its Ukrainian and Russian dictionary forms (Росією: Росія)."""
    out = []
    for word in WORD_RE.findall(join_apostrophes(text)):
        forms = {word, *(nominative((word,), lang)[0] for lang in MORPH_LANGUAGES)}
        keys = frozenset(k for k in map(name_key, forms) if k)
        if not keys:
            return ()  # a word without a key (too short, another script): plain text only
        out.append(keys)
    return tuple(out)


@lru_cache(maxsize=CACHE_SIZE)
def word_keys(spelling: str) -> tuple[str, ...]:
    return tuple(k for k in map(name_key, WORD_RE.findall(spelling)) if k)


def keys_meet(typed: tuple[frozenset[str], ...], spellings: Iterable[str]) -> bool:
    """Whether each typed word's keys start a word key of one of the spellings (Shmyh ->
    "smig", a start of Шмигаль's "smigal")."""
    for spelling in spellings:
        words = word_keys(spelling)
        if all(any(w.startswith(k) for w in words for k in keys) for keys in typed):
            return True
    return False


def value_identity(name: str) -> tuple[tuple[str, ...], str, str]:
    """(key, script, folded spelling) of a names facet value: what search/values.ValueTable
    needs to merge a name's scripts without merging distinct names of one coarse key."""
    words = tuple(WORD_RE.findall(name))
    kinds = {script(w) for w in words} - {None}
    return value_key(words), "c" if "c" in kinds else "l", fold(" ".join(words))


def near(script: str, spelling: str, seen: set[tuple[str, str]]) -> bool:
    """Whether a spelling is one edit from one of the same script (six letters or more: Barr
    and Barry are two names), or two edits in ten letters or more."""
    allowed = 2 if len(spelling) >= 10 else 1 if len(spelling) >= 6 else 0
    return bool(allowed) and any(
        s == script
        and abs(len(other) - len(spelling)) <= allowed
        and edit_distance(other, spelling) <= allowed
        for s, other in seen
    )


def encode_identity(value: str) -> str:
    """A names value's identity (value_identity) as one string, to save beside it."""
    key, script, spelling = value_identity(value)
    return f"{_KEY_SEP.join(key)}{_PART_SEP}{script}{_PART_SEP}{spelling}"


def identity_key(text: str) -> str:
    """The key part of an encoded identity, as a string (a dictionary key)."""
    return text.partition(_PART_SEP)[0]


def decode_identity(text: str) -> tuple[tuple[str, ...], str, str]:
    key, script, spelling = text.split(_PART_SEP)
    return (tuple(key.split(_KEY_SEP)) if key else ()), script, spelling


_KEY_SEP, _PART_SEP = "\x1f", "\x1d"  # never in a name's folded words
