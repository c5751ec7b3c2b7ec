"""Ingest throughput and search latency of the archive, next to raw Whoosh, in one run.

    .venv/bin/python bench/search.py [--corpus DIR] [--limit N] [--scale K] [--raw-every K]
                                        [--root DIR] [--json OUT] [--keep]

1. Ingest: a fresh archive in a temporary folder runs `Archive.ingest_paths` on every
   *.jsonl.gz of the corpus (../shared/corpora/political-news by default; --limit N takes the
   first N records of each file; --scale K makes K copies of them, bench/corpus.py). The
   baseline, run FIRST, is raw Whoosh on the same schema: `document_fields` of a Document made
   straight from each record (not timed), then only the writer's work (add_document + commit,
   in the archive's batch size) is timed. The archive's memo caches (stems, name keys) are
   emptied before each, so neither inherits them warm.
   The archive prepares the documents in a helper process beside its index writer, as
   `archive ingest` does (archive.prepare_process): its CPU time is counted with the archive's.
2. Search: 200 deterministic queries drawn from the corpus (bench/query_set.py; from copy 0,
   so the same at every scale). The archive's `Archive.search` (facets with counts, 3 snippets
   per hit, 10 per page) against raw Whoosh on the same index and the same compiled queries,
   with Whoosh's grouping, filter and stock highlighter (bench/raw_whoosh.py). One untimed
   warm-up pass of both, then one timed pass in which the two alternate which goes first (the
   archive's remembered answers off, ARCHIVE_SEARCH_ANSWERS=0: the timed pass repeats queries).
3. A summary block to paste into a note; --json OUT writes every figure and per-query time.

--root DIR: the archive's data root is DIR instead of a temporary folder. When DIR is missing
or empty, step 1 runs as above into it and DIR is kept; when DIR already holds an archive it is
REUSED: step 1 is skipped (no ingest, no raw Whoosh build: the report says "reused"), the
archive must count the documents this corpus, --limit and --scale make (else the run stops),
and step 2 runs on it. The 100k set takes ~40 minutes to build: built once, measured many
times. (Archive opens DIR to search it, as a server would: copy a root you do not own first.)

Targets (issue 2): search median < 100 ms and p95 < 300 ms; ingest at least 0.8 of raw Whoosh.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import corpus
import prebuilt
import raw_whoosh
from query_set import BenchQuery, build_queries

from archive.config import Settings
from archive.core.archive import Archive
from archive.errors import ArchiveError
from archive.models import SearchQuery
from archive.search import analysis
from archive.search.variants import load as load_variants
from archive.storage.catalog import Catalog

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = corpus.DEFAULT_CORPUS
PER_PAGE = 10
TARGET_MEDIAN_MS = 100.0
TARGET_P95_MS = 300.0
TARGET_INGEST_RATIO = 0.8
MB = 1_000_000  # decimal megabytes, as the corpus README counts them


# --- small helpers ----------------------------------------------------------------------------
class ProgressLine:
    """One self-rewriting line on a terminal; a line every few seconds into a file."""

    def __init__(self, label: str, total: int, unit: str = "docs") -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.tty = sys.stderr.isatty()
        self.every = 0.25 if self.tty else 10.0
        self.start = self.last = time.perf_counter()
        self.done = 0

    def __call__(self, done: int, *_: object) -> None:
        self.done = done
        now = time.perf_counter()
        if now - self.last < self.every and done < self.total:
            return
        self.last = now
        elapsed = now - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else 0.0
        pct = 100.0 * done / self.total if self.total else 100.0
        line = (
            f"{self.label}: {done:,}/{self.total:,} {self.unit} ({pct:3.0f}%)"
            f"  {rate:,.1f} {self.unit}/s"
            f"  {elapsed:5.1f}s  eta {eta:4.0f}s"
        )
        if self.tty:
            sys.stderr.write("\r" + line.ljust(90))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def git_version() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def empty_caches() -> None:
    """Empty the archive's memo caches (stems, name keys...): neither ingest inherits them warm.
    The names' memos live on the Variants (Variants.memo): load() makes a new one once its own
    cache is cleared here."""
    for cache in analysis._stem_caches.values():
        cache.clear()
    for name, module in list(sys.modules.items()):
        if name == "archive" or name.startswith("archive."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def mb(n: float) -> str:
    return f"{n / MB:,.1f} MB"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def helper_cpu() -> float:
    """CPU seconds of this process's ended (and waited for) children: the import's helper."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


