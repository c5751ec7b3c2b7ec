"""The demo collection that `archive serve --demo` loads into an empty archive.

Sources and licences are in README.md beside this file; `bench/make_demo.py` regenerates it.
"""

from __future__ import annotations

import gzip
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent
# Openly licensed articles in the political-news JSONL schema (resistinua CC0, CRS public domain).
COLLECTION = DEMO_DIR / "demo.jsonl.gz"
# Ingested as a plain text file so that its byline, ambiguous date and headings are extracted.
SAMPLE_ARTICLE = DEMO_DIR / "partisans-winter-offensive.txt"


def demo_paths() -> list[Path]:
    """The files to ingest, sample article first."""
    return [SAMPLE_ARTICLE, COLLECTION]


def demo_size() -> int:
    """How many documents the demo holds: its records and the sample article (read in a few
    milliseconds: the collection is a few hundred lines)."""
    with gzip.open(COLLECTION, "rb") as lines:
        return 1 + sum(1 for line in lines if line.strip())
