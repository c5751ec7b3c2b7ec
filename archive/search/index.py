"""The Whoosh index: schema, analysis, writing and rebuilding (search/merges.py chooses what a
commit merges).

The index is derived from the catalog alone. A SCHEMA_VERSION file beside the index says which
schema built it; a different version, or an index that cannot be opened, makes a fresh empty
index that the caller refills from the catalog. Like the rest of archive/search, the one room
that imports Whoosh, Index hands the archive plain values only (counts, ids, sizes).
"""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from whoosh import fields, index
from whoosh.analysis import Analyzer, Token
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader
from whoosh.scoring import WeightingModel
from whoosh.searching import Searcher
from whoosh.writing import LockError

from archive.config import Settings
from archive.errors import IndexBusy
from archive.models import Document
from archive.search.analysis import UNKNOWN, document_terms, fold, term_language
from archive.search.merges import MergePolicy
from archive.search.names import extract as extract_names
from archive.search.variants import Variants, alias_term
from archive.search.variants import load as load_variants

SCHEMA_VERSION = "8"  # 8: ru/uk lemmas, apostrophes, names by lemma
VERSION_FILE = "SCHEMA_VERSION"
# Separates the language tag from the text in an analysed field's value, and facet values.
LANG_SEP = "\x1f"
VALUE_SEP = "\x1e"

# Query-time boosts per text field (BM25F weights the fields' scores by these).
# "body" holds the whole text (title and headings too), scored as one field: on SciFact that
# ranks better than summing a short title field's BM25 at a high weight (bench/relevance.py);
# title and headings add a small bonus on top.
TEXT_FIELDS = {"title": 0.3, "headings": 0.3, "body": 1.0, "authors_text": 1.5, "tags_text": 1.5}
FACET_FIELDS = ("authors", "publication", "language", "tags", "year", "collections", "names")
# Capitalised words by their cross-script name key ("c:bagmut" for Бахмут): see search/variants.py.
ALIAS_FIELD = "alias"


class LanguageAnalyzer(Analyzer):
    """Analyses "lang<US>text" with that language's rules (see search/analysis.py).

    Character offsets count from the start of the whole value, tag included, as Whoosh's
    highlighter expects when it slices the value it was given.
    """

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        lang, sep, text = value.partition(LANG_SEP)
        if sep:
            start_char += len(lang) + len(sep)  # the text starts after the tag
        else:
            lang, text = UNKNOWN, value
        token = Token(positions=positions, chars=chars, mode=mode, **kwargs)
        token.stopped = False
        token.boost = 1.0
        token.removestops = True
        for pos, (start, end, term) in enumerate(document_terms(text, lang), start_pos):
            token.text = term
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


class ValuesAnalyzer(Analyzer):
    """Splits a facet field's value on VALUE_SEP: each whole value is one term, as written."""

    def __call__(self, value: str, **kwargs: object) -> Iterator[Token]:  # type: ignore[override]
        token = Token(**kwargs)
        token.stopped = False
        token.boost = 1.0
        for pos, part in enumerate(value.split(VALUE_SEP)):
            if part:
                token.text = part
                token.pos = pos
                yield token


def build_schema() -> fields.Schema:
    text = LanguageAnalyzer()
    values = ValuesAnalyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=text),
        headings=fields.TEXT(analyzer=text),
        body=fields.TEXT(analyzer=text),
        authors_text=fields.TEXT(analyzer=text),
        tags_text=fields.TEXT(analyzer=text),
        authors=fields.KEYWORD(analyzer=values),
        publication=fields.KEYWORD(analyzer=values),
        language=fields.KEYWORD(analyzer=values),
        tags=fields.KEYWORD(analyzer=values),
        year=fields.KEYWORD(analyzer=values),
        collections=fields.KEYWORD(analyzer=values),
        # people, organisations and places the text mentions (search/names.py), canonical spelling
        names=fields.KEYWORD(analyzer=values),
        alias=fields.TEXT(analyzer=values, phrase=False),
        # the analysis language, so a query word that is a stop word in L matches L's documents
        lang_key=fields.KEYWORD(analyzer=values),
        # unstemmed words of titles, headings, names, tags and the body's capitalised words
        # (names, mostly): the "did you mean" and autocomplete vocabulary
        spell=fields.TEXT(analyzer=text, phrase=False),
        # yyyymmdd (00 for a missing month or day); undated documents sort last both ways
        date_desc=fields.NUMERIC(int, bits=32, sortable=True),
        date_asc=fields.NUMERIC(int, bits=32, sortable=True),
        title_sort=fields.ID(sortable=True),
    )


