"""What every endpoint takes from the app and gives back: the app's one Archive, a page from a
template, a redirect after a form."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from archive.core.archive import Archive


def archive_of(request: Request) -> Archive:
    return request.app.state.archive


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
    *,
    no_store: bool = False,
) -> Response:
    """A page from a template; no_store keeps it out of every cache (a new token, a user list)."""
    response = request.app.state.templates.TemplateResponse(
        request, name, context, status_code=status_code
    )
    if no_store:
        response.headers["Cache-Control"] = "no-store"
    return response


def see_other(url: str) -> Response:
    """The answer to a form: 303, so reloading the page does not send the form again."""
    return RedirectResponse(url, status_code=303)
