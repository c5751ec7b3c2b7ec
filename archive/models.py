"""The values that flow between modules: plain dataclasses, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

BLOCK_KINDS = ("heading", "paragraph", "caption")
FACETS = ("authors", "publication", "language", "tags", "year", "collections", "names")
STATUSES = ("draft", "published", "trashed")
SORTS = ("relevance", "newest", "oldest", "title")
PER_PAGE_CHOICES = (10, 20, 50)
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Block:
    """One unit of a document's text, in reading order: the document view and anchors use them."""

    kind: str  # one of BLOCK_KINDS
    text: str
    level: int = 0  # 1..6 for headings, 0 otherwise


@dataclass(frozen=True)
class Hints:
    """What a file says about itself (HTML meta, a Markdown header, a JSONL record's fields).

    `given` names the hints that are the uploader's own metadata (a JSONL record's fields), which
    win over suggestions like the archivist's overrides do.
    """

    title: str | None = None
    authors: tuple[str, ...] = ()
    publication: str | None = None
    date: str | None = None  # raw, as found; metadata.py parses it
    language: str | None = None
    tags: tuple[str, ...] = ()
    url: str | None = None
    source_id: str | None = None
    given: frozenset[str] = frozenset()


def page_ranges(pages: Iterable[int]) -> str:
    """1, 2, 3, 5 -> "1–3, 5"."""
    runs: list[list[int]] = []
    for page in sorted(set(pages)):
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)


def _pages(pages: Sequence[int]) -> str:
    return f"{'Page' if len(pages) == 1 else 'Pages'} {page_ranges(pages)}"


@dataclass(frozen=True)
class OcrRecord:
    """Which pages of a document were read by OCR, with what, and which still wait for it (pages
    are numbered from 1). An upload read where Tesseract is absent is kept with its scanned
    pages `needed`; `archive ocr` reads them later (ingest/extract/ocr.py)."""

    pages: tuple[int, ...] = ()  # read by OCR
    language: str = ""  # Tesseract's codes, as it was told: "ukr", "eng+ukr+rus+spa+deu+fra"
    detected: bool = False  # the language was detected, not the archivist's choice
    engine: str = ""  # "Tesseract 5.3.0"
    needed: tuple[int, ...] = ()  # scanned pages awaiting OCR (Tesseract was absent)
    unread: tuple[int, ...] = ()  # scanned pages left unread: over the page limit, or too slow
    publish: bool = False  # publish once read: the upload asked for it (a needs-OCR one waits)

    @property
    def pending(self) -> bool:
        return bool(self.needed)

    def summary(self) -> str:
        """What a reader is told: "Pages 1–3 read by OCR (Tesseract 5.3.0, ukr)", and which
        pages wait for OCR or were left unread."""
        parts = []
        if self.pages:
            how = ", ".join(x for x in (self.engine, self.language) if x)
            how += ", detected" if self.detected else ""
            parts.append(f"{_pages(self.pages)} read by OCR ({how})")
        if self.needed:
            verb = "needs" if len(self.needed) == 1 else "need"
            parts.append(f"{_pages(self.needed)} {verb} OCR: Tesseract was not there to read it")
        if self.unread:
            parts.append(f"{_pages(self.unread)} not read by OCR (over the page limit or time)")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """As JSON: the sandbox's answer (ingest/extract/wire.py), the catalog's `ocr` column."""
        return asdict(self)

    @classmethod
    def from_json(cls, raw: Any) -> OcrRecord | None:
        """to_json's answer read back, every field checked (it may come from a sandboxed child
        that read a hostile file); ValueError for anything else."""
        if raw is None:
            return None
        if not isinstance(raw, dict) or not set(raw) <= {f.name for f in fields(cls)}:
            raise ValueError("not an OCR record")
        values: dict[str, Any] = {}
        for name, value in raw.items():
            if name in ("pages", "needed", "unread"):
                if not isinstance(value, list) or not all(type(n) is int and n > 0 for n in value):
                    raise ValueError("not a page list")
                values[name] = tuple(value)
            elif name in ("detected", "publish"):
                values[name] = bool(value)
            elif isinstance(value, str) and len(value) <= 200:
                values[name] = value
            else:
                raise ValueError("not an OCR field")
        return cls(**values)


@dataclass(frozen=True)
class Extracted:
    format: str  # "txt" | "md" | "html" | "json" | "pdf" | "docx" | "png" | "jpeg" | "tiff"
    blocks: tuple[Block, ...]
    hints: Hints = field(default_factory=Hints)
    pages: int | None = None  # a PDF's (or a TIFF's) page count; None where a format has none
    ocr: OcrRecord | None = None  # scanned pages: read by OCR, or waiting for it

    @property
    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks)


