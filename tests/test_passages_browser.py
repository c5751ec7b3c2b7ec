"""Passage links end to end in Chromium on a real uvicorn server: a result's snippet opens its
document at the passage with the hit marked current; a paragraph's "link to this passage" control
copies a permalink that keeps finding the same words after a metadata edit, a reindex and new
text above it; a permalink to text that is gone opens the document with a note."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from archive.core.archive import Archive
from archive.models import Overrides
from archive.web import create_app
from tests.live_server import serving
from tests.test_web_browser import CHROMIUM, CHROMIUM_ARGS, in_viewport

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]

TARGET = "The zeppelin crossed the estuary at dawn, watched by the harbour pilots."
CURRENT = "rgb(255, 176, 32)"  # --mark-current, the look of a hit reached by "Next hit"


def filler(n: int) -> str:
    return f"Paragraph {n} on harbour records, tide tables and the pilots' ledgers of the port."


def text_with(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs) + "\n"


def long_text(extra_above: int = 0) -> str:
    above = [filler(n) for n in range(1, 31 + extra_above)]
    return text_with(["Harbour chronicle", *above, "Airships", TARGET, filler(99)])


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def block_of_target(page) -> str:
    """The id (p-N) of the block holding TARGET on the page shown."""
    return page.evaluate(
        """text => Array.from(document.querySelectorAll('.document-text .block'))
            .find(b => b.textContent === text).id""",
        TARGET,
    )


def test_a_snippet_opens_its_passage_marked_as_the_current_hit(
    browser: Browser, archive: Archive, tmp_path: Path
) -> None:
    doc = archive.add(long_text().encode(), "harbour.txt", Overrides(title="Harbour chronicle"))
    with serving(create_app(archive)) as base_url:
        page = browser.new_page(viewport={"width": 1000, "height": 600})
        page.goto(f"{base_url}/search?q=zeppelin")
        snippet = page.locator(".hit-snippet a").first
        href = snippet.get_attribute("href")
        assert href and href.startswith(f"/documents/{doc.id}?q=zeppelin#p-")
        snippet.click()
        page.wait_for_url(f"**{href}")
        block = href.rsplit("#", 1)[1]
        assert page.locator(f"#{block}").inner_text() == TARGET
        assert in_viewport(page, block)  # scrolled there, though it is far below the start
        current = page.locator("mark.current-hit")
        expect(current).to_have_count(1)
        assert current.inner_text() == "zeppelin"
        assert current.evaluate("m => m.closest('.block').id") == block
        assert current.evaluate("m => getComputedStyle(m).backgroundColor") == CURRENT
        # the paragraph itself is marked as the one linked to
        assert page.evaluate("document.querySelector(':target').id") == block
        page.screenshot(path=tmp_path / "passage-from-snippet.png")
        page.close()


def test_a_copied_passage_link_survives_edits_and_notes_a_passage_gone(
    browser: Browser, archive: Archive, tmp_path: Path
) -> None:
    doc = archive.add(long_text().encode(), "harbour.txt", Overrides(title="Harbour chronicle"))
    with serving(create_app(archive)) as base_url:
        context = browser.new_context(viewport={"width": 1000, "height": 600})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
        page = context.new_page()
        page.goto(f"{base_url}/documents/{doc.id}")
        block = block_of_target(page)
        control = page.locator(f"#{block} + .passage-link")
        control.scroll_into_view_if_needed()
        control.click()
        expect(control).to_have_class("passage-link copied")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith(f"{base_url}/documents/{doc.id}/passages/")
        assert copied == control.evaluate("a => a.href")

        def follow() -> str:
            """Open the copied link; the id of the passage it lands on (checked to be TARGET)."""
            page.goto(copied)
            expect(page.locator(".passage-gone")).to_have_count(0)
            landed = page.evaluate("location.hash").lstrip("#")
            assert page.evaluate("document.querySelector(':target').id") == landed
            assert page.locator(f"#{landed}").inner_text() == TARGET
            assert in_viewport(page, landed)
            assert page.locator(".linked-passage .block").inner_text() == TARGET
            return landed

        assert follow() == block
        # arrived by the permalink, the Cite box cites the passage: its link and its section
        page.locator("details.cite summary").click()
        expect(page.locator("details.cite summary")).to_contain_text("Cite this passage")
        bibtex = page.locator(".reference-bibtex pre").inner_text()
        assert f"url = {{{copied}}}" in bibtex and "note = {Section: Airships}" in bibtex
        assert copied in page.locator(".reference-apa").inner_text()
        # the archivist corrects the metadata, then the index is rebuilt from the catalog
        archive.update(doc.id, Overrides(title="The harbour's chronicle"), actor="test")
        archive.reindex()
        assert follow() == block
        assert page.locator("h1").inner_text() == "The harbour's chronicle"
        # new paragraphs above the passage move it: the link follows the words, not the place
        archive.replace_text(doc.id, long_text(extra_above=3), actor="test")
        moved = follow()
        assert int(moved[2:]) == int(block[2:]) + 3
        # a link that still carries the old position (a copied address bar) is corrected
        stale = f"{base_url}/documents/{doc.id}?passage={copied.rsplit('/', 1)[1]}"
        page.goto("about:blank")  # a fresh load, as a pasted link is (not a jump in the page)
        page.goto(f"{stale}#{block}")
        expect(page).to_have_url(f"{stale}#{moved}")
        assert page.evaluate("document.querySelector(':target').id") == moved
        page.screenshot(path=tmp_path / "passage-moved.png")

        # the passage's words replaced: the document opens at its start with a note
        archive.replace_text(doc.id, long_text().replace("zeppelin", "airship"), actor="test")
        page.goto(copied)
        note = page.locator(".passage-gone")
        expect(note).to_be_visible()
        assert "no longer in this document" in note.inner_text()
        assert page.evaluate("location.hash") == ""
        assert page.locator(".linked-passage").count() == 0
        assert page.evaluate("window.scrollY") == 0
        page.screenshot(path=tmp_path / "passage-gone.png")
        context.close()
