"""How values read on a page: Jinja filters and small view helpers, kept out of the templates."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from markupsafe import Markup

from archive.models import FacetValue, RenderedBlock

MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)
LANGUAGES = {
    "en": "English",
    "es": "Spanish",
    "ru": "Russian",
    "uk": "Ukrainian",
    "de": "German",
    "fr": "French",
    "pt": "Portuguese",
    "it": "Italian",
    "pl": "Polish",
    "be": "Belarusian",
}
FACET_LABELS = {
    "authors": "Author",
    "publication": "Publication",
    "language": "Language",
    "tags": "Tag",
    "year": "Year",
}
# Facet values shown before a "more" disclosure; selected values are always shown.
FACET_SHOWN = 8

# Our opening mark tag, with or without the id highlight.py may already have given it.
_MARK = re.compile(r'<mark(?: id="hit-\d+")?>')


# Originals a browser can show by itself, served inline with the type the archive detected at
# upload (by content, not by name) under a sandboxing Content-Security-Policy (web/pages.py);
# every other format stays an attachment.
VIEWABLE = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}


def thousands(number: int) -> str:
    return f"{number:,}"


def human_date(iso: str | None) -> str:
    """2023-06-11 -> 11 June 2023; 2023-06 -> June 2023; 2023 stays. Unparsable text is kept."""
    if not iso:
        return ""
    parts = iso.split("-")
    try:
        if len(parts) == 3:
            day = date(int(parts[0]), int(parts[1]), int(parts[2]))
            return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
        if len(parts) == 2:
            return f"{MONTHS[int(parts[1]) - 1]} {int(parts[0])}"
    except (ValueError, IndexError):
        pass
    return iso


def other_reading(iso: str | None) -> str | None:
    """The swapped day/month reading of an ambiguous YYYY-MM-DD date (hits carry only one)."""
    if not iso or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", iso):
        return None
    year, month, day = iso.split("-")
    try:
        date(int(year), int(day), int(month))
    except ValueError:
        return None
    return f"{year}-{day}-{month}"


def ambiguity_note(readings: Sequence[str]) -> str:
    """The tooltip/explanation for an ambiguous date: the reading used first, then the other."""
    if len(readings) < 2:
        return "The day and month of this date could be swapped."
    chosen, *others = readings
    alternatives = " or ".join(human_date(r) for r in others)
    return f"Read as {human_date(chosen)}; could also be {alternatives} (day and month swapped)."


def hit_readings(iso: str | None) -> tuple[str, ...]:
    other = other_reading(iso)
    return (iso, other) if iso and other else ((iso,) if iso else ())


def language_name(code: str) -> str:
    name = LANGUAGES.get(code)
    return f"{name}" if name else (code or "unknown")


def facet_label(facet: str) -> str:
    return FACET_LABELS.get(facet, facet.capitalize())


def facet_value_label(facet: str, value: str) -> str:
    return language_name(value) if facet == "language" else value


def split_facet(values: Sequence[FacetValue]) -> tuple[list[FacetValue], list[FacetValue]]:
    """The values shown at once (every selected one, then the top ones) and those behind 'more'."""
    if len(values) <= FACET_SHOWN + 2:  # hiding one or two values behind a click helps no one
        return list(values), []
    shown = [v for i, v in enumerate(values) if i < FACET_SHOWN or v.selected]
    hidden = [v for i, v in enumerate(values) if i >= FACET_SHOWN and not v.selected]
    return shown, hidden


def block_tag(block: RenderedBlock) -> str:
    """h2-h4 for headings (the title is the page's h1), p for paragraphs and captions."""
    return f"h{min(max(block.level, 2), 4)}" if block.kind == "heading" else "p"


def number_hits(blocks: Sequence[RenderedBlock]) -> tuple[list[Markup], int]:
    """Give every <mark> of the full text an id (hit-1, hit-2, …) for the previous/next links.

    The block HTML is already safe (escaped text plus our own <mark> tags), so a literal "<mark>"
    in it can only be one of ours: a reader's "<mark>" arrives as "&lt;mark&gt;". Numbering here,
    from 1 across all blocks, keeps the anchors the page links to in the page's own hands.
    """
    counter = 0

    def number(_: re.Match[str]) -> str:
        nonlocal counter
        counter += 1
        return f'<mark id="hit-{counter}">'

    numbered = [Markup(_MARK.sub(number, block.html)) for block in blocks]  # noqa: S704
    return numbered, counter
