"""Crash trials: upload a batch over HTTP, SIGKILL the server mid-batch, restart, check everything.

    .venv/bin/python bench/crash.py [--trials 20] [--docs 500] [--clients 6] [--seed N] [--json OUT]

Each trial: a fresh archive (an archivist and a write token, copied from a template) served by
`python -m archive --root ROOT serve` on 127.0.0.1; `--clients` threads upload `--docs` real
articles (AllSides, ResistInUA) through POST /api/documents, each with a word of its own. The
server is killed with SIGKILL after a random number of 201s (uniform over the batch): in
"random" trials at once (plus 0-50 ms), in "writer" trials as soon as the index folder shows a
Whoosh writer at work (MAIN.tmp, or segment files the table of contents does not list). Trials
alternate random, writer, random…

After the kill: were uncommitted Whoosh files left (the kill landed inside a Whoosh write or
commit)? Then restart on the same root and check:
  - every acknowledged document (a 201: its id and the sha256 of the text sent) has its catalog
    row under that id and its original with that checksum, and is found by /api/search for its
    word; the seconds from restart until all are found are reported;
  - every upload that was sent but not acknowledged is wholly present (row + intact file, and
    searchable) or wholly absent (neither): never half;
  - no .tmp- file under uploads/originals, no original without a row;
  - the server's output shows no traceback; then after a clean stop `archive check` reports
    0 problems.
A line per trial and a summary; the exit status is 1 when any check failed.
"""

from __future__ import annotations

import argparse
import json
import queue
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (  # noqa: E402 - the sibling module, as the other benches import theirs
    Doc,
    Server,
    catalog_rows,
    cli,
    copy_root,
    file_sha256,
    make_doc,
    originals,
    prepare_root,
    records,
    search_ids,
    unique_word,
)

SEARCHABLE_TIMEOUT = 60.0
WRITER_POLL_TIMEOUT = 30.0


@dataclass
class Trial:
    n: int
    mode: str
    kill_after: int  # 201s received before the kill was triggered
    acked: int = 0
    sent_unacked: int = 0
    unacked_present: int = 0
    unacked_absent: int = 0
    in_writer: bool = False  # uncommitted Whoosh files were on disk after the kill
    uncommitted_files: list[str] = field(default_factory=list)
    restart_seconds: float = 0.0
    searchable_seconds: float = 0.0
    lost: list[str] = field(default_factory=list)  # acknowledged but missing, damaged, unfound
    half: list[str] = field(default_factory=list)  # unacknowledged and half there
    temp_files: int = 0
    orphans: int = 0
    other_status: dict[str, int] = field(default_factory=dict)  # neither 201 nor a dead server
    tracebacks: list[str] = field(default_factory=list)
    check_output: str = ""
    check_problems: int = -1

    @property
    def ok(self) -> bool:
        return not (
            self.lost or self.half or self.temp_files or self.orphans or self.tracebacks
            or self.check_problems != 0
            or any(s.startswith("5") for s in self.other_status)
        )  # fmt: skip


