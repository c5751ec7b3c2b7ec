"""End to end in Chromium: the timeline (click, drill down, drag), the facet typeahead and the
query box's autocomplete, on a real uvicorn server. Screenshots land in tmp_path (run with
--basetemp to keep them), at desktop and phone width.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from archive.core.archive import Archive
from archive.models import SearchQuery
from tests.test_web_browser import CHROMIUM, CHROMIUM_ARGS, result_count, serve

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
Page = playwright_sync.Page

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


@pytest.fixture
def base_url(sample_archive: Archive) -> Iterator[str]:
    yield from serve(sample_archive)


LISTED = "#facet-authors [data-facet-list] input[name=author]"  # the values the list shows


def params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def bar(page: Page, period: str):  # noqa: ANN201 - a Playwright locator
    return page.locator(f'[data-timeline] a[data-from="{period}"]')


def test_timeline_click_drills_down_and_a_drag_selects_a_range(
    browser: Browser, base_url: str, sample_archive: Archive, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base_url}/search")
    assert page.locator(".timeline h2").inner_text() == "By year"
    page.screenshot(path=tmp_path / "timeline-years.png", full_page=True)

    with page.expect_navigation():
        bar(page, "2022").click()
    assert params(page)["from"] == ["2022"] and params(page)["to"] == ["2022"]
    expected = sample_archive.search(SearchQuery(date_from="2022", date_to="2022")).total
    assert result_count(page) == expected > 0
    dates = page.locator(".hit time").evaluate_all("els => els.map(e => e.dateTime)")
    assert dates and all(d.startswith("2022") for d in dates)
    # month bars appear, the range's months marked
    assert page.locator(".timeline h2").inner_text() == "By month"
    assert page.locator("[data-timeline] li").count() == 12
    assert page.locator("[data-timeline] li.selected").count() == 12
    page.screenshot(path=tmp_path / "timeline-months.png", full_page=True)

    # drag from March to May: from/to take the first and last bar's period
    start = bar(page, "2022-03").bounding_box()
    end = bar(page, "2022-05").bounding_box()
    assert start and end
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + 2, end["y"] + end["height"] / 2, steps=8)
    assert page.locator("[data-timeline] li.in-drag").count() == 3
    with page.expect_navigation():
        page.mouse.up()
    assert params(page)["from"] == ["2022-03"] and params(page)["to"] == ["2022-05"]
    assert "page" not in params(page)
    expected = sample_archive.search(SearchQuery(date_from="2022-03", date_to="2022-05")).total
    assert result_count(page) == expected
    assert [
        el.get_attribute("data-from") for el in page.locator("[data-timeline] li.selected a").all()
    ] == ["2022-03", "2022-04", "2022-05"]

    with page.expect_navigation():
        page.click(".timeline-reset")
    assert "from" not in params(page) and page.locator(".timeline h2").inner_text() == "By year"
    page.close()


def test_facet_typeahead_narrows_the_list_and_a_tick_filters(
    browser: Browser, base_url: str, sample_archive: Archive, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base_url}/search")
    before = result_count(page)
    authors = page.locator("#facet-authors")
    assert authors.locator('input[type="checkbox"][name="author"]').count() > 10
    with page.expect_response(re.compile(r"/api/facets/authors\?.*facet_match=feick")):
        page.locator("#facet-match-authors").press_sequentially("feick", delay=30)
    page.wait_for_function(f"() => document.querySelectorAll({LISTED!r}).length === 1")
    names = authors.locator("[data-facet-list] .facet-name").all_inner_texts()
    assert names == ["Feickert, Andrew"]
    assert authors.locator(".facet-more").is_hidden()
    page.screenshot(path=tmp_path / "facet-typeahead.png", full_page=True)

    with page.expect_navigation():
        authors.locator('[data-facet-list] input[value="Feickert, Andrew"]').check()
    assert params(page)["author"] == ["Feickert, Andrew"]
    expected = sample_archive.search(SearchQuery(filters={"authors": ("Feickert, Andrew",)}))
    assert result_count(page) == expected.total < before
    assert "facet_match" not in params(page)  # the filter box belongs to its own form

    # typing keeps a ticked value, and clearing the box brings the top values back
    page.locator("#facet-match-authors").press_sequentially("zhou", delay=30)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#facet-authors .facet-name')]"
        ".some(e => e.textContent === 'Li Zhou')"
    )
    assert authors.locator('input[value="Feickert, Andrew"]').is_checked()
    page.locator("#facet-match-authors").fill("")
    page.wait_for_function(f"() => document.querySelectorAll({LISTED!r}).length > 5")
    assert authors.locator('input[value="Feickert, Andrew"]').is_checked()
    page.close()


def test_autocomplete_is_a_keyboard_listbox(
    browser: Browser, base_url: str, sample_archive: Archive, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base_url}/search")
    box = page.locator("#q")
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-autocomplete") == "list"
    box.press_sequentially("partis", delay=40)
    options = page.locator("#q-suggestions [role=option]")
    options.first.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    texts = options.all_inner_texts()
    assert any("Partisans winter offensive" in t for t in texts), texts
    page.screenshot(path=tmp_path / "autocomplete.png")

    box.press("ArrowDown")
    first = options.first
    assert first.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    box.press("Escape")
    assert page.locator("#q-suggestions").is_hidden()
    assert box.get_attribute("aria-expanded") == "false"

    # choose a word: the box takes it and the search runs
    box.fill("")
    box.press_sequentially("partis", delay=40)
    options.first.wait_for()
    words = [i for i, t in enumerate(options.all_inner_texts()) if t.endswith("word")]
    assert words, options.all_inner_texts()
    for _ in range(words[0] + 1):
        box.press("ArrowDown")
    chosen = options.nth(words[0]).locator(".suggestion-text").inner_text()
    with page.expect_navigation():
        box.press("Enter")
    assert params(page)["q"] == [chosen]

    # choose a title: its document opens
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially("partisans win", delay=40)
    title = page.locator("#q-suggestions [role=option]", has_text="Partisans winter offensive")
    title.wait_for()
    with page.expect_navigation():
        title.click()
    assert urlsplit(page.url).path == "/documents/1"
    page.close()


@pytest.mark.parametrize("width", [1280, 360])
def test_screens_at_desktop_and_phone_width(
    browser: Browser, base_url: str, width: int, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    for name, path in [
        ("search", "/search?q=war"),
        ("months", "/search?from=2021&to=2022"),
        ("more", "/search?facet_more=tags&facet_page=2"),
        ("document", "/documents/1"),
        ("advanced", "/advanced"),
    ]:
        page.goto(base_url + path)
        page.screenshot(path=tmp_path / f"{name}-{width}.png", full_page=True)
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, (name, width)
    page.close()
