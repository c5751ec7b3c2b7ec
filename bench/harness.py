"""A real archive server in a subprocess, and what the reliability benches need around it.

Shared by bench/crash.py, bench/load.py and their CI variants (tests/test_durability.py,
tests/test_load_smoke.py). Everything listens on and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import compileall
import contextlib
import ctypes
import gzip
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from archive.cli.demo import COLLECTION as DEMO_COLLECTION

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora" / "political-news"
HOST = "127.0.0.1"
# Words are ORed into one search to check many documents at once (the parser allows 64 clauses
# and 1,000 characters).
WORDS_PER_QUERY = 40
# Every client here shares one address and one token: per-client rate limits would measure the
# limiter, not the archive, so the bench servers run without them.
SERVER_ENV = {"ARCHIVE_RATE_LIMITS": "off"}
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In the child before exec: SIGKILL when the process that started it dies (a test run
    killed by a timeout must not leave servers behind). Linux only; elsewhere a no-op."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def unique_word(prefix: str, n: int) -> str:
    """A four-letter word no article contains, different for each (prefix, n): "q", "x" or "z"
    and three consonants (8,232 of them, in an order shuffled by prefix), then the same with a
    digit or more after it.

    Four letters, because the search engine also tries close spellings (edit distance) of
    rare words of five letters or more, and a bench full of similar rare words would measure
    that expansion rather than indexing; consonants, so the analyzers keep it whole."""
    consonants = "bcfgjklnprstvw"  # not d, h, m, x, z: no such word in the corpora then
    space = 3 * len(consonants) ** 3
    if n >= space:
        # a long load run uploads more than that (8,232 in ten minutes at 100k): the same
        # words again with a round number, still one token ([^\W_]+) found nowhere else
        return unique_word(prefix, n % space) + str(n // space)
    # an affine step through the space, coprime with its size, so words of one run differ early
    offset = sum(map(ord, prefix)) * 7919
    k = (offset + n * 7877) % space
    k, a = divmod(k, len(consonants))
    k, b = divmod(k, len(consonants))
    k, c = divmod(k, len(consonants))
    return "qxz"[k] + consonants[c] + consonants[b] + consonants[a]


def cli(root: Path, *args: str, stdin: str | None = None, timeout: float = 120) -> str:
    """Run `archive --root ROOT ARGS…`; raise with its stderr when it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "archive", "--root", str(root), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, **SERVER_ENV},
        preexec_fn=die_with_parent,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"archive {' '.join(args)}: exit {done.returncode}\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def prepare_root(root: Path) -> str:
    """A new archive with an archivist and a write token; returns the token."""
    password = "bench-" + os.urandom(12).hex()
    cli(root, "users", "add", "bench", "--role", "archivist", "--password-stdin", stdin=password)
    return cli(root, "tokens", "create", "bench", "--scope", "write", "--name", "bench").strip()


def copy_root(template: Path, dest: Path) -> Path:
    shutil.copytree(template, dest)
    return dest


def records(limit: int, seed: int = 0) -> list[dict]:
    """Real articles in English with their metadata, shuffled: AllSides and ResistInUA from
    ../shared, or without it the demo collection's (CRS reports and ResistInUA)."""
    out: list[dict] = []
    if CORPORA.is_dir():
        sources = (
            (CORPORA / "allsides_en.jsonl.gz", 0.8),
            (CORPORA / "resistinua_uk_en.jsonl.gz", 0.2),
        )
    else:
        sources = ((DEMO_COLLECTION, 1.0),)
    for path, share in sources:
        wanted = max(1, int(limit * share) + 1)
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                if record.get("language") == "en" and record.get("body"):
                    out.append(record)
                    wanted -= 1
                    if wanted == 0:
                        break
    random.Random(seed).shuffle(out)
    while len(out) < limit:  # fewer records than asked: reuse them (the word keeps each unique)
        out.extend(out[: limit - len(out)])
    return out[:limit]


@dataclass
class Doc:
    """One upload: its JSON body, the sha256 of the bytes the server will store, its word."""

    word: str
    payload: dict
    sha256: str
    doc_id: int | None = None  # set on a 201
    acked_at: float | None = None
    searchable: bool = True  # what the 201 said ("searchable": false once the index wait ran out)


def make_doc(record: dict, word: str, max_body: int = 6000) -> Doc:
    body = record["body"][:max_body]
    text = f"{record['title']}\n\n{body}\n\nArchive check word: {word}.\n"
    payload: dict = {"text": text, "filename": f"{word}.txt", "title": record["title"]}
    if record.get("authors"):
        payload["authors"] = record["authors"][:5]
    for key in ("publication", "date", "language"):
        if record.get(key):
            payload[key] = record[key]
    if record.get("tags"):
        payload["tags"] = record["tags"][:5]
    return Doc(word, payload, hashlib.sha256(text.encode("utf-8")).hexdigest())


