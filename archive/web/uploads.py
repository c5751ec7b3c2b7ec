"""Reading upload bodies with limits that hold while the bytes stream in, not after.

A body is counted chunk by chunk and refused at the first byte over its limit, whatever the
Content-Length said; multipart parsing is bounded too (one file, few and small metadata fields),
so 10,000 fields or a megabyte "title" get a 4xx before they cost memory.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from archive.errors import BadRequest, TooLarge, UnsupportedFormat
from archive.models import Overrides

# Metadata fields one upload may carry (title, a few authors and tags, publish…).
MAX_FIELDS = 100
# One metadata value; a longer field without a filename is refused, not buffered.
MAX_FIELD_BYTES = 16 * 1024
# Room for multipart boundaries and metadata around a file at the size limit.
FORM_OVERHEAD = 64 * 1024
# Metadata names an upload accepts; anything else is a 400 (a typo must not be ignored).
LIST_FIELDS = {"author": "authors", "authors": "authors", "tag": "tags", "tags": "tags"}
TEXT_FIELDS = ("title", "publication", "date", "language")


@dataclass
class Upload:
    """One document as a script or a browser sent it: its bytes, its name, its metadata."""

    data: bytes
    filename: str
    overrides: Overrides
    publish: bool = True
    extra: dict[str, list[str]] = field(default_factory=dict)


def media_type(request: Request) -> str:
    value, _ = parse_options_header(request.headers.get("content-type", ""))
    return value.decode("latin-1").lower()


async def limited_stream(
    request: Request, limit: int, shown: int | None = None
) -> AsyncIterator[bytes]:
    """The request body, refused with TooLarge as soon as it passes `limit` bytes.

    `shown` is the limit the message names: a file's, where the body may add form overhead.
    """
    message = f"The upload is over the limit of {shown or limit:,} bytes."
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):  # "²".isdigit() is true
            raise BadRequest("Content-Length is not a number.")
        if int(declared) > limit:
            raise TooLarge(message)
    received = 0
    # The declared length is only a hint: a client may send more than it announced.
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise TooLarge(message)
        yield chunk


async def read_form(request: Request, limit: int) -> FormData:
    """A multipart form with at most one file, its body bounded by `limit` while it streams."""
    if media_type(request) != "multipart/form-data":
        raise UnsupportedFormat("Send the file as multipart/form-data in a field named 'file'.")
    parser = MultiPartParser(
        request.headers,
        limited_stream(request, limit + FORM_OVERHEAD, shown=limit),
        max_files=1,
        max_fields=MAX_FIELDS,
        max_part_size=MAX_FIELD_BYTES,
    )
    try:
        return await parser.parse()
    except MultiPartException as exc:
        raise BadRequest(f"The form cannot be read: {exc.message}") from exc


def _file_of(form: FormData) -> UploadFile:
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise BadRequest("The form has no file: send it in a field named 'file'.")
    return file


async def read_upload(request: Request, limit: int, *, strict: bool = True) -> Upload:
    """A multipart form (field `file` plus metadata) or JSON {"text", "filename", metadata…}.

    `strict` refuses fields we do not know (scripts); a page's form also carries its CSRF token.
    """
    if media_type(request) == "application/json":
        stream = limited_stream(request, limit + FORM_OVERHEAD, shown=limit)
        body = b"".join([chunk async for chunk in stream])
        return _json_upload(body, limit)
    form = await read_form(request, limit)
    try:
        file = _file_of(form)
        data = await file.read(limit + 1)
        if len(data) > limit:
            raise TooLarge(f"{file.filename}: over the limit of {limit:,} bytes.")
        fields: dict[str, list[Any]] = {}
        for name, value in form.multi_items():
            if name != "file":
                fields.setdefault(name, []).append(value)
        upload = from_fields(fields, strict)
        upload.data, upload.filename = data, file.filename or "upload"
        return upload
    finally:
        await form.close()


def load_json(body: bytes) -> Any:
    """A request body's JSON; BadRequest for bad syntax, or for a lone surrogate ("\\ud800"):
    JSON's grammar allows one, but it is no text, and SQLite would refuse it with a 500."""
    try:
        record = json.loads(body)
        json.dumps(record, ensure_ascii=False).encode()
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}") from exc
    except UnicodeEncodeError as exc:
        raise BadRequest("The body holds a lone surrogate such as \\ud800: not text.") from exc
    return record


