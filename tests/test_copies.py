"""Copies of one text (issue 16): reprints and format twins found as documents are added, kept in
the catalog, folded in search results, and an archivist's split and join kept through reindexes.
Real archives in tmp_path; the texts are the repository's own (tests/data, the demo collection)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from archive import Archive
from archive.core.finder import Finder
from archive.errors import BadRequest, NotFound
from archive.ingest import copies as signatures
from archive.models import Block, Hit, Overrides, SearchQuery
from archive.search.engine import SearchEngine
from tests.conftest import CRS_MD, CRS_PDF, demo_records, parts


def _paragraphs(record: dict) -> list[str]:
    return [p for p in record["body"].split("\n") if len(p.split()) > 5]


def _long_records(count: int) -> list[dict]:
    records = [r for r in demo_records() if r["language"] == "en" and len(_paragraphs(r)) >= 8]
    assert len(records) >= count
    return records[:count]


def reprint(record: dict) -> str:
    """How an outlet reprints an article: its own headline and footer, the last paragraph cut,
    a line of its own at the top."""
    paras = _paragraphs(record)[:-1]
    return "\n\n".join(
        [
            "# A new headline of the reprinting outlet",
            "This article first appeared elsewhere and is republished with permission.",
            *paras,
            "Sign up for our newsletter to get the best of our reporting every week.",
            "© 2026 The Reprinting Outlet. All rights reserved.",
        ]
    )


def original(record: dict) -> str:
    return "\n\n".join([f"# {record['title']}", *_paragraphs(record), "Share this on social"])


def _blocks(text: str) -> list[Block]:
    return [
        Block("heading" if p.startswith("#") else "paragraph", p.lstrip("# "))
        for p in text.split("\n\n")
    ]


def test_a_reprint_is_similar_and_another_article_is_not():
    first, second = _long_records(2)
    a = signatures.signature(_blocks(original(first)))
    b = signatures.signature(_blocks(reprint(first)))
    c = signatures.signature(_blocks(original(second)))
    assert a is not None and b is not None and c is not None
    assert signatures.similarity(a.values, b.values) >= signatures.THRESHOLD
    assert signatures.similarity(a.values, c.values) < 0.2
    assert set(a.bands) & set(b.bands), "a reprint must be an LSH candidate"
    # signatures are stable: stored bytes read back compare equal
    assert (signatures.Signature.values_from_bytes(a.to_bytes()) == a.values).all()


def test_boilerplate_and_headings_do_not_count():
    words = signatures.content_words(
        _blocks("# Title words\n\nSign up for our newsletter today\n\nThe text itself.")
    )
    assert words == ["the", "text", "itself"]
    assert signatures.signature(_blocks("Too short to tell.")) is None


def test_short_texts_are_copies_only_when_nearly_the_same():
    note = "The {} was seen near the salt lake at dawn, foraging alone with two others."
    a = signatures.signature(_blocks(note.format("quokka")))
    b = signatures.signature(_blocks(note.format("wombat")))
    same = signatures.signature(_blocks("# Another title\n\n" + note.format("quokka")))
    assert a is not None and b is not None and same is not None
    assert a.is_copy(b.to_bytes()) == (False, 9 / 13)  # exact: 2 of 11 shingles differ
    assert a.is_copy(same.to_bytes()) == (True, 1.0)


def _add(archive: Archive, text: str, name: str, **meta: object) -> int:
    return archive.add(text.encode(), name, Overrides(**meta) if meta else None).id


@pytest.fixture
def reprinted(archive: Archive) -> tuple[Archive, int, int, int]:
    first, second = _long_records(2)
    a = _add(archive, original(first), "original.md", publication="First Outlet")
    b = _add(archive, reprint(first), "reprint.md", publication="Second Outlet")
    c = _add(archive, original(second), "other.md")
    return archive, a, b, c


def test_a_reprint_and_its_original_form_a_group(reprinted):
    archive, a, b, c = reprinted
    assert [x.id for x in archive.copies(a)] == [b]
    assert [(x.id, x.publication, x.format) for x in archive.copies(b)] == [
        (a, "First Outlet", "md")
    ]
    assert archive.copies(c) == ()


def test_a_pdf_and_its_markdown_twin_form_a_group(archive):
    pdf = archive.add(CRS_PDF.read_bytes(), CRS_PDF.name).id
    md = archive.add(CRS_MD.read_bytes(), CRS_MD.name).id
    assert [(x.id, x.format) for x in archive.copies(md)] == [(pdf, "pdf")]


def test_search_shows_a_group_once_with_its_copies(reprinted):
    archive, a, b, _ = reprinted
    word = _paragraphs(_long_records(1)[0])[2].split()[3]
    query = SearchQuery(text=f'"{word}"')
    collapsed = archive.search(query)
    ids = [h.id for h in collapsed.hits]
    assert len({a, b} & set(ids)) == 1
    [hit] = [h for h in collapsed.hits if h.id in (a, b)]
    assert hit.group_id == min(a, b)
    assert [x.id for x in hit.copies] == [({a, b} - {hit.id}).pop()]
    every = archive.search(replace(query, collapse=False))
    assert {a, b} <= {h.id for h in every.hits}
    assert every.total == collapsed.total  # counts documents, collapsed or not


def test_folding_copies_does_not_run_the_query_again(reprinted):
    """Folding asks for the ranking of the search it follows: the engine answers it from the
    matches it just found (the query is compiled and scored once), and a new query is not
    answered from the last one's."""
    archive, a, b, _ = reprinted
    word = _paragraphs(_long_records(1)[0])[2].split()[3]
    query = SearchQuery(text=f'"{word}"')
    assert any(h.group_id is not None for h in archive.search(query).hits)  # a page that folds
    with parts(archive.settings) as (_, catalog, index):
        engine = SearchEngine(index, catalog.get_many)
        page = engine.search(query)
        assert engine.evaluated == 1
        ids, total = engine.ranked_ids(query, 40)
        assert engine.evaluated == 1 and total == page.total
        assert ids[: len(page.hits)] == [h.id for h in page.hits]
        engine.search(replace(query, page=2, per_page=1))  # another page of the same query
        assert engine.evaluated == 1
        assert engine.search(SearchQuery(text="zzyzx")).total == 0
        assert engine.evaluated == 2
        engine.ranked_ids(query, 40)  # asked before on this generation: remembered
        assert engine.evaluated == 2
        engine.ranked_ids(query, 80)  # a new limit, and the last query was another one
        assert engine.evaluated == 3
        engine.close()


