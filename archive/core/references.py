"""A document's reference as people read it (APA and Chicago) and as machines find it in its page
(Highwire Press `citation_*` meta tags, schema.org JSON-LD).

The two styles are written here by hand, not by citeproc-py with shipped CSL style files: a
newspaper article or a report needs a dozen rules per style (names, date, title, container, URL),
which fit in a few lines each and are tested directly; citeproc-py would add a dependency, two
style files and its locale files to ship, and HTML output we would have to sanitise. The CSL-JSON
record (citations.csl_json) is there for anyone who wants any other style from a CSL processor.

A reference is a sequence of parts, (text, italic); the page escapes the text and italicises.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from archive.core.citations import Name, Pinpoint, bibtex, clean, date_parts, names_of, ris
from archive.models import Document

STYLES = ("apa", "chicago")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True)
class Reference:
    style: str
    label: str
    parts: tuple[tuple[str, bool], ...]  # (text, italic)

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.parts)


def references(
    doc: Document, link: str = "", pinpoint: Pinpoint | None = None
) -> tuple[Reference, ...]:
    return (apa(doc, link, pinpoint), chicago(doc, link, pinpoint))


def _located(
    parts: list[tuple[str, bool]], url: str, pinpoint: Pinpoint | None
) -> tuple[list[tuple[str, bool]], str]:
    """A passage's reference: its section after the container, its permalink as the URL."""
    if pinpoint is None:
        return parts, url
    section = clean(pinpoint.section)
    if section:
        parts = [*parts, (f"Section \u201c{section}\u201d. ", False)]
    return parts, clean(pinpoint.link)


def _end(text: str) -> str:
    """A sentence of a reference ends in one full stop (a title may already end in ? ! .)."""
    return text if text.endswith((".", "?", "!")) else text + "."


def _initials(given: str) -> str:
    return " ".join(f"{word[0]}." for word in given.replace("-", " ").split() if word[0].isalpha())


def _apa_name(name: Name) -> str:
    return name.literal or (f"{name.family}, {_initials(name.given)}")