@dataclass(frozen=True)
class Metadata:
    title: str
    authors: tuple[str, ...] = ()
    publication: str = ""
    date: str | None = None  # ISO: YYYY-MM-DD, YYYY-MM or YYYY
    date_ambiguous: bool = False
    # Both ISO readings of an ambiguous numeric date, the chosen one first.
    date_readings: tuple[str, ...] = ()
    language: str = ""  # ISO 639-1, "" when unknown
    tags: tuple[str, ...] = ()
    url: str = ""

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date else None


@dataclass(frozen=True)
class Overrides:
    """Metadata an archivist gave; a field left None keeps the suggestion."""

    title: str | None = None
    authors: tuple[str, ...] | None = None
    publication: str | None = None
    date: str | None = None
    language: str | None = None
    tags: tuple[str, ...] | None = None


@dataclass(frozen=True)
class NewRow:
    """One document for the catalog (storage.catalog.Catalog.add_many), as ingest prepares it."""

    sha256: str
    filename: str
    format: str
    size: int
    metadata: Metadata
    blocks: Sequence[Block]
    source_id: str | None = None
    status: str = "published"
    pages: int | None = None  # Extracted.pages
    ocr: OcrRecord | None = None  # Extracted.ocr


@dataclass(frozen=True)
class Document:
    id: int
    sha256: str
    filename: str
    format: str
    size: int
    metadata: Metadata
    blocks: tuple[Block, ...]
    added_at: str  # ISO timestamp, UTC
    source_id: str | None = None
    # draft: uploaded, awaiting the archivist's confirmation; trashed: deleted, restorable.
    # Only published documents are in the index.
    status: str = "published"
    collections: tuple[str, ...] = ()
    ocr: OcrRecord | None = None  # pages read by OCR or awaiting it; None: no scanned page

    @property
    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks)


# A draft whose text is shorter than this is flagged in the drafts list: an empty or nearly
# empty extraction (a scan without a text layer, a page of navigation) is worth a look before
# it is published.
SHORT_TEXT_CHARS = 200


@dataclass(frozen=True)
class Draft:
    """A document awaiting confirmation, as the drafts list shows it: enough to tell two drafts
    of the same title apart."""

    id: int
    title: str
    filename: str
    format: str
    size: int
    added_at: str
    uploader: str  # who added it (the audit log's "add"), "" if unknown
    text_chars: int  # characters of extracted text
    pages: int | None = None  # a PDF's page count
    needs_ocr: bool = False  # scanned pages wait for OCR (Tesseract was absent)

    @property
    def short_text(self) -> bool:
        return self.text_chars < SHORT_TEXT_CHARS


# --- bulk actions on many documents at once ------------------------------------------------
BULK_ACTIONS = ("publish", "trash", "tag", "set", "collect")
BULK_FIELDS = ("title", "authors", "publication", "date", "language", "tags")
BULK_MAX = 1_000  # documents in one action: one transaction, one request


@dataclass(frozen=True)
class BulkStep:
    """What a bulk action does to one document, planned before anything is written: new metadata
    (with the old, for the audit log), a new status (from one of allowed_from), a collection."""

    doc_id: int
    old: Metadata | None = None
    new: Metadata | None = None
    status: str | None = None
    allowed_from: tuple[str, ...] = ()
    collection: str | None = None


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    # facet name (one of FACETS) -> selected values; OR within a facet, AND across facets
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    date_from: str | None = None  # ISO, inclusive
    date_to: str | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    # copies of one text shown once, at the best-ranked (issue 16); False lists every document
    collapse: bool = True


@dataclass(frozen=True)
class SearchExport:
    """Every document a search matches, in its order, up to limit: documents is an iterator
    that reads the catalog a batch at a time (Archive.export_search)."""

    total: int  # how many the search matches
    limit: int
    documents: Iterator[Document]

    @property
    def truncated(self) -> bool:
        return self.total > self.limit


@dataclass(frozen=True)
class Copy:
    """Another document of the same group: the same text (a reprint, the PDF of a web page) or
    its translation (the same text in another language); what a reader needs to tell them
    apart."""

    id: int
    title: str
    language: str
    format: str
    publication: str
    date: str | None
    status: str = "published"


def apart(language: str, members: tuple[Copy, ...]) -> tuple[tuple[Copy, ...], tuple[Copy, ...]]:
    """A group's other members as (copies: in the document's language, or one unknown;
    translations: in another language)."""
    other = tuple(c for c in members if c.language and language and c.language != language)
    return tuple(c for c in members if c not in other), other


