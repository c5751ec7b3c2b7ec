"""Resident memory of a server and all its child processes, sampled over a run.

    sampler = MemorySampler(server_pid, every=5.0)
    sampler.start()              # a daemon thread: one sample now, then every `every` seconds
    ...                          # the run; sampler.mark_start() when the load begins
    sampler.stop()               # one last sample, then the thread ends
    figures = sampler.figures(first_minute=60.0)

Each sample is the VmRSS of every process in the tree (from /proc/PID/status, as `ps` shows
it), their total, and this process's own VmRSS (the bench's, to show it stays bounded). A run
of 600 s at one sample every 5 s keeps 121 samples of a few processes each. The goals are judged
on the VmRSS total, which counts a page shared by several processes (Python's and NumPy's
libraries, read-only file pages) once in each; the report also gives the same windows' PSS
total (such a page once in all: /proc/PID/smaps_rollup) and anonymous memory (RssAnon).
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

from archive_engine import own_memory, process_tree_memory

# issue 12: after 10 minutes under load within 20% of the size after the first minute; all the
# server's processes together under 1 GB
GROWTH_GOAL = 1.2
TOTAL_GOAL_BYTES = 1_000_000_000
# The server's total swings by a third from one sample to the next under load (a Python heap
# between collections, the index worker between batches), so the goal is judged on the median
# of a window of samples, not on one: the first minute's last 30 s against the run's last 30 s.
WINDOW_SECONDS = 30.0


def process_name(pid: int, server_pid: int) -> str:
    """A short name for a process of the server's tree, from its command line."""
    if pid == server_pid:
        return "server"
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return f"pid {pid}"
    text = " ".join(a.decode(errors="replace") for a in argv if a)
    for marker, name in (("core.worker", "index worker"), ("core.prepare", "prepare helper")):
        if marker in text:
            return name
    return text[-60:] or f"pid {pid}"


class MemorySampler:
    def __init__(self, server_pid: int, every: float = 5.0) -> None:
        self.server_pid = server_pid
        self.every = every
        self.samples: list[dict] = []
        self.names: dict[int, str] = {}
        self.peaks: dict[int, int] = {}  # pid -> highest VmRSS sampled
        self.hwm: dict[int, int] = {}  # pid -> VmHWM (the kernel's peak) when last seen
        self.began = time.monotonic()
        self.load_started: float | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="memory", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def mark_start(self) -> None:
        """The load begins now: sample times are counted from here (earlier ones are < 0)."""
        self.load_started = time.monotonic()
        self.sample("load starts")

    def stop(self, label: str = "load ends") -> None:
        """The last sample (once: later calls do nothing)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(30)
        self.sample(label)

    def _run(self) -> None:
        self.sample("idle")
        while not self._stop.wait(self.every):
            self.sample()

    def sample(self, label: str | None = None) -> dict:
        tree = process_tree_memory(self.server_pid)
        now = time.monotonic()
        rss: dict[str, int] = {}
        with self._lock:
            for row in tree["processes"]:  # type: ignore[union-attr]
                pid = int(row["pid"])
                if pid not in self.names:
                    self.names[pid] = process_name(pid, self.server_pid)
                self.peaks[pid] = max(self.peaks.get(pid, 0), int(row["rss"]))
                self.hwm[pid] = int(row["hwm"])
                rss[str(pid)] = int(row["rss"])
            origin = self.load_started if self.load_started is not None else self.began
            entry = {
                "t": round(now - origin, 1),
                "total_rss": int(tree["rss"]),  # type: ignore[arg-type]
                "total_pss": int(tree["pss"]),  # type: ignore[arg-type]
                "total_anon": int(tree["anon"]),  # type: ignore[arg-type]
                "rss": rss,
                "bench_rss": own_memory()["rss"],
            }
            if label:
                entry["label"] = label
            self.samples.append(entry)
        return entry

    def figures(self, first_minute: float = 60.0) -> dict:
        """The total after the first minute of load and at its end, their ratio against the
        goal, each process's peak, and every sample."""
        with self._lock:
            during = [s for s in self.samples if s["t"] >= 0 and self.load_started is not None]
            idle = next((s for s in self.samples if s.get("label") == "load starts"), None)
            minute = next((s for s in during if s["t"] >= first_minute), None)
            end = next((s for s in reversed(self.samples) if s.get("label") == "load ends"), None)
            end = end or (during[-1] if during else None)
            # the sample at the minute may land a little after it
            first_window = self._window(
                during, first_minute - WINDOW_SECONDS, first_minute + self.every / 2
            )
            end_t = end["t"] if end else 0.0
            # only when the run is long enough that the two windows do not overlap
            last_window = (
                self._window(during, end_t - WINDOW_SECONDS, end_t)
                if first_window and end_t - WINDOW_SECONDS >= first_minute
                else None
            )
            ratio = (
                last_window["median"] / first_window["median"]
                if first_window and last_window
                else None
            )
            # the same windows of the PSS total (shared pages once) and of the anonymous memory
            shared = {
                kind: [
                    self._window(during, w["from_t"], w["to_t"], f"total_{kind}") if w else None
                    for w in (first_window, last_window)
                ]
                for kind in ("pss", "anon")
            }
            processes = [
                {
                    "pid": pid,
                    "name": self.names[pid],
                    "peak_rss": self.peaks[pid],
                    "vmhwm": self.hwm[pid],
                }
                for pid in self.names
            ]
            return {
                "every_seconds": self.every,
                "at_load_start": idle["total_rss"] if idle else None,
                "after_first_minute": minute["total_rss"] if minute else None,
                "first_minute_sample_t": minute["t"] if minute else None,
                "at_end": end["total_rss"] if end else None,
                "first_minute_window": first_window,
                "last_window": last_window,
                "end_over_first_minute": round(ratio, 3) if ratio else None,
                "growth_goal_met": ratio <= GROWTH_GOAL if ratio else None,
                "under_1gb_at_end": (
                    (last_window or first_window or {"max": end["total_rss"]})["max"]
                    < TOTAL_GOAL_BYTES
                    if end
                    else None
                ),
                "peak_total_rss": max((s["total_rss"] for s in self.samples), default=None),
                "pss_windows": shared["pss"],
                "anon_windows": shared["anon"],
                "bench_peak_rss": max((s["bench_rss"] for s in self.samples), default=None),
                "processes": processes,
                "samples": list(self.samples),
            }

    @staticmethod
    def _window(
        samples: list[dict], start: float, end: float, total: str = "total_rss"
    ) -> dict | None:
        """Median and maximum total of the samples taken from start to end (seconds of load)."""
        totals = [s[total] for s in samples if start <= s["t"] <= end and total in s]
        if not totals:
            return None
        return {"from_t": start, "to_t": end, "samples": len(totals),
                "median": int(statistics.median(totals)), "max": max(totals)}  # fmt: skip


