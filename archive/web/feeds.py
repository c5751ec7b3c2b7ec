"""GET /search.atom: every search's Atom (RFC 4287) twin, and the twins a search page links to.

The feed renders the same Page as the search page: the same parse of the URL (params.py, lenient
about unknown parameters as the page is), one Archive.search call. One difference: a feed is read
for what is new, so its sort is newest first unless the URL names a sort itself (``sort=``); the
page's default (relevance when there is a query) does not apply.

Entries: title, authors, updated (the document's date, else when the catalog took it), summary
(the snippets as plain text: their <mark> tags dropped and their escapes undone), a link to the
document's page (also its id: a stable URI per document) and a category per tag. Written with
xml.etree, so the serializer escapes &, < and quotes; characters XML 1.0 cannot hold become
U+FFFD (oai_xml.xml_text). Paging links (first, previous, next, last: RFC 5005) and OpenSearch's
totalResults, startIndex and itemsPerPage let a reader walk the whole result.

A search the archive refuses (a bad date, a broken query, the index being rebuilt) answers with
its status (400, 503) and an Atom feed with no entry whose title and subtitle say why: a feed
reader shows the reason where an HTML error page would be unreadable to it.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from archive.errors import ArchiveError
from archive.models import PER_PAGE_CHOICES, Hit, Page, SearchQuery
from archive.web.endpoint import archive_of
from archive.web.oai_xml import xml_text
from archive.web.params import parse_search_params, query_params_of, search_params, search_url

ATOM = "http://www.w3.org/2005/Atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
ATOM_TYPE = "application/atom+xml"
ATOM_MEDIA_TYPE = "application/atom+xml; charset=utf-8"

_TAG = re.compile(r"<[^>]*>")


def twin_urls(page: Page) -> dict[str, str]:
    """The search page's twins by media type: the Atom feed and the JSON API."""
    return {
        ATOM_TYPE: search_url(page.query, "/search.atom"),
        "application/json": search_url(page.query, "/api/search"),
    }


def link_header(page: Page) -> str:
    """A Link header (RFC 8288) naming the twins; URLs from urlencode hold no < > , or ;."""
    return ", ".join(
        f'<{url}>; rel="alternate"; type="{media}"' for media, url in twin_urls(page).items()
    )


def snippet_text(snippet: str) -> str:
    """A snippet (escaped text with our own <mark> tags) as plain text."""
    return html.unescape(_TAG.sub("", snippet))


