"""The JSON API's writes: upload, edit, trash and restore documents; start and follow bulk imports.

Bodies are read here, in the event loop, with their limits (uploads.py); the blocking Archive call
then runs in a worker thread so one slow extraction does not stall every other request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio.to_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from archive.core.archive import Archive
from archive.errors import BadRequest, Duplicate, NotFound
from archive.models import EDITABLE_STATUSES, Document, Job, Overrides, is_row_id
from archive.web.api import document_json
from archive.web.auth import actor
from archive.web.endpoint import archive_of
from archive.web.params import document_id
from archive.web.uploads import (
    from_fields,
    json_fields,
    limited_stream,
    load_json,
    read_upload,
    uploaded_file,
)

# A bulk file holds many documents, each within the upload limit; ingest reads it into memory,
# so it is bounded too.
IMPORT_FACTOR = 20
# A PATCH body is a handful of metadata fields.
MAX_PATCH_BYTES = 64 * 1024
# Writers wait for the index in their own threads, not the pool that serves requests: 20
# uploads waiting on one commit must not stop searches from being answered.
INDEX_WAITERS = anyio.CapacityLimiter(1000)


def document_url(doc_id: int) -> str:
    return f"/documents/{doc_id}"


def written_json(doc: Document, indexed: bool) -> dict[str, Any]:
    """A document as GET /api/documents/{id} shows it, plus what only writers see: its status,
    collections, and whether a search begun after this answer finds it."""
    return {
        **document_json(doc),
        "status": doc.status,
        "collections": list(doc.collections),
        "searchable": indexed and doc.status == "published",
    }


async def wait_searchable(archive: Archive) -> bool:
    """Until the index has what was just written (at most Settings.index_wait_seconds), so a
    search begun after the answer finds it."""
    return await anyio.to_thread.run_sync(archive.wait_searchable, limiter=INDEX_WAITERS)


def duplicate_json(exc: Duplicate) -> JSONResponse:
    """The canonical error shape plus the stored document, so a script can link to it."""
    body = {
        "ok": False,
        "error": exc.message,
        "status": exc.status,
        "existing_id": exc.existing_id,
        "existing_url": document_url(exc.existing_id),
    }
    return JSONResponse(body, status_code=exc.status)


def job_json(job: Job) -> dict[str, Any]:
    # The file's own name, not the server path it was saved under.
    name = job.name

    def own(item: str) -> str:
        if not job.saved_as:
            return item
        return item.replace(job.saved_as, name).replace(Path(job.saved_as).name, name)

    return {
        "id": job.id,
        "kind": job.kind,
        "name": name,
        "actor": job.actor,
        "state": job.state,
        "finished": job.finished,
        "total": job.total,
        "done": job.done,
        "added": job.added,
        "duplicates": job.duplicates,
        "failed": job.failed,
        "errors": [{"name": own(item), "reason": own(reason)} for item, reason in job.errors],
        "message": job.message,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "url": f"/api/jobs/{job.id}",
    }


async def save_and_start_import(request: Request) -> Job:
    """Keep the form's bulk file, then start its import job (the answer: the job, running)."""
    archive = archive_of(request)
    async with uploaded_file(request, archive.settings.max_upload_bytes * IMPORT_FACTOR) as file:
        path = await run_in_threadpool(archive.save_import, file.file, file.filename or "")
    return await run_in_threadpool(archive.start_import, path, actor=actor(request))


async def create_document(request: Request) -> Response:
    archive = archive_of(request)
    upload = await read_upload(request, archive.settings.max_upload_bytes)
    try:
        doc = await run_in_threadpool(
            archive.add, upload.data, upload.filename, upload.overrides,
            actor=actor(request), publish=upload.publish,
        )  # fmt: skip
    except Duplicate as exc:
        return duplicate_json(exc)
    indexed = doc.status == "published" and await wait_searchable(archive)
    headers = {"Location": f"/api/documents/{doc.id}"}
    return JSONResponse(written_json(doc, indexed), status_code=201, headers=headers)


async def _json_object(request: Request, limit: int = MAX_PATCH_BYTES) -> dict[str, Any]:
    body = b"".join([chunk async for chunk in limited_stream(request, limit)])
    record = load_json(body)
    if not isinstance(record, dict):
        raise BadRequest('Send a JSON object such as {"title": "...", "status": "published"}.')
    return record


async def patch_document(request: Request) -> Response:
    doc_id = document_id(request.path_params["id"])
    archive = archive_of(request)
    # a corrected text may be as long as an upload; metadata alone stays small
    record = await _json_object(request, max(MAX_PATCH_BYTES, archive.settings.max_upload_bytes))
    text = record.pop("text", None)
    if text is not None and (not isinstance(text, str) or not text.strip()):
        raise BadRequest("text must be the document's corrected text: a non-empty string.")
    # absent, the status stays; sent, it must be one the API lists (an explicit null is not)
    sent_status = "status" in record
    status = record.pop("status", None)
    if sent_status and status not in EDITABLE_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(EDITABLE_STATUSES)}.")
    if "publish" in record:
        raise BadRequest('Publish with {"status": "published"}.')
    overrides = from_fields(json_fields(record), strict=True).overrides
    doc = await run_in_threadpool(
        archive.edit, doc_id, overrides, status, actor=actor(request), text=text
    )
    return JSONResponse(written_json(doc, await wait_searchable(archive)))


async def delete_document(request: Request) -> Response:
    doc_id = document_id(request.path_params["id"])
    archive = archive_of(request)
    doc = await run_in_threadpool(
        archive.edit, doc_id, Overrides(), "trashed", actor=actor(request)
    )
    return JSONResponse(written_json(doc, await wait_searchable(archive)))


def job(request: Request) -> Response:
    job_id = request.path_params["id"]
    if not is_row_id(job_id):
        raise NotFound(f"there is no import job {job_id}")
    return JSONResponse(job_json(archive_of(request).job(job_id)))


async def create_import(request: Request) -> Response:
    started = await save_and_start_import(request)
    body = {**job_json(started), "page": f"/import?job={started.id}"}
    return JSONResponse(body, status_code=202, headers={"Location": body["url"]})


ROUTES = [
    Route("/api/documents", create_document, methods=["POST"]),
    Route("/api/documents/{id:int}", patch_document, methods=["PATCH"]),
    Route("/api/documents/{id:int}", delete_document, methods=["DELETE"]),
    Route("/api/jobs/{id:int}", job, methods=["GET"]),
    Route("/api/imports", create_import, methods=["POST"]),
]
