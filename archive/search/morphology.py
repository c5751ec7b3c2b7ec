"""Russian and Ukrainian words to their dictionary forms, with pymorphy3 and its OpenCorpora
(ru) and VESUM (uk) dictionaries.

Both languages inflect nouns, names and adjectives by case, number and gender: санкції,
санкцій and санкціями are one word to a reader, and Дениса Шмигаля is Денис Шмигаль. A light
suffix stemmer merges some cases and misses others (Києва / Київ, Росією / Росія); the
analyser knows each word's paradigm. `lemma` serves search terms (the same function for the
index and the query, so both sides always meet); `nominative` serves names, which keep their
gender and number (Верховної Ради -> Верховна Рада, not "верховний рада").

Parsing costs about 25 µs a word; a corpus repeats its words, so both are memoised per process
(lru_cache of pure functions of their arguments: the dictionaries never change under them).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any

import pymorphy3

MORPH_LANGUAGES = ("ru", "uk")
# Distinct words remembered per process (ru + uk share each cache; an entry costs about 200
# bytes): the words a corpus repeats, not all of them (a 20,000-document corpus has about
# 300,000), since a server's index worker keeps them for its life (see names.CACHE_SIZE).
CACHE_SIZE = 10_000
# The three apostrophes written inside Ukrainian words (Премʼєр, Прем’єр, Прем'єр); the
# dictionaries write "'".
APOSTROPHES = "'\u2019\u02bc"
_TO_DICTIONARY = str.maketrans({"\u2019": "'", "\u02bc": "'"})
# Tags that mark a proper name in the dictionaries: a first name, surname, patronymic, place,
# organisation, or a brand.
PROPER = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn", "Trad"})


@cache
def _analyser(lang: str) -> Any:  # noqa: ANN401 - pymorphy3.MorphAnalyzer, untyped
    return pymorphy3.MorphAnalyzer(lang=lang)


# Parses of the words names are made of, shared by the functions below (a name's word is asked
# about three or four times); fewer than the words, as each costs about 1 KB.
PARSE_CACHE_SIZE = 25_000


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse(word: str, lang: str) -> tuple[Any, ...]:
    """The dictionary's readings of a word as written (any case, any apostrophe)."""
    return tuple(_analyser(lang).parse(word.lower().translate(_TO_DICTIONARY)))


@lru_cache(maxsize=CACHE_SIZE)
def lemma(word: str, lang: str) -> str:
    """The dictionary form of a lowercased ru or uk word (the word itself in other languages,
    or when it has no letters of the language): санкціями -> санкція, россии -> россия."""
    if lang not in MORPH_LANGUAGES or not _has_cyrillic(word):
        return word
    return _best(_analyser(lang).parse(word.translate(_TO_DICTIONARY)), lang).normal_form


_PERSONAL = frozenset({"Name", "Surn", "Patr"})


def _best(parses: Sequence[Any], lang: str) -> Any:  # noqa: ANN401 - a pymorphy3 Parse
    """The reading a form gets when the dictionary has several. The Russian one orders them by
    corpus frequency (путина: the surname Путин first), so its first is taken. The Ukrainian
    dictionary has no frequencies to order them, so: a noun before a verb or adjective (війни:
    війна, not війнути), and a thing or place before a rare first name or surname of the same form
    (Києві: Київ, not the legendary Кий; Харкові: Харків, not a surname Харко). A word that
    is only a name (Шмигаля) keeps its name."""
    if lang != "uk":
        return parses[0]
    nouns = [p for p in parses if p.tag.POS == "NOUN"]
    return next((p for p in nouns if not _PERSONAL & p.tag.grammemes), None) or (
        nouns[0] if nouns else parses[0]
    )


# the cases a name is read in when its words share several (nominative first: as written)
_CASES = ("nomn", "gent", "loct", "ablt", "datv", "accs", "voct")


@lru_cache(maxsize=CACHE_SIZE)
def nominative(words: tuple[str, ...], lang: str) -> tuple[str, ...]:
    """A name's words in the nominative (Дениса Шмигаля -> Денис Шмигаль, Верховної Ради ->
    Верховна Рада, Росією -> Росія). Words are read in the case they share; adjectives and the
    first noun are declined, the words after it only when they continue a person's name (the
    genitive of Кабінету Міністрів or Збройних Сил України belongs to the name). A word the
    dictionary does not decline (НАТО, a Latin word) is kept."""
    if lang not in MORPH_LANGUAGES or not any(map(_has_cyrillic, words)):
        return words
    parsed = [_parse(w, lang) if _has_cyrillic(w) else () for w in words]
    declined = [p for p in parsed if _declines(p)]
    case, number = _shared(declined) if len(declined) > 1 else (None, None)
    out: list[str] = []
    head: bool | None = None  # None before the first noun, then: is it a person's name
    for n, (word, parses) in enumerate(zip(words, parsed, strict=True)):
        if not _declines(parses):
            out.append(word)
            continue
        readings = (
            [p for p in parses if p.tag.case == case and p.tag.number in (number, None)]
            if case
            else parses
        )
        readings = readings or parses
        best = _best(readings, lang)
        if head is None and n < len(words) - 1:  # before a noun, an adjective agrees with it
            best = next((p for p in readings if p.tag.POS == "ADJF"), best)
        # any reading as a name counts (Володимира is also the town Володимир); a surname may
        # decline as an adjective (Зеленського)
        personal = any(_PERSONAL & p.tag.grammemes or p.tag.POS == "ADJF" for p in readings)
        if head is not None and not (personal and head):
            out.append(word)
            continue
        if head:  # continuing a person's name: read as a name
            best = next((p for p in readings if _PERSONAL & p.tag.grammemes), best)
        out.append(_nominative_of(word, best))
        if head is None and best.tag.POS == "NOUN":
            head = any(_PERSONAL & p.tag.grammemes for p in readings)
    return tuple(out)


