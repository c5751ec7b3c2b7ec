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