def _highest_id(reader, known: dict[str, int]) -> int:  # noqa: ANN001 - a Whoosh reader
    """The highest document id in the index's lexicon (deleted ones too: never too low).

    known: each segment's highest id by segment id, filled here. A segment never changes once
    written (a delete only marks it), so only the new segments' ids are read: reading the whole
    id lexicon at every commit took a tenth of a server's index worker at 20k documents."""
    highest = 0
    for leaf, _offset in reader.leaf_readers():
        segment = leaf.segment() if isinstance(leaf, SegmentReader) else None
        key = segment.segment_id() if segment is not None else None
        if key is None or key not in known:
            ids = leaf.lexicon("id") if "id" in leaf.indexed_field_names() else ()
            value = max((int(t) for t in ids), default=0)
            if key is None:
                highest = max(highest, value)
                continue
            known[key] = value
        highest = max(highest, known[key])
    return highest


def _storage(path: Path) -> FileStorage:
    """The index folder, read through the file system rather than memory-mapped: Whoosh wraps
    a mapped segment in io.BytesIO, which copies it whole, so every open reader held a copy of
    the index in its own memory (2.1 GB of a 100,000-document server) besides the mapping.
    Read through the kernel's page cache instead, segments are shared by every process."""
    return FileStorage(str(path), supports_mmap=False)


def date_key(iso: str | None) -> int:
    """20230611 for "2023-06-11", 20230600 for "2023-06", 0 for None."""
    if not iso:
        return 0
    parts = iso.split("-") + ["0", "0"]
    return int(parts[0]) * 10000 + int(parts[1]) * 100 + int(parts[2])


def document_fields(doc: Document, variants: Variants | None = None) -> dict[str, object]:
    """What one catalog document becomes in the index (names canonical per the variants)."""
    variants = variants if variants is not None else load_variants()
    meta = doc.metadata
    lang = term_language(meta.language)
    headings = "\n".join(b.text for b in doc.blocks if b.kind == "heading")
    body = "\n".join(b.text for b in doc.blocks if b.kind != "heading")
    key = date_key(meta.date)
    # the body's capitalised words serve both the spelling vocabulary and the alias keys
    body_caps = capitalised_words(body)
    spelled = (meta.title, headings, *meta.authors, *meta.tags)
    out: dict[str, object] = {
        "id": str(doc.id),
        "title": lang + LANG_SEP + meta.title,
        "headings": lang + LANG_SEP + headings,
        "body": lang + LANG_SEP + "\n".join((meta.title, headings, body)),
        "authors_text": UNKNOWN + LANG_SEP + " ; ".join(meta.authors),
        "tags_text": lang + LANG_SEP + " ; ".join(meta.tags),
        "lang_key": lang,
        "spell": UNKNOWN + LANG_SEP + "\n".join((*spelled, " ".join(body_caps))),
        "date_desc": key,
        "date_asc": key or 99999999,
        "title_sort": fold(meta.title)[:200],
    }
    facets = {
        "authors": meta.authors,
        "publication": (meta.publication,),
        "language": (meta.language,),
        "tags": meta.tags,
        "year": (str(meta.year),) if meta.year else (),
        "collections": doc.collections,
        "names": extract_names((meta.title, *(b.text for b in doc.blocks)), lang, variants),
    }
    for name, values in facets.items():
        joined = VALUE_SEP.join(v for v in values if v)
        if joined:
            out[name] = joined
    caps = capitalised_words(f"{meta.title}\n{headings}") + body_caps
    joined = VALUE_SEP.join(filter(None, map(alias_term, caps)))
    if joined:
        out[ALIAS_FIELD] = joined
    return out


