"""Article text from HTML: ours (ingest/extract/html.py) against trafilatura, on the raw pages of
the corpus that come with the text judged correct (raw/zvezdaaltaya_N.html and .txt: the text
the source's scraper kept, see raw/MANIFEST.tsv). Prints word recall and precision against that
text, the title each found, and the time per page.

    .venv/bin/pip install trafilatura        # measured, not a dependency
    .venv/bin/python bench/html_extraction.py
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from corpus import DEFAULT_CORPUS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from archive.ingest.extract import html  # noqa: E402
from archive.ingest.extract.detect import decode  # noqa: E402

WORD = re.compile(r"\w+")


def words(text: str) -> Counter[str]:
    return Counter(w.lower() for w in WORD.findall(text))


def ours(page: str) -> tuple[str, str]:
    extracted = html.extract(page)
    return extracted.text, extracted.hints.title or ""


def by_trafilatura(page: str) -> tuple[str, str]:
    import trafilatura

    text = trafilatura.extract(page, include_comments=False, include_tables=True) or ""
    meta = trafilatura.extract_metadata(page)
    return text, (meta.title if meta and meta.title else "")


def main() -> None:
    raw = DEFAULT_CORPUS / "raw"
    pairs = [(p, p.with_suffix(".txt")) for p in sorted(raw.glob("*.html"))]
    pairs = [(h, t) for h, t in pairs if t.exists()]
    extractors: dict[str, Callable[[str], tuple[str, str]]] = {"ours": ours}
    try:
        import trafilatura  # noqa: F401

        extractors["trafilatura"] = by_trafilatura
    except ImportError:
        print("trafilatura is not installed: left out", file=sys.stderr)
    print(f"{len(pairs)} pages with their judged text")
    for name, extract in extractors.items():
        hit = found = wanted = 0
        seconds = 0.0
        for page_path, text_path in pairs:
            page = decode(page_path.read_bytes(), page_path.name)
            truth = words(text_path.read_text(encoding="utf-8"))
            start = time.perf_counter()
            text, title = extract(page)
            seconds += time.perf_counter() - start
            got = words(text)
            common = sum((got & truth).values())
            hit += common
            found += sum(got.values())
            wanted += sum(truth.values())
            recall = common / max(1, sum(truth.values()))
            precision = common / max(1, sum(got.values()))
            print(
                f"  {name:12} {page_path.name:22} recall {recall:6.1%}"
                f"  precision {precision:6.1%}  title {title[:50]!r}"
            )
