"""Copies of one text in Chromium (issue 16): a real uvicorn server and headless Chromium. The
search shows a reprinted text once with "Also in" links, "Show all copies" lists every copy, the
document page lists its copies, and an archivist splits and joins them by hand."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from archive import Archive, Settings
from archive.models import Overrides
from tests.test_copies import _long_records, original, reprint
from tests.test_web_browser import ARCHIVIST_PASSWORD as PASSWORD
from tests.test_web_browser import sign_in
from tests.test_web_curation_browser import CHROMIUM, CHROMIUM_ARGS, Watch, serve

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium"),
]
WORD = "zanzibarian"


@pytest.fixture(scope="module")
def browser() -> Iterator[playwright_sync.Browser]:
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Archive, dict[str, int]]]:
    settings = Settings(
        root=tmp_path / "archive",
        index_batch_size=50,
        password_time_cost=1,
        password_memory_kib=1024,
        password_parallelism=1,
    )
    first, second = _long_records(2)
    with Archive(settings) as archive:
        archive.add_user("ann", PASSWORD, "archivist")
        ids = {
            "original": archive.add(
                f"{original(first)}\n\n{WORD}".encode(), "original.md",
                Overrides(publication="First <Outlet>", language="en"),
            ).id,
            "reprint": archive.add(
                f"{reprint(first)}\n\n{WORD}".encode(), "reprint.md",
                Overrides(publication="Second Outlet", language="en"),
            ).id,
            "other": archive.add(f"{original(second)}\n\n{WORD}".encode(), "other.md").id,
        }  # fmt: skip
        for base_url in serve(archive):
            yield base_url, archive, ids


def hit_ids(page: playwright_sync.Page) -> list[int]:
    links = page.locator(".hits .hit-title a").evaluate_all("as => as.map(a => a.href)")
    return [int(re.search(r"/documents/(\d+)", href).group(1)) for href in links]


def test_a_reader_sees_a_reprinted_text_once_and_can_list_every_copy(browser, site):
    base_url, _, ids = site
    page = browser.new_page()
    watch = Watch(page)
    page.goto(f"{base_url}/search?q={WORD}")
    shown = hit_ids(page)
    assert len(shown) == 2 and ids["other"] in shown
    grouped = page.locator(".hit").filter(has=page.locator(".hit-copies"))
    expect(grouped).to_have_count(1)
    expect(grouped.locator(".hit-copies")).to_contain_text("1 reprint")
    expect(page.locator("#facet-counts-note")).to_contain_text("documents")
    # the switch lists every copy, and stays on through the URL
    page.locator("#collapse").check()
    page.wait_for_url(re.compile(r"collapse=false"))
    assert sorted(hit_ids(page)) == sorted(ids.values())
    expect(page.locator("#collapse")).to_be_checked()
    # a copy's link opens it; its page lists the other copy with its facts, escaped
    page.locator("#collapse").uncheck()
    page.wait_for_url(lambda url: "collapse" not in url)
    page.locator(".hit-copies a").first.click()
    copies = page.locator("#copies .copy-list li")
    expect(copies).to_have_count(1)
    expect(copies).to_contain_text("MD")
    facts = page.locator("#copies").inner_text()
    assert "First <Outlet>" in facts or "Second Outlet" in facts  # shown as text, escaped
    expect(page.locator("#copies outlet")).to_have_count(0)
    expect(page.locator("#copies form")).to_have_count(0)  # readers decide nothing
    assert watch.problems == []


def test_an_archivist_splits_and_joins_copies_and_the_decision_outlives_reindex(browser, site):
    base_url, archive, ids = site
    page = browser.new_page()
    watch = Watch(page)
    sign_in(page, base_url)
    page.goto(f"{base_url}/documents/{ids['reprint']}")
    expect(page.locator("#copies .copy-list li")).to_have_count(1)
    with page.expect_navigation():
        page.locator("#copies .copy-split button").click()
    expect(page.locator("#copies .copy-list")).to_have_count(0)
    assert archive.copies(ids["original"]) == ()
    # join the reprint with the other text by its number instead
    page.fill("#copy-other", str(ids["other"]))
    with page.expect_navigation():
        page.locator("#copies .copy-join button").click()
    expect(page.locator("#copies .copy-list li")).to_have_text(re.compile(r".+"))
    assert [c.id for c in archive.copies(ids["reprint"])] == [ids["other"]]
    actions = [e.action for e in archive.audit_log(ids["reprint"])]
    assert "copies-split" in actions and "copies-join" in actions
    archive.reindex()
    page.goto(f"{base_url}/search?q={WORD}")
    assert len(hit_ids(page)) == 2  # the original alone, the reprint with the other text
    # a bad number is a clear message, not a server error
    page.goto(f"{base_url}/documents/{ids['reprint']}")
    page.fill("#copy-other", "999999")
    with page.expect_navigation():
        page.locator("#copies .copy-join button").click()
    expect(page.locator("body")).to_contain_text("999999")
    assert [p for p in watch.problems if "404" not in p] == []