def capitalised_words(text: str) -> list[str]:
    """Words that start with a capital: the names a reader misspells (Prigozhin, Donetsk), at a
    fraction of the cost of indexing every body word twice. The words of `analysis.words` whose
    first letter is upper-case, found by one regex rather than a test of every word."""
    return _CAPITALISED_RE.findall(text)


# Every character `str.isupper` calls upper-case that can start a word: all lie in the first two
# planes (tests/test_index.py checks the rest), and `re` has no \p{Lu}. A match starts at such
# a character that follows no letter or digit, and takes the rest of the word (see WORD_RE).
# The class tested at every character holds the first plane's and one range of the second: a
# long list of single characters there would be searched for each character of the text.
_UPPER = [c for c in map(chr, range(0x20000)) if c.isupper() and c.isalnum()]
_UPPER_BMP = re.escape("".join(c for c in _UPPER if c <= "\uffff"))
_UPPER_SMP = re.escape("".join(c for c in _UPPER if c > "\uffff"))
_CAPITALISED_RE = re.compile(
    rf"[{_UPPER_BMP}\U00010000-\U0001ffff](?<![^\W_].)(?<=[{_UPPER_BMP}]|[{_UPPER_SMP}])[^\W_]*"
)


def add_fields(writer: Any, newest: int, docs: Iterable[tuple[int, dict[str, object]]]) -> int:
    """Add each (id, document_fields) to a Whoosh writer; returns how many. An id above
    `newest` (the highest the index has ever held) needs no delete-by-id first."""
    count = 0
    for doc_id, values in docs:
        add = writer.add_document if doc_id > newest else writer.update_document
        add(**{**values, "id": str(doc_id)})
        count += 1
    return count


