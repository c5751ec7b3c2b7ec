"""OCR in headless Chromium (issue 14): a scan uploaded where Tesseract is absent is kept as a
draft that the upload form, the drafts list and the edit page mark "needs OCR"; once Tesseract
is there, the edit page's button (a form with its CSRF token) reads it, and the page shows the
text and which page was read."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import Archive
from tests.test_ocr import ENGLISH, TESSERACT, image_bytes, settings_for
from tests.test_web_browser import CHROMIUM, CHROMIUM_ARGS, archivist_site, sign_in

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium"),
    pytest.mark.skipif(TESSERACT is None, reason="needs Debian's tesseract-ocr"),
]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Archive, Path]]:
    """A server whose tesseract setting names a path where nothing is installed yet."""
    tesseract = tmp_path / "bin" / "tesseract"
    for base_url, archive in archivist_site(settings_for(tmp_path / "archive", str(tesseract))):
        yield base_url, archive, tesseract


def test_a_scan_waits_for_ocr_then_the_button_reads_it(
    site: tuple[str, Archive, Path], tmp_path: Path
) -> None:
    base_url, archive, tesseract = site
    scan = tmp_path / "harbour-scan.png"
    scan.write_bytes(image_bytes(ENGLISH, "PNG"))
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        sign_in(page, base_url, "/upload")

        # the upload form takes an image, and says it waits for OCR
        assert ".png" in (page.get_attribute("#upload-file", "accept") or "")
        page.set_input_files("#upload-file", scan)
        item = page.locator(".upload-item")
        expect(item.locator(".confirm-form")).to_be_visible(timeout=30_000)
        expect(item.locator(".text-preview .ocr-note")).to_contain_text(
            "Page 1 needs OCR: Tesseract was not there to read it"
        )
        [draft] = archive.drafts()
        assert draft.needs_ocr

        page.goto(f"{base_url}/drafts")
        row = page.locator(f'tr[data-draft="{draft.id}"]')
        expect(row.locator(".needs-ocr-flag")).to_have_text("needs OCR")

        page.goto(f"{base_url}/documents/{draft.id}/edit")
        note = page.locator(".ocr-note")
        expect(note.locator(".needs-ocr-flag")).to_have_text("Needs OCR")
        button = note.get_by_role("button", name="Read by OCR now")
        expect(button).to_be_visible()
        page.screenshot(path=str(tmp_path / "needs-ocr.png"), full_page=True)

        tesseract.parent.mkdir()
        tesseract.symlink_to(TESSERACT)  # the archivist installs Tesseract
        with page.expect_navigation():
            button.click()
        expect(page).to_have_url(re.compile(rf"/documents/{draft.id}/edit\?done=ocr$"))
        expect(page.locator("p.notice[role=status]")).to_contain_text("Read by OCR")
        expect(page.locator(".ocr-note")).to_contain_text(
            re.compile(r"Page 1 read by OCR \(Tesseract [\d.]+, eng, detected\)")
        )
        expect(page.locator(".ocr-note button")).to_have_count(0)
        expect(page.locator(".text-preview")).to_contain_text("Insurers raised their rates")
        page.screenshot(path=str(tmp_path / "read-by-ocr.png"), full_page=True)
        browser.close()
    doc = archive.document(draft.id, hidden=True)
    assert doc.status == "draft"  # the browser's upload asked for a draft: still to confirm
    assert doc.ocr is not None and doc.ocr.pages == (1,) and not doc.ocr.pending
    assert [e.action for e in archive.audit_log(draft.id)][0] == "ocr"
    assert problems == []
