"""The archive as a reader's script meets it: `archive ingest`, `archive serve`, GET /api/search.

Only the archive's public faces are used: its command line (a fresh data root in a temporary
folder, or a prebuilt one: bench/prebuilt.py, ingested with `python -m archive --root ROOT
ingest FILES…`, then served by a real `python -m archive --root ROOT serve` on a free
127.0.0.1 port, bench/harness.py's Server) and
its JSON API, one keep-alive HTTP client asking GET /api/search?q=…&per_page=10. The answer
carries the total, the hits with up to 3 snippets each, every facet's counts and the timeline.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from engines import PER_PAGE, Result
from harness import REPO, SERVER_ENV, Server, die_with_parent
from prebuilt import check_count, folder_bytes

READY_SECONDS = 600.0
# A small static file: its round trip is what HTTP and the app's middleware cost a request.
FLOOR_PATH = "/static/curation.css"


class ArchiveEngine:
    name = "archive"
    label = "archive (HTTP)"

    def __init__(self, root: Path, log_dir: Path) -> None:
        """root: the archive's data root (built by build(), or prebuilt and opened by start());
        log_dir: where the server's output goes."""
        self.root = root
        self.log_dir = log_dir
        self.server: Server | None = None
        self.client: httpx.Client | None = None

    def build(self, paths: list[Path], expected: int) -> dict[str, float]:
        """`archive ingest` of the files (timed: read, extract, describe, store with fsync,
        catalogue, index), then the server, ready once a search counts every document."""
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "archive", "--root", str(self.root), "ingest",
             *map(str, paths)],
            stdout=subprocess.PIPE, text=True, cwd=REPO, env={**os.environ, **SERVER_ENV},
            preexec_fn=die_with_parent,
        )  # fmt: skip
        seconds = time.perf_counter() - began
        last = done.stdout.strip().splitlines()[-1:] or [""]
        if done.returncode != 0:
            raise RuntimeError(f"archive ingest: exit {done.returncode}\n{done.stdout[-4000:]}")
        return {
            "documents": expected,
            "seconds": seconds,
            "ingest_output": last[0],
            "reused": False,
            **self.start(expected),
        }

    def start(self, expected: int) -> dict[str, float]:
        """`archive serve` on the root, timed to its first answered search, then waited for
        until a search with no words counts `expected` documents (RootError when a prebuilt
        root settles on another count)."""
        self.server = Server(self.root, log_dir=self.log_dir)
        started = self.server.start(timeout=READY_SECONDS)
        first = self.server.first_answer(timeout=READY_SECONDS)
        self.client = httpx.Client(base_url=self.server.url, timeout=120)
        waited = self._wait_for(expected)
        return {
            "server_start_seconds": started,
            "first_answer_seconds": first,
            "ready_wait_seconds": waited,
        }

    def count(self) -> int | None:
        """Documents a search with no words counts (None while the server answers 503)."""
        assert self.client is not None
        r = self.client.get("/api/search", params={"q": "", "per_page": 1})
        return r.json()["total"] if r.status_code == 200 else None

    def _wait_for(self, expected: int, settle: float = 30.0) -> float:
        """Seconds until a search with no words counts `expected` documents. A count that
        stays the same for `settle` seconds without reaching it (a prebuilt root of another
        corpus) raises RootError."""
        began = last_change = time.perf_counter()
        last = None
        while True:
            counted = self.count()
            now = time.perf_counter()
            if counted is not None and counted >= expected:
                check_count(self.root, counted, expected)
                return now - began
            if counted != last:
                last, last_change = counted, now
            elif counted is not None and now - last_change > settle:
                check_count(self.root, counted, expected)
            if now - began > READY_SECONDS:
                raise RuntimeError(f"the archive counts {counted}, not {expected} documents")
            time.sleep(0.5)

    def search(self, text: str) -> Result:
        assert self.client is not None
        r = self.client.get("/api/search", params={"q": text, "per_page": PER_PAGE})
        r.raise_for_status()
        page = r.json()
        facets = {
            facet: [(v["value"], v["count"]) for v in values]
            for facet, values in page["facets"].items()
        }
        return Result(
            page["total"],
            [h["title"] for h in page["hits"]],
            [len(h["snippets"]) for h in page["hits"]],
            facets,
            [(b["period"], b["count"]) for b in page["timeline"]],
        )

    def http_floor(self, n: int = 100) -> dict[str, float] | None:
        """Milliseconds of GET FLOOR_PATH (after 10 untimed): p50 and mean of n, None if the
        file is not there."""
        assert self.client is not None
        times: list[float] = []
        for i in range(n + 10):
            t0 = time.perf_counter()
            r = self.client.get(FLOOR_PATH)
            if r.status_code != 200:
                return None
            if i >= 10:
                times.append((time.perf_counter() - t0) * 1000)
        return {"path": FLOOR_PATH, "bytes": len(r.content), "p50_ms": sorted(times)[n // 2],
                "mean_ms": sum(times) / n}  # fmt: skip

    def memory(self) -> dict[str, object]:
        """VmRSS and VmHWM (peak) of the server and every process under it, in bytes."""
        assert self.server is not None and self.server.proc is not None
        return process_tree_memory(self.server.proc.pid)

    def size_bytes(self) -> int:
        return folder_bytes(self.root)

    def index_bytes(self) -> int:
        return folder_bytes(self.root / "index")

    def catalog_bytes(self) -> int:
        """The catalog with its WAL."""
        uploads = self.root / "uploads"
        return sum(folder_bytes(p) if p.is_dir() else p.stat().st_size
                   for p in uploads.glob("catalog.sqlite3*"))  # fmt: skip

    def originals_bytes(self) -> int:
        return folder_bytes(self.root / "uploads" / "originals")

    def tracebacks(self) -> list[str]:
        return self.server.tracebacks() if self.server else []

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.server is not None:
            self.server.stop()
            self.server.kill()


def _status(pid: int) -> dict[str, str]:
    fields: dict[str, str] = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def _children(pid: int) -> list[int]:
    """Every live process whose parent is pid (from /proc/*/stat)."""
    out: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid …: comm may hold spaces and parentheses, so split after it
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            out.append(int(entry))
    return out


def _pss(pid: int) -> int:
    """The process's proportional set size in bytes (a page shared by n processes counts 1/n:
    libraries, the page cache of files they map), from /proc/PID/smaps_rollup; 0 if unread."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def process_tree_memory(pid: int) -> dict[str, object]:
    """VmRSS and VmHWM of a process and all its descendants (kB in /proc, bytes here), with
    each one's anonymous part (RssAnon) and proportional set size (PSS): their total counts a
    page shared by several of them once, which the RSS total counts in each."""
    rows: list[dict[str, object]] = []
    todo = [pid]
    while todo:
        p = todo.pop(0)
        try:
            status = _status(p)
        except OSError:
            continue
        rows.append(
            {
                "pid": p,
                "name": "server" if p == pid else f"child {p}",
                "rss": int(status.get("VmRSS", "0 kB").split()[0]) * 1024,
                "hwm": int(status.get("VmHWM", "0 kB").split()[0]) * 1024,
                "anon": int(status.get("RssAnon", "0 kB").split()[0]) * 1024,
                "pss": _pss(p),
            }
        )
        todo.extend(_children(p))
    return {
        "processes": rows,
        "rss": sum(r["rss"] for r in rows),  # type: ignore[misc]
        "hwm": sum(r["hwm"] for r in rows),  # type: ignore[misc]
        "anon": sum(r["anon"] for r in rows),  # type: ignore[misc]
        "pss": sum(r["pss"] for r in rows),  # type: ignore[misc]
    }


def own_memory() -> dict[str, int]:
    """This process's VmRSS and VmHWM, in bytes."""
    status = _status(os.getpid())
    return {k.lower(): int(status[f"Vm{k}"].split()[0]) * 1024 for k in ("RSS", "HWM")}
