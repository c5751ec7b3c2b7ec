"""URL parameters for browsing a search: timeline bars, and a facet's typeahead and pages.

A reader who wants more of one facet than the sidebar shows sends `facet_more=authors` (which
facet), `facet_match=zel` (typed text) and `facet_page=2`. The typed text is not `q`: `q` stays
the search, so the JSON endpoint takes the search page's own parameters unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from urllib.parse import urlencode

from archive.errors import BadRequest, NotFound
from archive.models import FACETS, FacetRequest, SearchQuery, TimeBucket
from archive.web.params import search_params, search_url

FACET_MORE = "facet_more"
FACET_MATCH = "facet_match"
FACET_PAGE = "facet_page"
BROWSE_PARAMS = (FACET_MORE, FACET_MATCH, FACET_PAGE)
# facets long enough to need a filter box and pages; the others fit in the sidebar
LONG_FACETS = ("authors", "publication", "tags", "names")
MAX_MATCH_CHARS = 100
MAX_FACET_PAGE = 10_000


def parse_facet_request(
    params: Mapping[str, Sequence[str]], facet: str | None = None
) -> FacetRequest | None:
    """The facet request in params (facet from the URL path, or facet_more); None if none."""

    def single(name: str) -> str:
        values = [v.strip() for v in params.get(name, ()) if v.strip()]
        return values[-1] if values else ""

    facet = facet or single(FACET_MORE)
    if not facet:
        return None
    if facet not in FACETS:
        raise NotFound(f"there is no facet {facet!r}; facets: {', '.join(FACETS)}")
    match = single(FACET_MATCH)
    if len(match) > MAX_MATCH_CHARS:
        raise BadRequest(f"{FACET_MATCH} is too long: at most {MAX_MATCH_CHARS} characters.")
    page_text = single(FACET_PAGE) or "1"
    # ASCII digits only: "²".isdigit() is true and int("²") raises (a 500, found by fuzzing)
    if not re.fullmatch(r"[0-9]{1,6}", page_text) or not 1 <= int(page_text) <= MAX_FACET_PAGE:
        raise BadRequest(f"{FACET_PAGE} must be a whole number from 1, not {page_text!r}.")
    return FacetRequest(facet, match, int(page_text))


def without_browse(params: Mapping[str, Sequence[str]]) -> dict[str, Sequence[str]]:
    """The search's own parameters, for the strict parser of the JSON API."""
    return {name: values for name, values in params.items() if name not in BROWSE_PARAMS}


def timeline_url(query: SearchQuery, bucket: TimeBucket) -> str:
    """The search narrowed to one bar's period (a year bar drills down to its months)."""
    return search_url(query, date_from=bucket.start, date_to=bucket.end)


def zoom_out_url(query: SearchQuery) -> str:
    """The search over all dates again."""
    return search_url(query, date_from=None, date_to=None)


def _search_only(query: SearchQuery) -> list[tuple[str, str]]:
    # a facet's values do not depend on the results page, sort or page size
    return search_params(replace(query, page=1, sort="relevance" if query.text else "newest"))


def facet_more_url(query: SearchQuery, facet: str, page: int = 1, match: str = "") -> str:
    """The search page with one facet opened at a page of its values (works without JS)."""
    pairs = [*search_params(replace(query, page=1)), (FACET_MORE, facet)]
    if match:
        pairs.append((FACET_MATCH, match))
    if page != 1:
        pairs.append((FACET_PAGE, str(page)))
    return f"/search?{urlencode(pairs)}#facet-{facet}"


def facet_form_fields(query: SearchQuery, facet: str) -> list[tuple[str, str]]:
    """Hidden fields of a facet's filter form: the search as it is, and which facet."""
    return [*search_params(replace(query, page=1)), (FACET_MORE, facet)]


def facet_api_url(query: SearchQuery, facet: str) -> str:
    """Where the page's script asks for a facet's values under this search."""
    encoded = urlencode(_search_only(query))
    return f"/api/facets/{facet}" + (f"?{encoded}" if encoded else "")
