"""A search page with copies of one text shown once, at the group's best-ranked member.

Exact across pages without a pass over every match in Python: the ranking's ids up to the end
of the page plus a look-ahead (one page, doubled while folding leaves the page short, at most
EXACT_RANKS; the engine orders only those, from its score arrays), their groups in one catalog
query, and the hits of the folded page's documents that its engine page lacks. Only when the
page has a grouped hit, or earlier pages may have folded some (page 2 on), is that done; a page
beyond EXACT_RANKS folds only within itself. The total and the facet counts stay counts of
documents.

The missing hits are made for those documents alone (SearchEngine.hits). They came from the one
engine page covering the ranks the folded page needs: with every document one of five copies
(the 100k benchmark set) that page ran to ~50 hits, each fetched and given snippets, and its
facets and timeline were counted again; a search with copies cost 3.7x one without (compare.py's
200 queries at 100k, p50 75.6 against 20.2 ms).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from archive.core import copies
from archive.models import FacetRequest, Hit, Page, SearchQuery
from archive.storage import copies as store
from archive.storage.catalog import Catalog

# pages reaching past this rank fold copies within the page only (a deep page is rare, and its
# exact fold would cost a lookup of every id ranked above it)
EXACT_RANKS = 2_000

Search = Callable[[SearchQuery, FacetRequest | None], Page]
Ranked = Callable[[SearchQuery, int], tuple[list[tuple[int, float]], int]]
Hits = Callable[[SearchQuery, list[tuple[int, float]]], tuple[Hit, ...]]


def search(
    catalog: Catalog,
    run: Search,
    ranked: Ranked,
    hits_of: Hits,
    query: SearchQuery,
    expand: FacetRequest | None = None,
) -> Page:
    page = run(query, expand)
    if not query.collapse:
        return copies.grouped(catalog, page, collapse=False)
    n, p = query.per_page, query.page
    limit = (p + 1) * n  # the page and one page of look-ahead
    if limit > EXACT_RANKS:
        return copies.grouped(catalog, page, collapse=True)
    if p == 1 and not store.groups_of(catalog, [h.id for h in page.hits]):
        return page  # nothing to fold, nothing folded before: the common case costs one query
    while True:  # look ahead until the page is full, the ranking ends or the bound is met
        found, _ = ranked(query, limit)
        ids = [doc_id for doc_id, _ in found]
        kept = _folded(ids, store.groups_of(catalog, ids))
        if len(kept) >= p * n or len(ids) < limit or limit >= EXACT_RANKS:
            break
        limit = min(2 * limit, EXACT_RANKS)
    wanted = kept[(p - 1) * n : p * n]
    hits = {h.id: h for h in page.hits}
    scores = dict(found)
    missing = [(doc_id, scores[doc_id]) for doc_id in wanted if doc_id not in hits]
    if missing:
        hits.update((h.id, h) for h in hits_of(query, missing))
    page = replace(page, hits=tuple(hits[i] for i in wanted if i in hits))
    return copies.grouped(catalog, page, collapse=False)


def _folded(ids: list[int], groups: dict[int, int]) -> list[int]:
    """The ranking with every group's lower-ranked members left out."""
    kept, seen = [], set()
    for doc_id in ids:
        group = groups.get(doc_id)
        if group is not None:
            if group in seen:
                continue
            seen.add(group)
        kept.append(doc_id)
    return kept
