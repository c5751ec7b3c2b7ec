"""The pure rules of citing (archive/core/citations.py, references.py): names, dates, styles."""

from __future__ import annotations

import pytest

from archive.core.citations import Name, cited_date, entry_key, ris, split_name
from archive.core.references import apa, chicago, highwire_tags
from archive.models import Document, Metadata


def doc(**meta: object) -> Document:
    metadata = Metadata(**{"title": "A title", **meta})  # type: ignore[arg-type]
    return Document(7, "0" * 64, "a.txt", "txt", 1, metadata, (), "2024-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Jane Q. Public", Name(family="Public", given="Jane Q.")),
        ("Public, Jane Q.", Name(family="Public", given="Jane Q.")),
        ("Лев Толстой", Name(family="Толстой", given="Лев")),
        ("毛泽东", Name(literal="毛泽东")),
        ("Reuters", Name(literal="Reuters")),
        ("  Ann\nLee  ", Name(family="Lee", given="Ann")),
        ("Plato,", Name(literal="Plato")),
    ],
)
def test_names_split_into_family_and_given(raw: str, name: Name) -> None:
    assert split_name(raw) == name


def test_a_month_date_and_the_ambiguity_rule() -> None:
    assert cited_date(doc(date="2023-03").metadata) == "2023-03"
    ambiguous = doc(
        date="2023-11-03", date_ambiguous=True, date_readings=("2023-11-03", "2023-03-11")
    )
    assert cited_date(ambiguous.metadata) == "2023"
    assert "PY  - 2023\nDA  - 2023///\n" in ris(ambiguous)
    assert cited_date(doc().metadata) == ""


def test_apa_and_chicago_with_three_authors() -> None:
    d = doc(
        title="Why?", authors=("Ann Lee", "Bo Kim", "Cy Doe"), publication="The Paper",
        date="2023-03", url="https://example.org/a",
    )  # fmt: skip
    assert apa(d).text == (
        "Lee, A., Kim, B., & Doe, C. (2023, March). Why? The Paper. https://example.org/a"
    )
    assert ("The Paper", True) in apa(d).parts
    assert chicago(d).text == (
        "Lee, Ann, Bo Kim, and Cy Doe. \u201cWhy?\u201d The Paper, March 2023. "
        "https://example.org/a."
    )
    assert ("citation_publication_date", "2023/03") in highwire_tags(d)


def test_no_author_puts_the_title_first() -> None:
    assert apa(doc(date="2020")).text == "A title. (2020)."
    assert chicago(doc()).text == "\u201cA title.\u201d n.d."


def test_the_entry_key_is_ascii() -> None:
    assert entry_key(doc(authors=("José Núñez",), date="2021")) == "nunez2021_7"
    assert entry_key(doc(authors=("Лев Толстой",))) == "doc_7"
