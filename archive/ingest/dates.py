"""Dates as articles write them: ISO, numeric (11/6/23, whose day and month may be swapped: both
readings are kept and the date flagged ambiguous) and with month names in eight languages."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# Month names in en, es, fr, it, pt, de, ru, uk: full, genitive/locative and common abbreviations.
_MONTH_WORDS = (
    "january jan enero ene janvier janv gennaio gen janeiro januar jänner январь января январе янв"
    " січень січня січ",
    "february feb febrero février févr fevr febbraio fevereiro fev februar февраль февраля феврале"
    " фев лютий лютого лют",
    "march mar marzo mars março märz mrz март марта марте мар березень березня бер",
    "april apr abril abr avril avr aprile apr april апрель апреля апреле апр квітень квітня кві",
    "may mayo mai mai maggio mag maio mai май мая мае травень травня тра",
    "june jun junio juin giugno giu junho juni июнь июня июне июн червень червня чер",
    "july jul julio juillet juil luglio lug julho juli июль июля июле июл липень липня лип",
    "august aug agosto ago août agosto agosto august авг август августа августе серпень серпня сер",
    "september sep sept septiembre setiembre septembre settembre setembro set сентябрь сентября"
    " сентябре сен сент вересень вересня вер",
    "october oct octubre octobre ottobre ott outubro out oktober okt октябрь октября октябре окт"
    " жовтень жовтня жов",
    "november nov noviembre novembre novembre novembro november ноябрь ноября ноябре ноя нояб"
    " листопад листопада лис",
    "december dec diciembre dic décembre déc dicembre dezembro dez dezember декабрь декабря"
    " декабре дек грудень грудня гру",
)
# Words allowed around a date: connectors, weekdays, "year" words, time-zone noise.
_FILLER_WORDS = (
    "de del of the on at am pm y el le la den der em il di a published updated posted "
    "г года год року рік р utc gmt est edt pst pdt cet cest msk "
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thurs fri sat "
    "sun lunes martes miércoles jueves viernes sábado domingo lundi mardi mercredi jeudi vendredi "
    "samedi dimanche montag dienstag mittwoch donnerstag freitag samstag sonntag lunedì martedì "
    "mercoledì giovedì venerdì sabato domenica segunda terça quarta quinta sexta feira "
    "понедельник вторник среда среду четверг пятница пятницу суббота субботу воскресенье "
    "понеділок вівторок середа четвер пʼятниця п'ятниця субота неділя"
)


def _fold(word: str) -> str:
    """Lowercase without accents, so "Décembre" and "decembre" (and "май"/"маи") agree."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_MONTHS = {_fold(w): i + 1 for i, words in enumerate(_MONTH_WORDS) for w in words.split()}
_FILLERS = {_fold(w) for w in _FILLER_WORDS.split()}
_ISO = re.compile(
    r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2}|UTC)?)?"
)
_YMD = re.compile(r"(\d{4})([./])(\d{1,2})\2(\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})([./-])(\d{1,2})\2(\d{2}|\d{4})")
_TIME = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b")
# Words (an apostrophe inside one too: "п'ятниця") and numbers.
TOKENS = re.compile(r"\d+|[^\W\d_]+(?:['ʼ][^\W\d_]+)?")
NO_DATE: tuple[str | None, bool, tuple[str, ...]] = (None, False, ())


def _year(text: str) -> int:
    """A four-digit year as is; a two-digit one in the latest century that is not in the future."""
    value = int(text)
    if len(text) > 2:
        return value
    return 2000 + value if 2000 + value <= date.today().year else 1900 + value


def _iso(year: int, month: int | None = None, day: int | None = None) -> str | None:
    if not 1000 <= year <= date.today().year + 1:
        return None
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_date(raw: str, order: str = "DMY") -> tuple[str | None, bool, tuple[str, ...]]:
    """(ISO date, ambiguous, readings): readings holds both ISO readings, chosen first, when a
    numeric date's day and month could be swapped; otherwise it is empty."""
    text = " ".join(raw.strip().split()).rstrip(".")
    if m := _ISO.fullmatch(text):
        y, mo, d = m.groups()
        iso = _iso(int(y), int(mo) if mo else None, int(d) if d else None)
        return (iso, False, ()) if iso else NO_DATE
    if m := _YMD.fullmatch(text):
        iso = _iso(int(m[1]), int(m[3]), int(m[4]))
        return (iso, False, ()) if iso else NO_DATE
    if m := _NUMERIC.fullmatch(text):
        a, b, year = int(m[1]), int(m[3]), _year(m[4])
        dmy, mdy = _iso(year, b, a), _iso(year, a, b)
        first, second = (mdy, dmy) if order.upper() == "MDY" else (dmy, mdy)
        if first and second and first != second:
            return first, True, (first, second)
        chosen = first or second
        return (chosen, False, ()) if chosen else NO_DATE
    return _parse_words(text)


def _parse_words(text: str) -> tuple[str | None, bool, tuple[str, ...]]:
    """Dates with a month name: "March 3, 2021", "3 марта 2021 г.", "Mar 2021", "1er mai 2020"."""
    month: int | None = None
    numbers: list[str] = []
    for token in TOKENS.findall(_TIME.sub(" ", text)):
        word = _fold(token)
        if token.isdigit():
            numbers.append(token)
        elif word in _MONTHS and month is None:
            month = _MONTHS[word]
        elif word in ("st", "nd", "rd", "th", "er", "e", "o", "º") and numbers:
            continue  # ordinal suffixes: 3rd, 1er, 1º
        elif word not in _FILLERS:
            return NO_DATE
    if month is None or not numbers or len(numbers) > 2:
        return NO_DATE
    years = [n for n in numbers if len(n) == 4]
    if len(numbers) == 1:
        iso = _iso(int(numbers[0]), month) if years else None
    else:
        day = next((n for n in numbers if len(n) <= 2), None)
        year = years[0] if years else numbers[-1]
        iso = _iso(_year(year), month, int(day)) if day and day != year else None
    return (iso, False, ()) if iso else NO_DATE


def is_filler(word: str) -> bool:
    """A word that may stand around a date ("on", "published", a weekday, "г.")."""
    return _fold(word) in _FILLERS
