"""--root DIR for the benches: an archive built once (the 100k set takes ~40 minutes) and then
measured many times.

    state = prebuilt.root_state(root)   # "build" (missing or empty) or "reuse" (holds an archive)
    token = prebuilt.bench_token(root)  # a write token, whether or not the archive made the user

A folder that holds something other than an archive is refused rather than written into. The
benches check a reused archive by its count of documents (a search with no words), so a root
built from another corpus, --limit or --scale is reported, not measured by mistake.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Literal

from harness import cli, prepare_root

BENCH_USER = "bench"
RootState = Literal["build", "reuse"]


class RootError(SystemExit):
    """A --root that the bench cannot build into nor reuse (exits with the message)."""


def holds_archive(root: Path) -> bool:
    """Whether root is an archive's data root: its catalog is there (an index that is missing
    is rebuilt from it by the server; the count check says whether it holds what is wanted)."""
    return (root / "uploads" / "catalog.sqlite3").is_file()


def root_state(root: Path) -> RootState:
    """ "build" when root is missing or empty, "reuse" when it holds an archive; else refused."""
    if not root.exists() or (root.is_dir() and not any(root.iterdir())):
        return "build"
    if holds_archive(root):
        return "reuse"
    raise RootError(f"--root {root}: neither empty nor an archive (no uploads/catalog.sqlite3)")


def check_count(root: Path, counted: int, expected: int) -> None:
    """A reused archive must hold the corpus the bench would have built."""
    if counted != expected:
        raise RootError(
            f"--root {root} counts {counted:,} documents, not the {expected:,} of this corpus,"
            " --limit and --scale: build it again into an empty folder, or pass the options"
            " it was built with"
        )


def bench_token(root: Path) -> str:
    """A write token for the bench's user, made first when the archive has no such user (an
    archive built by `archive ingest` alone has none)."""
    users = cli(root, "users", "list")
    if not any(line.split()[:1] == [BENCH_USER] for line in users.splitlines()):
        return prepare_root(root)
    return cli(root, "tokens", "create", BENCH_USER, "--scope", "write", "--name", "bench").strip()


def copy_root(source: Path, dest: Path) -> float:
    """A working copy of a prebuilt archive (cp, reflinks where the file system has them);
    returns its seconds. The benches that write (load.py) run on a copy so that the prebuilt
    root stays as it was built and every run starts from the same documents."""
    began = time.monotonic()
    if shutil.which("cp"):
        subprocess.run(["cp", "-a", "--reflink=auto", str(source), str(dest)], check=True)
    else:  # not GNU: the slow way
        shutil.copytree(source, dest)
    return time.monotonic() - began


def folder_bytes(path: Path) -> int:
    """Bytes of the files under path (0 when it is not there)."""
    total = 0
    for folder, _, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:  # removed while we walk (a server merges its index)
                continue
    return total
