"""Cross-site scripting: ~100 payloads in every place a user's words reach a page, in Chromium.

The payloads sit in titles, authors, tags, publications, file names and bodies (txt, md, html
and JSONL imports) and in queries; the search page (hits, snippets, facets), the document page,
the archivist's edit page and error pages are rendered with them. Nothing may run: no dialog, no
console error (a payload blocked by the Content-Security-Policy logs one, and counts: escaping
must hold on its own), no `window.__xss` marker; snippets hold only text and <mark>.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from archive.config import Settings
from archive.core.archive import Archive
from archive.models import Overrides
from archive.web import create_app
from tests.live_server import serving

playwright_sync = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium"),
]

X = "window.__xss=1"
PAYLOADS = [
    # script tags, plain and disguised
    f"<script>{X}</script>", f"<SCRIPT>{X}</SCRIPT>", f"<script src=data:,{X}></script>",
    f"<scr<script>ipt>{X}</scr</script>ipt>", f"</title><script>{X}</script>",
    f"</textarea><script>{X}</script>", f"</script><script>{X}</script>",
    f"<script>/*</script><script>*/{X}</script>", f"<<script>{X};//<</script>",
    f"<script\x20type=module>{X}</script>", f"<script>{X}</script >",
    # event handlers
    f"<img src=x onerror={X}>", f"<img src=x onerror=\"{X}\">", f"<img/src/onerror={X}>",
    f"<svg onload={X}>", f"<body onload={X}>", f"<input autofocus onfocus={X}>",
    f"<details open ontoggle={X}>", f"<video><source onerror={X}></video>",
    f"<audio src=x onerror={X}>", f"<iframe onload={X}></iframe>", f"<marquee onstart={X}>",
    f"<select autofocus onfocus={X}>", f"<textarea autofocus onfocus={X}>",
    f"<div onmouseover={X}>hover</div>", f"<a onclick={X}>click</a>",
    f"<img src=x:y onerror=eval('{X}')>", f"<object data=x onerror={X}>",
    f"<style onload={X}></style>", f"<link rel=stylesheet href=x onerror={X}>",
    # javascript: and data: URLs
    f"<a href=javascript:{X}>link</a>", f"<a href=\"jAvAsCrIpT:{X}\">link</a>",
    f"<a href=\"&#106;avascript:{X}\">link</a>", f"<iframe src=javascript:{X}>",
    f"<form action=javascript:{X}><button>go</button></form>",
    f"<iframe src=\"data:text/html,<script>parent.{X}</script>\">",
    f"<embed src=javascript:{X}>", f"<object data=\"javascript:{X}\">",
    f"<meta http-equiv=refresh content=\"0;url=javascript:{X}\">",
    f"<base href=javascript:{X}//>", f"javascript:{X}", f"data:text/html,<script>{X}</script>",
    # SVG and MathML
    f"<svg><script>{X}</script></svg>", f"<svg><animate onbegin={X} attributeName=x dur=1s>",
    f"<svg><a xlink:href=javascript:{X}><text x=20 y=20>x</text></a></svg>",
    f"<svg><set attributeName=onload to={X}>", f"<svg><foreignObject><img src=x onerror={X}>",
    f"<math><mtext><table><mglyph><style><img src=x onerror={X}>",
    f"<math href=javascript:{X}>x</math>", f"<svg><style>@import'javascript:{X}'</style>",
    f"<svg/onload={X}>", f"<svg><use href=\"data:image/svg+xml,<svg id=x onload={X}>\">",
    # attribute breakouts
    f"\"><script>{X}</script>", f"'><script>{X}</script>", f"\" onmouseover=\"{X}",
    f"' onfocus='{X}' autofocus='", f"\" autofocus onfocus=\"{X}", f"` onmouseover={X} `",
    f"\"><img src=x onerror={X}>", f"'\"><svg onload={X}>", f"\" style=\"x:expression({X})",
    f"\"></a><a href=javascript:{X}>", f"</option><script>{X}</script>",
    f"\"/><mark onmouseover={X}>m</mark>", f"<mark onclick={X}>zebra</mark>",
    f"</mark><script>{X}</script><mark>",
    # template injection and string breakouts
    "{{7*7}}", "${7*7}", "{{constructor.constructor('window.__xss=1')()}}",
    "{% raw %}{{7*7}}{% endraw %}", "#{7*7}", "<%= 7*7 %>", "{{config}}", "${{7*7}}",
    f"';{X};//", f"\";{X};//", f"\\';{X};//", f"</script><script>{X}//",
    # unicode, RTL and encoded variants
    f"\u202e<script>{X}</script>", f"\u202egpj.exe<img src=x onerror={X}>",
    f"\uff1cscript\uff1e{X}\uff1c/script\uff1e", f"<scr\u0000ipt>{X}</scr\u0000ipt>",
    f"&lt;script&gt;{X}&lt;/script&gt;", f"%3Cscript%3E{X}%3C%2Fscript%3E",
    f"&#60;script&#62;{X}&#60;/script&#62;", f"\\u003cscript\\u003e{X}\\u003c/script\\u003e",
    "<img src=x onerror=&#119;indow.__xss=1>", "<img src=x onerror=\\u0077indow.__xss=1>",
    f"<ı̇mg src=x onerror={X}>", f"<img src=x onerror=\"{X}\"\u2028>",
    f"+ADw-script+AD4-{X}+ADw-/script+AD4-", f"<!--<script>{X}</script>-->",
    f"<![CDATA[<script>{X}</script>]]>", f"<?xml version=\"1.0\"?><script>{X}</script>",
    f"<noscript><p title=\"</noscript><img src=x onerror={X}>\">",
    f"<template><script>{X}</script></template>", f"<isindex action=javascript:{X} type=image>",
    f"<keygen autofocus onfocus={X}>", f"<xss id=x tabindex=1 onfocus={X}></xss>",
    f"<img src=\"x` `<script>{X}</script>\"` `>", f"<a href=\"\x01javascript:{X}\">x</a>",
    f"<frameset onload={X}>", f"<table background=javascript:{X}>",
]  # fmt: skip
WORD = "zebra"  # every hostile document holds it, so one search lists them all with snippets


def hostile_archive(root: Path) -> Archive:
    # background: one indexing thread batches the adds, as in `archive serve` (and 5x faster)
    settings = Settings(root=root, rate_limits="off", password_time_cost=1,
                        password_memory_kib=8, password_parallelism=1)  # fmt: skip
    archive = Archive(settings, background=True)
    records = []
    for n, p in enumerate(PAYLOADS):
        # a NUL makes a file binary (refused): the metadata keeps it, the body does without
        text = p.replace("\x00", "")
        body = f"The {WORD} number {n} said {text} near the river {WORD}.\n\n{text}\n"
        meta = Overrides(title=f"{p} {n}", authors=(f"{p} A{n}",), tags=(f"{p} T{n}",),
                         publication=f"{p} P{n}")  # fmt: skip
        kind = n % 4
        if kind == 0:
            archive.add(body.encode(), f"{p}.txt", meta)
        elif kind == 1:
            archive.add(f"# {text}\n\n{body}".encode(), f"{p}.md", meta)
        elif kind == 2:
            page = f"<html><head><title>{text}</title></head><body><h1>{text}</h1><p>{body}</p>"
            archive.add(page.encode(), f"{p}.html", meta)
        else:
            records.append({"title": f"{p} {n}", "authors": [f"{p} A{n}"], "tags": [f"{p} T{n}"],
                            "publication": f"{p} P{n}", "body": body})  # fmt: skip
    jsonl = root.parent / "hostile.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in records))
    report = archive.ingest_paths([jsonl])
    assert not report.failed, report.failed
    archive.add_user("archivist", "a long enough password", "archivist")
    deadline = time.monotonic() + 60
    while archive.unindexed_count() and time.monotonic() < deadline:
        time.sleep(0.05)
    return archive


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Archive]]:
    root = tmp_path_factory.mktemp("xss") / "archive"
    archive = hostile_archive(root)
    try:
        with serving(create_app(archive)) as url:
            yield url, archive
    finally:
        archive.close()


@pytest.fixture(scope="module")
def page(site: tuple[str, Archive]) -> Iterator:
    """One browser page for the module, signed in as an archivist, recording what ran."""
    url, archive = site
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        opened = archive.login("archivist", "a long enough password")
        context.add_cookies([{"name": "archive_session", "value": opened.secret, "url": url}])
        tab = context.new_page()
        tab.events = []  # type: ignore[attr-defined]
        tab.on("dialog", lambda d: (tab.events.append(f"dialog: {d.message}"), d.dismiss()))
        tab.on("pageerror", lambda e: tab.events.append(f"pageerror: {e}"))
        tab.on("console", lambda m: m.type == "error" and tab.events.append(f"console: {m.text}"))
        yield tab
        browser.close()


def visit(page, url: str, expect_status: int | None = 200) -> None:
    response = page.goto(url, wait_until="load")
    if expect_status is not None:
        assert response is not None and response.status == expect_status, url
    page.wait_for_timeout(20)  # let deferred scripts and handlers have their chance
    ran = page.evaluate("() => window.__xss")
    assert ran is None, f"a payload ran on {url}"
    # an error page's own status is logged as a failed load: that one is expected
    events = [e for e in page.events if "the server responded with a status of" not in e]
    assert not events, (url, events[:5])
    page.events.clear()


def assert_snippets_are_text_and_marks(page) -> int:
    tags = page.evaluate(
        """() => Array.from(document.querySelectorAll(
            '.snippet *, .passage-snippet *, .document-text .block *')).map(e => e.tagName)"""
    )
    assert set(tags) <= {"MARK"}, set(tags)
    return page.locator(".snippet, .passage-snippet").count()


def test_payloads_in_every_field_render_as_text_on_every_page(page, site) -> None:
    url, archive = site
    assert len(PAYLOADS) >= 100
    shown = 0
    for n in (1, 2):  # the hits with their snippets, and the facets listing hostile values
        visit(page, f"{url}/search?q={WORD}&per_page=50&page={n}")
        shown += assert_snippets_are_text_and_marks(page)
        assert page.locator(".facet-count").count() > 0
    assert shown >= 0.9 * len(PAYLOADS)  # a hit whose match is only in its title has none
    for facet in ("authors", "tags", "publication"):  # every page of each facet's values
        for n in range(1, 4):
            visit(page, f"{url}/search?q={WORD}&facet_more={facet}&facet_page={n}", None)
    for doc_id in range(1, len(PAYLOADS) + 1):
        # with a query (passages and marks) for one in five: that page takes 0.4 s to render
        visit(page, f"{url}/documents/{doc_id}" + (f"?q={WORD}" if doc_id % 5 == 0 else ""))
        assert_snippets_are_text_and_marks(page)
        if doc_id % 10 == 0:  # the archivist's form: the values inside inputs and textareas
            visit(page, f"{url}/documents/{doc_id}/edit")
    texts = page.evaluate("() => document.body.innerText")
    assert "49" not in texts.split("{{7*7}}")[0][-5:]  # no template ever evaluated a payload


def test_payloads_as_queries_and_in_error_pages(page, site) -> None:
    url, _ = site
    for n, p in enumerate(PAYLOADS):
        if n % 2:  # a refused search keeps its query in the box (an error page)
            visit(page, f"{url}/search?q={quote(p)}&from=never", 400)
        else:  # the query in the box, the results heading and any "did you mean"
            visit(page, f"{url}/search?q={quote(p)}", None)
        if n % 5 == 0:
            visit(page, f"{url}/search?q={quote(p + '~9')}", None)  # a refused word is quoted
            visit(page, f"{url}/search?q={WORD}&from={quote(p)}", 400)  # so is a bad date
            visit(page, f"{url}/documents/99999?q={quote(p)}", 404)
            visit(page, f"{url}/{quote(p, safe='')}", 404)
