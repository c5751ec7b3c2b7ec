"""More like this: key terms of a document's own text find documents on the same topic."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from archive import Archive, Settings
from tests.conftest import demo_records

PAIRS = 20  # translation pairs: "resistinua:uk:X" and "resistinua:en:X"
# CRS reports on US domestic policy: tagged, and with no foreign, defence or trade topic (those
# share words with the addresses: an English address finds the report on a ceasefire first).
ABROAD = {"Foreign Affairs", "Defense & Intelligence", "Trade & International Finance"}


def _records() -> list[dict]:
    """The newest 20 Ukrainian addresses with their English versions, and 39 US domestic-policy
    reports, from the demo collection."""
    records = demo_records()
    by_id = {r["id"]: r for r in records}
    uk = sorted(
        (r for r in records if r["id"].startswith("resistinua:uk:")),
        key=lambda r: r["date"],
        reverse=True,
    )
    pairs = [
        (r, by_id[r["id"].replace(":uk:", ":en:")])
        for r in uk
        if r["id"].replace(":uk:", ":en:") in by_id
    ]
    reports = [
        r
        for r in records
        if r["source"] == "crs_reports" and r["tags"] and not ABROAD & {*r["tags"]}
    ]
    assert len(pairs) >= PAIRS and len(reports) >= 30
    return [r for pair in pairs[:PAIRS] for r in pair] + reports


@pytest.fixture(scope="module")
def addresses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    root = tmp_path_factory.mktemp("similar")
    jsonl = root / "records.jsonl"
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in _records()) + "\n")
    with Archive(Settings(root=root / "archive", index_batch_size=50)) as archive:
        report = archive.ingest_paths([jsonl])
        assert not report.failed
        yield archive


def _source(archive: Archive, doc_id: int) -> str:
    source = archive.document(doc_id).source_id or ""
    return source.split("-", 1)[0].rsplit(":", 1)[0]  # "resistinua:en", "resistinua:uk", "crs"


def test_an_english_address_finds_english_addresses_first_and_not_itself(addresses):
    english = [
        i for i in sorted(addresses.matched_ids("")) if _source(addresses, i) == "resistinua:en"
    ]
    assert len(english) == PAIRS
    top3 = 0
    for doc_id in english:
        found = addresses.similar(doc_id)
        ids = [s.id for s in found]
        assert doc_id not in ids and len(ids) == len(set(ids)) == 10
        assert _source(addresses, ids[0]) == "resistinua:en", doc_id
        top3 += sum(_source(addresses, i) == "resistinua:en" for i in ids[:3])
        scores = [s.score for s in found]
        assert scores == sorted(scores, reverse=True) and scores[0] > 0
        assert all(s.title == addresses.document(s.id).metadata.title for s in found)
    assert top3 >= 0.85 * 3 * len(english)  # the US reports are the distractors


def test_a_report_finds_reports_and_it_is_fast(addresses):
    reports = [i for i in sorted(addresses.matched_ids("")) if _source(addresses, i) == "crs"]
    addresses.similar(reports[0])  # the searcher opens once
    times = []
    hits = 0
    for doc_id in reports[:20]:
        start = time.perf_counter()
        found = addresses.similar(doc_id, limit=5)
        times.append(time.perf_counter() - start)
        hits += sum(_source(addresses, s.id) == "crs" for s in found[:3])
    assert hits >= 0.8 * 3 * 20  # a US policy report is like others, not like Ukrainian addresses
    assert sorted(times)[len(times) // 2] < 0.1


def test_the_document_view_lists_similar_documents(addresses):
    doc_id = min(addresses.matched_ids(""))
    view = addresses.document_view(doc_id)
    assert view.similar and doc_id not in {s.id for s in view.similar}
