"""OAI-PMH requests: the verbs' arguments, their syntax, dates, and resumption tokens; a bad
request is a ProtocolError carrying the protocol's error code.

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
from collections.abc import Sequence
from datetime import UTC, datetime

from archive.errors import ProtocolError
from archive.models import HarvestQuery

PREFIX = "oai_dc"
# Identifiers: oai:archive:<document id>, the same whatever host name the server answers to.
IDENTIFIER = "oai:archive:"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
STAMP = "%Y-%m-%dT%H:%M:%SZ"
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
# the syntax the protocol's schema gives arguments echoed in <request>: anything else is a
# badArgument (echoing it would make the answer invalid)
_SYNTAX = {
    "metadataPrefix": re.compile(r"[A-Za-z0-9\-_.!~*'()]+"),
    "set": re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*"),
    "identifier": re.compile(r"[^\s\x00-\x1f\x7f]+"),
}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def now_stamp() -> str:
    return datetime.now(UTC).strftime(STAMP)


# --- arguments -----------------------------------------------------------------------------------
def parse_arguments(items: Sequence[tuple[str, str]]) -> tuple[str, dict[str, str]]:
    """(verb, arguments) of a request's (name, value) pairs, from its URL (GET) or its form body
    (POST), or a badVerb / badArgument ProtocolError."""
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
