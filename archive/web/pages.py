"""HTML pages for readers: parse the request, one Archive call, render a template."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from archive.models import PER_PAGE_CHOICES
from archive.web.advanced import FIELD_LABELS, advanced_url, form_of
from archive.web.cite import document_link
from archive.web.curation import can_curate
from archive.web.display import LANGUAGES, number_hits
from archive.web.endpoint import archive_of, render, see_other
from archive.web.facet_params import parse_facet_request
from archive.web.feeds import link_header
from archive.web.params import (
    document_id,
    parse_search_params,
    query_params_of,
    text_search_url,
)
from archive.web.passages import MAX_FINGERPRINT_CHARS, passage_url


def search_page(request: Request) -> Response:
    # Pages ignore unknown parameters: links pasted from elsewhere often carry extra ones.
    params = query_params_of(request.query_params)
    query = parse_search_params(params, max_per_page=max(PER_PAGE_CHOICES))
    page = archive_of(request).search_page(query, expand=parse_facet_request(params))
    # a refused query keeps the search page, with the message above the box: 400 all the same
    status = 400 if page.refusal else 200
    response = render(request, "search.html", {"page": page, "query": query}, status)
    response.headers["Link"] = link_header(page)  # its Atom and JSON twins
    return response


def advanced_page(request: Request) -> Response:
    """The advanced-search form; submitted, it redirects to the search it describes."""
    form = form_of(query_params_of(request.query_params))
    if request.query_params.get("go") and not form.is_empty():
        return see_other(advanced_url(form))
    context = {"form": form, "fields": FIELD_LABELS, "languages": LANGUAGES}
    return render(request, "advanced.html", context)


def document_page(request: Request) -> Response:
    q = request.query_params.get("q", "").strip()
    # a passage permalink's fingerprint (web/passages.py): mark it, cite it, or say it is gone
    passage = request.query_params.get("passage", "").strip()[:MAX_FINGERPRINT_CHARS]
    view = archive_of(request).document_view(document_id(request.path_params["id"]), q)
    marked_blocks, hit_count = number_hits(view.blocks)
    passage_block = view.anchors.index(passage) if passage in view.anchors else None
    doc_link = document_link(request, view.document.id)
    context = {
        "view": view,
        "doc": view.document,
        "meta": view.document.metadata,
        "q": q,
        "header_q": q,
        "blocks": list(zip(view.blocks, marked_blocks, view.anchors, strict=True)),
        "passage": passage,
        "passage_block": passage_block,
        "hit_count": hit_count,
        "results_url": text_search_url(q),
        # archivists see the document's history and an Edit link; readers do not
        "audit": archive_of(request).audit_log(view.document.id) if can_curate(request) else None,
        # the Cite box, the citation_* meta tags and the JSON-LD (pure formatting, no lookup)
        "cited": archive_of(request).citing(
            view.document,
            doc_link,
            passage if passage_block is not None else "",
            passage_url(request, view.document.id, passage) if passage_block is not None else "",
        ),
    }
    response = render(request, "document.html", context)
    # its JSON twin (the API's document, published ones alone as here), as /search names its own
    twin = f"/api/documents/{view.document.id}" + (f"?{urlencode({'q': q})}" if q else "")
    response.headers["Link"] = f'<{twin}>; rel="alternate"; type="application/json"'

    return response


def original(request: Request) -> Response:
    path, filename = archive_of(request).original_path(document_id(request.path_params["id"]))
    headers = {
        "Content-Disposition": content_disposition(filename),
        # The original is whatever an uploader sent: never let a browser sniff it into HTML.
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    # a PDF says so (a reference manager following citation_pdf_url checks the type); any other
    # original stays opaque bytes. Either way an attachment, never rendered in the page.
    media_type = "application/pdf" if path.suffix == ".pdf" else "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers=headers)


def content_disposition(filename: str) -> str:
    """An attachment header: an ASCII fallback name plus the exact name as RFC 5987 filename*."""
    fallback = "".join(
        c if c.isascii() and (c.isalnum() or c in "._- ") else "_" for c in filename
    ).strip()
    fallback = fallback or "original"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


ROUTES = [
    Route("/", search_page, methods=["GET"]),
    Route("/search", search_page, methods=["GET"]),
    Route("/advanced", advanced_page, methods=["GET"]),
    Route("/documents/{id:int}", document_page, methods=["GET"]),
    Route("/documents/{id:int}/original", original, methods=["GET"]),
]
