"""A search page with copies of one text shown once, at the group's best-ranked member.

Exact across pages without a pass over every match in Python: the ranking's ids up to the end
of the page plus a look-ahead (one page, doubled while folding leaves the page short, at most
EXACT_RANKS; the engine orders only those, from the score arrays of the search it has just
made), their groups in one catalog query, then the page with the hits of the folded ranking's
documents alone (SearchEngine.search's `shown`). A page beyond EXACT_RANKS folds only within
itself. The total and the facet counts stay counts of documents.

The page used to be made first and folded after: with every document one of five copies (the
100k benchmark set) most of its ten hits (each fetched and given snippets) were folded away and
others made in their place, and each look-ahead scored the query again; a search with copies
cost 2.4x one without (compare.py's 200 queries at 100k, p50 48.7 against 20.2 ms; 75.6 when
the page covering the look-ahead was made whole).
"""

from __future__ import annotations

from collections.abc import Callable

from archive.core import copies
from archive.models import FacetRequest, Page, SearchQuery
from archive.storage import copies as store
from archive.storage.catalog import Catalog

# pages reaching past this rank fold copies within the page only (a deep page is rare, and its
# exact fold would cost a lookup of every id ranked above it)
EXACT_RANKS = 2_000

Shown = list[tuple[int, float]]
Search = Callable[[SearchQuery, FacetRequest | None, Shown | None], Page]
Ranked = Callable[[SearchQuery, int], tuple[Shown, int]]


def search(
    catalog: Catalog,
    run: Search,
    ranked: Ranked,
    query: SearchQuery,
    expand: FacetRequest | None = None,
) -> Page:
    """run(query, expand, shown): the page, its hits those of shown (None: its own ranking's);
    ranked(query, limit): the first limit (catalog id, score) of the ranking, and the total."""
    n, p = query.per_page, query.page
    limit = (p + 1) * n  # the page and one page of look-ahead
    if not query.collapse or limit > EXACT_RANKS:
        return copies.grouped(catalog, run(query, expand, None), collapse=query.collapse)
    while True:  # look ahead until the page is full, the ranking ends or the bound is met
        found, _ = ranked(query, limit)
        ids = [doc_id for doc_id, _ in found]
        kept = _folded(ids, store.groups_of(catalog, ids))
        if len(kept) >= p * n or len(ids) < limit or limit >= EXACT_RANKS:
            break
        limit = min(2 * limit, EXACT_RANKS)
    scores = dict(found)
    shown = [(doc_id, scores[doc_id]) for doc_id in kept[(p - 1) * n : p * n]]
    return copies.grouped(catalog, run(query, expand, shown), collapse=False)


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
