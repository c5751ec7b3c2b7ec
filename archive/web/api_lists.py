"""The archivists' lists as JSON, twins of their pages: /api/drafts, /api/trash and
/api/collections, with the pages' permissions (permissions.py: archivists and write tokens; a
reader or a read token never sees a draft or a trashed document's title)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from archive.web.curation_display import collection_url
from archive.web.endpoint import archive_of

JSON_TWIN = 'rel="alternate"; type="application/json"'


def twin_link(path: str) -> str:
    """The Link header an HTML page sends to name its JSON twin."""
    return f"<{path}>; {JSON_TWIN}"


def drafts(request: Request) -> Response:
    found = archive_of(request).drafts()
    return JSONResponse(
        {
            "drafts": [
                {
                    "id": d.id,
                    "title": d.title,
                    "filename": d.filename,
                    "format": d.format,
                    "size": d.size,
                    "pages": d.pages,
                    "text_chars": d.text_chars,
                    "short_text": d.short_text,
                    "needs_ocr": d.needs_ocr,
                    "uploader": d.uploader,
                    "added_at": d.added_at,
                    "edit": f"/documents/{d.id}/edit",
                }
                for d in found
            ]
        }
    )


def trash(request: Request) -> Response:
    found = archive_of(request).trashed()
    return JSONResponse(
        {
            "trashed": [
                {"id": i, "title": title, "trashed_at": at, "edit": f"/documents/{i}/edit"}
                for i, title, at in found
            ]
        }
    )


def collections(request: Request) -> Response:
    found = archive_of(request).collections()
    return JSONResponse(
        {
            "collections": [
                {"name": c.name, "documents": c.count, "search": collection_url(c.name)}
                for c in found
            ]
        }
    )


ROUTES = [
    Route("/api/drafts", drafts, methods=["GET"]),
    Route("/api/trash", trash, methods=["GET"]),
    Route("/api/collections", collections, methods=["GET"]),
]
