"""OAI-PMH at /oai on a real uvicorn server over a real archive (the sample archive: the sample
article and records of each corpus file), harvested with Sickle from PyPI, every answer checked
against the protocol's published XML schemas (tests/data/oai/, sources in its README)."""

from __future__ import annotations

import re
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from lxml import etree
from sickle import Sickle
from sickle.oaiexceptions import NoRecordsMatch

from archive.config import Settings
from archive.core.archive import Archive
from archive.models import Overrides
from archive.web import create_app
from archive.web.oai_arguments import ARGUMENTS
from tests.conftest import NO_LIMITS
from tests.live_server import serving

PAGE = 4  # records per response: the sample archive's 40-odd need a dozen tokens
DATA = Path(__file__).parent / "data" / "oai"
NS = {
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
}
# OAI-PMH.xsd validates <metadata> strictly (any ##other, processContents="strict"): one schema
# importing both namespaces checks the envelope and the Dublin Core inside it.
BOTH = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:import namespace="{NS["oai"]}" schemaLocation="OAI-PMH.xsd"/>
  <xs:import namespace="{NS["oai_dc"]}" schemaLocation="oai_dc.xsd"/>
</xs:schema>"""


class ShippedSchemas(etree.Resolver):
    """The schemas' http:// imports (simpledc, xml.xsd) resolved to tests/data/oai/ by name."""

    def resolve(self, url, pubid, context):  # noqa: ANN001, ANN201 (lxml's signature)
        local = DATA / url.rsplit("/", 1)[-1]
        if url.startswith("http") and local.exists():
            return self.resolve_filename(str(local), context)
        return None


def load_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(ShippedSchemas())
    return etree.XMLSchema(etree.fromstring(BOTH, parser, base_url=f"{DATA}/"))


SCHEMA = load_schema()


def valid(body: bytes) -> etree._Element:
    root = etree.fromstring(body)
    assert SCHEMA.validate(root), SCHEMA.error_log
    return root


