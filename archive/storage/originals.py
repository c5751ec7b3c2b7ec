"""The originals on disk: the source of truth, one file per distinct content, named by its SHA-256.

Layout: ``originals/ab/abcdef….ext``. A file is written to a ``.tmp-`` file in its final folder,
fsync'd, renamed over the final name and the folder fsync'd, so after a crash a name either holds
the whole file or does not exist; leftover temp files are removed by ``clean_partials``.

Several processes may share a store (a server taking uploads, an ``archive`` command opening the
same root). A writer holds a shared lock on ``originals/.writers.lock`` while its temp files
exist, and ``clean_partials`` takes it exclusively, so it never deletes another process's file in
progress; the kernel drops a killed writer's lock, so a crash's leftovers are still cleaned.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from archive.errors import NotFound

# Format -> file extension. Any other [a-z0-9]{1,8} extension is accepted too, so later formats
# (pdf, docx) need no change here.
EXTENSIONS = {
    "txt": "txt",
    "md": "md",
    "html": "html",
    "json": "json",
    "pdf": "pdf",
    "docx": "docx",
}

TEMP_PREFIX = ".tmp-"
LOCK_NAME = ".writers.lock"
# clean_partials waits this long for writers to pause; then it spares temp files younger than
# STALE_SECONDS (no put takes that long), which a later start cleans.
LOCK_WAIT_SECONDS = 2.0
STALE_SECONDS = 3600.0
_SHA = re.compile(r"[0-9a-f]{64}")
_EXT = re.compile(r"[a-z0-9]{1,8}")
_SHARD = re.compile(r"[0-9a-f]{2}")
_NAME = re.compile(r"([0-9a-f]{64})\.([a-z0-9]{1,8})")
# Files and folders of a batch fsync'd at once (put_many).
SYNC_THREADS = 8
T = TypeVar("T")


def extension_for(format: str) -> str:
    """The extension originals of this format are stored under."""
    ext = EXTENSIONS.get(format, format)
    _check_ext(ext)
    return ext


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's content, read in chunks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _check_sha(sha: str) -> None:
    # fullmatch, not match with $: "$" would accept a trailing newline.
    if not isinstance(sha, str) or not _SHA.fullmatch(sha):
        raise ValueError(f"not a SHA-256 hex digest: {sha!r}")


def _check_ext(ext: str) -> None:
    if not isinstance(ext, str) or not _EXT.fullmatch(ext):
        raise ValueError(f"not a valid file extension: {ext!r}")


def _fsync_dir(folder: Path) -> None:
    """Make the folder's entries (a rename, a new file or subfolder) durable."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _in_parallel(work: Callable[[T], object], items: Sequence[T]) -> None:
    """work(item) for every item on SYNC_THREADS threads (fsync releases the GIL); the first
    failure is raised once every item has finished."""
    if len(items) < 2:
        for item in items:
            work(item)
        return
    with ThreadPoolExecutor(min(SYNC_THREADS, len(items))) as pool:
        for _ in pool.map(work, items):
            pass


