"""Translations in Chromium (issue 16): a real uvicorn server and headless Chromium. A Ukrainian
address and its English version, imported without the ids and URLs that pair them, show once
in results with "Also in: English"; the document page lists "Translations: English — title"
with its date and publication; an archivist says "Not a translation", and it holds."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from archive import Archive, Settings
from tests.test_copies_browser import browser, hit_ids  # noqa: F401 (a fixture)
from tests.test_translations import _day_of_three, _import
from tests.test_web_browser import sign_in
from tests.test_web_curation_browser import CHROMIUM, PASSWORD, Watch, serve

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium"),
]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Archive, dict[str, int]]]:
    settings = Settings(
        root=tmp_path / "archive",
        index_batch_size=50,
        password_time_cost=1,
        password_memory_kib=1024,
        password_parallelism=1,
    )
    uk_a, en_a, uk_b, _ = _day_of_three()
    with Archive(settings) as archive:
        archive.add_user("ann", PASSWORD, "archivist")
        ids = _import(archive, [uk_a, en_a, uk_b], tmp_path / "day.jsonl")
        named = {"uk": ids[uk_a["id"]], "en": ids[en_a["id"]], "other": ids[uk_b["id"]]}
        for base_url in serve(archive):
            yield base_url, archive, named


def test_a_reader_sees_a_translation_once_and_on_the_document_page(browser, site):  # noqa: F811
    base_url, archive, ids = site
    english = archive.document(ids["en"]).metadata
    page = browser.new_page()
    watch = Watch(page)
    # names both versions mention, in both scripts: both match, one is shown
    page.goto(f"{base_url}/search?q=Зеленський+OR+Zelensky+OR+Україна+OR+Ukraine")
    shown = hit_ids(page)
    assert len({ids["uk"], ids["en"]} & set(shown)) == 1
    also = page.locator(".hit-copies")
    expect(also).to_have_count(1)
    expect(also).to_contain_text(re.compile("English|Ukrainian"))
    # the Ukrainian document's page lists its translation with language, title, date, outlet
    page.goto(f"{base_url}/documents/{ids['uk']}")
    item = page.locator("#translations .translation-list li")
    expect(item).to_have_count(1)
    expect(item.locator(".translation-language")).to_have_text("English")
    expect(item.locator("a")).to_have_text(english.title)
    expect(item.locator("time")).to_have_attribute("datetime", english.date or "")
    expect(item).to_contain_text(english.publication)
    expect(page.locator("#copies")).to_have_count(0)  # no copy in Ukrainian
    expect(page.locator("#translations form")).to_have_count(0)  # readers decide nothing
    with page.expect_navigation():
        item.locator("a").click()
    expect(page.locator("#translations .translation-language")).to_have_text("Ukrainian")
    assert watch.problems == []


def test_an_archivist_says_not_a_translation_and_it_outlives_reindex(browser, site):  # noqa: F811
    base_url, archive, ids = site
    page = browser.new_page()
    watch = Watch(page)
    sign_in(page, base_url)
    page.goto(f"{base_url}/documents/{ids['en']}")
    expect(page.locator("#translations .translation-list li")).to_have_count(1)
    with page.expect_navigation():
        page.locator("#translations .translation-split button").click()
    expect(page.locator("#translations")).to_have_count(0)
    assert archive.copies(ids["en"]) == ()
    archive.reindex()
    page.goto(f"{base_url}/documents/{ids['uk']}")
    expect(page.locator("#translations")).to_have_count(0)
    assert "copies-split" in [e.action for e in archive.audit_log(ids["en"])]
    assert watch.problems == []
