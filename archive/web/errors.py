"""Errors mapped once: JSON {"ok": false, "error", "status"} under /api/, an HTML page elsewhere.

Domain code raises ArchiveError leaves with a status; Starlette raises HTTPException for unknown
routes (404) and wrong methods (405). Anything else is a bug: the reader gets a 500 in the same
shape without the traceback, and the exception still propagates to the server's log.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from archive.errors import ArchiveError

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Already stored",
    413: "Too large",
    415: "Unsupported format",
    422: "Cannot read this file",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Busy",
}


def is_api(request: Request) -> bool:
    path = request.url.path
    return path == "/api" or path.startswith("/api/")


def error_response(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    if is_api(request):
        body = {"ok": False, "error": message, "status": status}
        return JSONResponse(body, status_code=status, headers=headers)
    templates = request.app.state.templates
    context = {
        "status": status,
        "title": TITLES.get(status, "Error"),
        "message": message,
        # A refused query stays in the search box, ready to be corrected.
        "header_q": request.query_params.get("q", ""),
    }
    try:
        return templates.TemplateResponse(
            request, "error.html", context, status_code=status, headers=headers
        )
    except Exception:
        # A broken template must not hide the original error behind a second one.
        log.exception("rendering error.html failed")
        return PlainTextResponse(f"{status} {message}", status_code=status, headers=headers)


def archive_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ArchiveError)
    return error_response(request, exc.status, exc.message, headers=exc.headers or None)


def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {
        404: "There is nothing at this address.",
        405: f"{request.method} is not allowed here.",
    }
    message = messages.get(exc.status_code, exc.detail)
    return error_response(request, exc.status_code, message, headers=exc.headers)


def unexpected_error(request: Request, exc: Exception) -> Response:
    # ServerErrorMiddleware re-raises after this response, so the traceback reaches the log.
    return error_response(request, 500, "An unexpected error occurred; it has been logged.")


# The handlers are plain functions, so Starlette runs them in a thread: an error page asks the
# catalog who is signed in (base.html), and that must not block the event loop.
EXCEPTION_HANDLERS = {
    ArchiveError: archive_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
