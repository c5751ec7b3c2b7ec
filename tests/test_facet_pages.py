"""A facet's values under a search, filtered by typed text and paged: the typeahead's engine."""

from __future__ import annotations

from collections import Counter

import pytest

from archive.errors import NotFound
from archive.models import SearchQuery
from archive.search.facets import facet_page
from tests.test_search import brute_force


def test_typeahead_folds_case_and_accents_and_ranks_word_starts_first():
    counts = Counter({"José Martí": 2, "Jose Smith": 5, "Ajose": 9, "Zelenskyy": 3, "Zé": 1})
    page = facet_page("authors", counts, ("Zé",), "JOSE")
    assert [v.value for v in page.values] == ["Jose Smith", "José Martí", "Ajose"]
    assert page.total == 3 and page.match == "JOSE"
    assert [v.value for v in facet_page("authors", counts, (), "zelen").values] == ["Zelenskyy"]
    assert facet_page("authors", counts, ("Zé",), "ze").values[-1].selected
    assert facet_page("authors", counts, (), "nobody").values == ()


def test_pages_cover_every_value_once():
    counts = Counter({f"value {i:03d}": i % 7 + 1 for i in range(95)})
    seen = []
    for number in range(1, 5):
        page = facet_page("tags", counts, (), "", number, 30)
        assert page.total == 95 and page.pages == 4
        seen.extend(v.value for v in page.values)
    assert sorted(seen) == sorted(counts)
    counts_in_order = [counts[v] for v in seen]
    assert counts_in_order == sorted(counts_in_order, reverse=True)


@pytest.mark.parametrize(
    ("text", "filters", "facet", "match"),
    [
        ("", {}, "tags", ""),
        ("", {"language": ("uk",)}, "tags", "міжнар"),
        ("", {"tags": ("Голод",), "language": ("uk", "en")}, "tags", ""),
        ("war", {}, "authors", "a"),
        ("", {"language": ("en",)}, "publication", "AP"),
    ],
)
def test_counts_follow_the_facet_rule_of_the_search(sample_archive, text, filters, facet, match):
    query = SearchQuery(text=text, filters=filters)
    _, expected = brute_force(sample_archive, text, filters)
    pages = [sample_archive.facet_values(query, facet, match, 1, 5)]
    while pages[-1].page < pages[-1].pages:
        pages.append(sample_archive.facet_values(query, facet, match, pages[-1].page + 1, 5))
    got = {v.value: v.count for page in pages for v in page.values}
    wanted = {
        value: count
        for value, count in expected[facet].items()
        if match.casefold() in value.casefold()
    }
    assert got == wanted and pages[0].total == len(wanted)
    for page in pages:
        for v in page.values:
            assert v.selected == (v.value in filters.get(facet, ()))


def test_an_unknown_facet_is_not_found(sample_archive):
    with pytest.raises(NotFound):
        sample_archive.facet_values(SearchQuery(), "nosuchfacet")


def test_the_page_counts_distinct_values_beyond_those_it_shows(sample_archive):
    page = sample_archive.search(SearchQuery())
    _, expected = brute_force(sample_archive, "", {})
    for facet, total in page.facet_totals.items():
        assert total == len(expected[facet]), facet
