"""Passage permalinks: /documents/{id}/passages/{fingerprint} finds the paragraph with that text
now (core/passages.py) and redirects to it; a passage no longer in the text opens the document
with a note (the page checks ?passage= again), never a wrong paragraph."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from archive.web.endpoint import archive_of
from archive.web.params import document_id

MAX_FINGERPRINT_CHARS = 64  # a real one has 12; longer is not one, and is not echoed back


def passage_path(doc_id: int, fingerprint: str) -> str:
    """The permalink of a passage, relative to the site: what a reader copies."""
    return f"/documents/{doc_id}/passages/{fingerprint}"


def passage_url(request: Request, doc_id: int, fingerprint: str) -> str:
    """The permalink as an absolute URL: a citation's."""
    return str(request.base_url).rstrip("/") + passage_path(doc_id, fingerprint)


def permalink(request: Request) -> Response:
    doc_id = document_id(request.path_params["id"])
    wanted = request.path_params["fingerprint"][:MAX_FINGERPRINT_CHARS]
    index = archive_of(request).find_passage(doc_id, wanted)
    # the fingerprint rides along: the page marks that passage, cites it, or says it is gone
    target = f"/documents/{doc_id}?{urlencode({'passage': wanted})}"
    if index is not None:
        target += f"#p-{index}"
    # 302, not 301: the same link may lead elsewhere after the text is edited
    return RedirectResponse(target, status_code=302)


ROUTES = [
    Route("/documents/{id:int}/passages/{fingerprint}", permalink, methods=["GET"]),
]
