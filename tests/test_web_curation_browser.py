"""End to end in headless Chromium: an archivist signs in, uploads two files, corrects a date,
publishes, finds them, edits one, trashes and restores it, and runs a bulk import.

Screenshots land in the test's tmp_path (run with --basetemp to look at them).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import Archive, Settings
from tests.test_web_browser import CHROMIUM, CHROMIUM_ARGS, serve

playwright_sync = pytest.importorskip("playwright.sync_api")
Page = playwright_sync.Page
expect = playwright_sync.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium"),
]

PASSWORD = "a long enough password"
HERONS = (
    b"Heron count on the river\n\nBy Ann Smith\n\n11/06/2023\n\n"
    b"Volunteers counted herons along the river banks this week, more than last year."
)
OTTERS = b"# Otters are back\n\nOtters returned to the estuary after twenty years away.\n"
PHONE = {"width": 390, "height": 844}


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
        index_batch_size=50,
        password_time_cost=1,
        password_memory_kib=1024,
        password_parallelism=1,
    )
    with Archive(settings) as archive:
        archive.add_user("ann", PASSWORD, "archivist")
        for base_url in serve(archive):
            yield base_url, archive


class Watch:
    """Every JS dialog, console error and uncaught exception on a page: there must be none."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("console", self.console)
        page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        # which address a "Failed to load resource" line was about
        page.on(
            "response",
            lambda r: self.problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None,
        )

    def console(self, message: playwright_sync.ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text} {message.location['url']}")


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def result_ids(page: Page, base_url: str, q: str) -> list[int]:
    page.goto(f"{base_url}/search?q={q}")
    links = page.locator(".hits .hit-title a").evaluate_all("as => as.map(a => a.href)")
    return [int(re.search(r"/documents/(\d+)", href).group(1)) for href in links]


