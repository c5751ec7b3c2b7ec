"""Tantivy in-process (the `tantivy` package from PyPI, a bench extra): the same corpus and page.

Two indexes, as FTS5 has two tables:
- documents: title and body analysed by the `simple` tokenizer + remove_long(40) + lowercase +
  ascii_fold + English stemmer (Tantivy's en_stem with accents folded, as FTS5's tokenizer
  does), title stored; authors, tags, publication and language as raw (untokenized) fast
  fields, year as an integer fast field. The query is Tantivy's own query parser over title
  and body, words ANDed; facets are terms aggregations over the whole match set (the top 30
  values each), the year aggregation gives the timeline too.
- passages: one Tantivy document a paragraph (its document's number, its text stored). A hit's
  3 snippets are Tantivy's SnippetGenerator over its best 3 paragraphs for any of the query's
  words or phrases. (The generator gives one fragment a text; asking it again over the whole
  body with the fragments taken cut out cost 3 times as much as all the rest of a search.)
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engines import (
    FACET_VALUES,
    PER_PAGE,
    SNIPPET_CHARS,
    SNIPPETS,
    Plain,
    Result,
    clean,
    names,
    paragraphs,
    plain,
    quoted,
    year_facets,
    year_of,
)

try:
    import tantivy
except ImportError:  # an optional extra: pip install -e '.[bench]'
    tantivy = None

ANALYZER = "bench_en"
WRITER_HEAP = 128_000_000  # a writer: two of them, the archive's limit (index_memory_mb 256)
KEYWORDS = ("authors", "tags", "publication", "language")
ALL_YEARS = 10_000


def available() -> str | None:
    """None when the tantivy package is installed, else what to do."""
    if tantivy is None:
        return "the tantivy package is not installed (pip install -e '.[bench]')"
    return None


def query_text(q: Plain) -> str:
    """Tantivy's query syntax: "a" "b c" (ANDed, conjunction_by_default) or "a" OR "b"."""
    return (" OR " if q.op == "OR" else " ").join(quoted(part) for part in q.parts)


def _aggregations() -> dict[str, Any]:
    aggs: dict[str, Any] = {
        facet: {"terms": {"field": facet, "size": FACET_VALUES}} for facet in KEYWORDS
    }
    aggs["year"] = {"terms": {"field": "year", "size": ALL_YEARS}}
    return aggs


def _analyzer() -> Any:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


class TantivyEngine:
    name = "tantivy"
    label = "Tantivy"

    def __init__(self, folder: Path) -> None:
        assert tantivy is not None, available()
        self.folder = folder
        builder = tantivy.SchemaBuilder()
        builder.add_integer_field("number", stored=True, indexed=True)
        builder.add_text_field("title", stored=True, tokenizer_name=ANALYZER)
        builder.add_text_field("body", tokenizer_name=ANALYZER)
        for facet in KEYWORDS:
            builder.add_text_field(facet, stored=True, fast=True, tokenizer_name="raw")
        builder.add_text_field("date", stored=True, tokenizer_name="raw")
        builder.add_integer_field("year", stored=True, fast=True)
        self.schema = builder.build()
        builder = tantivy.SchemaBuilder()
        builder.add_integer_field("number", indexed=True)
        builder.add_text_field("text", stored=True, tokenizer_name=ANALYZER)
        self.passage_schema = builder.build()
        self.index = self._open(folder / "documents", self.schema)
        self.passages = self._open(folder / "passages", self.passage_schema)
        self.aggs = _aggregations()
        self.searcher: Any = None
        self.passage_searcher: Any = None

    @staticmethod
    def _open(folder: Path, schema: Any) -> Any:
        folder.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(schema, path=str(folder))
        index.register_tokenizer(ANALYZER, _analyzer())
        return index

    def build(self, records: Iterable[dict]) -> dict[str, float]:
        """Every record through one writer an index (each its default threads), one commit
        each, merges waited for."""
        began = time.perf_counter()
        writer = self.index.writer(heap_size=WRITER_HEAP)
        passages = self.passages.writer(heap_size=WRITER_HEAP)
        n = 0
        for record in records:
            n += 1
            paras = paragraphs(record)
            fields: dict[str, Any] = {
                "number": n,
                "title": clean(record["title"]),
                "body": "\n".join(paras),
                "authors": names(record.get("authors")),
                "tags": names(record.get("tags")),
            }
            for key in ("publication", "language", "date"):
                if value := clean(record.get(key)):
                    fields[key] = value
            if (year := year_of(record)) is not None:
                fields["year"] = year
            writer.add_document(tantivy.Document(**fields))
            for para in paras:
                passages.add_document(tantivy.Document(number=n, text=para))
        writer.commit()
        passages.commit()
        committed = time.perf_counter()
        writer.wait_merging_threads()
        passages.wait_merging_threads()
        for index in (self.index, self.passages):
            index.reload()
        self.searcher = self.index.searcher()
        self.passage_searcher = self.passages.searcher()
        done = time.perf_counter()
        return {
            "documents": n,
            "seconds": done - began,
            "merge_wait_seconds": done - committed,
            "segments": self.searcher.num_segments,
            "passage_segments": self.passage_searcher.num_segments,
        }

    def search(self, text: str) -> Result:
        searcher = self.searcher
        q = plain(text)
        query = self.index.parse_query(
            query_text(q), ["title", "body"], conjunction_by_default=True
        )
        found = searcher.search(query, PER_PAGE, count=True)
        aggs = searcher.aggregate(query, self.aggs)
        # paragraphs worth a snippet: any of the query's words or phrases
        wanted = self.passages.parse_query(" OR ".join(quoted(p) for p in q.parts), ["text"])
        generator = tantivy.SnippetGenerator.create(
            self.passage_searcher, wanted, self.passage_schema, "text"
        )
        generator.set_max_num_chars(SNIPPET_CHARS)
        titles: list[str] = []
        snippets: list[int] = []
        for _, address in found.hits:
            doc = searcher.doc(address)
            titles.append(doc.get_first("title") or "")
            snippets.append(len(self._snippets(generator, wanted, doc.get_first("number"))))
        facets = {
            facet: [(b["key"], b["doc_count"]) for b in aggs[facet]["buckets"]]
            for facet in KEYWORDS
        }
        years = {int(b["key"]): b["doc_count"] for b in aggs["year"]["buckets"]}
        facets["year"], timeline = year_facets(years)
        return Result(found.count, titles, snippets, facets, timeline)

    def _snippets(self, generator: Any, wanted: Any, number: int) -> list[str]:
        """The highlighted best fragments of a document's best SNIPPETS paragraphs."""
        own = tantivy.Query.term_query(self.passage_schema, "number", number)
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, wanted), (tantivy.Occur.Must, own)]
        )
        searcher = self.passage_searcher
        best = searcher.search(query, SNIPPETS, count=False).hits
        return [generator.snippet_from_doc(searcher.doc(a)).to_html() for _, a in best]

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())

    def close(self) -> None:
        self.searcher = self.passage_searcher = None
