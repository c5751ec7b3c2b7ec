"""A file's own properties (PDF document info, DOCX core properties) -> Hints, when plausible.

Authoring tools fill these fields with whatever was at hand: "Microsoft Word - draft3.doc",
"Administrator", "Cover Date: April 9, 2026". A suggestion the archivist must delete is worse
than none, so only values that read like a title, a person or a tag are passed on.
"""

from __future__ import annotations

import re
from datetime import date, datetime

_FILE_NAME = re.compile(r"\.(?:docx?|docm|pdf|rtf|odt|txt|html?|indd|qxd|tex|pages|wpd)$", re.I)
_TOOL_PREFIX = re.compile(r"^(?:microsoft (?:word|powerpoint) - |untitled\b)", re.I)
_PLACEHOLDERS = frozenset(
    "title document untitled unknown none null n/a na - slide 1 presentation1 document1".split()
)
_NOT_PEOPLE = frozenset(
    "admin administrator user owner author unknown windows user microsoft office user "
    "default guest staff".split()
) | {"windows user", "microsoft office user"}
_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?")
MAX_TITLE = 300
MAX_NAME = 100
MAX_TAG = 60


def text(value: object, limit: int = MAX_TITLE) -> str | None:
    """A short human-written string, or None for empty, over-long, placeholder or file-name
    values."""
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    if not value or len(value) > limit or not any(ch.isalpha() for ch in value):
        return None
    if value.lower() in _PLACEHOLDERS or _FILE_NAME.search(value) or _TOOL_PREFIX.match(value):
        return None
    return value


def people(value: object) -> tuple[str, ...]:
    """Author names: a ";"-separated list (commas stay: "Kerr, Paul K." is one person)."""
    if not isinstance(value, str):
        return ()
    names = (text(part, MAX_NAME) for part in value.split(";"))
    return tuple(dict.fromkeys(n for n in names if n and n.lower() not in _NOT_PEOPLE))


def tags(*values: object) -> tuple[str, ...]:
    """Keywords split on "," and ";". "Key: value" entries are tool notes, not subjects."""
    found: list[str] = []
    for value in values:
        if isinstance(value, str):
            for part in re.split(r"[;,]", value):
                tag = text(part, MAX_TAG)
                if tag and ":" not in tag:
                    found.append(tag)
    return tuple(dict.fromkeys(found))


def iso_date(value: object) -> str | None:
    """A datetime or a PDF date string ("D:20260413134351-04'00'") -> "2026-04-13" ("D:2026" ->
    "2026"), when it is a real date between 1900 and next year (tools write 1601-01-01 or zeros
    for "unset")."""
    if isinstance(value, datetime):
        value = value.date()
    precision = 10  # characters of the ISO date the value vouches for: a year alone gives 4
    if isinstance(value, date):
        year, month, day = value.year, value.month, value.day
    elif isinstance(value, str) and (m := _PDF_DATE.match(value.strip())):
        year, month, day = int(m[1]), int(m[2] or 1), int(m[3] or 1)
        precision = 10 if m[3] else 7 if m[2] else 4
    else:
        return None
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    if not 1900 <= found.year <= date.today().year + 1:
        return None
    return found.isoformat()[:precision]
