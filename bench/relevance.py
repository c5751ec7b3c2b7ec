"""Ranking quality on BEIR SciFact (train split): nDCG@10 and Recall@100 through Archive.search.

    .venv/bin/python bench/relevance.py [--data DIR] [--queries N] [--keep DIR]

A fresh archive in a temporary folder ingests corpus.jsonl (title + text, language "en") the way
an archivist would: the records are written as JSONL in the archive's own schema and read by
`Archive.ingest_paths`. Each train query (the claim's text, as typed: no per-query tricks) goes
through `Archive.search` with per_page=100, and the engine's ranking is scored with trec_eval's
ndcg_cut.10 (binary gains, log2 discount, ideal DCG from all relevant documents, a query that
finds nothing relevant counts 0) and Recall@100. The published BM25 figures come from the
README beside the data (they are for the hidden test split; the train split is what we tune on).

The same functions serve tests/test_relevance.py on a fixed subset.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: the archive package lives beside bench/
    sys.path.insert(0, str(REPO))

from archive.config import Settings  # noqa: E402
from archive.core.archive import Archive  # noqa: E402
from archive.errors import BadQuery  # noqa: E402
from archive.models import SearchQuery  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "relevance" / "scifact"
PER_PAGE = 100
Qrels = dict[str, set[str]]


def load_corpus(data: Path) -> list[dict]:
    with (data / "corpus.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_queries(data: Path) -> list[tuple[str, str]]:
    """(query id, text) in file order."""
    with (data / "queries.jsonl").open(encoding="utf-8") as f:
        return [(q["_id"], q["text"]) for q in map(json.loads, f)]


def load_qrels(data: Path, split: str = "train") -> Qrels:
    qrels: Qrels = defaultdict(set)
    lines = (data / "qrels" / f"{split}.tsv").read_text().splitlines()[1:]
    for line in lines:
        qid, doc, score = line.split("\t")
        if int(score) > 0:
            qrels[qid].add(doc)
    return dict(qrels)


def build_archive(root: Path, docs: Sequence[dict]) -> Archive:
    """An archive under root holding docs (BEIR records), as JSONL records of our schema."""
    records = root.parent / f"{root.name}-records.jsonl"
    with records.open("w", encoding="utf-8") as f:
        for d in docs:
            record = {"id": d["_id"], "title": d["title"], "body": d["text"], "language": "en"}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    archive = Archive(Settings(root=root, index_batch_size=2000))
    report = archive.ingest_paths([records])
    if report.failed:
        raise SystemExit(f"ingest failed: {report.failed[:3]}")
    return archive


def source_ids(archive: Archive) -> dict[int, str]:
    """Catalog id -> BEIR doc id."""
    return {i: archive.document(i).source_id or "" for i in sorted(archive.matched_ids(""))}


def ndcg_at(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def recall_at(ranked: Sequence[str], relevant: set[str], k: int = 100) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def run(
    archive: Archive, queries: Iterable[tuple[str, str]], qrels: Qrels
) -> tuple[float, float, dict[str, float]]:
    """(mean nDCG@10, mean Recall@100, per-query nDCG) over the queries that have qrels.

    A query the engine refuses (BadQuery) scores 0, as trec_eval -c counts an empty run.
    """
    to_source = source_ids(archive)
    per_query: dict[str, float] = {}
    recalls: list[float] = []
    for qid, text in queries:
        relevant = qrels.get(qid)
        if not relevant:
            continue
        try:
            page = archive.search(SearchQuery(text=text, per_page=PER_PAGE))
            ranked = [to_source[h.id] for h in page.hits]
        except BadQuery:
            ranked = []
        per_query[qid] = ndcg_at(ranked, relevant)
        recalls.append(recall_at(ranked, relevant))
    return statistics.fmean(per_query.values()), statistics.fmean(recalls), per_query


def published(data: Path) -> list[str]:
    """The published BM25 rows of the README's table, as printed there."""
    readme = (data / "README.md").read_text(encoding="utf-8")
    section = readme.partition("## Published BM25 figures")[2].partition("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("|") and "BM25" in line]
    out = []
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        source = re.sub(r"\s*\(.*?\)", "", cells[0]).replace("**", "")
        out.append(f"  {source[:60]:60s} nDCG@10 {cells[2].strip('*'):>6}  R@100 {cells[3][:6]}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--queries", type=int, help="only the first N queries with qrels")
    parser.add_argument("--keep", type=Path, help="build the archive here (reused if present)")
    args = parser.parse_args()

    qrels = load_qrels(args.data)
    queries = [q for q in load_queries(args.data) if q[0] in qrels][: args.queries]
    with tempfile.TemporaryDirectory(prefix="relevance-") as tmp:
        root = args.keep or Path(tmp) / "archive"
        started = time.perf_counter()
        if root.exists():
            archive = Archive(Settings(root=root, index_batch_size=2000))
        else:
            root.parent.mkdir(parents=True, exist_ok=True)
            archive = build_archive(root, load_corpus(args.data))
        built = time.perf_counter() - started
        with archive:
            started = time.perf_counter()
            ndcg, recall, per_query = run(archive, queries, qrels)
            elapsed = time.perf_counter() - started
    empty = sum(1 for v in per_query.values() if v == 0.0)
    print(f"SciFact train: {len(per_query)} queries, corpus ready in {built:.1f} s")
    print(f"  nDCG@10    {ndcg:.4f}")
    print(f"  Recall@100 {recall:.4f}")
    print(f"  queries with no relevant doc in the top 10: {empty}")
    print(f"  search: {1000 * elapsed / max(1, len(per_query)):.1f} ms per query (per_page=100)")
    print("Published BM25 (test split, from the README):")
    print("\n".join(published(args.data)))


if __name__ == "__main__":
    main()
