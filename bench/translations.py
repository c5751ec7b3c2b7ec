"""A first measure of translation pairing (issue 16, second part; not in the archive yet):
Ukrainian addresses and their English versions in resistinua_uk_en, paired without the URLs.

    .venv/bin/python bench/translations.py

Evidence, precision first: the same author list and a date at most a day apart (a must), a
paragraph count within a ratio, and the numbers of the text (digit runs: dates, counts, sums)
shared, as Jaccard of their sets; a pair is kept only when each is the other's best match. The
truth is the records' URLs (the video of the address, the same for both languages), used for
scoring only. Prints precision and recall by the numbers' threshold.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import date
from pathlib import Path

CORPUS = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "corpora"
    / "political-news"
    / "resistinua_uk_en.jsonl.gz"
)
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def numbers(text: str) -> set[str]:
    return {n.replace(",", ".") for n in NUMBER.findall(text)}


def paragraphs(text: str) -> int:
    return sum(1 for p in text.split("\n") if p.strip())


def close(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return abs((date.fromisoformat(a) - date.fromisoformat(b)).days) <= 1


def score(uk: dict, en: dict) -> float | None:
    if uk["authors"] != en["authors"] or not close(uk["date"], en["date"]):
        return None
    pu, pe = paragraphs(uk["body"]), paragraphs(en["body"])
    if not (0.6 <= pe / max(pu, 1) <= 1.6):
        return None
    nu, ne = numbers(uk["body"]), numbers(en["body"])
    if not nu and not ne:
        return 0.0
    return len(nu & ne) / len(nu | ne)


def main() -> None:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    uk = [r for r in records if r["language"] == "uk"]
    en = [r for r in records if r["language"] == "en"]
    truth = {(u["id"], e["id"]) for u in uk for e in en if u["url"] and u["url"] == e["url"]}
    scores = {}
    for u in uk:
        for e in en:
            s = score(u, e)
            if s is not None:
                scores[u["id"], e["id"]] = s
    best_uk: dict[str, tuple[float, str]] = {}
    best_en: dict[str, tuple[float, str]] = {}
    for (u, e), s in scores.items():
        if s > best_uk.get(u, (-1, ""))[0]:
            best_uk[u] = (s, e)
        if s > best_en.get(e, (-1, ""))[0]:
            best_en[e] = (s, u)
    mutual = {
        (u, e): s for (u, e), s in scores.items() if best_uk[u][1] == e and best_en[e][1] == u
    }
    print(f"{len(uk)} Ukrainian, {len(en)} English records; {len(truth)} true pairs (by URL)")
    print(f"{len(scores)} pairs pass author and date; {len(mutual)} are mutual best matches")
    print("numbers >=  precision  recall  found")
    for threshold in (0.0, 0.2, 0.3, 0.4, 0.5, 0.6):
        found = {pair for pair, s in mutual.items() if s >= threshold and (s > 0 or threshold == 0)}
        right = len(found & truth)
        precision = right / len(found) if found else 1.0
        print(f"{threshold:10.1f}  {precision:9.3f}  {right / len(truth):6.3f}  {len(found):5d}")


if __name__ == "__main__":
    main()
