"""More like this in Chromium (issue 16): a real uvicorn server and headless Chromium. The page of
the sample essay on partisans lists the addresses on the war first, never seabed mining among
them, and a reader follows a link; a trashed document leaves the list."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from archive import Archive
from tests.test_copies_browser import browser  # noqa: F401 - the module's Chromium
from tests.test_similar import RELATED, UNRELATED, _by_record, _essay_template, essay  # noqa: F401
from tests.test_web_browser import CHROMIUM, serve
from tests.test_web_curation_browser import Watch

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium"),
]


@pytest.fixture
def site(essay: tuple[Archive, int]) -> Iterator[tuple[str, Archive, int]]:  # noqa: F811
    archive, essay_id = essay
    for base_url in serve(archive):
        yield base_url, archive, essay_id


def listed(page: playwright_sync.Page) -> list[int]:
    links = page.locator(".similar li a").evaluate_all("as => as.map(a => a.href)")
    return [int(re.search(r"/documents/(\d+)", href).group(1)) for href in links]


def test_the_essay_page_lists_the_war_first_and_a_reader_follows_it(browser, site):  # noqa: F811
    base_url, archive, essay_id = site
    ids = _by_record(archive)
    related = {ids[r] for r in RELATED}
    page = browser.new_page()
    watch = Watch(page)
    page.goto(f"{base_url}/documents/{essay_id}")
    box = page.locator("details.similar")
    expect(box).to_be_visible()
    expect(box.locator("summary")).to_contain_text("More like this")
    shown = listed(page)
    assert essay_id not in shown
    assert set(shown[: len(related)]) == related
    seabed = archive.document(ids[UNRELATED[0]]).metadata.title
    expect(box.locator("li").nth(0)).not_to_contain_text("Seabed")
    assert seabed not in box.locator("li").nth(len(related) - 1).inner_text()
    first = box.locator("li a").first
    title = first.inner_text()
    first.click()
    expect(page).to_have_url(re.compile(rf"/documents/{shown[0]}$"))
    expect(page.locator("h1")).to_contain_text(title)
    # a document trashed meanwhile is gone from the list at the next visit
    archive.trash(shown[0], actor="ann")
    page.goto(f"{base_url}/documents/{essay_id}")
    assert shown[0] not in listed(page)
    assert watch.problems == []
