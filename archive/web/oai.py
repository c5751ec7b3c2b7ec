"""OAI-PMH 2.0 at /oai: the six verbs, oai_dc records, sets, selective harvesting, resumption
tokens and every error of the protocol. Parse the request, make one Archive call, write XML.

Records: published documents, and trashed ones as deleted records; drafts never. A record's
datestamp is its document's last change (any edit, publishing, trash, restore or collection
change: the catalog's ``changed_at``), at the granularity YYYY-MM-DDThh:mm:ssZ.

deletedRecord is ``transient``: a trashed document is reported as deleted until the trash is
emptied, and then its row is gone, with no tombstone left to report; promising ``persistent``
would be a lie after the first emptying.

Resumption tokens are stateless: each holds the request's arguments (metadataPrefix, from,
until, set), the cursor (changed_at, id) of the last record sent and the count sent so far.
Lists are ordered by (changed_at, id) and each page continues strictly after the cursor, so a
record is sent at most once per harvest as long as its (changed_at, id) does not change; and it
is sent, since the keys of untouched records never move. A document added during the harvest
takes a new id (ids are never reused) and a changed_at no earlier than any other (the catalog
keeps it monotonic), so its key lies after every key already sent: it cannot shift a page. The
first response freezes ``until`` (the harvester's own, or the time of that response) in the
token, so a harvest ends even while documents keep arriving; the harvester's next incremental
harvest (from = this harvest's first responseDate) picks up what came or changed after.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from archive.models import Document, HarvestQuery, HarvestRecord
from archive.web.endpoint import archive_of

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
for _prefix, _uri in (("", OAI), ("oai_dc", OAI_DC), ("dc", DC), ("xsi", XSI)):
    ET.register_namespace(_prefix, _uri)

PREFIX = "oai_dc"
# Identifiers: oai:archive:<document id>, the same whatever host name the server answers to.
IDENTIFIER = "oai:archive:"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
STAMP = "%Y-%m-%dT%H:%M:%SZ"
DESCRIPTION_CHARS = 500
MEDIA_TYPES = {
    "txt": "text/plain",
    "md": "text/markdown",
    "html": "text/html",
    "json": "application/json",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# verb -> (required arguments, optional arguments); a resumptionToken stands alone
ARGUMENTS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset()),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
}
RESUMABLE = {"ListSets", "ListIdentifiers", "ListRecords"}
# Characters XML 1.0 cannot hold at all, not even as a reference: replaced by U+FFFD.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# the syntax the protocol's schema gives arguments echoed in <request>: anything else is a
# badArgument (echoing it would make the answer invalid)
_SYNTAX = {
    "metadataPrefix": re.compile(r"[A-Za-z0-9\-_.!~*'()]+"),
    "set": re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*"),
    "identifier": re.compile(r"[^\s\x00-\x1f\x7f]+"),
}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


class ProtocolError(Exception):
    """An OAI-PMH error: answered with 200 and <error code=…>, as the protocol says."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def xml_text(value: str) -> str:
    """Text XML 1.0 can carry: control characters and lone surrogates become U+FFFD (the
    serializer escapes &, < and quotes)."""
    return _NOT_XML.sub("\ufffd", value)


def now_stamp() -> str:
    return datetime.now(UTC).strftime(STAMP)


# --- arguments -----------------------------------------------------------------------------------
def parse_arguments(request: Request) -> tuple[str, dict[str, str]]:
    """(verb, arguments) of a request, or a badVerb / badArgument ProtocolError."""
    items = request.query_params.multi_items()
    names = [name for name, _ in items]
    verbs = [value for name, value in items if name == "verb"]
    if len(verbs) != 1 or verbs[0] not in ARGUMENTS:
        raise ProtocolError("badVerb", "verb is missing, repeated or not an OAI-PMH verb")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ProtocolError("badArgument", f"repeated argument: {', '.join(repeated)}")
    verb = verbs[0]
    arguments = {name: value for name, value in items if name != "verb"}
    required, optional = ARGUMENTS[verb]
    allowed = required | optional | ({"resumptionToken"} if verb in RESUMABLE else set())
    unknown = sorted(set(arguments) - allowed)
    if unknown:
        raise ProtocolError("badArgument", f"{verb} takes no argument {', '.join(unknown)}")
    if "resumptionToken" in arguments:
        if len(arguments) > 1:
            raise ProtocolError("badArgument", "resumptionToken is an exclusive argument")
        return verb, arguments
    missing = sorted(required - set(arguments))
    if missing:
        raise ProtocolError("badArgument", f"{verb} needs {', '.join(missing)}")
    for name, value in arguments.items():
        if name in _SYNTAX and not _SYNTAX[name].fullmatch(value):
            raise ProtocolError("badArgument", f"{name} has a syntax the protocol does not allow")
        if name in ("from", "until"):
            parse_stamp(value, end_of_day=name == "until")
    return verb, arguments


def parse_stamp(value: str, end_of_day: bool) -> tuple[str, str]:
    """(YYYY-MM-DDThh:mm:ssZ, granularity) of a from/until argument."""
    try:
        if _SECOND.fullmatch(value):
            datetime.strptime(value, STAMP)
            return value, "second"
        if _DAY.fullmatch(value):
            datetime.strptime(value, "%Y-%m-%d")
            return value + ("T23:59:59Z" if end_of_day else "T00:00:00Z"), "day"
    except ValueError:
        pass
    raise ProtocolError("badArgument", f"{value!r} is not a date: YYYY-MM-DD or {GRANULARITY}")


def document_id(identifier: str) -> int | None:
    rest = identifier.removeprefix(IDENTIFIER)
    if rest == identifier or not re.fullmatch(r"[1-9][0-9]{0,17}", rest):
        return None
    return int(rest)


