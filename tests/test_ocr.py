"""Scanned pages read by OCR (issue 14): images (PNG, JPEG, TIFF) and PDF pages without a text
layer, made here from known text, uploaded through a real server and the `archive` command, read
by Debian's Tesseract, searchable, and the pages read recorded and shown; an upload where
Tesseract is absent kept as a draft marked "needs OCR" and read later by `archive ocr`; hostile
images refused with a reason. The button in Chromium: tests/test_ocr_browser.py."""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter

from archive import Archive, Settings
from archive.errors import InvalidUpload
from archive.models import SearchQuery
from tests.conftest import NO_LIMITS
from tests.test_extract_pdf import build_pdf, text_stream
from tests.test_web_browser import serve

# Debian's fonts-dejavu-core (.ci/run installs it with Tesseract)
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
TESSERACT = shutil.which("tesseract")
needs_tesseract = pytest.mark.skipif(TESSERACT is None, reason="needs Debian's tesseract-ocr")
REPO = Path(__file__).resolve().parents[1]

ENGLISH = (
    "The harbour master counted forty grain ships leaving Odesa in the third week of the "
    "corridor. Insurers raised their rates after the strikes on the port."
)
UKRAINIAN = (
    "Начальник порту нарахував сорок суден із зерном, які вийшли з Одеси третього тижня. "
    "Страховики підняли ставки після ударів по порту."
)
GERMAN = (
    "Die Regierung hat am Dienstag neue Regeln für die öffentlichen Medien vorgestellt. "
    "Kritiker befürchten, dass die Änderungen die Unabhängigkeit der Redaktionen schwächen."
)


