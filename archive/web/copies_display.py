"""How copies of one text read on a page: "Also in: English, PDF, 2 reprints", each a link."""

from __future__ import annotations

from dataclasses import dataclass

from archive.models import Copy
from archive.web.display import language_name


@dataclass(frozen=True)
class CopyLink:
    label: str
    doc_id: int
    title: str  # the link's tooltip: the copy's own title and publication


def copy_links(language: str, format: str, copies: tuple[Copy, ...]) -> list[CopyLink]:
    """One link a copy, labelled by what sets it apart from the shown document: its language,
    else its format, else it is a reprint (named by its publication when it has one)."""
    links = []
    for copy in copies:
        if copy.language and copy.language != language:
            label = language_name(copy.language)
        elif format and copy.format != format:
            label = copy.format.upper()
        else:
            label = f"reprint: {copy.publication}" if copy.publication else "reprint"
        tip = " · ".join(x for x in (copy.title, copy.publication, copy.date or "") if x)
        links.append(CopyLink(label, copy.id, tip))
    return links


def reprint_count(links: list[CopyLink]) -> int:
    return sum(1 for link in links if link.label.startswith("reprint"))


GLOBALS = {"copy_links": copy_links, "reprint_count": reprint_count}
