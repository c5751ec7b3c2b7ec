"""Translations (issue 16): a document and its version in another language join one group when
the evidence is strong, and only then; listed on the document page and in the API, folded in
results; an archivist's split and join hold through `archive reindex` and through export and
import; OAI-PMH datestamps do not move when a group changes. Real archives in tmp_path; the
texts are the demo collection's Ukrainian addresses and their English versions, imported
without the ids and URLs that pair them."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from archive import Archive, Settings
from archive.core.translations import WINDOW_DAYS
from archive.models import Block, SearchQuery
from archive.search import translations as evidence
from archive.search.variants import load as load_variants
from archive.storage import translations as store
from tests.conftest import NO_LIMITS, demo_records


def _native(record: dict) -> str:
    return record["id"].split(":", 2)[2]


def _day_of_three() -> tuple[dict, dict, dict, dict]:
    """Four addresses of one day by one author: A in Ukrainian and in English, B only in
    Ukrainian, C only in English (their other versions left out: B and C are the hard case,
    two texts of that day that have no translation here)."""
    by_day: dict[tuple[str, str], dict[str, dict[str, dict]]] = defaultdict(dict)
    for r in demo_records():
        if r["source"] == "resistinua" and r["date"]:
            key = (r["date"], r["authors"][0])
            by_day[key].setdefault(_native(r), {})[r["language"]] = r
    for key in sorted(by_day):
        both = [v for _, v in sorted(by_day[key].items()) if set(v) == {"uk", "en"}]
        if len(both) >= 3:
            a, b, c = both[:3]
            return a["uk"], a["en"], b["uk"], c["en"]
    raise AssertionError("the demo collection has no day with three translated addresses")


def _blocks(record: dict) -> list[Block]:
    return [Block("paragraph", p) for p in record["body"].split("\n") if p.strip()]


def _stripped(record: dict) -> dict:
    """The record without what pairs it trivially (its id and the URL of its video)."""
    return {k: v for k, v in record.items() if k not in ("id", "url", "extra")}


def _import(archive: Archive, records: list[dict], path: Path) -> dict[str, int]:
    """The records imported as JSON Lines; title -> document id."""
    path.write_text(
        "".join(json.dumps(_stripped(r), ensure_ascii=False) + "\n" for r in records),
        encoding="utf-8",
    )
    report = archive.ingest_paths([path])
    assert not report.failed and len(report.added) == len(records)
    docs = {archive.document(i).metadata.title: i for i in report.added}
    return {r["id"]: docs[r["title"]] for r in records}


@pytest.fixture
def day(archive: Archive, tmp_path: Path) -> tuple[Archive, int, int, int, int]:
    uk_a, en_a, uk_b, en_c = _day_of_three()
    ids = _import(archive, [uk_b, uk_a, en_c, en_a], tmp_path / "day.jsonl")
    return archive, ids[uk_a["id"]], ids[en_a["id"]], ids[uk_b["id"]], ids[en_c["id"]]


# --- the evidence (pure) -----------------------------------------------------------------------


def test_the_evidence_tells_a_translation_from_another_address_of_that_day():
    uk_a, en_a, uk_b, en_c = _day_of_three()
    variants = load_variants()
    a, e, b, c = (evidence.profile(_blocks(r), variants) for r in (uk_a, en_a, uk_b, en_c))
    assert evidence.evidence(a, e) >= evidence.THRESHOLD
    assert evidence.evidence(a, e) == evidence.evidence(e, a)
    for one, other in ((b, c), (a, c), (b, e)):
        assert evidence.evidence(one, other) < evidence.THRESHOLD


def test_authors_and_publications_meet_across_scripts():
    latin = evidence.source_keys(["Volodymyr Zelenskyy"], "")
    cyrillic = evidence.source_keys(["Володимир Зеленський"], "Офіс Президента")
    assert evidence.same_source(latin, cyrillic)
    assert not evidence.same_source(latin, evidence.source_keys(["Denys Shmyhal"], "Kyiv Post"))
    assert not evidence.same_source("", cyrillic)


def test_names_of_one_variants_line_are_one_anchor():
    variants = load_variants()
    uk = evidence.profile([Block("paragraph", "Сьогодні Росія атакувала Київ.")], variants)
    en = evidence.profile([Block("paragraph", "Today Russia attacked Kyiv.")], variants)
    assert set(uk.anchors) == set(en.anchors) and len(uk.anchors) == 2  # not Today, Сьогодні


# --- in the archive ----------------------------------------------------------------------------


def test_a_translation_is_paired_and_two_strangers_of_that_day_are_not(day):
    archive, uk_a, en_a, uk_b, en_c = day
    assert [(a, b) for a, b, _ in store.pairs(archive._catalog)] == [  # noqa: SLF001
        (min(uk_a, en_a), max(uk_a, en_a))
    ]
    doc, copies, translations = archive.document_with_copies(uk_a)
    assert copies == () and [(t.id, t.language) for t in translations] == [(en_a, "en")]
    for alone in (uk_b, en_c):
        assert archive.copies(alone) == ()


def test_two_strangers_of_one_day_alone_are_not_paired(archive, tmp_path):
    """Each other's only candidate: the threshold alone must keep them apart."""
    _, _, uk_b, en_c = _day_of_three()
    _import(archive, [uk_b, en_c], tmp_path / "strangers.jsonl")
    assert store.pairs(archive._catalog) == []  # noqa: SLF001


