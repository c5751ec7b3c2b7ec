"""Finder: the archive's searches (a page of results, a facet's values, autocomplete, more like
this, a document's highlighted view, an export's ids) over one SearchEngine and the catalog its
snippets come from.

The same Finder answers in the process that opened the Archive (the CLI, tests, a server with
Settings.search_processes = 0) and inside each of a server's search processes
(archive.core.searchers), which is why it takes document ids rather than Documents and holds no
state of its own beyond the engine's generation.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from archive.core import collapse, copies, passages
from archive.errors import NotFound
from archive.models import (
    Document,
    DocumentView,
    FacetPage,
    FacetRequest,
    Page,
    SearchQuery,
    SimilarDocument,
    Suggestion,
)
from archive.search.engine import SearchEngine
from archive.storage.catalog import Catalog

SIMILAR_LIMIT = 10


def translations_of(catalog: Catalog, doc_id: int) -> tuple[int, ...]:
    """The ids of a document's published translations (its group's members in another
    language: archive.core.translations), which More like this leaves out and whose terms it
    looks up too."""
    members = copies.of(catalog, doc_id)
    if not members:
        return ()
    language = catalog.get(doc_id).metadata.language
    return tuple(m.id for m in members if m.language != language)


def visible(catalog: Catalog, doc_id: int, hidden: bool) -> Document:
    """A published document (or any, with hidden=True); raises NotFound."""
    doc = catalog.get(doc_id)
    if doc.status != "published" and not hidden:
        raise NotFound(f"there is no document {doc_id}")
    return doc


class Finder:
    def __init__(self, engine: SearchEngine, catalog: Catalog) -> None:
        self._engine = engine
        self._catalog = catalog

    def changed(self) -> None:
        """The index has a new commit: the next search opens the next generation."""
        self._engine.changed()

    def warm(self) -> None:
        """Open the current generation now (a search process does, before it says it is ready),
        so that the first search does not pay for it."""
        self._engine.generation()

    def close(self) -> None:
        self._engine.close()

    def search(self, query: SearchQuery, expand: FacetRequest | None = None) -> Page:
        """A page of results with copies folded (archive.core.collapse), all in this process:
        folding asks for the ranking first, and the engine makes the page from the search it
        has just made (SearchEngine keeps the last query's matches and scores) instead of a
        search process chosen anew running the whole query a second time (11% of a search
        process's time under the 20k load test)."""
        return collapse.search(self._catalog, self._page, self._engine.ranked, query, expand)

    def _page(
        self,
        query: SearchQuery,
        expand: FacetRequest | None = None,
        shown: collapse.Shown | None = None,
    ) -> Page:
        page = self._engine.search(query, shown)
        if expand is None:
            return page
        more = self.facet_values(query, expand.facet, expand.match, expand.page)
        return replace(page, expanded=more)

    def facet_values(
        self, query: SearchQuery, facet: str, match: str = "", page: int = 1, per_page: int = 30
    ) -> FacetPage:
        return self._engine.facet_page(query, facet, match, page, per_page)

    def suggest(self, text: str, limit: int = 8) -> list[Suggestion]:
        return self._engine.complete(text, limit, self._catalog.published_titles)

    def similar(
        self, doc_id: int, limit: int = SIMILAR_LIMIT, translations: Collection[int] | None = None
    ) -> tuple[SimilarDocument, ...]:
        """More like this; translations: the ids of the document's translations (left out,
        their terms looked up too), by default those translations_of knows."""
        doc = visible(self._catalog, doc_id, False)
        if translations is None:
            translations = translations_of(self._catalog, doc_id)
        return self._similar(doc, limit, translations)

    def document_view(self, doc_id: int, q: str = "", hidden: bool = False) -> DocumentView:
        doc = visible(self._catalog, doc_id, hidden)
        view = self._engine.highlighter(q).view(doc, q)
        similar = self._similar(doc, SIMILAR_LIMIT, translations_of(self._catalog, doc_id))
        return replace(view, similar=similar, anchors=passages.anchors(doc.blocks))

    def _similar(
        self, doc: Document, limit: int, translations: Collection[int] = ()
    ) -> tuple[SimilarDocument, ...]:
        """The documents most like doc, never doc's copies (listed as copies, whatever their
        status) nor its translations (listed as translations); the published translations'
        terms join the query, so the list holds documents in their languages too."""
        own = {c.id for c in copies.of(self._catalog, doc.id, hidden=True)}
        found = self._catalog.get_many(sorted(set(translations)))
        published = [d for d in found.values() if d.status == "published"]
        return self._engine.similar(doc, limit, own | set(translations), published)

    def ranked_ids(self, query: SearchQuery, limit: int) -> tuple[list[int], int]:
        return self._engine.ranked_ids(query, limit)

    def matched_ids(self, text: str) -> set[int]:
        return self._engine.matched_ids(text)


# The methods a search process answers (archive.core.searchers sends their names).
OPERATIONS = frozenset(
    {"search", "facet_values", "suggest", "similar", "document_view", "ranked_ids", "matched_ids"}
)
