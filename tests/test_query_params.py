"""URL parameters <-> SearchQuery: validation, defaults, and the URLs templates link to."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from archive.errors import BadRequest
from archive.models import Page, SearchQuery
from archive.web.params import (
    clear_all_url,
    clear_facet_url,
    page_links,
    parse_search_params,
    per_page_options,
    search_url,
    sort_options,
    text_search_url,
    toggle_url,
)


def parse(**params: str | list[str]) -> SearchQuery:
    multi = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    return parse_search_params(multi)


def params_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_defaults_sort_newest_without_text_and_relevance_with_it() -> None:
    assert parse() == SearchQuery(text="", sort="newest", page=1, per_page=20)
    assert parse(q="  putin  ").sort == "relevance"
    assert parse(q="putin").text == "putin"


def test_facet_params_map_to_facet_names_and_repeat() -> None:
    query = parse(
        author=["Jane Doe", "John Roe", "Jane Doe"],
        publication="CRS",
        language="en",
        tag=["war", ""],
        year=["2023", "2022"],
    )
    assert query.filters == {
        "authors": ("Jane Doe", "John Roe"),
        "publication": ("CRS",),
        "language": ("en",),
        "tags": ("war",),
        "year": ("2023", "2022"),
    }


def test_empty_values_count_as_absent() -> None:
    # A GET form sends every field, the empty ones too.
    query = parse(q="", **{"from": "", "to": ""}, sort="", page="", per_page="")
    assert query == SearchQuery(sort="newest")


@pytest.mark.parametrize("value", ["2023", "2023-06", "2023-06-11", "2024-02-29"])
def test_dates_accept_iso_year_month_day(value: str) -> None:
    assert parse(**{"from": value}).date_from == value
    assert parse(to=value).date_to == value


@pytest.mark.parametrize(
    "value", ["23", "2023/06/11", "11/6/23", "2023-13", "2023-02-30", "2023-6-1", "yesterday"]
)
def test_bad_dates_are_refused_with_the_expected_form(value: str) -> None:
    with pytest.raises(BadRequest, match="YYYY|calendar"):
        parse(**{"from": value})


def test_from_after_to_is_refused() -> None:
    with pytest.raises(BadRequest, match="after"):
        parse(**{"from": "2023-06", "to": "2022"})
    # Overlapping precisions are fine: June 2023 lies within 2023.
    assert parse(**{"from": "2023-06", "to": "2023"}).date_to == "2023"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"page": "0"}, "page must be at least 1"),
        ({"page": "-1"}, "page must be a whole number"),
        ({"page": "two"}, "page must be a whole number"),
        ({"page": "99999999999999"}, "page must be a whole number"),
        ({"per_page": "0"}, "per_page must be between 1 and 100"),
        ({"per_page": "101"}, "per_page must be between 1 and 100"),
        ({"sort": "random"}, "sort must be one of"),
        ({"year": "20x3"}, "four-digit year"),
        ({"q": "x" * 1001}, "too long"),
    ],
)
def test_bad_values_say_what_to_send(params: dict[str, str], message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse(**params)


def test_max_per_page_is_the_callers() -> None:
    assert parse_search_params({"per_page": ["100"]}).per_page == 100
    assert parse_search_params({"per_page": ["50"]}, max_per_page=50).per_page == 50
    with pytest.raises(BadRequest, match="between 1 and 50"):
        parse_search_params({"per_page": ["51"]}, max_per_page=50)


def test_unknown_params_are_named_when_strict_and_ignored_otherwise() -> None:
    params = {"q": ["x"], "utm_source": ["mail"], "colour": ["red"]}
    assert parse_search_params(params).text == "x"
    with pytest.raises(BadRequest, match="colour, utm_source"):
        parse_search_params(params, allow_unknown=False)


def test_search_url_round_trips_and_leaves_out_defaults() -> None:
    query = parse(
        q="winter offensive",
        author=["A & B", "C"],
        year="2023",
        **{"from": "2023-01"},
        sort="oldest",
        per_page="50",
        page="3",
    )
    url = search_url(query)
    assert url.startswith("/search?")
    assert parse_search_params(params_of(url)) == query
    assert search_url(SearchQuery(sort="newest")) == "/search"
    assert search_url(SearchQuery(text="x")) == "/search?q=x"


def test_changes_reset_the_page_except_page_changes() -> None:
    query = parse(q="x", page="4")
    assert "page" not in params_of(search_url(query, sort="title"))
    assert params_of(search_url(query, page=5))["page"] == ["5"]


def test_new_text_keeps_following_the_default_sort() -> None:
    assert search_url(SearchQuery(sort="newest"), text="putin") == "/search?q=putin"
    # A sort the reader chose is kept.
    assert params_of(search_url(parse(sort="title"), text="putin"))["sort"] == ["title"]
    assert text_search_url("") == "/search"
    assert text_search_url("a b") == "/search?q=a+b"


def test_toggle_clear_facet_and_clear_all() -> None:
    query = parse(q="x", author="A", tag=["t1", "t2"], to="2024", page="2")
    assert params_of(toggle_url(query, "authors", "B"))["author"] == ["A", "B"]
    assert "author" not in params_of(toggle_url(query, "authors", "A"))
    assert params_of(toggle_url(query, "tags", "t1"))["tag"] == ["t2"]
    assert params_of(toggle_url(query, "year", "2020"))["year"] == ["2020"]
    assert "page" not in params_of(toggle_url(query, "year", "2020"))
    cleared = params_of(clear_facet_url(query, "tags"))
    assert "tag" not in cleared and cleared["author"] == ["A"]
    assert params_of(clear_all_url(query)) == {"q": ["x"]}


def _page(page: int, total: int, per_page: int = 10) -> Page:
    return Page(SearchQuery(text="x", page=page, per_page=per_page), total, (), {})


def test_page_links_window_with_gaps() -> None:
    links = page_links(_page(page=10, total=200))
    numbers = [link.number for link in links]
    assert numbers == [1, None, 8, 9, 10, 11, 12, None, 20]
    assert [link.number for link in links if link.current] == [10]
    assert params_of(links[-1].url)["page"] == ["20"]
    assert "page" not in params_of(links[0].url)
    assert [link.number for link in page_links(_page(page=1, total=25))] == [1, 2, 3]
    assert [link.number for link in page_links(_page(page=1, total=0))] == [1]


def test_sort_and_per_page_options() -> None:
    options = sort_options(parse(q="x", sort="title"))
    assert [(o.value, o.selected) for o in options] == [
        ("", False),  # relevance is the default with a text, so it submits as ""
        ("newest", False),
        ("oldest", False),
        ("title", True),
    ]
    assert [o.value for o in sort_options(parse())][1] == ""  # newest is the default without
    assert per_page_options(parse()) == [(10, False), (20, True), (50, False)]
    assert (37, True) in per_page_options(parse(per_page="37"))


def test_facet_values_keep_their_order_in_urls() -> None:
    query = SearchQuery(filters={"language": ("uk", "en")})
    assert params_of(search_url(query))["language"] == ["uk", "en"]
