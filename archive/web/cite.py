"""A document as a citation record: /documents/{id}/cite.bib, .ris and .json (CSL-JSON).

Published documents alone, like the document page: a draft or a trashed one is a 404 for readers.
`?passage=<fingerprint>` cites one passage (its permalink and section heading); a passage no
longer in the text is a 404 naming it, so a reference manager never stores a wrong pinpoint.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from archive.errors import BadRequest
from archive.web.endpoint import archive_of
from archive.web.params import document_id
from archive.web.passages import MAX_FINGERPRINT_CHARS, passage_url

MEDIA_TYPES = {
    "bibtex": "application/x-bibtex",
    "ris": "application/x-research-info-systems",
    "csl-json": "application/vnd.citationstyles.csl+json",
}


def document_link(request: Request, doc_id: int) -> str:
    """The document page's absolute URL: the citation's URL when the source gave none."""
    return f"{str(request.base_url).rstrip('/')}/documents/{doc_id}"


def _citation(fmt: str) -> Callable[[Request], Response]:
    def endpoint(request: Request) -> Response:
        doc_id = document_id(request.path_params["id"])
        passage = request.query_params.get("passage", "")
        if len(passage) > MAX_FINGERPRINT_CHARS:
            raise BadRequest("passage is not a passage fingerprint (12 hex digits)")
        link = passage_url(request, doc_id, passage) if passage else ""
        citation = archive_of(request).cite(
            doc_id, fmt, document_link(request, doc_id), passage, link
        )
        headers = {
            # the key is ASCII letters, digits and _ alone: safe to quote as it is
            "Content-Disposition": f'inline; filename="{citation.filename}"',
            "X-Content-Type-Options": "nosniff",
        }
        media_type = f"{MEDIA_TYPES[fmt]}; charset=utf-8"
        return Response(citation.text, headers=headers, media_type=media_type)

    endpoint.__name__ = f"cite_{fmt.replace('-', '_')}"
    return endpoint


ROUTES = [
    Route("/documents/{id:int}/cite.bib", _citation("bibtex"), methods=["GET"]),
    Route("/documents/{id:int}/cite.ris", _citation("ris"), methods=["GET"]),
    Route("/documents/{id:int}/cite.json", _citation("csl-json"), methods=["GET"]),
]
