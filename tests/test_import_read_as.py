"""Nothing half-understood is published (issue 14): a file that looks like JSONL but has bad
lines is read as JSONL, its bad lines failing by number and its good lines added; every format's
broken variant is a clear failure of that file or a correct read, never a document of raw JSON
or mojibake; and an import says which type it read each file as, in the CLI, the API and the
browser (tests/test_import_read_as_browser.py)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from archive import Archive, Settings
from archive.errors import InvalidUpload
from archive.ingest.extract import detect, extract, iter_jsonl
from archive.web import create_app
from tests.conftest import CRS_PDF
from tests.live_server import serving

REPO = Path(__file__).resolve().parents[1]
RECORDS = 2_000
# 20 bad lines scattered through the file: first, last and between, of every kind of badness
BAD_LINES = (1, 2, 97, 211, 350, 499, 500, 640, 777, 901, 1_024, 1_111, 1_250, 1_333, 1_499,
             1_618, 1_777, 1_850, 1_999, 2_000)  # fmt: skip
BAD_KINDS = (
    "this line is not JSON at all",
    '{"title": "cut off", "body": "the line ends mid-stri',
    '["an", "array", "not", "a", "record"]',
    '{"title": "a record without a body"}',
)


def record(n: int) -> dict[str, str]:
    return {
        "id": f"rec:{n}",
        "title": f"Grain corridor report {n}",
        "body": f"Ships carried grain through the corridor, report number {n}.\nMore text {n}.",
    }


def scattered_jsonl() -> bytes:
    """RECORDS lines, BAD_LINES of them broken (line numbers count from 1)."""
    lines = []
    for n in range(1, RECORDS + 1):
        if n in BAD_LINES:
            lines.append(BAD_KINDS[BAD_LINES.index(n) % len(BAD_KINDS)])
        else:
            lines.append(json.dumps(record(n)))
    return ("\n".join(lines) + "\n").encode()


def failed_lines(names: list[str], filename: str) -> list[int]:
    """The line numbers a report's failures name ("x.jsonl:97" or "x.jsonl:97 (id)")."""
    numbers = []
    for name in names:
        assert name.startswith(f"{filename}:"), name
        numbers.append(int(name.removeprefix(f"{filename}:").split()[0]))
    return sorted(numbers)


def settings_at(root: Path) -> Settings:
    return Settings(root=root, index_batch_size=500)


# -- detection: a broken line anywhere keeps a JSONL file JSONL ----------------------------------
@pytest.mark.parametrize("where", ["first", "second", "middle", "last"])
def test_a_bad_line_anywhere_is_still_jsonl(where: str) -> None:
    good = [json.dumps(record(n)) for n in range(4)]
    at = {"first": 0, "second": 1, "middle": 2, "last": 4}[where]
    lines = [*good[:at], "not json", *good[at:]]
    assert detect("\n".join(lines).encode(), "upload.txt") == "jsonl"
    # the name does not matter, nor a trailing newline
    assert detect(("\n".join(lines) + "\n").encode(), "") == "jsonl"


def test_a_jsonl_file_whose_records_are_all_broken_fails_line_by_line() -> None:
    broken = b'{"title": "cut\n{"title": "cut too\n'
    assert detect(broken, "all-bad.jsonl") == "jsonl"
    items = list(iter_jsonl(broken, "all-bad.jsonl"))
    assert [(i.name, i.error is not None) for i in items] == [
        ("all-bad.jsonl:1", True),
        ("all-bad.jsonl:2", True),
    ]
    # text misnamed .jsonl, with no line that starts as a record, is read as the text it is
    assert detect(b"Just a note.\nAnother line.\n", "note.jsonl") == "txt"


