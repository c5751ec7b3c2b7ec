"""Text analysis shared by indexing, querying and highlighting: one definition of a 'term'.

A word in a document of language L becomes the term "L:stem", where stem is the word lowercased,
stemmed by L's stemmer and folded (accents removed). Russian and Ukrainian words take their
dictionary form instead (search/morphology.py): a stemmer merged санкції and санкцій but not
санкціями, nor Києва and Київ; bench/inflection.py measures both. Stop words of L are dropped.
A query word becomes one term per language, so a query matches documents in every language
while each document is stemmed by its own language's rules, and a stop word only vanishes for
the languages where it is one ("war" is a stop word in German, not in English).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import cache, partial

from whoosh.lang import stemmer_for_language, stopwords_for_language

from archive.search.morphology import MORPH_LANGUAGES, lemma

LANGUAGES = ("en", "es", "ru", "uk", "de", "fr", "pt", "it")
# Documents whose language is unknown are analysed without stemming or stop words.
UNKNOWN = "xx"
TERM_LANGUAGES = (*LANGUAGES, UNKNOWN)

# Words: letters and digits. Hyphens split words, and so do apostrophes, except between two
# Cyrillic letters: Ukrainian writes one inside a word (Премʼєр, Прем'єр, Прем’єр), where "'"
# and "’" would cut "Прем" off (U+02BC is a letter to `re`, the others are not). In English
# "Russia's" stays two words, as it always was.
_CYRILLIC = "\u0400-\u04ff"
WORD_RE = re.compile(rf"[^\W_]+(?:(?<=[{_CYRILLIC}])['\u2019](?=[{_CYRILLIC}])[^\W_]+)*")
# Every apostrophe form reads as one before analysis, so the three spellings are one term.
_APOSTROPHE = str.maketrans({"\u2019": "\u02bc", "'": "\u02bc"})
_INNER_APOSTROPHE_RE = re.compile(rf"(?<=[{_CYRILLIC}])['\u2019](?=[{_CYRILLIC}])")


def join_apostrophes(text: str) -> str:
    """text with each apostrophe inside a Cyrillic word written as U+02BC, a letter to `re`
    (Прем'єр -> Премʼєр): the same length, so offsets hold."""
    if "'" not in text and "\u2019" not in text:
        return text
    return _INNER_APOSTROPHE_RE.sub("\u02bc", text)


_UK_STOP = frozenset(
    """
    і й та або але а в у на з із зі до від по за для про під над при як що це цей ця ці той те ті
    не ні так же ж би б чи бо якщо коли де там тут вже ще також тільки є був була було були буде
    будуть його її їх їм він вона воно вони ми ви я ти нас вас нам вам мене тебе себе свій своя
    своє свої який яка яке які
    """.split()
)


@cache
def _stemmer(lang: str):  # noqa: ANN202 - a plain str -> str callable
    if lang in MORPH_LANGUAGES:  # inflected: their dictionary forms (search/morphology.py)
        return partial(lemma, lang=lang)
    if lang == UNKNOWN:
        return None
    return stemmer_for_language(lang)


@cache
def stop_words(lang: str) -> frozenset[str]:
    if lang == "uk":
        return _UK_STOP
    if lang == UNKNOWN:
        return frozenset()
    return frozenset(stopwords_for_language(lang))


def fold(text: str) -> str:
    """Lowercase and strip accents (é -> e, ё -> е), keeping Cyrillic й and ї distinct letters."""
    text = text.lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    kept = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            # U+0306 (breve) makes й, U+0308 on і makes ї: letters, not accents, in uk/ru.
            if ch in "\u0306\u0308" and kept and kept[-1] in "иі":
                kept.append(ch)
            continue
        kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept))


_stem_caches: dict[str, dict[str, str]] = {lang: {} for lang in TERM_LANGUAGES}
# Words a language's cache keeps (the first met: a corpus's frequent words). At 500,000 the
# caches of a server that searches itself grew with every document a snippet was made of;
# stemming the 3.8 million words of 6,000 articles took 6.0 s with a cap of 50,000 as with
# one of 500,000 (63,000 English words met).
STEM_CACHE_SIZE = 25_000


def stem(word: str, lang: str) -> str:
    """The folded stem of an already lowercased word, cached (stemmers are pure Python)."""
    cache = _stem_caches[lang]
    hit = cache.get(word)
    if hit is not None:
        return hit
    stemmer = _stemmer(lang)
    one = word.translate(_APOSTROPHE)
    result = fold(stemmer(one) if stemmer else one).translate(_APOSTROPHE)
    if len(cache) < STEM_CACHE_SIZE:
        cache[word] = result
    return result


def term_language(lang: str) -> str:
    return lang if lang in LANGUAGES else UNKNOWN


def document_terms(text: str, lang: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, term) for each indexed word of text, in order; stop words are skipped."""
    lang = term_language(lang)
    stops = stop_words(lang)
    prefix = lang + ":"
    for m in WORD_RE.finditer(text):
        word = m.group().lower()
        if word in stops:
            continue
        yield m.start(), m.end(), prefix + stem(word, lang)


def query_word_terms(word: str) -> dict[str, str | None]:
    """For one query word: language -> term, or None where the word is a stop word there."""
    word = word.lower()
    out: dict[str, str | None] = {}
    for lang in TERM_LANGUAGES:
        out[lang] = None if word in stop_words(lang) else f"{lang}:{stem(word, lang)}"
    return out


def words(text: str) -> list[str]:
    return WORD_RE.findall(text)


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment): a swap of neighbours is one edit, as
    typos swap letters ("Donestk" is one edit from "Donetsk")."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, prev2[j - 2] + 1)
            row.append(cost)
        prev2, prev = prev, row
    return prev[-1]
