"""The index's analysis and fields: character offsets, and what a document becomes in Whoosh."""

from __future__ import annotations

from whoosh.highlight import ContextFragmenter, UppercaseFormatter, highlight

from archive.models import Block, Document, Metadata
from archive.search.index import ALIAS_FIELD, LANG_SEP, VALUE_SEP, LanguageAnalyzer, document_fields
from archive.search.variants import alias_term, load


def offsets(value: str, start_char: int = 0) -> list[tuple[str, str]]:
    """(term, the characters its offsets cover) for each token of value."""
    tokens = LanguageAnalyzer()(value, positions=True, chars=True, start_char=start_char)
    return [(t.text, value[t.startchar - start_char : t.endchar - start_char]) for t in tokens]


def test_offsets_count_from_the_start_of_the_tagged_value() -> None:
    value = "en" + LANG_SEP + "The Kremlin said, then Kyiv replied."
    assert offsets(value) == [
        ("en:kremlin", "Kremlin"),
        ("en:said", "said"),
        ("en:kyiv", "Kyiv"),
        ("en:repli", "replied"),
    ]
    assert offsets(value, start_char=100) == offsets(value)  # a field's later value
    assert offsets("Kyiv replied") == [("xx:kyiv", "Kyiv"), ("xx:replied", "replied")]  # no tag


def test_the_stock_highlighter_marks_the_word_itself() -> None:
    value = "uk" + LANG_SEP + "Ракети влучили в Київ вночі."
    marked = highlight(
        value, {"uk:київ"}, LanguageAnalyzer(), ContextFragmenter(), UppercaseFormatter()
    )
    assert "КИЇВ" in marked and "Ракети влучили в КИЇВ вночі" in marked


def document(title: str, blocks: list[Block], language: str = "en") -> Document:
    return Document(
        id=7, sha256="", filename="", format="txt", size=0, added_at="",
        metadata=Metadata(title=title, authors=("Ann Lee",), language=language, tags=("War",)),
        blocks=tuple(blocks),
    )  # fmt: skip


def test_spelling_and_alias_fields_take_the_capitalised_words() -> None:
    doc = document(
        "Shelling near Bakhmut",
        [
            Block("heading", "Wagner in Soledar", 2),
            Block("paragraph", "Prigozhin said the Wagner Group took Бахмут; the army denied it."),
            Block("paragraph", "Officials in Kyiv were silent."),
        ],
    )
    fields = document_fields(doc, load())
    spell = str(fields["spell"]).split(LANG_SEP, 1)[1].split("\n")
    assert spell[:4] == ["Shelling near Bakhmut", "Wagner in Soledar", "Ann Lee", "War"]
    # of the body, only its capitalised words: names, mostly
    assert spell[4] == "Prigozhin Wagner Group Бахмут Officials Kyiv"
    words = "Shelling Bakhmut Wagner Soledar Prigozhin Wagner Group Бахмут Officials Kyiv".split()
    expected = [t for t in map(alias_term, words) if t]
    assert str(fields[ALIAS_FIELD]).split(VALUE_SEP) == expected
    assert alias_term("Бахмут") == "c:bagmut" and alias_term("Bakhmut") == "l:bagmut"
    names = str(fields["names"]).split(VALUE_SEP)
    assert "Bakhmut" in names and "Prigozhin" in names and "Wagner" in names


def test_capitalised_words_are_the_words_that_start_upper_case() -> None:
    from archive.search.analysis import words
    from archive.search.index import capitalised_words

    text = (
        "Ελλάδα and Αθήνα; Бахмут, Київ. x1Y 3Dpeople iPhone McDonald's O'Neil NATO_Pact "
        "snake_Case "
        "Émile ǅemal ǄEMAL Ⅻ 𝐀lpha 𐐀pple Ⓐnna Ωmega-Point Ärzte"
    )
    assert capitalised_words(text) == [w for w in words(text) if w[0].isupper()]
    assert capitalised_words("no capitals here at all") == []


def test_no_upper_case_letter_lies_beyond_the_first_two_planes() -> None:
    """capitalised_words' class scans the first two planes only: true of Python's Unicode tables."""
    assert not any(chr(c).isupper() for c in range(0x20000, 0x110000))
