"""Metadata suggestions: dates (with their ambiguity), bylines, titles and language.

`suggest` turns what extraction found into a Metadata; `apply` lays an archivist's overrides on
top. The uploader's own metadata always wins over a guess.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import date
from pathlib import PurePath

from archive.errors import BadRequest
from archive.models import Extracted, Metadata, Overrides

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
_TOKEN = re.compile(r"\d+|[^\W\d_]+(?:['ʼ][^\W\d_]+)?")
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
    for token in _TOKEN.findall(_TIME.sub(" ", text)):
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


_BYLINE = re.compile(r"^\s*(?:by|por|par|von|от|автор|автори|written by)[:\s]\s*(.+)$", re.I)
_BYLINE_SEP = re.compile(r"\s*(?:\||—|–|·|•|\s-\s)\s*")
_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\by\b|\be\b|\bund\b|\bet\b|\bи\b|\bі\b|\bта\b)\s*")
_NAME_WORD = re.compile(
    r"^(?:[A-ZÀ-ÞА-ЯЁІЇЄҐ][\w'’.-]*|[A-Z]\.|de|da|del|della|der|van|von|la|le|du|di|bin|al)$"
)
_TRAILING = re.compile(r"\s+(?:on|el|le|am|il|em|el día)$", re.I)


def _names(text: str) -> tuple[str, ...] | None:
    names = tuple(n.strip(" .,") for n in _NAME_SPLIT.split(text) if n.strip(" .,"))
    if not names or len(names) > 10:
        return None
    for name in names:
        words = name.split()
        if len(words) > 6 or not all(_NAME_WORD.match(w) for w in words):
            return None
        if not words[0][0].isupper():
            return None
    return names


def parse_byline(line: str) -> tuple[tuple[str, ...], str | None] | None:
    """ "By Jane Doe and John Roe | March 3, 2021" -> (("Jane Doe", "John Roe"), "March 3, 2021").

    None when the line is not a byline; the date is returned raw, for parse_date."""
    m = _BYLINE.match(line.strip())
    if not m or len(line) > 200:
        return None
    rest = m[1].strip()
    parts = _BYLINE_SEP.split(rest)
    if len(parts) > 1 and parse_date(parts[-1])[0]:
        names = _names(_TRAILING.sub("", " ".join(parts[:-1])))
        return (names, parts[-1].strip()) if names else None
    words = rest.split()
    for k in range(min(5, len(words) - 1), 0, -1):  # the longest trailing date wins
        tail = " ".join(words[-k:])
        if _fold(words[-k]) in _FILLERS:
            continue  # "on March 3, 2021": the date starts after the connector
        if parse_date(tail.strip(" ,"))[0]:
            names = _names(_TRAILING.sub("", " ".join(words[:-k]).rstrip(" ,")))
            return (names, tail.strip(" ,")) if names else None
    names = _names(rest)
    return (names, None) if names else None


_STOPWORDS = {
    "en": "the and of to in is that for it with as was on be by this are have from at not but they"
    " his her has were which their been would will an or who said",
    "es": "el los las del que y en por con para una es se su al lo como más pero sus le ya o fue"
    " este ha muy también sobre entre cuando porque donde hay esta",
    "fr": "le les des et est que une dans pour qui pas sur au avec ce il sont du ne se plus par"
    " mais ou été cette nous leur aux en",
    "it": "il della che di e la per non sono una del gli con le nel alla anche come più questo ha"
    " dei delle al ma si è nella",
    "pt": "o os da das do dos que e não uma em para com por é mais se na no ao como mas foi pelo"
    " pela são também ou",
    "de": "der die und das ist nicht zu den mit von sich des auf für ein eine dem im auch es als"
    " an wird sind bei nach aus wie oder werden",
    "ru": "и в не на что с по это как его к из для от о у же был были было она они он но или"
    " который которые также только при",
    "uk": "і в не на що з по це як його до для від про у та й був були було вона вони він але"
    " або який які також тільки при",
}
_WORDS: dict[str, dict[str, float]] = {}
for _lang, _words in _STOPWORDS.items():
    for _w in _words.split():
        _WORDS.setdefault(_w, {})[_lang] = 1.0
for _w, _langs in _WORDS.items():  # a word shared by n languages counts 1/n for each
    for _lang in _langs:
        _langs[_lang] = 1.0 / len(_langs)
_UK_LETTERS = set("іїєґ")
_RU_LETTERS = set("ыэъё")


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language from script, letters and stop words; "" if unsure."""
    sample = text[:20000].lower()
    latin = cyrillic = 0
    uk = ru = 0
    for ch in sample:
        if not ch.isalpha():
            continue
        if ch < "\u0250":
            latin += 1
        elif "\u0400" <= ch <= "\u04ff":
            cyrillic += 1
            uk += ch in _UK_LETTERS
            ru += ch in _RU_LETTERS
    if max(latin, cyrillic) < 0.5 * (latin + cyrillic) or latin + cyrillic < 10:
        return ""
    words = _TOKEN.findall(sample)
    scores: dict[str, float] = {}
    for word in words:
        for lang, weight in _WORDS.get(word, {}).items():
            scores[lang] = scores.get(lang, 0.0) + weight
    if cyrillic > latin:
        # Letters that only one of the two alphabets has settle it; stop words when they don't.
        if uk + ru >= 3 and max(uk, ru) >= 3 * min(uk, ru):
            return "uk" if uk > ru else "ru"
        if uk == 0 and cyrillic >= 60:
            return "ru"  # Ukrainian prose without і/ї/є for this long does not occur; Russian does
        candidates = ("ru", "uk")
    else:
        candidates = ("en", "es", "fr", "it", "pt", "de")
    ranked = sorted(((scores.get(c, 0.0), c) for c in candidates), reverse=True)
    (best, lang), (runner_up, _) = ranked[0], ranked[1]
    if best < 2 or best < 0.05 * len(words) or best < 1.25 * runner_up:
        return ""
    return lang


