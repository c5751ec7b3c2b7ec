"""More like this: key terms of a document's own text find documents on the same topic."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator

import pytest

from archive import Archive, Settings
from tests.conftest import CORPORA

PAIRS = 20  # translation pairs: "resistinua:uk:X" and "resistinua:en:X"


def _records() -> list[dict]:
    """20 Ukrainian addresses with their English versions, and 40 US news articles."""
    with gzip.open(CORPORA / "resistinua_uk_en.jsonl.gz", "rt", encoding="utf-8") as f:
        addresses = [json.loads(line) for line in f]
    by_id = {r["id"]: r for r in addresses}
    uk = [r for r in addresses if r["language"] == "uk"]
    pairs = [
        (r, by_id[r["id"].replace(":uk:", ":en:")])
        for r in uk
        if r["id"].replace(":uk:", ":en:") in by_id
    ]
    news = []
    with gzip.open(CORPORA / "allsides_en.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            news.append(json.loads(line))
            if len(news) == 40:
                break
    return [r for pair in pairs[:PAIRS] for r in pair] + news


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
    return source.rsplit(":", 1)[0]  # "resistinua:en", "resistinua:uk", "allsides"


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
    assert top3 >= 0.85 * 3 * len(english)  # 40 US news articles are the distractors


def test_news_finds_news_and_it_is_fast(addresses):
    news = [i for i in sorted(addresses.matched_ids("")) if _source(addresses, i) == "allsides"]
    addresses.similar(news[0])  # the searcher opens once
    times = []
    hits = 0
    for doc_id in news[:20]:
        start = time.perf_counter()
        found = addresses.similar(doc_id, limit=5)
        times.append(time.perf_counter() - start)
        hits += sum(_source(addresses, s.id) == "allsides" for s in found[:3])
    assert hits >= 0.8 * 3 * 20  # US news is like US news, not like Ukrainian addresses
    assert sorted(times)[len(times) // 2] < 0.1


def test_the_document_view_lists_similar_documents(addresses):
    doc_id = min(addresses.matched_ids(""))
    view = addresses.document_view(doc_id)
    assert view.similar and doc_id not in {s.id for s in view.similar}