class Store:
    def __init__(self, originals_dir: Path) -> None:
        self.root = Path(originals_dir)
        if not self.root.is_dir():
            self.root.mkdir(parents=True, exist_ok=True)
            _fsync_dir(self.root.parent)

    @contextmanager
    def _lock(self, exclusive: bool = False, wait: float = 0.0) -> Iterator[bool]:
        """Hold the writers' lock: shared (a put, waits as long as it must) or exclusive
        (cleaning, tried for `wait` seconds); yields whether it is held."""
        fd = os.open(self.root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if not exclusive:
                fcntl.flock(fd, fcntl.LOCK_SH)
                yield True
                return
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        yield False
                        return
                    time.sleep(0.01)
            yield True
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def writing(self) -> AbstractContextManager[bool]:
        """Hold the writers' lock (shared) across a put and the catalog commit that follows it,
        so a sweep at start can tell an original whose row never came from one still coming."""
        return self._lock()

    def exclusive(self, wait: float = LOCK_WAIT_SECONDS) -> AbstractContextManager[bool]:
        """No writer anywhere while held (tried for `wait` seconds); yields whether it is."""
        return self._lock(exclusive=True, wait=wait)

    # --- writing ----------------------------------------------------------------------------
    def put(self, data: bytes, ext: str) -> str:
        """Store the bytes durably and return their SHA-256 hex digest.

        A file already present with the same name and size is trusted (same bytes, same name) and
        not rewritten; to replace a damaged original, ``remove`` it first.
        """
        sha = hashlib.sha256(data).hexdigest()
        self.path(sha, ext)  # a bad extension is refused before anything is written
        dirty: set[Path] = set()
        with self._lock():
            self._write(sha, ext, data, dirty)
        for folder in sorted(dirty):
            _fsync_dir(folder)
        return sha

    def put_many(self, items: Sequence[tuple[bytes, str]]) -> list[str]:
        """Like ``put`` for a batch, fsyncing each touched folder once at the end.

        Nothing is durable until this returns: acknowledge the batch only afterwards. The files
        are written and fsync'd by a few threads at once, then the folders likewise: each file
        is still renamed only after its own fsync, but the disk flushes overlap instead of
        queueing one behind the other (most of a batch's time was waiting on them).
        """
        for _, ext in items:
            _check_ext(ext)  # refused before anything is written
        shas = [hashlib.sha256(data).hexdigest() for data, _ in items]
        distinct = {(sha, ext): data for sha, (data, ext) in zip(shas, items, strict=True)}
        dirty: set[Path] = set()
        with self._lock():
            _in_parallel(lambda key: self._write(*key, distinct[key], dirty), list(distinct))
        _in_parallel(_fsync_dir, sorted(dirty))
        return shas

    def _write(self, sha: str, ext: str, data: bytes, dirty: set[Path]) -> None:
        """Write one file (fsync'd) and add the folders whose entries changed to ``dirty``."""
        final = self.path(sha, ext)
        try:
            if final.stat().st_size == len(data):
                return
        except FileNotFoundError:
            pass
        folder = final.parent
        try:
            folder.mkdir()
            dirty.add(self.root)  # the new shard folder's own entry must be durable too
        except FileExistsError:
            pass
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; originals are ordinary readable files
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dirty.add(folder)

    def remove(self, sha: str, ext: str) -> bool:
        """Delete an original; returns False when it was not there."""
        target = self.path(sha, ext)
        try:
            target.unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(target.parent)
        return True

    def clean_partials(self, min_age_seconds: float = 0.0) -> int:
        """Delete ``.tmp-`` files left by a crash; returns how many.

        Temp files of a put in progress, in this process or another, are never deleted: this
        waits (briefly) until no put is running; if puts keep running, only temp files older
        than ``STALE_SECONDS`` go. Pass an age to spare younger files in any case.
        """
        with self._lock(exclusive=True, wait=LOCK_WAIT_SECONDS) as alone:
            age = min_age_seconds if alone else max(min_age_seconds, STALE_SECONDS)
            cutoff = time.time() - age
            removed = 0
            for folder in [self.root, *self._shards()]:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        if not entry.name.startswith(TEMP_PREFIX) or not entry.is_file():
                            continue
                        if age and entry.stat().st_mtime > cutoff:
                            continue
                        Path(entry.path).unlink(missing_ok=True)
                        removed += 1
        return removed

    # --- reading ----------------------------------------------------------------------------
    def path(self, sha: str, ext: str) -> Path:
        """Where an original lives; ValueError for anything but a hex digest and a plain ext."""
        _check_sha(sha)
        _check_ext(ext)
        return self.root / sha[:2] / f"{sha}.{ext}"

    def exists(self, sha: str, ext: str) -> bool:
        return self.path(sha, ext).is_file()

    def read(self, sha: str, ext: str) -> bytes:
        """The original's bytes; raises NotFound when the file is missing."""
        try:
            return self.path(sha, ext).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"original {sha}.{ext} is missing from the store") from None

    def verify(self, sha: str, ext: str) -> bool:
        """Whether the file exists and its content still hashes to its name (read in chunks)."""
        try:
            return file_sha256(self.path(sha, ext)) == sha
        except FileNotFoundError:
            return False

    def quarantine(self, path: Path, folder: Path) -> Path:
        """Move a file (an orphan, a damaged original) into folder under a timestamped name:
        set aside, never deleted, so no repair can lose anything. Returns where it went."""
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        dest = folder / f"{path.name}.{stamp}"
        shutil.move(path, dest)
        return dest

    def iter_files(self) -> Iterator[tuple[str, str, Path]]:
        """(sha, ext, path) of every stored original, by shard; temp and stray files are skipped."""
        for sha, ext in self.iter_names():
            yield sha, ext, self.path(sha, ext)

    def iter_names(self) -> Iterator[tuple[str, str]]:
        """(sha, ext) of every stored original, by shard, without a Path for each (a start-up
        sweep over 100,000 originals spent seconds making Paths it did not need)."""
        for shard in self._shards():
            with os.scandir(shard) as entries:
                names = sorted(e.name for e in entries if e.is_file())
            prefix = shard.name
            for name in names:
                m = _NAME.fullmatch(name)
                if m and m.group(1)[:2] == prefix:
                    yield m.group(1), m.group(2)

    def _shards(self) -> list[Path]:
        with os.scandir(self.root) as entries:
            return sorted(Path(e.path) for e in entries if e.is_dir() and _SHARD.fullmatch(e.name))
