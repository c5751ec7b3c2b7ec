"""More like this: documents that share a document's key terms.

The index stores neither bodies nor term vectors (the catalog holds the text), so the key
terms come from the catalog's text analysed as the index analyses it: a word becomes the same
"lang:stem" term it is in the index. Each of the document's most frequent terms is weighed by
tf-idf (frequent here, rare in the collection), and the best ones, with those weights as
boosts, make one OR query. Only the most frequent terms are looked up, which keeps a long
transcript as fast as a short article. A document's terms carry its language, so an English
document finds English ones; translations would need cross-language terms.
"""

from __future__ import annotations

import math
from collections import Counter

from whoosh import query as wq
from whoosh.searching import Searcher

from archive.models import Document
from archive.search.analysis import document_terms, term_language
from archive.search.lexicon import Lexicon

KEY_TERMS = 20
CANDIDATES = 150  # the document's most frequent terms that are weighed
TEXT_CHARS = 30_000  # key terms of a very long transcript settle long before its end
FIELD = "body"


def key_terms(searcher: Searcher, lexicon: Lexicon, doc: Document) -> list[tuple[str, float]]:
    """The document's most telling index terms with their weights, best first."""
    text = "\n".join((doc.metadata.title, doc.text))[:TEXT_CHARS]
    counts = Counter(
        term for _, _, term in document_terms(text, term_language(doc.metadata.language))
    )
    reader = searcher.reader()
    # The dictionary's counts include deleted (trashed, edited) documents until a merge, and so
    # does this total, so the weights agree; only the terms picked are recounted, live.
    total = reader.doc_count_all() or 1
    weighted = []
    for term, tf in counts.most_common(CANDIDATES):
        df = reader.doc_frequency(FIELD, term)
        if df <= 1 or len(term) < 5:  # in no other document, or a two-letter word ("en:xx")
            continue
        weighted.append(((1 + math.log(tf)) * math.log(total / df), term))
    weighted.sort(reverse=True)
    picked: list[tuple[str, float]] = []
    for weight, term in weighted:
        if len(picked) == KEY_TERMS or weight <= 0:
            break
        if lexicon.live_frequency(FIELD, term) > 1:  # in another live document
            picked.append((term, weight))
    return picked


def similar(
    searcher: Searcher, lexicon: Lexicon, doc: Document, limit: int
) -> list[tuple[int, float]]:
    """(catalog id, score) of the documents most like doc, best first, doc itself left out
    (lexicon: the searcher's, for live counts)."""
    terms = key_terms(searcher, lexicon, doc)
    if not terms:
        return []
    top = terms[0][1]
    query = wq.Or([wq.Term(FIELD, term, boost=weight / top) for term, weight in terms])
    docnum = searcher.document_number(id=str(doc.id))
    mask = {docnum} if docnum is not None else None
    results = searcher.search(query, limit=limit, mask=mask, terms=False)
    return [(int(hit["id"]), round(hit.score, 4)) for hit in results]
