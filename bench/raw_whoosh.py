"""The baseline: raw Whoosh on the archive's own schema, documents and compiled queries.

Ingest: `archive.search.index.document_fields` of a Document made straight from each JSONL
record, added with `add_document` and committed in the archive's batch size; only the writer's
work is timed.
Search: `compile_node(parse(text))` run by `searcher.search` with Whoosh's own grouping (facet
counts) and filter, then Whoosh's stock highlighter (ContextFragmenter, top=3) over each hit's
body text from the catalog.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from query_set import BenchQuery
from whoosh import index as windex
from whoosh import query as wq
from whoosh.sorting import Count, FieldFacet

from archive.models import Block, Document, Metadata
from archive.search.analysis import term_language
from archive.search.compile import compile_node, weighting
from archive.search.index import FACET_FIELDS, LANG_SEP, build_schema, date_key, document_fields
from archive.search.lexicon import Lexicon
from archive.search.syntax import parse
from archive.search.variants import Variants
from archive.storage.catalog import Catalog

# Facets that hold several values per document: Whoosh must let a document count in each.
MULTI_VALUED = ("authors", "tags", "collections", "names")


def record_blocks(record: dict) -> tuple[Block, ...]:
    """The body's newline-separated paragraphs, whitespace collapsed, as the archive splits them."""
    lines = (" ".join(line.split()) for line in record.get("body", "").split("\n"))
    return tuple(Block("paragraph", p) for p in lines if p)


def record_document(doc_id: int, record: dict) -> Document:
    """A Document straight from a corpus record: no extraction, no metadata suggestions."""
    return Document(
        id=doc_id,
        sha256="",
        filename="",
        format="json",
        size=len(record.get("body", "")),
        metadata=Metadata(
            title=record["title"],
            authors=tuple(record.get("authors") or ()),
            publication=record.get("publication") or "",
            date=record.get("date"),
            language=record.get("language") or "",
            tags=tuple(record.get("tags") or ()),
            url=record.get("url") or "",
        ),
        blocks=record_blocks(record),
        added_at="",
    )


def field_dicts(records: Sequence[dict], variants: Variants) -> list[dict[str, object]]:
    """What each record becomes in the index, built before (and outside) the timed work."""
    return [document_fields(record_document(n, r), variants) for n, r in enumerate(records, 1)]


def ingest(
    dicts: Sequence[dict[str, object]],
    index_dir: Path,
    batch_size: int,
    limitmb: int,
    timeout: float,
    progress: Callable[[int], None] | None = None,
) -> tuple[float, float]:
    """(wall, CPU) seconds spent in Whoosh's writer (writer(), add_document, commit)."""
    index_dir.mkdir(parents=True)
    ix = windex.create_in(str(index_dir), build_schema())
    wall = cpu = 0.0
    try:
        for start in range(0, len(dicts), batch_size):
            batch = dicts[start : start + batch_size]
            t0, c0 = time.perf_counter(), time.process_time()
            writer = ix.writer(timeout=timeout, limitmb=limitmb)
            for fields in batch:
                writer.add_document(**fields)
            writer.commit()
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
            if progress:
                progress(start + len(batch))
    finally:
        ix.close()
    return wall, cpu


def filter_query(q: BenchQuery) -> wq.Query | None:
    """The Whoosh query for a query's facet selections (OR within, AND across) and dates."""
    parts: list[wq.Query] = [
        wq.Or([wq.Term(facet, v) for v in values]) for facet, values in q.filters.items() if values
    ]
    if q.date_from or q.date_to:
        lo = date_key(q.date_from) if q.date_from else 1
        hi = date_key(q.date_to) if q.date_to else 99999999
        if q.date_to and len(q.date_to) == 4:
            hi += 1299
        elif q.date_to and len(q.date_to) == 7:
            hi += 99
        parts.append(wq.NumericRange("date_desc", lo, hi))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


class RawSearch:
    """Raw Whoosh over the archive's index, with its own searcher and no archive caches."""

    def __init__(self, index_dir: Path, catalog: Catalog, variants: Variants) -> None:
        self.ix = windex.open_dir(str(index_dir))
        # the archive's ranking, lexicon lookups and name variants: compile_node's same queries
        self.searcher = self.ix.searcher(weighting=weighting())
        self.lexicon = Lexicon(self.searcher.reader())
        self.variants = variants
        self.catalog = catalog
        self.facets = {f: FieldFacet(f, allow_overlap=f in MULTI_VALUED) for f in FACET_FIELDS}

    def run(self, q: BenchQuery) -> tuple[int, int, dict[str, dict]]:
        """(total, hits on the page, facet counts) for one query, snippets built and dropped."""
        node = parse(q.text)
        compiled = wq.Every()
        if node is not None:
            compiled = compile_node(node, self.lexicon, self.variants).query
        results = self.searcher.search(
            compiled, limit=10, groupedby=self.facets, maptype=Count, filter=filter_query(q)
        )
        total = len(results)
        facets = {f: results.groups(f) for f in FACET_FIELDS}
        hits = list(results)
        docs = self.catalog.get_many([int(h["id"]) for h in hits])
        for hit in hits:
            doc = docs.get(int(hit["id"]))
            if doc is None:
                continue
            body = "\n".join(b.text for b in doc.blocks if b.kind != "heading")
            text = term_language(doc.metadata.language) + LANG_SEP + body
            hit.highlights("body", text=text, top=3)
        return total, len(hits), facets

    def close(self) -> None:
        self.searcher.close()
        self.ix.close()
