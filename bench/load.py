"""Load test: uploaders and searchers against one server on 127.0.0.1, for a bounded time.

    .venv/bin/python bench/load.py [--seconds 60] [--uploaders 20] [--searchers 20]
                                   [--preload 2000|all [--limit N]] [--scale K]
                                   [--root DIR] [--memory-every S]
                                   [--url URL --token TOKEN [--server-pid PID]] [--json OUT]

Without --url it makes a fresh archive in a temporary folder, ingests --preload AllSides
articles with `archive ingest` (so searches have something to find; --preload all: every record
of the corpus, or the first --limit N of each file; --scale K: K copies of them with distinct
ids and shuffled paragraphs, bench/corpus.py, so --preload all --scale 5 is the 100k set),
creates a write token and starts `python -m archive --root ROOT serve` on a free 127.0.0.1
port; the server is stopped at the end. --url must be a loopback address.

--root DIR: the preloaded archive is DIR, built there (timed) when DIR is missing or empty and
kept, or REUSED when DIR already holds one (the ingest skipped; the server must count the
documents --preload, --limit and --scale make, else the run stops). The run itself writes, so
it serves a working copy of DIR in its temporary folder (its seconds are reported): DIR stays
as built and every run starts from the same documents. The 100k set takes ~40 minutes to
build; with --root it is built once.

Without --url the report has the seconds from starting `archive serve` to its first answered
search (goal: 3 s), and the resident memory (VmRSS, from /proc) of the server and ALL its
child processes, sampled every --memory-every seconds (default 5) from before the load to its
end: the total when the load starts, after its first minute and at its end, their ratio (issue
12's goal: within 20% after 10 minutes, --seconds 600, and under 1 GB), each process's peak;
--json holds every sample. With --url, --server-pid PID samples that server the same way.

For --seconds: each uploader POSTs real articles (AllSides, ResistInUA) to /api/documents, each
made unique by a word of its own; each searcher runs a fixed mix of queries with facet filters,
date ranges and sorts against /api/search. A watcher polls /api/search for the words of
recently acknowledged uploads and records, for each, the time from its 201 to the first answer
that finds it (an upper bound: it includes the watcher's poll interval and search time), the
time from its 201 to the start of that search, and every search begun after the 201 that did
not find it (a server answers a write once the index has it, so the goal is 0; counted apart for
a 201 that said "searchable": false, which the server sends once its index wait has run out).
Afterwards the watcher gets up to --drain seconds (default 180) to find the rest, then every
201 is checked once more by search (and, for an archive this script made, in the catalog and on
disk).

Reports: uploads and searches completed, non-2xx counts by status (5xx: goal 0), lost documents
(goal 0), p50/p99/max latency of each, and 201-to-searchable p50/p99/max. Exit status 1 when a
5xx, a lost document, a server traceback or a search begun after a 201 that missed its document
was seen.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402 - the sibling module
import prebuilt  # noqa: E402 - the sibling module
from harness import (  # noqa: E402 - the sibling module, as the other benches import theirs
    CORPORA,
    WORDS_PER_QUERY,
    Doc,
    Server,
    catalog_rows,
    cli,
    file_sha256,
    make_doc,
    originals,
    percentile,
    prepare_root,
    records,
    search_ids,
    unique_word,
)
from memory_samples import MemorySampler, describe  # noqa: E402 - the sibling module

DRAIN_SECONDS = 180.0
WATCH_INTERVAL = 0.1
# A reader's mix: words, phrases, OR and NOT, facet filters, date ranges, sorts, pages.
QUERIES: list[dict[str, str | list[str]]] = [
    {"q": "election"},
    {"q": "trump", "tag": "elections"},
    {"q": "immigration border", "sort": "newest"},
    {"q": '"supreme court"'},
    {"q": "economy OR inflation", "publication": "Washington Times"},
    {"q": "", "sort": "newest"},
    {"q": "ukraine -russia"},
    {"q": "health care", "from": "2018-01-01", "to": "2021-12-31"},
    {"q": "president", "language": "en", "page": "2"},
    {"q": "", "tag": ["politics", "white_house"]},
    {"q": "congress vote", "sort": "oldest"},
    {"q": "senate", "year": "2020"},
]


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.upload_ms: list[float] = []
        self.search_ms: list[float] = []
        self.search_log: list[tuple[float, int, float]] = []  # (began, query number, ms)
        self.statuses: Counter[str] = Counter()  # "upload 500", "search 400", ...
        self.errors: Counter[str] = Counter()  # transport errors by kind
        self.acked: list[Doc] = []
        self.pending: dict[str, Doc] = {}  # word -> acknowledged, not yet seen by the watcher
        self.lag: dict[str, float] = {}  # word -> seconds from 201 to the answer that found it
        self.lag_sent: dict[str, float] = {}  # word -> seconds from 201 to that search's start
        self.missed_after_201 = 0  # a search begun after a "searchable" 201 did not find it
        self.missed_not_searchable = 0  # the same for a 201 that said "searchable": false
        self.not_searchable_201 = 0  # 201s that said "searchable": false (the wait timed out)
        self.not_searchable_sent: list[float] = []  # when each of those was sent (monotonic)

    def status(self, kind: str, code: int) -> None:
        with self.lock:
            self.statuses[f"{kind} {code}"] += 1


def _uploader(url: str, token: str, docs: Documents, stats: Stats, until: float) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=60) as client:
        while time.monotonic() < until:
            doc = next(docs)
            began = time.monotonic()
            try:
                r = client.post(f"{url}/api/documents", json=doc.payload, headers=headers)
            except httpx.TransportError as exc:
                with stats.lock:
                    stats.errors[f"upload {type(exc).__name__}"] += 1
                time.sleep(0.1)
                continue
            took = time.monotonic() - began
            stats.status("upload", r.status_code)
            if r.status_code == 201:
                body = r.json()
                doc.doc_id = body["id"]
                doc.acked_at = time.monotonic()
                doc.payload = {}  # sent: a long run keeps only what the checks need
                doc.searchable = body.get("searchable") is True
                with stats.lock:
                    stats.not_searchable_201 += body.get("searchable") is not True
                    if body.get("searchable") is not True:
                        stats.not_searchable_sent.append(began)
                    stats.upload_ms.append(took * 1000)
                    stats.acked.append(doc)
                    stats.pending[doc.word] = doc


def _searcher(url: str, offset: int, stats: Stats, until: float) -> None:
    with httpx.Client(timeout=60) as client:
        for n in itertools.count(offset):
            if time.monotonic() >= until:
                return
            params = QUERIES[n % len(QUERIES)]
            began = time.monotonic()
            try:
                r = client.get(f"{url}/api/search", params=params)
            except httpx.TransportError as exc:
                with stats.lock:
                    stats.errors[f"search {type(exc).__name__}"] += 1
                time.sleep(0.1)
                continue
            took = time.monotonic() - began
            stats.status("search", r.status_code)
            if r.status_code == 200:
                with stats.lock:
                    stats.search_ms.append(took * 1000)
                    stats.search_log.append((began, n % len(QUERIES), took * 1000))


def _watcher(url: str, stats: Stats, until: float, uploads_done: threading.Event) -> None:
    """Find acknowledged documents by their words, oldest first, and time their lag."""
    with httpx.Client(timeout=60) as client:
        while True:
            with stats.lock:
                waiting = sorted(stats.pending.values(), key=lambda d: d.acked_at or 0)
            if not waiting and uploads_done.is_set():
                return
            if time.monotonic() > until:
                return
            chunk = waiting[:WORDS_PER_QUERY]
            if chunk:
                sent = time.monotonic()  # after every 201 in chunk
                try:
                    found = search_ids(client, url, [d.word for d in chunk])
                except httpx.HTTPError as exc:
                    with stats.lock:
                        stats.errors[f"watcher {type(exc).__name__}"] += 1
                    found = _Failed()
                now = time.monotonic()
                with stats.lock:
                    for doc in chunk:
                        if doc.doc_id in found:
                            stats.lag[doc.word] = now - (doc.acked_at or now)
                            stats.lag_sent[doc.word] = sent - (doc.acked_at or sent)
                            stats.pending.pop(doc.word, None)
                        elif isinstance(found, _Failed):
                            pass
                        elif doc.searchable:
                            stats.missed_after_201 += 1
                        else:  # allowed: the 201 said the index did not have it yet
                            stats.missed_not_searchable += 1
            time.sleep(WATCH_INTERVAL)


class _Failed(set):
    """No answer: the search neither found nor missed anything."""


class Documents:
    """An endless, thread-safe supply of real articles, each made unique by its own word."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.base = records(2000, seed=seed)
        self.counter = itertools.count()
        self.lock = threading.Lock()

    def __next__(self) -> Doc:
        with self.lock:
            n = next(self.counter)
        record = self.base[n % len(self.base)]
        return make_doc(record, unique_word(f"l{self.seed}x", n), max_body=3000)


