"""End to end in headless Chromium against a real uvicorn server: signing in and out.

The cookie is checked as the browser stores it (HttpOnly, SameSite=Lax, no Secure over http),
and script on the page must not be able to read it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import Archive, Settings
from archive.web.auth import COOKIE
from tests.test_web_browser import CHROMIUM, CHROMIUM_ARGS, serve

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium"),
]
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def browser() -> Iterator[playwright_sync.Browser]:
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Archive]]:
    settings = Settings(
        root=tmp_path / "archive",
        private=True,
        password_time_cost=1,
        password_memory_kib=8,
        password_parallelism=1,
    )
    with Archive(settings) as archive:
        archive.add(b"Partisans crossed the frozen river at dawn.\n", "river.txt")
        archive.add_user("ada", PASSWORD, "admin")
        for base_url in serve(archive):
            yield base_url, archive


def test_sign_in_and_out_in_a_private_archive(
    browser: playwright_sync.Browser, site: tuple[str, Archive], tmp_path: Path
) -> None:
    base_url, archive = site
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()

    # a private archive sends a reader to sign in, then back where they were going
    page.goto(f"{base_url}/search?q=partisans")
    assert "/login?next=" in page.url
    page.fill("#login-username", "ada")
    page.fill("#login-password", "not the password")
    with page.expect_navigation():
        page.click("button:has-text('Sign in')")
    assert "Wrong username or password." in page.locator(".form-error").inner_text()
    assert page.input_value("#login-username") == "ada"

    page.fill("#login-password", PASSWORD)
    with page.expect_navigation():
        page.click("main button:has-text('Sign in')")
    assert page.url.endswith("/search?q=partisans")
    assert page.locator(".hit").count() == 1
    nav = page.locator(".account-nav")
    assert "ada" in nav.inner_text() and "admin" in nav.inner_text()
    page.screenshot(path=tmp_path / "signed-in.png")

    [cookie] = [c for c in context.cookies() if c["name"] == COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
    assert COOKIE not in page.evaluate("document.cookie")

    # the admin page is one click away, and signing out ends the session on the server too
    with page.expect_navigation():
        nav.locator("a:has-text('Admin')").click()
    assert page.locator("h1").inner_text() == "Administration"
    page.screenshot(path=tmp_path / "admin.png", full_page=True)
    with page.expect_navigation():
        page.click(".account-nav button:has-text('Sign out')")
    assert "/login" in page.url  # home is private: straight back to the sign-in form
    assert page.locator(".account-nav").inner_text().strip() == "Sign in"
    assert not [c for c in context.cookies() if c["name"] == COOKIE]
    assert archive.session(cookie["value"]) is None
    page.goto(f"{base_url}/admin")
    assert "/login?next=/admin" in page.url
    context.close()
