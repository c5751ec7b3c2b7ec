"""More like this: documents about the same subject as a document.

The index stores neither bodies nor term vectors (the catalog holds the text), so the key
terms come from the catalog's text analysed as the index analyses it: a word becomes the same
"lang:stem" term it is in the index. Three kinds of evidence make one OR query, each term boosted
by its weight (docs/similar.md measures them):

- key terms of the body: the document's most frequent terms weighed by Bo1 (frequent here, rare
  in the collection: the model of Whoosh's key_terms); a term in more than COMMON_SHARE of the
  documents is a common word or boilerplate of a site ("newsletter", "said") and is left out;
- names (people, organisations, places: search/names.py) the document mentions, looked up in the
  index's `names` field, weighing NAMES_WEIGHT times the best key term: two documents naming
  Prigozhin and Bakhmut are about the same thing more surely than two that share "offensive".
  The field holds a name's canonical spelling, so Київ in a Ukrainian text and Kyiv in an English
  one are one term, across scripts;
- a name that the variants file does not know also looks up the cross-script key of its words
  (the `alias` field: Зеленський and Zelenskyy share "zelensk"), at CROSS_WEIGHT, so an English
  essay finds Ukrainian articles about the same people.

Only the most frequent terms are looked up, which keeps a long transcript as fast as a short
article. The caller leaves out the document itself and any others it names (its copies, its
translations): they are listed as such, not as similar. A translation's own terms make a second
query, whose list interleaves with the first.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from archive.models import Document
from archive.search.analysis import WORD_RE, document_terms, term_language
from archive.search.generation import Generation
from archive.search.lexicon import Lexicon
from archive.search.names import extract as extract_names
from archive.search.scoring import top
from archive.search.variants import Variants, cross_script_term

KEY_TERMS = 25
CANDIDATES = 150  # the document's most frequent terms that are weighed
TEXT_CHARS = 30_000  # key terms of a very long transcript settle long before its end
FIELD = "body"
NAMES_FIELD = "names"
ALIAS_FIELD = "alias"
NAME_TERMS = 12  # the document's most mentioned names that are looked up
NAMES_WEIGHT = 1.5  # a name's boost, relative to the best key term's
CROSS_WEIGHT = 0.5  # a cross-script key's boost, relative to the best key term's
# A term in more than this share of the documents says nothing about a subject.
COMMON_SHARE = 0.08
MIN_COMMON = 50  # ... once the archive is large enough for shares to mean anything


def key_terms(searcher: Searcher, lexicon: Lexicon, doc: Document) -> list[tuple[str, float]]:
    """The document's most telling body terms with their weights, best first."""
    text = "\n".join((doc.metadata.title, doc.text))[:TEXT_CHARS]
    counts = Counter(
        term for _, _, term in document_terms(text, term_language(doc.metadata.language))
    )
    reader = searcher.reader()
    # The dictionary's counts include deleted (trashed, edited) documents until a merge, and so
    # does this total, so the weights agree; only the terms picked are recounted, live.
    total = reader.doc_count_all() or 1
    common = max(MIN_COMMON, COMMON_SHARE * total)
    weighted = []
    for term, tf in counts.most_common(CANDIDATES):
        df = reader.doc_frequency(FIELD, term)
        if df <= 1 or df > common or len(term) < 5:  # alone, common, or "en:xx"
            continue
        weighted.append((_bo1(tf, reader.frequency(FIELD, term) / total), term))
    weighted.sort(reverse=True)
    return _live(lexicon, FIELD, weighted, KEY_TERMS)


def _bo1(tf: int, mean: float) -> float:
    """Bose-Einstein (Bo1) weight of a term tf times in the document and `mean` times in an
    average document of the collection (Whoosh's classify.Bo1Model, as key_terms uses it)."""
    return tf * math.log2((1 + mean) / mean) + math.log2(1 + mean)