def _preload_records(count: int | str, limit: int | None = None) -> list[corpus.FileRecords]:
    """The first `count` AllSides records (or "all": every record of the corpus, the first
    `limit` of each file with a limit)."""
    if count == "all":
        return corpus.read_records(corpus.corpus_files(CORPORA), limit)
    assert isinstance(count, int)
    if count <= 0:
        return []
    return corpus.read_records([CORPORA / "allsides_en.jsonl.gz"], count)


def _preload(root: Path, per_file: list[corpus.FileRecords], scale: int, inputs: Path) -> int:
    """Ingest `scale` copies of the records with `archive ingest` (their files written under
    `inputs`); returns how many documents that is."""
    if not per_file:
        return 0
    paths = corpus.write_scaled(per_file, scale, inputs)
    cli(root, "ingest", *map(str, paths), timeout=None)
    return corpus.scaled_count(per_file, scale)


def _server_root(
    work: Path,
    prebuilt_root: Path | None,
    per_file: list,
    scale: int,
    echo,  # noqa: ANN001
) -> tuple[Path, str, dict]:
    """The data root to serve, a write token for it, and how it was made."""
    root = work / "root"
    began = time.monotonic()
    if prebuilt_root is None:
        token = prepare_root(root)
        preloaded = _preload(root, per_file, scale, work / "preload")
        took = time.monotonic() - began
        echo(f"preloaded {preloaded} documents in {took:.0f} s")
        return root, token, {"preload": "built", "preload_seconds": round(took, 1)}
    state = prebuilt.root_state(prebuilt_root)
    made: dict = {"root": str(prebuilt_root), "preload": "reused" if state == "reuse" else "built"}
    if state == "build":
        preloaded = _preload(prebuilt_root, per_file, scale, work / "preload")
        made["preload_seconds"] = round(time.monotonic() - began, 1)
        echo(f"preloaded {preloaded} documents into {prebuilt_root} in"
             f" {made['preload_seconds']:.0f} s (kept for the next run)")  # fmt: skip
    else:
        echo(f"reusing {prebuilt_root} (no ingest)")
    made["copy_seconds"] = round(prebuilt.copy_root(prebuilt_root, root), 1)
    echo(f"serving a working copy of it ({made['copy_seconds']:.0f} s to copy)")
    return root, prebuilt.bench_token(root), made


