"""Look before confirming, in headless Chromium (issue 14): an uploaded PDF's confirm form shows
its extracted text, its edit page too, and its original opens in Chromium's PDF viewer (inline,
sandboxed) rather than downloading."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import Archive
from tests.conftest import CRS_PDF
from tests.test_web_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    archivist_site,
    quick_settings,
    sign_in,
)

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium"),
]

# Chromium's built-in PDF viewer: the extension that renders an inline PDF
PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Archive]]:
    yield from archivist_site(quick_settings(tmp_path / "archive"))


def test_a_pdf_is_read_before_confirming_and_its_original_viewed_inline(
    site: tuple[str, Archive], tmp_path: Path
) -> None:
    base_url, archive = site
    pdf = tmp_path / "iran-report.pdf"
    shutil.copy(CRS_PDF, pdf)
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        context.on("page", lambda p: p.on("download", lambda d: problems.append(d.url)))
        sign_in(page, base_url, "/upload")

        # the confirm form comes with the text the archive read, headings and all
        page.set_input_files("#upload-file", pdf)
        item = page.locator(".upload-item")
        expect(item.locator(".confirm-form")).to_be_visible(timeout=30_000)
        preview = item.locator(".text-preview")
        expect(preview).to_be_visible()
        expect(preview.locator(".preview-heading").first).to_be_visible()
        expect(preview).to_contain_text("Iran")
        expect(preview.locator(".short-text-flag")).to_be_hidden()
        page.screenshot(path=str(tmp_path / "confirm-with-text.png"), full_page=True)
        [draft] = archive.drafts()

        # the edit page shows it beside the form, and links the original to view
        page.goto(f"{base_url}/documents/{draft.id}/edit")
        form_box = page.locator(".metadata-form").bounding_box()
        text_box = page.locator(".text-preview").bounding_box()
        assert form_box and text_box and text_box["x"] > form_box["x"] + form_box["width"] - 1
        assert abs(text_box["y"] - form_box["y"]) < 200  # side by side, not below
        expect(page.locator(".text-preview .preview-heading").first).to_be_visible()
        with context.expect_page() as opened:
            page.get_by_role("link", name="View the original").click()
        viewer = opened.value
        viewer.wait_for_load_state()
        expect(viewer).to_have_url(re.compile(rf"/documents/{draft.id}/original$"))
        frames = []
        for _ in range(50):  # the viewer's frame appears once the PDF is rendered
            frames = [f.url for f in viewer.frames]
            if any(url.startswith(PDF_VIEWER) for url in frames):
                break
            viewer.wait_for_timeout(100)
        assert any(url.startswith(PDF_VIEWER) for url in frames), frames
        viewer.wait_for_timeout(1500)  # only so that the screenshot shows the rendered pages
        viewer.screenshot(path=str(tmp_path / "original-inline.png"))
        browser.close()
    assert problems == []
