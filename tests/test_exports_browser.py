"""End to end in Chromium: the search page's Export menu opens from the keyboard and its links
download the search on screen, on a real uvicorn server over the sample archive."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from archive.core.archive import Archive
from archive.models import SearchQuery
from archive.web import create_app
from tests.live_server import serving
from tests.test_web_browser import CHROMIUM, CHROMIUM_ARGS

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_the_export_menu_downloads_the_search(
    browser: Browser, sample_archive: Archive, tmp_path: Path
) -> None:
    # an export lists every document, each copy of a text too (collapse=False)
    query = SearchQuery(filters={"language": ("en",)}, per_page=100, collapse=False)
    expected = sample_archive.search(query)
    ids = [hit.id for hit in expected.hits]
    assert len(ids) > 20  # more than the page on screen
    with serving(create_app(sample_archive)) as base_url:
        page = browser.new_page(accept_downloads=True)
        page.goto(f"{base_url}/search?language=en&sort=newest")
        links = page.locator(".export-menu a")
        expect(links.first).to_be_hidden()
        page.locator(".export-menu summary").focus()
        page.keyboard.press("Enter")  # a <details>: opens from the keyboard, no script needed
        expect(links).to_have_count(2)
        expect(page.get_by_role("link", name="CSV")).to_be_visible()
        page.screenshot(path=tmp_path / "export-menu.png")
        with page.expect_download() as download:
            page.get_by_role("link", name="CSV").click()
        text = Path(download.value.path()).read_text(encoding="utf-8")
        assert download.value.suggested_filename.endswith(".csv")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert [int(row["id"]) for row in rows] == ids
        with page.expect_download() as download:
            page.get_by_role("link", name="JSON Lines").click()
        lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
        assert [json.loads(line)["id"] for line in lines] == ids
        page.set_viewport_size({"width": 390, "height": 800})  # a phone
        page.screenshot(path=tmp_path / "export-menu-phone.png")
        expect(page.get_by_role("link", name="JSON Lines")).to_be_in_viewport()
        page.close()
