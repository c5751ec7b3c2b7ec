"""What indexing documents leaves in a long-lived process: the caches of naming and stemming.

    .venv/bin/python bench/naming_memory.py --root DIR [--documents N] [--every K]

Reads N documents (default 3,000, in a fixed shuffled order) from the catalog of the archive at
--root and makes their index fields (archive.search.index.document_fields: names found and put
in the nominative, their identities) and their terms (archive.search.analysis.document_terms:
each word stemmed), as an index worker does for every upload, in this one process. Every K
documents it prints the seconds spent so far, the process's anonymous memory (/proc) and how
full each cache is, so that two versions of the caches' sizes can be set side by side: the
memory should level off, and the seconds should not grow much.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from archive.config import Settings  # noqa: E402
from archive.search import analysis, morphology  # noqa: E402
from archive.search.index import document_fields  # noqa: E402
from archive.search.variants import load as load_variants  # noqa: E402
from archive.storage.catalog import Catalog  # noqa: E402


def anonymous_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) // 1024
    return 0


def cache_sizes() -> dict[str, int]:
    sizes = {f"stem {k}": len(v) for k, v in analysis._stem_caches.items() if v}  # noqa: SLF001
    for name in dir(morphology):
        info = getattr(getattr(morphology, name), "cache_info", None)
        if info is not None and info().currsize:
            sizes[name] = info().currsize
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--documents", type=int, default=3000)
    parser.add_argument("--every", type=int, default=500)
    args = parser.parse_args()
    settings = Settings.from_env(args.root)
    catalog = Catalog(settings.catalog_path)
    variants = load_variants(settings.variants_path)
    ids = sorted(catalog.all_ids())
    random.Random(1).shuffle(ids)
    ids = ids[: args.documents]
    print(f"{len(ids):,} documents of {args.root}; at start {anonymous_mb()} MB anonymous")
    busy = 0.0
    for start in range(0, len(ids), args.every):
        documents = list(catalog.get_many(ids[start : start + args.every]).values())
        began = time.perf_counter()
        for doc in documents:
            document_fields(doc, variants)
            text = "\n".join(block.text for block in doc.blocks)
            for _ in analysis.document_terms(text, doc.metadata.language):
                pass
        busy += time.perf_counter() - began
        done = min(start + args.every, len(ids))
        print(f"{done:>6,} documents  {busy:6.1f} s  {anonymous_mb():>4} MB  {cache_sizes()}")
    catalog.close()


if __name__ == "__main__":
    main()
