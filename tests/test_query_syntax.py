import re

import pytest

from archive.errors import BadQuery
from archive.search.syntax import And, DateRange, Not, Or, Phrase, Value, Word, parse, words_of


def test_words_are_anded_by_default():
    assert parse("war Bakhmut") == And((Word("war"), Word("Bakhmut")))


def test_operators_phrases_fields_and_prefixes():
    node = parse('"winter offensive"~3 (kyiv OR kiev) -putin title:war bakh*')
    assert node == And(
        (
            Phrase(("winter", "offensive"), None, 3),
            Or((Word("kyiv"), Word("kiev"))),
            Not(Word("putin")),
            Word("war", "title"),
            Word("bakh", prefix=True),
        )
    )


def test_keyword_fields_and_dates():
    assert parse("language:UK") == Value("language", "uk")
    assert parse("year:2023") == Value("year", "2023")
    assert parse("date:2023-06") == DateRange("2023-06", "2023-06")
    assert parse("date:[2022 TO 2023-03]") == DateRange("2022", "2023-03")
    assert parse("date:[* TO 2023]") == DateRange(None, "2023")


def test_pasted_punctuation_is_text():
    assert parse("Bakhmut: A giant graveyard") == And(
        (Word("Bakhmut"), Word("A"), Word("giant"), Word("graveyard"))
    )
    assert parse("U.S. policy") == And((Phrase(("U", "S")), Word("policy")))
    assert parse("— & ...") is None


def test_field_applies_to_a_group():
    assert parse("title:(war OR peace)") == Or((Word("war", "title"), Word("peace", "title")))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"unclosed', "Unclosed quote"),
        ("(war", 'Unbalanced "("'),
        ("war)", 'Unbalanced ")"'),
        ("*war", "cannot start with a wildcard"),
        ("?ar", "cannot start with a wildcard"),
        ("w*r", "only a trailing *"),
        ("w*", "at least 2 letters"),
        ("foo:bar", 'Unknown field "foo"'),
        ("title:", "needs a value"),
        ("date:2023-13", "no month 13"),
        ("date:yesterday", "is not a date"),
        ("year:23", "is not a year"),
        ("language:english", "is not a language code"),
        ("war AND", '"AND" needs a word'),
        ("OR war", '"OR" needs a word'),
        ("NOT", '"NOT" needs a word'),
        ('"a b"~500', "at most ~50"),
        ("x" * 1001, "too long"),
        ("(" * 20 + "war" + ")" * 20, "too deeply"),
        (" ".join(["war"] * 65), "too many terms"),
    ],
)
def test_bad_queries_get_a_message(query, message):
    with pytest.raises(BadQuery, match=re.escape(message)):
        parse(query)


def test_words_of_skips_negated_and_keyword_parts():
    node = parse('war "winter offensive" -putin language:en date:2023')
    assert [w for w in words_of(node)] == [Word("war"), Phrase(("winter", "offensive"))]
