"""A document as a citation: BibTeX, RIS and CSL-JSON records, pure text in and text out.

Every field passes through `clean` first: newlines and tabs fold to spaces and other control
characters (which XML, RIS and most reference managers cannot hold) are dropped; right-to-left
marks and every other printable character are kept. Each format then escapes what it must: BibTeX
its ten special characters (braces stay balanced, so nothing a user wrote ends a field or an
entry), RIS nothing (a line is a field, and no value holds a newline), CSL-JSON is `json.dumps`.

A passage's citation (a Pinpoint) is the document's with the passage's permalink as its URL and
its section heading where each format keeps one: BibTeX `note` (no standard field holds a
section), RIS `SE`, CSL-JSON `section`; the source's own URL follows in RIS's second `UR`.

The date rule: an ambiguous date the archivist has not confirmed (`date_ambiguous` still set)
cites its year alone, which both readings share; a confirmed or unambiguous date cites in full.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

from archive.errors import NotFound
from archive.models import Document, Metadata

FORMATS = ("bibtex", "ris", "csl-json")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def clean(text: str) -> str:
    """One line of printable text: whitespace folded, control characters gone."""
    text = re.sub(r"[\r\n\t\v\f]+", " ", text)
    return " ".join(_CONTROL.sub("", text).split())


@dataclass(frozen=True)
class Name:
    """An author as citations want one: family and given when the name splits, else literal."""

    family: str = ""
    given: str = ""
    literal: str = ""

    @property
    def inverted(self) -> str:
        """'Family, Given' (or the literal name)."""
        return self.literal or (f"{self.family}, {self.given}" if self.given else self.family)


def split_name(raw: str) -> Name:
    """'Family, Given' as written, else the last word is the family name; one word is literal.

    Names in any script split the same way; a name without spaces (Chinese, Japanese) stays whole.
    """
    name = clean(raw)
    if "," in name:
        family, given = (part.strip() for part in name.split(",", 1))
        if family and given:
            return Name(family=family, given=given)
    words = name.replace(",", " ").split()
    if len(words) < 2:
        return Name(literal=" ".join(words))
    return Name(family=words[-1], given=" ".join(words[:-1]))


def names_of(meta: Metadata) -> list[Name]:
    return [name for name in map(split_name, meta.authors) if name.inverted]


def date_parts(meta: Metadata) -> tuple[int, ...]:
    """The date to cite, as (year[, month[, day]]); () when there is none (see the date rule)."""
    if not meta.date:
        return ()
    parts = tuple(int(part) for part in meta.date.split("-"))
    return parts[:1] if meta.date_ambiguous else parts


def cited_date(meta: Metadata) -> str:
    """The cited date in ISO form (YYYY, YYYY-MM or YYYY-MM-DD), or ''."""
    return "-".join(f"{part:02d}" for part in date_parts(meta))


@dataclass(frozen=True)
class Pinpoint:
    """A passage of the document being cited: its permalink and the heading of its section."""

    link: str
    section: str = ""


@dataclass(frozen=True)
class Citation:
    """One record of one document in one of FORMATS."""

    format: str
    text: str
    filename: str


def cite(doc: Document, fmt: str, link: str = "", pinpoint: Pinpoint | None = None) -> Citation:
    """The document in `fmt`; link (the archive's page of it) stands in for a missing source URL;
    with a pinpoint, the citation of that passage.

    Raises NotFound for a format not in FORMATS (the URL names one that does not exist).
    """
    writers = {"bibtex": (bibtex, "bib"), "ris": (ris, "ris"), "csl-json": (csl_json, "json")}
    if fmt not in writers:
        raise NotFound(f"there is no citation format {fmt!r}")
    write, extension = writers[fmt]
    return Citation(fmt, write(doc, link, pinpoint), f"{entry_key(doc, pinpoint)}.{extension}")


def entry_key(doc: Document, pinpoint: Pinpoint | None = None) -> str:
    """An ASCII key: the first author's family name, the year and the id (unique in the archive),
    and for a passage the tail of its permalink (its fingerprint), so both can share a library."""
    names = names_of(doc.metadata)
    first = (names[0].family or names[0].literal) if names else "doc"
    ascii_name = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9]", "", ascii_name.lower())[:24] or "doc"
    parts = date_parts(doc.metadata)
    key = f"{stem}{parts[0] if parts else ''}_{doc.id}"
    if pinpoint:
        tail = re.sub(r"[^a-z0-9]", "", pinpoint.link.rsplit("/", 1)[-1].lower())[:12]
        key += f"_{tail or 'p'}"
    return key


def bibtex_text(text: str) -> str:
    return "".join(_BIBTEX_SPECIAL.get(c, c) for c in clean(text))


def _bibtex_name(name: Name) -> str:
    # every part in braces: an " and " or a comma inside a name stays part of that name
    if name.literal:
        return "{" + bibtex_text(name.literal) + "}"
    return "{" + bibtex_text(name.family) + "}, {" + bibtex_text(name.given) + "}"


def bibtex(doc: Document, link: str = "", pinpoint: Pinpoint | None = None) -> str:
    meta = doc.metadata
    url = clean(pinpoint.link) if pinpoint else clean(meta.url) or link
    parts = date_parts(meta)
    fields: list[tuple[str, str]] = [("title", bibtex_text(meta.title))]
    names = names_of(meta)
    if names:
        fields.append(("author", " and ".join(map(_bibtex_name, names))))
    if meta.publication:
        fields.append(("journal", bibtex_text(meta.publication)))
    if parts:
        fields.append(("year", str(parts[0])))
    if len(parts) > 1:
        fields.append(("month", _MONTHS[parts[1] - 1]))
    if parts:
        fields.append(("date", cited_date(meta)))  # biblatex's full date
    if url:
        fields.append(("url", bibtex_text(url)))
        if not meta.publication:
            fields.append(("howpublished", "\\url{" + bibtex_text(url) + "}"))
    if meta.language:
        fields.append(("language", bibtex_text(meta.language)))
    if meta.tags:
        fields.append(("keywords", ", ".join(bibtex_text(tag) for tag in meta.tags)))
    if pinpoint and clean(pinpoint.section):
        fields.append(("note", "Section: " + bibtex_text(pinpoint.section)))
    kind = "article" if meta.publication else "misc"
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{entry_key(doc, pinpoint)},\n{body},\n}}\n"


def ris(doc: Document, link: str = "", pinpoint: Pinpoint | None = None) -> str:
    meta = doc.metadata
    parts = date_parts(meta)
    lines = [("TY", "NEWS" if meta.publication else "ELEC"), ("ID", entry_key(doc, pinpoint))]
    lines += [("AU", name.inverted) for name in names_of(meta)]
    lines.append(("TI", meta.title))
    if meta.publication:
        lines.append(("T2", meta.publication))
    if parts:
        lines.append(("PY", str(parts[0])))
        # YYYY/MM/DD/other, the parts not known left empty: 2023/03/04/ or 2023///
        slots = [str(parts[0]), *(f"{part:02d}" for part in parts[1:])]
        lines.append(("DA", "/".join(slots + [""] * (4 - len(slots)))))
    if pinpoint:
        lines.append(("UR", pinpoint.link))  # the passage's permalink first
        lines.append(("SE", pinpoint.section))
    if meta.url or (link and not pinpoint):
        lines.append(("UR", meta.url or link))
    if meta.language:
        lines.append(("LA", meta.language))
    lines += [("KW", tag) for tag in meta.tags]
    text = "".join(f"{tag}  - {clean(value)}\n" for tag, value in lines if clean(value))
    return text + "ER  - \n"


def csl_item(doc: Document, link: str = "", pinpoint: Pinpoint | None = None) -> dict[str, object]:
    meta = doc.metadata
    item: dict[str, object] = {
        "id": entry_key(doc, pinpoint),
        "type": "article-newspaper" if meta.publication else "document",
        "title": clean(meta.title),
    }
    names = names_of(meta)
    if names:
        item["author"] = [
            {"literal": n.literal} if n.literal else {"family": n.family, "given": n.given}
            for n in names
        ]
    if meta.publication:
        item["container-title"] = clean(meta.publication)
    if date_parts(meta):
        item["issued"] = {"date-parts": [list(date_parts(meta))]}
    if pinpoint:
        item["URL"] = clean(pinpoint.link)
        if clean(pinpoint.section):
            item["section"] = clean(pinpoint.section)
    elif meta.url or link:
        item["URL"] = clean(meta.url) or link
    if meta.language:
        item["language"] = meta.language
    if meta.tags:
        item["keyword"] = ", ".join(clean(tag) for tag in meta.tags)
    return item


def csl_json(doc: Document, link: str = "", pinpoint: Pinpoint | None = None) -> str:
    """A CSL-JSON array of one item, the input of every CSL processor (citeproc-js, Zotero)."""
    return json.dumps([csl_item(doc, link, pinpoint)], ensure_ascii=False, indent=2) + "\n"
