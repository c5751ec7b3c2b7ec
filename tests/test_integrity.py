"""`archive check` on a 1,000-document archive with five kinds of damage planted."""

from __future__ import annotations

import shutil
from pathlib import Path

from archive import Archive, Settings
from archive.core.integrity import CHANGED, EXTRA, MISSING, ORPHAN, UNINDEXED
from archive.models import SearchQuery
from archive.storage.originals import file_sha256

from .conftest import parts


def test_five_planted_problems_are_found_and_repaired(thousand_template, tmp_path):
    root = tmp_path / "a"
    shutil.copytree(thousand_template, root)
    backup = tmp_path / "backup"
    shutil.copytree(root / "uploads" / "originals", backup)
    with Archive(Settings(root=root)) as archive:
        assert archive.check() == []
        # 1. a missing original, 2. a changed byte, 3. an orphan file
        missing, _ = archive.original_path(10)
        missing.unlink()
        changed, _ = archive.original_path(20)
        data = bytearray(changed.read_bytes())
        data[len(data) // 2] ^= 0x01
        changed.write_bytes(bytes(data))
        ghost_path, _ = archive.original_path(30)
    with parts(Settings(root=root)) as (store, catalog, index):
        # 4. in the index but not the catalog, 5. in the catalog but not the index
        catalog.delete(30)
        ghost_path.unlink()  # as if its trash had been emptied while the index was away
        index.write([], delete_ids=[40])
    with Archive(Settings(root=root)) as archive:
        # an orphan appears while the archive runs (one found at start is swept at once)
        orphan = store.put(b"an upload whose catalog row never committed", "txt")
        found = archive.check()
        kinds = sorted((p.kind, p.doc_id) for p in found)
        assert kinds == sorted(
            [(MISSING, 10), (CHANGED, 20), (ORPHAN, None), (EXTRA, 30), (UNINDEXED, 40)]
        )  # five of five, and no false alarm among the other 995 documents
        assert [p.sha256 for p in found if p.kind == ORPHAN] == [orphan]

        repaired = archive.check(repair=True, source=backup)
        assert all(p.repair and "NOT" not in p.repair for p in repaired), repaired
        assert archive.check() == []
        path, _ = archive.original_path(20)
        assert file_sha256(path) == archive.document(20).sha256
        assert archive.search(SearchQuery(text="", per_page=10)).total == 999
        quarantined = list((root / "uploads" / "quarantine").iterdir())
        assert len(quarantined) == 2  # the damaged copy and the orphan: moved, not deleted


def test_without_a_copy_a_lost_original_is_reported_not_hidden(thousand_template, tmp_path):
    root = tmp_path / "b"
    shutil.copytree(thousand_template, root)
    with Archive(Settings(root=root)) as archive:
        path, _ = archive.original_path(5)
        path.unlink()
        [problem] = archive.check(repair=True)
        assert "NOT repaired" in problem.repair
        assert [p.kind for p in archive.check()] == [MISSING]


def test_the_cli_reports_and_repairs(thousand_template, tmp_path):
    import subprocess
    import sys

    root = tmp_path / "c"
    shutil.copytree(thousand_template, root)
    with parts(Settings(root=root)) as (_, _, index):
        index.write([], delete_ids=[7])
    repo = Path(__file__).resolve().parents[1]
    run = [sys.executable, "-m", "archive", "--root", str(root), "check"]
    first = subprocess.run(run, cwd=repo, capture_output=True, text=True, timeout=120)
    assert (
        first.returncode == 1
        and "document 7 is in the catalog but not in the index" in first.stdout
    )
    fixed = subprocess.run(
        [*run, "--repair"], cwd=repo, capture_output=True, text=True, timeout=120
    )
    assert fixed.returncode == 0 and "0 left after repair" in fixed.stdout
