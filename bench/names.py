"""The names facet on the corpora: its top names per file, and how many values merged.

    .venv/bin/python bench/names.py [--corpus DIR] [--limit N] [--top 50]

For each corpus file (its first --limit documents: allsides has 19,300), extracts each
document's names as indexing does (archive.search.names.extract, with the bundled variants
file), then merges them across documents as the facet does (one value a key, shown under the
spelling most documents write: archive.search.values.ValueTable). Prints the documents, the
distinct values the documents hold, the facet's values after merging, how many of those
gather several spellings (and how many spellings they absorbed), the biggest merges, the top
names with their document counts, and the time per document. docs/names.md holds the top 50
of each file, judged by hand.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections import Counter
from pathlib import Path

from corpus import DEFAULT_CORPUS, corpus_files

from archive.search.analysis import term_language
from archive.search.names import extract
from archive.search.values import new_table
from archive.search.variants import load


def records(path: Path, limit: int) -> list[dict]:
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            out.append(json.loads(line))
            if len(out) >= limit:
                break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=2000)
    parser.add_argument("--top", type=int, default=50)
    args = parser.parse_args()
    variants = load()
    for path in corpus_files(args.corpus):
        docs = records(path, args.limit)
        table = new_table("names")  # the facet's own merging
        documents: Counter[str] = Counter()  # documents holding each value as written
        started = time.perf_counter()
        for r in docs:
            blocks = (r["title"], *r["body"].split("\n"))
            documents.update(extract(blocks, term_language(r["language"]), variants))
        took = (time.perf_counter() - started) / max(1, len(docs))
        numbers = table.numbers(sorted(documents))
        table.show(documents.__getitem__)
        merged = Counter()
        for value, number in zip(sorted(documents), numbers.tolist(), strict=True):
            merged[number] += documents[value]
        spellings = table.spellings
        print(f"\n## {path.name}: {len(docs)} documents, {1e3 * took:.1f} ms/doc")
        print(
            f"{len(documents)} distinct values in documents -> {len(merged)} facet values; "
            f"{len(spellings)} values gather {sum(map(len, spellings.values()))} spellings "
            f"({len(documents) - len(merged)} values merged away)"
        )
        biggest = sorted(spellings.values(), key=lambda s: (-len(s), s))[:8]
        for group in biggest:
            print("  merged: " + " | ".join(f"{n} ({documents[n]})" for n in group[:6]))
        top = sorted(merged.items(), key=lambda kv: (-kv[1], table.values[kv[0]]))[: args.top]
        for rank, (number, count) in enumerate(top, 1):
            n = len(spellings.get(number, ()))
            extra = f", {n} spellings" if n > 1 else ""
            print(f"{rank:>3}. {table.values[number]} ({count} docs{extra})")


if __name__ == "__main__":
    main()
