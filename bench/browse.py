"""Latency of the browsing features on the demo collection: autocomplete, facet typeahead,
more like this, and a search page with its timeline.

    .venv/bin/python bench/browse.py [--keep DIR]

Autocomplete is timed on every prefix (2+ characters) of 300 words and names drawn from the
collection, as a reader typing them would call it; the first call, which builds the vocabulary
for the searcher, is reported on its own. Targets: autocomplete p95 < 20 ms, similar < 100 ms.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

from archive.cli.demo import demo_paths
from archive.config import Settings
from archive.core.archive import Archive
from archive.models import SearchQuery


def summary(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    median = statistics.median(ms)
    return f"{name:<18} n={len(ms):<5} median {median:6.2f} ms  p95 {p95:6.2f} ms  max {ms[-1]:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", type=Path, help="build the archive here and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-browse-"))
    with Archive(Settings(root=root)) as archive:
        if archive.is_empty():
            archive.ingest_paths(demo_paths())
        print(f"{archive.count()} documents")
        rng = random.Random(4)
        docs = [archive.document(i) for i in rng.sample(sorted(archive.matched_ids("")), 150)]
        words = [w for d in docs for w in re.findall(r"\w{4,}", d.metadata.title)]
        words += [a for d in docs for a in d.metadata.authors]
        typed = rng.sample(words, min(300, len(words)))

        start = time.perf_counter()
        archive.suggest("wa")
        built = (time.perf_counter() - start) * 1000
        print(f"first autocomplete (builds the vocabulary): {built:.0f} ms")
        times = []
        for word in typed:
            for n in range(2, len(word) + 1):
                start = time.perf_counter()
                archive.suggest(word[:n])
                times.append(time.perf_counter() - start)
        print(summary("autocomplete", times))

        times = []
        for word in typed[:100]:
            start = time.perf_counter()
            archive.facet_values(SearchQuery(), "authors", word[:3])
            times.append(time.perf_counter() - start)
        print(summary("facet typeahead", times))

        times = []
        for doc in docs[:100]:
            start = time.perf_counter()
            archive.similar(doc.id)
            times.append(time.perf_counter() - start)
        print(summary("more like this", times))

        times = []
        for word in typed[:100]:
            start = time.perf_counter()
            archive.search(SearchQuery(text=word[:-1] + "x"))  # often a typo: did you mean
            times.append(time.perf_counter() - start)
        print(summary("search, misspelt", times))


if __name__ == "__main__":
    main()
