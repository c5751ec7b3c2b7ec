"""Archivists' pages: upload, confirm and edit, the trash, collections, drafts, bulk imports.

Every page works as plain HTML forms (POST, then a 303 back to a page); static/curation.js only
adds drag-and-drop, per-file progress and live import progress on top.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from archive.errors import BadRequest, Duplicate
from archive.models import Overrides, is_row_id
from archive.web.api_lists import twin_link
from archive.web.api_write import job_json, save_and_start_import, wait_searchable
from archive.web.auth import actor, current_user
from archive.web.endpoint import archive_of, render, see_other
from archive.web.params import document_id
from archive.web.uploads import read_upload

CURATOR_ROLES = ("archivist", "admin")
# A page's url-encoded form: a few metadata fields and a CSRF token.
MAX_FORM_FIELDS = 50
MAX_FORM_FIELD_BYTES = 64 * 1024
# Where a restore may send the archivist back to (never an address from elsewhere).
RETURN_PAGES = ("/trash", "/drafts")


def can_curate(request: Request) -> bool:
    """Whether to show archivists' links (Edit, the audit log); the gate still checks each route."""
    user = current_user(request)
    return user is not None and user.role in CURATOR_ROLES


async def _form(request: Request) -> FormData:
    return await request.form(
        max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FORM_FIELD_BYTES
    )


def overrides_from_form(form: FormData) -> Overrides:
    """The edit form: authors one per line, tags separated by commas, and the date either typed
    or, when ambiguous, one of its readings chosen with a radio button."""
    date = form.get("date")
    choice = form.get("date_choice")
    if choice is not None:
        date = form.get("date_other", "") if choice == "other" else choice

    def text(name: str) -> str | None:
        value = form.get(name)
        return value if isinstance(value, str) else None

    def items(name: str, separator: str | None) -> tuple[str, ...] | None:
        value = text(name)
        if value is None:
            return None
        parts = value.splitlines() if separator is None else value.split(separator)
        return tuple(p.strip() for p in parts if p.strip())

    return Overrides(
        title=text("title"),
        authors=items("authors", None),
        publication=text("publication"),
        date=date if isinstance(date, str) else None,
        language=text("language"),
        tags=items("tags", ","),
    )


# --- upload ----------------------------------------------------------------------------------
def _upload_page(request: Request, duplicate: Duplicate | None = None) -> Response:
    archive = archive_of(request)
    context = {
        "max_bytes": archive.settings.max_upload_bytes,
        "drafts": archive.drafts(),
        "duplicate": duplicate,
    }
    return render(request, "upload.html", context, 409 if duplicate else 200)


def upload_page(request: Request) -> Response:
    return _upload_page(request)


async def upload_form(request: Request) -> Response:
    """Without JavaScript: one file, stored as a draft, then its confirm page."""
    archive = archive_of(request)
    upload = await read_upload(request, archive.settings.max_upload_bytes, strict=False)
    try:
        doc = await run_in_threadpool(
            archive.add, upload.data, upload.filename, upload.overrides,
            actor=actor(request), publish=False,
        )  # fmt: skip
    except Duplicate as exc:
        return await run_in_threadpool(_upload_page, request, exc)
    return see_other(f"/documents/{doc.id}/edit")


# --- one document ----------------------------------------------------------------------------
def edit_page(request: Request) -> Response:
    archive = archive_of(request)
    doc = archive.document(document_id(request.path_params["id"]), hidden=True)
    context = {
        "doc": doc,
        "meta": doc.metadata,
        "audit": archive.audit_log(doc.id),
        "collections": archive.collections(),
        "notice": request.query_params.get("done", ""),
    }
    return render(request, "edit.html", context)


async def edit_form(request: Request) -> Response:
    doc_id = document_id(request.path_params["id"])
    form = await _form(request)
    publish = form.get("action") == "publish"
    archive = archive_of(request)
    await run_in_threadpool(
        archive.edit, doc_id, overrides_from_form(form),
        "published" if publish else None, actor=actor(request),
    )  # fmt: skip
    await wait_searchable(archive)  # so the search the archivist goes to next shows the change
    return see_other(f"/documents/{doc_id}/edit?done={'published' if publish else 'saved'}")


async def trash_one(request: Request) -> Response:
    doc_id = document_id(request.path_params["id"])
    archive = archive_of(request)
    await run_in_threadpool(archive.trash, doc_id, actor=actor(request))
    await wait_searchable(archive)
    return see_other(f"/documents/{doc_id}/edit?done=trashed")


async def restore_one(request: Request) -> Response:
    doc_id = document_id(request.path_params["id"])
    form = await _form(request)
    archive = archive_of(request)
    await run_in_threadpool(archive.restore, doc_id, actor=actor(request))
    await wait_searchable(archive)
    back = form.get("next")
    return see_other(back if back in RETURN_PAGES else f"/documents/{doc_id}/edit?done=restored")


