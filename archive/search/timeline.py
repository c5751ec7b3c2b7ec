"""The timeline: how many matching documents fall in each year, or each month when zoomed in.

Pure arithmetic over date keys (yyyymmdd ints, 00 for an unknown month or day, 0 for undated),
so the search engine hands over keys and the same code is tested without an index.

The window of periods shown is the date range (from/to) or the selected years when either is
given, else the span of the matching documents. A window of at most MONTHS_UP_TO years is
shown by month, a longer one by year; empty periods inside it are kept as zero bars so that
the histogram's x axis is time, not a list of values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from archive.models import TimeBucket

MONTHS_UP_TO = 3  # years: a window this short is shown month by month (at most 36 bars)
MAX_FILLED_YEARS = 80  # a longer span (a stray date in 1850) lists only the years that have any


def buckets(
    keys: Iterable[int],
    date_from: str | None = None,
    date_to: str | None = None,
    years: Iterable[str] = (),
) -> tuple[TimeBucket, ...]:
    """The timeline of documents with these date keys (one per document; 0 when undated)."""
    # one integer division per document (a match-all search counts every one), then per month
    return months_buckets(Counter(map((100).__rfloordiv__, keys)), date_from, date_to, years)


def months_buckets(
    months: Mapping[int, int],
    date_from: str | None = None,
    date_to: str | None = None,
    years: Iterable[str] = (),
) -> tuple[TimeBucket, ...]:
    """The timeline of documents counted by yyyymm (0: undated, yyyy00: the year only)."""
    yyyymm = {key: count for key, count in months.items() if key}
    by_year: Counter[int] = Counter()
    by_month: Counter[tuple[int, int]] = Counter()
    for key, count in yyyymm.items():
        year, month = divmod(key, 100)
        by_year[year] += count
        if month:  # a date known only to the year has no month bar
            by_month[year, month] += count
    selected_years = sorted(int(y) for y in years)
    lo = int(date_from[:4]) if date_from else selected_years[0] if selected_years else None
    hi = int(date_to[:4]) if date_to else selected_years[-1] if selected_years else None
    if not by_year and (lo is None or hi is None):
        return ()
    first = lo if lo is not None else min(by_year)
    last = hi if hi is not None else max(by_year)
    if last < first:
        return ()
    if last - first + 1 <= MONTHS_UP_TO:
        return tuple(
            _bucket(f"{y:04d}-{m:02d}", by_month[y, m], date_from, date_to)
            for y in range(first, last + 1)
            for m in range(1, 13)
        )
    if last - first + 1 <= MAX_FILLED_YEARS:
        shown = range(first, last + 1)
    else:
        shown = sorted(y for y in by_year if first <= y <= last)  # type: ignore[assignment]
    return tuple(_bucket(f"{y:04d}", by_year[y], date_from, date_to) for y in shown)


def _bucket(period: str, count: int, date_from: str | None, date_to: str | None) -> TimeBucket:
    # A period is selected when it lies inside the range, compared at the period's precision:
    # from=2022-05-13 selects May 2022 (it overlaps), as to=2022 selects every month of 2022.
    inside = bool(date_from or date_to)
    if date_from and period < date_from[: len(period)]:
        inside = False
    if date_to and period[: len(date_to)] > date_to[: len(period)]:
        inside = False
    return TimeBucket(period, count, period, period, inside)
