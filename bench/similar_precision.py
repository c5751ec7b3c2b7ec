"""More like this: precision at 5 from the judgments made by hand (bench/similar_judgments.tsv).

    .venv/bin/python bench/similar_precision.py                    # every method judged
    .venv/bin/python bench/similar_precision.py --lists L.tsv ...  # lists of bench/similar_lists.py

Each row of the judgments is a (source, candidate) pair, by corpus record id, judged relevant (1:
about the same subject: the same event, people, place or topic) or not (0), with the methods
whose top 5 held it ("before:3" is rank 3 of today's method on main). Precision at 5 of a method
is its relevant candidates over 5 a source (a list shorter than 5 counts its empty places as not
relevant), over the sources; also by corpus. With --lists, the lists given are scored from the
judgments instead, and every pair not judged yet is printed (judge it, add it, score again).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

JUDGMENTS = Path(__file__).resolve().parent / "similar_judgments.tsv"
TOP = 5


def corpus(record: str) -> str:
    """allsides, crs, amlo, zvezdaaltaya, sample; resistinua:en and resistinua:uk apart."""
    parts = record.split(":")
    return ":".join(parts[:2]) if parts[0] == "resistinua" else parts[0]


def judgments(path: Path) -> tuple[dict[tuple[str, str], int], dict[str, dict[str, list[str]]]]:
    """(source, candidate) -> relevant, and method -> source -> its candidates in rank order."""
    judged: dict[tuple[str, str], int] = {}
    lists: dict[str, dict[str, list[tuple[int, str]]]] = defaultdict(lambda: defaultdict(list))
    with path.open(newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            key = (row["source"], row["candidate"])
            judged[key] = int(row["relevant"])
            for found in row["methods"].split():
                method, rank = found.rsplit(":", 1)
                lists[method][row["source"]].append((int(rank), row["candidate"]))
    ordered = {
        method: {s: [c for _, c in sorted(found)] for s, found in by_source.items()}
        for method, by_source in lists.items()
    }
    return judged, ordered


def read_lists(paths: list[Path]) -> dict[str, dict[str, list[str]]]:
    """The lists of bench/similar_lists.py: label, id, source, rank, id, candidate, score."""
    lists: dict[str, dict[str, list[tuple[int, str]]]] = defaultdict(lambda: defaultdict(list))
    for path in paths:
        with path.open(newline="") as f:
            for row in csv.reader(f, delimiter="\t"):
                if row and not row[0].startswith("#"):
                    lists[row[0]][row[2]].append((int(row[3]), row[5]))
    return {
        label: {s: [c for _, c in sorted(found)] for s, found in by_source.items()}
        for label, by_source in lists.items()
    }


def precision(
    lists: dict[str, list[str]], judged: dict[tuple[str, str], int], sources: list[str]
) -> tuple[float, dict[str, float], list[tuple[str, str]]]:
    """(P@5 over the sources, P@5 by corpus, the pairs not judged)."""
    relevant: dict[str, int] = defaultdict(int)
    counted: dict[str, int] = defaultdict(int)
    unjudged = []
    for source in sources:
        counted[corpus(source)] += TOP
        for candidate in lists.get(source, [])[:TOP]:
            if (source, candidate) not in judged:
                unjudged.append((source, candidate))
            relevant[corpus(source)] += judged.get((source, candidate), 0)
    overall = sum(relevant.values()) / max(1, sum(counted.values()))
    return overall, {c: relevant[c] / counted[c] for c in counted}, unjudged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--judgments", type=Path, default=JUDGMENTS)
    parser.add_argument("--lists", type=Path, nargs="+", help="lists to score instead")
    args = parser.parse_args()
    judged, methods = judgments(args.judgments)
    sources = list(dict.fromkeys(source for source, _ in judged))
    if args.lists:
        methods = read_lists(args.lists)
    corpora = sorted({corpus(s) for s in sources})
    print(f"{len(sources)} sources, {len(judged)} pairs judged; precision at {TOP}:")
    print(f"{'method':<18}{'all':>7}" + "".join(f"{c:>16}" for c in corpora))
    missing = []
    for method, lists in methods.items():
        overall, by_corpus, unjudged = precision(lists, judged, sources)
        cells = "".join(f"{by_corpus.get(c, 0):>16.3f}" for c in corpora)
        print(f"{method:<18}{overall:>7.3f}{cells}")
        missing += [(method, *pair) for pair in unjudged]
    for method, source, candidate in missing:
        print(f"not judged: {method} {source} -> {candidate}", file=sys.stderr)
    if missing:
        print(f"{len(missing)} pairs not judged: the figures above count them as not relevant")


if __name__ == "__main__":
    main()