def uncommitted_index_files(index_dir: Path) -> list[str]:
    """Files a Whoosh writer leaves when it dies before or during its commit: its temp folder,
    segment files the newest table of contents does not list, a temp TOC, older TOCs."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    storage = FileStorage(str(index_dir))
    generation = TOC._latest_generation(storage, "MAIN")
    toc = TOC.read(storage, "MAIN", generation)
    listed = {seg.segment_id() for seg in toc.segments}
    found = []
    for name in sorted(p.name for p in index_dir.iterdir()):
        if name == "MAIN.tmp":
            found.append(name)
        elif name.startswith("MAIN_") and name != "MAIN_WRITELOCK":
            if name.split(".", 1)[0] not in listed:
                found.append(name)
        elif name.startswith("_MAIN_") and name != f"_MAIN_{generation}.toc":
            found.append(name)
    return found


def writer_at_work(index_dir: Path) -> bool:
    """Cheap enough to poll every few milliseconds: a writer's temp folder or loose segment
    files (committed segments are single .seg files)."""
    try:
        names = [p.name for p in index_dir.iterdir()]
    except FileNotFoundError:
        return False
    return any(
        n == "MAIN.tmp" or (n.startswith("MAIN_") and n != "MAIN_WRITELOCK" and ".seg" not in n)
        or ".toc." in n
        for n in names
    )  # fmt: skip


def make_template(workdir: Path) -> tuple[Path, str]:
    template = workdir / "template"
    token = prepare_root(template)
    return template, token


def _uploader(
    server: Server,
    token: str,
    todo: queue.Queue,
    sent: list[Doc],
    acked: list[Doc],
    statuses: dict[str, int],
    kill_after: int,
    trigger: threading.Event,
    lock: threading.Lock,
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=60) as client:
        while True:
            try:
                doc = todo.get_nowait()
            except queue.Empty:
                return
            with lock:
                sent.append(doc)
            try:
                r = client.post(f"{server.url}/api/documents", json=doc.payload, headers=headers)
            except httpx.TransportError:
                return  # the server is gone: this upload was never acknowledged
            if r.status_code != 201:
                with lock:
                    statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1
                continue
            body = r.json()
            doc.doc_id = body["id"]
            doc.acked_at = time.monotonic()
            with lock:
                acked.append(doc)
                if body.get("sha256") != doc.sha256:
                    statuses["201-wrong-sha256"] = statuses.get("201-wrong-sha256", 0) + 1
                if len(acked) >= kill_after:
                    trigger.set()


def run_trial(
    template: Path, token: str, workdir: Path, n: int, docs: int, clients: int, seed: int
) -> Trial:
    rng = random.Random(seed * 1000 + n)
    mode = "writer" if n % 2 == 1 else "random"
    trial = Trial(n, mode, kill_after=rng.randint(1, max(1, docs - 1)))
    root = copy_root(template, workdir / f"trial-{n:02d}")
    batch = [
        make_doc(record, unique_word(f"t{n}x", i))
        for i, record in enumerate(records(docs, seed=seed * 1000 + n))
    ]
    server = Server(root)
    try:
        server.start()
        todo: queue.Queue = queue.Queue()
        for doc in batch:
            todo.put(doc)
        sent: list[Doc] = []
        acked: list[Doc] = []
        lock = threading.Lock()
        trigger = threading.Event()
        threads = [
            threading.Thread(
                target=_uploader,
                args=(
                    server,
                    token,
                    todo,
                    sent,
                    acked,
                    trial.other_status,
                    trial.kill_after,
                    trigger,
                    lock,
                ),
                daemon=True,
            )  # fmt: skip
            for _ in range(clients)
        ]
        for t in threads:
            t.start()
        while not trigger.wait(0.05) and any(t.is_alive() for t in threads):
            pass  # every upload refused (see other_status): kill all the same
        index_dir = root / "index"
        if mode == "writer":
            deadline = time.monotonic() + WRITER_POLL_TIMEOUT
            while not writer_at_work(index_dir) and time.monotonic() < deadline:
                time.sleep(0.002)
        else:
            time.sleep(rng.uniform(0, 0.05))
        server.kill()
        for t in threads:
            t.join(120)
        trial.uncommitted_files = uncommitted_index_files(index_dir)
        trial.in_writer = bool(trial.uncommitted_files)
        trial.tracebacks += server.tracebacks()

        trial.restart_seconds = server.start()
        _verify(trial, server, root, sent, acked)
        trial.tracebacks += [t for t in server.tracebacks() if t not in trial.tracebacks]
        server.stop()
        trial.check_output, trial.check_problems = _check(root)
    finally:
        server.kill()
    return trial


def _check(root: Path) -> tuple[str, int]:
    """`archive check`'s output and its count of problems (-1 when it did not say)."""
    try:
        out = cli(root, "check", timeout=300)
    except RuntimeError as exc:  # exit 1: problems found (listed in its output)
        out = str(exc)
    match = re.search(r"checked \d+ documents: (\d+) problems", out)
    return out.strip(), int(match.group(1)) if match else -1


