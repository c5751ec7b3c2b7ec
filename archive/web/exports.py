"""GET /search.csv and /search.jsonl: every document a search matches, as metadata rows.

Not one page: the whole match set in the search's order (the page's default sort, relevance
when there is a query), up to Settings.export_limit documents (ARCHIVE_EXPORT_LIMIT, 10,000 by
default). The same parse of the URL as the search page (params.py; page and per_page ignored),
one Archive.export_search call in a plain def (a thread); the rows are written as the catalog is
read, a batch at a time, by a sync iterator that StreamingResponse runs in the threadpool.

A cut-short export says so: the header X-Archive-Export-Truncated ("10000 of 12345") on both,
and a last JSON Lines line {"truncated": true, "total": 12345, "limit": 10000}.
X-Archive-Export-Total always gives how many the search matches.

Hostile text: the csv module quotes fields holding quotes, commas or newlines; json.dumps
escapes quotes, backslashes and control characters, and we escape U+2028 and U+2029 as well
(JSON allows them raw, but some line readers split on them). A CSV cell that a spreadsheet would
read as a formula gets a leading apostrophe (see neutralise).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from archive.models import PER_PAGE_CHOICES, Document, SearchExport, SearchQuery
from archive.web.api import metadata_json
from archive.web.endpoint import archive_of
from archive.web.pages import content_disposition
from archive.web.params import (
    DEFAULT_PER_PAGE,
    parse_search_params,
    query_params_of,
    search_params,
)

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
JSONL_MEDIA_TYPE = "application/jsonl; charset=utf-8"
COLUMNS = (
    "id",
    "title",
    "authors",
    "publication",
    "date",
    "date_ambiguous",
    "language",
    "tags",
    "url",
    "filename",
    "format",
    "added_at",
    "document_url",
)
LIST_SEPARATOR = "; "  # authors and tags in one CSV cell
ROWS_PER_CHUNK = 100  # rows written per chunk of the streamed body
# A spreadsheet (Excel, LibreOffice, Google Sheets) runs a cell starting with one of these as a
# formula: =HYPERLINK(...) or =cmd|'...'!A1 in a title someone uploaded would run on the
# archivist's machine when they open the export (CSV injection, OWASP). Tab and carriage return
# start a formula too in some of them once trimmed.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_urls(query: SearchQuery) -> dict[str, str]:
    """The search page's Export menu: the search's parameters without page and page size."""
    whole = replace(query, page=1, per_page=DEFAULT_PER_PAGE)
    encoded = urlencode(search_params(whole))
    suffix = f"?{encoded}" if encoded else ""
    return {"CSV": f"/search.csv{suffix}", "JSON Lines": f"/search.jsonl{suffix}"}


def export_limit(request: Request) -> int:
    """The most documents an export holds (for the menu's note when a search has more)."""
    return archive_of(request).settings.export_limit


def neutralise(cell: str) -> str:
    """A CSV cell a spreadsheet would take for a formula, as text: a leading apostrophe, which
    spreadsheets read as "this cell is text" (and hide); any other cell as it is."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def record(doc: Document, base: str) -> dict[str, Any]:
    """One document's metadata row: the COLUMNS of the API's metadata, and its page's URL."""
    meta = metadata_json(doc)
    return {
        **{name: meta[name] for name in COLUMNS if name != "document_url"},
        "document_url": f"{base}/documents/{doc.id}",
    }


def csv_cells(row: dict[str, Any]) -> list[str]:
    cells = []
    for name in COLUMNS:
        value = row[name]
        if isinstance(value, list):
            value = LIST_SEPARATOR.join(value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif value is None:
            value = ""
        cells.append(neutralise(str(value)))
    return cells


def csv_body(export: SearchExport, base: str) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180's line ends
    writer.writerow(COLUMNS)
    for n, doc in enumerate(export.documents, 1):
        writer.writerow(csv_cells(record(doc, base)))
        if n % ROWS_PER_CHUNK == 0:
            yield _take(buffer)
    yield _take(buffer)


def json_line(value: dict[str, Any]) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"


def jsonl_body(export: SearchExport, base: str) -> Iterator[bytes]:
    buffer = io.StringIO()
    for n, doc in enumerate(export.documents, 1):
        buffer.write(json_line(record(doc, base)))
        if n % ROWS_PER_CHUNK == 0:
            yield _take(buffer)
    if export.truncated:
        buffer.write(json_line({"truncated": True, "total": export.total, "limit": export.limit}))
    yield _take(buffer)


def _take(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def _export(request: Request, extension: str, media_type: str) -> Response:
    # per_page is not used (an export is every page), but a page URL's value must still parse
    params = query_params_of(request.query_params)
    query = parse_search_params(params, max_per_page=max(PER_PAGE_CHOICES))
    export = archive_of(request).export_search(query)
    base = str(request.base_url).rstrip("/")
    headers = {
        "Content-Disposition": content_disposition(_filename(extension)),
        "X-Archive-Export-Total": str(export.total),
    }
    if export.truncated:
        headers["X-Archive-Export-Truncated"] = f"{export.limit} of {export.total}"
    body: Iterable[bytes] = (
        csv_body(export, base) if extension == "csv" else jsonl_body(export, base)
    )
    return StreamingResponse(body, media_type=media_type, headers=headers)


def _filename(extension: str) -> str:
    return f"archive-search-{datetime.now(UTC):%Y-%m-%d}.{extension}"


def search_csv(request: Request) -> Response:
    """GET /search.csv?<the search page's parameters>: a plain def, run in a thread."""
    return _export(request, "csv", CSV_MEDIA_TYPE)


def search_jsonl(request: Request) -> Response:
    """GET /search.jsonl?<the search page's parameters>: a plain def, run in a thread."""
    return _export(request, "jsonl", JSONL_MEDIA_TYPE)


ROUTES = [
    Route("/search.csv", search_csv, methods=["GET"]),
    Route("/search.jsonl", search_jsonl, methods=["GET"]),
]
