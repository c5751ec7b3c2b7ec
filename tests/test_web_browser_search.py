"""The search page in headless Chromium on a real uvicorn server (issue 13): a broken query keeps
the page, the focus stays on the control a keyboard user changed, empty timeline bars are no tab
stops, and a skip link leads to the results."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from archive.core.archive import Archive

from .test_web_browser import CHROMIUM, CHROMIUM_ARGS, serve

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
Page = playwright_sync.Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium"),
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


def focused(page: Page) -> dict:
    return page.evaluate(
        """() => { const el = document.activeElement;
                   return {tag: el.tagName, id: el.id, name: el.name || null,
                           value: el.value || null, checked: !!el.checked}; }"""
    )


def test_a_broken_query_keeps_the_search_page_with_the_message_above_the_box(
    browser: Browser, base_url: str
) -> None:
    page = browser.new_page()
    response = page.goto(f"{base_url}/search?q=title%3A%28&language=en")
    assert response is not None and response.status == 400
    alert = page.locator("#query-error")
    assert "Unbalanced" in alert.inner_text()
    assert page.input_value("#q") == "title:("  # the box still holds the query
    assert page.get_attribute("#q", "aria-invalid") == "true"
    # the message stands above the box, and the filters are still there, the ticked one too
    above = page.evaluate(
        "document.querySelector('#query-error').getBoundingClientRect().bottom"
        " <= document.querySelector('#q').getBoundingClientRect().top"
    )
    assert above
    assert page.locator("#filters").is_visible()
    assert page.locator('input[type="checkbox"][name="language"][value="en"]').is_checked()
    assert page.locator(".error-page").count() == 0  # not the separate error page
    # correcting it in place searches again
    page.fill("#q", "title:(partisans)")
    with page.expect_navigation():
        page.press("#q", "Enter")
    assert page.locator("#query-error").count() == 0
    page.close()


def test_space_on_a_facet_checkbox_keeps_the_focus_on_it_after_the_reload(
    browser: Browser, base_url: str
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{base_url}/search?q=partisans")
    box = page.locator('input[type="checkbox"][name="language"]').first
    value = box.get_attribute("value")
    box.focus()
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert f"language={value}" in page.url
    now = focused(page)
    assert (now["name"], now["value"], now["checked"]) == ("language", value, True)
    # and Space again unticks it, the focus still there
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert "language=" not in page.url
    now = focused(page)
    assert (now["name"], now["value"], now["checked"]) == ("language", value, False)
    page.close()


def test_a_sort_change_keeps_the_focus_on_the_sort(browser: Browser, base_url: str) -> None:
    page = browser.new_page()
    page.goto(f"{base_url}/search?q=partisans")
    page.focus("#sort")
    with page.expect_navigation():
        page.select_option("#sort", "newest")
    assert "sort=newest" in page.url
    assert focused(page)["id"] == "sort"
    # a page opened afresh (not after a change) starts at its top as usual
    page.goto(f"{base_url}/search?q=partisans")
    assert focused(page)["tag"] == "BODY"
    page.close()


def test_tab_skips_the_empty_timeline_bars(browser: Browser, base_url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{base_url}/search?from=2016-01&to=2017-12")
    bars = page.locator("[data-timeline] li")
    empty = page.locator("[data-timeline] li.empty").count()
    full = bars.count() - empty
    assert empty > 0 and full > 0, (bars.count(), empty)
    page.locator("[data-timeline] li:not(.empty) a").first.focus()
    visited = []
    for _ in range(bars.count() + 1):
        info = page.evaluate(
            """() => { const a = document.activeElement;
                       const li = a.closest('[data-timeline] li');
                       return li ? (li.classList.contains('empty') ? 'empty' : 'full') : null; }"""
        )
        if info is None:
            break
        visited.append(info)
        page.keyboard.press("Tab")
    assert visited == ["full"] * full  # every month with matches, none of the empty ones
    page.close()


def test_a_skip_link_leads_to_the_results(browser: Browser, base_url: str) -> None:
    page = browser.new_page()
    page.goto(f"{base_url}/search?q=partisans")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to results"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "results"
    page.keyboard.press("Tab")  # the next stop is inside the results
    assert page.evaluate("!!document.activeElement.closest('#results')")
    page.close()
