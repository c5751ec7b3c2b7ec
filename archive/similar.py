"""More like this: documents that share a document's key terms. Reads Whoosh, like search.py.

The index stores neither bodies nor term vectors (the catalog holds the text), so the key
terms come from the catalog's text run through the field's own analyzer: a word becomes the
same "lang:stem" term it is in the index. Bo1 (Whoosh's expansion model) weighs each term by
how much more often it occurs in this document than in the collection, and the best ones,
with those weights as boosts, make one OR query. A document's terms carry its language, so an
English document finds English ones: translations need the names work's cross-script terms.
"""

from __future__ import annotations

from whoosh import query as wq
from whoosh.searching import Searcher

from archive.analysis import term_language
from archive.index import LANG_SEP
from archive.models import Document

KEY_TERMS = 25
BODY_CHARS = 60_000  # key terms of a very long transcript settle long before its end


def similar(searcher: Searcher, doc: Document, limit: int) -> list[tuple[int, float]]:
    """(catalog id, score) of the documents most like doc, best first, doc itself left out."""
    docnum = searcher.document_number(id=str(doc.id))
    lang = term_language(doc.metadata.language)
    text = "\n".join((doc.metadata.title, doc.text[:BODY_CHARS]))
    key_terms = searcher.key_terms_from_text("body", lang + LANG_SEP + text, numterms=KEY_TERMS)
    if not key_terms:
        return []
    query = wq.Or([wq.Term("body", term, boost=weight) for term, weight in key_terms])
    mask = {docnum} if docnum is not None else None
    results = searcher.search(query, limit=limit, mask=mask, terms=False)
    return [(int(hit["id"]), round(hit.score, 4)) for hit in results]
