"""Precision and recall of the archive's translation pairing (archive/core/translations.py) on
resistinua_uk_en: Ukrainian addresses and their English versions, imported without the records'
ids and URLs (which pair them trivially), then scored against the URLs.

    .venv/bin/python bench/translations.py                 # resistinua alone
    .venv/bin/python bench/translations.py --orphans 5     # and 5 imports of orphans
    .venv/bin/python bench/translations.py --stress         # and the text evidence alone over
                                                            # every corpus (no author gate)

The records go through the real `Archive.ingest_paths` (JSONL import, catalog, the pairing at
each commit) into a fresh archive in a temporary folder, stripped of "id", "url" and "extra".
Truth: records of the two languages with the same URL (where one URL holds two addresses in
each language, those with the same record id as well). Pairs found outside that truth are
printed with their titles for a reading; READ_BY_HAND lists those read as translations the URLs
miss (the corpus's own slips), and the precision is given both ways.

--orphans N: N more imports, each with one side of every URL pair left out (drawn at random),
so that no record has its translation: every pair found then is a false one.

--stress: for every two records of different languages, from every corpus of
../shared/corpora/political-news, dated within two days of each other, the evidence of their
texts (search/translations.py) with the author/publication gate left out, and how many would
pass the threshold and the mutual-best rule: pairs of documents that are no translations.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive import Archive, Settings  # noqa: E402
from archive.models import Block  # noqa: E402
from archive.search import translations as evidence  # noqa: E402
from archive.search.variants import load as load_variants  # noqa: E402
from archive.storage import translations as store  # noqa: E402

CORPORA = REPO.parent / "shared" / "corpora" / "political-news"
CORPUS = CORPORA / "resistinua_uk_en.jsonl.gz"
# Pairs outside the URL truth that were read by hand and are translations (native ids, uk then
# en): the corpus gives some English versions another video's URL or another id.
READ_BY_HAND = {
    # "Україні потрібне важке озброєння" / "Ukraine needs heavy weapons": the same text
    ("iqiE9vXf_b0", "Glsqf4fQu5U"),
    # "Ми вистояли" / "We withstood": the same address, other video ids
    ("RZIf5oaWKBw", "jJRYocGoHWQ"),
    # "Разом із союзниками…" / "Together with allies…": same id, the English URL is another video
    ("itsJF_CEhVo", "itsJF_CEhVo"),
    # "Ми продовжуємо боротися" / "We responded to the invasion…": "Великий народе великої
    # країни!" / "Great people of a great country!", paragraph for paragraph
    ("IMkipEljefo", "FQgqrbBnZWs"),
    # an English record under the Ukrainian title, its text the English of the Mariupol address
    ("fWAdJRy1SXU", "7xLV27bqaLg"),
    # the Cortes Generales speech: the English record twice (bezQLqQFV5c and zUpcNlnY88g)
    ("bezQLqQFV5c", "zUpcNlnY88g"),
    # the Storting speech: same id, the URLs differ
    ("wz4yNeabxLg", "wz4yNeabxLg"),
}


def read(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def native(record_id: str) -> str:
    return record_id.split(":", 2)[2]


def url_truth(records: list[dict]) -> set[tuple[str, str]]:
    """(uk id, en id) of records with the same URL; where a URL has two records in a language
    (two addresses filed under one video), only those with the same record id as well."""
    by_url: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        if r.get("url") and r["language"] in ("uk", "en"):
            by_url[r["url"]].append(r)
    out = set()
    for group in by_url.values():
        uk = [r for r in group if r["language"] == "uk"]
        en = [r for r in group if r["language"] == "en"]
        for u in uk:
            for e in en:
                if (len(uk) == 1 and len(en) == 1) or native(u["id"]) == native(e["id"]):
                    out.add((u["id"], e["id"]))
    return out


def fingerprint(language: str, title: str, text: str) -> tuple[str, str, str]:
    return language, " ".join(title.split()), " ".join(text.split())[:300]


def import_stripped(records: list[dict], root: Path) -> tuple[dict[int, list[dict]], list]:
    """Import the records without id, url and extra; (document id -> its records, pairs)."""
    stripped = root / "stripped.jsonl"
    with stripped.open("w", encoding="utf-8") as out:
        for r in records:
            kept = {k: v for k, v in r.items() if k not in ("id", "url", "extra")}
            out.write(json.dumps(kept, ensure_ascii=False) + "\n")
    by_print = defaultdict(list)
    for r in records:
        by_print[fingerprint(r["language"], r["title"], r["body"])].append(r)
    started = time.perf_counter()
    with Archive(Settings(root=root / "archive")) as archive:
        archive.ingest_paths([stripped])
        took = time.perf_counter() - started
        print(f"imported {archive.count()} documents in {took:.1f} s")
        catalog = archive._catalog  # noqa: SLF001 (a bench reads the catalog's pairs directly)
        docs = catalog.get_many(sorted(catalog.all_ids()))
        pairs = store.pairs(catalog)
    of = {}
    for doc_id, doc in docs.items():
        text = "\n".join(b.text for b in doc.blocks if b.kind != "heading")
        found = by_print.get(fingerprint(doc.metadata.language, doc.metadata.title, text))
        if not found:  # the title may be a heading block too
            text = "\n".join(b.text for b in doc.blocks)
            found = by_print.get(fingerprint(doc.metadata.language, doc.metadata.title, text))
        of[doc_id] = found or []
    return of, pairs


def resistinua() -> tuple[int, int, int, float]:
    records = read(CORPUS)
    uk = [r for r in records if r["language"] == "uk"]
    en = [r for r in records if r["language"] == "en"]
    truth = url_truth(records)
    by_hand = {(f"resistinua:uk:{u}", f"resistinua:en:{e}") for u, e in READ_BY_HAND}
    with tempfile.TemporaryDirectory() as tmp:
        of, pairs = import_stripped(records, Path(tmp))
    unmapped = [d for d, rs in of.items() if not rs]
    print(f"{len(uk)} Ukrainian, {len(en)} English records; {len(truth)} true pairs by URL;"
          f" {len(unmapped)} documents not mapped back")  # fmt: skip
    right = right_by_hand = 0
    found_truth = set()
    for a, b, ev in sorted(pairs):
        options = {
            (x["id"], y["id"]) if x["language"] == "uk" else (y["id"], x["id"])
            for x in of[a]
            for y in of[b]
        }
        hit = options & truth
        if hit:
            right += 1
            found_truth |= hit
        elif options & by_hand:
            right_by_hand += 1
            print(f"  read by hand, a translation ({ev:.3f}): {sorted(options)[0]}")
        else:
            x, y = of[a][0] if of[a] else {}, of[b][0] if of[b] else {}
            print(f"  FALSE ({ev:.3f}): {x.get('id')} {x.get('date')} {x.get('title', '')[:70]!r}")
            print(f"                   {y.get('id')} {y.get('date')} {y.get('title', '')[:70]!r}")
    n = len(pairs)
    print(f"pairs found: {n}; true by URL: {right}; translations by hand: {right_by_hand}")
    print(f"precision against the URLs:          {right / max(n, 1):.3f}")
    print(f"precision, pairs read by hand added: {(right + right_by_hand) / max(n, 1):.3f}")
    print(f"recall of the URL pairs:             {len(found_truth) / len(truth):.3f}"
          f" ({len(found_truth)} of {len(truth)})")  # fmt: skip
    return n, right, right_by_hand, len(found_truth) / len(truth)


def orphans(runs: int) -> int:
    """Imports in which no record has its translation: every pair found is false."""
    records = read(CORPUS)
    by_url = defaultdict(list)
    for r in records:
        by_url[r["url"]].append(r)
    total = 0
    for seed in range(runs):
        rng = random.Random(seed)
        left_out = set()
        for group in by_url.values():
            if len({r["language"] for r in group}) > 1:
                kept = rng.choice(sorted({r["language"] for r in group}))
                left_out |= {r["id"] for r in group if r["language"] != kept}
        kept_records = [r for r in records if r["id"] not in left_out]
        with tempfile.TemporaryDirectory() as tmp:
            of, pairs = import_stripped(kept_records, Path(tmp))
        by_hand = {frozenset((f"resistinua:uk:{u}", f"resistinua:en:{e}")) for u, e in READ_BY_HAND}
        false = [
            (a, b, ev)
            for a, b, ev in pairs
            if not any(frozenset((x["id"], y["id"])) in by_hand for x in of[a] for y in of[b])
        ]
        total += len(false)
        print(f"orphans, draw {seed}: {len(kept_records)} records, {len(pairs)} pairs,"
              f" {len(false)} false")  # fmt: skip
        for a, b, ev in false:
            x, y = (of[d][0]["id"] if of[d] else d for d in (a, b))
            print(f"  FALSE ({ev:.3f}): {x} {y}")
    print(f"orphans: {total} false pairs in {runs} draws")
    return total


def stress() -> None:
    """The text evidence alone, no author or publication gate, over every corpus."""
    records = [r for path in sorted(CORPORA.glob("*.jsonl.gz")) for r in read(path)]
    dated = [r for r in records if r.get("date") and len(r["date"]) == 10 and r["body"].strip()]
    by_day = defaultdict(list)
    for r in dated:
        by_day[date.fromisoformat(r["date"]).toordinal()].append(r)
    started = time.perf_counter()
    variants = load_variants()
    profiles = {
        r["id"]: evidence.profile([Block("paragraph", p) for p in r["body"].split("\n")], variants)
        for r in dated
    }
    per_doc = (time.perf_counter() - started) / len(dated) * 1000
    scores: dict[str, list[tuple[float, str]]] = defaultdict(list)
    compared = 0
    for r in dated:
        day = date.fromisoformat(r["date"]).toordinal()
        for d in range(day - 2, day + 3):
            for o in by_day.get(d, ()):
                if o["language"] != r["language"]:
                    compared += 1
                    s = evidence.evidence(profiles[r["id"]], profiles[o["id"]])
                    if s > 0:
                        scores[r["id"]].append((s, o["id"]))
    best = {i: max(v) for i, v in scores.items() if v}
    truth = {frozenset(pair) for pair in url_truth(records)}
    by_hand = {frozenset((f"resistinua:uk:{u}", f"resistinua:en:{e}")) for u, e in READ_BY_HAND}
    passing = {
        frozenset((i, o))
        for i, (s, o) in best.items()
        if s >= evidence.THRESHOLD and best.get(o, (0, ""))[1] == i
    }
    outside = [p for p in passing if p not in truth and p not in by_hand]
    above = {
        frozenset((i, o))
        for i, found in scores.items()
        for s, o in found
        if s >= evidence.THRESHOLD
    }
    other_corpora = sum(
        1 for i, found in scores.items() for _, o in found if (i + o).count("resistinua") != 2
    )
    print(f"pairs above the threshold that are no translation, mutual best or not:"
          f" {len(above - truth - by_hand)}; comparisons with evidence outside resistinua:"
          f" {other_corpora}")  # fmt: skip
    print(f"{len(dated)} dated records, profile {per_doc:.2f} ms each; {compared} cross-language"
          f" comparisons within two days; {len(passing)} mutual best pairs above"
          f" {evidence.THRESHOLD}; outside the resistinua truth and the pairs read by hand:"
          f" {len(outside)}")  # fmt: skip
    for p in outside:
        print("  ", sorted(p))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stress", action="store_true")
    parser.add_argument("--orphans", type=int, default=0, metavar="N")
    parser.add_argument(
        "--thresholds", default="", help="e.g. 0.15,0.2,0.25: each in turn, then a table"
    )
    args = parser.parse_args()
    table = []
    for threshold in [float(t) for t in args.thresholds.split(",") if t] or [None]:
        if threshold is not None:
            evidence.THRESHOLD = threshold  # read at each pairing (core/translations.py)
            print(f"--- threshold {threshold}")
        n, right, by_hand, recall = resistinua()
        false_orphans = orphans(args.orphans) if args.orphans else None
        table.append((evidence.THRESHOLD, n, right, by_hand, recall, false_orphans))
    print("threshold  pairs  by URL  by hand  precision (URL / read)  recall  orphans' false")
    for t, n, right, by_hand, recall, false in table:
        print(f"{t:9.2f}  {n:5d}  {right:6d}  {by_hand:7d}  {right / max(n, 1):9.3f} /"
              f" {(right + by_hand) / max(n, 1):.3f}  {recall:7.3f}  {false}")  # fmt: skip
    if args.stress:
        stress()


if __name__ == "__main__":
    main()
