"""OAI-PMH 2.0 at /oai: the six verbs, oai_dc records, sets, selective harvesting, resumption
tokens and every error of the protocol. Parse the request, make one Archive call, write XML.

Records: published documents, and trashed ones as deleted records; drafts never. A record's
datestamp is its document's last change (any edit, publishing, trash, restore or collection
change: the catalog's ``changed_at``), at the granularity YYYY-MM-DDThh:mm:ssZ.

deletedRecord is ``transient``: a trashed document is reported as deleted until the trash is
emptied, and then its row is gone, with no tombstone left to report; promising ``persistent``
would be a lie after the first emptying.

Sets (archive/storage/harvest.py): ``collection`` and ``collection:<id>`` from the collections,
``language`` and ``language:<code>`` from the documents' languages. Publication is no set: its
values are free text, often one document each, and a harvester that wants one filters on
dc:publisher. An archive with no set at all answers ListSets with noSetHierarchy (the schema
wants at least one set in a ListSets answer).

The arguments and resumption tokens: oai_arguments.py; the XML: oai_xml.py.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl
from xml.etree import ElementTree as ET

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from archive.errors import ProtocolError, TooLarge
from archive.web.endpoint import archive_of
from archive.web.oai_arguments import (
    GRANULARITY,
    PREFIX,
    check_prefix,
    document_id,
    encode_token,
    list_query,
    now_stamp,
    parse_arguments,
)
from archive.web.oai_xml import (
    OAI_DC,
    OAI_DC_SCHEMA,
    base_url,
    envelope,
    header,
    respond,
    sub,
    write_record,
)
from archive.web.uploads import limited_stream

FORM = "application/x-www-form-urlencoded"
MAX_POST_BYTES = 16_384  # the longest argument list is a few hundred bytes; a token ~200


# --- the verbs -----------------------------------------------------------------------------------
def identify(request: Request, root: ET.Element) -> None:
    archive = archive_of(request)
    facts = archive.harvest_facts()
    body = sub(root, "Identify")
    sub(body, "repositoryName", "Article archive")
    sub(body, "baseURL", base_url(request))
    sub(body, "protocolVersion", "2.0")
    sub(body, "adminEmail", archive.settings.oai_admin_email)
    sub(body, "earliestDatestamp", facts.earliest or now_stamp())
    sub(body, "deletedRecord", "transient")
    sub(body, "granularity", GRANULARITY)


def list_metadata_formats(request: Request, root: ET.Element, arguments: dict[str, str]) -> None:
    if "identifier" in arguments:
        doc_id = document_id(arguments["identifier"])
        if doc_id is None or archive_of(request).harvest_record(doc_id) is None:
            raise ProtocolError("idDoesNotExist", "no record has this identifier")
    body = sub(root, "ListMetadataFormats")
    fmt = sub(body, "metadataFormat")
    sub(fmt, "metadataPrefix", PREFIX)
    sub(fmt, "schema", OAI_DC_SCHEMA)
    sub(fmt, "metadataNamespace", OAI_DC)


def list_sets(request: Request, root: ET.Element, arguments: dict[str, str]) -> None:
    if "resumptionToken" in arguments:
        raise ProtocolError("badResumptionToken", "the list of sets is never resumed")
    sets = archive_of(request).harvest_facts().sets
    if not sets:
        raise ProtocolError("noSetHierarchy", "the archive has no sets yet")
    body = sub(root, "ListSets")
    for found in sets:
        node = sub(body, "set")
        sub(node, "setSpec", found.spec)
        sub(node, "setName", found.name)


def get_record(request: Request, root: ET.Element, arguments: dict[str, str]) -> None:
    check_prefix(arguments["metadataPrefix"])
    doc_id = document_id(arguments["identifier"])
    found = archive_of(request).harvest_record(doc_id) if doc_id is not None else None
    if found is None:
        raise ProtocolError("idDoesNotExist", "no record has this identifier")
    write_record(sub(root, "GetRecord"), found, request)


def list_records(request: Request, root: ET.Element, verb: str, arguments: dict[str, str]) -> None:
    archive = archive_of(request)
    query, sent = list_query(arguments, archive.settings.oai_page_size)
    query = replace(query, with_text=verb == "ListRecords")
    found = archive.harvest(query)
    if query.set_spec is not None and not found.has_sets:
        raise ProtocolError("noSetHierarchy", "the archive has no sets yet")
    if not found.records:
        raise ProtocolError("noRecordsMatch", "no record matches these arguments")
    body = sub(root, verb)
    for record in found.records:
        if verb == "ListRecords":
            write_record(body, record, request)
        else:
            header(body, record)
    if found.more or sent:
        last = found.records[-1]
        state = {
            "p": PREFIX,
            "f": query.since,
            "u": query.until,
            "s": query.set_spec,
            "a": [last.changed_at, last.document.id],
            "c": sent + len(found.records),
        }
        token = encode_token(state) if found.more else ""
        total = max(found.total, sent + len(found.records))
        sub(body, "resumptionToken", token, completeListSize=str(total), cursor=str(sent))


def oai(request: Request) -> Response:
    """GET /oai?verb=…: a plain def, so Starlette runs it (and its catalog reads) in a thread."""
    return answer(request, request.query_params.multi_items())


async def oai_post(request: Request) -> Response:
    """POST /oai with the arguments as an application/x-www-form-urlencoded body, which
    OAI-PMH 2.0 (section 3.1.1.2) asks a repository to accept, for long arguments. A reading
    like GET (permissions.py); arguments in the URL as well count as repeated when doubled."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if media_type != FORM:
            raise ProtocolError("badArgument", f"a POST request's body must be {FORM}")
        try:
            body = b"".join([chunk async for chunk in limited_stream(request, MAX_POST_BYTES)])
            text = body.decode("utf-8")
        except (TooLarge, UnicodeDecodeError):
            raise ProtocolError(
                "badArgument", f"the body must be UTF-8 of at most {MAX_POST_BYTES} bytes"
            ) from None
    except ProtocolError as error:
        return error_answer(request, error)
    items = [*request.query_params.multi_items(), *parse_qsl(text, keep_blank_values=True)]
    return await run_in_threadpool(answer, request, items)


def error_answer(request: Request, error: ProtocolError) -> Response:
    """An error the arguments themselves cause: the request element carries none of them."""
    root = envelope(request, None)
    sub(root, "error", error.message, code=error.code)
    return respond(root)


def answer(request: Request, items: list[tuple[str, str]]) -> Response:
    try:
        verb, arguments = parse_arguments(items)
    except ProtocolError as error:
        return error_answer(request, error)
    root = envelope(request, {"verb": verb, **arguments})
    try:
        if verb == "Identify":
            identify(request, root)
        elif verb == "ListMetadataFormats":
            list_metadata_formats(request, root, arguments)
        elif verb == "ListSets":
            list_sets(request, root, arguments)
        elif verb == "GetRecord":
            get_record(request, root, arguments)
        else:
            list_records(request, root, verb, arguments)
    except ProtocolError as error:
        # after badArgument the request element carries no arguments (the protocol's rule)
        root = envelope(
            request, None if error.code == "badArgument" else {"verb": verb, **arguments}
        )
        sub(root, "error", error.message, code=error.code)
    return respond(root)


ROUTES = [Route("/oai", oai, methods=["GET"]), Route("/oai", oai_post, methods=["POST"])]