def check_prefix(prefix: str) -> None:
    if prefix != PREFIX:
        raise ProtocolError("cannotDisseminateFormat", f"the only metadataPrefix is {PREFIX}")


# --- resumption tokens ---------------------------------------------------------------------------
def encode_token(state: dict[str, object]) -> str:
    raw = json.dumps(state, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> dict[str, object]:
    bad = ProtocolError("badResumptionToken", "the resumptionToken is invalid")
    try:
        state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError) as error:
        raise bad from error
    if not isinstance(state, dict) or set(state) != {"p", "f", "u", "s", "a", "c"}:
        raise bad
    after, count = state["a"], state["c"]
    valid = (
        state["p"] == PREFIX
        and (state["f"] is None or (isinstance(state["f"], str) and _SECOND.fullmatch(state["f"])))
        and isinstance(state["u"], str)
        and _SECOND.fullmatch(state["u"])
        and (state["s"] is None or isinstance(state["s"], str))
        and isinstance(after, list)
        and len(after) == 2
        and isinstance(after[0], str)
        and _SECOND.fullmatch(after[0])
        and type(after[1]) is int
        and after[1] > 0
        and type(count) is int
        and count > 0
    )
    if not valid:
        raise bad
    return state


def list_query(arguments: dict[str, str], page_size: int) -> tuple[HarvestQuery, int]:
    """The harvest a ListIdentifiers/ListRecords request asks for, and how many were sent."""
    if "resumptionToken" in arguments:
        state = decode_token(arguments["resumptionToken"])
        after = state["a"]
        assert isinstance(after, list)
        query = HarvestQuery(
            since=state["f"],  # type: ignore[arg-type]
            until=state["u"],  # type: ignore[arg-type]
            set_spec=state["s"],  # type: ignore[arg-type]
            after=(after[0], after[1]),
            limit=page_size,
        )
        return query, state["c"]  # type: ignore[return-value]
    check_prefix(arguments["metadataPrefix"])
    since = until = None
    if "from" in arguments:
        since, since_grain = parse_stamp(arguments["from"], end_of_day=False)
    if "until" in arguments:
        until, until_grain = parse_stamp(arguments["until"], end_of_day=True)
    if since and until:
        if since_grain != until_grain:
            raise ProtocolError("badArgument", "from and until must have the same granularity")
        if since > until:
            raise ProtocolError("badArgument", "from is later than until")
    # the harvest's end is fixed now, so that it ends even while documents keep arriving
    until = until or now_stamp()
    return HarvestQuery(since, until, arguments.get("set"), None, page_size), 0


# --- XML -----------------------------------------------------------------------------------------
def q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def sub(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, q(OAI, name), {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def envelope(request: Request, arguments: dict[str, str] | None) -> ET.Element:
    """<OAI-PMH> with responseDate and request; arguments None after badVerb/badArgument."""
    root = ET.Element(q(OAI, "OAI-PMH"), {q(XSI, "schemaLocation"): f"{OAI} {OAI_SCHEMA}"})
    sub(root, "responseDate", now_stamp())
    sub(root, "request", base_url(request), **(arguments or {}))
    return root


def base_url(request: Request) -> str:
    return str(request.url.replace(query="", fragment=""))


def respond(root: ET.Element) -> Response:
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="text/xml; charset=utf-8")


def header(parent: ET.Element, record: HarvestRecord) -> None:
    head = sub(parent, "header", **({"status": "deleted"} if record.deleted else {}))
    sub(head, "identifier", f"{IDENTIFIER}{record.document.id}")
    sub(head, "datestamp", record.changed_at)
    for spec in record.sets:
        sub(head, "setSpec", spec)


def dublin_core(parent: ET.Element, document: Document, request: Request) -> None:
    meta = document.metadata
    dc = ET.SubElement(
        parent,
        q(OAI_DC, "dc"),
        {q(XSI, "schemaLocation"): f"{OAI_DC} {OAI_DC_SCHEMA}"},
    )

    def element(name: str, value: str) -> None:
        if value:
            ET.SubElement(dc, q(DC, name)).text = xml_text(value)

    element("title", meta.title)
    for author in meta.authors:
        element("creator", author)
    for tag in meta.tags:
        element("subject", tag)
    element("description", description(document))
    element("publisher", meta.publication)
    element("date", meta.date or "")
    element("type", "Text")
    element("format", MEDIA_TYPES.get(document.format, "application/octet-stream"))
    element("identifier", f"{str(request.base_url).rstrip('/')}/documents/{document.id}")
    element("source", meta.url)
    element("language", meta.language)


def description(document: Document) -> str:
    text = " ".join(b.text for b in document.blocks if b.kind != "heading")
    text = " ".join(text.split())
    if len(text) <= DESCRIPTION_CHARS:
        return text
    return text[:DESCRIPTION_CHARS].rsplit(" ", 1)[0] + " …"


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


def write_record(parent: ET.Element, record: HarvestRecord, request: Request) -> None:
    node = sub(parent, "record")
    header(node, record)
    if not record.deleted:
        dublin_core(sub(node, "metadata"), record.document, request)


def list_records(request: Request, root: ET.Element, verb: str, arguments: dict[str, str]) -> None:
    archive = archive_of(request)
    query, sent = list_query(arguments, archive.settings.oai_page_size)
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
    try:
        verb, arguments = parse_arguments(request)
    except ProtocolError as error:
        root = envelope(request, None)
        sub(root, "error", error.message, code=error.code)
        return respond(root)
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


ROUTES = [Route("/oai", oai, methods=["GET"])]
