"""End to end: a real uvicorn server on 127.0.0.1 and headless Chromium driving the pages.

Screenshots land in the test's tmp_path (run with --basetemp to keep them where you can look).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from archive.config import Settings
from archive.core.archive import Archive
from archive.models import Overrides, SearchQuery
from archive.web import create_app

from .live_server import serving

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
Page = playwright_sync.Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SAMPLE_NAME = "partisans-winter-offensive.txt"

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


def serve(archive: Archive) -> Iterator[str]:
    """Run the app on a free port in a thread; yield its base URL."""
    with serving(create_app(archive)) as base_url:
        yield base_url


# The archivist of archivist_site, and how the browser tests sign in as her.
ARCHIVIST, ARCHIVIST_PASSWORD = "ann", "a long enough password"


def quick_settings(root: Path, **more: object) -> Settings:
    """An archive's settings with quick password hashing: a browser test signs in, it does not
    measure Argon2."""
    return Settings(
        root=root, password_time_cost=1, password_memory_kib=1024, password_parallelism=1, **more
    )


def archivist_site(settings: Settings) -> Iterator[tuple[str, Archive]]:
    """An archive with one archivist (ARCHIVIST), served; yields (base URL, archive)."""
    with Archive(settings) as archive:
        archive.add_user(ARCHIVIST, ARCHIVIST_PASSWORD, "archivist")
        for base_url in serve(archive):
            yield base_url, archive


def sign_in(page, base_url: str, then: str = "/") -> None:  # noqa: ANN001 - a Playwright page
    """Sign in as ARCHIVIST through the login form, to land on `then`."""
    page.goto(f"{base_url}/login?next={then}")
    page.fill("#login-username", ARCHIVIST)
    page.fill("#login-password", ARCHIVIST_PASSWORD)
    with page.expect_navigation():
        page.click("form.stacked-form button[type=submit]")


@pytest.fixture
def hostile_id(sample_archive: Archive) -> int:
    doc = sample_archive.add(
        b"Partisans <script>alert(1)</script> and <img src=x onerror=alert(1)> in a body.\n",
        "hostile.txt",
        Overrides(
            title="Partisans <script>alert(1)</script>",
            authors=("<img src=x onerror=alert(1)>",),
            tags=("<script>alert(2)</script>",),
        ),
    )
    return doc.id


@pytest.fixture
def base_url(sample_archive: Archive, hostile_id: int) -> Iterator[str]:
    yield from serve(sample_archive)


def sample_id(archive: Archive) -> int:
    page = archive.search(SearchQuery(text="Bakhmut Prigozhin", per_page=50))
    return next(h.id for h in page.hits if archive.document(h.id).filename == SAMPLE_NAME)


def result_count(page: Page) -> int:
    text = page.locator(".results-count").inner_text()
    match = re.match(r"([\d,]+) results?", text.strip())
    assert match, text
    return int(match.group(1).replace(",", ""))


def in_viewport(page: Page, element_id: str) -> bool:
    return page.evaluate(
        """id => {
            const r = document.getElementById(id).getBoundingClientRect();
            return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
        }""",
        element_id,
    )


def test_reader_searches_ticks_a_facet_opens_a_document_and_jumps_to_the_second_hit(
    browser: Browser, base_url: str, sample_archive: Archive, hostile_id: int, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(f"{base_url}/search")
    page.fill("#q", "partisans")
    with page.expect_navigation():
        page.press("#q", "Enter")
    assert "q=partisans" in page.url
    before = result_count(page)
    assert before > 1
    page.screenshot(path=tmp_path / "search.png")

    # Tick the sample's author: the form submits itself, the URL carries the filter.
    author = sample_archive.document(sample_id(sample_archive)).metadata.authors[0]
    box = page.locator(f'input[type="checkbox"][name="author"][value="{author}"]')
    with page.expect_navigation():
        box.check()
    assert "author=" in page.url
    assert "from=" not in page.url and "sort=" not in page.url  # empty fields left out
    assert page.locator(f'input[type="checkbox"][name="author"][value="{author}"]').is_checked()
    after = result_count(page)
    assert 0 < after < before
    page.screenshot(path=tmp_path / "search-filtered.png")

    with page.expect_navigation():
        page.select_option("#sort", "title")
    assert "sort=title" in page.url and "author=" in page.url

    # Open the sample article from the results.
    doc_id = sample_id(sample_archive)
    with page.expect_navigation():
        page.click(f'.hit-title a[href^="/documents/{doc_id}?"]')
    assert f"/documents/{doc_id}?q=partisans" in page.url

    page.click(".hit-next")
    page.click(".hit-next")
    assert page.url.endswith("#hit-2")
    assert page.evaluate("document.querySelector(':target').id") == "hit-2"
    assert in_viewport(page, "hit-2")
    page.click(".hit-prev")
    assert page.url.endswith("#hit-1") and in_viewport(page, "hit-1")
    page.screenshot(path=tmp_path / "document-hit.png")

    second = page.locator(".passages a").nth(1)
    href = second.get_attribute("href")
    assert href and href.startswith("#p-")
    second.click()
    assert page.url.endswith(href)
    assert in_viewport(page, href[1:])
    # A passage anchor marks the first hit inside it as the current one, and the next hit is
    # the one after it (app.js sets both on hashchange: wait rather than race a busy machine).
    first_inside = page.evaluate(
        "(block) => document.getElementById(block).querySelector('mark').id", href[1:]
    )
    expect(page.locator("mark.current-hit")).to_have_attribute("id", first_inside)
    after = int(first_inside.removeprefix("hit-")) + 1
    hits = page.locator(".document-text mark[id^='hit-']").count()
    following = f"#hit-{after}" if after <= hits else "#hit-1"
    expect(page.locator(".hit-next").first).to_have_attribute("href", following)

    # The hostile document, listed and opened, runs nothing.
    page.goto(f"{base_url}/search?q=partisans")
    page.goto(f"{base_url}/documents/{hostile_id}?q=partisans")
    assert page.locator("h1").inner_text() == "Partisans <script>alert(1)</script>"
    assert dialogs == []
    page.close()


@pytest.mark.parametrize("path", ["/search?q=partisans&per_page=50", "/documents/{id}?q=putin"])
def test_phone_width_nothing_overflows(
    browser: Browser, base_url: str, sample_archive: Archive, path: str, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=1)
    page.goto(base_url + path.format(id=sample_id(sample_archive)))
    page.screenshot(path=tmp_path / "phone.png", full_page=False)
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner
    page.close()


def test_without_javascript_the_apply_button_submits_the_filters(
    browser: Browser, base_url: str, sample_archive: Archive
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}/search?q=partisans")
    page.locator('input[type="checkbox"][name="language"]').first.check()
    page.fill("#from", "2020")
    with page.expect_navigation():
        page.click("button.apply")
    assert "language=" in page.url and "from=2020" in page.url
    assert page.locator('input[type="checkbox"][name="language"]').first.is_checked()
    # The hit links are plain anchors: next goes to the first hit, previous to the last.
    page.goto(f"{base_url}/documents/{sample_id(sample_archive)}?q=partisans")
    assert page.get_attribute(".hit-next", "href") == "#hit-1"
    context.close()
