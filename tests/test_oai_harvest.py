"""A whole harvest over HTTP: the demo collection (the sample article and its 447 records) plus
2,000 corpus records, loaded through the archive's own import (JSON Lines), behind a real uvicorn
server, harvested with Sickle by GET and by POST: every published document exactly once with its
Dublin Core, a trashed one as deleted, drafts never, a harvest resumed from a token, and pages
that validate against the protocol's schemas."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sickle import Sickle

from archive.cli.demo import demo_paths
from archive.config import Settings
from archive.core.archive import Archive
from archive.web import create_app
from tests.conftest import NO_LIMITS, demo_records
from tests.live_server import serving
from tests.test_oai import NS, oai_id, valid

CORPUS = 2_000
AUTHORS = ("Kerr, Paul K.", "Олена Петренко", "María José García", "", "Li Wei")
LANGUAGES = ("en", "uk", "es", "ru")


def corpus_records(count: int = CORPUS) -> list[dict]:
    """`count` records in the corpus schema, their text cut from the demo collection's
    paragraphs (three each, a different three for each record), their metadata varied: several
    authors and scripts, dates across years (some missing), languages, tags."""
    paragraphs = [p for r in demo_records() for p in r["body"].split("\n") if 80 <= len(p) <= 1200]
    out = []
    for n in range(count):
        body = "\n\n".join(paragraphs[(n * 3 + k) % len(paragraphs)] for k in range(3))
        author = AUTHORS[n % len(AUTHORS)]
        out.append({
            "id": f"corpus:{n}", "source": "corpus", "title": f"Corpus record {n}: {body[:40]}",
            "authors": [author] if author else [], "publication": f"Gazette {n % 7}",
            "date": f"{2000 + n % 25}-{1 + n % 12:02d}-{1 + n % 28:02d}" if n % 9 else "",
            "language": LANGUAGES[n % len(LANGUAGES)], "tags": [f"topic {n % 11}"],
            "url": f"https://example.org/corpus/{n}", "body": f"{body}\n(record {n})",
        })  # fmt: skip
    return out


@dataclass
class Harvest:
    archive: Archive
    base: str
    live: set[int]  # published now, trashed one included (a deleted record)
    trashed: int
    draft: int


@pytest.fixture(scope="module")
def harvest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harvest]:
    root = tmp_path_factory.mktemp("oai-harvest")
    source = root / "corpus.jsonl"
    source.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus_records()),
        encoding="utf-8",
    )
    settings = Settings(root=root / "archive", rate_limits=NO_LIMITS)
    with Archive(settings) as archive:
        report = archive.ingest_paths([*demo_paths(), source])
        assert not report.failed, report.failed[:3]
        assert len(report.added) == 1 + len(demo_records()) + CORPUS
        ids = sorted(report.added)
        trashed = ids[len(ids) // 2]
        archive.trash(trashed, actor="test")
        draft = archive.add(b"A draft nobody harvests.\n", "draft.txt", publish=False).id
        with serving(create_app(archive)) as base:
            yield Harvest(archive, base, set(ids), trashed, draft)


def test_sickle_harvests_the_demo_and_2000_records_each_once(harvest: Harvest) -> None:
    records = list(
        Sickle(f"{harvest.base}/oai", timeout=120).ListRecords(
            metadataPrefix="oai_dc", ignore_deleted=False
        )
    )
    counts = Counter(r.header.identifier for r in records)
    assert [n for n in counts.values() if n != 1] == []
    assert set(counts) == {oai_id(i) for i in harvest.live}
    assert len(records) >= 2_448  # 1 + 447 + 2,000: a few dozen pages of 100
    assert oai_id(harvest.draft) not in counts
    deleted = [r.header.identifier for r in records if r.header.deleted]
    assert deleted == [oai_id(harvest.trashed)]
    # Dublin Core of every record against the catalog (a sample would miss a page boundary)
    by_id = {int(r.header.identifier.rsplit(":", 1)[1]): r for r in records}
    for doc_id, record in by_id.items():
        if doc_id == harvest.trashed:
            continue
        meta = harvest.archive.document(doc_id).metadata
        dc = record.metadata
        assert dc["title"] == [meta.title], doc_id
        assert dc.get("creator", []) == list(meta.authors), doc_id
        assert dc["identifier"] == [f"{harvest.base}/documents/{doc_id}"], doc_id
        assert dc.get("language", []) == ([meta.language] if meta.language else []), doc_id
        assert dc.get("subject", []) == list(meta.tags), doc_id
        assert dc.get("publisher", []) == ([meta.publication] if meta.publication else [])
        if meta.date:
            assert dc["date"] == [meta.date], doc_id
        else:
            assert "date" not in dc, doc_id


def test_a_harvest_resumes_from_a_token_and_validates(harvest: Harvest) -> None:
    first = httpx.get(
        f"{harvest.base}/oai",
        params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"},
        timeout=60,
    )
    root = valid(first.content)
    seen = [h.text for h in root.xpath("//oai:header/oai:identifier", namespaces=NS)]
    token = root.find(".//oai:resumptionToken", NS)
    assert token is not None and token.text and token.get("cursor") == "0"
    assert int(token.get("completeListSize")) == len(harvest.live)
    # a harvester that stopped after page one comes back later with the token alone
    pages = 0
    while token is not None and token.text:
        answer = httpx.get(
            f"{harvest.base}/oai",
            params={"verb": "ListIdentifiers", "resumptionToken": token.text},
            timeout=60,
        )
        root = valid(answer.content)
        seen += [h.text for h in root.xpath("//oai:header/oai:identifier", namespaces=NS)]
        token = root.find(".//oai:resumptionToken", NS)
        pages += 1
    assert pages >= 20
    assert sorted(seen) == sorted(oai_id(i) for i in harvest.live)
    # Sickle picks up from a token too: the rest of the list after page one
    rest = Sickle(f"{harvest.base}/oai", timeout=120).ListIdentifiers(
        resumptionToken=first_token(harvest)
    )
    assert len({h.identifier for h in rest}) == len(harvest.live) - 100


def first_token(harvest: Harvest) -> str:
    first = httpx.get(
        f"{harvest.base}/oai",
        params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"},
        timeout=60,
    )
    return valid(first.content).find(".//oai:resumptionToken", NS).text


def test_a_harvest_by_post_gets_the_same_records(harvest: Harvest) -> None:
    sickle = Sickle(f"{harvest.base}/oai", http_method="POST", timeout=120)
    headers = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False))
    counts = Counter(h.identifier for h in headers)
    assert set(counts) == {oai_id(i) for i in harvest.live}
    assert all(n == 1 for n in counts.values())
    assert [h.identifier for h in headers if h.deleted] == [oai_id(harvest.trashed)]