@dataclass(frozen=True)
class Hit:
    id: int
    title: str
    authors: tuple[str, ...]
    publication: str
    date: str | None
    date_ambiguous: bool
    language: str
    tags: tuple[str, ...]
    score: float
    snippets: tuple[str, ...]  # safe HTML: escaped text with <mark> around matches
    added_at: str = ""  # ISO timestamp, UTC: when the catalog took it (a feed's fallback date)
    # the block each snippet comes from (its anchor is #p-<block>), one per snippet
    snippet_blocks: tuple[int, ...] = ()
    # copies of the same text (issue 16): its group (the group's smallest id) and the other
    # members a reader may see, folded into this hit when the search collapses groups
    group_id: int | None = None
    copies: tuple[Copy, ...] = ()  # every other member: copies and translations
    format: str = ""  # its file's format, known when it has copies (to tell them apart)

    @property
    def translations(self) -> tuple[Copy, ...]:
        """The members of its group in another language."""
        return apart(self.language, self.copies)[1]

    @property
    def same_language_copies(self) -> tuple[Copy, ...]:
        return apart(self.language, self.copies)[0]

    @property
    def passages(self) -> tuple[tuple[str, int | None], ...]:
        """(snippet, block) pairs; block None where it is not known."""
        blocks = self.snippet_blocks
        return tuple(
            (s, blocks[i] if i < len(blocks) else None) for i, s in enumerate(self.snippets)
        )


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    selected: bool = False


@dataclass(frozen=True)
class TimeBucket:
    """One bar of the timeline: a year ("2022") or a month ("2022-05")."""

    label: str
    count: int
    start: str  # ISO, as the search's `from` takes it: "2022" or "2022-05"
    end: str  # ISO, as `to` takes it; a partial date runs to the end of its period
    selected: bool = False  # inside the current from/to range


@dataclass(frozen=True)
class FacetRequest:
    """A reader asking for more of one facet's values: those matching typed text, a page."""

    facet: str
    match: str = ""
    page: int = 1


@dataclass(frozen=True)
class FacetPage:
    """One page of a facet's values under a search, filtered by typed text (typeahead, "more")."""

    facet: str
    match: str
    values: tuple[FacetValue, ...]
    total: int  # values that match `match`
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Suggestion:
    """An autocomplete entry: a query to run (term, name) or a document to open (title)."""

    text: str
    kind: str  # "title" | "name" | "term"
    count: int = 0  # documents with it (names and terms)
    id: int | None = None  # the document, for a title


@dataclass(frozen=True)
class SimilarDocument:
    id: int
    title: str
    date: str | None
    score: float


@dataclass(frozen=True)
class Page:
    query: SearchQuery
    total: int
    hits: tuple[Hit, ...]
    facets: dict[str, tuple[FacetValue, ...]]
    suggestion: str | None = None
    # matches per period, under every filter but the date range (as a facet ignores its own)
    timeline: tuple[TimeBucket, ...] = ()
    # how many distinct values each facet has under the search (more than its shown values)
    facet_totals: dict[str, int] = field(default_factory=dict)
    expanded: FacetPage | None = None  # the facet a reader asked to see more of
    # a query the reader must correct (its BadQuery message): no hits, and the facets of the
    # filters alone (Archive.search_page), so the search page keeps its box and its filters
    refusal: str | None = None

    @property
    def page(self) -> int:
        return self.query.page

    @property
    def per_page(self) -> int:
        return self.query.per_page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Passage:
    """A block of the document view that matches the query."""

    block: int  # index into the document's blocks; its anchor is #p-<block>
    heading: str  # the nearest heading above it, "" when none
    snippet: str  # safe HTML


@dataclass(frozen=True)
class RenderedBlock:
    kind: str
    level: int
    html: str  # safe HTML: the escaped block text with every match in <mark>
    hits: int  # how many matches the block holds


@dataclass(frozen=True)
class DocumentView:
    document: Document
    query: str
    blocks: tuple[RenderedBlock, ...]
    passages: tuple[Passage, ...]
    outline: tuple[tuple[int, int, str], ...]  # (block index, level, heading text)
    similar: tuple[SimilarDocument, ...] = ()  # "more like this"
    # each block's passage fingerprint (core/passages.py): its permalink's stable name
    anchors: tuple[str, ...] = ()
    # other documents with the same text that the viewer may see (issue 16): copies in its
    # language, translations in others
    copies: tuple[Copy, ...] = ()
    translations: tuple[Copy, ...] = ()