def test_a_translation_dated_beyond_the_window_is_not_paired(archive, tmp_path):
    uk_a, en_a, _, _ = _day_of_three()
    moved = date.fromisoformat(en_a["date"]) + timedelta(days=WINDOW_DAYS + 1)
    later = dict(en_a, date=moved.isoformat())
    _import(archive, [uk_a, later], tmp_path / "late.jsonl")
    assert store.pairs(archive._catalog) == []  # noqa: SLF001


def test_a_translation_added_later_joins_and_the_order_does_not_matter(archive, tmp_path):
    uk_a, en_a, uk_b, en_c = _day_of_three()
    first = _import(archive, [en_a, uk_b], tmp_path / "first.jsonl")
    assert store.pairs(archive._catalog) == []  # noqa: SLF001
    second = _import(archive, [en_c, uk_a], tmp_path / "second.jsonl")
    [(a, b, _)] = store.pairs(archive._catalog)  # noqa: SLF001
    assert {a, b} == {first[en_a["id"]], second[uk_a["id"]]}


def test_search_folds_a_translation_and_the_api_lists_it(day):
    from starlette.testclient import TestClient

    from archive.web import create_app

    archive, uk_a, en_a, _, _ = day
    title = archive.document(en_a).metadata.title
    collapsed = archive.search(SearchQuery(text="Зеленський OR Zelensky OR Ukraine OR Україна"))
    in_group = [h for h in collapsed.hits if h.id in (uk_a, en_a)]
    assert len(in_group) == 1 and in_group[0].group_id == min(uk_a, en_a)
    with TestClient(create_app(archive)) as client:
        document = client.get(f"/api/documents/{uk_a}").json()
        hits = client.get("/api/search", params={"q": f'"{title}"', "collapse": "false"}).json()
        page = client.get(f"/documents/{uk_a}").text
    assert document["copies"] == []
    assert [(t["id"], t["language"], t["title"]) for t in document["translations"]] == [
        (en_a, "en", title)
    ]
    [hit] = [h for h in hits["hits"] if h["id"] == en_a]
    assert hit["group_id"] == min(uk_a, en_a)
    assert [t["id"] for t in hit["translations"]] == [uk_a] and hit["copies"] == []
    assert "Translations" in page and "English" in page


def test_split_and_join_of_translations_survive_reindex(day, settings):
    archive, uk_a, en_a, uk_b, en_c = day
    archive.split_copy(en_a, uk_a, actor="alice")
    archive.join_copies(uk_b, en_c, actor="alice")
    assert archive.copies(uk_a) == ()
    archive.reindex()
    archive.close()
    with Archive(settings) as reopened:
        reopened.reindex()
        assert reopened.copies(uk_a) == ()
        assert [c.id for c in reopened.copies(uk_b)] == [en_c]
        actions = [e.action for e in reopened.audit_log(en_a)]
        assert "copies-split" in actions


