"""What one search process holds: memory after opening an archive and after compare's queries.

    .venv/bin/python bench/search_memory.py --root DIR [--corpus DIR] [--seed S]
                                            [--trace N] [--results OUT]

Opens the archive at --root as a server's search process does (archive.core.search_process:
the catalog and the index read-only, the first generation warmed), then asks compare.py's 200
queries (bench/query_set.py COMPARE_MIX, drawn from --corpus with --seed, as compare.py draws
them) twice, with remembered answers off (ARCHIVE_SEARCH_ANSWERS=0, as compare.py). Prints
the process's resident and anonymous memory (/proc) before opening, once open and after the
queries, and the CPU time of each pass. The queries are drawn in a child process first, so
that the corpus read for them does not stay in this one's heap.

--trace N: also trace allocations (tracemalloc, which makes the process larger and slower)
and print the N source lines holding the most of what opening and searching allocated.
--results OUT: write each query's total, hits, facets, timeline and snippets (pickle), to
compare two versions of the code on the same archive.
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import corpus  # noqa: E402 - the sibling module

os.environ["ARCHIVE_SEARCH_ANSWERS"] = "0"


def memory() -> str:
    found = {}
    with open("/proc/self/status", encoding="utf-8") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon"):
                found[key] = int(value.split()[0]) // 1024
    return f"resident {found['VmRSS']} MB (anonymous {found['RssAnon']} MB)"


def draw_queries(corpus_dir: Path, seed: int, out: Path) -> None:
    """In a child process: the query set, pickled to out."""
    program = (
        "import pickle, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
        " import corpus;"
        " from query_set import COMPARE_MIX, build_queries;"
        " base = corpus.base_records(corpus.read_records(corpus.corpus_files(Path(sys.argv[2]))));"
        " pickle.dump(build_queries(base, int(sys.argv[3]), COMPARE_MIX), open(sys.argv[4], 'wb'))"
    )
    subprocess.run(  # noqa: S603 - our own interpreter and program
        [sys.executable, "-c", program, str(HERE), str(corpus_dir), str(seed), str(out)],
        check=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True, help="the archive's data root")
    parser.add_argument("--corpus", type=Path, default=corpus.DEFAULT_CORPUS)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--trace", type=int, default=0, metavar="N")
    parser.add_argument("--results", type=Path, metavar="OUT")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "queries.pickle"
        draw_queries(args.corpus, args.seed, path)
        with open(path, "rb") as f:
            queries = pickle.load(f)  # noqa: S301 - written just now by our own child

    from archive.config import Settings
    from archive.core.finder import Finder
    from archive.models import SearchQuery
    from archive.processes import return_large_allocations
    from archive.search.engine import SearchEngine
    from archive.search.index import Index
    from archive.storage.catalog import Catalog

    return_large_allocations()  # as a search process does
    print(f"before opening: {memory()}")
    if args.trace:
        tracemalloc.start(1)
    before = tracemalloc.take_snapshot() if args.trace else None
    settings = Settings.from_env(args.root)
    began = time.monotonic()
    catalog = Catalog(settings.catalog_path, read_only=True)
    index = Index(settings, read_only=True)
    finder = Finder(SearchEngine(index, catalog.get_many), catalog)
    finder.warm()
    print(f"open and warm ({time.monotonic() - began:.1f} s): {memory()}")
    results = []
    for n in range(2):
        cpu = time.process_time()
        for q in queries:
            page = finder.search(
                SearchQuery(
                    text=q.text,
                    filters=dict(q.filters),
                    date_from=q.date_from,
                    date_to=q.date_to,
                    per_page=10,
                )
            )
            if n == 0:
                results.append(
                    (
                        page.total,
                        [h.id for h in page.hits],
                        {f: [(v.value, v.count) for v in vs] for f, vs in page.facets.items()},
                        list(page.timeline),
                        page.facet_totals,
                        [(h.id, tuple(h.snippets)) for h in page.hits],
                    )
                )
        print(f"pass {n + 1}: CPU {time.process_time() - cpu:.2f} s for {len(queries)} queries")
    print(f"after the queries: {memory()}")
    if args.results:
        with open(args.results, "wb") as f:
            pickle.dump(results, f)
    if before is not None:
        stats = tracemalloc.take_snapshot().compare_to(before, "lineno")
        print(f"traced since opening began: {sum(s.size_diff for s in stats) / 1e6:.1f} MB")
        for s in stats[: args.trace]:
            print(f"  {s.size_diff / 1e6:7.1f} MB {s.count_diff:9d} blocks  {s.traceback}")
    finder.close()
    index.close()
    catalog.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
