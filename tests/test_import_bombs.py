"""Import bombs (issue 10, part 2) against a real server in a subprocess, through the real import
routes (`POST /api/imports` with a token, the `/import` form with a session) and through
`archive ingest` as a real process, with the process's memory read from /proc while it works.

- a 2.6 MB .jsonl.gz that inflates to 2.6 GB: three real records, then gzip members of blank
  lines (a gzip file may be several members end to end);
- a 1.1 MB zip whose directory (central and local) says a member is 100 bytes that inflates to
  1.1 GB, beside two small articles;
- a zip whose members' names are paths out of it (`..\\`, `../`, `/`, `C:\\`).
Each must fail its file or member with a message naming it, the process's peak RSS (VmHWM, reset
before each case where the kernel allows) must stay far below its idle size + 1 GB, and
searches sent meanwhile must answer in their usual time. The bombs are built in chunks (the
zip's deflate stream from one 16 MB block repeated after full flushes), so the test itself
stays small in memory and fast.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import struct
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from archive import Archive, Settings
from tests.conftest import corpus_records

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))
import harness  # noqa: E402 - bench/harness.py

MIB = 1024 * 1024
PROMISE = 1024 * MIB  # the issue: below 1 GB above the idle size, on any hostile input
AIM = 200 * MIB  # what this code keeps to (measured: see docs/reliability.md)
SEARCH_WITHIN = 1.0  # seconds: a search on this small archive answers in milliseconds
PASSWORD = "a long enough password"
GZIP_INFLATED = 2_600 * MIB
ZIP_INFLATED = 1_100 * MIB
BLOCK = 16 * MIB
LIED_SIZE = 100
UNSAFE = ("..\\..\\evil.txt", "../../up.txt", "/etc/absolute.txt", "C:\\Windows\\drive.txt")


# --- the bombs ------------------------------------------------------------------------------------
def jsonl_records(n: int, word: str) -> bytes:
    records = corpus_records(4)[:n]
    for r in records:
        r["body"] = f"{r.get('body', '')}\n{word}"
        r.pop("id", None)
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


def gzip_bomb(path: Path) -> Path:
    """Three real records, then 16 MB gzip members of blank lines up to 2.6 GB inflated."""
    blanks = gzip.compress((b" " * 65535 + b"\n") * (BLOCK // 65536), 9)
    assert len(gzip.decompress(blanks)) == BLOCK
    with path.open("wb") as out:
        out.write(gzip.compress(jsonl_records(3, "gzipbombword")))
        for _ in range(GZIP_INFLATED // BLOCK):
            out.write(blanks)
    return path


ARTICLES = {
    "a/otters.txt": b"Otters of the river\n\nOtters came back to the zipbombword river.\n",
    "b/herons.txt": b"Herons at dawn\n\nHerons wade in the zipbombword shallows at dawn.\n",
}


def lying_zip(path: Path, articles: dict[str, bytes] = ARTICLES, huge: str = "huge.txt") -> Path:
    """The articles and `huge`: 1.1 GB of zeros deflated, declared (in its local header and the
    central directory) as 100 bytes; its CRC is that of the real contents."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(BLOCK)) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = zlib.compressobj(9, zlib.DEFLATED, -15)
    final = last.compress(bytes(BLOCK)) + last.flush()
    blocks, zeros, crc = ZIP_INFLATED // BLOCK, bytes(BLOCK), 0
    for _ in range(blocks):
        crc = zlib.crc32(zeros, crc)
    entries = []  # (name, crc, compressed size, size, method, offset)
    with path.open("wb") as out:
        for name, data in articles.items():
            packed = zlib.compress(data, 9)[2:-4]  # raw deflate
            entries.append((name, zlib.crc32(data), len(packed), len(data), out.tell()))
            out.write(_local_header(name, entries[-1][1], len(packed), len(data)) + packed)
        size = len(block) * (blocks - 1) + len(final)
        entries.append((huge, crc, size, LIED_SIZE, out.tell()))
        out.write(_local_header(huge, crc, size, LIED_SIZE))
        for _ in range(blocks - 1):
            out.write(block)
        out.write(final)
        directory = out.tell()
        for name, crc_, packed_size, real_size, offset in entries:
            out.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21,
                                  crc_, packed_size, real_size, len(name), 0, 0, 0, 0, 0,
                                  offset) + name.encode())  # fmt: skip
        end = out.tell()
        out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries),
                              end - directory, directory, 0))  # fmt: skip
    return path


def _local_header(name: str, crc: int, packed: int, size: int) -> bytes:
    head = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, packed, size,
                       len(name), 0)  # fmt: skip
    return head + name.encode()


