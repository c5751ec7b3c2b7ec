"""Import (or reindex) speed over time and the memory of every process it runs.

    .venv/bin/python bench/ingest.py --scale 5 --root /tmp/x/root          # the 100k import
    .venv/bin/python bench/ingest.py --reindex --root /tmp/x/root          # then rebuild its index
    .venv/bin/python bench/ingest.py --files /tmp/x/files --root /tmp/x/root  # files written before

Runs the real `archive ingest` (or `archive reindex`) as a child process, reads its progress
line, and samples the resident memory of the child and every process under it (the prepare
helper, Whoosh's sub-writers) twice a second. Prints the rate of each --step documents, so a
late slowdown shows, the whole run's rate, and each process's peak resident memory.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from corpus import DEFAULT_CORPUS, corpus_files, read_records, write_scaled

REPO = Path(__file__).resolve().parent.parent
PROGRESS_RE = re.compile(r"(?:ingesting|reindexing)\D*?([\d,]+)")
PAGE = os.sysconf("SC_PAGE_SIZE")


def descendants(pid: int) -> list[int]:
    """pid and every process under it (from /proc's parent links)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


TICKS = os.sysconf("SC_CLK_TCK")


def resident(pid: int) -> tuple[int, str, float] | None:
    """(resident bytes, a short name, CPU seconds so far) of a live process, else None."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(stat[11]) + int(stat[12])) / TICKS
    except (OSError, ValueError, IndexError):
        return None
    if "prepare import main" in cmd:
        name = "prepare helper"
    elif "-m archive" in cmd:
        name = "archive (writer)"
    else:
        name = "child: " + cmd[:60]
    return pages * PAGE, name, cpu


class Sampler(threading.Thread):
    """Peak resident memory and CPU time of each process under pid, and the largest total
    resident memory at one moment."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peaks: dict[int, tuple[int, str]] = {}
        self.cpu: dict[int, float] = {}
        self.peak_total = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            total = 0
            for p in descendants(self.pid):
                got = resident(p)
                if got is None:
                    continue
                if p != self.pid and got[1] == "archive (writer)":
                    got = (got[0], "Whoosh sub-writer (forked)", got[2])
                total += got[0]
                self.cpu[p] = got[2]
                if got[0] > self.peaks.get(p, (0, ""))[0]:
                    self.peaks[p] = got[:2]
            self.peak_total = max(self.peak_total, total)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, required=True, help="the archive's data root")
    ap.add_argument("--scale", type=int, default=1, help="copies of the corpus (5: 100k)")
    ap.add_argument("--limit", type=int, default=None, help="records a corpus file at most")
    ap.add_argument("--files", type=Path, default=None, help="ingest these *.jsonl.gz instead")
    ap.add_argument("--reindex", action="store_true", help="run `archive reindex` on root")
    ap.add_argument("--step", type=int, default=5000, help="documents a rate line")
    args = ap.parse_args()

    if args.reindex:
        cmd = ["reindex"]
    else:
        if args.files is not None:
            paths = sorted(args.files.glob("*.jsonl.gz"))
        else:
            per_file = read_records(corpus_files(DEFAULT_CORPUS), args.limit)
            paths = write_scaled(per_file, args.scale, args.root.parent / "files")
        cmd = ["ingest", *map(str, paths)]
    env = {**os.environ, "ARCHIVE_RATE_LIMITS": "off"}
    argv = [sys.executable, "-m", "archive", "--root", str(args.root), *cmd]
    start = time.monotonic()
    child = subprocess.Popen(argv, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(child.pid)
    sampler.start()
    assert child.stderr is not None
    last_done, last_time, next_mark = 0, start, args.step
    print(f"{'documents':>10} {'docs/s':>8} {'overall':>8} {'elapsed s':>10}", flush=True)
    for line in child.stderr:
        match = PROGRESS_RE.search(line)
        if not match:
            sys.stderr.write(line)
            continue
        done, now = int(match.group(1).replace(",", "")), time.monotonic()
        if done >= next_mark:
            rate = (done - last_done) / max(now - last_time, 1e-9)
            overall = done / max(now - start, 1e-9)
            print(f"{done:>10,} {rate:>8.1f} {overall:>8.1f} {now - start:>10.0f}", flush=True)
            last_done, last_time = done, now
            next_mark = (done // args.step + 1) * args.step
    code = child.wait()
    elapsed = time.monotonic() - start
    sampler.stop.set()
    sampler.join()
    print(f"exit {code}; {elapsed:,.0f} s; load average now {Path('/proc/loadavg').read_text()}")
    for pid, (peak, name) in sorted(sampler.peaks.items()):
        cpu = sampler.cpu.get(pid, 0.0)
        print(f"  peak resident {peak / 2**20:,.0f} MB  CPU {cpu:,.0f} s  pid {pid}  {name}")
    print(f"  CPU of all together {sum(sampler.cpu.values()):,.0f} s (seen at the last sample)")
    print(f"  peak resident of all together {sampler.peak_total / 2**20:,.0f} MB")


if __name__ == "__main__":
    main()