def _json_upload(body: bytes, limit: int) -> Upload:
    record = load_json(body)
    if not isinstance(record, dict):
        raise BadRequest('Send a JSON object: {"text": "...", "filename": "...", "title": ...}')
    text = record.pop("text", None)
    filename = record.pop("filename", "text.txt")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest('The JSON upload needs "text": the document\'s text, a string.')
    if not isinstance(filename, str) or not filename.strip():
        raise BadRequest('"filename" must be a file name such as "article.md".')
    data = text.encode("utf-8")
    if len(data) > limit:
        raise TooLarge(f"The text is over the limit of {limit:,} bytes.")
    upload = from_fields(json_fields(record), True)
    upload.data, upload.filename = data, filename
    return upload


def json_fields(record: dict[str, Any]) -> dict[str, list[Any]]:
    """A JSON object's fields as a form's: a list where the API's description has an array
    (authors, tags), one value elsewhere. The other shape is a 400, as the description says."""
    fields: dict[str, list[Any]] = {}
    for name, value in record.items():
        if name in LIST_FIELDS:
            if not isinstance(value, list):
                raise BadRequest(f'{name} must be a list of strings, such as ["{name}"].')
            fields[name] = value
        elif isinstance(value, list):
            raise BadRequest(f"{name} must be one value, not a list.")
        else:
            fields[name] = [value]
    return fields


def from_fields(fields: dict[str, list[Any]], strict: bool) -> Upload:
    """Overrides and the publish flag from metadata fields; a field not given keeps the suggestion.

    With `strict`, a name we do not know is a 400; otherwise it is left in `extra`.
    """
    given: dict[str, Any] = {}
    extra: dict[str, list[str]] = {}
    publish = True
    for name, values in fields.items():
        if not all(isinstance(v, str) for v in values) and name != "publish":
            raise BadRequest(f"{name!r} must be text or a list of texts.")
        # The multipart parser bounds each field; a JSON upload or PATCH must be bounded alike.
        if any(isinstance(v, str) and len(v.encode()) > MAX_FIELD_BYTES for v in values):
            raise BadRequest(f"{name!r} is over the maximum size of {MAX_FIELD_BYTES:,} bytes.")
        if name in TEXT_FIELDS:
            if len(values) != 1:
                raise BadRequest(f"{name!r} takes one value, not {len(values)}.")
            given[name] = values[0]
        elif name in LIST_FIELDS:
            key = LIST_FIELDS[name]
            given[key] = (*given.get(key, ()), *(v.strip() for v in values if v.strip()))
        elif name == "publish":
            publish = _flag(values)
        elif name == "csrf":
            continue  # the auth gate's field (a form may carry it); checked before we run
        elif strict:
            raise BadRequest(f"Unknown field {name!r}: use title, author, publication, date, "
                             "language, tag or publish.")  # fmt: skip
        else:
            extra[name] = values
    return Upload(b"", "", Overrides(**given), publish, extra)


def _flag(values: list[Any]) -> bool:
    value = values[-1] if values else True
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "false", "0", "no"):
        return value.lower() in ("true", "1", "yes", "on")
    raise BadRequest("publish must be true or false.")


@asynccontextmanager
async def uploaded_file(request: Request, limit: int) -> AsyncIterator[UploadFile]:
    """The one file of a multipart form (a bulk import), its body bounded by `limit` while it
    streams in; spooled to a temporary file that is gone after the block."""
    form = await read_form(request, limit)
    try:
        yield _file_of(form)
    finally:
        await form.close()