def unsafe_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, animal in enumerate(("wombats", "quolls", "numbats")):
            z.writestr(f"ok/{animal}.txt", f"{animal.title()}\n\nThe {animal} of pathword {n}.\n")
        for n, name in enumerate(UNSAFE):
            z.writestr(name, f"Escape\n\nThe pathword escape number {n}.\n")
    return path


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    return {
        "gzip": gzip_bomb(folder / "bomb.jsonl.gz"),
        "zip": lying_zip(folder / "lying.zip"),
        "unsafe": unsafe_zip(folder / "paths.zip"),
    }


def test_the_bombs_are_what_they_claim(bombs: dict[str, Path]) -> None:
    """The files are small (the gzip's members were checked as they were made), and the zip's
    directory says 100 bytes of a member that inflates past that."""
    assert bombs["gzip"].stat().st_size < 3 * MIB and bombs["zip"].stat().st_size < 2 * MIB
    with zipfile.ZipFile(bombs["zip"]) as z:
        info = z.getinfo("huge.txt")
        assert info.file_size == LIED_SIZE and info.compress_size > MIB
        with z.open(info) as member, pytest.raises(zipfile.BadZipFile, match="CRC"):
            member.read(64 * 1024)
        assert z.read("a/otters.txt").startswith(b"Otters")


