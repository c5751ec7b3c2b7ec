"""Precision and recall of the copies detector (archive/ingest/copies.py) on reprints made from
the corpora, and its cost per document.

    .venv/bin/python bench/copies.py --originals 4000 --reprints 1000

Takes the first --originals records of each corpus in ../shared/corpora/political-news (or
--corpus FILE...), and for --reprints of them makes a reprint as outlets do: a new headline,
a line of the reprinter's own on top, the first or last paragraphs trimmed (up to a quarter of
the text) or a paragraph of another article added, and a different footer ("Sign up for our
newsletter", a copyright line). Short texts are kept (any length). Every document is signed,
candidates come from the same LSH bands the catalog uses, and a pair is a copy when its
estimated Jaccard reaches the threshold. A pair is right when it is (original, its reprint);
pairs found between two originals are counted as false unless their texts are the same once
whitespace is normalised (the corpora hold some true duplicates), and printed for a look.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive.ingest import copies  # noqa: E402
from archive.models import Block  # noqa: E402

CORPORA = REPO.parent / "shared" / "corpora" / "political-news"
FOOTERS = [
    "Sign up for our newsletter to get the best of our reporting every week.",
    "© 2026 The Reprinting Outlet. All rights reserved.",
    "Follow us on Telegram and Facebook. Share this article.",
]


def records(files: list[Path], per_file: int) -> list[dict]:
    out = []
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for n, line in enumerate(f):
                if n >= per_file:
                    break
                rec = json.loads(line)
                if rec.get("body", "").strip():
                    out.append(rec)
    return out


def paragraphs(rec: dict) -> list[str]:
    return [p.strip() for p in rec["body"].split("\n") if p.strip()]


def blocks_of(title: str, paras: list[str]) -> list[Block]:
    return [Block("heading", title, 1), *(Block("paragraph", p) for p in paras)]


def reprint(rec: dict, other: dict, rng: random.Random) -> list[Block]:
    paras = paragraphs(rec)
    cut = rng.randint(0, max(0, len(paras) // 4))
    kind = rng.choice(["trim-start", "trim-end", "add", "footer-only"])
    if kind == "trim-start":
        paras = paras[cut:]
    elif kind == "trim-end":
        paras = paras[: len(paras) - cut] if cut else paras
    elif kind == "add":
        extra = paragraphs(other)[:1]
        paras = [*paras[:1], *extra, *paras[1:]] if len(paras) > 3 else paras
    body = ["Republished with permission of the original publisher.", *paras]
    body += rng.sample(FOOTERS, 2)
    return blocks_of("A new headline: " + rec.get("title", "")[::-1][:40], body)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--originals", type=int, default=4000, help="records per corpus file")
    ap.add_argument("--reprints", type=int, default=1000)
    ap.add_argument("--corpus", type=Path, nargs="*")
    ap.add_argument("--seed", type=int, default=16)
    args = ap.parse_args()
    files = args.corpus or sorted(CORPORA.glob("*.jsonl.gz"))
    recs = records(files, args.originals)
    rng = random.Random(args.seed)
    chosen = rng.sample(range(len(recs)), min(args.reprints, len(recs)))
    docs: list[list[Block]] = [blocks_of(r.get("title", ""), paragraphs(r)) for r in recs]
    truth = set()
    for i in chosen:
        docs.append(reprint(recs[i], recs[rng.randrange(len(recs))], rng))
        truth.add((i, len(docs) - 1))
    start = time.perf_counter()
    sigs = [copies.signature(d) for d in docs]
    cost = (time.perf_counter() - start) / len(docs) * 1000
    buckets: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(sigs):
        if s is not None:
            for key in s.bands:
                buckets[key].append(i)
    candidates = {(a, b) for ids in buckets.values() for a in ids for b in ids if a < b}
    same_text = {
        (a, b)
        for a, b in candidates
        if b < len(recs) and " ".join(recs[a]["body"].split()) == " ".join(recs[b]["body"].split())
    }
    unsigned = [i for i in truth if sigs[i[0]] is None or sigs[i[1]] is None]
    print(f"{len(recs)} originals from {len(files)} files, {len(truth)} reprints,")
    print(f"signature: {cost:.2f} ms a document; {len(candidates)} LSH candidate pairs;")
    print(f"{len(same_text)} pairs of originals with the same text (true copies in the corpora);")
    print(f"{len(unsigned)} reprints too short to sign (counted as missed)")
    # as the catalog compares them: exact Jaccard for two short texts, else the estimate; a
    # short text's copy must reach SHORT_THRESHOLD whatever the row
    scored = {}
    for a, b in candidates:
        similarity = sigs[a].is_copy(sigs[b].to_bytes())[1]
        short = sigs[a].shingles is not None or sigs[b].shingles is not None
        scored[a, b] = (similarity, short)
    shorts = sum(
        1 for i in range(len(docs)) if sigs[i] is not None and sigs[i].shingles is not None
    )
    print(f"{shorts} short texts (under {copies.SHORT_SHINGLES} shingles)")
    print("threshold  precision  recall  found  false  missed")
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
        found = {
            pair
            for pair, (similarity, short) in scored.items()
            if similarity >= (max(threshold, copies.SHORT_THRESHOLD) if short else threshold)
        }
        right = found & (truth | same_text)
        precision = len(right) / len(found) if found else 1.0
        recall = len(found & truth) / len(truth)
        false = sorted(found - truth - same_text)
        print(
            f"{threshold:9.1f}  {precision:9.4f}  {recall:6.4f}  {len(found):5d}  {len(false):5d}"
            f"  {len(truth - found):6d}"
        )
        if threshold == copies.THRESHOLD:
            for a, b in false[:5]:
                ta = recs[a].get("title", "") if a < len(recs) else "(reprint)"
                tb = recs[b].get("title", "") if b < len(recs) else "(reprint)"
                print(f"    false pair: {ta[:50]!r} ~ {tb[:50]!r}")


if __name__ == "__main__":
    main()
