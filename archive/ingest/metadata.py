"""Metadata suggestions: bylines, titles, language and dates (read by archive.dates).

`suggest` turns what extraction found into a Metadata; `apply` lays an archivist's overrides on
top. The uploader's own metadata always wins over a guess.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePath

from archive.errors import BadRequest
from archive.ingest import language_id
from archive.ingest.dates import NO_DATE, TOKENS, is_filler, parse_date
from archive.models import Extracted, Metadata, Overrides

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
        if is_filler(words[-k]):
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
    words = TOKENS.findall(sample)
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


def identify_language(text: str) -> str:
    """Our detector's answer, else py3langid's where it is confident (ingest/language_id.py)."""
    return detect_language(text) or language_id.identify(text)


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
        language=normalise_language(hints.language) or identify_language(extracted.text),
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
