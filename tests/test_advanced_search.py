"""The advanced-search form builds an ordinary query; proximity works end to end."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from archive.errors import BadRequest
from archive.models import Overrides, SearchQuery
from archive.search.syntax import And, Not, Or, Phrase, Word, parse
from archive.web.advanced import AdvancedForm, advanced_query, advanced_url, form_of


def test_each_box_becomes_its_clause():
    assert advanced_query(AdvancedForm(all="war Bakhmut")) == "war Bakhmut"
    assert advanced_query(AdvancedForm(phrase="winter offensive")) == '"winter offensive"'
    assert advanced_query(AdvancedForm(any="Kyiv Kiev")) == "(Kyiv OR Kiev)"
    assert advanced_query(AdvancedForm(none="rumour gossip")) == "-rumour -gossip"
    assert advanced_query(AdvancedForm(near="Bakhmut Wagner", within="7")) == ('"Bakhmut Wagner"~7')
    assert advanced_query(AdvancedForm(near="Bakhmut Wagner")) == '"Bakhmut Wagner"~5'
    assert advanced_query(AdvancedForm(all="war", any="a b", field="title")) == (
        "title:war title:(a OR b)"
    )


def test_typed_syntax_is_taken_as_words_and_always_parses():
    form = AdvancedForm(
        all="war) \"Kyiv's (OR",
        phrase='winter "offensive',
        any="-Putin AND",
        none="NOT ( x",
        near="a*",
        field="body",
    )
    text = advanced_query(form)
    node = parse(text)
    assert isinstance(node, And)
    assert Word("war", "body") in node.children
    assert Phrase(("Kyiv", "s"), "body", 0) in node.children
    assert Phrase(("winter", "offensive"), "body", 0) in node.children
    assert Or((Word("Putin", "body"), Word("and", "body"))) in node.children
    assert Not(Word("x", "body")) in node.children


def test_the_url_carries_language_and_dates_as_filters():
    url = advanced_url(
        AdvancedForm(all="war", language="UK", date_from="2022", date_to="2022-05-16")
    )
    parts = urlsplit(url)
    assert parts.path == "/search"
    assert parse_qs(parts.query) == {
        "q": ["war"],
        "language": ["uk"],
        "from": ["2022"],
        "to": ["2022-05-16"],
    }
    with pytest.raises(BadRequest):
        advanced_url(AdvancedForm(all="war", date_from="2022-13"))
    with pytest.raises(BadRequest):
        advanced_url(AdvancedForm(near="a b", within="500"))
    with pytest.raises(BadRequest):
        advanced_url(AdvancedForm(all="a", field="nosuch"))


def test_form_of_reads_url_parameters():
    form = form_of({"all": ["  war "], "from": ["2020"], "to": [""], "near": ["a", "b c"]})
    assert form == AdvancedForm(all="war", near="b c", date_from="2020")
    assert form_of({}).is_empty() and not form.is_empty()


def test_proximity_finds_words_within_the_distance_in_either_field(archive):
    def add(name: str, text: str) -> int:
        return archive.add(text.encode(), name, Overrides(title=name)).id

    near = add("near.txt", "The siege of Bakhmut drew the Wagner group in for months.")
    far = add(
        "far.txt",
        "Bakhmut was the name on every map. Many things happened over the long winter, "
        "in many towns and villages, before anyone spoke of the Wagner group.",
    )
    swapped = add("swapped.txt", "Wagner fighters held Bakhmut.")

    def ids(text: str) -> set[int]:
        return {h.id for h in archive.search(SearchQuery(text=text)).hits}

    assert ids('"Bakhmut Wagner"') == set()
    assert ids('"Bakhmut Wagner"~4') == {near}
    assert ids('"Bakhmut Wagner"~50') == {near, far}
    assert ids("Bakhmut Wagner") == {near, far, swapped}
    # the advanced form's "near" box makes the same query
    text = advanced_query(AdvancedForm(near="Bakhmut Wagner", within="4"))
    assert ids(text) == {near}
