"""How many live documents hold a term: Whoosh's term dictionary counts deleted ones too.

A trashed document is deleted from the index, and an edit deletes the old version and adds the
new one; but a segment's term dictionary (its words and their document frequencies) is written
once, so a deleted document's words stay listed, with counts that include it, until a merge
rewrites the segment. Anything that offers words or weighs them by their counts (autocomplete,
"did you mean", More like this) asks here instead: a segment without deletions answers from its
dictionary, one with deletions counts the term's postings, which Whoosh reads without the
deleted documents. Only the few terms about to be shown or weighed are counted, and each once
per reader.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

_COUNTED: WeakKeyDictionary[object, dict[tuple[str, str], int]] = WeakKeyDictionary()
MAX_COUNTED = 50_000  # terms remembered per reader


def live_frequency(reader, fieldname: str, text: str) -> int:  # noqa: ANN001 - a Whoosh reader
    """The number of live (not deleted) documents whose field holds the term."""
    counted = _COUNTED.setdefault(reader, {})
    key = (fieldname, text)
    found = counted.get(key)
    if found is None:
        found = 0
        for leaf, _ in reader.leaf_readers():
            if not leaf.has_deletions():
                found += leaf.doc_frequency(fieldname, text)
            elif key in leaf:
                found += sum(1 for _ in leaf.postings(fieldname, text).all_ids())
        if len(counted) >= MAX_COUNTED:
            counted.clear()
        counted[key] = found
    return found
