"""Search latency of the archive next to SQLite FTS5 and Tantivy: same corpus, same queries.

    .venv/bin/python bench/compare.py [--corpus DIR] [--limit N] [--scale K] [--seed S]
                                      [--root DIR] [--json OUT] [--keep]

1. Corpus: every *.jsonl.gz of --corpus (../shared/corpora/political-news by default), the
   first --limit N records of each file, --scale K copies of them (distinct ids, shuffled
   paragraphs: bench/corpus.py; --scale 5 is the 100k set).
2. Build, one engine after the other, each timed:
   - the archive: `archive ingest` into a fresh data root, then `archive serve` on a free
     127.0.0.1 port, asked through GET /api/search (bench/archive_engine.py). With --root DIR
     the data root is DIR: built there (timed) when DIR is missing or empty and kept; when DIR
     already holds an archive it is reused, the ingest skipped ("reused" in the report), and
     the server must count the documents this corpus, --limit and --scale make (else it stops).
     The 100k set takes ~40 minutes to build: built once, measured many times. The time from
     starting `archive serve` to its first answered search is reported (goal: 3 s);
   - SQLite FTS5 in this process (bench/fts5_engine.py);
   - Tantivy in this process (bench/tantivy_engine.py), when the `tantivy` package is
     installed (`pip install -e '.[bench]'`); else it is left out, and said so.
3. Search: 200 fixed queries drawn from the corpus (bench/query_set.py COMPARE_MIX: 100 single
   words, 60 two-word AND, 20 phrases, 20 five-word OR; the same at every scale), each engine
   answering with the total, 10 hits, 3 snippets a hit, facet counts (authors, publication,
   language, tags, year) over the whole match set and a timeline by year. One untimed warm-up
   pass, then a timed pass (the archive's remembered answers off, ARCHIVE_SEARCH_ANSWERS=0:
   its generation would answer the warm-up's queries from memory) in which the engines take
   turns going first, query by query, so that noise on the machine hits all alike; one
   client, one query at a time.
4. Prints each engine's p50/p95/max, mean total hits and its ratios to the archive, how many
   queries' totals differ between engines (analysis differs: they are reported, not hidden),
   the build times, index sizes and the resident memory of the archive server (all its
   processes) and of this process; --json OUT writes every figure and per-query result.
   Exit status 1 when an engine failed a query or the archive server logged a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import corpus
import fts5_engine
import prebuilt
import tantivy_engine
from archive_engine import ArchiveEngine, own_memory
from engines import Result
from query_set import COMPARE_MIX, BenchQuery, build_queries

MB = 1_000_000
READY_GOAL_SECONDS = 3.0  # issue 12: a server over 100k documents answers within 3 s of starting
NOTES = [
    "notes      the archive matches title, body, authors and tags; stems a query word by each"
    " language's rules, each",
    '           matching documents of that language (English "voter" finds Spanish "voto");'
    " drops stop words;",
    "           adds close spellings of a word found in 1-3 documents, and other spellings of"
    " names. FTS5 (Porter)",
    "           and Tantivy (English Snowball) match title and body, English stems only, no stop"
    " words. The archive's",
    "           timeline goes by month over a span of 3 years or less; the others' by year.",
]


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def git_version() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=corpus.REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def mb(n: float) -> str:
    return f"{n / MB:,.1f} MB"


# --- build ------------------------------------------------------------------------------------
def build_engines(
    per_file: list, scale: int, work: Path, engines: list, root: Path | None = None
) -> tuple[dict, list[str]]:
    """The engines, built one after the other into `engines` (the caller closes them, even
    after a failure); their build figures; the engines left out, and why. The archive goes
    into `root` (reused when it holds one already) or a fresh folder under `work`."""
    count = corpus.scaled_count(per_file, scale)
    builds: dict[str, dict] = {}
    skipped: list[str] = []
    state = prebuilt.root_state(root) if root else "build"
    archive = ArchiveEngine(root or work / "archive" / "root", log_dir=work)
    engines.append(archive)  # first: close() stops its server whatever happens next
    if state == "reuse":
        print(f"archive: reusing {root} (no ingest), expecting {count:,} documents…", flush=True)
        builds["archive"] = {"documents": count, "seconds": None, "reused": True}
        builds["archive"].update(archive.start(count))
    else:
        paths = corpus.write_scaled(per_file, scale, work / "inputs")
        into = f" into {root} (kept for the next run)" if root else ""
        print(
            f"archive: `archive ingest` of {count:,} documents ({len(paths)} files){into}…",
            flush=True,
        )
        builds["archive"] = archive.build(paths, count)
    builds["archive"]["size_bytes"] = archive.size_bytes()
    builds["archive"]["index_bytes"] = archive.index_bytes()
    builds["archive"]["catalog_bytes"] = archive.catalog_bytes()
    builds["archive"]["originals_bytes"] = archive.originals_bytes()
    in_process = (
        (fts5_engine, fts5_engine.Fts5Engine, "sqlite/fts.sqlite3"),
        (tantivy_engine, tantivy_engine.TantivyEngine, "tantivy"),
    )
    for module, cls, folder in in_process:
        reason = module.available()
        if reason:
            print(f"{cls.label}: LEFT OUT: {reason}")
            skipped.append(f"{cls.label}: {reason}")
            continue
        (work / folder).parent.mkdir(parents=True, exist_ok=True)
        engine = cls(work / folder)
        engines.append(engine)
        print(f"{cls.label}: building…", flush=True)
        builds[engine.name] = engine.build(corpus.scaled(per_file, scale))
        builds[engine.name]["size_bytes"] = engine.size_bytes()
    for engine in engines:
        b = builds[engine.name]
        b["docs_per_s"] = b["documents"] / b["seconds"] if b["seconds"] else None
    return builds, skipped


# --- search -----------------------------------------------------------------------------------
def run_pass(engines: list, queries: list[BenchQuery], label: str) -> list[dict]:
    """Every query through every engine, the engines' order turning by one each query."""
    rows: list[dict] = []
    began = last = time.perf_counter()
    for i, q in enumerate(queries):
        turn = i % len(engines)
        row: dict = {"kind": q.kind, "lang": q.lang, "query": q.text, "order": [], "ms": {}}
        row.update(total={}, titles={}, snippets={}, facets={}, timeline={}, errors={})
        for engine in engines[turn:] + engines[:turn]:
            row["order"].append(engine.name)
            t0 = time.perf_counter()
            try:
                result: Result = engine.search(q.text)
            except Exception as exc:  # noqa: BLE001 - reported per query, not hidden
                row["errors"][engine.name] = f"{type(exc).__name__}: {exc}"
                continue
            row["ms"][engine.name] = (time.perf_counter() - t0) * 1000
            row["total"][engine.name] = result.total
            row["titles"][engine.name] = result.titles
            row["snippets"][engine.name] = result.snippets
            row["facets"][engine.name] = result.facets
            row["timeline"][engine.name] = result.timeline
        rows.append(row)
        now = time.perf_counter()
        if now - last > 10 or i + 1 == len(queries):
            last = now
            sys.stderr.write(f"{label}: {i + 1}/{len(queries)} queries, {now - began:.0f} s\n")
    return rows


