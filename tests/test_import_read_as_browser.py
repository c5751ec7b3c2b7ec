"""The browser's /import of a 2,000-record JSONL file with 20 bad lines (issue 14), in headless
Chromium: 1,980 documents added, the 20 failures listed with their line numbers, and the file
said to have been read as JSONL."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import Archive
from tests.test_import_read_as import BAD_LINES, RECORDS, failed_lines, scattered_jsonl
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


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Archive]]:
    yield from archivist_site(quick_settings(tmp_path / "archive", index_batch_size=500))


def test_import_page_lists_the_bad_lines_and_how_the_file_was_read(
    site: tuple[str, Archive], tmp_path: Path
) -> None:
    base_url, archive = site
    path = tmp_path / "news.jsonl"
    path.write_bytes(scattered_jsonl())
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        sign_in(page, base_url, "/import")
        expect(page).to_have_url(f"{base_url}/import")

        page.set_input_files("#import-file", path)
        with page.expect_navigation():
            page.get_by_role("button", name="Start import").click()
        expect(page).to_have_url(re.compile(r"/import\?job=\d+$"))
        expect(page.locator(".job-state")).to_have_text("Done.", timeout=240_000)
        expect(page.locator('[data-count="added"]')).to_have_text(f"{RECORDS - len(BAD_LINES):,}")
        expect(page.locator('[data-count="failed"]')).to_have_text(str(len(BAD_LINES)))
        expect(page.locator(".job-read-as")).to_have_text("Files read as: 1 JSONL")
        expect(page.locator(".job-read-as-files li")).to_have_text("news.jsonl: read as JSONL")
        errors = page.locator(".job-errors li .error-name")
        expect(errors).to_have_count(len(BAD_LINES))
        assert failed_lines(errors.all_text_contents(), "news.jsonl") == list(BAD_LINES)
        page.locator(".job-errors summary").click()
        expect(page.locator(".job-errors li").first).to_have_text(
            "news.jsonl:1: not valid JSON at column 1: Expecting value"
        )
        # the page as served (not only as the script refreshed it) says the same
        page.reload()
        expect(page.locator(".job-read-as")).to_have_text("Files read as: 1 JSONL")
        expect(page.locator(".job-errors li")).to_have_count(len(BAD_LINES))
        page.screenshot(path=str(tmp_path / "import-read-as.png"), full_page=True)
        browser.close()
    assert problems == []
    assert archive.count() == RECORDS - len(BAD_LINES)
