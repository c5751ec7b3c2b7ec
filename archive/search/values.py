"""A facet's values numbered once for an engine's life, so that facet counts are arrays by
value number (archive.search.facets) and a new segment adds numbers without renumbering. The
names facet's table merges the spellings of one name into one number (archive.search.spellings).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from archive.search.spellings import decode_identity, encode_identity, identity_key, near

# Facets whose values are names: their spellings, inflections and scripts are one value.
KEYED_FACETS = ("names",)


class ValueTable:
    """One facet's values numbered once for the engine's life (a value keeps its number in
    every generation), so that a new segment adds numbers and nothing is renumbered.

    A keyed table (the names facet) gives every value of one key one number: the spellings,
    inflections and scripts of a name (Денис Шмигаль, Denys Shmyhal) count as one value, shown
    under its spelling found in most documents (`show`) and found by any of them. A document
    holds one value a key (archive.search.names.extract), so none is counted twice."""

    def __init__(self, keyed: bool = False) -> None:
        self.number: dict[str, int] = {}
        self.values: list[str] = []
        self.keyed = keyed
        # key (encoded) -> the numbers of its values (keyed tables)
        self._by_key: dict[str, list[int]] = {}
        # each number's first value's identity (encode_identity; the saved strings themselves,
        # so a pointer a value), and the identities of a number's other spellings
        self._identity: list[str] = []
        self._more: dict[int, list[str]] = {}
        # number -> its spellings, for the numbers that have more than one
        self.spellings: dict[int, list[str]] = {}
        # how many documents write each of those spellings (archive.search.facets.SpellingTally)
        self.tally: object | None = None

    def numbers(self, values: list[str], identities: list[str] | None = None) -> np.ndarray:
        """The values' numbers, new values numbered; identities: each value's, encoded
        (encode_identity), where the caller has them (a keyed table computes them else)."""
        number = self.number
        out = np.empty(len(values), dtype=np.int32)
        for i, value in enumerate(values):
            found = number.get(value)
            if found is None:
                found = number[value] = self._add(value, identities[i] if identities else None)
            out[i] = found
        return out

    def _add(self, value: str, identity: str | None = None) -> int:
        if not self.keyed:
            self.values.append(value)
            return len(self.values) - 1
        identity = identity or encode_identity(value)
        key = identity_key(identity)
        numbers = self._by_key.get(key)
        if numbers is None:  # most values: the first of their key
            self._by_key[key] = [len(self.values)]
            self.values.append(value)
            self._identity.append(identity)
            return len(self.values) - 1
        _, script, spelling = decode_identity(identity)
        # A key is coarse (Hanoi and Khan share one): a value joins a number of its key that
        # spells it the same or nearly (one letter in six letters or more), or one that has no
        # spelling in its script yet (Шмигаль and Shmyhal: the key bridges scripts); otherwise
        # it gets a number of its own.
        seen = [
            (n, {decode_identity(i)[1:] for i in (self._identity[n], *self._more.get(n, ()))})
            for n in numbers
        ]
        found = next((n for n, pairs in seen if (script, spelling) in pairs), None)
        if found is None:  # another romanisation: Borodianka, Borodyanka
            found = next((n for n, pairs in seen if near(script, spelling, pairs)), None)
        if found is None:
            found = next((n for n, pairs in seen if script not in {s for s, _ in pairs}), None)
        if found is None:
            found = len(self.values)
            self.values.append(value)
            self._identity.append(identity)
            numbers.append(found)
        else:
            self.spellings.setdefault(found, [self.values[found]]).append(value)
            self._more.setdefault(found, []).append(identity)
        return found

    def shown(self, value: str) -> str:
        """The value a spelling is shown as (itself when the table has not seen it)."""
        found = self.number.get(value)
        return self.values[found] if found is not None else value

    def aliases(self, value: str) -> list[str]:
        """Every spelling of the value's number (the value alone when it has no other)."""
        found = self.number.get(value)
        return self.spellings.get(found, [value]) if found is not None else [value]

    def show(self, documents: Callable[[str], int]) -> None:
        """Show each value of several spellings under the one most documents write
        (documents(spelling) counts them); ties go to the first in code point order."""
        for found, spellings in self.spellings.items():
            self.values[found] = max(sorted(spellings), key=documents)  # ties: the first


def new_table(facet: str) -> ValueTable:
    return ValueTable(keyed=facet in KEYED_FACETS)