def engine_stats(rows: list[dict], name: str) -> dict:
    times = [r["ms"][name] for r in rows if name in r["ms"]] or [math.nan]
    snippets = [n for r in rows for n in r["snippets"].get(name, [])]
    return {
        "queries": sum(1 for r in rows if name in r["ms"]),
        "errors": sum(1 for r in rows if name in r["errors"]),
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "max_ms": max(times),
        "mean_ms": statistics.fmean(times),
        "mean_total": statistics.fmean(
            [r["total"][name] for r in rows if name in r["total"]] or [0]
        ),
        "snippets_per_hit": statistics.fmean(snippets) if snippets else 0.0,
    }


def overlap(a: list[str], b: list[str]) -> float | None:
    """Share of the shorter first page that the other holds too (by title)."""
    if not a or not b:
        return None
    return len(set(a) & set(b)) / min(len(set(a)), len(set(b)))


def compare_totals(rows: list[dict], a: str, b: str) -> dict:
    both = [r for r in rows if a in r["total"] and b in r["total"]]
    differ = [r for r in both if r["total"][a] != r["total"][b]]
    shared = [overlap(r["titles"][a], r["titles"][b]) for r in both]
    shared_known = [x for x in shared if x is not None]
    by_kind: dict[str, list[int]] = {}
    for r in both:
        counts = by_kind.setdefault(r["kind"], [0, 0, 0])
        counts[(r["total"][b] > r["total"][a]) - (r["total"][b] < r["total"][a]) + 1] += 1

    def gap(r: dict) -> float:
        x, y = r["total"][a], r["total"][b]
        return abs(x - y) / max(1, x, y)

    return {
        "queries": len(both),
        "differ": len(differ),
        f"{b}_more": sum(1 for r in differ if r["total"][b] > r["total"][a]),
        f"{b}_fewer": sum(1 for r in differ if r["total"][b] < r["total"][a]),
        # per kind: [b finds fewer, the same, more]
        "by_kind": by_kind,
        "top10_title_overlap": statistics.fmean(shared_known) if shared_known else None,
        "examples": [
            {"query": r["query"], "kind": r["kind"], a: r["total"][a], b: r["total"][b]}
            for r in sorted(differ, key=gap, reverse=True)[:8]
        ],
    }