def test_json_that_does_not_parse_is_refused_not_read_as_text() -> None:
    with pytest.raises(InvalidUpload, match=r"broken\.json: not valid JSON"):
        extract(b'{"title": "x", "body": "y"', "broken.json")
    with pytest.raises(InvalidUpload, match="a JSON array, not a record"):
        extract(b'[{"title": "x", "body": "y"}]', "list.json")
    # pretty-printed, a record is one JSON document, not JSONL
    pretty = json.dumps(record(1), indent=2).encode()
    assert detect(pretty) == "json"
    # prose that starts with a brace is still prose
    assert extract(b"{Editor's note} The minister spoke on Tuesday.", "n.txt").format == "txt"


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("Київ, 11 червня. Збройні сили України продовжують наступ на півдні країни.", "cp1251"),
        ("Москва. Правительство России обсуждает бюджет на следующий год и налоги.", "cp1251"),
        ("Москва. Правительство России обсуждает бюджет на следующий год и налоги.", "koi8-r"),
        ("El presidente habló de la situación económica en España y la inflación.", "cp1252"),
        ("Grüße aus München: die Bürger sind über die Änderung der Straße glücklich.", "cp1252"),
        ("Київ, 11 червня. Збройні сили України продовжують наступ на півдні країни.", "utf-16"),
    ],
)
def test_legacy_and_utf16_text_decodes_correctly(text: str, codec: str) -> None:
    data = f"{text}\n\nSecond paragraph.".encode(codec)  # Python's utf-16 writes a BOM
    blocks = extract(data, "a.txt").blocks
    assert [b.text for b in blocks] == [text, "Second paragraph."]


def test_too_little_legacy_text_to_tell_is_refused() -> None:
    with pytest.raises(InvalidUpload, match="re-save it as UTF-8"):
        detect("Привет, мир".encode("cp1251"), "short.txt")