def _verify(trial: Trial, server: Server, root: Path, sent: list[Doc], acked: list[Doc]) -> None:
    rows = catalog_rows(root)
    files, temps = originals(root)
    trial.acked = len(acked)
    trial.temp_files = len(temps)
    unacked = [d for d in sent if d.doc_id is None]
    trial.sent_unacked = len(unacked)
    for doc in acked:
        row = rows.get(doc.sha256)
        if row is None or row[0] != doc.doc_id:
            trial.lost.append(f"{doc.word}: id {doc.doc_id} has no catalog row ({row})")
        elif doc.sha256 not in files or file_sha256(files[doc.sha256]) != doc.sha256:
            trial.lost.append(f"{doc.word}: id {doc.doc_id}: original missing or damaged")
    present = []
    for doc in unacked:
        has_row = doc.sha256 in rows
        has_file = doc.sha256 in files and file_sha256(files[doc.sha256]) == doc.sha256
        if has_row and has_file:
            present.append(doc)
        elif has_row or doc.sha256 in files:
            trial.half.append(f"{doc.word}: row {has_row}, intact file {has_file}")
    trial.unacked_present = len(present)
    trial.unacked_absent = len(unacked) - len(present) - len(trial.half)
    trial.orphans = len(set(files) - set(rows))

    # every acknowledged (and every wholly present) document is found by its word
    wanted = {d.doc_id if d.doc_id is not None else rows[d.sha256][0]: d for d in acked + present}
    began = time.monotonic()
    found: set[int] = set()
    with httpx.Client(timeout=30) as client:
        while True:
            missing = [d.word for i, d in wanted.items() if i not in found]
            if not missing:
                break
            try:
                found |= search_ids(client, server.url, missing)
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code != 503:  # 503: the index is being rebuilt
                    raise
            if time.monotonic() - began > SEARCHABLE_TIMEOUT:
                break
            time.sleep(0.05)
    trial.searchable_seconds = time.monotonic() - began
    for doc_id, doc in wanted.items():
        if doc_id not in found:
            trial.lost.append(f"{doc.word}: id {doc_id} not searchable after restart")


def run(
    trials: int, docs: int, clients: int = 6, seed: int = 1, workdir: Path | None = None,
    echo=print,  # noqa: ANN001 - print or a test's collector
) -> dict:  # fmt: skip
    own = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="archive-crash-")) if own else workdir
    try:
        template, token = make_template(workdir)
        results = []
        for n in range(trials):
            trial = run_trial(template, token, workdir, n, docs, clients, seed)
            results.append(trial)
            echo(
                f"trial {n + 1:2d}/{trials} {trial.mode:6s} kill after {trial.kill_after:3d} "
                f"201s: acked {trial.acked:3d}, in-flight {trial.sent_unacked} "
                f"(present {trial.unacked_present}, absent {trial.unacked_absent}, "
                f"half {len(trial.half)}), whoosh writer "
                f"{'OPEN' if trial.in_writer else 'idle'} ({len(trial.uncommitted_files)} files), "
                f"restart {trial.restart_seconds:.1f} s, all searchable "
                f"{trial.searchable_seconds:.1f} s, lost {len(trial.lost)}, temps "
                f"{trial.temp_files}, orphans {trial.orphans}, check {trial.check_problems} "
                f"problems{'' if trial.ok else '  <-- FAILED'}"
            )
            for line in trial.lost[:5] + trial.half[:5] + trial.tracebacks[:5]:
                echo(f"    {line}")
            if trial.check_problems:
                echo("    archive check: " + trial.check_output.replace("\n", "\n    "))
        summary = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "trials": trials,
            "docs_per_trial": docs,
            "clients": clients,
            "kills_inside_whoosh_writer": sum(t.in_writer for t in results),
            "writer_trials": sum(t.mode == "writer" for t in results),
            "acknowledged": sum(t.acked for t in results),
            "lost": sum(len(t.lost) for t in results),
            "unacked_sent": sum(t.sent_unacked for t in results),
            "unacked_present": sum(t.unacked_present for t in results),
            "unacked_absent": sum(t.unacked_absent for t in results),
            "half_present": sum(len(t.half) for t in results),
            "temp_files": sum(t.temp_files for t in results),
            "orphans": sum(t.orphans for t in results),
            "tracebacks": sum(len(t.tracebacks) for t in results),
            "check_problems": sum(max(t.check_problems, 0) for t in results),
            "check_failed_to_run": sum(t.check_problems < 0 for t in results),
            "non_201_statuses": {
                k: sum(t.other_status.get(k, 0) for t in results)
                for k in sorted({k for t in results for k in t.other_status})
            },
            "max_restart_seconds": round(max(t.restart_seconds for t in results), 2),
            "max_searchable_after_restart_seconds": round(
                max(t.searchable_seconds for t in results), 2
            ),
            "failed_trials": sum(not t.ok for t in results),
            "per_trial": [asdict(t) for t in results],
        }
        return summary
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="Write every figure to this file.")
    args = parser.parse_args()
    started = time.monotonic()
    summary = run(args.trials, args.docs, args.clients, args.seed)
    shown = {k: v for k, v in summary.items() if k != "per_trial"}
    print(f"\nsummary ({time.monotonic() - started:.0f} s):")
    for key, value in shown.items():
        print(f"  {key}: {value}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=str))
    sys.exit(0 if summary["failed_trials"] == 0 else 1)


if __name__ == "__main__":
    main()
