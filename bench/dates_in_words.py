"""Dates written in words: ours (ingest/dates.parse_date) against dateparser, on the ways our
languages write a date (made from 60 known dates, so every answer is known), with a weekday or
"published" before some and "г." / "року" after the Slavic ones. Prints how many each reads
right, reads wrong or leaves unread, and the time per date.

    .venv/bin/pip install dateparser      # measured, not a dependency
    .venv/bin/python bench/dates_in_words.py
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from archive.ingest.dates import parse_date  # noqa: E402

MONTHS = {
    "en": "January February March April May June July August September October November December",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre"
    " diciembre",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "uk": "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня",
}
FORMS = {
    "en": ["{m} {d}, {y}", "{d} {m} {y}", "Published {m} {d}, {y}", "Tuesday, {m} {d}, {y}"],
    "es": ["{d} de {m} de {y}", "martes {d} de {m} de {y}", "{d} {m} {y}"],
    "fr": ["{d} {m} {y}", "le {d} {m} {y}", "mardi {d} {m} {y}"],
    "de": ["{d}. {m} {y}", "Dienstag, {d}. {m} {y}"],
    "ru": ["{d} {m} {y}", "{d} {m} {y} г.", "{d} {m} {y} года"],
    "uk": ["{d} {m} {y}", "{d} {m} {y} року", "{d} {m} {y} р."],
}


def cases(n: int = 60, seed: int = 14) -> list[tuple[str, str, str]]:
    """(language, text, ISO answer) for n dates in every form of every language."""
    rng = random.Random(seed)
    start = date(1995, 1, 1)
    days = [start + timedelta(days=rng.randrange(11_000)) for _ in range(n)]
    out = []
    for lang, forms in FORMS.items():
        months = MONTHS[lang].split()
        for day in days:
            for form in forms:
                text = form.format(d=day.day, m=months[day.month - 1], y=day.year)
                out.append((lang, text, day.isoformat()))
    return out


def by_dateparser(text: str) -> str | None:
    import dateparser

    found = dateparser.parse(text, languages=list(FORMS), settings={"DATE_ORDER": "DMY"})
    return found.date().isoformat() if found else None


def main() -> None:
    readers = {"ours": lambda text: parse_date(text)[0]}
    try:
        import dateparser  # noqa: F401

        readers["dateparser"] = by_dateparser
    except ImportError:
        print("dateparser is not installed: left out", file=sys.stderr)
    all_cases = cases()
    print(f"{len(all_cases):,} dates in words ({', '.join(FORMS)})")
    for name, read in readers.items():
        read(all_cases[0][1])  # load what it loads before timing
        right, wrong, unread = Counter(), Counter(), Counter()
        start = time.perf_counter()
        for lang, text, answer in all_cases:
            said = read(text)
            (right if said == answer else unread if said is None else wrong)[lang] += 1
        ms = 1000 * (time.perf_counter() - start) / len(all_cases)
        per = " ".join(f"{lang} {right[lang]}/{right[lang] + wrong[lang] + unread[lang]}"
                       for lang in FORMS)  # fmt: skip
        total = sum(right.values())
        print(
            f"{name:10} right {total / len(all_cases):7.2%}  wrong {sum(wrong.values()):4}"
            f"  unread {sum(unread.values()):4}  {per}  {ms:6.3f} ms/date"
        )


if __name__ == "__main__":
    main()