def run(
    seconds: float = 60,
    uploaders: int = 20,
    searchers: int = 20,
    preload: int | str = 2000,
    url: str | None = None,
    token: str | None = None,
    seed: int = 7,
    echo=print,  # noqa: ANN001 - print or a test's collector
    drain: float = DRAIN_SECONDS,
    scale: int = 1,
    limit: int | None = None,
    prebuilt_root: Path | None = None,
    memory_every: float = 5.0,
    server_pid: int | None = None,
) -> dict:
    work = None
    server = None
    preloaded = None
    root = None
    sampler = None
    made: dict = {}
    load_start = os.getloadavg()[0]
    try:
        if url is None:
            work = Path(tempfile.mkdtemp(prefix="archive-load-"))
            per_file = _preload_records(preload, limit)
            preloaded = corpus.scaled_count(per_file, scale)
            root, token, made = _server_root(work, prebuilt_root, per_file, scale, echo)
            del per_file
            server = Server(root)
            made["listening_seconds"] = round(server.start(timeout=600), 2)
            made["first_answer_seconds"] = round(server.first_answer(), 2)
            url = server.url
            with httpx.Client(timeout=60) as client:
                counted = client.get(f"{url}/api/search", params={"q": "", "per_page": 1})
                prebuilt.check_count(prebuilt_root or root, counted.json()["total"], preloaded)
            echo(
                f"`archive serve` answered its first search after"
                f" {made['first_answer_seconds']:.1f} s (goal 3 s); {preloaded:,} documents"
            )
            server_pid = server.proc.pid
        if server_pid is not None:
            sampler = MemorySampler(server_pid, memory_every)
            sampler.start()
        host = urlsplit(url).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"--url must be a loopback address, not {host}")
        assert token, "a write token is needed (--token)"
        stats = Stats()
        docs = Documents(seed)
        if sampler is not None:
            sampler.mark_start()
        start = time.monotonic()
        until = start + seconds
        uploads_done = threading.Event()
        workers = [
            threading.Thread(target=_uploader, args=(url, token, docs, stats, until), daemon=True)
            for _ in range(uploaders)
        ] + [
            threading.Thread(target=_searcher, args=(url, n, stats, until), daemon=True)
            for n in range(searchers)
        ]
        watcher = threading.Thread(
            target=_watcher, args=(url, stats, until + drain, uploads_done), daemon=True
        )
        for t in [*workers, watcher]:
            t.start()
        for t in workers:
            t.join(seconds + 120)
        elapsed = time.monotonic() - start
        if sampler is not None:
            sampler.stop()
        uploads_done.set()
        watcher.join(drain + 60)

        # every 201 once more: by search, and (an archive of ours) in the catalog and on disk
        lost: list[str] = []
        with httpx.Client(timeout=60) as client:
            found = search_ids(client, url, [d.word for d in stats.acked])
        lost += [f"{d.word} (id {d.doc_id}): not found" for d in stats.acked
                 if d.doc_id not in found]  # fmt: skip
        if root is not None:
            rows = catalog_rows(root)
            files, _ = originals(root)
            for d in stats.acked:
                row = rows.get(d.sha256)
                if row is None or row[0] != d.doc_id:
                    lost.append(f"{d.word} (id {d.doc_id}): no catalog row")
                elif d.sha256 not in files or file_sha256(files[d.sha256]) != d.sha256:
                    lost.append(f"{d.word} (id {d.doc_id}): original missing or damaged")
        lags = list(stats.lag.values())
        fivexx = sum(n for k, n in stats.statuses.items() if k.split()[1].startswith("5"))
        tracebacks = server.tracebacks() if server else []
        slow_rounds = server.slow_rounds() if server else []
        summary = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "seconds": round(elapsed, 1),
            "uploaders": uploaders,
            "searchers": searchers,
            "preloaded": preloaded,
            "uploads_completed": len(stats.acked),
            "searches_completed": len(stats.search_ms),
            "uploads_per_second": round(len(stats.acked) / elapsed, 1),
            "searches_per_second": round(len(stats.search_ms) / elapsed, 1),
            "statuses": dict(sorted(stats.statuses.items())),
            "transport_errors": dict(stats.errors),
            "5xx": fivexx,
            "lost": len(lost),
            "lost_examples": lost[:5],
            "upload_ms": _dist(stats.upload_ms),
            "search_ms": _dist(stats.search_ms),
            # which queries and which minutes make the tail
            "search_ms_by_query": _by_query(stats.search_log),
            "search_ms_by_minute": _by_minute(stats.search_log, start),
            "searchable_after_201_s": _dist(lags, scale=1, digits=2),
            "201_to_start_of_finding_search_s": _dist(
                list(stats.lag_sent.values()), scale=1, digits=2
            ),
            "missed_by_search_begun_after_201": stats.missed_after_201,
            "201_said_not_yet_searchable": stats.not_searchable_201,
            # when the load had run this long (s), each of those uploads was sent
            "not_yet_searchable_sent_at_s": [
                round(t - start, 1) for t in stats.not_searchable_sent
            ],
            "missed_after_a_not_yet_searchable_201": stats.missed_not_searchable,
            "not_seen_by_watcher": len(stats.acked) - len(lags),
            "server_tracebacks": len(tracebacks),
            # what held the index rounds that took over 5 s (the server's warnings)
            "slow_rounds": slow_rounds[:20],
            "load_average_1min_start_end": [load_start, os.getloadavg()[0]],
            **made,
        }
        if sampler is not None:
            summary["memory"] = sampler.figures()
        if tracebacks:
            echo("server output:\n" + server.logs()[-4000:])
        return summary
    finally:
        if sampler is not None:
            sampler.stop()
        if server is not None:
            server.stop()
            server.kill()
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)


