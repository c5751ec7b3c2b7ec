"""The originals store, on real files in tmp_path."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from archive.errors import NotFound
from archive.storage.originals import Store, extension_for


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(".tmp-")]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "uploads" / "originals")


def test_creates_its_folder(tmp_path: Path) -> None:
    root = tmp_path / "a" / "b" / "originals"
    Store(root)
    assert root.is_dir()


def test_put_read_verify_round_trip(store: Store) -> None:
    data = "Привет, archive\n".encode() * 1000
    sha = store.put(data, "txt")
    assert sha == hashlib.sha256(data).hexdigest()
    path = store.path(sha, "txt")
    assert path == store.root / sha[:2] / f"{sha}.txt"
    assert path.read_bytes() == data
    assert store.read(sha, "txt") == data
    assert store.exists(sha, "txt")
    assert not store.exists(sha, "md")
    assert store.verify(sha, "txt")
    assert temp_files(store.root) == []


def test_same_bytes_twice_is_one_file(store: Store) -> None:
    first = store.put(b"same bytes", "txt")
    mtime = store.path(first, "txt").stat().st_mtime_ns
    time.sleep(0.01)
    second = store.put(b"same bytes", "txt")
    assert first == second
    assert store.path(first, "txt").stat().st_mtime_ns == mtime  # not rewritten
    assert [sha for sha, _, _ in store.iter_files()] == [first]


def test_put_many(store: Store) -> None:
    items = [(f"doc {i}".encode(), "md") for i in range(50)] + [(b"doc 3", "md")]
    shas = store.put_many(items)
    assert len(shas) == 51
    assert shas[3] == shas[50]
    assert shas == [hashlib.sha256(data).hexdigest() for data, _ in items]
    stored = {(sha, ext) for sha, ext, _ in store.iter_files()}
    assert stored == {(sha, "md") for sha in shas}
    assert len(stored) == 50
    assert all(store.verify(sha, "md") for sha in shas)
    assert temp_files(store.root) == []


def test_empty_file(store: Store) -> None:
    sha = store.put(b"", "txt")
    assert store.read(sha, "txt") == b""
    assert store.verify(sha, "txt")


def test_failed_write_leaves_no_temp_file(store: Store) -> None:
    with pytest.raises(TypeError):
        store.put_many([(b"fine", "txt"), ("not bytes", "txt")])  # type: ignore[list-item]
    assert temp_files(store.root) == []


@pytest.mark.parametrize(
    "sha",
    [
        "../" + "a" * 61,
        "a" * 63,
        "a" * 65,
        "A" * 64,
        "g" * 64,
        "a" * 63 + "/",
        "a" * 64 + "\n",
        "/" + "a" * 63,
        "",
    ],
)
def test_bad_sha_rejected(store: Store, sha: str) -> None:
    with pytest.raises(ValueError):
        store.path(sha, "txt")
    with pytest.raises(ValueError):
        store.read(sha, "txt")
    with pytest.raises(ValueError):
        store.remove(sha, "txt")


@pytest.mark.parametrize(
    "ext", ["", "../x", "txt/..", "TXT", "t.xt", "txt\n", "toolongxx", "t x", "/etc", "ø"]
)
def test_bad_ext_rejected(store: Store, ext: str) -> None:
    sha = "a" * 64
    with pytest.raises(ValueError):
        store.path(sha, ext)
    with pytest.raises(ValueError):
        store.put(b"x", ext)
    assert list(store.root.iterdir()) == []  # nothing written, not even a shard folder


def test_extension_for() -> None:
    assert extension_for("html") == "html"
    assert extension_for("pdf") == "pdf"
    with pytest.raises(ValueError):
        extension_for("../pdf")


def test_clean_partials(store: Store) -> None:
    sha = store.put(b"kept", "txt")
    shard = store.path(sha, "txt").parent
    (shard / ".tmp-x").write_bytes(b"half a file")
    (store.root / ".tmp-y").write_bytes(b"")
    assert sorted(p.name for p in temp_files(store.root)) == [".tmp-x", ".tmp-y"]
    assert [s for s, _, _ in store.iter_files()] == [sha]  # temp files are not originals
    assert store.clean_partials() == 2
    assert temp_files(store.root) == []
    assert store.read(sha, "txt") == b"kept"
    assert store.clean_partials() == 0


def test_clean_partials_spares_fresh_files_when_asked(store: Store) -> None:
    sha = store.put(b"kept", "txt")
    shard = store.path(sha, "txt").parent
    (shard / ".tmp-new").write_bytes(b"in progress")
    old = shard / ".tmp-old"
    old.write_bytes(b"from a crash")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert store.clean_partials(min_age_seconds=600) == 1
    assert [p.name for p in temp_files(store.root)] == [".tmp-new"]


def test_verify_detects_a_flipped_byte(store: Store) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB: more than one read chunk
    sha = store.put(data, "json")
    path = store.path(sha, "json")
    damaged = bytearray(data)
    damaged[700_000] ^= 0x01
    path.write_bytes(bytes(damaged))
    assert not store.verify(sha, "json")
    # A damaged file has the right size, so put() would trust it: remove() first, then put().
    assert store.remove(sha, "json")
    assert store.put(data, "json") == sha
    assert store.verify(sha, "json")


def test_missing_file(store: Store) -> None:
    sha = hashlib.sha256(b"never stored").hexdigest()
    assert not store.verify(sha, "txt")
    assert not store.exists(sha, "txt")
    assert not store.remove(sha, "txt")
    with pytest.raises(NotFound, match=sha):
        store.read(sha, "txt")


def test_iter_files_skips_strays(store: Store) -> None:
    sha = store.put(b"real", "html")
    shard = store.path(sha, "html").parent
    (shard / "notes.txt").write_text("stray")
    (store.root / "zz").mkdir()
    (store.root / "zz" / f"{'f' * 64}.txt").write_text("wrong shard name")
    (store.root / "cd").mkdir()
    (store.root / "cd" / f"{'e' * 64}.txt").write_text("sha does not start with its shard")
    assert list(store.iter_files()) == [(sha, "html", store.path(sha, "html"))]
