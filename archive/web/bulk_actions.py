"""Bulk actions from the drafts list and search results (a form) and from scripts (JSON): parse
the chosen documents and the action, one Archive.bulk call (atomic: all or none), answer."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from archive.errors import BadRequest
from archive.models import BULK_MAX, is_row_id
from archive.web.api_write import wait_searchable
from archive.web.auth import actor
from archive.web.endpoint import archive_of, see_other
from archive.web.uploads import limited_stream, load_json

# a form of BULK_MAX checkboxes and the action's few fields
MAX_FIELDS = BULK_MAX + 10
MAX_FIELD_BYTES = 64 * 1024
MAX_JSON_BYTES = 256 * 1024


def _ids(values: list[Any]) -> list[int]:
    ids = []
    for value in values:
        text = str(value).strip()
        if not text.isdigit() or not is_row_id(int(text)):
            raise BadRequest(f"{text[:40]!r} is not a document id.")
        ids.append(int(text))
    return ids


def _back(target: str) -> str:
    """Where a form returns to: a path on this site only (never another host)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/drafts"
    return target


async def bulk_form(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES)
    ids = _ids(form.getlist("ids"))
    archive = archive_of(request)
    changed = await run_in_threadpool(
        archive.bulk, ids, str(form.get("action") or ""),
        value=str(form.get("value") or ""), field=str(form.get("field") or ""),
        actor=actor(request),
    )  # fmt: skip
    await wait_searchable(archive)  # so the page gone back to shows the change
    back = _back(str(form.get("next") or "/drafts"))
    joiner = "&" if "?" in back else "?"
    return see_other(f"{back}{joiner}bulk={form.get('action')}&changed={len(changed)}")


async def bulk_api(request: Request) -> Response:
    body = b"".join([chunk async for chunk in limited_stream(request, MAX_JSON_BYTES)])
    record = load_json(body)
    shape = 'Send {"ids": [1, 2], "action": "publish"} (and "value", "field" as text).'
    if not isinstance(record, dict) or not isinstance(record.get("ids"), list):
        raise BadRequest(shape)
    ids = record["ids"]
    if not all(isinstance(i, int) and not isinstance(i, bool) and is_row_id(i) for i in ids):
        raise BadRequest('"ids" must be document ids (whole numbers from 1).')
    action, value, field = (record.get(k, "") for k in ("action", "value", "field"))
    if not all(isinstance(v, str) for v in (action, value, field)):
        raise BadRequest(shape)
    archive = archive_of(request)
    changed = await run_in_threadpool(
        archive.bulk, ids, action, value=value, field=field, actor=actor(request)
    )
    searchable = await wait_searchable(archive)
    return JSONResponse(
        {"ok": True, "action": action, "changed": changed, "atomic": True,
         "searchable": searchable}
    )  # fmt: skip


ROUTES = [
    Route("/bulk", bulk_form, methods=["POST"]),
    Route("/api/documents/bulk", bulk_api, methods=["POST"]),
]