def test_archivist_uploads_corrects_publishes_edits_trashes_restores_and_imports(
    browser: playwright_sync.Browser, site: tuple[str, Archive], tmp_path: Path
) -> None:
    base_url, archive = site
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page)

    # sign in, landing on the upload page
    page.goto(f"{base_url}/upload")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("#login-username", "ann")
    page.fill("#login-password", PASSWORD)
    with page.expect_navigation():
        page.click("form.stacked-form button[type=submit]")
    expect(page).to_have_url(f"{base_url}/upload")

    # two files at once: each gets its own progress bar, then its suggested metadata
    (tmp_path / "herons.txt").write_bytes(HERONS)
    (tmp_path / "otters.md").write_bytes(OTTERS)
    page.set_input_files("#upload-file", [tmp_path / "herons.txt", tmp_path / "otters.md"])
    items = page.locator(".upload-item")
    expect(items).to_have_count(2)
    expect(page.locator(".confirm-form:visible")).to_have_count(2)
    herons = items.filter(has_text="herons.txt")
    otters = items.filter(has_text="otters.md")
    expect(herons.locator("input[name=title]")).to_have_value("Heron count on the river")
    expect(herons.locator("textarea[name=authors]")).to_have_value("Ann Smith")
    expect(herons.locator("input[name=date]")).to_have_value("2023-06-11")
    expect(otters.locator("input[name=title]")).to_have_value("Otters are back")
    assert len(archive.drafts()) == 2

    # the date is ambiguous: both readings are offered; the archivist picks the other one
    readings = herons.locator(".date-readings")
    expect(readings).to_be_visible()
    expect(readings).to_contain_text("11 June 2023")
    herons.get_by_label("6 November 2023 (day and month swapped)").check()
    expect(herons.locator("input[name=date]")).to_have_value("2023-11-06")
    herons.locator("input[name=tags]").fill("birds, rivers")
    page.screenshot(path=str(tmp_path / "upload-desktop.png"), full_page=True)

    herons.get_by_role("button", name="Publish").click()
    otters.get_by_role("button", name="Publish").click()
    expect(page.locator(".upload-item.published")).to_have_count(2)
    expect(herons.locator(".upload-message")).to_contain_text("is in search results now")
    page.screenshot(path=str(tmp_path / "upload-published.png"), full_page=True)
    assert archive.drafts() == []

    # both are found, with the corrected date
    [heron_id] = result_ids(page, base_url, "herons")
    [otter_id] = result_ids(page, base_url, "estuary")
    heron = archive.document(heron_id).metadata
    assert (heron.date, heron.date_ambiguous, heron.tags) == (
        "2023-11-06",
        False,
        ("birds", "rivers"),
    )

    # edit: the document page links archivists to the edit form; the title change is searchable
    page.goto(f"{base_url}/documents/{otter_id}")
    with page.expect_navigation():
        page.get_by_role("link", name="Edit", exact=True).click()
    page.fill("#f-title", "Otters return to the estuary")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.locator(".notice")).to_have_text("Your changes are saved.")
    expect(page.locator(".audit-entry").first).to_contain_text("Otters are back")
    expect(page.locator(".audit-entry").first).to_contain_text("Otters return to the estuary")
    page.screenshot(path=str(tmp_path / "edit-desktop.png"), full_page=True)
    page.goto(f"{base_url}/search?q=otters")
    expect(page.locator(".hits .hit-title").first).to_have_text("Otters return to the estuary")

    # trash hides it from search; restore from the trash page brings it back
    page.goto(f"{base_url}/documents/{otter_id}/edit")
    with page.expect_navigation():
        page.get_by_role("button", name="Move to trash").click()
    expect(page.locator(".status")).to_have_text("In the trash")
    assert result_ids(page, base_url, "otters") == []
    page.goto(f"{base_url}/trash")
    page.screenshot(path=str(tmp_path / "trash-desktop.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Restore Otters return to the estuary").click()
    expect(page.locator(".doc-list")).to_have_count(0)
    assert result_ids(page, base_url, "otters") == [otter_id]

    # a bulk import of a JSONL file: live progress reaches done with the right counts
    records = [{"title": f"Badger sett {n}", "text": f"Badgers dug sett {n}."} for n in range(5)]
    records.append({"title": "Broken"})  # no text: a failure with its reason
    jsonl = tmp_path / "badgers.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in records))
    page.goto(f"{base_url}/import")
    page.set_input_files("#import-file", jsonl)
    with page.expect_navigation():
        page.get_by_role("button", name="Start import").click()
    expect(page).to_have_url(re.compile(r"/import\?job=\d+$"))
    import_url = page.url
    expect(page.locator(".job-state")).to_have_text("Done.", timeout=20_000)
    expect(page.locator('[data-count="added"]')).to_have_text("5")
    expect(page.locator('[data-count="failed"]')).to_have_text("1")
    expect(page.locator(".job-progress")).to_have_attribute("value", "6")
    row = page.locator(f'[data-job-row="{import_url.rsplit("=", 1)[1]}"]')
    expect(row.locator('[data-field="state"]')).to_have_text("done")  # the list follows too
    expect(row.locator('[data-field="added"]')).to_have_text("5")
    failure = "badgers.jsonl:6: the record has no body text"
    expect(page.locator(".job-errors li")).to_have_text(failure)
    page.locator(".job-errors summary").click()
    page.screenshot(path=str(tmp_path / "import-desktop.png"), full_page=True)
    assert len(result_ids(page, base_url, "badgers")) == 5

    # the same pages at phone width: nothing runs off the side
    phone = context.new_page()
    phone_watch = Watch(phone)
    phone.set_viewport_size(PHONE)
    for name, path in [
        ("upload", "/upload"),
        ("edit", f"/documents/{heron_id}/edit"),
        ("document", f"/documents/{heron_id}"),
        ("import", import_url.removeprefix(base_url)),
        ("trash", "/trash"),
        ("collections", "/collections"),
    ]:
        phone.goto(base_url + path)
        if name == "upload":
            phone.set_input_files("#upload-file", tmp_path / "herons.txt")  # a duplicate now
            expect(phone.locator(".upload-item.failed")).to_contain_text("already in the archive")
            expect(phone.locator(".upload-message a")).to_have_attribute(
                "href", f"/documents/{heron_id}"
            )
        phone.screenshot(path=str(tmp_path / f"{name}-phone.png"), full_page=True)
        assert no_sideways_scroll(phone), name

    # a refused upload's 409 is the one expected console line (Chromium logs failed requests)
    unexpected = [p for p in phone_watch.problems if "409" not in p]
    assert watch.problems == [] and unexpected == [], (watch.problems, phone_watch.problems)
    context.close()
