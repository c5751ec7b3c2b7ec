"""Markdown: our block reader (ingest/extract/md.py) against markdown-it-py (CommonMark), on the
raw Markdown files of the corpus (CRS reports and AMLO transcripts). CommonMark is the reference:
its headings and the words of its text. Prints how many of its headings ours finds, how many
headings ours adds (ours also takes a short unpunctuated line standing alone for a heading, and
leaves out metadata header lines and link-only navigation), word recall and precision against
CommonMark's text, and the time per file.

    .venv/bin/pip install markdown-it-py      # measured, not a dependency (already in the venv
                                               # through the test tools)
    .venv/bin/python bench/markdown_blocks.py
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from pathlib import Path

from corpus import DEFAULT_CORPUS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from archive.ingest.extract import md  # noqa: E402

WORD = re.compile(r"\w+")


def words(text: str) -> Counter[str]:
    return Counter(w.lower() for w in WORD.findall(text))


def commonmark(text: str) -> tuple[list[str], str]:
    """(headings, all inline text) as markdown-it-py parses the file."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    headings, inline = [], []
    for i, token in enumerate(tokens):
        if token.type == "inline":
            plain = "".join(
                " " if child.type in ("softbreak", "hardbreak") else child.content
                for child in token.children or []
                if child.type in ("text", "code_inline", "softbreak", "hardbreak")
            )
            inline.append(plain)
            if i and tokens[i - 1].type == "heading_open":
                headings.append(" ".join(plain.split()))
    return headings, "\n".join(inline)


def main() -> None:
    files = sorted((DEFAULT_CORPUS / "raw").glob("*.md"))
    print(f"{len(files)} Markdown files")
    totals = Counter()
    seconds = {"ours": 0.0, "markdown-it-py": 0.0}
    for path in files:
        text = path.read_text(encoding="utf-8")
        start = time.perf_counter()
        ours = md.extract(text)
        seconds["ours"] += time.perf_counter() - start
        start = time.perf_counter()
        ref_headings, ref_text = commonmark(text)
        seconds["markdown-it-py"] += time.perf_counter() - start
        our_headings = [b.text for b in ours.blocks if b.kind == "heading"]
        found = sum(1 for h in ref_headings if h in our_headings)
        got, truth = words(ours.text), words(ref_text)
        common = sum((got & truth).values())
        added = len(set(our_headings) - set(ref_headings))
        recall = common / max(1, sum(truth.values()))
        precision = common / max(1, sum(got.values()))
        totals.update(
            ref=len(ref_headings), found=found, added=added, common=common,
            got=sum(got.values()), truth=sum(truth.values()),
        )  # fmt: skip
        print(
            f"  {path.name[:48]:48} headings {found}/{len(ref_headings)} (+{added})"
            f"  recall {recall:6.1%}  precision {precision:6.1%}"
        )
    print(
        f"all: CommonMark headings found {totals['found']}/{totals['ref']}, added"
        f" {totals['added']}; word recall {totals['common'] / totals['truth']:.1%},"
        f" precision {totals['common'] / totals['got']:.1%}"
    )
    for name, spent in seconds.items():
        print(f"{name:15} {1000 * spent / len(files):6.2f} ms/file")


if __name__ == "__main__":
    main()