# --- measuring a process ------------------------------------------------------------------------
def kib(pid: int, name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    raise KeyError(name)


def children(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            with contextlib.suppress(OSError):
                kids = [int(k) for k in (task / "children").read_text().split()]
                found += kids
                todo += kids
    return found


@dataclass
class Watch:
    """Samples a process's RSS, and that of it with its children, every 10 ms; its VmHWM is
    reset on entry (clear_refs 5) when the kernel allows, and read on exit."""

    pid: int
    peak: int = 0  # bytes: VmHWM after the reset, or the highest sample
    tree_peak: int = 0  # bytes: the highest sample of the process and its children
    reset: bool = False
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Watch:
        with contextlib.suppress(OSError):
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
            self.reset = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError, KeyError):
                own = kib(self.pid, "VmRSS") * 1024
                tree = own
                for child in children(self.pid):
                    with contextlib.suppress(OSError, KeyError):
                        tree += kib(child, "VmRSS") * 1024
                self.peak = max(self.peak, own)
                self.tree_peak = max(self.tree_peak, tree)
            self._stop.wait(0.01)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        with contextlib.suppress(OSError, KeyError):
            hwm = kib(self.pid, "VmHWM") * 1024
            self.peak = max(self.peak, hwm) if self.reset else self.peak


@dataclass
class Searches:
    """A reader searching in a loop from another thread: (status, seconds) of each search."""

    url: str
    timings: list[tuple[int, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Searches:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        while not self.timings:  # one search done: the loop is running
            time.sleep(0.01)
        return self

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                r = client.get("/api/search", params={"q": "river OR shallows", "per_page": 20})
                self.timings.append((r.status_code, time.monotonic() - started))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- the server -----------------------------------------------------------------------------------
@dataclass
class Running:
    server: harness.Server
    token: dict[str, str]
    session: dict[str, str]
    idle: int  # bytes: the server's RSS once warmed up


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("bombs-server") / "archive"
    harness.cli(root, "users", "add", "importer", "--role", "archivist", "--password-stdin",
                stdin=PASSWORD)  # fmt: skip
    secret = harness.cli(root, "tokens", "create", "importer", "--scope", "write", "--name", "t")
    with Archive(Settings(root=root)) as archive:  # a session for the /import form
        opened = archive.login("importer", PASSWORD)
    server = harness.Server(root)
    try:
        server.start()
        token = {"Authorization": f"Bearer {secret.strip()}"}
        session = {"Cookie": f"archive_session={opened.secret}", "X-CSRF-Token":
                   opened.session.csrf, "Origin": server.url}  # fmt: skip
        with httpx.Client(base_url=server.url, timeout=60) as client:
            # warm up: an ordinary import and a few searches (imports, caches, the worker)
            files = {"file": ("warm.jsonl", jsonl_records(4, "warmupword"))}
            job = finished(client, client.post("/api/imports", files=files, headers=token), token)
            assert (job["state"], job["added"]) == ("done", 4), job
            for _ in range(5):
                assert client.get("/api/search", params={"q": "river"}).status_code == 200
        time.sleep(0.5)
        assert server.proc is not None
        yield Running(server, token, session, kib(server.proc.pid, "VmRSS") * 1024)
        assert server.tracebacks() == [], server.logs()[-3000:]
    finally:
        server.stop()


def finished(
    client: httpx.Client, started: httpx.Response, token: dict[str, str], timeout: float = 120
) -> dict:
    """The job an import started, once it has stopped running."""
    assert started.status_code in (202, 303), started.text
    url = started.json()["url"] if started.status_code == 202 else None
    if url is None:  # the form redirects to /import?job=N
        url = f"/api/jobs/{started.headers['location'].rpartition('=')[2]}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(url, headers=token).json()
        if job["state"] != "running":
            return job
        time.sleep(0.05)
    raise AssertionError(f"{url} still running after {timeout} s")


def import_watched(
    running: Running, path: Path, form: bool = False
) -> tuple[dict, Watch, Searches]:
    """Send a file to the import route and wait for its job, watching memory and searches."""
    assert running.server.proc is not None
    route, headers = ("/import", running.session) if form else ("/api/imports", running.token)
    with (
        httpx.Client(base_url=running.server.url, timeout=120) as client,
        Watch(running.server.proc.pid) as watch,
        Searches(running.server.url) as searches,
    ):
        with path.open("rb") as f:
            started = client.post(route, files={"file": (path.name, f)}, headers=headers)
        job = finished(client, started, running.token)
    return job, watch, searches


def report(what: str, running: Running, watch: Watch, searches: Searches) -> None:
    slowest = max(s for _, s in searches.timings)
    print(
        f"\n{what}: idle {running.idle / MIB:.0f} MiB, peak {watch.peak / MIB:.0f} MiB"
        f" (+{(watch.peak - running.idle) / MIB:.0f} MiB; VmHWM reset: {watch.reset}),"
        f" with children {watch.tree_peak / MIB:.0f} MiB; {len(searches.timings)} searches,"
        f" slowest {slowest * 1000:.0f} ms"
    )


def assert_small_and_answering(running: Running, watch: Watch, searches: Searches) -> None:
    grown = watch.peak - running.idle
    assert grown < PROMISE, f"the server grew by {grown / MIB:.0f} MiB"
    assert grown < AIM, f"the server grew by {grown / MIB:.0f} MiB"
    assert {status for status, _ in searches.timings} == {200}
    slowest = max(seconds for _, seconds in searches.timings)
    assert slowest < SEARCH_WITHIN, f"a search took {slowest:.2f} s during the import"


def test_a_gzip_bomb_fails_its_import_with_the_server_small(
    running: Running, bombs: dict[str, Path]
) -> None:
    job, watch, searches = import_watched(running, bombs["gzip"])
    report("gzip bomb via POST /api/imports", running, watch, searches)
    assert job["state"] == "done" and job["failed"] == 1, job
    [error] = job["errors"]
    assert error["name"].startswith("bomb.jsonl.gz"), error
    assert "bomb.jsonl.gz" in error["reason"] and "inflate" in error["reason"], error
    assert job["added"] == 3, job  # the records before the bomb are imported
    assert_small_and_answering(running, watch, searches)


@pytest.mark.parametrize("form", [False, True], ids=["api", "form"])
def test_a_zip_that_lies_about_a_members_size_fails_that_member_with_the_server_small(
    running: Running, bombs: dict[str, Path], form: bool
) -> None:
    job, watch, searches = import_watched(running, bombs["zip"], form=form)
    report(f"lying zip via {'/import' if form else 'POST /api/imports'}", running, watch, searches)
    assert job["state"] == "done" and job["failed"] == 1, job
    [error] = job["errors"]
    assert error["name"] == "lying.zip:huge.txt", error
    assert "lying.zip:huge.txt" in error["reason"], error
    assert job["added"] + job["duplicates"] == 2, job
    assert_small_and_answering(running, watch, searches)


def test_zip_members_named_as_paths_out_of_the_zip_are_failures_with_reasons(
    running: Running, bombs: dict[str, Path]
) -> None:
    job, _, _ = import_watched(running, bombs["unsafe"])
    assert (job["state"], job["added"], job["failed"]) == ("done", 3, len(UNSAFE)), job
    reasons = {e["name"]: e["reason"] for e in job["errors"]}
    assert set(reasons) == {f"paths.zip:{name}" for name in UNSAFE}, reasons
    for name, reason in reasons.items():
        assert name in reason and "path" in reason, reason
    with httpx.Client(base_url=running.server.url) as client:
        hits = client.get("/api/search", params={"q": "pathword"}).json()["hits"]
    assert sorted(h["title"] for h in hits) == ["Numbats", "Quolls", "Wombats"]


# --- archive ingest -------------------------------------------------------------------------------
def ingest_watched(root: Path, *paths: Path, env: dict[str, str] | None = None):
    """`archive --root ROOT ingest PATHS` as a process: (exit code, output, Watch, ru_maxrss)."""
    log = root.parent / f"ingest-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "archive", "--root", str(root), "ingest", *map(str, paths)],
            stdout=out, stderr=subprocess.STDOUT, cwd=harness.REPO,
            env={**os.environ, **harness.SERVER_ENV, **(env or {})},
        )  # fmt: skip
        with Watch(proc.pid) as watch:
            _, status, usage = os.wait4(proc.pid, 0)  # this process's own peak, in KiB
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, log.read_text(errors="replace"), watch, usage.ru_maxrss * 1024


@pytest.mark.parametrize("helper", [False, True], ids=["in-process", "prepare-helper"])
def test_archive_ingest_of_both_bombs_stays_small(
    tmp_path: Path, bombs: dict[str, Path], helper: bool
) -> None:
    """The CLI reads the same files: in its own process (files under 4 MB), and with the
    prepare helper (ARCHIVE_PREPARE_PROCESS_MIN_BYTES=0), whose memory counts as a child's."""
    root = tmp_path / "archive"
    env = {"ARCHIVE_PREPARE_PROCESS_MIN_BYTES": "0" if helper else "-1"}
    small = tmp_path / "small.jsonl"
    small.write_bytes(jsonl_records(2, "baselineword"))
    code, output, _, idle = ingest_watched(root, small, env=env)
    assert code == 0, output
    code, output, watch, peak = ingest_watched(root, bombs["gzip"], bombs["zip"], env=env)
    print(
        f"\narchive ingest ({'helper' if helper else 'in-process'}): a small import's peak"
        f" {idle / MIB:.0f} MiB, the bombs' {peak / MIB:.0f} MiB (+{(peak - idle) / MIB:.0f}"
        f" MiB), with children {watch.tree_peak / MIB:.0f} MiB"
    )
    assert code == 1, output
    failed = [line for line in output.splitlines() if line.startswith("failed:")]
    assert len(failed) == 2, output
    assert any("bomb.jsonl.gz" in line and "inflate" in line for line in failed), output
    assert any("lying.zip:huge.txt" in line for line in failed), output
    assert "added 5, duplicates 0, failed 2" in output, output
    assert peak - idle < PROMISE and peak - idle < AIM, (peak, idle)
    assert watch.tree_peak - idle < AIM, (watch.tree_peak, idle)


# --- one upload: a DOCX whose [Content_Types].xml lies ------------------------------------------
WORD_XML = (
    b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
    b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Hi</w:t></w:r></w:p></w:body>'
    b"</w:document>"
)


def test_a_docx_whose_content_types_lies_is_refused_with_the_server_small(
    running: Running, tmp_path: Path
) -> None:
    """Found beside the issue: POST /api/documents detects a DOCX in the server's own process
    by reading its [Content_Types].xml, which zipfile's read() inflated whole (2.1 GB) before
    comparing it with the 100 bytes declared."""
    bomb = lying_zip(tmp_path / "memo.docx", {"word/document.xml": WORD_XML}, "[Content_Types].xml")
    assert running.server.proc is not None
    with (
        httpx.Client(base_url=running.server.url, timeout=120) as client,
        Watch(running.server.proc.pid) as watch,
        Searches(running.server.url) as searches,
    ):
        files = {"file": ("memo.docx", bomb.read_bytes())}
        r = client.post("/api/documents", files=files, headers=running.token)
    report("lying DOCX via POST /api/documents", running, watch, searches)
    assert r.status_code == 422, r.text
    assert "memo.docx: [Content_Types].xml" in r.json()["error"], r.text
    assert_small_and_answering(running, watch, searches)


# --- in-process: what else a hostile import may hold ----------------------------------------------
def ingest(tmp_path: Path, *paths: Path, max_upload: int = 50 * MIB):
    settings = Settings(root=tmp_path / "archive", max_upload_bytes=max_upload)
    with Archive(settings) as archive:
        return archive.ingest_paths(list(paths))


def test_archives_nest_one_deep(tmp_path: Path) -> None:
    """A zip (or gzip) inside a zip is read; one more layer is refused, named: a zip of zips of
    zips, or a zip quine, would otherwise be read ever deeper."""
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("deep.txt", "Deep\n\nThe nestword article, two zips down.\n")
    middle = tmp_path / "middle.zip"
    with zipfile.ZipFile(middle, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("inner.zip", inner.read_bytes())
        z.writestr("records.jsonl.gz", gzip.compress(jsonl_records(2, "nestword")))
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("middle.zip", middle.read_bytes())
        z.writestr("top.txt", "Top\n\nThe nestword article at the top.\n")
    report = ingest(tmp_path, middle)
    assert len(report.added) == 3 and not report.failed, report.failed
    report = ingest(tmp_path / "again", outer)
    assert len(report.added) == 1, report  # top.txt
    assert [name for name, _ in report.failed] == [
        f"{outer}:middle.zip:inner.zip",
        f"{outer}:middle.zip:records.jsonl.gz",
    ]
    assert all("inside another" in reason for _, reason in report.failed), report.failed


def test_members_compressed_otherwise_than_deflate_are_failures(tmp_path: Path) -> None:
    """zipfile inflates bzip2 and LZMA members without bounding each chunk's output."""
    path = tmp_path / "methods.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("kept.txt", "Kept\n\nA deflated article.\n", zipfile.ZIP_DEFLATED)
        z.writestr("stored.txt", "Stored\n\nA stored article.\n", zipfile.ZIP_STORED)
        z.writestr("bz.txt", "Bzip\n\nA bzip2 article.\n", zipfile.ZIP_BZIP2)
        z.writestr("xz.txt", "Lzma\n\nAn LZMA article.\n", zipfile.ZIP_LZMA)
    report = ingest(tmp_path, path)
    assert len(report.added) == 2
    assert sorted(n.rpartition(":")[2] for n, _ in report.failed) == ["bz.txt", "xz.txt"]
    assert all("only stored and deflated" in reason for _, reason in report.failed)


def test_a_zip_directory_of_half_a_million_members_is_refused_before_it_is_parsed(
    tmp_path: Path,
) -> None:
    """zipfile parses the whole central directory into ZipInfo objects (about 500 bytes each)
    before any member count could be checked; its declared size is checked first. (The file is
    over the upload limit, so it is read from the disk as a zip of articles, never a DOCX.)"""
    path = tmp_path / "many.zip"
    count = 500_000
    with path.open("wb") as out:
        for n in range(count):
            out.write(_local_header(f"{n:x}", 0, 0, 0))
        directory = out.tell()
        offset = 0
        for n in range(count):
            name = f"{n:x}"
            out.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, 0, 0, 0,
                                  len(name), 0, 0, 0, 0, 0, offset) + name.encode())  # fmt: skip
            offset += 30 + len(name)
        end = out.tell()
        out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF,
                              end - directory, directory, 0))  # fmt: skip
    started = time.monotonic()
    report = ingest(tmp_path, path, max_upload=MIB)
    [(name, reason)] = report.failed
    assert name == str(path) and "directory is over" in reason, reason
    assert time.monotonic() - started < 5


