"""Template helpers for browsing a search: the timeline's bars and the long facets' links."""

from __future__ import annotations

from collections.abc import Sequence

from archive.models import FacetPage, FacetValue, Page, TimeBucket
from archive.web import facet_params
from archive.web.display import MONTHS

HEIGHT_STEPS = 20
FULL_YEAR_LABELS = 12  # more year bars than this get two-digit labels


def bar_height(bucket: TimeBucket, timeline: Sequence[TimeBucket]) -> int:
    """A bar's height in twentieths of the tallest (style.css has a class per step, so no
    inline style is needed); a period with any document stays visible."""
    top = max((b.count for b in timeline), default=0)
    if not top or not bucket.count:
        return 0
    return max(1, round(HEIGHT_STEPS * bucket.count / top))


def bar_label(bucket: TimeBucket, timeline: Sequence[TimeBucket]) -> str:
    """Under a bar: the year ('13 when many bars share the width), or a month's initial."""
    if len(bucket.label) == 4:
        return f"’{bucket.label[2:]}" if len(timeline) > FULL_YEAR_LABELS else bucket.label
    return MONTHS[int(bucket.label[5:7]) - 1][0]


def bar_year(bucket: TimeBucket) -> str:
    """The year under a month timeline's January bars, which start each year's group."""
    return bucket.label[:4] if bucket.label.endswith("-01") and len(bucket.label) == 7 else ""


def period_name(bucket: TimeBucket) -> str:
    if len(bucket.label) == 4:
        return bucket.label
    return f"{MONTHS[int(bucket.label[5:7]) - 1]} {bucket.label[:4]}"


def bar_title(bucket: TimeBucket) -> str:
    noun = "document" if bucket.count == 1 else "documents"
    return f"{period_name(bucket)}: {bucket.count:,} {noun}"


def selected_elsewhere(page: Page, facet: str) -> list[FacetValue]:
    """Selected values of an expanded facet that its page of values does not list: they stay
    on screen, ticked, so that submitting the form keeps them."""
    listed = {v.value for v in page.expanded.values} if page.expanded else set()
    return [v for v in page.facets.get(facet, ()) if v.selected and v.value not in listed]


def is_long(facet: str) -> bool:
    return facet in facet_params.LONG_FACETS


def more_pages(more: FacetPage) -> tuple[int | None, int | None]:
    """The previous and next page numbers of an expanded facet (None at either end)."""
    previous = more.page - 1 if more.page > 1 else None
    following = more.page + 1 if more.page < more.pages else None
    return previous, following


GLOBALS = {
    "timeline_url": facet_params.timeline_url,
    "zoom_out_url": facet_params.zoom_out_url,
    "facet_more_url": facet_params.facet_more_url,
    "facet_form_fields": facet_params.facet_form_fields,
    "facet_api_url": facet_params.facet_api_url,
    "bar_height": bar_height,
    "bar_label": bar_label,
    "bar_title": bar_title,
    "bar_year": bar_year,
    "period_name": period_name,
    "selected_elsewhere": selected_elsewhere,
    "is_long_facet": is_long,
    "more_pages": more_pages,
}