# --- the corpus -------------------------------------------------------------------------------
def load_corpus(
    files: Sequence[Path], limit: int | None, inputs: Path, scale: int = 1
) -> tuple[list[Path], list[dict], list[dict]]:
    """The files the archive should ingest, the records they hold and the records of copy 0
    (what the queries are drawn from, the same at every scale): bench/corpus.py.

    Without a limit or scale the archive reads the corpus files themselves; else the records
    (the first `limit` of each file, `scale` copies of each) are written under `inputs`.
    """
    per_file = corpus.read_records(files, limit)
    base = corpus.base_records(per_file)
    if limit is None and scale == 1:
        return list(files), [r for _, records in per_file for r in records], base
    return corpus.write_scaled(per_file, scale, inputs), list(corpus.scaled(per_file, scale)), base


# --- 1. ingest --------------------------------------------------------------------------------
def bench_ingest(
    paths: list[Path], records: list[dict], work: Path, root: Path | None = None
) -> dict:
    """Raw Whoosh, then the archive (into root, else a folder under work), each timed."""
    # Records the archive refuses (no body text) are left out of the baseline too.
    kept = [r for r in records if raw_whoosh.record_blocks(r)]
    body_bytes = sum(len(r["body"].encode("utf-8")) for r in kept)
    settings = Settings.from_env(root=root or work / "archive")
    print(
        f"corpus: {len(kept):,} documents in {len(paths)} files, {mb(body_bytes)} of body text"
        f" ({len(records) - len(kept)} records without a body left out)"
    )
    print(
        f"batch size {settings.index_batch_size}, writer limitmb {settings.index_memory_mb};"
        " order: raw Whoosh first, then the archive (the archive's memo caches emptied before each)"
    )

    # raw Whoosh first: building the field dicts is not timed
    t0 = time.perf_counter()
    dicts = raw_whoosh.field_dicts(kept, load_variants(settings.variants_path))
    build_s = time.perf_counter() - t0
    empty_caches()
    gc.collect()
    bar = ProgressLine("raw whoosh", len(dicts))
    raw_s, raw_cpu = raw_whoosh.ingest(
        dicts,
        work / "raw-index",
        settings.index_batch_size,
        settings.index_memory_mb,
        settings.writer_timeout,
        bar,
    )
    bar.close()
    del dicts
    raw_rate = len(kept) / raw_s
    print(
        f"raw whoosh: {raw_s:,.1f} s of writer work ({raw_cpu:,.1f} s CPU)  {raw_rate:,.0f} docs/s"
        f"  {body_bytes / MB / raw_s:,.2f} MB/s  (field dicts built untimed in {build_s:.1f} s)"
    )

    empty_caches()
    gc.collect()
    bar = ProgressLine("archive", len(records))
    archive = Archive(settings)
    t0, c0, h0 = time.perf_counter(), time.process_time(), helper_cpu()
    report = archive.ingest_paths(paths, progress=bar)
    archive_s, archive_cpu = time.perf_counter() - t0, time.process_time() - c0
    # the helper process that prepared the documents (archive.prepare_process), waited for
    helper_s = helper_cpu() - h0
    archive_cpu += helper_s
    bar.close()
    added = len(report.added)
    archive_rate = added / archive_s
    print(
        f"archive:    {archive_s:,.1f} s of ingest_paths ({archive_cpu:,.1f} s CPU,"
        f" {helper_s:,.1f} s of it in the helper process)"
        f"  {archive_rate:,.0f} docs/s"
        f"  {body_bytes / MB / archive_s:,.2f} MB/s  (added {added:,},"
        f" duplicates {len(report.duplicates)}, refused {len(report.failed)})"
    )
    for name, reason in report.failed[:5]:
        print(f"  refused: {name}: {reason}")
    pending = archive.unindexed_count()
    if pending:  # a background indexer would make the figure leave out indexing
        print(f"  WARNING: {pending:,} documents were still unindexed when ingest_paths returned")
    ratio = archive_rate / raw_rate
    # CPU seconds per document, raw/archive (the helper's included): less sensitive to other
    # load on a shared machine, but blind to the archive's fsync waits and to its second core.
    cpu_ratio = (raw_cpu / len(kept)) / (archive_cpu / added)
    sizes = {
        "archive_index_bytes": folder_bytes(settings.index_dir),
        "raw_index_bytes": folder_bytes(work / "raw-index"),
        "archive_uploads_bytes": folder_bytes(settings.uploads_dir),
    }
    print(
        f"ingest ratio archive/raw: {ratio:.2f} (target >= {TARGET_INGEST_RATIO}:"
        f" {met(ratio >= TARGET_INGEST_RATIO)}); by CPU time {cpu_ratio:.2f}"
    )
    print(
        f"index size: archive {mb(sizes['archive_index_bytes'])},"
        f" raw {mb(sizes['raw_index_bytes'])};"
        f" archive uploads (originals + catalog) {mb(sizes['archive_uploads_bytes'])}"
    )
    return {
        "archive": archive,
        "kept": kept,
        "figures": {
            "reused": False,
            "documents": len(kept),
            "files": len(paths),
            "body_bytes": body_bytes,
            "archive_added": added,
            "archive_duplicates": len(report.duplicates),
            "archive_refused": len(report.failed),
            "archive_seconds": archive_s,
            "archive_cpu_seconds": archive_cpu,
            "archive_helper_cpu_seconds": helper_s,
            "archive_docs_per_s": archive_rate,
            "archive_mb_per_s": body_bytes / MB / archive_s,
            "raw_seconds": raw_s,
            "raw_cpu_seconds": raw_cpu,
            "raw_docs_per_s": raw_rate,
            "raw_mb_per_s": body_bytes / MB / raw_s,
            "ratio": ratio,
            "cpu_ratio": cpu_ratio,
            "batch_size": settings.index_batch_size,
            **sizes,
        },
    }


