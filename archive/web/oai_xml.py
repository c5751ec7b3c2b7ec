"""OAI-PMH answers as XML (xml.etree): the envelope, record headers and oai_dc records. Text
is escaped by the serializer; characters XML 1.0 cannot hold at all become U+FFFD."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import Response

from archive.models import Document, HarvestRecord
from archive.web.oai_arguments import IDENTIFIER, now_stamp

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
for _prefix, _uri in (("", OAI), ("oai_dc", OAI_DC), ("dc", DC), ("xsi", XSI)):
    ET.register_namespace(_prefix, _uri)

DESCRIPTION_CHARS = 500
MEDIA_TYPES = {
    "txt": "text/plain",
    "md": "text/markdown",
    "html": "text/html",
    "json": "application/json",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# Characters XML 1.0 cannot hold at all, not even as a reference: replaced by U+FFFD.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """Text XML 1.0 can carry: control characters and lone surrogates become U+FFFD (the
    serializer escapes &, < and quotes)."""
    return _NOT_XML.sub("\ufffd", value)


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


def dublin_core(
    parent: ET.Element, document: Document, request: Request, copies: tuple[int, ...] = ()
) -> None:
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
    for other in copies:  # the same text elsewhere in the archive (issue 16)
        element("relation", f"{str(request.base_url).rstrip('/')}/documents/{other}")


def description(document: Document) -> str:
    text = " ".join(b.text for b in document.blocks if b.kind != "heading")
    text = " ".join(text.split())
    if len(text) <= DESCRIPTION_CHARS:
        return text
    return text[:DESCRIPTION_CHARS].rsplit(" ", 1)[0] + " …"


def write_record(parent: ET.Element, record: HarvestRecord, request: Request) -> None:
    node = sub(parent, "record")
    header(node, record)
    if not record.deleted:
        dublin_core(sub(node, "metadata"), record.document, request, record.copies)