_GENERIC = "untitled document doc file text article scan copy final new draft download page image"


def title_from_filename(filename: str) -> str | None:
    """A descriptive file name, humanised: "partisans-winter-offensive.txt" -> "Partisans winter
    offensive".

    None when the name is not descriptive (too few words, ids, "scan_0042", "document (3)")."""
    stem = PurePath(filename).name
    while PurePath(stem).suffix and len(PurePath(stem).suffix) <= 9:
        stem = PurePath(stem).stem  # report.jsonl.gz -> report
    words = [w for w in re.split(r"[\s_.\-+()\[\]]+", stem) if w]
    real = [w for w in words if w.isalpha() and len(w) > 2 and w.lower() not in _GENERIC.split()]
    if len(real) < 2 or len(real) < 0.6 * len(words):
        return None
    text = " ".join(words)
    return text[0].upper() + text[1:]


def _first_sentence(text: str, limit: int = 120) -> str:
    sentence = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence
    return sentence[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def _suggest_title(extracted: Extracted, filename: str) -> str:
    """The file's own title; else a first block that is a heading; else a descriptive file name;
    else the first heading; else the first sentence. Archivists name files on purpose, so a
    descriptive name beats a guess from the body, but not a title the document states itself."""
    blocks = extracted.blocks
    if extracted.hints.title and extracted.hints.title.strip():
        return " ".join(extracted.hints.title.split())
    if blocks and blocks[0].kind == "heading":
        return blocks[0].text
    named = title_from_filename(filename)
    if named:
        return named
    heading = next((b.text for b in blocks if b.kind == "heading" and len(b.text) <= 150), None)
    if heading:
        return heading
    if blocks:
        return _first_sentence(blocks[0].text)
    return PurePath(filename).name or "Untitled"


def _date_in_first_blocks(extracted: Extracted) -> str | None:
    """A dateline among the first short blocks: "Presidencia de la República | 08 de enero de 2019"
    (the part of a block after a | or a dash that parses as a date)."""
    for block in extracted.blocks[:6]:
        if len(block.text) <= 120:
            for part in reversed(_BYLINE_SEP.split(block.text)):
                if parse_date(part)[0]:
                    return part
    return None


def normalise_language(code: str | None) -> str:
    """Reduce a language tag to ISO 639-1: "ru-RU", "en_US", "EN" -> "ru", "en", "en"; else ""."""
    head = re.split(r"[-_]", (code or "").strip())[0].lower()
    return head if re.fullmatch(r"[a-z]{2}", head) else ""


def _unique(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    cleaned = (" ".join(v.split()) for v in values)
    return tuple(dict.fromkeys(v for v in cleaned if v))


def suggest(extracted: Extracted, filename: str, date_order: str = "DMY") -> Metadata:
    hints = extracted.hints
    authors, raw_date = hints.authors, hints.date
    if not authors or not raw_date:
        for block in extracted.blocks[:5]:
            found = parse_byline(block.text) if len(block.text) <= 200 else None
            if found:
                authors = authors or found[0]
                raw_date = raw_date or found[1]
                break
    raw_date = raw_date or _date_in_first_blocks(extracted)
    iso, ambiguous, readings = parse_date(raw_date, date_order) if raw_date else NO_DATE
    return Metadata(
        title=_suggest_title(extracted, filename),
        authors=_unique(authors),
        publication=(hints.publication or "").strip(),
        date=iso,
        date_ambiguous=ambiguous,
        date_readings=readings,
        language=normalise_language(hints.language) or detect_language(extracted.text),
        tags=_unique(hints.tags),
        url=(hints.url or "").strip(),
    )


def apply(meta: Metadata, overrides: Overrides, date_order: str = "DMY") -> Metadata:
    """An archivist's fields win; "" clears a field, except a title, which keeps the suggestion."""
    changes: dict[str, object] = {}
    if overrides.title is not None:
        changes["title"] = " ".join(overrides.title.split()) or meta.title
    if overrides.authors is not None:
        changes["authors"] = _unique(overrides.authors)
    if overrides.publication is not None:
        changes["publication"] = overrides.publication.strip()
    if overrides.tags is not None:
        changes["tags"] = _unique(overrides.tags)
    if overrides.language is not None:
        code = overrides.language.strip().lower()
        if code and not re.fullmatch(r"[a-z]{2}", code):
            raise BadRequest(
                f"language {overrides.language!r} is not a two-letter ISO 639-1 code "
                "such as en, es, ru or uk"
            )
        changes["language"] = code
    if overrides.date is not None:
        raw = overrides.date.strip()
        iso, ambiguous, readings = parse_date(raw, date_order) if raw else NO_DATE
        if raw and not iso:
            raise BadRequest(
                f"date {overrides.date!r} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY, "
                "a day-month-year like 03/11/2023, or a written date like 3 March 2021"
            )
        changes.update(date=iso, date_ambiguous=ambiguous, date_readings=readings)
    return replace(meta, **changes)  # type: ignore[arg-type]