def open_prebuilt(root: Path, per_file: list, scale: int, files: int) -> dict:
    """An archive built before (--root): opened, its count checked, its sizes read."""
    expected = corpus.scaled_count(per_file, scale)
    settings = Settings.from_env(root=root)
    archive = Archive(settings)
    try:
        counted = archive.search(SearchQuery(text="", per_page=1)).total
        prebuilt.check_count(root, counted, expected)
    except BaseException:
        archive.close()
        raise
    body_bytes = scale * sum(len(r["body"].encode("utf-8")) for r in corpus.base_records(per_file))
    figures = {
        "reused": True,
        "root": str(root),
        "documents": expected,
        "files": files * scale,
        "body_bytes": body_bytes,
        "archive_index_bytes": folder_bytes(settings.index_dir),
        "archive_uploads_bytes": folder_bytes(settings.uploads_dir),
    }
    print(
        f"archive: REUSED {root} ({counted:,} documents; not built, not timed): index"
        f" {mb(figures['archive_index_bytes'])}, uploads {mb(figures['archive_uploads_bytes'])}"
    )
    return {"archive": archive, "figures": figures}


# --- 2. search --------------------------------------------------------------------------------
def search_query(q: BenchQuery) -> SearchQuery:
    return SearchQuery(
        text=q.text,
        filters=dict(q.filters),
        date_from=q.date_from,
        date_to=q.date_to,
        per_page=PER_PAGE,
    )


def _ms_or_dash(seconds: list[float], width: int = 9) -> str:
    """The median in ms, or a dash where raw Whoosh did not run (see --raw-every)."""
    if not seconds:
        return "-".rjust(width + 2)
    return f"{statistics.median(seconds) * 1000:>{width}.1f}ms"


def stats(rows: Sequence[dict], who: str) -> dict[str, float]:
    times = [p[f"{who}_s"] for p in rows]
    cpu = [p[f"{who}_cpu_s"] for p in rows]
    return {
        "median_ms": statistics.median(times) * 1000,
        "p95_ms": percentile(times, 95) * 1000,
        "max_ms": max(times) * 1000,
        "mean_ms": statistics.fmean(times) * 1000,
        "cpu_median_ms": statistics.median(cpu) * 1000,
        "cpu_p95_ms": percentile(cpu, 95) * 1000,
        "mean_hits": statistics.fmean(p[f"{who}_total"] for p in rows),
    }


