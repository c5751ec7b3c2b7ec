"""How curation values read on a page: the audit log's lines, statuses, sizes, date readings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from archive.models import BULK_FIELDS, SHORT_TEXT_CHARS, AuditEntry, Block, SearchQuery
from archive.web.display import LANGUAGES, VIEWABLE, human_date
from archive.web.params import search_url

STATUS_LABELS = {"draft": "Draft", "published": "Published", "trashed": "In the trash"}
ACTION_LABELS = {
    "add": "uploaded",
    "edit": "edited",
    "confirm": "confirmed the details",
    "publish": "published",
    "trash": "moved to the trash",
    "restore": "restored",
    "purge": "deleted for good",
    "collect": "added to a collection",
    "uncollect": "removed from a collection",
    "delete-collection": "deleted a collection",
    "ocr": "read the scanned pages by OCR",
}
FIELD_LABELS = {
    "title": "Title",
    "authors": "Authors",
    "publication": "Publication",
    "date": "Date",
    "date_ambiguous": "Ambiguous date",
    "date_readings": "Date readings",
    "language": "Language",
    "tags": "Tags",
    "url": "Source",
}
# Derived fields that only echo a date change; the date line itself says what changed.
QUIET_FIELDS = ("date_readings",)


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def _value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


def audit_action(entry: AuditEntry) -> str:
    label = ACTION_LABELS.get(entry.action, entry.action)
    collection = entry.details.get("collection")
    return f"{label}: {collection}" if collection else label


def audit_changes(entry: AuditEntry) -> list[Change]:
    """Each changed field as before -> after; an upload names its file."""
    changes = entry.details.get("changes") or {}
    lines = [
        Change(FIELD_LABELS.get(name, name), _value(pair[0]), _value(pair[1]))
        for name, pair in changes.items()
        if name not in QUIET_FIELDS and isinstance(pair, list) and len(pair) == 2
    ]
    if entry.action == "add" and "filename" in entry.details:
        lines.append(Change("File", "", _value(entry.details["filename"])))
    return lines


def audit_time(iso: str) -> str:
    """2024-05-01T10:20:30+00:00 -> 2024-05-01 10:20 UTC: minutes are enough to read a log."""
    day, _, time = iso.partition("T")
    return f"{day} {time[:5]} UTC" if time else iso


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def file_size(size: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"


def reading_label(iso: str, index: int) -> str:
    """A date reading as a radio label: the first is how the archive read it."""
    how = "as read" if index == 0 else "day and month swapped"
    return f"{human_date(iso)} ({how})"


def collection_url(name: str) -> str:
    return search_url(SearchQuery(filters={"collections": (name,)}))


# The confirm and edit pages show the start of the extracted text beside the form: about the
# first pages of a report, enough to see whether the extraction read the right thing.
PREVIEW_CHARS = 6_000


@dataclass(frozen=True)
class Preview:
    """The first blocks of a document's text, and how many blocks and characters follow."""

    blocks: tuple[Block, ...]
    more_blocks: int
    total_chars: int


def text_preview(blocks: tuple[Block, ...], limit: int = PREVIEW_CHARS) -> Preview:
    shown: list[Block] = []
    used = 0
    for block in blocks:
        if used >= limit:
            break
        text = block.text if used + len(block.text) <= limit else block.text[: limit - used] + "…"
        shown.append(Block(block.kind, text, block.level))
        used += len(block.text)
    total = sum(len(b.text) for b in blocks)
    return Preview(tuple(shown), len(blocks) - len(shown), total)


def bulk_return(request: Any) -> str:
    """The page a bulk action returns to: this one, without the last action's notice."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("bulk", "changed")]
    return request.url.path + (f"?{urlencode(kept)}" if kept else "")


GLOBALS = {
    "bulk_return": bulk_return,
    "BULK_FIELDS": BULK_FIELDS,
    "text_preview": text_preview,
    "audit_action": audit_action,
    "audit_changes": audit_changes,
    "status_label": status_label,
    "reading_label": reading_label,
    "collection_url": collection_url,
    "LANGUAGES": LANGUAGES,
    "VIEWABLE": VIEWABLE,
    "SHORT_TEXT_CHARS": SHORT_TEXT_CHARS,
}
FILTERS = {"audit_time": audit_time, "file_size": file_size}
