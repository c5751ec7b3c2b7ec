"""The JSON API for scripts: the search page's parameters in, the same Page out as JSON."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from archive.errors import BadRequest
from archive.models import (
    FACETS,
    MAX_PER_PAGE,
    Copy,
    Document,
    DocumentView,
    FacetPage,
    OcrRecord,
    Page,
)
from archive.web.endpoint import archive_of
from archive.web.facet_params import parse_facet_request, without_browse
from archive.web.params import (
    MAX_QUERY_CHARS,
    document_id,
    document_url,
    parse_search_params,
    query_params_of,
)
from archive.web.passages import passage_path

MAX_SUGGEST_CHARS = 200


def page_json(page: Page) -> dict[str, Any]:
    """The one place a search Page becomes JSON; the shape is the API's contract."""
    return {
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "hits": [
            {
                "id": hit.id,
                "title": hit.title,
                "authors": list(hit.authors),
                "publication": hit.publication,
                "date": hit.date,
                "date_ambiguous": hit.date_ambiguous,
                "language": hit.language,
                "tags": list(hit.tags),
                "score": hit.score,
                "snippets": list(hit.snippets),
                # its group (issue 16): copies of the same text (reprints, other formats) in
                # its language, and its translations
                "group_id": hit.group_id,
                "copies": [copy_json(c) for c in hit.same_language_copies],
                "translations": [copy_json(c) for c in hit.translations],
            }
            for hit in page.hits
        ],
        "facets": {
            facet: [
                {"value": v.value, "count": v.count, "selected": v.selected}
                for v in page.facets.get(facet, ())
            ]
            for facet in FACETS
        },
        "suggestion": page.suggestion,
        "timeline": [
            {
                "period": b.label,
                "count": b.count,
                "from": b.start,
                "to": b.end,
                "selected": b.selected,
            }
            for b in page.timeline
        ],
    }


def copy_json(copy: Copy) -> dict[str, Any]:
    return {
        "id": copy.id,
        "title": copy.title,
        "language": copy.language,
        "format": copy.format,
        "publication": copy.publication,
        "date": copy.date,
        "url": f"/api/documents/{copy.id}",
    }


def metadata_json(doc: Document) -> dict[str, Any]:
    """A document's metadata as scripts read it (JSON types: lists and a bool); exports'
    rows take their columns from it."""
    meta = doc.metadata
    return {
        "id": doc.id,
        "title": meta.title,
        "authors": list(meta.authors),
        "publication": meta.publication,
        "date": meta.date,
        "date_ambiguous": meta.date_ambiguous,
        "date_readings": list(meta.date_readings),
        "language": meta.language,
        "tags": list(meta.tags),
        "url": meta.url,
        "filename": doc.filename,
        "format": doc.format,
        "added_at": doc.added_at,
    }


def document_json(doc: Document) -> dict[str, Any]:
    return {
        **metadata_json(doc),
        "size": doc.size,
        "sha256": doc.sha256,
        "original": f"/documents/{doc.id}/original",
        # scanned pages: which were read by OCR (how), which wait for it; null: none scanned
        "ocr": ocr_json(doc.ocr),
        "blocks": [{"kind": b.kind, "level": b.level, "text": b.text} for b in doc.blocks],
    }


def ocr_json(record: OcrRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "pages": list(record.pages),
        "language": record.language,
        "language_detected": record.detected,
        "engine": record.engine,
        "needs_ocr": list(record.needed),
        "unread": list(record.unread),
        "summary": record.summary(),
    }


def search(request: Request) -> Response:
    # Scripts get a 400 naming unknown parameters: a typo must not silently widen a search.
    query = parse_search_params(
        query_params_of(request.query_params), max_per_page=MAX_PER_PAGE, allow_unknown=False
    )
    return JSONResponse(page_json(archive_of(request).search(query)))


def passages_json(view: DocumentView) -> list[dict[str, Any]]:
    """The passages a query matches, as the document page lists them, each with its permalink
    (stable across edits: web/passages.py) and its place on the page now."""
    doc_id = view.document.id
    return [
        {
            "block": p.block,
            "heading": p.heading,
            "snippet": p.snippet,
            "permalink": passage_path(doc_id, view.anchors[p.block]),
            "url": f"{document_url(doc_id, view.query)}#p-{p.block}",
        }
        for p in view.passages
    ]


def document(request: Request) -> Response:
    """A published document; with ?q=, also the passages that query matches in it."""
    doc_id = document_id(request.path_params["id"])
    q = request.query_params.get("q", "").strip()
    if len(q) > MAX_QUERY_CHARS:
        raise BadRequest(f"q is too long: at most {MAX_QUERY_CHARS} characters.")
    if not q:
        doc, copies, translations = archive_of(request).document_with_copies(doc_id)
        return JSONResponse(
            {
                **document_json(doc),
                "copies": [copy_json(c) for c in copies],
                "translations": [copy_json(c) for c in translations],
            }
        )
    view = archive_of(request).document_view(doc_id, q)
    return JSONResponse(
        {
            **document_json(view.document),
            "copies": [copy_json(c) for c in view.copies],
            "translations": [copy_json(c) for c in view.translations],
            "query": q,
            "passages": passages_json(view),
        }
    )


def facet_page_json(more: FacetPage) -> dict[str, Any]:
    return {
        "facet": more.facet,
        "match": more.match,
        "page": more.page,
        "per_page": more.per_page,
        "total": more.total,
        "values": [
            {"value": v.value, "count": v.count, "selected": v.selected} for v in more.values
        ],
    }


def facet_values(request: Request) -> Response:
    """A facet's values under a search: ?facet_match=typed text&facet_page=N&<search params>."""
    params = query_params_of(request.query_params)
    wanted = parse_facet_request(params, request.path_params["facet"])
    assert wanted is not None  # the facet comes from the path
    query = parse_search_params(without_browse(params), allow_unknown=False)
    more = archive_of(request).facet_values(query, wanted.facet, wanted.match, wanted.page)
    return JSONResponse(facet_page_json(more))


def suggest(request: Request) -> Response:
    """Autocomplete for the query box: ?q=what has been typed so far."""
    text = request.query_params.get("q", "")
    if len(text) > MAX_SUGGEST_CHARS:
        raise BadRequest(f"q is too long for suggestions: at most {MAX_SUGGEST_CHARS} characters.")
    suggestions = archive_of(request).suggest(text)
    return JSONResponse(
        {
            "suggestions": [
                {"text": s.text, "kind": s.kind}
                | ({"count": s.count} if s.kind != "title" else {"id": s.id})
                for s in suggestions
            ]
        }
    )


def similar(request: Request) -> Response:
    doc_id = document_id(request.path_params["id"])
    found = archive_of(request).similar(doc_id)
    return JSONResponse(
        {
            "id": doc_id,
            "similar": [
                {"id": s.id, "title": s.title, "date": s.date, "score": s.score} for s in found
            ],
        }
    )


ROUTES = [
    Route("/api/search", search, methods=["GET"]),
    Route("/api/documents/{id:int}", document, methods=["GET"]),
    Route("/api/documents/{id:int}/similar", similar, methods=["GET"]),
    Route("/api/facets/{facet}", facet_values, methods=["GET"]),
    Route("/api/suggest", suggest, methods=["GET"]),
]