def page_image(text: str, dpi: int = 200) -> Image.Image:
    """`text` drawn in DejaVu Serif 12 pt on a white page, as a clean scan at `dpi`."""
    scale = dpi / 72
    size = round(12 * scale)
    # Pillow's own font where DejaVu is not installed (the OCR tests then read it less well)
    font = ImageFont.truetype(str(FONT), size) if FONT.exists() else ImageFont.load_default(size)
    lines = textwrap.wrap(text, 60)
    margin, leading = round(54 * scale), round(17 * scale)
    image = Image.new("L", (round(7 * dpi), 2 * margin + leading * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((margin, margin + n * leading), line, font=font, fill=0)
    return image


def image_bytes(text: str, fmt: str, dpi: int = 200) -> bytes:
    out = io.BytesIO()
    page_image(text, dpi).save(
        out, fmt, dpi=(dpi, dpi), **({"quality": 90} if fmt == "JPEG" else {})
    )
    return out.getvalue()


def scanned_pdf(*texts: str, dpi: int = 200) -> bytes:
    """A PDF of image-only pages, one a text, as Pillow writes a scan (each page one image)."""
    first, *rest = [page_image(t, dpi).convert("RGB") for t in texts]
    out = io.BytesIO()
    first.save(out, "PDF", resolution=dpi, save_all=True, append_images=rest)
    return out.getvalue()


def mixed_pdf(text_page: str, scanned_page: str) -> bytes:
    """Page 1 has a text layer (Helvetica); page 2 is a scan whose text layer holds only its
    stamped page number, "- 2 -"."""
    lines = [(700 - 14 * n, "F1", 11, line) for n, line in enumerate(textwrap.wrap(text_page, 80))]
    writer = PdfWriter()
    for part in (build_pdf([text_stream(lines)]), scanned_pdf(scanned_page)):
        writer.append(PdfReader(io.BytesIO(part)))
    stamp = PdfReader(io.BytesIO(build_pdf([text_stream([(20, "F1", 9, "- 2 -")], x=280)])))
    writer.pages[1].merge_page(stamp.pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def archive_cmd(
    root: Path, *args: str, tesseract: str | None = None
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_")}
    if tesseract is not None:
        env["ARCHIVE_TESSERACT"] = tesseract
    return subprocess.run(
        [sys.executable, "-m", "archive", "--root", str(root), *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def settings_for(root: Path, tesseract: str = "tesseract") -> Settings:
    return Settings(
        root=root, index_batch_size=50, rate_limits=NO_LIMITS, tesseract=tesseract,
        password_time_cost=1, password_memory_kib=1024, password_parallelism=1,
    )  # fmt: skip


class Site:
    """A real server over an archive, and an archivist's write token for its API."""

    def __init__(self, archive: Archive, base_url: str) -> None:
        archive.add_user("ann", "a long enough password", "archivist")
        token = archive.create_token("ann", "tests", "write").secret
        self.archive = archive
        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=300
        )

    def upload(self, name: str, data: bytes, **fields: str) -> httpx.Response:
        return self.http.post("/api/documents", files={"file": (name, data)}, data=fields)

    def hits(self, q: str) -> list[int]:
        page = self.http.get("/api/search", params={"q": q})
        assert page.status_code == 200, page.text
        return [hit["id"] for hit in page.json()["hits"]]


def site_at(root: Path, tesseract: str = "tesseract") -> Iterator[Site]:
    with Archive(settings_for(root, tesseract)) as archive:
        for base_url in serve(archive):
            site = Site(archive, base_url)
            yield site
            site.http.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    yield from site_at(tmp_path / "archive")


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def assert_read(expected: str, got: str, at_least: float = 0.9) -> None:
    """Most words of the known text are read right (OCR may slip on a letter or two)."""
    known = words(expected)
    found = set(words(got))
    right = sum(w in found for w in known)
    assert right >= at_least * len(known), (right, len(known), got)


# -- read by OCR -------------------------------------------------------------------------------


@needs_tesseract
@pytest.mark.parametrize(
    ("fmt", "name", "text", "language", "read_in"),
    [
        ("PNG", "harbour.png", ENGLISH, "en", "eng"),
        ("JPEG", "порт.jpg", UKRAINIAN, "uk", "ukr"),
        ("TIFF", "medien.tif", GERMAN, "", "deu"),  # no language given: detected
    ],
)
def test_an_uploaded_image_is_read_searchable_and_marked(
    site: Site, fmt: str, name: str, text: str, language: str, read_in: str
) -> None:
    fields = {"language": language} if language else {}
    response = site.upload(name, image_bytes(text, fmt), **fields)
    assert response.status_code == 201, response.text
    doc = response.json()
    assert doc["format"] == fmt.lower()
    assert doc["status"] == "published" and doc["searchable"]
    assert_read(text, " ".join(b["text"] for b in doc["blocks"]))
    ocr = doc["ocr"]
    assert ocr["pages"] == [1] and ocr["needs_ocr"] == [] and ocr["unread"] == []
    assert ocr["language"] == read_in and ocr["language_detected"] == (not language)
    assert ocr["engine"].startswith("Tesseract ")
    assert ocr["summary"].startswith("Page 1 read by OCR (Tesseract ")
    assert doc["language"] == (language or "de")  # detected from the text OCR read
    word = {"eng": "insurers", "ukr": "страховики", "deu": "unabhängigkeit"}[read_in]
    assert site.hits(word) == [doc["id"]]
    again = site.http.get(f"/api/documents/{doc['id']}").json()
    assert again["ocr"] == ocr
    page = site.http.get(f"/documents/{doc['id']}").text
    assert re.search(r'class="ocr-note"[^>]*>\s*<p>Page 1 read by OCR \(Tesseract [\d.]+, ', page)


@needs_tesseract
def test_a_scanned_pdf_through_the_command_line(tmp_path: Path) -> None:
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scanned_pdf(ENGLISH, GERMAN))
    root = tmp_path / "root"
    done = archive_cmd(root, "ingest", str(scan))
    assert done.returncode == 0, done.stderr
    assert "read as PDF: " in done.stdout and "added 1," in done.stdout
    with Archive(settings_for(root)) as archive:
        doc = archive.document(1)  # the archive's first
        assert doc.ocr is not None and doc.ocr.pages == (1, 2)
        assert doc.ocr.language == "eng, deu" and doc.ocr.detected  # each page in its own
        assert_read(ENGLISH + " " + GERMAN, doc.text)
    found = archive_cmd(root, "search", "Unabhängigkeit")
    assert "1 documents" in found.stdout, found.stdout


@needs_tesseract
def test_a_mixed_pdf_keeps_its_text_layer_and_reads_its_scan_in_place(site: Site) -> None:
    text_page = "The port authority report. " + ENGLISH
    response = site.upload("mixed.pdf", mixed_pdf(text_page, UKRAINIAN), language="uk")
    assert response.status_code == 201, response.text
    doc = response.json()
    blocks = " ".join(b["text"] for b in doc["blocks"])
    # the text layer's page first, as written; then the scan's, read by OCR
    assert blocks.index("The port authority report.") < blocks.index("Страховики")
    assert_read(UKRAINIAN, blocks)
    assert doc["ocr"]["pages"] == [2] and doc["ocr"]["language"] == "ukr"
    assert doc["ocr"]["summary"].startswith("Page 2 read by OCR (Tesseract ")
    assert site.hits("Страховики") == site.hits("authority") == [doc["id"]]


@needs_tesseract
def test_scans_in_a_zip_are_read_as_a_bulk_import_reads_them(tmp_path: Path) -> None:
    bundle = tmp_path / "scans.zip"
    with zipfile.ZipFile(bundle, "w") as zipped:
        zipped.writestr("harbour.png", image_bytes(ENGLISH, "PNG"))
        zipped.writestr("port/scan.pdf", scanned_pdf(UKRAINIAN))
    with Archive(settings_for(tmp_path / "archive")) as archive:
        report = archive.ingest_paths([bundle])
        assert not report.failed and len(report.added) == 2, report.failed
        assert report.read_as_counts == {"PNG image": 1, "PDF": 1}
        docs = [archive.document(i) for i in report.added]
        assert [d.ocr.pages if d.ocr else None for d in docs] == [(1,), (1,)]
        assert [d.metadata.language for d in docs] == ["en", "uk"]
        assert archive.search(SearchQuery(text="Страховики")).total == 1


@needs_tesseract
def test_ocr_time_and_pages_are_bounded(tmp_path: Path) -> None:
    pages = io.BytesIO()
    first, *rest = (page_image(t) for t in (ENGLISH, GERMAN, UKRAINIAN))
    first.save(pages, "TIFF", save_all=True, append_images=rest, dpi=(200, 200))
    with Archive(settings_for(tmp_path / "a").with_(ocr_max_pages=2)) as archive:
        doc = archive.add(pages.getvalue(), "three.tiff")
        assert doc.ocr is not None and (doc.ocr.pages, doc.ocr.unread) == ((1, 2), (3,))
        assert doc.ocr.summary().endswith("; Page 3 not read by OCR (over the page limit or time)")
        assert "Unabhängigkeit" in doc.text and "Страховики" not in doc.text
    with Archive(settings_for(tmp_path / "b").with_(ocr_page_seconds=0.01)) as archive:
        with pytest.raises(InvalidUpload) as slow:
            archive.add(image_bytes(ENGLISH, "PNG"), "slow.png")
        assert slow.value.message == (
            "slow.png: reading it by OCR took too long: over 0.01 s on page 1 (the limit a page"
            " is ARCHIVE_OCR_PAGE_SECONDS)"
        )
        assert archive.count() == 0


# -- Tesseract absent: kept, marked, read later -----------------------------------------------


def test_without_tesseract_an_upload_is_kept_as_a_draft_marked_needs_ocr(tmp_path: Path) -> None:
    missing = str(tmp_path / "bin" / "tesseract")  # not there (yet)
    for site in site_at(tmp_path / "archive", tesseract=missing):
        response = site.upload("harbour.png", image_bytes(ENGLISH, "PNG"))
        assert response.status_code == 201, response.text
        doc = response.json()
        assert doc["status"] == "draft" and not doc["searchable"] and doc["blocks"] == []
        assert doc["ocr"]["needs_ocr"] == [1] and doc["ocr"]["pages"] == []
        assert doc["ocr"]["summary"] == "Page 1 needs OCR: Tesseract was not there to read it"
        scan = site.upload("scan.pdf", scanned_pdf(ENGLISH, GERMAN), publish="false")
        assert scan.status_code == 201 and scan.json()["ocr"]["needs_ocr"] == [1, 2]
        assert scan.json()["ocr"]["summary"].startswith("Pages 1–2 need OCR: ")
        drafts = site.http.get("/api/drafts").json()["drafts"]
        assert [d["needs_ocr"] for d in drafts] == [True, True]
        assert site.archive.needing_ocr() == [doc["id"], scan.json()["id"]]
        assert site.hits("insurers") == []


@needs_tesseract
def test_archive_ocr_reads_what_waits_once_tesseract_is_there(tmp_path: Path) -> None:
    """Tesseract is "installed" between the upload and `archive ocr`: a link appears where
    ARCHIVE_TESSERACT points."""
    root, missing = tmp_path / "root", tmp_path / "bin" / "tesseract"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "harbour.png").write_bytes(image_bytes(ENGLISH, "PNG"))
    (tmp_path / "in" / "medien.tiff").write_bytes(image_bytes(GERMAN, "TIFF"))
    done = archive_cmd(root, "ingest", str(tmp_path / "in"), tesseract=str(missing))
    assert done.returncode == 0, done.stderr
    assert "added 2," in done.stdout and "needs OCR: 2 kept as drafts" in done.stdout
    assert "1 documents" not in archive_cmd(root, "search", "insurers").stdout

    refused = archive_cmd(root, "ocr", tesseract=str(missing))
    assert refused.returncode == 2 and "Tesseract is not installed here" in refused.stderr

    missing.parent.mkdir()
    missing.symlink_to(TESSERACT)
    read = archive_cmd(root, "ocr", tesseract=str(missing))
    assert read.returncode == 0, read.stderr
    assert "reading by OCR [" in read.stderr  # progress in the terminal
    assert re.search(
        r"document 1 \(harbour.png\): Page 1 read by OCR \(Tesseract [\d.]+, eng", read.stdout
    )
    assert "; published" in read.stdout and "read 2 of 2 documents by OCR" in read.stdout
    assert "1 documents" in archive_cmd(root, "search", "insurers").stdout
    assert "1 documents" in archive_cmd(root, "search", "Regierung").stdout
    with Archive(settings_for(root)) as archive:
        doc = archive.document(1)
        assert doc.status == "published" and doc.ocr is not None and not doc.ocr.pending
        assert doc.metadata.language == "en" and doc.metadata.title.startswith("The harbour")
        assert [e.action for e in archive.audit_log(1)][:2] in (
            ["publish", "ocr"],
            ["ocr", "publish"],
        )
    again = archive_cmd(root, "ocr", tesseract=str(missing))
    assert again.returncode == 0 and "No document waits for OCR." in again.stdout


# -- hostile images ---------------------------------------------------------------------------


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG whose header declares width x height pixels (its data holds one row)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * (width + 1))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("tesseract", ["tesseract", "/nonexistent/tesseract"])
def test_hostile_images_are_refused_with_a_reason_never_a_500(
    tmp_path: Path, tesseract: str
) -> None:
    good = image_bytes(ENGLISH, "PNG")
    cases = {
        "truncated.png": (good[: len(good) // 2], 422, "PNG image (the file is truncated)"),
        "bomb.png": (
            png_claiming(100_000, 100_000),
            422,
            "100,000 × 100,000 pixels, over the limit",
        ),
        "noise.png": (
            b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
            422,
            "damaged or unreadable PNG image",
        ),
        "notes.png": (b"\x00\x01\x02garbage\xff" * 50, 415, "accepted types are"),
        "cut.jpg": (image_bytes(ENGLISH, "JPEG")[:600], 422, "JPEG image"),
    }
    for site in site_at(tmp_path / "archive", tesseract=tesseract):
        for name, (data, status, reason) in cases.items():
            response = site.upload(name, data)
            assert response.status_code == status, (name, response.text)
            error = response.json()["error"]
            assert error.startswith(f"{name}: ") and reason in error, (name, error)
        assert site.archive.count() == 0