def _dist(values: list[float], scale: float = 1, digits: int = 1) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(percentile(values, 50) * scale, digits),
        "p99": round(percentile(values, 99) * scale, digits),
        "max": round(max(values) * scale, digits) if values else float("nan"),
    }


def _by_query(log: list[tuple[float, int, float]]) -> dict[str, dict[str, float]]:
    out = {}
    for number, params in enumerate(QUERIES):
        label = "&".join(f"{k}={v}" for k, v in params.items())
        out[label] = _dist([ms for _, n, ms in log if n == number])
    return out


def _by_minute(log: list[tuple[float, int, float]], start: float) -> list[dict[str, float]]:
    minutes: dict[int, list[float]] = {}
    for began, _, ms in log:
        minutes.setdefault(int((began - start) // 60), []).append(ms)
    return [_dist(minutes[m]) for m in sorted(minutes)]


def _preload_count(text: str) -> int | str:
    if text == "all":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number or 'all', not {text!r}") from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--uploaders", type=int, default=20)
    parser.add_argument("--searchers", type=int, default=20)
    parser.add_argument(
        "--preload", type=_preload_count, default=2000,
        help="AllSides records to ingest first, or 'all' (every record of the corpus).",
    )  # fmt: skip
    parser.add_argument(
        "--scale", type=int, default=1,
        help="K copies of the preloaded records (distinct ids, shuffled paragraphs).",
    )  # fmt: skip
    parser.add_argument(
        "--limit", type=int, help="With --preload all: the first N records of each corpus file.",
    )  # fmt: skip
    parser.add_argument(
        "--root", type=Path, metavar="DIR",
        help="The preloaded archive: built into DIR when missing or empty (and kept), reused"
        " when DIR holds one already; the run serves a working copy of it.",
    )  # fmt: skip
    parser.add_argument(
        "--memory-every", type=float, default=5.0, metavar="S",
        help="Seconds between samples of the server's resident memory (default 5).",
    )  # fmt: skip
    parser.add_argument("--url", help="A running server on 127.0.0.1 (else one is started).")
    parser.add_argument("--token", help="A write token for --url.")
    parser.add_argument(
        "--server-pid", type=int, metavar="PID",
        help="With --url: the server's process id, to sample its memory (and its children's).",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--drain", type=float, default=DRAIN_SECONDS,
        help="After the run, how long the watcher may wait for acknowledged uploads to be found.",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="Write every figure to this file.")
    args = parser.parse_args()
    summary = run(
        args.seconds, args.uploaders, args.searchers, args.preload, args.url, args.token,
        args.seed, drain=args.drain, scale=args.scale, limit=args.limit,
        prebuilt_root=args.root, memory_every=args.memory_every, server_pid=args.server_pid,
    )  # fmt: skip
    print(f"load average (1, 5, 15 min) at the end: {' '.join(map(str, os.getloadavg()))}")
    for key, value in summary.items():
        if key == "search_ms_by_query":
            print(f"  {key}:")
            for label, dist in value.items():
                print(f"    {label or '(empty)'}: {dist}")
        elif key == "search_ms_by_minute":
            print(f"  {key}:")
            for minute, dist in enumerate(value):
                print(f"    minute {minute}: {dist}")
        elif key != "memory":
            print(f"  {key}: {value}")
    if "memory" in summary:
        print("\n".join(describe(summary["memory"])))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    bad = (
        summary["5xx"]
        or summary["lost"]
        or summary["server_tracebacks"]
        or summary["missed_by_search_begun_after_201"]
    )
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
