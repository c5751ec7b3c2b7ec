"""GET /api/openapi.json: the JSON API described in OpenAPI 3.1, for scripts and for fuzzing.

Written by hand next to the code it describes (api.py, api_write.py) and held to it by
tests/test_schemathesis.py, which sends generated requests and checks every answer against this
description: a field added to page_json and not here, or a status not listed, fails there.
Limits are quoted from the modules that enforce them, so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from archive.models import (
    BULK_ACTIONS,
    BULK_FIELDS,
    BULK_MAX,
    EDITABLE_STATUSES,
    FACETS,
    MAX_PER_PAGE,
    SORTS,
)
from archive.web.api import MAX_SUGGEST_CHARS
from archive.web.facet_params import MAX_FACET_PAGE, MAX_MATCH_CHARS
from archive.web.params import FACET_PARAMS, MAX_QUERY_CHARS
from archive.web.uploads import LIST_FIELDS, MAX_FIELD_BYTES, TEXT_FIELDS

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
NUM: Schema = {"type": "number"}
BOOL: Schema = {"type": "boolean"}
STRINGS: Schema = {"type": "array", "items": STR}
FILE: Schema = {"type": "string", "format": "binary"}
# Parameters are stripped, and an empty one is absent (a GET form sends `from=` for an empty box).
ISO_DATE = r"^\s*(\d{4}(-\d{2}(-\d{2})?)?)?\s*$"
YEAR = r"^\s*(\d{4})?\s*$"


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str) -> Schema:
    return {"type": [kind, "null"]}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def obj(properties: dict[str, Schema], optional: tuple[str, ...] = ()) -> Schema:
    """An object whose listed properties are all present (bar `optional`); more may be added."""
    required = [name for name in properties if name not in optional]
    return {"type": "object", "required": required, "properties": properties}


FACET_VALUE = obj({"value": STR, "count": INT, "selected": BOOL})
# another document with the same text (issue 16: a reprint, another format)
COPY = obj({"id": INT, "title": STR, "language": STR, "format": STR, "publication": STR,
            "date": nullable("string"), "url": STR})  # fmt: skip
PAGES = array({"type": "integer", "minimum": 1})
# scanned pages (issue 14): read by OCR, how, and which wait for it; null when none was scanned
OCR = {
    "type": ["object", "null"],
    "required": ["pages", "language", "language_detected", "engine", "needs_ocr", "unread",
                 "summary"],
    "properties": {"pages": PAGES, "language": STR, "language_detected": BOOL, "engine": STR,
                   "needs_ocr": PAGES, "unread": PAGES, "summary": STR},
}  # fmt: skip
DOCUMENT: dict[str, Schema] = {
    **{"id": INT, "title": STR, "authors": STRINGS, "publication": STR},
    **{"date": nullable("string"), "date_ambiguous": BOOL, "date_readings": STRINGS},
    **{"language": STR, "tags": STRINGS, "url": STR, "filename": STR, "format": STR},
    **{"size": INT, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
    **{"added_at": STR, "original": STR, "ocr": OCR},
    "blocks": array(obj({"kind": STR, "level": INT, "text": STR})),
}
METADATA: dict[str, Schema] = {
    **{name: {"type": "string", "maxLength": MAX_FIELD_BYTES} for name in TEXT_FIELDS},
    **{name: STRINGS for name in LIST_FIELDS},
}
METADATA_NAMES = (*METADATA, "publish")
SCHEMAS: dict[str, Schema] = {
    "Error": {
        **obj({"ok": {"const": False}, "error": {"type": "string", "minLength": 1},
               "status": {"type": "integer", "minimum": 400, "maximum": 599}}),
        "description": "Every error under /api/; a 409 adds existing_id and existing_url.",
    },
    "Page": obj({
        "total": INT, "page": INT, "per_page": INT,
        "hits": array(obj({
            "id": INT, "title": STR, "authors": STRINGS, "publication": STR,
            "date": nullable("string"), "date_ambiguous": BOOL, "language": STR,
            "tags": STRINGS, "score": NUM,
            "snippets": {**STRINGS, "description": "Escaped text; <mark> is the only markup."},
            "group_id": {**nullable("integer"),
                         "description": "Its group of copies and translations, if any."},
            "copies": {**array(COPY), "description":
                       "The same text in its language; folded here unless collapse=false."},
            "translations": {**array(COPY), "description":
                             "The same text in other languages; folded here likewise."},
        })),
        "facets": obj({facet: array(FACET_VALUE) for facet in FACETS}),
        "suggestion": nullable("string"),
        "timeline": array(obj(
            {"period": STR, "count": INT, "from": STR, "to": STR, "selected": BOOL})),
    }),
    "Document": obj(
        {**DOCUMENT, "copies": array(COPY), "translations": array(COPY), "query": STR,
         "passages": array(obj({
            "block": INT, "heading": STR,
            "snippet": {**STR, "description": "Escaped text; <mark> is the only markup."},
            "permalink": {**STR, "description": "Stable across edits and reindexing."},
            "url": STR,
        }))},
        optional=("query", "passages"),  # with ?q= alone
    ),
    "Drafts": obj({"drafts": array(obj(
        {"id": INT, "title": STR, "filename": STR, "format": STR, "size": INT,
         "pages": nullable("integer"), "text_chars": INT, "short_text": BOOL,
         "needs_ocr": BOOL, "uploader": STR, "added_at": STR, "edit": STR}))}),
    "Trash": obj({"trashed": array(obj(
        {"id": INT, "title": STR, "trashed_at": STR, "edit": STR}))}),
    "Collections": obj({"collections": array(obj(
        {"name": STR, "documents": INT, "search": STR}))}),
    "WrittenDocument": obj(
        {
            **DOCUMENT,
            "status": {"enum": ["draft", "published", "trashed"]},
            "collections": STRINGS,
            "searchable": {"type": "boolean"},
        }
    ),
    "Similar": obj(
        {"id": INT, "similar": array(obj({"id": INT, "title": STR, "date": nullable("string"),
                                          "score": NUM}))}),
    "Suggestions": obj({"suggestions": array(obj(
        {"text": STR, "kind": {"enum": ["title", "name", "term"]}, "count": INT, "id": INT},
        optional=("count", "id")))}),
    "FacetPage": obj({"facet": {"enum": list(FACETS)}, "match": STR, "page": INT,
                      "per_page": INT, "total": INT, "values": array(FACET_VALUE)}),
    "Job": obj({
        "id": INT, "kind": STR, "name": STR, "actor": STR,
        "state": {"enum": ["running", "done", "failed", "interrupted"]}, "finished": BOOL,
        "total": nullable("integer"), "done": INT, "added": INT, "duplicates": INT,
        "failed": INT, "errors": array(obj({"name": STR, "reason": STR})), "message": STR,
        "created_at": STR, "updated_at": STR, "url": STR,
        # how each file was read ("JSONL", "PDF", "plain text", "unreadable", …)
        "read_as": array(obj({"file": STR, "as": STR})),
        "read_as_counts": {"type": "object", "additionalProperties": INT},
        "read_as_summary": STR,
    }),
    "Import": obj({"file": FILE}),
    "UploadForm": obj({"file": FILE, **METADATA, "publish": BOOL}, optional=METADATA_NAMES),
    "UploadText": obj(
        {"text": {"type": "string", "minLength": 1}, "filename": STR, **METADATA,
         "publish": BOOL}, optional=("filename", *METADATA_NAMES)),
    "Corrections": {
        "type": "object", "additionalProperties": False,
        "properties": {**METADATA, "status": {"enum": list(EDITABLE_STATUSES)},
                       "text": {"type": "string", "minLength": 1, "pattern": r"\S",
                                "description": "A corrected text in place of the extracted "
                                "one (paragraphs apart by blank lines)."}},
    },
    # one action on many documents: all change (each audited) or none
    "BulkAction": obj({
        "ids": {"type": "array", "minItems": 1, "maxItems": BULK_MAX,
                "items": {"type": "integer", "minimum": 1}},
        "action": {"enum": list(BULK_ACTIONS)}, "field": {"enum": list(BULK_FIELDS)},
        "value": STR,
    }, optional=("field", "value")),
    "BulkResult": obj({"ok": BOOL, "action": STR, "changed": array(INT), "atomic": BOOL,
                       "searchable": BOOL}),
}  # fmt: skip


def errors(*extra: tuple[str, str]) -> dict[str, Schema]:
    """The errors every operation may answer: 4XX (400, 401, 403, 404, 405, 413, 415, 422),
    429 with Retry-After, 503 while the index is rebuilt; plus `extra` (status, description)."""
    error = {"application/json": {"schema": ref("Error")}}
    retry = {"Retry-After": {"required": True, "schema": INT}}
    return {
        "4XX": {"description": "Refused; `error` says why.", "content": error},
        "429": {"description": "Over the rate limit.", "headers": retry, "content": error},
        "503": {"description": "The index is being rebuilt.", "content": error},
        **{status: {"description": text, "content": error} for status, text in extra},
    }


def ok(schema: str, status: str = "200", *extra: tuple[str, str]) -> dict[str, Schema]:
    body = {"application/json": {"schema": ref(schema)}}
    return {status: {"description": schema, "content": body}, **errors(*extra)}


def query(name: str, schema: Schema) -> Schema:
    param: Schema = {"name": name, "in": "query", "required": False, "schema": schema}
    if schema.get("type") == "array":
        param.update(style="form", explode=True)  # ?author=A&author=B
    return param


def or_blank(schema: Schema) -> Schema:
    """A parameter that may also be sent empty, meaning absent (`?page=` from a form)."""
    return {"anyOf": [schema, {"type": "string", "pattern": r"^\s*$"}]}


def path(name: str, schema: Schema) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def body(*kinds: tuple[str, str]) -> Schema:
    """A required request body: (media type, schema name)…"""
    return {"required": True, "content": {m: {"schema": ref(name)} for m, name in kinds}}


ID = [path("id", {"type": "integer", "minimum": 1, "examples": [1]})]
SEARCH = [
    query("q", {"type": "string", "maxLength": MAX_QUERY_CHARS}),
    query("from", {"type": "string", "pattern": ISO_DATE}),
    query("to", {"type": "string", "pattern": ISO_DATE}),
    query("sort", or_blank({"enum": list(SORTS)})),
    query("page", or_blank({"type": "integer", "minimum": 1, "maximum": 999_999_999})),
    query("per_page", or_blank({"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE})),
    query("collapse", or_blank({"enum": ["true", "false"]})),
    *(query(param, STRINGS) for param in sorted(FACET_PARAMS) if param != "year"),
    query("year", array({"type": "string", "pattern": YEAR})),
]
FACET_BROWSE = [
    path("facet", {"enum": list(FACETS)}),
    query("facet_match", {"type": "string", "maxLength": MAX_MATCH_CHARS}),
    query("facet_page", or_blank({"type": "integer", "minimum": 1, "maximum": MAX_FACET_PAGE})),
]
BEARER = [{"bearer": []}]
FORM, JSON = "multipart/form-data", "application/json"
PATHS: dict[str, Schema] = {
    "/api/search": {"get": {"summary": "Search", "parameters": SEARCH, "responses": ok("Page")}},
    "/api/documents": {"post": {
        "summary": "Upload a document: a file, or its text as JSON", "security": BEARER,
        "requestBody": body((FORM, "UploadForm"), (JSON, "UploadText")),
        "responses": ok("WrittenDocument", "201", ("409", "The same bytes are stored already.")),
    }},
    "/api/documents/{id}": {
        "get": {
            "summary": "A document; with q, the passages the query matches, with permalinks",
            "parameters": [*ID, query("q", {"type": "string", "maxLength": MAX_QUERY_CHARS})],
            "responses": ok("Document"),
        },
        "patch": {
            "summary": "Correct metadata; publish, trash or restore", "security": BEARER,
            "parameters": ID, "requestBody": body((JSON, "Corrections")),
            "responses": ok("WrittenDocument"),
        },
        "delete": {"summary": "Trash a document (restorable)", "security": BEARER,
                   "parameters": ID, "responses": ok("WrittenDocument")},
    },
    "/api/documents/{id}/similar": {
        "get": {"summary": "More like this", "parameters": ID, "responses": ok("Similar")},
    },
    "/api/suggest": {"get": {
        "summary": "Autocomplete", "responses": ok("Suggestions"),
        "parameters": [query("q", {"type": "string", "maxLength": MAX_SUGGEST_CHARS})],
    }},
    "/api/facets/{facet}": {"get": {
        "summary": "A facet's values under a search", "parameters": [*FACET_BROWSE, *SEARCH],
        "responses": ok("FacetPage"),
    }},
    "/api/drafts": {"get": {"summary": "Drafts awaiting confirmation (archivists)",
                            "security": BEARER, "responses": ok("Drafts")}},
    "/api/trash": {"get": {"summary": "The trash (archivists)", "security": BEARER,
                           "responses": ok("Trash")}},
    "/api/collections": {"get": {"summary": "Collections and their sizes (archivists)",
                                 "security": BEARER, "responses": ok("Collections")}},
    "/api/jobs/{id}": {"get": {"summary": "An import's progress", "security": BEARER,
                               "parameters": ID, "responses": ok("Job")}},
    "/api/documents/bulk": {"post": {
        "summary": "Publish, trash, tag, set a field of or collect many documents, atomically",
        "security": BEARER, "requestBody": body((JSON, "BulkAction")),
        "responses": ok("BulkResult"),
    }},
    "/api/imports": {"post": {
        "summary": "Start a bulk import of a zip or JSONL file", "security": BEARER,
        "requestBody": body((FORM, "Import")), "responses": ok("Job", "202"),
    }},
}  # fmt: skip
DESCRIPTION: Schema = {
    "openapi": "3.1.0",
    "info": {
        "title": "Archive API",
        "version": "1",
        "description": "Search the archive and manage its documents. Reading needs no token in "
        "a public archive; writing needs a write token (Authorization: Bearer …).",
    },
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    },
}


def openapi(request: Request) -> Response:
    return JSONResponse(DESCRIPTION)


ROUTES = [Route("/api/openapi.json", openapi, methods=["GET"])]