def test_decisions_survive_export_and_import(day, tmp_path):
    archive, uk_a, en_a, uk_b, en_c = day
    archive.split_copy(en_a, uk_a, actor="alice")
    archive.join_copies(uk_b, en_c, actor="alice")
    archive.export(tmp_path / "export")
    assert (tmp_path / "export" / "decisions.jsonl").read_text().count("\n") == 2
    settings = Settings(root=tmp_path / "restored", rate_limits=NO_LIMITS)
    with Archive(settings) as restored:
        restored.import_export(tmp_path / "export")
        assert restored.copies(uk_a) == ()  # detection finds the pair again; the split holds
        assert [c.id for c in restored.copies(uk_b)] == [en_c]
        restored.reindex()
        assert restored.copies(uk_a) == ()
        assert [c.id for c in restored.copies(en_c)] == [uk_b]


def test_an_export_without_decisions_still_imports(day, tmp_path):
    """Exports made before decisions were carried have no decisions.jsonl."""
    archive, uk_a, en_a, _, _ = day
    archive.export(tmp_path / "export")
    (tmp_path / "export" / "decisions.jsonl").unlink()
    sums = tmp_path / "export" / "SHA256SUMS"
    sums.write_text("".join(line + "\n" for line in sums.read_text().splitlines()
                            if not line.endswith("  decisions.jsonl")))  # fmt: skip
    with Archive(Settings(root=tmp_path / "restored", rate_limits=NO_LIMITS)) as restored:
        restored.import_export(tmp_path / "export")
        assert [c.id for c in restored.copies(uk_a)] == [en_a]


def test_oai_datestamps_stay_when_a_group_changes(day):
    """A harvester (Sickle, over HTTP) sees the same datestamps after an archivist splits a
    translation and joins two documents: a group is no change of a document's record, and a
    harvest "from" a date must not fetch them again. Their dc:relation follows the groups."""
    from sickle import Sickle

    from archive.web import create_app
    from tests.live_server import serving

    archive, uk_a, en_a, uk_b, en_c = day

    def harvest(base: str) -> dict[int, tuple[str, list[str]]]:
        records = Sickle(f"{base}/oai", timeout=60).ListRecords(metadataPrefix="oai_dc")
        out = {}
        for record in records:
            doc_id = int(record.header.identifier.rsplit(":", 1)[-1])
            relations = [r.rsplit("/", 1)[-1] for r in record.metadata.get("relation", [])]
            out[doc_id] = (record.header.datestamp, relations)
        return out

    with serving(create_app(archive)) as base:
        before = harvest(base)
        time.sleep(1.1)  # datestamps are to the second: a change now would show
        archive.split_copy(en_a, uk_a, actor="alice")
        archive.join_copies(uk_b, en_c, actor="alice")
        after = harvest(base)
    assert before[uk_a][1] == [str(en_a)] and after[uk_a][1] == []
    assert after[uk_b][1] == [str(en_c)]
    assert {i: d for i, (d, _) in after.items()} == {i: d for i, (d, _) in before.items()}


def test_not_a_translation_parts_the_languages_and_each_keeps_its_copies(day):
    """A Ukrainian address, its English version and a reprint of the English: one group. "Not
    a translation" said on the reprint's page leaves the two English texts together."""
    from archive.models import Overrides

    archive, uk_a, en_a, _, _ = day
    english = archive.document(en_a)
    text = "\n\n".join(
        [*(b.text for b in english.blocks), "Sign up for our newsletter to read more."]
    )
    meta = english.metadata
    overrides = Overrides(
        title=f"Reprinted: {meta.title}", authors=meta.authors, date=meta.date, language="en"
    )
    reprint = archive.add(text.encode(), "reprint.md", overrides).id
    assert {c.id for c in archive.copies(uk_a)} == {en_a, reprint}
    archive.split_copy(reprint, uk_a, actor="alice")
    assert [c.id for c in archive.copies(reprint)] == [en_a]
    assert archive.copies(uk_a) == ()
    archive.reindex()
    assert [c.id for c in archive.copies(en_a)] == [reprint] and archive.copies(uk_a) == ()