# -- every format's broken variant, through an import --------------------------------------------
def broken_files(folder: Path) -> dict[str, bytes]:
    good = [json.dumps(record(n)) for n in range(3)]
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("fine.txt", "A fine article about the harbour.\n\nIt has two paragraphs.")
        # words that compress poorly, so that its damage stays inside its own data
        z.writestr("cut.txt", " ".join(f"harbour{n * 7919 % 10007}" for n in range(3000)))
    zip_bytes = bytearray(zipped.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(zip_bytes))) as z:
        cut = z.getinfo("cut.txt")
    start = cut.header_offset + 30 + len(cut.filename)  # its compressed data, after the header
    zip_bytes[start + 10 : start + 200] = bytes(190)  # damaged inside: the directory is intact
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/styles.xml", "<styles/>")
    pdf = CRS_PDF.read_bytes()
    files = {
        "bad-first.jsonl": "\n".join(["oops", *good]).encode(),
        "bad-middle.jsonl": "\n".join([good[0], "oops", *good[1:]]).encode(),
        "bad-last.jsonl": "\n".join([*good, '{"title": "cut']).encode(),
        "members.zip": bytes(zip_bytes),
        "truncated.pdf": pdf[: len(pdf) // 2],
        "no-document.docx": docx.getvalue(),
        "head-only.html": b"<html><head><title>Only a head</title></head></html>",
        "no-body-tag.html": b"<html><h1>Harbour news</h1><p>The harbour reopened today.</p></html>",
        "cp1251.txt": "Київ, 11 червня. Збройні сили України продовжують наступ.".encode("cp1251"),
        "utf16.txt": "Харків. Міська рада зібралася на позачергову сесію.".encode("utf-16"),
        "broken.json": b'{"title": "x", "body": "y"',
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def test_broken_variants_fail_by_file_or_read_correctly(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    broken_files(folder)
    with Archive(settings_at(tmp_path / "archive")) as archive:
        report = archive.ingest_paths([folder])
        read_as = {Path(file).name: label for file, label in report.read_as}
        failed = {name.rsplit("/", 1)[-1]: reason for name, reason in report.failed}
        titles = {archive.document(i).metadata.title: archive.document(i) for i in report.added}

    assert read_as["bad-first.jsonl"] == read_as["bad-middle.jsonl"] == "JSONL"
    assert read_as["bad-last.jsonl"] == "JSONL"
    assert failed["bad-first.jsonl:1"].startswith("not valid JSON at column 1")
    assert failed["bad-middle.jsonl:2"].startswith("not valid JSON at column 1")
    assert "Unterminated string" in failed["bad-last.jsonl:4"]
    # each JSONL file's three good records are added (the same three: duplicates after the first)
    assert {f"Grain corridor report {n}" for n in range(3)} <= set(titles)
    assert not any(t.startswith("{") for t in titles)  # no document titled with raw JSON

    assert read_as["members.zip:fine.txt"] == "plain text"
    assert "A fine article about the harbour." in titles
    assert read_as["members.zip:cut.txt"] == "unreadable"
    assert "cannot be read" in failed["members.zip:cut.txt"]
    assert (read_as["truncated.pdf"], failed["truncated.pdf"]) == (
        "PDF",
        "truncated.pdf: the PDF is truncated or damaged (it does not end with %%EOF)",
    )
    assert "a damaged DOCX (it lacks its main parts)" in failed["no-document.docx"]
    assert read_as["head-only.html"] == "HTML" and "no text" in failed["head-only.html"]
    assert read_as["no-body-tag.html"] == "HTML" and "Harbour news" in titles
    assert titles["Київ, 11 червня."].format == "txt"
    assert "Харків." in titles
    assert "not valid JSON" in failed["broken.json"]
    assert report.read_as_counts["JSONL"] == 3


# -- 2,000 records, 20 bad lines: the CLI and the API -------------------------------------------
def test_cli_imports_1980_and_names_the_20_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "news.jsonl"
    path.write_bytes(scattered_jsonl())
    done = subprocess.run(
        [sys.executable, "-m", "archive", "--root", str(tmp_path / "root"), "ingest", str(path)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # some failed: not a clean run
    failures = [line for line in done.stdout.splitlines() if line.startswith("failed: ")]
    names = [line.removeprefix("failed: ").split(": ", 1)[0] for line in failures]
    assert failed_lines(names, "news.jsonl") == list(BAD_LINES)
    assert "read as JSONL: " + str(path) in done.stdout
    assert "files read as: 1 JSONL" in done.stdout
    assert f"added {RECORDS - len(BAD_LINES)}, duplicates 0, failed {len(BAD_LINES)}" in done.stdout


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Archive]]:
    with Archive(settings_at(tmp_path / "archive")) as archive:
        archive.add_user("ann", "a long enough password", "archivist")
        token = archive.create_token("ann", "script", "write").secret
        with serving(create_app(archive)) as base_url:
            yield base_url, {"Authorization": f"Bearer {token}"}, archive


def finished_job(client: httpx.Client, url: str, headers: dict[str, str]) -> dict:
    deadline = time.monotonic() + 240
    while True:
        job = client.get(url, headers=headers).json()
        if job["state"] != "running":
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.3)


def test_api_imports_1980_and_names_the_20_bad_lines(
    server: tuple[str, dict[str, str], Archive],
) -> None:
    base_url, token, archive = server
    with httpx.Client(base_url=base_url, timeout=60) as client:
        files = {"file": ("news.jsonl", scattered_jsonl())}
        started = client.post("/api/imports", files=files, headers=token)
        assert started.status_code == 202, started.text
        job = finished_job(client, started.json()["url"], token)
    assert job["state"] == "done", job
    assert (job["added"], job["failed"]) == (RECORDS - len(BAD_LINES), len(BAD_LINES))
    names = [e["name"] for e in job["errors"]]
    assert failed_lines(names, "news.jsonl") == list(BAD_LINES)
    reasons = {e["name"].split()[0]: e["reason"] for e in job["errors"]}
    assert reasons["news.jsonl:1"] == "not valid JSON at column 1: Expecting value"
    assert reasons["news.jsonl:2"].endswith("Unterminated string starting at")  # cut off
    assert reasons["news.jsonl:97"] == "the line is not a JSON object"
    assert reasons["news.jsonl:211"] == "the record has no body text"
    assert job["read_as"] == [{"file": "news.jsonl", "as": "JSONL"}]
    assert (job["read_as_counts"], job["read_as_summary"]) == ({"JSONL": 1}, "1 JSONL")
    assert archive.count() == RECORDS - len(BAD_LINES)


def test_the_job_keeps_how_it_read_each_file(tmp_path: Path) -> None:
    """The catalog's job row holds how each file was read (a migration adds its column)."""
    path = tmp_path / "one.jsonl"
    path.write_text("\n".join(json.dumps(record(n)) for n in range(5)))
    with Archive(settings_at(tmp_path / "archive")) as archive:
        report = archive.ingest_paths([path])
        job = archive.job(report.job_id or 0)
    assert job.read_as == ((str(path), "JSONL"),) and job.read_as_counts == {"JSONL": 1}
