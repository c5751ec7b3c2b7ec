"""The `archive` command, run as a real subprocess on a real data root."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import sample_path

REPO = Path(__file__).resolve().parents[1]


def archive_cmd(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archive", "--root", str(root), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ingest_search_check_reindex(tmp_path):
    root = tmp_path / "root"
    done = archive_cmd(root, "ingest", str(sample_path()))
    assert done.returncode == 0, done.stderr
    assert "added 1, duplicates 0, failed 0" in done.stdout
    again = archive_cmd(root, "ingest", str(sample_path()))
    assert "duplicate:" in again.stdout and again.returncode == 0

    found = archive_cmd(root, "search", "Bakhmut", "--json")
    page = json.loads(found.stdout)
    assert page["total"] == 1 and page["hits"][0]["title"]
    text = archive_cmd(root, "search", "Bakhmut")
    assert "[Bakhmut]" in text.stdout

    assert archive_cmd(root, "check").returncode == 0
    rebuilt = archive_cmd(root, "reindex")
    assert rebuilt.returncode == 0 and "reindexed 1 documents" in rebuilt.stdout


def test_metadata_options_and_refusals(tmp_path):
    root = tmp_path / "root"
    done = archive_cmd(
        root, "ingest", str(sample_path()), "--title", "Partisans", "--author", "A",
        "--author", "B", "--date", "2023-06-11", "--language", "en", "--tag", "war",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = json.loads(archive_cmd(root, "search", "author:B", "--json").stdout)
    assert page["hits"][0]["title"] == "Partisans"
    assert page["hits"][0]["authors"] == ["A", "B"]

    bad = tmp_path / "fake.txt"
    bad.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"\x00" * 50)
    refused = archive_cmd(root, "ingest", str(bad))
    assert refused.returncode == 1 and "fake.txt" in refused.stdout and "failed 1" in refused.stdout

    bad_date = archive_cmd(root, "ingest", str(sample_path()), "--date", "31/02/2020")
    assert bad_date.returncode == 1 and "31/02/2020" in bad_date.stdout
    bad_query = archive_cmd(root, "search", '"unclosed')
    assert bad_query.returncode == 2 and "Unclosed quote" in bad_query.stderr