class Index:
    """The on-disk index. `fresh` is True when it was (re)created empty and needs refilling."""

    def __init__(self, settings: Settings, *, read_only: bool = False) -> None:
        """read_only: open the index another process writes (a server's search process), and
        raise IndexBusy rather than recreate it when it is missing or outdated."""
        self.settings = settings
        self._bulk = False
        self._highest_ids: dict[str, int] = {}  # segment id -> its highest document id
        self.path: Path = settings.index_dir
        self.variants = load_variants(settings.variants_path)
        # the names facet depends on the variants file: editing it rebuilds the index
        self.version = f"{SCHEMA_VERSION} variants:{self.variants.digest}"
        self.fresh = False
        self._ix = self._open_existing() if read_only else self._open()

    def _open(self) -> index.Index:
        version_file = self.path / VERSION_FILE
        current = version_file.read_text().strip() if version_file.exists() else ""
        if current == self.version:
            try:
                ix = _storage(self.path).open_index()
                with ix.reader() as reader:  # every segment opened once: damage shows here
                    reader.doc_count()
                return ix
            except Exception:  # noqa: BLE001 - any damage means: rebuild from the catalog
                pass
        return self._create()

    def _open_existing(self) -> index.Index:
        version_file = self.path / VERSION_FILE
        current = version_file.read_text().strip() if version_file.exists() else ""
        if current != self.version:
            raise IndexBusy(f"the index at {self.path} is missing or of another version")
        # Not Whoosh's default mmap: it copies each segment file a reader opens into the process
        # (a BytesIO over the map), which is most of a searching process's memory (600 of 620 MB
        # at 20k documents) and of the time to open each generation (120 of 130 ms); plain reads
        # go through the page cache every search process shares.
        return FileStorage(str(self.path), supports_mmap=False, readonly=True).open_index()

    def _create(self) -> index.Index:
        if self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True)
        ix = _storage(self.path).create_index(build_schema())
        (self.path / VERSION_FILE).write_text(self.version + "\n")
        self.fresh = True
        return ix

    def clear(self) -> None:
        """Drop everything: the caller refills the index from the catalog."""
        self._ix.close()
        self._ix = self._create()

    def doc_count(self) -> int:
        """Documents in the index, deleted ones not counted: from the table of contents, as
        Whoosh's own doc_count would open every segment to add up the same numbers."""
        segments = self._ix._segments()  # noqa: SLF001 - Whoosh has no public accessor
        return sum(segment.doc_count() for segment in segments)

    def segment_sizes(self) -> list[int]:
        """Documents in each of the index's segments (deleted ones too, until a merge)."""
        segments = self._ix._segments()  # noqa: SLF001 - Whoosh has no public accessor
        return [segment.doc_count_all() for segment in segments]

    def segment_count(self) -> int:
        return len(self.segment_sizes())

    @property
    def whoosh_index(self) -> index.Index:
        """The Whoosh index itself, for archive/search's own writers (search/merging.py)."""
        return self._ix

    def searcher(self, weighting: WeightingModel) -> Searcher:
        """A Whoosh searcher scoring with `weighting`, for search/engine.py (no Whoosh
        object leaves archive/search)."""
        return self._ix.searcher(weighting=weighting)

    def write(
        self, docs: Sequence[Document], delete_ids: Sequence[int] = (), merge: MergePolicy = None
    ) -> None:
        """Add or replace docs (and delete ids) in one commit; merge: which segments to merge
        into it (Whoosh's MERGE_SMALL by default)."""
        self.write_fields(
            ((doc.id, document_fields(doc, self.variants)) for doc in docs), delete_ids, merge
        )

    def write_fields(
        self,
        docs: Iterable[tuple[int, dict[str, object]]],
        delete_ids: Sequence[int] = (),
        merge: MergePolicy = None,
    ) -> None:
        """`write` given each document's id and `document_fields` (built elsewhere: a bulk
        import builds them in a helper process, core/prepare.py)."""
        writer, newest = self.open_writer()
        try:
            add_fields(writer, newest, docs)
            for doc_id in delete_ids:
                writer.delete_by_term("id", str(doc_id))
        except BaseException:
            writer.cancel()
            raise
        writer.commit(**({} if merge is None else {"mergetype": merge}))
        if not self._bulk:
            self.save_segment_values()

    @contextlib.contextmanager
    def bulk(self, save_after: bool = True) -> Iterator[None]:
        """Many commits in a row (an import, a reindex): the segments' facet arrays are saved
        once at the end (save_after=False: by the caller, later), not after every commit for
        segments the next merge retires."""
        outer = self._bulk
        self._bulk = True
        try:
            yield
        finally:
            self._bulk = outer
            if not outer and save_after:
                self.save_segment_values()

    def save_segment_values(self) -> None:
        """Save the facet arrays of the segments the commit made (archive.search.sidecars): the
        writer pays for reading them once, not every server start and search process."""
        from archive.search.facets import save_segment_values  # facets imports this module

        with self._ix.reader() as reader:
            save_segment_values(reader, self.path)

    def open_writer(self, make: Callable[..., Any] | None = None) -> tuple[Any, int]:
        """A Whoosh writer holding the index's lock, and the highest id the index has held,
        read under that lock (another process, a CLI import, may have added ids). make(ix,
        **options) builds another kind of writer (search/bulk.py: the multi-process one). For
        archive/search only; raises IndexBusy."""
        options = {
            "timeout": self.settings.writer_timeout,
            "limitmb": self.settings.index_memory_mb,
        }
        try:
            writer = (make or type(self._ix).writer)(self._ix, **options)
        except LockError as exc:
            raise IndexBusy("The index is locked by another writer; try again shortly.") from exc
        try:
            if self.fresh:
                newest = 0
            else:
                with writer.reader() as reader:
                    newest = _highest_id(reader, self._highest_ids)
        except BaseException:
            writer.cancel()
            raise
        return writer, newest

    def doc_count_all(self) -> int:
        """Documents in the index's segments, deleted ones too (what a merge would rewrite)."""
        return sum(self.segment_sizes())

    def finish_fill(self) -> None:
        """The fresh index has been refilled: later writes must replace, not just add."""
        self.fresh = False

    def indexed_ids(self) -> set[int]:
        with self._ix.searcher() as searcher:
            return {int(stored["id"]) for _, stored in searcher.reader().iter_docs()}

    def close(self) -> None:
        self._ix.close()