@dataclass
class IngestReport:
    added: list[int] = field(default_factory=list)
    duplicates: list[tuple[str, int]] = field(default_factory=list)  # (name, existing id)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)
    job_id: int | None = None
    resumed_after: int = 0  # items an earlier, interrupted run had already done
    # beyond the first thousands listed above (archive.core.imports.REPORTED): counted, not held
    more_duplicates: int = 0
    more_failed: int = 0
    # how each file (or zip member) was read: the first READ_AS_LISTED by name, all counted
    read_as: list[tuple[str, str]] = field(default_factory=list)  # (file, "JSONL", "PDF", …)
    read_as_counts: dict[str, int] = field(default_factory=dict)  # files read as each type

    def read_as_summary(self) -> str:
        """ "2 JSONL, 1 PDF": how many files were read as each type."""
        return read_as_summary(self.read_as_counts)


READ_AS_LISTED = 200


def read_as_summary(counts: dict[str, int]) -> str:
    """The files read as each type, most first: "1,980 plain text, 2 PDF"."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{n:,} {label}" for label, n in ordered)


# --- ids ---------------------------------------------------------------------------------------
def is_row_id(value: int) -> bool:
    """Whether a number can be a catalog row's id (a document, a job, a token): SQLite's
    integers are 64-bit, so a larger one cannot exist (and would overflow in a query)."""
    return 0 < value < 2**63


# --- accounts ----------------------------------------------------------------------------------
ROLES = ("reader", "archivist", "admin")
SCOPES = ("read", "write")  # an API token's
SESSION_SECONDS = 14 * 24 * 3600


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str  # one of ROLES
    disabled: bool
    created_at: str


@dataclass(frozen=True)
class Token:
    """An API token as listed: never its secret."""

    id: int
    username: str
    name: str
    scope: str  # one of SCOPES
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    expires_at: str


@dataclass(frozen=True)
class NewSession:
    """A session just opened: ``secret`` goes into the cookie and is never stored."""

    secret: str
    session: Session


@dataclass(frozen=True)
class NewToken:
    """A token just created: ``secret`` is shown once and is never stored."""

    secret: str
    token: Token


# --- the archivist's records -------------------------------------------------------------------
# The statuses an edit may set; a draft is made only by an upload.
EDITABLE_STATUSES = ("published", "trashed")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    doc_id: int | None
    details: dict[str, Any]


@dataclass(frozen=True)
class Job:
    """A bulk import's progress, as the catalog keeps it."""

    id: int
    kind: str
    source: str
    actor: str
    state: str  # running | done | failed | interrupted
    created_at: str
    updated_at: str
    total: int | None
    done: int
    added: int
    duplicates: int
    failed: int
    errors: tuple[tuple[str, str], ...]
    message: str
    # what the job read, as its uploader named it: a file saved from the web is kept under a
    # name of its own (storage.import_files), which readers need not see
    name: str = ""
    saved_as: str = ""  # the path saved under, where its name differs
    # how each file was read (IngestReport.read_as, read_as_counts)
    read_as: tuple[tuple[str, str], ...] = ()
    read_as_counts: dict[str, int] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


# --- harvesting (OAI-PMH): what the catalog lists by last change ------------------------------
@dataclass(frozen=True)
class HarvestQuery:
    """Published and trashed documents changed in [since, until] (YYYY-MM-DDThh:mm:ssZ, both
    inclusive), in a set (a set spec, storage/harvest.py), after the (changed_at, id) cursor."""

    since: str | None = None
    until: str | None = None
    set_spec: str | None = None
    after: tuple[str, int] | None = None
    limit: int = 100
    with_text: bool = True  # False: the documents come without their blocks (headers only)


@dataclass(frozen=True)
class HarvestRecord:
    document: Document
    changed_at: str  # YYYY-MM-DDThh:mm:ssZ
    deleted: bool  # in the trash: reported as a deleted record
    sets: tuple[str, ...] = ()  # the set specs it belongs to
    copies: tuple[int, ...] = ()  # published copies of its text (issue 16): dc:relation


@dataclass(frozen=True)
class HarvestSlice:
    records: tuple[HarvestRecord, ...]
    more: bool  # records match beyond the last one here
    total: int  # how many match the query without its cursor
    has_sets: bool  # the archive has any set at all


@dataclass(frozen=True)
class HarvestSet:
    spec: str
    name: str


@dataclass(frozen=True)
class HarvestFacts:
    """What Identify and ListSets tell: the earliest change, and the sets."""

    earliest: str | None
    sets: tuple[HarvestSet, ...]