# --- report -----------------------------------------------------------------------------------
def report(
    engines: list, builds: dict, rows: list[dict], memory: dict, meta: dict
) -> tuple[str, dict]:
    names = [e.name for e in engines]
    labels = {e.name: e.label for e in engines}
    stats = {n: engine_stats(rows, n) for n in names}
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    totals = {f"{a}_vs_{b}": compare_totals(rows, a, b) for a, b in pairs}
    arc = stats["archive"]
    lines = [
        f"=== bench/compare.py: {meta['date']}, commit {meta['commit']} ===",
        f"corpus     {meta['corpus']}: {meta['documents']:,} documents ({meta['scope']}),"
        f" {mb(meta['body_bytes'])} of body text; {len(rows)} queries (seed {meta['seed']})",
        "build      (the archive: `archive ingest`, the whole pipeline: read, extract, describe,"
        " store with fsync, catalogue, index; the others: an in-process index of parsed records)",
    ]
    for n in names:
        b = builds[n]
        extra = ""
        if n == "archive":
            extra = (
                f"; index/ {mb(b['index_bytes'])}, catalog {mb(b['catalog_bytes'])}, originals"
                f" {mb(b['originals_bytes'])}, data root {mb(b['size_bytes'])}"
            )
            if b.get("reused"):
                lines.append(
                    f"  {labels[n]:<15} {b['documents']:,} docs REUSED from --root"
                    f" {meta['root']} (built before: not timed){extra}"
                )
                continue
        elif n == "sqlite":
            extra = f" (optimize {b['optimize_seconds']:.1f} s); {mb(b['size_bytes'])}"
        elif n == "tantivy":
            extra = (
                f" (merges {b['merge_wait_seconds']:.1f} s; {b['segments']} + "
                f"{b['passage_segments']} segments); {mb(b['size_bytes'])}"
            )
        lines.append(
            f"  {labels[n]:<15} {b['documents']:,} docs in {b['seconds']:,.1f} s,"
            f" {b['docs_per_s']:,.0f} docs/s{extra}"
        )
    a = builds["archive"]
    first = a["first_answer_seconds"]
    lines.append(
        f"start      `archive serve` to its first answered search {first:.1f} s (goal 3 s:"
        f" {'met' if first <= READY_GOAL_SECONDS else 'NOT MET'}; listening after"
        f" {a['server_start_seconds']:.1f} s, counting all documents after"
        f" {a['ready_wait_seconds']:.1f} s more)"
    )
    server = memory["archive_server"]
    lines += [
        f"memory     archive server VmRSS {mb(server['rss'])} over {len(server['processes'])}"
        f" processes (peak VmHWM {mb(server['hwm'])}; "
        + ", ".join(f"{p['name']} {mb(p['rss'])}" for p in server["processes"])
        + ")",
        f"           this process (SQLite and Tantivy in-process, and the corpus) VmRSS"
        f" {mb(memory['bench']['rss'])}, peak {mb(memory['bench']['hwm'])}",
        "search     10 hits a page, 3 snippets a hit, facets + timeline; one client, engines"
        " rotated query by query",
        f"  {'engine':<15}{'p50':>9}{'p95':>9}{'max':>9}{'mean':>9}{'mean hits':>11}"
        f"{'snip/hit':>9}  archive÷engine p50, p95",
    ]
    for n in names:
        s = stats[n]
        ratio = ""
        if n != "archive":
            s["archive_over_p50"] = arc["p50_ms"] / s["p50_ms"]
            s["archive_over_p95"] = arc["p95_ms"] / s["p95_ms"]
            ratio = f"  {s['archive_over_p50']:>6.1f}×, {s['archive_over_p95']:.1f}×"
        err = f"  ({s['errors']} errors)" if s["errors"] else ""
        lines.append(
            f"  {labels[n]:<15}{s['p50_ms']:>7.1f}ms{s['p95_ms']:>7.1f}ms{s['max_ms']:>7.1f}ms"
            f"{s['mean_ms']:>7.1f}ms{s['mean_total']:>11,.0f}{s['snippets_per_hit']:>9.2f}"
            f"{ratio}{err}"
        )
    for r in [r for r in rows if r["errors"]][:5]:
        for n, message in r["errors"].items():
            lines.append(f"  error      {labels[n]}: {r['query']}: {message[:120]}")
    floor = meta["http_floor"]
    if floor:
        lines.append(
            f"  (the archive's times include HTTP and JSON: GET {floor['path']}, {floor['bytes']:,}"
            f" bytes, takes {floor['p50_ms']:.2f} ms (p50 of 100) on the same client)"
        )
    lines.append("by kind    p50 ms / mean total hits")
    kinds = list(dict.fromkeys(r["kind"] for r in rows))
    for kind in kinds:
        of_kind = [r for r in rows if r["kind"] == kind]
        cells = []
        for n in names:
            times = [r["ms"][n] for r in of_kind if n in r["ms"]]
            hits = [r["total"][n] for r in of_kind if n in r["total"]]
            if times:
                cells.append(
                    f"{n} {statistics.median(times):6.1f} / {statistics.fmean(hits):7,.0f}"
                )
        lines.append(f"  {kind:<14}{len(of_kind):>4}  " + "   ".join(cells))
    lines.append("totals     (analysis differs between engines: see the notes below)")
    for key, t in totals.items():
        a, b = key.split("_vs_")
        share = t["top10_title_overlap"]
        lines.append(
            f"  {a} vs {b}: {t['differ']} of {t['queries']} queries differ ({b} more in"
            f" {t[f'{b}_more']}, fewer in {t[f'{b}_fewer']});"
            f" first pages share {share:.0%} of titles"
            if share is not None
            else f"  {a} vs {b}: {t['differ']} of {t['queries']} queries differ"
        )
        for ex in t["examples"][:4]:
            lines.append(f"    {ex['kind']:<14} {ex['query'][:48]:<48} {ex[a]:>7,} vs {ex[b]:,}")
    lines += NOTES
    lines.append(
        f"machine    {os.cpu_count()} CPUs, Python {platform.python_version()}, SQLite"
        f" {sqlite3.sqlite_version}, tantivy {meta['tantivy']}; load average (1 min) at start,"
        f" after builds, at end: {', '.join(f'{x:.1f}' for x in meta['loads'])}"
    )
    for why in meta["skipped"]:
        lines.append(f"LEFT OUT   {why}")
    figures = {"stats": stats, "totals": totals}
    return "\n".join(lines), figures


