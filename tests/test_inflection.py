"""Russian and Ukrainian inflections and apostrophes, on a real index: every case of a word
finds the same documents, and so does every way of writing its apostrophe."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from archive import Archive, Settings
from archive.models import SearchQuery
from archive.search.analysis import document_terms, query_word_terms, stem
from archive.search.syntax import Phrase, Word, parse

# (id, language, body): each document writes its word in one form only
DOCS = [
    ("uk-nom", "uk", "Нові санкції проти агресора ухвалено в понеділок."),
    ("uk-gen", "uk", "Пакет санкцій набуде чинності за тиждень."),
    ("uk-ins", "uk", "Партнери тиснуть на агресора санкціями."),
    ("uk-kyiv", "uk", "Делегація прибула до Києва, а потім працювала в Києві."),
    ("uk-russia", "uk", "Перемовини з Росією не відбулися."),
    ("uk-ap1", "uk", "Премʼєр-міністр провів нараду."),  # U+02BC
    ("uk-ap2", "uk", "Прем'єр-міністр підписав постанову."),  # ASCII
    ("uk-ap3", "uk", "Прем’єр-міністр виступив у парламенті."),  # U+2019
    ("ru-ins", "ru", "Европа ответила санкциями на действия России."),
    ("ru-nom", "ru", "Новые санкции вступили в силу."),
    ("en", "en", "Russia's reply to the sanctions came on Monday."),
]


@pytest.fixture(scope="module")
def inflected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    root = tmp_path_factory.mktemp("inflection")
    lines = [
        json.dumps({"id": i, "language": lang, "title": f"Doc {i}", "body": body})
        for i, lang, body in DOCS
    ]
    (root / "r.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Archive(Settings(root=root / "archive")) as archive:
        archive.ingest_paths([root / "r.jsonl"])
        yield archive


def found(archive: Archive, text: str) -> set[str]:
    page = archive.search(SearchQuery(text=text, per_page=50))
    return {archive.document(h.id).source_id for h in page.hits}


def test_ukrainian_cases_are_one_term() -> None:
    assert stem("санкції", "uk") == stem("санкцій", "uk") == stem("санкціями", "uk")
    assert stem("росією", "uk") == stem("росія", "uk")
    assert stem("києва", "uk") == stem("києві", "uk") == stem("київ", "uk")
    assert stem("війни", "uk") == stem("війна", "uk")  # a noun, not the verb війнути
    assert stem("санкциями", "ru") == stem("санкции", "ru")


def test_every_apostrophe_is_one_character_inside_a_ukrainian_word() -> None:
    text = "Премʼєр Прем'єр Прем’єр"
    terms = list(document_terms(text, "uk"))
    assert len({t for _, _, t in terms}) == 1
    assert [text[a:b] for a, b, _ in terms] == text.split()  # whole words, offsets kept
    assert query_word_terms("Прем'єр")["uk"] == query_word_terms("Премʼєр")["uk"]
    assert parse("Прем’єр") == parse("Прем'єр") == Word("Премʼєр", None)
    # English keeps splitting at its apostrophes, as before
    assert parse("Russia's") == Phrase(("Russia", "s"), None, 0)


@pytest.mark.parametrize("form", ["санкції", "санкцій", "санкціями"])
def test_each_ukrainian_form_finds_every_form(inflected, form) -> None:
    assert {"uk-nom", "uk-gen", "uk-ins"} <= found(inflected, form)


@pytest.mark.parametrize("form", ["санкции", "санкциями"])
def test_each_russian_form_finds_every_form(inflected, form) -> None:
    assert {"ru-ins", "ru-nom"} <= found(inflected, form)


def test_place_names_in_any_case(inflected) -> None:
    assert "uk-kyiv" in found(inflected, "Київ")
    assert "uk-russia" in found(inflected, "Росія")


@pytest.mark.parametrize("form", ["Премʼєр", "Прем'єр", "Прем’єр"])
def test_each_apostrophe_finds_every_apostrophe(inflected, form) -> None:
    assert found(inflected, form) == {"uk-ap1", "uk-ap2", "uk-ap3"}


def test_an_index_of_the_analysis_before_is_rebuilt(tmp_path) -> None:
    """SCHEMA_VERSION 8 brought the lemmas: an index of version 7 (stems) is rebuilt from the
    catalog when the archive opens, and then every form finds every form."""
    from archive.search.index import SCHEMA_VERSION, VERSION_FILE

    lines = [json.dumps({"id": i, "language": lang, "title": i, "body": b}) for i, lang, b in DOCS]
    (tmp_path / "r.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = Settings(root=tmp_path / "archive")
    with Archive(settings) as archive:
        archive.ingest_paths([tmp_path / "r.jsonl"])
    version = settings.index_dir / VERSION_FILE
    assert version.read_text().startswith(SCHEMA_VERSION + " ") and SCHEMA_VERSION == "8"
    version.write_text(version.read_text().replace("8 ", "7 ", 1))
    with Archive(settings) as archive:
        assert version.read_text().startswith("8 ")
        assert {"uk-nom", "uk-gen", "uk-ins"} <= found(archive, "санкціями")