def atom_date(hit: Hit) -> str:
    """The entry's updated: the document's date (a partial one at its first day), else when the
    catalog took it, as RFC 3339 in UTC."""
    if hit.date:
        year, month, day = (hit.date.split("-") + ["01", "01"])[:3]
        return f"{year}-{month}-{day}T00:00:00Z"
    if hit.added_at:
        return datetime.fromisoformat(hit.added_at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return "1970-01-01T00:00:00Z"


def _q(name: str, namespace: str = ATOM) -> str:
    """An element's name as written: Atom's is the default namespace (declared on <feed>, since
    xml.etree's default_namespace refuses unprefixed attributes), OpenSearch's is opensearch:."""
    return name if namespace == ATOM else f"opensearch:{name}"


def _text(parent: ET.Element, name: str, text: str, namespace: str = ATOM) -> ET.Element:
    element = ET.SubElement(parent, _q(name, namespace))
    element.text = xml_text(text)
    return element


def _link(parent: ET.Element, href: str, rel: str, media: str | None = None) -> None:
    attrs = {"href": xml_text(href), "rel": rel} | ({"type": media} if media else {})
    ET.SubElement(parent, _q("link"), attrs)


def feed_title(page: Page) -> str:
    text = page.query.text
    return f"Archive search: {text}" if text else "Archive: newest documents"


def feed_link(query: SearchQuery, **changes: object) -> str:
    """A feed URL that names its sort even when it is the page's default (relevance with a
    query), so that following it keeps the sort instead of falling back to newest first."""
    if changes and "page" not in changes:
        changes["page"] = 1
    pairs = search_params(replace(query, **changes))  # type: ignore[arg-type]
    if not any(name == "sort" for name, _ in pairs):
        pairs.append(("sort", query.sort))
    return f"/search.atom?{urlencode(pairs)}"


def write_feed(page: Page, base: str) -> bytes:
    """The Atom document for a Page; base is the site's origin (no trailing slash)."""
    query = page.query
    self_url = base + feed_link(query)
    feed = ET.Element("feed", {"xmlns": ATOM, "xmlns:opensearch": OPENSEARCH})
    _text(feed, "title", feed_title(page))
    _text(feed, "id", self_url)
    dates = [atom_date(hit) for hit in page.hits]
    _text(feed, "updated", max(dates) if dates else _now())
    author = ET.SubElement(feed, _q("author"))  # for entries with no author of their own
    _text(author, "name", "Archive")
    _link(feed, self_url, "self", ATOM_TYPE)
    _link(feed, base + search_url(query), "alternate", "text/html")
    _link(feed, base + feed_link(query, page=1), "first", ATOM_TYPE)
    _link(feed, base + feed_link(query, page=page.pages), "last", ATOM_TYPE)
    if page.page > 1:
        previous = min(page.page - 1, page.pages)
        _link(feed, base + feed_link(query, page=previous), "previous", ATOM_TYPE)
    if page.page < page.pages:
        _link(feed, base + feed_link(query, page=page.page + 1), "next", ATOM_TYPE)
    _text(feed, "totalResults", str(page.total), OPENSEARCH)
    _text(feed, "startIndex", str((page.page - 1) * page.per_page + 1), OPENSEARCH)
    _text(feed, "itemsPerPage", str(page.per_page), OPENSEARCH)
    for hit, updated in zip(page.hits, dates, strict=True):
        write_entry(feed, hit, updated, base)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def write_entry(feed: ET.Element, hit: Hit, updated: str, base: str) -> None:
    entry = ET.SubElement(feed, _q("entry"))
    url = f"{base}/documents/{hit.id}"
    _text(entry, "title", hit.title or f"Document {hit.id}")
    _text(entry, "id", url)
    _text(entry, "updated", updated)
    for name in hit.authors:
        if name.strip():
            _text(ET.SubElement(entry, _q("author")), "name", name)
    _link(entry, url, "alternate", "text/html")
    summary = " … ".join(snippet_text(s) for s in hit.snippets)
    if summary:
        _text(entry, "summary", summary)
    for tag in hit.tags:
        ET.SubElement(entry, _q("category"), {"term": xml_text(tag)})


def write_error_feed(status: int, message: str, base: str, url: str) -> bytes:
    """An Atom feed with no entry that says why a search was refused (see the module's note)."""
    feed = ET.Element("feed", {"xmlns": ATOM})
    _text(feed, "title", f"Archive search refused ({status})")
    _text(feed, "subtitle", message)
    _text(feed, "id", url)
    _text(feed, "updated", _now())
    _text(ET.SubElement(feed, _q("author")), "name", "Archive")
    _link(feed, base + "/search", "alternate", "text/html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def search_feed(request: Request) -> Response:
    """GET /search.atom?<the search page's parameters>: a plain def, run in a thread."""
    params = query_params_of(request.query_params)
    if not any(v.strip() for v in params.get("sort", ())):
        params["sort"] = ["newest"]  # a feed is read for what is new: see the module's note
    base = str(request.base_url).rstrip("/")
    try:
        query = parse_search_params(params, max_per_page=max(PER_PAGE_CHOICES))
        page = archive_of(request).search(query)
    except ArchiveError as error:
        body = write_error_feed(error.status, error.message, base, str(request.url))
        return Response(
            body, status_code=error.status, headers=error.headers or None,
            media_type=ATOM_MEDIA_TYPE,
        )  # fmt: skip
    return Response(write_feed(page, base), media_type=ATOM_MEDIA_TYPE)


ROUTES = [Route("/search.atom", search_feed, methods=["GET"])]
