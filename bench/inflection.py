"""A suffix stemmer against the pymorphy3 lemmatiser for Ukrainian and Russian search terms.

    .venv/bin/python bench/inflection.py [--corpus DIR]

On resistinua_uk_en (its Ukrainian documents) and zvezdaaltaya_ru, for each method: the
documents each written form of a word finds (a method that merges the cases gives every form
the same count), over the issue's words and over the corpus's 200 most frequent nouns with
three forms or more (the share of a word's documents the average form finds); distinct terms;
and the analysis time per document, from a cold cache (the first pass of a process) and warm.
The stemmer is the one the archive used before (a light Ukrainian suffix stemmer; Snowball
for Russian, from Whoosh).
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from corpus import DEFAULT_CORPUS
from whoosh.lang import stemmer_for_language

from archive.search.analysis import WORD_RE, fold, stop_words
from archive.search.morphology import _analyser, _best, lemma

_UK_SUFFIXES = sorted(
    set(
        """ами ями ові еві ому ого ими іми ій ий ая яя ою ею ом ем ам ям ах ях ів їв ей ої ти
        ться ись лася лося лися ла ло ли ння нні нню ням нях ість ості остю а я о е у ю і ї и ь
        """.split()
    ),
    key=len,
    reverse=True,
)


def uk_light_stem(word: str) -> str:
    """The archive's Ukrainian stemmer before: the longest common ending, 3 letters kept."""
    for suffix in _UK_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


CASES = {
    "uk": ["санкції", "санкцій", "санкціями", "росія", "росії", "росією", "київ", "києва",
           "києві", "війна", "війни", "війною", "україна", "україни", "україні"],
    "ru": ["санкции", "санкций", "санкциями", "россия", "россии", "россией", "край", "края",
           "краю", "город", "города", "городе"],
}  # fmt: skip


def documents(folder: Path, name: str, lang: str) -> list[str]:
    with gzip.open(folder / name, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    return [f"{r['title']}\n{r['body']}" for r in records if r["language"] == lang]


def measure(texts: list[str], lang: str, method: Callable[[str], str]) -> dict:
    stops = stop_words(lang)
    posting: dict[str, set[int]] = defaultdict(set)
    forms: dict[str, set[int]] = defaultdict(set)
    started = time.perf_counter()
    for i, text in enumerate(texts):
        for word in WORD_RE.findall(text):
            low = word.lower()
            if low in stops:
                continue
            posting[fold(method(low))].add(i)
            forms[low].add(i)
    cold = (time.perf_counter() - started) / len(texts)
    started = time.perf_counter()
    for text in texts:
        for word in WORD_RE.findall(text):
            method(word.lower())
    warm = (time.perf_counter() - started) / len(texts)
    return {"posting": posting, "forms": forms, "cold": cold, "warm": warm}


def hits(result: dict, method: Callable[[str], str], word: str) -> int:
    return len(result["posting"].get(fold(method(word)), ()))


def families(texts_forms: dict[str, set[int]], lang: str) -> list[list[str]]:
    """The 200 most frequent nouns (by documents) with three written forms or more."""
    by_lemma: dict[str, list[str]] = defaultdict(list)
    analyser = _analyser(lang)
    for form in texts_forms:
        parse = _best(analyser.parse(form), lang)
        if parse.tag.POS == "NOUN" and parse.is_known and len(form) > 3:
            by_lemma[parse.normal_form].append(form)
    rich = [f for f in by_lemma.values() if len(f) >= 3]
    rich.sort(key=lambda f: -len(set().union(*(texts_forms[x] for x in f))))
    return rich[:200]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    snowball = stemmer_for_language("ru")
    for name, lang in (("resistinua_uk_en.jsonl.gz", "uk"), ("zvezdaaltaya_ru.jsonl.gz", "ru")):
        texts = documents(args.corpus, name, lang)
        stemmer = uk_light_stem if lang == "uk" else snowball
        lemmatiser = lambda w, lang=lang: lemma(w, lang)  # noqa: E731
        methods = {"stemmer": stemmer, "lemmatiser": lemmatiser}
        results = {m: measure(texts, lang, f) for m, f in methods.items()}
        print(f"\n{name} ({len(texts)} {lang} documents)")
        print(f"{'word':<12}" + "".join(f"{m:>12}" for m in methods) + f"{'written':>10}")
        for word in CASES[lang]:
            row = "".join(f"{hits(results[m], f, word):>12}" for m, f in methods.items())
            print(f"{word:<12}{row}{len(results['stemmer']['forms'].get(word, ())):>10}")
        fams = families(results["lemmatiser"]["forms"], lang)
        forms = results["lemmatiser"]["forms"]
        for m, f in methods.items():
            shares, split = [], 0
            for family in fams:
                union = len(set().union(*(forms[x] for x in family)))
                found = [hits(results[m], f, x) for x in family]
                shares.extend(min(n, union) / union for n in found)
                split += len(set(found)) > 1
            r = results[m]
            print(
                f"{m:<11} {len(r['posting']):>6} terms; the {len(fams)} nouns of 3+ forms: a form"
                f" finds {100 * sum(shares) / len(shares):.1f}% of its word's documents,"
                f" {split} words split; {1e3 * r['cold']:.2f} ms/doc cold,"
                f" {1e3 * r['warm']:.2f} ms/doc warm"
            )


if __name__ == "__main__":
    main()
