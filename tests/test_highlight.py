"""Highlighting's own folding against archive.analysis.fold, and Cyrillic names' marks."""

from __future__ import annotations

import pytest

from archive.models import Block
from archive.search.analysis import fold
from archive.search.highlight import Highlighter, Marks, fold_blocks, quick_fold
from archive.search.syntax import parse
from archive.search.variants import cross_script_term

TEXTS = [
    "plain ascii, nothing to fold",
    "Café ñandú, “quoted” — and a dash",
    "Acción, corazón, pingüino, ÅÉÎÕÜ àéîõü",
    "İstanbul and ΣΟΦΟΣ σοφός: case rules with context",
    "Бахмут, Київ, йод, ЁЛКА, Вугледаром",
    "decomposed: e\u0301te\u0301, и\u0306, і\u0308",
    "\u0301 a combining mark first, then q\u0301 on its own",
    "Hangul 한국어 and jamo \u1100\u1161",
    "Oriya \u0b13\u0b47\u0b3e composes across two starters",
    "ǅemal, ﬁne, ẞ, Ⅻ, Straße",
    "\u0344 a decomposition that starts with a combining mark",
]


@pytest.mark.parametrize("text", TEXTS)
def test_fold_is_analysis_fold(text: str) -> None:
    assert quick_fold(text) == fold(text)
    for word in text.split():
        assert quick_fold(word) == fold(word)


def test_blocks_fold_together_as_each_alone() -> None:
    texts = [*TEXTS, "ΟΔΟΣ", "Σ at the start", "a \x00 separator inside", "", "ΣΟΦΟΣ"]
    blocks = tuple(Block("paragraph", t) for t in texts)
    assert fold_blocks(blocks) == [fold(t) for t in texts]
    assert fold_blocks(blocks[:3]) == [fold(t) for t in texts[:3]]  # without the separator
    assert fold_blocks(()) == []


def test_cyrillic_names_are_marked_where_a_cyrillic_letter_is() -> None:
    # "Bakhmut" finds Бахмут through its alias term; a block without a Cyrillic letter skips
    # the word-by-word alias test, and its own words are still marked
    highlighter = Highlighter(parse("Bakhmut"), Marks(aliases={cross_script_term("Bakhmut")}))
    text = "Бої за Бахмут тривали; Bakhmut held."
    assert [text[a:b] for a, b in highlighter.spans(text, "uk")] == ["Бахмут", "Bakhmut"]
    latin = "Fighting near Bakhmut went on, the Bakhmut road held."
    assert [latin[a:b] for a, b in highlighter.spans(latin, "en")] == ["Bakhmut", "Bakhmut"]
    assert highlighter.spans("Nothing about the city here, Señor.", "en") == []


def _doc(language: str, *paragraphs: str):  # noqa: ANN202 - a Document
    from archive.models import Document, Metadata

    blocks = tuple(Block("paragraph", p) for p in paragraphs)
    meta = Metadata(title="t", language=language)
    return Document(1, "0" * 64, "d.txt", "txt", 1, meta, blocks, "2026-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("language", "query", "paragraph", "marked"),
    [
        # a lemma's forms that do not hold the lemma: Києві (київ), цьому (це), людей (людина)
        ("uk", "Києві", "Зустріч відбулася у Києві вчора.", ["Києві"]),
        ("uk", "києва", "Делегація працювала в Києві, потім знову в Києві.", ["Києві", "Києві"]),
        ("uk", "цьому", "Та цього, вочевидь, не станеться.", ["цього"]),
        ("uk", "люди", "Тисячі людей вийшли на вулиці.", ["людей"]),
        ("ru", "россия", "Санкции против России усилены.", ["России"]),
        # a stemmer's words: the stem less its last letter is in every form
        ("en", "voting", "Voters voted; voting went on.", ["voted", "voting"]),
        ("es", "acción", "Las acciones del gobierno, una acción.", ["acciones", "acción"]),
    ],
)
def test_inflected_forms_are_marked_in_snippets(language, query, paragraph, marked) -> None:
    highlighter = Highlighter(parse(query))
    doc = _doc(language, "Opening words of the document.", paragraph)
    [(snippet, block)] = highlighter.snippet_blocks(doc, 1)
    assert block == 1
    assert [paragraph[a:b] for a, b in highlighter.spans(paragraph, language)] == marked
    assert snippet.count("<mark>") == len(marked)
