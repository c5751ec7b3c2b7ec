"""Bulk actions in headless Chromium (issue 14): an archivist ticks drafts and publishes them in
one action, then ticks search results and tags them, then trashes them; a refused action names
the document and changes none."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import Archive
from tests.test_bulk_actions import drafts
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
    yield from archivist_site(quick_settings(tmp_path / "archive", index_batch_size=50))


def test_archivist_publishes_tags_and_trashes_many_at_once(
    site: tuple[str, Archive], tmp_path: Path
) -> None:
    base_url, archive = site
    ids = drafts(archive, 3)
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        sign_in(page, base_url, "/drafts")
        expect(page).to_have_url(f"{base_url}/drafts")

        # drafts: tick two of three, publish them in one action
        for doc_id in ids[:2]:
            page.locator(f'tr[data-draft="{doc_id}"] input[type=checkbox]').check()
        page.select_option("#bulk-action", "publish")
        page.screenshot(path=str(tmp_path / "drafts-bulk.png"), full_page=True)
        with page.expect_navigation():
            page.get_by_role("button", name="Apply to selected").click()
        expect(page.locator(".notice")).to_have_text("Published: 2 documents.")
        expect(page.locator("tr[data-draft]")).to_have_count(1)
        assert [archive.document(i, hidden=True).status for i in ids] == [
            "published", "published", "draft",
        ]  # fmt: skip

        # search results: tick both, add tags; the page comes back with the tags shown
        page.goto(f"{base_url}/search?q=herons")
        expect(page.locator(".hits .hit")).to_have_count(2)
        for box in page.locator(".hit-select").all():
            box.check()
        page.select_option("#bulk-action", "tag")
        page.fill("#bulk-value", "birds, rivers")
        with page.expect_navigation():
            page.get_by_role("button", name="Apply to selected").click()
        expect(page).to_have_url(re.compile(r"/search\?q=herons&bulk=tag&changed=2$"))
        expect(page.locator(".notice")).to_have_text("Tagged: 2 documents.")
        expect(page.locator(".hits .hit .tags").first).to_contain_text("birds")
        assert {archive.document(i).metadata.tags for i in ids[:2]} == {("birds", "rivers")}

        # a refused action (publishing what is published) names the document, changes none
        page.locator(".hit-select").first.check()
        page.select_option("#bulk-action", "publish")
        page.get_by_role("button", name="Apply to selected").click()
        expect(page.locator("body")).to_contain_text("is published; it cannot become published")
        page.go_back()

        # trash both from the results: gone from search
        page.goto(f"{base_url}/search?q=herons")
        for box in page.locator(".hit-select").all():
            box.check()
        page.select_option("#bulk-action", "trash")
        with page.expect_navigation():
            page.get_by_role("button", name="Apply to selected").click()
        expect(page.locator(".hits .hit")).to_have_count(0)
        browser.close()
    assert problems == []
    assert [archive.document(i, hidden=True).status for i in ids] == ["trashed", "trashed", "draft"]
    for doc_id in ids[:2]:
        log = [e.action for e in archive.audit_log(doc_id)]
        assert log.count("publish") == log.count("trash") == 1 and "edit" in log