def test_a_draft_copy_is_seen_only_by_archivists(archive):
    [record] = _long_records(1)
    a = _add(archive, original(record), "original.md")
    draft = archive.add(reprint(record).encode(), "draft.md", publish=False).id
    assert archive.copies(a) == ()
    assert [x.id for x in archive.copies(a, hidden=True)] == [draft]
    with pytest.raises(NotFound):
        archive.copies(draft)


def test_split_and_join_are_audited_and_survive_reindex(reprinted, settings):
    archive, a, b, c = reprinted
    archive.split_copy(b, a, actor="alice")
    assert archive.copies(a) == ()
    archive.join_copies(c, a, actor="alice")
    assert [x.id for x in archive.copies(a)] == [c]
    actions = [(e.action, e.actor) for e in archive.audit_log(b)]
    assert ("copies-split", "alice") in actions
    archive.reindex()
    archive.close()
    with Archive(settings) as reopened:
        reopened.reindex()
        assert [x.id for x in reopened.copies(a)] == [c]
        assert reopened.copies(b) == ()
        # a new reprint joins a's group, never b (b was split from it)
        [first] = _long_records(1)
        d = _add(reopened, reprint(first) + "\n\nOne more line of our own.", "again.md")
        assert {x.id for x in reopened.copies(a)} == {c, d}
        assert b not in {x.id for x in reopened.copies(d)}


def test_bad_decisions_are_clear_errors(reprinted):
    archive, a, _, _ = reprinted
    with pytest.raises(BadRequest):
        archive.join_copies(a, a, actor="alice")
    with pytest.raises(NotFound):
        archive.join_copies(a, 99999, actor="alice")


# --- the API -----------------------------------------------------------------------------------


def test_the_api_carries_groups_and_copies(reprinted):
    from starlette.testclient import TestClient

    from archive.web import create_app

    archive, a, b, _ = reprinted
    word = _paragraphs(_long_records(1)[0])[2].split()[3]
    with TestClient(create_app(archive)) as client:
        collapsed = client.get("/api/search", params={"q": f'"{word}"'}).json()
        every = client.get("/api/search", params={"q": f'"{word}"', "collapse": "false"}).json()
        bad = client.get("/api/search", params={"q": word, "collapse": "maybe"})
        document = client.get(f"/api/documents/{a}").json()
        with_q = client.get(f"/api/documents/{a}", params={"q": word}).json()
    grouped = [h for h in collapsed["hits"] if h["id"] in (a, b)]
    assert len(grouped) == 1 and grouped[0]["group_id"] == min(a, b)
    assert [c["id"] for c in grouped[0]["copies"]] == [({a, b} - {grouped[0]["id"]}).pop()]
    assert {a, b} <= {h["id"] for h in every["hits"]}
    assert every["total"] == collapsed["total"]
    assert bad.status_code == 400 and "collapse" in bad.json()["error"]
    assert [(c["id"], c["publication"]) for c in document["copies"]] == [(b, "Second Outlet")]
    assert [c["id"] for c in with_q["copies"]] == [b]


