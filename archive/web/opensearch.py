"""OpenSearch 1.1: /opensearch.xml describes the archive's searches so a browser can add it as a
search engine (every page links to it: templates/base.html), and /suggest.json answers the
browser's suggestion requests in the OpenSearch suggestions format, from the same autocomplete
as the search box (Archive.suggest).

The description's templates: the search page (text/html), its Atom twin (/search.atom) and the
JSON API (/api/search), each taking {searchTerms} and an optional {startPage?}, and the
suggestions (application/x-suggestions+json). Absolute URLs from the request's origin.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from archive.web.api import MAX_SUGGEST_CHARS
from archive.web.endpoint import archive_of
from archive.web.feeds import ATOM_TYPE, OPENSEARCH
from archive.web.oai_xml import xml_text

DESCRIPTION_TYPE = "application/opensearchdescription+xml"
SUGGESTIONS_TYPE = "application/x-suggestions+json"
SHORT_NAME = "Archive"
PAGED = "?q={searchTerms}&page={startPage?}"
TEMPLATES = (
    ("text/html", "/search" + PAGED),
    (ATOM_TYPE, "/search.atom" + PAGED),
    ("application/json", "/api/search" + PAGED),
    (SUGGESTIONS_TYPE, "/suggest.json?q={searchTerms}"),
)


def _element(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, name, attrs)
    if text is not None:
        element.text = xml_text(text)
    return element


def write_description(base: str) -> bytes:
    """The OpenSearch description; base is the site's origin (no trailing slash)."""
    # the namespace declared by hand: xml.etree's default_namespace refuses unprefixed attributes
    root = ET.Element("OpenSearchDescription", {"xmlns": OPENSEARCH})
    _element(root, "ShortName", SHORT_NAME)
    _element(root, "Description", "Full-text search of the article archive")
    _element(root, "InputEncoding", "UTF-8")
    _element(root, "OutputEncoding", "UTF-8")
    for media, template in TEMPLATES:
        _element(root, "Url", type=media, method="get", template=xml_text(base + template))
    _element(root, "Url", type=DESCRIPTION_TYPE, rel="self", template=base + "/opensearch.xml")
    _element(root, "Query", role="example", searchTerms="archive")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def description(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    return Response(write_description(base), media_type=f"{DESCRIPTION_TYPE}; charset=utf-8")


def suggestions(request: Request) -> Response:
    """GET /suggest.json?q=typed: ["typed", ["completion", …]] (OpenSearch suggestions 1.0).

    A plain def: Starlette runs it, and its index read, in a thread. Text over the autocomplete's
    limit gets no completions rather than an error: a browser shows errors nowhere.
    """
    text = request.query_params.get("q", "")
    found = archive_of(request).suggest(text) if len(text) <= MAX_SUGGEST_CHARS else []
    body = json.dumps([text, [s.text for s in found]], ensure_ascii=False)
    return Response(body.encode("utf-8"), media_type=f"{SUGGESTIONS_TYPE}; charset=utf-8")


ROUTES = [
    Route("/opensearch.xml", description, methods=["GET"]),
    Route("/suggest.json", suggestions, methods=["GET"]),
]
