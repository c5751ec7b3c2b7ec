"""Pages of a facet's values, filtered by what a reader types (typeahead) and paged ("more").

Pure: the engine hands over the value counts under the current search; matching folds case
and accents so "zelen" finds "Zelenskyy" and "jose" finds "José".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from archive.analysis import fold
from archive.models import FacetPage, FacetValue

PER_PAGE = 30
MAX_MATCH_CHARS = 100


def facet_page(
    facet: str,
    counts: Mapping[str, int],
    chosen: tuple[str, ...],
    match: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> FacetPage:
    """The values whose folded text contains `match`, best first, as page `page`.

    A value with a word starting with the typed text ranks before one that merely contains it
    ("put" lists Putin before Sputnik); then by count, as the facet lists do. Years keep their
    own order, newest first.
    """
    needle = fold(match.strip())[:MAX_MATCH_CHARS]
    rows: list[tuple[tuple[object, ...], str, int]] = []
    word_start = re.compile(r"(?<![^\W_])" + re.escape(needle)) if needle else None
    for value, count in counts.items():
        folded = fold(value)
        if needle and needle not in folded:
            continue
        starts = 0 if word_start is None or word_start.search(folded) else 1
        order = (starts, -int(value)) if facet == "year" and value.isdigit() else (starts,)
        rows.append(((*order, -count, folded), value, count))
    rows.sort()
    start = (page - 1) * per_page
    values = tuple(FacetValue(v, c, v in chosen) for _, v, c in rows[start : start + per_page])
    return FacetPage(facet, match.strip(), values, len(rows), page, per_page)