def bench_search(archive: Archive, queries: list[BenchQuery], raw_every: int = 1) -> dict:
    """Every query through the archive; every `raw_every`-th also through raw Whoosh, whose
    stock grouping and highlighter take seconds a query on the full corpus."""
    # raw Whoosh reads the archive's own index and catalog files, opened here on their own
    catalog = Catalog(archive.settings.catalog_path)
    variants = load_variants(archive.settings.variants_path)
    raw = raw_whoosh.RawSearch(archive.settings.index_dir, catalog, variants)
    arch_run: Callable[[BenchQuery], int] = lambda q: archive.search(search_query(q)).total  # noqa: E731
    raw_run: Callable[[BenchQuery], int] = lambda q: raw.run(q)[0]  # noqa: E731
    errors: list[str] = []

    def timed(run: Callable[[BenchQuery], int], q: BenchQuery) -> tuple[float, float, int]:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            total = run(q)
        except ArchiveError as exc:
            errors.append(f"{q.describe()}: {exc}")
            total = -1
        return time.perf_counter() - t0, time.process_time() - c0, total

    print(f"\nsearch: {len(queries)} queries, {PER_PAGE} per page; warm-up pass...", flush=True)
    t0 = time.perf_counter()
    bar = ProgressLine("warm-up", len(queries), "queries")
    for n, q in enumerate(queries, 1):
        timed(arch_run, q)
        if (n - 1) % raw_every == 0:
            timed(raw_run, q)
        bar(n)
    bar.close()
    warm_s = time.perf_counter() - t0
    errors.clear()
    print(f"warm-up pass took {warm_s:.1f} s; timed pass (alternating which runs first)...")
    per_query: list[dict] = []
    bar = ProgressLine("timed", len(queries), "queries")
    for i, q in enumerate(queries):
        r_s = r_cpu = None
        r_total = -2
        if i % raw_every:
            a_s, a_cpu, a_total = timed(arch_run, q)
        elif (i // raw_every) % 2 == 0:
            a_s, a_cpu, a_total = timed(arch_run, q)
            r_s, r_cpu, r_total = timed(raw_run, q)
        else:
            r_s, r_cpu, r_total = timed(raw_run, q)
            a_s, a_cpu, a_total = timed(arch_run, q)
        per_query.append(
            {**q.as_dict(), "query": q.describe(), "archive_s": a_s, "archive_cpu_s": a_cpu,
             "archive_total": a_total, "raw_s": r_s, "raw_cpu_s": r_cpu, "raw_total": r_total}
        )  # fmt: skip
        bar(i + 1)
    bar.close()
    raw.close()
    catalog.close()

    paired = [p for p in per_query if p["raw_s"] is not None]
    arch, base = stats(per_query, "archive"), stats(paired, "raw")
    # the ratios compare the same queries: the archive on those raw Whoosh ran too
    sub = stats(paired, "archive")
    if raw_every > 1:
        print(
            f"raw Whoosh on every {raw_every}th query ({len(paired)}); the archive on those:"
            f" median {sub['median_ms']:.1f} ms, p95 {sub['p95_ms']:.1f} ms"
        )
    print(
        f"{'':16}{'median':>10}{'p95':>10}{'max':>10}{'mean':>10}{'CPU med':>10}{'CPU p95':>10}"
        f"{'mean total':>11}"
    )
    for name, s in (("archive", arch), ("raw whoosh", base)):
        print(
            f"{name:16}{s['median_ms']:>8.1f}ms{s['p95_ms']:>8.1f}ms{s['max_ms']:>8.1f}ms"
            f"{s['mean_ms']:>8.1f}ms{s['cpu_median_ms']:>8.1f}ms{s['cpu_p95_ms']:>8.1f}ms"
            f"{s['mean_hits']:>11,.0f}"
        )
    print(
        f"ratio archive/raw on the same {len(paired)} queries:"
        f" median {sub['median_ms'] / base['median_ms']:.2f},"
        f" p95 {sub['p95_ms'] / base['p95_ms']:.2f}, max {sub['max_ms'] / base['max_ms']:.2f}"
    )

    print(f"\nby kind (medians){'':3}{'n':>4}{'archive':>11}{'raw':>11}{'mean total':>11}")
    kinds = list(dict.fromkeys(p["kind"] for p in per_query))
    for kind in kinds:
        rows = [p for p in per_query if p["kind"] == kind]
        print(
            f"  {kind:18}{len(rows):>4}"
            f"{statistics.median(p['archive_s'] for p in rows) * 1000:>9.1f}ms"
            f"{_ms_or_dash([p['raw_s'] for p in rows if p['raw_s'] is not None])}"
            f"{statistics.fmean(p['archive_total'] for p in rows):>11,.0f}"
        )
    print("\nslowest for the archive:")
    for p in sorted(per_query, key=lambda p: -p["archive_s"])[:8]:
        raw_ms = _ms_or_dash([p["raw_s"]] if p["raw_s"] is not None else [], 7)
        print(
            f"  {p['archive_s'] * 1000:7.1f} ms (raw {raw_ms})"
            f"  {p['archive_total']:>6,} hits  {p['kind']:<18} {p['query']}"
        )
    mismatched = [p for p in paired if p["archive_total"] != p["raw_total"]]
    no_hits = sum(1 for p in per_query if p["archive_total"] == 0)
    print(
        f"\ntotals archive vs raw: {len(paired) - len(mismatched)} of {len(paired)} agree;"
        f" {no_hits} queries without hits; {len(errors)} errors"
    )
    for p in mismatched[:5]:
        print(f"  differs: {p['query']}: archive {p['archive_total']}, raw {p['raw_total']}")
    for e in errors[:5]:
        print(f"  error: {e}")
    return {
        "archive": arch,
        "raw": base,
        "archive_on_raw_queries": sub,
        "raw_every": raw_every,
        "warmup_seconds": warm_s,
        "totals_mismatched": len(mismatched),
        "queries_without_hits": no_hits,
        "errors": errors,
        "queries": per_query,
    }


def write_results(archive: Archive, queries: list[BenchQuery], out: Path) -> None:
    """Each query's results, untimed, one JSON line a query: what must not change when only the
    code's layout does (hit ids in order, totals, facet counts, timeline, suggestion)."""
    with out.open("w", encoding="utf-8") as f:
        for q in queries:
            page = archive.search(search_query(q))
            row = {
                "query": q.describe(),
                "total": page.total,
                "hits": [h.id for h in page.hits],
                "facets": {k: [[v.value, v.count] for v in vs] for k, vs in page.facets.items()},
                "timeline": [[b.label, b.count] for b in page.timeline],
                "suggestion": page.suggestion,
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"results of {len(queries)} queries written to {out}")


# --- 3. summary -------------------------------------------------------------------------------
def summary(
    ing: dict,
    srch: dict,
    folder: Path,
    limit: int | None,
    scale: int,
    loads: Sequence[float],
    version: str,
) -> tuple[str, dict]:
    a, r, same = srch["archive"], srch["raw"], srch["archive_on_raw_queries"]
    n_raw = sum(1 for p in srch["queries"] if p["raw_s"] is not None)
    raw_scope = "all" if srch["raw_every"] == 1 else f"every {srch['raw_every']}th"
    ok = {
        "search_median": a["median_ms"] < TARGET_MEDIAN_MS,
        "search_p95": a["p95_ms"] < TARGET_P95_MS,
    }
    if not ing["reused"]:
        ok["ingest_ratio"] = ing["ratio"] >= TARGET_INGEST_RATIO
    scope = "all records" if limit is None else f"first {limit} records per file"
    if scale > 1:
        scope += f", {scale} copies"
    lines = [
        f"=== bench/search.py: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {version} ===",
        f"corpus        {folder.name}: {ing['documents']:,} documents ({scope}, {ing['files']}"
        f" files), {mb(ing['body_bytes'])} body text",
    ]
    if ing["reused"]:
        lines += [
            f"ingest        REUSED --root {ing['root']} (built before: not timed, no raw Whoosh"
            " index)",
            f"index size    archive {mb(ing['archive_index_bytes'])}; uploads (originals +"
            f" catalog) {mb(ing['archive_uploads_bytes'])}",
        ]
    else:
        lines += [
            f"ingest        archive {ing['archive_docs_per_s']:,.0f} docs/s"
            f" ({ing['archive_mb_per_s']:.2f} MB/s, {ing['archive_seconds']:,.1f} s);"
            f" raw Whoosh {ing['raw_docs_per_s']:,.0f} docs/s ({ing['raw_mb_per_s']:.2f} MB/s,"
            f" {ing['raw_seconds']:,.1f} s)",
            f"ingest ratio  {ing['ratio']:.2f} archive/raw docs/s (raw ran first; batches of"
            f" {ing['batch_size']}); by CPU seconds per document {ing['cpu_ratio']:.2f}",
            f"index size    archive {mb(ing['archive_index_bytes'])},"
            f" raw {mb(ing['raw_index_bytes'])}",
        ]
    ingest_target = (
        f" ingest ratio >= {TARGET_INGEST_RATIO}: {met(ok['ingest_ratio'])}"
        if "ingest_ratio" in ok
        else " ingest ratio: - (reused)"
    )
    lines += [
        f"search        {len(srch['queries'])} queries, {PER_PAGE}/page, facets + 3 snippets/hit",
        f"  archive     median {a['median_ms']:.1f} ms, p95 {a['p95_ms']:.1f} ms,"
        f" max {a['max_ms']:.1f} ms (CPU median {a['cpu_median_ms']:.1f} ms,"
        f" p95 {a['cpu_p95_ms']:.1f} ms), mean total hits {a['mean_hits']:,.0f}",
        f"  raw Whoosh  median {r['median_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms,"
        f" max {r['max_ms']:.1f} ms (CPU median {r['cpu_median_ms']:.1f} ms,"
        f" p95 {r['cpu_p95_ms']:.1f} ms) over {n_raw} queries ({raw_scope});"
        " Whoosh grouping + stock highlighter, top=3",
        f"  ratio       median {same['median_ms'] / r['median_ms']:.3f}, p95"
        f" {same['p95_ms'] / r['p95_ms']:.3f} (archive/raw on the same {n_raw} queries)",
        f"targets       search median < {TARGET_MEDIAN_MS:.0f} ms: {met(ok['search_median'])};"
        f" p95 < {TARGET_P95_MS:.0f} ms: {met(ok['search_p95'])};{ingest_target}",
        f"machine       {os.cpu_count()} CPUs; load average (1 min) at start, after ingest, at"
        f" end: {', '.join(f'{x:.1f}' for x in loads)}",
    ]
    return "\n".join(lines), ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of *.jsonl.gz")
    parser.add_argument("--limit", type=int, help="the first N records of each file")
    parser.add_argument(
        "--scale",
        type=int,
        default=1,
        metavar="K",
        help="K copies of the corpus, each copy's records with distinct ids and shuffled"
        " paragraphs (bench/corpus.py); --scale 5 makes the 100k set",
    )
    parser.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help="the archive's data root: built there when missing or empty (and kept), reused"
        " when it holds an archive already (no ingest)",
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the figures here")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the query set")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--results",
        type=Path,
        metavar="OUT",
        help="write each query's hit ids, totals and facet counts here (JSON Lines), to compare"
        " two versions' results",
    )
    parser.add_argument(
        "--raw-every",
        type=int,
        default=1,
        metavar="K",
        help="time raw Whoosh on every K-th query only (it takes seconds a query at 20k docs)",
    )
    args = parser.parse_args(argv)
    # The timed pass asks the warm-up's queries again: the archive's generation would answer
    # them from memory (archive.search.answers), which measures a lookup, not a search.
    os.environ["ARCHIVE_SEARCH_ANSWERS"] = "0"

    files = sorted(args.corpus.glob("*.jsonl.gz"))
    if not files:
        parser.error(f"no *.jsonl.gz files in {args.corpus}")
    work = Path(tempfile.mkdtemp(prefix="archive-bench-"))
    try:
        (work / "inputs").mkdir()
        loads = [os.getloadavg()[0]]
        version = git_version()  # at the start: the tree may change while the bench runs
        state = prebuilt.root_state(args.root) if args.root else "build"
        if state == "reuse":
            per_file = corpus.read_records(files, args.limit)
            base = corpus.base_records(per_file)
            ing = open_prebuilt(args.root, per_file, args.scale, len(files))
            del per_file
        else:
            paths, records, base = load_corpus(files, args.limit, work / "inputs", args.scale)
            ing = bench_ingest(paths, records, work, args.root)
            del records
        loads.append(os.getloadavg()[0])
        archive = ing["archive"]
        try:
            queries = build_queries(base, args.seed)
            srch = bench_search(archive, queries, args.raw_every)
            if args.results:
                write_results(archive, queries, args.results)
        finally:
            archive.close()
        loads.append(os.getloadavg()[0])
        text, ok = summary(
            ing["figures"], srch, args.corpus, args.limit, args.scale, loads, version
        )
        print("\n" + text)
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "summary": text,
                        "targets_met": ok,
                        "corpus": str(args.corpus),
                        "limit": args.limit,
                        "scale": args.scale,
                        "seed": args.seed,
                        "commit": version,
                        "ingest": ing["figures"],
                        "search": srch,
                    },
                    indent=1,
                    ensure_ascii=False,
                )
            )
            print(f"figures written to {args.json}")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