def name_terms(
    searcher: Searcher, lexicon: Lexicon, doc: Document, variants: Variants
) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """(names, cross-script keys) of the document with their weights, best first. A name is
    weighed by its rarity among the documents that have names, and by its rank in the
    document (the most mentioned first)."""
    lang = term_language(doc.metadata.language)
    names = extract_names((doc.metadata.title, *(b.text for b in doc.blocks)), lang, variants)
    reader = searcher.reader()
    total = reader.doc_count_all() or 1
    common = max(MIN_COMMON, COMMON_SHARE * total)
    weighted, keys = [], []
    for rank, name in enumerate(names[:NAME_TERMS]):
        df = reader.doc_frequency(NAMES_FIELD, name)
        prominence = 1 / (1 + rank)
        if 1 < df <= common:
            weighted.append((prominence * math.log(total / df), name))
        words = tuple(WORD_RE.findall(name))
        if variants.line_of(words) is None:  # a known name is one term in every script already
            for word in words:
                key = cross_script_term(word)
                if key is not None:
                    df = reader.doc_frequency(ALIAS_FIELD, key)
                    if 0 < df <= common:
                        keys.append((prominence * math.log(total / df), key))
    weighted.sort(reverse=True)
    keys.sort(reverse=True)
    return _live(lexicon, NAMES_FIELD, weighted, NAME_TERMS), _live(
        lexicon, ALIAS_FIELD, keys, NAME_TERMS, at_least=1
    )


def _live(
    lexicon: Lexicon,
    field: str,
    weighted: Iterable[tuple[float, str]],
    limit: int,
    at_least: int = 2,
) -> list[tuple[str, float]]:
    """The best terms, up to limit, that at_least live documents hold (another one than the
    document itself, for its own terms)."""
    picked: list[tuple[str, float]] = []
    for weight, term in weighted:
        if len(picked) == limit or weight <= 0:
            break
        if lexicon.live_frequency(field, term) >= at_least and term not in dict(picked):
            picked.append((term, weight))
    return picked


def weighted_terms(
    searcher: Searcher, lexicon: Lexicon, doc: Document, variants: Variants | None
) -> dict[tuple[str, str], float]:
    """(field, term) -> boost: the document's key terms, names and cross-script keys, each kind
    scaled to its best. Without variants, key terms only."""
    terms = key_terms(searcher, lexicon, doc)
    names, keys = name_terms(searcher, lexicon, doc, variants) if variants else ([], [])
    out: dict[tuple[str, str], float] = {}
    for field, found, weight in (
        (FIELD, terms, 1.0),
        (NAMES_FIELD, names, NAMES_WEIGHT),
        (ALIAS_FIELD, keys, CROSS_WEIGHT),
    ):
        top = found[0][1] if found else 1.0
        out.update(((field, term), weight * w / top) for term, w in found)
    return out


def similar(
    generation: Generation,
    doc: Document,
    limit: int,
    exclude: Iterable[int] = (),
    translations: Sequence[Document] = (),
) -> list[tuple[int, float]]:
    """(catalog id, score relative to the best, 1.0) of the documents most like doc, best
    first. Left out: doc itself, the documents of exclude (its copies) and its translations.
    Each translation's own terms make a list too, and the lists interleave by score relative
    to their best, so that a document with a translation lists documents in both languages.
    Scored by the generation's evaluator (the engine's BM25F over cached postings, the scores
    Whoosh's search gives, at a fraction of its time for a query of forty terms)."""
    searcher, evaluator = generation.searcher, generation.evaluator
    left_out = [
        searcher.document_number(id=str(doc_id))
        for doc_id in (doc.id, *exclude, *(t.id for t in translations))
    ]
    merged: dict[int, float] = {}
    for one in (doc, *translations):
        boosts = weighted_terms(searcher, generation.lexicon, one, generation.variants)
        if not boosts:
            continue
        parts = [evaluator.evaluate(_scored(f, term, b)) for (f, term), b in boosts.items()]
        held = np.sum([p.mask for p in parts], axis=0)
        # the share of the terms a document holds scales its score (Lucene's classic "coord"):
        # a report that shares one word, however rare ("partisan" in one on elections), is not
        # about the subject of the essay on partisans
        score = np.sum([p.score for p in parts], axis=0) * held / len(parts)
        mask = held > 0
        mask[[n for n in left_out if n is not None]] = False
        ranked = top(score, mask, 0, limit, generation.facets.ids)
        best = ranked[0][1] if ranked else 1.0
        for docnum, score in ranked:  # each language's list scaled to its best: they interleave
            doc_id = generation.catalog_id(docnum)
            merged[doc_id] = max(merged.get(doc_id, 0.0), round(score / best, 4))
    return sorted(merged.items(), key=lambda item: (-item[1], item[0]))[:limit]


def _scored(field: str, term: str, boost: float) -> wq.Query:
    """A term of the query. A name scores its boost alone: the names field is not scorable
    (no lengths), a document holds a name once, and the boost already weighs its rarity, as
    Whoosh's own search scores such a field (its weight times the boost)."""
    if field == NAMES_FIELD:
        return wq.ConstantScoreQuery(wq.Term(field, term), score=boost)
    return wq.Term(field, term, boost=boost)