def _groups_and_lone_texts(archive: Archive) -> tuple[list[set[int]], set[int]]:
    """Six texts, each in three copies, and six texts alone, all matching "zanzibarian"."""
    groups: list[set[int]] = []
    alone: set[int] = set()
    for n, record in enumerate(_long_records(12)):
        text = original(record) + "\n\nzanzibarian"
        first = _add(archive, text, f"o{n}.md")
        if n < 6:
            again = _add(archive, reprint(record) + "\n\nzanzibarian", f"r{n}.md")
            third = _add(archive, reprint(record) + "\n\nOurs too. zanzibarian", f"s{n}.md")
            groups.append({first, again, third})
        else:
            alone.add(first)
    return groups, alone


def test_a_folded_page_scores_once_and_makes_only_the_hits_it_shows(archive):
    """Folding copies asks for the ranking and its look-ahead before the page is made: the
    query is scored once, and only the documents the folded page shows are fetched and given
    snippets (the page was made first and folded after: most of its hits were copies folded
    away, others made in their place, and each look-ahead scored the query again)."""
    groups, _ = _groups_and_lone_texts(archive)
    with parts(archive.settings) as (_, catalog, index):
        fetched: list[list[int]] = []

        def fetch(ids: list[int]) -> dict:
            fetched.append(list(ids))
            return catalog.get_many(ids)

        engine = SearchEngine(index, fetch)
        evaluator = engine.generation().evaluator
        for number in (1, 2):
            fetched.clear()
            before = evaluator.evaluations
            page = Finder(engine, catalog).search(
                SearchQuery(text="zanzibarian", per_page=4, page=number)
            )
            assert len(page.hits) == 4 and page.total == 24
            assert fetched == [[h.id for h in page.hits]]
            assert evaluator.evaluations - before == (1 if number == 1 else 0)
            for group in groups:
                assert len(group & {h.id for h in page.hits}) <= 1
        engine.close()


def test_collapsed_pages_show_each_group_once_across_pages(archive):
    """Six texts, each in three copies, and six texts alone, all matching one word: pages of
    four, collapsed, list twelve hits in all, every group once and every lone text."""
    groups, alone = _groups_and_lone_texts(archive)
    seen: list[Hit] = []
    for number in range(1, 6):
        page = archive.search(SearchQuery(text="zanzibarian", per_page=4, page=number))
        assert page.total == 24  # documents, not groups
        seen.extend(page.hits)
        for hit in page.hits:
            if hit.group_id is not None:
                assert len(hit.copies) == 2
    ids = [h.id for h in seen]
    assert len(ids) == len(set(ids)) == 12
    assert alone <= set(ids)
    assert all(len(group & set(ids)) == 1 for group in groups)
    every = archive.search(SearchQuery(text="zanzibarian", per_page=50, collapse=False))
    assert len(every.hits) == 24
    # a folded page's hits (made for the documents it shows) read as the same hits do on a
    # page of every document: score, snippets and their passages
    shown = {h.id: h for h in every.hits}
    for hit in seen:
        assert (hit.score, hit.snippets, hit.passages, hit.title) == (
            shown[hit.id].score, shown[hit.id].snippets, shown[hit.id].passages,
            shown[hit.id].title,
        )  # fmt: skip


def test_oai_pmh_relates_copies_with_dc_relation(reprinted):
    from lxml import etree
    from starlette.testclient import TestClient

    from archive.web import create_app
    from archive.web.oai_arguments import IDENTIFIER

    archive, a, b, c = reprinted
    dc = "{http://purl.org/dc/elements/1.1/}"
    with TestClient(create_app(archive)) as client:
        listed = client.get("/oai", params={"verb": "ListRecords", "metadataPrefix": "oai_dc"})
        one = client.get(
            "/oai",
            params={
                "verb": "GetRecord",
                "metadataPrefix": "oai_dc",
                "identifier": f"{IDENTIFIER}{a}",
            },
        )
    relations = {}
    for record in etree.fromstring(listed.content).iter("{*}record"):
        identifier = record.find(".//{*}header/{*}identifier").text
        relations[int(identifier.rsplit(":", 1)[-1])] = [
            r.text.rsplit("/", 1)[-1] for r in record.iter(f"{dc}relation")
        ]
    assert relations == {a: [str(b)], b: [str(a)], c: []}
    got = [r.text for r in etree.fromstring(one.content).iter(f"{dc}relation")]
    assert got == [f"http://testserver/documents/{b}"]


def test_only_an_archivist_may_split_or_join(reprinted):
    from starlette.testclient import TestClient

    from archive.web import create_app

    archive, a, b, _ = reprinted
    with TestClient(create_app(archive), follow_redirects=False) as client:
        r = client.post(f"/documents/{a}/copies", data={"action": "split", "other": str(b)})
    assert r.status_code in (302, 303, 401, 403)
    assert "/login" in r.headers.get("location", "/login")
    assert [c.id for c in archive.copies(a)] == [b]  # nothing changed
    assert not [e for e in archive.audit_log(a) if e.action.startswith("copies-")]