def compiled() -> None:
    """The archive's modules compiled, as a user's first start leaves them. Where
    PYTHONDONTWRITEBYTECODE is set (this machine's environment) a server compiles every module
    changed since the last compile again at each start, in each of its processes: 0.15-0.3 s
    of a first answer at 100k (1.61-1.92 s against 1.56-1.63 over three starts each)."""
    compileall.compile_dir(REPO / "archive", quiet=1)


@dataclass
class Server:
    """`python -m archive --root ROOT serve` on 127.0.0.1; its stderr goes to a log file."""

    root: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    log: Path | None = None
    starts: int = 0
    # where the server's output goes: beside the root unless said (a prebuilt root's parent may
    # not be ours to write in)
    log_dir: Path | None = None
    started_at: float | None = None  # time.monotonic() when the last start() began

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 60.0) -> float:
        """Start and wait until /api/search answers (200, or 503 while rebuilding); returns
        the seconds it took."""
        self.log = (self.log_dir or self.root.parent) / f"{self.root.name}-server.log"
        compiled()  # before the clock starts: a no-op once the modules are compiled
        began = self.started_at = time.monotonic()
        with self.log.open("ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "archive", "--root", str(self.root), "serve",
                 "--host", HOST, "--port", str(self.port)],
                stdout=log, stderr=log, cwd=REPO, env={**os.environ, **SERVER_ENV},
                preexec_fn=die_with_parent,
            )  # fmt: skip
        self.starts += 1
        deadline = began + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.logs()}")
            try:
                r = httpx.get(f"{self.url}/api/search", params={"q": "x"}, timeout=5)
                if r.status_code in (200, 503):
                    return time.monotonic() - began
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer in {timeout:.0f} s:\n{self.logs()}")
            time.sleep(0.05)

    def first_answer(self, words: str = "election", timeout: float = 600.0) -> float:
        """Seconds from the last start() to the first 200 answer to a search for `words` (a
        reader's first result: start() also returns on a 503 while the index is rebuilt)."""
        assert self.started_at is not None, "start() first"
        while True:
            try:
                r = httpx.get(f"{self.url}/api/search", params={"q": words}, timeout=60)
                if r.status_code == 200:
                    return time.monotonic() - self.started_at
            except httpx.TransportError:
                pass
            if time.monotonic() - self.started_at > timeout:
                raise RuntimeError(f"no search answered in {timeout:.0f} s:\n{self.logs()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind runs."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (uvicorn shuts down, the worker finishes its round); SIGKILL if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""

    def slow_rounds(self) -> list[str]:
        """The server's warnings of index rounds that took long (archive.core.worker)."""
        return [line for line in self.logs().splitlines() if "slow index round" in line]

    def tracebacks(self) -> list[str]:
        """Lines of the server's output that show a traceback or a Whoosh lock error."""
        bad = ("Traceback", "LockError", "Exception in ASGI", "indexing failed")
        return [line for line in self.logs().splitlines() if any(b in line for b in bad)]


def search_ids(client: httpx.Client, base: str, words: list[str]) -> set[int]:
    """Ids of the documents found by any of the words (several searches of ORed words)."""
    found: set[int] = set()
    for i in range(0, len(words), WORDS_PER_QUERY):
        chunk = words[i : i + WORDS_PER_QUERY]
        r = client.get(
            f"{base}/api/search", params={"q": " OR ".join(chunk), "per_page": 100}, timeout=30
        )
        r.raise_for_status()
        found.update(hit["id"] for hit in r.json()["hits"])
    return found


def catalog_rows(root: Path) -> dict[str, tuple[int, str, str]]:
    """sha256 -> (id, format, status) of every catalog row, read directly (read-only)."""
    uri = f"file:{root / 'uploads' / 'catalog.sqlite3'}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=30)
    try:
        rows = conn.execute("SELECT sha256, id, format, status FROM documents").fetchall()
    finally:
        conn.close()
    return {sha: (doc_id, fmt, status) for sha, doc_id, fmt, status in rows}


def originals(root: Path) -> tuple[dict[str, Path], list[Path]]:
    """(sha256 -> path of every stored original, temp files) under uploads/originals."""
    files: dict[str, Path] = {}
    temps: list[Path] = []
    folder = root / "uploads" / "originals"
    if folder.exists():
        for path in folder.rglob("*"):
            if path.name.startswith(".tmp-"):
                temps.append(path)
            elif path.is_file() and path.parent != folder:  # not the writers' lock file
                files[path.name.split(".", 1)[0]] = path
    return files, temps


def file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