def get(base: str, **params: str) -> etree._Element:
    response = httpx.get(f"{base}/oai", params=params, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    return valid(response.content)


def open_archive(template: Path, root: Path) -> Archive:
    shutil.copytree(template, root)
    return Archive(Settings(root=root, rate_limits=NO_LIMITS, oai_page_size=PAGE))


@pytest.fixture
def harvestable(_sample_archive_template: Path, tmp_path: Path) -> Iterator[tuple[Archive, str]]:
    """A copy of the sample archive behind a real server, PAGE records a response."""
    archive = open_archive(_sample_archive_template, tmp_path / "a")
    with archive, serving(create_app(archive)) as base:
        yield archive, base


@pytest.fixture(scope="module")
def read_only(_sample_archive_template: Path, tmp_path_factory: pytest.TempPathFactory):
    """The same, shared by the tests that only read (the error codes)."""
    root = tmp_path_factory.mktemp("oai-read") / "a"
    with open_archive(_sample_archive_template, root) as archive:
        draft = archive.add(b"A draft nobody harvests.", "draft.txt", publish=False)
        with serving(create_app(archive)) as base:
            yield archive, base, draft.id


def published_ids(archive: Archive) -> set[int]:
    return {doc_id for doc_id, _ in archive._published_titles()}


def oai_id(doc_id: int) -> str:
    return f"oai:archive:{doc_id}"


# --- harvesting ---------------------------------------------------------------------------------
def test_sickle_harvests_every_record_once_trashed_as_deleted_drafts_never(
    harvestable: tuple[Archive, str],
) -> None:
    archive, base = harvestable
    live = sorted(published_ids(archive))
    gone = live[3]
    archive.trash(gone, actor="test")
    draft = archive.add(b"Still a draft, never harvested.", "draft.txt", publish=False)
    records = list(Sickle(f"{base}/oai").ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    counts = Counter(r.header.identifier for r in records)
    assert len(records) > 3 * PAGE  # several resumption tokens were needed
    assert all(n == 1 for n in counts.values()), counts.most_common(3)
    assert set(counts) == {oai_id(i) for i in live}
    assert oai_id(draft.id) not in counts
    deleted = [r for r in records if r.header.deleted]
    assert [r.header.identifier for r in deleted] == [oai_id(gone)]
    assert not hasattr(deleted[0], "metadata")  # a deleted record has a header only
    one = next(r for r in records if r.header.identifier == oai_id(live[0]))
    doc = archive.document(live[0])
    assert one.metadata["title"] == [doc.metadata.title]
    assert one.metadata["identifier"] == [f"{base}/documents/{live[0]}"]
    assert one.metadata["type"] == ["Text"]
    if doc.metadata.authors:
        assert one.metadata["creator"] == list(doc.metadata.authors)


def test_every_page_of_a_harvest_validates_and_the_last_token_is_empty(
    harvestable: tuple[Archive, str],
) -> None:
    archive, base = harvestable
    seen: list[str] = []
    for verb in ("ListRecords", "ListIdentifiers"):
        seen.clear()
        root = get(base, verb=verb, metadataPrefix="oai_dc")
        pages = 1
        while True:
            seen += root.xpath("//oai:header/oai:identifier/text()", namespaces=NS)
            token = root.find(f".//{{{NS['oai']}}}resumptionToken")
            if token is None or not token.text:
                break
            assert int(token.get("cursor")) == len(seen) - len(
                root.xpath("//oai:header", namespaces=NS)
            )
            root = get(base, verb=verb, resumptionToken=token.text)
            pages += 1
        assert pages > 3
        assert token is not None and token.get("completeListSize") == str(len(seen))
        assert sorted(seen) == sorted({oai_id(i) for i in published_ids(archive)})


def test_a_harvest_ends_and_yields_each_record_once_while_documents_are_added(
    harvestable: tuple[Archive, str],
) -> None:
    archive, base = harvestable
    before = {oai_id(i) for i in published_ids(archive)}
    added: set[str] = set()
    harvested: list[str] = []
    for n, header in enumerate(Sickle(f"{base}/oai").ListIdentifiers(metadataPrefix="oai_dc")):
        harvested.append(header.identifier)
        if n % PAGE == 1 and n < 6 * PAGE:  # between pages: new documents arrive
            for k in range(3):
                doc = archive.add(f"Arrived during harvest {n} {k}.".encode(), f"new{n}-{k}.txt")
                added.add(oai_id(doc.id))
    counts = Counter(harvested)
    assert all(c == 1 for c in counts.values())
    assert before <= set(counts)
    # the harvest's end was fixed by its first page: what arrived later waits for the next one
    # (unless it came within that same second)
    assert set(counts) - before <= added


def test_a_token_outlives_the_server_that_issued_it(harvestable: tuple[Archive, str]) -> None:
    archive, base = harvestable
    first = get(base, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = first.find(f".//{{{NS['oai']}}}resumptionToken").text
    with serving(create_app(archive)) as restarted:  # a new app: nothing kept between them
        second = get(restarted, verb="ListIdentifiers", resumptionToken=token)
    ids = [first.xpath("//oai:identifier/text()", namespaces=NS)]
    ids.append(second.xpath("//oai:identifier/text()", namespaces=NS))
    assert len(ids[1]) == PAGE and not set(ids[0]) & set(ids[1])


def test_from_and_until_select_by_the_last_change(harvestable: tuple[Archive, str]) -> None:
    archive, base = harvestable
    ids = sorted(published_ids(archive))
    time.sleep(1.1)  # a second later than every record's last change
    archive.update(ids[5], Overrides(title="Corrected title"), actor="test")
    sickle = Sickle(f"{base}/oai")
    edited = sickle.GetRecord(identifier=oai_id(ids[5]), metadataPrefix="oai_dc")
    stamp = edited.header.datestamp
    assert edited.metadata["title"] == ["Corrected title"]
    since = [
        h.identifier for h in sickle.ListIdentifiers(metadataPrefix="oai_dc", **{"from": stamp})
    ]
    assert since == [oai_id(ids[5])]
    earlier = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    before = (earlier - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    until = {h.identifier for h in sickle.ListIdentifiers(metadataPrefix="oai_dc", until=before)}
    assert oai_id(ids[5]) not in until and len(until) == len(ids) - 1
    # trash and restore are changes too
    time.sleep(1.1)
    archive.trash(ids[6], actor="test")
    trashed = sickle.GetRecord(identifier=oai_id(ids[6]), metadataPrefix="oai_dc")
    assert trashed.header.deleted and trashed.header.datestamp > stamp
    time.sleep(1.1)
    archive.restore(ids[6], actor="test")
    restored = sickle.GetRecord(identifier=oai_id(ids[6]), metadataPrefix="oai_dc")
    assert not restored.header.deleted
    assert restored.header.datestamp > trashed.header.datestamp
    # a day's granularity reaches the whole day
    day = stamp[:10]
    today = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", **{"from": day}, until=day))
    assert oai_id(ids[6]) in {h.identifier for h in today}
    with pytest.raises(NoRecordsMatch):
        list(sickle.ListIdentifiers(metadataPrefix="oai_dc", **{"from": "2999-01-01"}))


def test_sets_from_collections_and_languages(harvestable: tuple[Archive, str]) -> None:
    archive, base = harvestable
    ids = sorted(published_ids(archive))
    archive.collect('Río & <Ukraine> "war"', ids[:3], actor="test")
    sickle = Sickle(f"{base}/oai")
    root = get(base, verb="ListSets")
    specs = dict(
        zip(
            root.xpath("//oai:setSpec/text()", namespaces=NS),
            root.xpath("//oai:setName/text()", namespaces=NS),
            strict=True,
        )
    )
    [spec] = [s for s, name in specs.items() if name == 'Río & <Ukraine> "war"']
    assert re.fullmatch(r"collection:\d+", spec) and "collection" in specs
    members = {h.identifier for h in sickle.ListIdentifiers(metadataPrefix="oai_dc", set=spec)}
    assert members == {oai_id(i) for i in ids[:3]}
    languages = [s for s in specs if s.startswith("language:")]
    assert languages
    for language in languages:
        for record in sickle.ListRecords(metadataPrefix="oai_dc", set=language):
            assert record.metadata["language"] == [language.removeprefix("language:")]
            assert language in record.header.setSpecs


def test_titles_with_markup_quotes_controls_and_rtl_text_make_valid_xml(
    harvestable: tuple[Archive, str],
) -> None:
    archive, base = harvestable
    title = "Fish & <chips> \"quoted\" 'single' \x01\x0b\x1f bell\x07 שלום עליכם مرحبا ‮"
    doc = archive.add(
        b"Body with a \x02 control.", "odd.txt", Overrides(title=title, tags=("a&b", "<t>"))
    )
    root = get(base, verb="GetRecord", identifier=oai_id(doc.id), metadataPrefix="oai_dc")
    [shown] = root.xpath("//dc:title/text()", namespaces=NS)
    stored = archive.document(doc.id).metadata.title  # as the archive keeps it
    assert "&" in stored and "<chips>" in stored and "\x07" in stored and "שלום" in stored
    assert shown == re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "\ufffd", stored)
    assert root.xpath("//dc:subject/text()", namespaces=NS) == ["a&b", "<t>"]


def test_identify_and_metadata_formats(read_only: tuple[Archive, str, int]) -> None:
    archive, base, _ = read_only
    root = get(base, verb="Identify")
    found = {e.tag.split("}")[1]: e.text for e in root.find("oai:Identify", NS)}
    assert found["deletedRecord"] == "transient"
    assert found["granularity"] == "YYYY-MM-DDThh:mm:ssZ"
    assert found["baseURL"] == f"{base}/oai"
    stamps = [
        h.header.datestamp
        for h in Sickle(f"{base}/oai").ListRecords(metadataPrefix="oai_dc", ignore_deleted=False)
    ]
    assert found["earliestDatestamp"] == min(stamps)
    formats = get(base, verb="ListMetadataFormats", identifier=oai_id(1))
    assert formats.xpath("//oai:metadataPrefix/text()", namespaces=NS) == ["oai_dc"]


# --- errors -------------------------------------------------------------------------------------
ERRORS = [
    ({"verb": "Nonsense"}, "badVerb"),
    ({}, "badVerb"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "GetRecord", "identifier": "oai:archive:1"}, "badArgument"),
    ({"verb": "Identify", "extra": "1"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-02-30"}, "badArgument"),
    (
        {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2020-01-01",
         "until": "2021-01-01T00:00:00Z"},
        "badArgument",
    ),
    (
        {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2021-01-01",
         "until": "2020-01-01"},
        "badArgument",
    ),
    ({"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"}, "badArgument"),
    ({"verb": "ListRecords", "resumptionToken": "not-a-token"}, "badResumptionToken"),
    ({"verb": "ListIdentifiers", "resumptionToken": "eyJwIjoxfQ"}, "badResumptionToken"),
    ({"verb": "ListSets", "resumptionToken": "anything"}, "badResumptionToken"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    # a syntax the protocol's schema refuses would make the echo in <request> invalid
    ({"verb": "ListRecords", "metadataPrefix": '\x01<&"\u202e'}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "a b"}, "badArgument"),
    ({"verb": "GetRecord", "identifier": "oai:archive:1 2", "metadataPrefix": "oai_dc"},
     "badArgument"),
    (
        {"verb": "GetRecord", "identifier": "oai:archive:1", "metadataPrefix": "marc21"},
        "cannotDisseminateFormat",
    ),
    ({"verb": "GetRecord", "identifier": "oai:archive:999999", "metadataPrefix": "oai_dc"},
     "idDoesNotExist"),
    ({"verb": "GetRecord", "identifier": "12", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
    ({"verb": "ListMetadataFormats", "identifier": "oai:archive:999999"}, "idDoesNotExist"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2999-01-01"}, "noRecordsMatch"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "collection:999"},
     "noRecordsMatch"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "nothing"}, "noRecordsMatch"),
]  # fmt: skip


@pytest.mark.parametrize(("params", "code"), ERRORS, ids=[f"{c}-{p}" for p, c in ERRORS])
def test_each_bad_request_gets_its_error_code(
    read_only: tuple[Archive, str, int], params: dict[str, str], code: str
) -> None:
    _, base, _ = read_only
    root = get(base, **params)
    assert root.xpath("//oai:error/@code", namespaces=NS) == [code]
    request = root.find("oai:request", NS)
    assert request.text == f"{base}/oai"
    if code in ("badVerb", "badArgument"):
        assert dict(request.attrib) == {}  # the protocol: the base URL only


def test_repeated_arguments_are_a_bad_argument(read_only: tuple[Archive, str, int]) -> None:
    _, base, _ = read_only
    response = httpx.get(f"{base}/oai?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc")
    root = valid(response.content)
    assert root.xpath("//oai:error/@code", namespaces=NS) == ["badArgument"]


def test_a_draft_does_not_exist_for_harvesters(read_only: tuple[Archive, str, int]) -> None:
    _, base, draft = read_only
    for params in (
        {"verb": "GetRecord", "identifier": oai_id(draft), "metadataPrefix": "oai_dc"},
        {"verb": "ListMetadataFormats", "identifier": oai_id(draft)},
    ):
        root = get(base, **params)
        assert root.xpath("//oai:error/@code", namespaces=NS) == ["idDoesNotExist"]


def test_an_archive_without_sets_says_no_set_hierarchy(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path / "empty", rate_limits=NO_LIMITS)
    with Archive(settings) as archive, serving(create_app(archive)) as base:
        for params in (
            {"verb": "ListSets"},
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "language:en"},
        ):
            root = get(base, **params)
            assert root.xpath("//oai:error/@code", namespaces=NS) == ["noSetHierarchy"]
        root = get(base, verb="ListIdentifiers", metadataPrefix="oai_dc")
        assert root.xpath("//oai:error/@code", namespaces=NS) == ["noRecordsMatch"]
        assert get(base, verb="Identify").find("oai:Identify", NS) is not None


POOL = [
    ("metadataPrefix", "oai_dc"),
    ("metadataPrefix", "x"),
    ("identifier", "oai:archive:1"),
    ("identifier", "oai:archive:0"),
    ("from", "2000-01-01"),
    ("until", "2000-01-01T00:00:00Z"),
    ("until", "2999-12-31"),
    ("set", "language"),
    ("set", "collection:1"),
    ("resumptionToken", "eyJ4IjoxfQ"),
    ("resumptionToken", "%%%"),
    ("from", "\x00"),
]


def test_any_mix_of_arguments_gets_a_valid_answer(read_only: tuple[Archive, str, int]) -> None:
    _, base, _ = read_only
    codes: Counter[str] = Counter()
    with httpx.Client(base_url=base, timeout=30) as client:
        for verb in (*ARGUMENTS, "Bad"):
            for n, first in enumerate(POOL):
                for second in [None, *POOL[n + 1 :]]:
                    params = [("verb", verb), first, *([second] if second else [])]
                    response = client.get("/oai", params=params)
                    assert response.status_code == 200, params
                    root = valid(response.content)
                    codes.update(root.xpath("//oai:error/@code", namespaces=NS) or ["ok"])
    assert codes["ok"] >= 5 and codes["badArgument"] > 10, codes


# --- POST (OAI-PMH 2.0, 3.1.1.2: a repository must accept form-encoded POST) -------------------
def post(base: str, body: str | bytes, content_type: str = "application/x-www-form-urlencoded"):
    response = httpx.post(
        f"{base}/oai", content=body, headers={"Content-Type": content_type}, timeout=30
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    return valid(response.content)


@pytest.mark.parametrize(("params", "code"), ERRORS, ids=[f"{c}-{p}" for p, c in ERRORS])
def test_each_bad_post_gets_its_error_code(
    read_only: tuple[Archive, str, int], params: dict[str, str], code: str
) -> None:
    _, base, _ = read_only
    root = post(base, httpx.QueryParams(params).__str__())
    assert root.xpath("//oai:error/@code", namespaces=NS) == [code]


def test_a_post_answers_as_a_get_does(read_only: tuple[Archive, str, int]) -> None:
    archive, base, draft = read_only
    by_post = post(base, "verb=ListIdentifiers&metadataPrefix=oai_dc")
    by_get = get(base, verb="ListIdentifiers", metadataPrefix="oai_dc")
    ids = "//oai:header/oai:identifier/text()"
    assert by_post.xpath(ids, namespaces=NS) == by_get.xpath(ids, namespaces=NS)
    assert by_post.find("oai:request", NS).get("verb") == "ListIdentifiers"
    record = post(base, f"verb=GetRecord&metadataPrefix=oai_dc&identifier=oai%3Aarchive%3A{draft}")
    assert record.xpath("//oai:error/@code", namespaces=NS) == ["idDoesNotExist"]
    # a harvester posting from a browser page of another site changes nothing: no CSRF asked
    foreign = httpx.post(
        f"{base}/oai", content="verb=Identify", timeout=30,
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "Origin": "https://elsewhere.example"},
    )  # fmt: skip
    assert foreign.status_code == 200
    assert valid(foreign.content).find("oai:Identify", NS) is not None


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("verb=Identify", "text/plain"),
        ('{"verb": "Identify"}', "application/json"),
        (b"verb=Identify&x=\xff\xfe", "application/x-www-form-urlencoded"),
        ("verb=Identify&pad=" + "a" * 20_000, "application/x-www-form-urlencoded"),
    ],
    ids=["text", "json", "not-utf8", "too-long"],
)
def test_a_post_that_is_no_form_is_a_bad_argument(
    read_only: tuple[Archive, str, int], body: str | bytes, content_type: str
) -> None:
    _, base, _ = read_only
    root = post(base, body, content_type)
    assert root.xpath("//oai:error/@code", namespaces=NS) == ["badArgument"]
    assert dict(root.find("oai:request", NS).attrib) == {}


def test_sickle_harvests_by_post(read_only: tuple[Archive, str, int]) -> None:
    archive, base, draft = read_only
    by_post = Sickle(f"{base}/oai", http_method="POST").ListIdentifiers(metadataPrefix="oai_dc")
    found = Counter(h.identifier for h in by_post)
    assert set(found) == {oai_id(i) for i in published_ids(archive)}
    assert all(n == 1 for n in found.values()) and oai_id(draft) not in found
