"""Regenerate the demo collection in archive/cli/demo/ from ../shared (run from the repo root).

    .venv/bin/python bench/make_demo.py [--shared DIR] [--max-bytes N]

Only the openly licensed sources go in: resistinua (CC0 1.0) and CRS reports (US government
works, public domain), plus the sample article. Records are copied verbatim, in the corpus's
JSONL schema. The selection is deterministic: candidates are ranked for variety (each source,
product type, topic, author and month is reached early; a uk/en translation pair is one unit,
so both halves are always present), and the longest prefix of that ranking whose gzip fits the
budget is kept. Output is written with gzip mtime=0, so the same inputs give the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import shutil
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from itertools import zip_longest
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "archive" / "cli" / "demo"
OUT = DEMO / "demo.jsonl.gz"
SAMPLE = "partisans-winter-offensive.txt"
CORPUS = ("corpora", "political-news")
RESISTINUA = "resistinua_uk_en.jsonl.gz"
CRS = "crs_reports_en.jsonl.gz"
HARD_LIMIT = 2_000_000  # the "at most 2 MB, compressed"
SCHEMA = {
    "id": str,
    "source": str,
    "title": str,
    "author": (str, type(None)),
    "authors": list,
    "publication": str,
    "date": (str, type(None)),
    "date_raw": (str, type(None)),
    "language": str,
    "tags": list,
    "url": (str, type(None)),
    "body": str,
    "extra": dict,
}

Record = dict
Unit = list[Record]  # one record, or a uk/en translation pair


def read(path: Path) -> list[Record]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def check(record: Record) -> None:
    for key, kind in SCHEMA.items():
        if key not in record or not isinstance(record[key], kind):
            raise SystemExit(f"{record.get('id')}: field {key!r} missing or of the wrong type")
    if not record["title"] or not record["body"]:
        raise SystemExit(f"{record['id']}: empty title or body")


def stable(key: str) -> str:
    """A deterministic tie-breaker that does not follow the corpus's own order."""
    return hashlib.sha256(key.encode()).hexdigest()


def spread(units: list[Unit], group: str) -> list[Unit]:
    """Round-robin over the groups (rarest first), so every prefix covers as many as it can."""
    groups: dict[str, list[Unit]] = defaultdict(list)
    for unit in sorted(units, key=lambda u: stable(u[0]["id"])):
        groups[unit[0][group] if group != "month" else (unit[0]["date"] or "")[:7]].append(unit)
    order = sorted(groups, key=lambda g: (len(groups[g]), g))
    return [u for row in zip_longest(*(groups[g] for g in order)) for u in row if u is not None]


def interleave(*lists: list[Unit]) -> Iterator[Unit]:
    for row in zip_longest(*lists):
        yield from (u for u in row if u is not None)


def crs_units(records: list[Record]) -> list[Unit]:
    for r in records:
        r["primary_tag"] = r["tags"][0] if r["tags"] else ""
    # Within each topic the shortest first, so a tight budget still covers many topics.
    by_topic = spread([[r] for r in sorted(records, key=lambda r: len(r["body"]))], "primary_tag")
    for r in records:
        del r["primary_tag"]
    return by_topic


def resistinua_units(records: list[Record]) -> list[Unit]:
    by_native: dict[str, dict[str, Record]] = defaultdict(dict)
    for r in records:
        _, lang, native = r["id"].split(":", 2)
        by_native[native][lang] = r
    pairs = [[v["uk"], v["en"]] for v in by_native.values() if {"uk", "en"} <= v.keys()]
    singles = [list(v.values()) for v in by_native.values() if not {"uk", "en"} <= v.keys()]
    # Pairs first (authors, then months, spread); unpaired addresses only if room is left.
    ranked = interleave(spread(pairs, "author"), spread(pairs, "month"))
    seen: set[str] = set()
    out = [u for u in ranked if not (u[0]["id"] in seen or seen.add(u[0]["id"]))]
    return out + spread(singles, "language")


def gzipped(records: Iterable[Record]) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as f:
        for r in records:
            f.write((json.dumps(r, ensure_ascii=False) + "\n").encode())
    return buf.getvalue()


def ordered(units: Iterable[Unit]) -> list[Record]:
    """File order: by source, language, date, id (neighbours alike compress better)."""
    records = [r for u in units for r in u]
    return sorted(records, key=lambda r: (r["source"], r["language"], r["date"] or "", r["id"]))


def select(ranking: list[Unit], budget: int) -> tuple[int, bytes]:
    """The longest prefix of the ranking whose gzip fits the budget (binary search)."""
    lo, hi, best = 0, len(ranking), b""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        data = gzipped(ordered(ranking[:mid]))
        if len(data) <= budget:
            lo, best = mid, data
        else:
            hi = mid - 1
    if lo == 0:
        raise SystemExit(f"not even one article fits in {budget:,} bytes")
    return lo, best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--max-bytes", type=int, default=1_950_000, help="gzip budget")
    args = parser.parse_args()
    if args.max_bytes > HARD_LIMIT:
        parser.error(f"--max-bytes must be at most {HARD_LIMIT}")
    corpus = args.shared.joinpath(*CORPUS)

    crs, res = read(corpus / CRS), read(corpus / RESISTINUA)
    for r in crs + res:
        check(r)
    ranking = list(interleave(crs_units(crs), resistinua_units(res)))
    taken, data = select(ranking, args.max_bytes)

    DEMO.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(data)
    shutil.copyfile(args.shared / "samples" / SAMPLE, DEMO / SAMPLE)

    records = read(OUT)
    raw = sum(len(json.dumps(r, ensure_ascii=False).encode()) for r in records)
    by = Counter((r["source"], r["language"]) for r in records)
    langs = {r["id"].split(":")[1] for r in records if r["source"] == "resistinua"}
    natives = Counter(r["id"].split(":", 2)[2] for r in records if r["source"] == "resistinua")
    dates = sorted(r["date"] for r in records if r["date"])
    print(f"{OUT.relative_to(REPO)}: {len(data):,} bytes gzip ({raw:,} uncompressed)")
    print(f"records: {len(records)} of {len(crs) + len(res)} ({taken} of {len(ranking)} units)")
    for (source, lang), n in sorted(by.items()):
        print(f"  {source:12} {lang}: {n}")
    pairs = sum(n == 2 for n in natives.values())
    print(f"  resistinua translation pairs: {pairs}; languages {sorted(langs)}")
    tags = {t for r in records for t in r["tags"]}
    authors = {a for r in records for a in r["authors"]}
    print(f"  dates {dates[0]} .. {dates[-1]}; {len(tags)} distinct tags, {len(authors)} authors")
    print(f"{(DEMO / SAMPLE).relative_to(REPO)}: {(DEMO / SAMPLE).stat().st_size:,} bytes")
    print("sha256", hashlib.sha256(data).hexdigest())
    return 0


if __name__ == "__main__":
    sys.exit(main())