def test_a_file_larger_than_a_document_is_streamed_as_jsonl_or_refused_unread(
    tmp_path: Path,
) -> None:
    limit = 256 * 1024
    records = b"".join(jsonl_records(4, f"streamword{n}") for n in range(40))
    plain = tmp_path / "big.jsonl"
    plain.write_bytes(records)
    packed = tmp_path / "big.jsonl.gz"
    packed.write_bytes(gzip.compress(records.replace(b"streamword", b"packedword")))
    text = tmp_path / "big.txt"
    text.write_bytes(b"Big\n\n" + b"A long article. " * (limit // 8))
    assert plain.stat().st_size > limit and len(records) > limit
    report = ingest(tmp_path, plain, packed, text, max_upload=limit)
    assert len(report.added) == 2 * 4 * 40 and not report.duplicates, report.failed
    [(name, reason)] = report.failed
    assert name == str(text) and "neither a zip nor JSONL" in reason, reason


def test_a_flood_of_bad_and_repeated_lines_is_counted_not_held(tmp_path: Path) -> None:
    """Three bytes a failure ("{}" and a newline): a million took 237 MiB when every failure was
    held until the run's end. The report lists the first REPORTED and counts the rest; the job
    counts them all."""
    from archive.core.imports import REPORTED

    path = tmp_path / "flood.jsonl"
    record = json.dumps({"title": "Once", "body": "The same floodword record."}).encode()
    path.write_bytes(b"{}\n" * 25_000 + (record + b"\n") * 15_000)
    report = ingest(tmp_path, path)
    assert len(report.added) == 1
    assert (len(report.failed), report.more_failed) == (REPORTED, 25_000 - REPORTED)
    assert (len(report.duplicates), report.more_duplicates) == (REPORTED, 15_000 - 1 - REPORTED)
    with Archive(Settings(root=tmp_path / "archive")) as archive:
        job = archive.job(report.job_id or 0)
    assert (job.failed, job.duplicates, job.added, len(job.errors)) == (25_000, 14_999, 1, 200)