def tantivy_version() -> str:
    try:
        from importlib.metadata import version

        return version("tantivy")
    except Exception:  # noqa: BLE001 - not installed
        return "not installed"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=corpus.DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, help="the first N records of each file")
    parser.add_argument(
        "--scale", type=int, default=1, metavar="K", help="K copies (--scale 5: the 100k set)"
    )
    parser.add_argument("--seed", type=int, default=2024, help="seed of the query set")
    parser.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help="the archive's data root: built there when missing or empty (and kept), reused"
        " when it holds an archive already (the ingest skipped)",
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="write every figure here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    # The timed pass asks the warm-up's queries again: the archive's generation would answer
    # them from memory (archive.search.answers), which measures a lookup, not a search.
    os.environ["ARCHIVE_SEARCH_ANSWERS"] = "0"

    files = corpus.corpus_files(args.corpus)
    if not files:
        parser.error(f"no *.jsonl.gz files in {args.corpus}")
    loads = [os.getloadavg()[0]]
    version = git_version()  # at the start: the tree may change while the bench runs
    date = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    per_file = corpus.read_records(files, args.limit)
    base = corpus.base_records(per_file)
    queries = build_queries(base, args.seed, COMPARE_MIX)
    scope = "all records" if args.limit is None else f"first {args.limit} records a file"
    if args.scale > 1:
        scope += f", {args.scale} copies"
    work = Path(tempfile.mkdtemp(prefix="archive-compare-"))
    engines: list = []
    failed = False
    try:
        builds, skipped = build_engines(per_file, args.scale, work, engines, args.root)
        loads.append(os.getloadavg()[0])
        del per_file  # the engines have them; the queries are drawn
        run_pass(engines, queries, "warm-up")
        rows = run_pass(engines, queries, "timed")
        loads.append(os.getloadavg()[0])
        archive = engines[0]
        memory = {"archive_server": archive.memory(), "bench": own_memory()}
        floor = archive.http_floor()
        meta = {
            "date": date,
            "commit": version,
            "corpus": args.corpus.name,
            "scope": scope,
            "documents": builds["archive"]["documents"],
            "body_bytes": sum(len(r["body"].encode()) for r in base) * args.scale,
            "seed": args.seed,
            "loads": loads,
            "skipped": skipped,
            "tantivy": tantivy_version(),
            "http_floor": floor,
            "root": str(args.root) if args.root else None,
        }
        text, figures = report(engines, builds, rows, memory, meta)
        print("\n" + text)
        tracebacks = archive.tracebacks()
        failed = bool(tracebacks) or any(r["errors"] for r in rows)
        if tracebacks:
            print("archive server tracebacks:\n  " + "\n  ".join(tracebacks[:10]))
        if args.json:
            out = {
                "summary": text,
                **meta,
                "corpus": str(args.corpus),
                "limit": args.limit,
                "scale": args.scale,
                "builds": builds,
                "memory": memory,
                **figures,
                "queries": rows,
            }
            args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False))
            print(f"figures written to {args.json}")
    finally:
        for engine in engines:
            engine.close()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