def describe(figures: dict) -> list[str]:
    """The report's lines for figures()."""

    def mb(n: int | None) -> str:
        return "-" if n is None else f"{n / 1e6:,.0f} MB"

    def window(w: dict | None) -> str:
        if w is None:
            return "-"
        return (f"median {mb(w['median'])}, max {mb(w['max'])} (t {w['from_t']:g}-"
                f"{w['to_t']:g} s, {w['samples']} samples)")  # fmt: skip

    ratio = figures["end_over_first_minute"]
    if ratio is None:
        growth = (
            f"no ratio: the run is too short for a {WINDOW_SECONDS:g} s window after its first"
            " minute and another at its end"
        )
    else:
        met = "met" if figures["growth_goal_met"] else "NOT MET"
        growth = f"last window/first minute's {ratio:.2f} by medians (goal <= {GROWTH_GOAL}: {met})"
    under = figures["under_1gb_at_end"]
    lines = [
        f"memory (VmRSS of the server and all its children, a sample every"
        f" {figures['every_seconds']:g} s; {len(figures['samples'])} samples)",
        f"  at load start {mb(figures['at_load_start'])}; after the first minute"
        f" {mb(figures['after_first_minute'])} (t={figures['first_minute_sample_t']} s);"
        f" at the end {mb(figures['at_end'])}; peak {mb(figures['peak_total_rss'])}",
        f"  first minute's last {WINDOW_SECONDS:g} s: {window(figures['first_minute_window'])}",
        f"  the run's last {WINDOW_SECONDS:g} s:     {window(figures['last_window'])}",
        f"  {growth}; under 1 GB (the last window's max, else the last sample):"
        f" {'-' if under is None else ('met' if under else 'NOT MET')}",
    ]
    for kind, label in (("pss", "PSS, shared pages once"), ("anon", "anonymous (RssAnon)")):
        first, last = figures.get(f"{kind}_windows") or (None, None)
        if first:
            ratio = f"; ratio {last['median'] / first['median']:.2f}" if last else ""
            lines.append(
                f"  {label}: first minute's last {WINDOW_SECONDS:g} s median {mb(first['median'])},"
                f" the run's last {WINDOW_SECONDS:g} s median {mb(last['median']) if last else '-'}"
                f" (max {mb(last['max']) if last else '-'}){ratio}"
            )
    for p in figures["processes"]:
        lines.append(
            f"  {p['name']:<16} pid {p['pid']:<8} peak sampled {mb(p['peak_rss'])},"
            f" VmHWM {mb(p['vmhwm'])}"
        )
    lines.append(f"  this bench's own peak VmRSS {mb(figures['bench_peak_rss'])}")
    return lines
