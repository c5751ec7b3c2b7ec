"""Search parameters in URLs: parse them into a SearchQuery, and build URLs back from one.

The search page and the JSON API take the same parameters, so one parser serves both; the page is
lenient about parameters it does not know (links from elsewhere may carry tracking junk), the API
names them so a script's typo does not silently widen its search. The URL builders let templates
hold no logic beyond loops: every facet toggle, page link and sort link is computed here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol
from urllib.parse import urlencode

from archive.errors import BadRequest, NotFound
from archive.models import (
    FACETS,
    MAX_PER_PAGE,
    PER_PAGE_CHOICES,
    SORTS,
    Page,
    SearchQuery,
    is_row_id,
)

# Facet name (models.FACETS) -> URL parameter: singular names read better in a query string
# (?author=A&author=B). A facet added later gets its own name until it is listed here.
SINGULAR = {"authors": "author", "tags": "tag"}
PARAM_OF_FACET: dict[str, str] = {facet: SINGULAR.get(facet, facet) for facet in FACETS}
FACET_PARAMS: dict[str, str] = {param: facet for facet, param in PARAM_OF_FACET.items()}

SINGLE_PARAMS = ("q", "from", "to", "sort", "page", "per_page", "collapse")
KNOWN_PARAMS = frozenset(SINGLE_PARAMS) | frozenset(FACET_PARAMS)
DEFAULT_PER_PAGE = 20
MAX_QUERY_CHARS = 1000
SORT_LABELS = {
    "relevance": "Relevance",
    "newest": "Newest first",
    "oldest": "Oldest first",
    "title": "Title A–Z",
}

# re.ASCII: Python's \d also matches other scripts' digits (٢٠٢٣), which no index field holds
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$", re.ASCII)


def default_sort(text: str) -> str:
    """Relevance ranks matches; with no query there is nothing to rank, so show the newest."""
    return "relevance" if text.strip() else "newest"


def parse_search_params(
    params: Mapping[str, Sequence[str]],
    *,
    max_per_page: int = MAX_PER_PAGE,
    allow_unknown: bool = True,
) -> SearchQuery:
    """Validate URL parameters (each name -> all its values) into a SearchQuery.

    Empty values count as absent: a GET form sends `from=` for an empty date box. A single-valued
    parameter given twice keeps its last value, as most web frameworks do. Raises BadRequest with a
    message that says what to send instead.
    """
    if not allow_unknown:
        unknown = sorted(name for name in params if name not in KNOWN_PARAMS)
        if unknown:
            known = ", ".join(sorted(KNOWN_PARAMS))
            raise BadRequest(f"Unknown parameter(s): {', '.join(unknown)}. Known: {known}.")

    def single(name: str) -> str:
        values = [v.strip() for v in params.get(name, ()) if v.strip()]
        return values[-1] if values else ""

    text = single("q")
    if len(text) > MAX_QUERY_CHARS:
        raise BadRequest(f"The query is too long: at most {MAX_QUERY_CHARS} characters.")

    filters: dict[str, tuple[str, ...]] = {}
    for param, facet in FACET_PARAMS.items():
        values = _unique(v.strip() for v in params.get(param, ()) if v.strip())
        if facet == "year":
            for value in values:
                if not re.fullmatch(r"\d{4}", value, re.ASCII):
                    raise BadRequest(f"year must be a four-digit year such as 2023, not {value!r}.")
        if values:
            filters[facet] = values

    date_from = _parse_date("from", single("from"))
    date_to = _parse_date("to", single("to"))
    if date_from and date_to and date_from[: len(date_to)] > date_to:
        raise BadRequest(f"from ({date_from}) is after to ({date_to}).")

    sort = single("sort") or default_sort(text)
    if sort not in SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}, not {sort!r}.")

    page = _parse_int("page", single("page"), default=1, low=1, high=None)
    per_page = _parse_int(
        "per_page", single("per_page"), default=DEFAULT_PER_PAGE, low=1, high=max_per_page
    )
    collapse = single("collapse").lower() or "true"
    if collapse not in ("true", "false"):
        raise BadRequest(f"collapse must be true or false, not {collapse!r}.")
    return SearchQuery(
        collapse=collapse == "true",
        text=text,
        filters=filters,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        page=page,
        per_page=per_page,
    )


class MultiDict(Protocol):
    """What we need of Starlette's QueryParams, without importing Starlette here."""

    def __iter__(self) -> Iterator[str]: ...
    def getlist(self, key: str) -> list[str]: ...


def document_id(value: int) -> int:
    """A document id from a URL path; NotFound for one no row can have."""
    if not is_row_id(value):
        raise NotFound(f"there is no document {value}")
    return value


