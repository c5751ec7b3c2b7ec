"""The timeline: counts per year and month against a brute-force count over the catalog."""

from __future__ import annotations

from collections import Counter

import pytest

from archive.models import SearchQuery
from archive.search.timeline import buckets
from tests.test_search import facet_values


def brute_force_timeline(archive, text: str, filters: dict[str, tuple[str, ...]]):
    """Matching documents per year and per month, ignoring the date range (as facets do)."""
    docs = [archive.document(i) for i in sorted(archive.matched_ids(text))]
    years: Counter[str] = Counter()
    months: Counter[str] = Counter()
    for doc in docs:
        values = facet_values(doc)
        if not all(set(values[f]) & set(sel) for f, sel in filters.items() if sel):
            continue
        date = doc.metadata.date
        if date:
            years[date[:4]] += 1
            if len(date) >= 7:
                months[date[:7]] += 1
    return years, months


CASES = [
    ("", {}, None, None),
    ("war", {}, None, None),
    ("", {"language": ("en",)}, None, None),
    ("", {"language": ("uk", "ru")}, "2013", "2021"),
    # a range of three years or less is shown by month
    ("", {}, "2022", "2022"),
    ("", {"language": ("en", "uk")}, "2021-03", "2022-05-16"),
    ("", {"year": ("2019",)}, None, None),
    ("-war", {}, "2017", "2019"),
]


@pytest.mark.parametrize(("text", "filters", "date_from", "date_to"), CASES)
def test_timeline_counts_equal_a_brute_force_count(
    sample_archive, text, filters, date_from, date_to
):
    query = SearchQuery(text=text, filters=filters, date_from=date_from, date_to=date_to)
    page = sample_archive.search(query)
    years, months = brute_force_timeline(sample_archive, text, filters)
    assert page.timeline, "the sample has dated documents"
    monthly = len(page.timeline[0].label) == 7
    expected = months if monthly else years
    for bucket in page.timeline:
        assert bucket.count == expected[bucket.label], bucket
        assert (bucket.start, bucket.end) == (bucket.label, bucket.label)
    shown = {b.label for b in page.timeline}
    lo = date_from[:4] if date_from else filters.get("year", (None,))[0]
    hi = date_to[:4] if date_to else filters.get("year", (None,))[-1]
    # every period with documents inside the window is a bar, and nothing outside it is
    for label, count in expected.items():
        inside = (lo is None or label[:4] >= lo) and (hi is None or label[:4] <= hi)
        assert (label in shown) == inside or not count, label
    if date_from or date_to:
        # selected bars are those the range covers; a range of dates selects the months it touches
        for bucket in page.timeline:
            inside = (not date_from or bucket.label >= date_from[: len(bucket.label)]) and (
                not date_to or bucket.label[: len(date_to)] <= date_to[: len(bucket.label)]
            )
            assert bucket.selected == inside, bucket
    # the timeline ignores the date range, as a facet ignores its own selection
    undated = sample_archive.search(SearchQuery(text=text, filters=filters))
    assert sum(b.count for b in page.timeline) <= undated.total


def test_a_selected_year_or_short_range_is_shown_by_month(sample_archive):
    by_year = sample_archive.search(SearchQuery()).timeline
    assert all(len(b.label) == 4 for b in by_year) and len(by_year) > 3
    labels = [b.label for b in by_year]
    assert labels == sorted(labels) and labels == [
        str(y) for y in range(int(labels[0]), int(labels[-1]) + 1)
    ]
    by_month = sample_archive.search(SearchQuery(date_from="2022", date_to="2022")).timeline
    assert [b.label for b in by_month] == [f"2022-{m:02d}" for m in range(1, 13)]
    may = next(b for b in by_month if b.label == "2022-05")
    assert (
        may.count
        == sample_archive.search(SearchQuery(date_from="2022-05", date_to="2022-05")).total
    )
    three = sample_archive.search(SearchQuery(date_from="2019", date_to="2021-06")).timeline
    assert len(three) == 36
    four = sample_archive.search(SearchQuery(date_from="2018", date_to="2021")).timeline
    assert [b.label for b in four] == ["2018", "2019", "2020", "2021"]


def test_buckets_pure():
    keys = [20220513, 20220501, 20220600, 20220000, 20190101, 0]
    years = buckets(keys)
    assert [(b.label, b.count) for b in years] == [
        ("2019", 1), ("2020", 0), ("2021", 0), ("2022", 4),
    ]  # fmt: skip
    months = buckets(keys, "2022-05-10", "2022-06")
    assert len(months) == 12
    counts = {b.label: b.count for b in months}
    # a date known only to the year has no month bar
    assert counts["2022-05"] == 2 and counts["2022-06"] == 1 and sum(counts.values()) == 3
    assert [b.label for b in months if b.selected] == ["2022-05", "2022-06"]
    assert buckets([0, 0]) == ()
    assert buckets(keys, "2030", "2031")[0].count == 0
    # a stray date far in the past does not make a thousand empty bars
    assert len(buckets([18500101, 20220101])) == 2