async def collect_one(request: Request) -> Response:
    doc_id = document_id(request.path_params["id"])
    form = await _form(request)
    name = str(form.get("new_name") or form.get("name") or "")
    add = form.get("action") != "remove"
    await run_in_threadpool(
        archive_of(request).collect, name, [doc_id], actor=actor(request), add=add
    )
    return see_other(f"/documents/{doc_id}/edit?done={'collected' if add else 'uncollected'}")


async def read_by_ocr(request: Request) -> Response:
    """Read a document's scanned pages that wait for OCR, now (Tesseract was absent before)."""
    doc_id = document_id(request.path_params["id"])
    await _form(request)  # the CSRF token is the gate's; nothing else is sent
    archive = archive_of(request)
    await run_in_threadpool(archive.read_by_ocr, doc_id, actor=actor(request))
    await wait_searchable(archive)
    return see_other(f"/documents/{doc_id}/edit?done=ocr")


async def decide_copies(request: Request) -> Response:
    """An archivist splits this document from another's group of copies, or joins the two."""
    doc_id = document_id(request.path_params["id"])
    form = await _form(request)
    action = form.get("action")
    other = str(form.get("other") or "").strip().lstrip("#")
    if action not in ("split", "join"):
        raise BadRequest("action must be split or join.")
    if not other.isdigit() or not is_row_id(int(other)):
        raise BadRequest("other must be a document number, such as 12.")
    archive = archive_of(request)
    decide = archive.split_copy if action == "split" else archive.join_copies
    await run_in_threadpool(decide, doc_id, int(other), actor=actor(request))
    return see_other(f"/documents/{doc_id}#copies")


# --- lists -----------------------------------------------------------------------------------
def drafts_page(request: Request) -> Response:
    response = render(request, "drafts.html", {"drafts": archive_of(request).drafts()})
    response.headers["Link"] = twin_link("/api/drafts")
    return response


def trash_page(request: Request) -> Response:
    context = {
        "trashed": archive_of(request).trashed(),
        "emptied": request.query_params.get("emptied"),
    }
    response = render(request, "trash.html", context)
    response.headers["Link"] = twin_link("/api/trash")
    return response


async def empty_trash(request: Request) -> Response:
    form = await _form(request)
    if form.get("confirm") != "yes":
        raise BadRequest("Tick the box to confirm: emptying the trash cannot be undone.")
    removed = await run_in_threadpool(archive_of(request).empty_trash, actor=actor(request))
    return see_other(f"/trash?emptied={removed}")


def collections_page(request: Request) -> Response:
    context = {"collections": archive_of(request).collections()}
    response = render(request, "collections.html", context)
    response.headers["Link"] = twin_link("/api/collections")
    return response


async def create_collection(request: Request) -> Response:
    form = await _form(request)
    name = str(form.get("name") or "")
    await run_in_threadpool(archive_of(request).collect, name, [], actor=actor(request))
    return see_other("/collections")


async def delete_collection(request: Request) -> Response:
    form = await _form(request)
    name = str(form.get("name") or "")
    await run_in_threadpool(archive_of(request).delete_collection, name, actor=actor(request))
    return see_other("/collections")


# --- bulk import -----------------------------------------------------------------------------
def import_page(request: Request) -> Response:
    archive = archive_of(request)
    wanted = request.query_params.get("job", "")
    job = archive.job(int(wanted)) if wanted.isdigit() and is_row_id(int(wanted)) else None
    context = {
        "job": job_json(job) if job else None,
        "jobs": [job_json(j) for j in archive.recent_jobs()],
        "max_bytes": archive.settings.max_upload_bytes,
    }
    return render(request, "import.html", context)


async def import_form(request: Request) -> Response:
    started = await save_and_start_import(request)
    return see_other(f"/import?job={started.id}")


ROUTES = [
    Route("/upload", upload_page, methods=["GET"]),
    Route("/upload", upload_form, methods=["POST"]),
    Route("/documents/{id:int}/edit", edit_page, methods=["GET"]),
    Route("/documents/{id:int}/edit", edit_form, methods=["POST"]),
    Route("/documents/{id:int}/trash", trash_one, methods=["POST"]),
    Route("/documents/{id:int}/restore", restore_one, methods=["POST"]),
    Route("/documents/{id:int}/collections", collect_one, methods=["POST"]),
    Route("/documents/{id:int}/copies", decide_copies, methods=["POST"]),
    Route("/documents/{id:int}/ocr", read_by_ocr, methods=["POST"]),
    Route("/drafts", drafts_page, methods=["GET"]),
    Route("/trash", trash_page, methods=["GET"]),
    Route("/trash/empty", empty_trash, methods=["POST"]),
    Route("/collections", collections_page, methods=["GET"]),
    Route("/collections", create_collection, methods=["POST"]),
    Route("/collections/delete", delete_collection, methods=["POST"]),
    Route("/import", import_page, methods=["GET"]),
    Route("/import", import_form, methods=["POST"]),
]