def query_params_of(multi: MultiDict) -> dict[str, list[str]]:
    """A multi-dict of URL parameters as name -> all its values."""
    return {key: list(multi.getlist(key)) for key in multi}


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _parse_date(name: str, value: str) -> str | None:
    """YYYY, YYYY-MM or YYYY-MM-DD, checked against the calendar; returned as given."""
    if not value:
        return None
    match = _ISO_DATE.match(value)
    if match is None:
        raise BadRequest(f"{name} must be a date as YYYY, YYYY-MM or YYYY-MM-DD, not {value!r}.")
    year, month, day = match.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise BadRequest(f"{name}: {value!r} is not a date in the calendar.") from None
    if int(year) < 1:
        raise BadRequest(f"{name}: the year must be 0001 or later.")
    return value


def _parse_int(name: str, value: str, *, default: int, low: int, high: int | None) -> int:
    if not value:
        return default
    if not re.fullmatch(r"\d{1,9}", value, re.ASCII):
        raise BadRequest(f"{name} must be a whole number, not {value!r}.")
    number = int(value)
    if number < low or (high is not None and number > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise BadRequest(f"{name} must be {bounds}, not {number}.")
    return number


# --- building URLs back ------------------------------------------------------------------------


def search_params(query: SearchQuery) -> list[tuple[str, str]]:
    """The query as URL parameters, leaving out defaults so links stay short and stable."""
    pairs: list[tuple[str, str]] = []
    if query.text:
        pairs.append(("q", query.text))
    for facet in FACETS:
        pairs.extend((PARAM_OF_FACET[facet], value) for value in query.filters.get(facet, ()))
    if query.date_from:
        pairs.append(("from", query.date_from))
    if query.date_to:
        pairs.append(("to", query.date_to))
    if query.sort != default_sort(query.text):
        pairs.append(("sort", query.sort))
    if query.per_page != DEFAULT_PER_PAGE:
        pairs.append(("per_page", str(query.per_page)))
    if not query.collapse:
        pairs.append(("collapse", "false"))
    if query.page != 1:
        pairs.append(("page", str(query.page)))
    return pairs


def search_url(query: SearchQuery, path: str = "/search", **changes: object) -> str:
    """The URL of `query` with some SearchQuery fields changed; any change but page resets to 1."""
    if changes and "page" not in changes:
        changes["page"] = 1
    if "text" in changes and "sort" not in changes and query.sort == default_sort(query.text):
        # The sort was the default for the old text: keep following the default for the new one.
        changes["sort"] = default_sort(str(changes["text"]))
    changed = replace(query, **changes)  # type: ignore[arg-type]
    encoded = urlencode(search_params(changed))
    return f"{path}?{encoded}" if encoded else path


def text_search_url(text: str) -> str:
    """The results page for a query text alone (the document page's "back to results")."""
    return search_url(SearchQuery(text=text, sort=default_sort(text)))


def toggle_url(query: SearchQuery, facet: str, value: str) -> str:
    """Tick or untick one facet value (OR within a facet)."""
    current = query.filters.get(facet, ())
    chosen = tuple(v for v in current if v != value) if value in current else (*current, value)
    filters = {name: values for name, values in query.filters.items() if name != facet}
    if chosen:
        filters[facet] = chosen
    return search_url(query, filters=filters)


def clear_facet_url(query: SearchQuery, facet: str) -> str:
    filters = {name: values for name, values in query.filters.items() if name != facet}
    return search_url(query, filters=filters)


def clear_all_url(query: SearchQuery) -> str:
    """Drop every filter and the date range; keep the text, sort and page size."""
    return search_url(query, filters={}, date_from=None, date_to=None)


def is_filtered(query: SearchQuery) -> bool:
    return bool(query.filters or query.date_from or query.date_to)


def document_url(doc_id: int, text: str = "") -> str:
    return f"/documents/{doc_id}" + (f"?{urlencode({'q': text})}" if text else "")


@dataclass(frozen=True)
class PageLink:
    number: int | None  # None for a gap ("…")
    url: str
    current: bool = False


def page_links(page: Page, window: int = 2) -> list[PageLink]:
    """Page numbers around the current one plus the first and last, with gaps between."""
    last, current = page.pages, page.page
    numbers = {1, last} | set(range(max(1, current - window), min(last, current + window) + 1))
    links: list[PageLink] = []
    previous = 0
    for number in sorted(numbers):
        if number - previous > 1:
            links.append(PageLink(None, ""))
        links.append(PageLink(number, search_url(page.query, page=number), number == current))
        previous = number
    return links


@dataclass(frozen=True)
class SortOption:
    value: str  # "" for the default sort, so a new query text picks its own default
    label: str
    selected: bool


def sort_options(query: SearchQuery) -> list[SortOption]:
    default = default_sort(query.text)
    return [
        SortOption("" if name == default else name, SORT_LABELS[name], name == query.sort)
        for name in SORTS
    ]


def per_page_options(query: SearchQuery) -> list[tuple[int, bool]]:
    """The page-size choices, plus the current size when a hand-made URL asked for another."""
    sizes = sorted({*PER_PAGE_CHOICES, query.per_page})
    return [(size, size == query.per_page) for size in sizes]
