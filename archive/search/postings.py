"""A segment's posting lists and per-document columns read as NumPy arrays, a block at a time.

Whoosh walks a posting list one document at a time in Python (about a microsecond a posting);
its W3 codec stores the list in blocks of up to 128 postings, each one pickled tuple of
delta-coded ids and term frequencies. Reading a block whole and decoding it with NumPy costs
about as much as three postings walked one by one, so a word found in 50,000 documents is
read in a few milliseconds instead of tens. The block layout is that of whoosh-reloaded 2.7.5,
which the project pins; a matcher of any other kind (a list inlined in the term info, a
wrapped one) is walked the slow, general way, so nothing depends on the layout being right
for every list.

Ids here are a segment's own document numbers, deleted documents included: the caller masks
them with the live documents.
"""

from __future__ import annotations

import sys

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.columns import NumericColumn
from whoosh.matching import Matcher
from whoosh.reading import IndexReader
from whoosh.util.numeric import byte_to_length

EMPTY_IDS = np.zeros(0, dtype=np.int64)
EMPTY_WEIGHTS = np.zeros(0, dtype=np.float64)
# a document's field length is kept as one byte (Whoosh's lossy length_to_byte)
_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


def _raw(matcher: Matcher) -> Matcher:
    """The codec's matcher under Whoosh's deleted-documents filter (we mask deletions)."""
    while not isinstance(matcher, W3LeafMatcher) and hasattr(matcher, "child"):
        matcher = matcher.child
    return matcher


def posting_arrays(
    reader: IndexReader, fieldname: str, text: str | bytes, weights: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, term frequencies) of a term in one segment reader; empty when it is absent."""
    if (fieldname, text) not in reader:
        return EMPTY_IDS, EMPTY_WEIGHTS
    return posting_blocks(_raw(reader.postings(fieldname, text)), weights)


def posting_blocks(matcher: Matcher, weights: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(ids, term frequencies) of a codec matcher at its start, read a block at a time."""
    if not isinstance(matcher, W3LeafMatcher) or matcher._byteids:
        return _walked(matcher, weights)
    id_parts: list[np.ndarray] = []
    weight_parts: list[np.ndarray] = []
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        deltas, block_weights = matcher._data[0], matcher._data[1]
        n = matcher._blocklength
        id_parts.append(np.cumsum(np.asarray(deltas, dtype=np.int64)))
        if weights:
            if block_weights is None:
                weight_parts.append(np.ones(n, dtype=np.float64))
            elif isinstance(block_weights, (int, float)):
                weight_parts.append(np.full(n, float(block_weights), dtype=np.float64))
            else:
                weight_parts.append(np.asarray(block_weights, dtype=np.float64))
        matcher._next_block()
    ids = np.concatenate(id_parts) if id_parts else EMPTY_IDS
    if not weights:
        return ids, EMPTY_WEIGHTS
    return ids, np.concatenate(weight_parts) if weight_parts else EMPTY_WEIGHTS


def _walked(matcher: Matcher, weights: bool) -> tuple[np.ndarray, np.ndarray]:
    ids: list[int] = []
    found: list[float] = []
    while matcher.is_active():
        ids.append(matcher.id())
        if weights:
            found.append(matcher.weight())
        matcher.next()
    return np.array(ids, dtype=np.int64), np.array(found, dtype=np.float64)


def posting_ids(reader: IndexReader, fieldname: str, text: str | bytes) -> np.ndarray:
    return posting_arrays(reader, fieldname, text, weights=False)[0]


def field_lengths(reader: IndexReader, fieldname: str) -> np.ndarray:
    """Each document's length in the field (in tokens, as Whoosh scores it), by number."""
    n = reader.doc_count_all()
    perdoc = getattr(reader, "_perdoc", None)
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN) if perdoc else None
    if column is None or n == 0:
        return np.zeros(n, dtype=np.float64)
    return _LENGTH_OF_BYTE[_column_array(column, n).astype(np.intp)]


def numeric_column(reader: IndexReader, fieldname: str) -> np.ndarray:
    """A sortable numeric field's value of each document, by number."""
    n = reader.doc_count_all()
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    return _column_array(reader.column_reader(fieldname), n).astype(np.int64)


def _column_array(column: object, n: int) -> np.ndarray:
    """A fixed-width numeric column's n values: its bytes read at once where it is one."""
    if isinstance(column, NumericColumn.Reader) and not column._reverse:
        width = column._fixedlen
        stored = min(column._count, n)
        raw = column._dbfile.get(column._basepos, stored * width)
        values = np.frombuffer(raw, dtype=np.dtype(column._typecode).newbyteorder(">"))
        if stored < n:  # documents past the column's end hold its default
            values = np.concatenate([values, np.full(n - stored, column._default)])
        return values
    return np.fromiter((column[d] for d in range(n)), dtype=np.int64, count=n)


def live_mask(reader: IndexReader) -> np.ndarray:
    """True for each document of the segment that is not deleted."""
    mask = np.ones(reader.doc_count_all(), dtype=bool)
    if reader.has_deletions():
        mask[np.fromiter(reader.deleted_docs_set, dtype=np.int64)] = False
    return mask


def field_pairs(reader: IndexReader, fieldname: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every (document, value) pair of a field in one segment: the field's values in
    dictionary order, and for each pair its document and its value's index.

    The term dictionary is walked in order once (a term at a time through reader.postings
    looks each term up in the hash table again: seconds for a names field's 100,000 values)."""
    terms = getattr(reader, "_terms", None)
    if terms is None or not hasattr(terms, "items_from"):
        return _pairs_by_lookup(reader, fieldname)
    values: list[str] = []
    docs: list[np.ndarray] = []
    schema_format = reader.schema[fieldname].format
    postfile = terms._postfile
    codec = terms._codec
    for (field, text), info in terms.items_from(fieldname, b""):
        if field != fieldname:
            break
        if info.is_inlined():
            ids = np.asarray(info.inlined_postings()[0], dtype=np.int64)
        else:
            matcher = codec.postings_reader(postfile, info, schema_format)
            ids = posting_blocks(matcher, weights=False)[0]
        values.append(sys.intern(text.decode("utf-8")))  # one copy across segments: sidecars.shared
        docs.append(ids)
    return _as_pairs(values, docs)


def _pairs_by_lookup(
    reader: IndexReader, fieldname: str
) -> tuple[list[str], np.ndarray, np.ndarray]:
    values: list[str] = []
    docs: list[np.ndarray] = []
    if fieldname in set(reader.indexed_field_names()):
        for raw in reader.lexicon(fieldname):
            docs.append(posting_ids(reader, fieldname, raw))
            values.append(raw.decode("utf-8"))
    return _as_pairs(values, docs)


def _as_pairs(
    values: list[str], docs: list[np.ndarray]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    if not docs:
        return values, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    ords = np.repeat(np.arange(len(docs), dtype=np.int32), lengths)
    return values, np.concatenate(docs).astype(np.int32), ords
