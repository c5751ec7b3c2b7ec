"""Export and import: a round trip of a 1,000-document archive differs in nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archive import Archive, Settings
from archive.errors import BadRequest, InvalidUpload
from archive.models import Overrides, SearchQuery

REPO = Path(__file__).resolve().parents[1]


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_round_trip_differs_in_nothing(thousand_template, tmp_path):
    root = tmp_path / "a"
    shutil.copytree(thousand_template, root)
    with Archive(Settings(root=root)) as archive:
        archive.collect("Election 2016", [3, 4, 5], actor="ann")
        archive.update(6, Overrides(title="Corrected title"), actor="ann")
        archive.trash(7, actor="ann")
        archive.add_user("ann", "a long enough password", "archivist")
        before = archive.search(SearchQuery(text="election", per_page=50))
    run = [sys.executable, "-m", "archive"]
    first = subprocess.run([*run, "--root", str(root), "export", str(tmp_path / "e1")],
                           cwd=REPO, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert first.returncode == 0, first.stderr
    second = subprocess.run([*run, "--root", str(tmp_path / "b"), "import", str(tmp_path / "e1")],
                            cwd=REPO, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert second.returncode == 0, second.stderr
    with Archive(Settings(root=tmp_path / "b")) as restored:
        restored.export(tmp_path / "e2")
        after = restored.search(SearchQuery(text="election", per_page=50))
        assert restored.check() == []
        assert restored.document(6).metadata.title == "Corrected title"
        assert [t[0] for t in restored.trashed()] == [7]
        assert restored.document(3).collections == ("Election 2016",)
        assert "password_hash" not in (tmp_path / "e1" / "users.jsonl").read_text()
    e1, e2 = tree(tmp_path / "e1"), tree(tmp_path / "e2")
    assert len(e1) > 1000
    assert e1 == e2
    assert [h.id for h in after.hits] == [h.id for h in before.hits]


def test_a_tampered_export_is_refused(sample_archive, tmp_path):
    sample_archive.export(tmp_path / "e")
    original = next((tmp_path / "e" / "originals").rglob("*.json"))
    original.write_bytes(original.read_bytes() + b" ")
    with Archive(Settings(root=tmp_path / "fresh")) as fresh:
        with pytest.raises(InvalidUpload, match="does not match its checksum"):
            fresh.import_export(tmp_path / "e")
        assert fresh.is_empty()
    with pytest.raises(BadRequest, match="not empty"):
        sample_archive.export(tmp_path / "e")