@lru_cache(maxsize=CACHE_SIZE)
def case_breaks(words: tuple[str, ...], lang: str) -> tuple[int, ...]:
    """Where a run of capitalised words holds several names: before each word that shares no
    case with the word before it (канцлером Німеччини Олафом Шольцом: Німеччини | Олафом
    Шольцом), one name's words agreeing in case. Words the dictionary does not decline never
    break a run."""
    if lang not in MORPH_LANGUAGES or len(words) < 2:
        return ()
    cases: list[set[str] | None] = []
    for word in words:
        parses = _parse(word, lang) if _has_cyrillic(word) else ()
        cases.append({p.tag.case for p in parses} - {None} if _declines(parses) else None)
    return tuple(
        i for i in range(1, len(words)) if cases[i] and cases[i - 1] and not cases[i] & cases[i - 1]
    )


def _shared(declined: list[Sequence[Any]]) -> tuple[str | None, str | None]:
    """The first case (of _CASES) and number every word can be read in: singular or plural,
    a word without number (a surname of both genders) going with either; (None, None) when
    there is none."""
    for case in _CASES:
        for number in ("sing", "plur"):
            if all(
                any(x.tag.case == case and x.tag.number in (number, None) for x in p)
                for p in declined
            ):
                return case, number
    return None, None


def _declines(parses: Sequence[Any]) -> bool:
    return bool(parses) and parses[0].is_known and "Fixd" not in parses[0].tag.grammemes


def _nominative_of(word: str, best: Any) -> str:  # noqa: ANN401 - a pymorphy3 Parse
    form = best.inflect({"nomn"}) if best.tag.case not in (None, "nomn") else None
    text = form.word if form is not None else best.word
    if "'" in text and "'" not in word:  # the document's own apostrophe
        text = text.replace("'", "\u02bc")
    return _same_case(text, word)


@lru_cache(maxsize=CACHE_SIZE)
def not_a_name(word: str, lang: str) -> bool:
    """Whether the dictionary knows a capitalised word only as a common word that is no noun
    (Другої, Київської, Збройних: an adjective, numeral or verb) and never as a name: alone,
    such a word is no name, however it is capitalised."""
    if lang not in MORPH_LANGUAGES or not _has_cyrillic(word):
        return False
    parses = _parse(word, lang)
    return parses[0].is_known and all(
        p.tag.POS != "NOUN" and not PROPER & p.tag.grammemes for p in parses
    )


@lru_cache(maxsize=CACHE_SIZE)
def common_noun(word: str, lang: str) -> bool:
    """Whether the dictionary knows a word as a common noun and never as a name (Засідання,
    Управление)."""
    return _common(word, lang, ("NOUN",))


@lru_cache(maxsize=CACHE_SIZE)
def common_opening(word: str, lang: str) -> bool:
    """Whether a word capitalised at a sentence's start is a common word, not a name's first:
    a noun, verb or adverb the dictionary knows and never as a name (Засідання Верховної Ради,
    Пропоную Російській Федерації). Adjectives may open a name (Верховна Рада)."""
    return _common(word, lang, ("NOUN", "VERB", "INFN", "ADVB", "PRED", "CONJ", "PREP", "PRCL"))


def _common(word: str, lang: str, kinds: tuple[str, ...]) -> bool:
    if lang not in MORPH_LANGUAGES or not _has_cyrillic(word):
        return False
    parses = _parse(word, lang)
    return (
        parses[0].is_known
        and _best(parses, lang).tag.POS in kinds
        and not any(PROPER & p.tag.grammemes for p in parses)
    )


@lru_cache(maxsize=CACHE_SIZE)
def adjective_ending(word: str, lang: str) -> bool:
    """Whether a name's last word reads as an adjective and never as a name or noun, the
    dictionary's guess for a word it does not know included (Шебалинский, Отечественная): a
    name that ends so has lost its noun (района, война), which is written in lowercase."""
    if lang not in MORPH_LANGUAGES or not _has_cyrillic(word):
        return False
    parses = _parse(word, lang)
    return all(p.tag.POS in ("ADJF", "PRTF") and not PROPER & p.tag.grammemes for p in parses)


def _has_cyrillic(word: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in word)


def _same_case(text: str, like: str) -> str:
    """text cased as like: all capitals, or a capital at the start of each hyphenated part."""
    if like.isupper() and len(like) > 1:
        return text.upper()
    if len(text) != len(like):  # an inflected form of another length: capitalise the parts
        return "-".join(p[:1].upper() + p[1:] for p in text.split("-"))
    return "".join(c.upper() if o.isupper() else c for c, o in zip(text, like, strict=True))


@lru_cache(maxsize=4096)
def forms_beginning(lemma_text: str, lang: str) -> str:
    """What every form of a ru or uk dictionary form begins with, folded (києві, київ, кия ->
    "ки"): a text holding none of it holds no word of that lemma. The highlighter looks for it
    before analysing a block (the lemma itself is no such test: цьому is a form of це). Cut at
    an apostrophe, which texts write three ways; "" when the forms share no beginning."""
    from archive.search.analysis import fold  # analysis imports this module

    parses = _analyser(lang).parse(lemma_text.translate(_TO_DICTIONARY))
    own = [p for p in parses if p.normal_form == lemma_text] or list(parses)
    forms = {fold(f.word) for p in own for f in p.lexeme} | {fold(lemma_text)}
    beginning = os.path.commonprefix(sorted(forms))
    return beginning.split("'")[0]