def _join(names: list[str], conjunction: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    # APA: "A, B., & C, D."; Chicago inverts the first name alone: "A, B, and D C."
    return ", ".join(names[:-1]) + f", {conjunction} {names[-1]}"


def apa(doc: Document, link: str = "", pinpoint: Pinpoint | None = None) -> Reference:
    """APA 7: Family, G. (2023, March 3). Title. *Publication*. URL"""
    meta = doc.metadata
    parts: list[tuple[str, bool]] = []
    names = [_apa_name(n) for n in names_of(meta)]
    title = _end(clean(meta.title) or "Untitled")
    when = date_parts(meta)
    date = str(when[0]) if when else "n.d."
    if len(when) > 1:
        date += ", " + " ".join([_MONTH_NAMES[when[1] - 1], *map(str, when[2:])])
    if names:
        parts.append((_end(_join(names, "&")) + f" ({date}). {title} ", False))
    else:  # no author: the title takes the author's place
        parts.append((f"{title} ({date}). ", False))
    if meta.publication:
        parts += [(clean(meta.publication), True), (". ", False)]
    parts, url = _located(parts, clean(meta.url) or link, pinpoint)
    if url:
        parts.append((url, False))
    return Reference("apa", "APA", _trimmed(parts))


def chicago(doc: Document, link: str = "", pinpoint: Pinpoint | None = None) -> Reference:
    """Chicago (notes and bibliography), a bibliography entry:
    Family, Given, and Given Family. "Title." *Publication*, March 3, 2023. URL."""
    meta = doc.metadata
    found = names_of(meta)
    names = [found[0].inverted] if found else []
    names += [n.literal or f"{n.given} {n.family}" for n in found[1:]]
    title = clean(meta.title) or "Untitled"
    title = f"\u201c{title}\u201d" if title.endswith(("?", "!")) else f"\u201c{title}.\u201d"
    when = date_parts(meta)
    date = "n.d."
    if when:
        date = " ".join(
            [
                *([_MONTH_NAMES[when[1] - 1]] if len(when) > 1 else []),
                *([f"{when[2]},"] if len(when) > 2 else []),
                str(when[0]),
            ]
        )
    parts: list[tuple[str, bool]] = []
    if names:
        parts.append((_end(_join(names, "and")) + " ", False))
    parts.append((title + " ", False))
    if meta.publication:
        parts += [(clean(meta.publication), True), (f", {_end(date)} ", False)]
    else:
        parts.append((f"{_end(date)} ", False))
    parts, url = _located(parts, clean(meta.url) or link, pinpoint)
    if url:
        parts.append((_end(url), False))
    return Reference("chicago", "Chicago", _trimmed(parts))


def _trimmed(parts: list[tuple[str, bool]]) -> tuple[tuple[str, bool], ...]:
    if parts:
        text, italic = parts[-1]
        parts[-1] = (text.rstrip(), italic)
    return tuple(parts)


def highwire_tags(doc: Document, link: str = "") -> tuple[tuple[str, str], ...]:
    """(name, content) of the `citation_*` meta tags Google Scholar and Zotero read."""
    meta = doc.metadata
    tags = [("citation_title", clean(meta.title))]
    tags += [("citation_author", name.inverted) for name in names_of(meta)]
    when = date_parts(meta)
    if when:
        date = "/".join(f"{part:02d}" for part in when)
        tags += [("citation_publication_date", date), ("citation_date", date)]
    if meta.publication:
        tags.append(("citation_journal_title", clean(meta.publication)))
    if meta.language:
        tags.append(("citation_language", meta.language))
    tags += [("citation_keywords", clean(tag)) for tag in meta.tags]
    if link:
        tags.append(("citation_public_url", link))
        if doc.format == "pdf":
            # the original's own address: Zotero and Google Scholar fetch the PDF from it
            tags.append(("citation_pdf_url", f"{link}/original"))
    return tuple((name, content) for name, content in tags if content)


def json_ld(doc: Document, link: str = "") -> str:
    """schema.org JSON-LD (NewsArticle, or Report without a publication), safe to place inside
    <script type="application/ld+json">: no '<', '>' or '&' appears raw, so neither </script>
    nor <!-- in the data can end or change the script element."""
    meta = doc.metadata
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle" if meta.publication else "Report",
        "headline": clean(meta.title),
        "name": clean(meta.title),
        "author": [
            {"@type": "Person", "name": n.literal or f"{n.given} {n.family}"}
            for n in names_of(meta)
        ],
    }
    when = date_parts(meta)
    if when:
        data["datePublished"] = "-".join(f"{part:02d}" for part in when)
    if meta.publication:
        data["publisher"] = {"@type": "Organization", "name": clean(meta.publication)}
    if meta.language:
        data["inLanguage"] = meta.language
    if meta.tags:
        data["keywords"] = [clean(tag) for tag in meta.tags]
    if link:
        data["url"] = link
    if meta.url:
        data["sameAs"] = clean(meta.url)
    text = json.dumps(data, ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


@dataclass(frozen=True)
class Cited:
    """Everything the document page shows or hides about citing it."""

    references: tuple[Reference, ...]
    bibtex: str
    ris: str
    highwire: tuple[tuple[str, str], ...]
    json_ld: str
    pinpoint: Pinpoint | None = None  # the passage cited, when one was chosen


def cited(doc: Document, link: str = "", pinpoint: Pinpoint | None = None) -> Cited:
    """The Cite box (for a passage, with a pinpoint) and the page's machine-readable tags (which
    describe the document, whichever passage a reader came for)."""
    return Cited(
        references(doc, link, pinpoint),
        bibtex(doc, link, pinpoint),
        ris(doc, link, pinpoint),
        highwire_tags(doc, link),
        json_ld(doc, link),
        pinpoint,
    )
