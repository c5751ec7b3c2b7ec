"""The names facet across an archive: each name once, under the spelling most documents write,
found by every spelling, inflection and script; junk that is capitalised is no name. On a real
index, and over HTTP from a real server for the facet's filter box and the query's typeahead."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from archive import Archive, Settings
from archive.models import Overrides, SearchQuery
from archive.search.names import extract
from archive.search.values import new_table
from archive.search.variants import load
from archive.web import create_app
from tests.live_server import serving

# (id, language, authors, body)
DOCS = [
    ("uk1", "uk", ["Денис Шмигаль"],
     "Премʼєр-міністр Денис Шмигаль провів засідання уряду. Денис Шмигаль наголосив на "
     "допомозі. Переговори з Росією не відбулися."),
    ("uk2", "uk", ["Денис Шмигаль"],
     "Уряд Дениса Шмигаля ухвалив постанову. Прем'єр-міністр Денис Шмигаль заявив про "
     "санкції проти Росії."),
    ("uk3", "uk", [],
     "Під час Другої світової війни місто постраждало. Делегація працювала в Києві, "
     "потім у Києві знову. Сума 100 UAH. Прем’єр-міністр Денис Шмигаль подякував."),
    ("en1", "en", ["Denys Shmyhal"],
     "Prime Minister Denys Shmyhal met President Biden. The CRS Report R123 and Figure 2 "
     "show FY 2023 spending. Figure 3 shows more, and President Biden agreed."),
    ("en2", "en", [],
     "Kyiv hosted the talks. Russia was not invited, Kyiv said, and Kyiv insisted."),
]  # fmt: skip


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    root = tmp_path_factory.mktemp("names_facet")
    lines = [
        json.dumps(
            {"id": i, "language": lang, "title": f"Doc {i}", "authors": authors, "body": body}
        )
        for i, lang, authors, body in DOCS
    ]
    (root / "r.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Archive(Settings(root=root / "archive")) as archive:
        archive.ingest_paths([root / "r.jsonl"])
        yield archive


def names(archive: Archive, **filters: tuple[str, ...]) -> dict[str, int]:
    page = archive.search(SearchQuery(text="", filters=filters, per_page=50))
    return {v.value: v.count for v in page.facets["names"]}


def test_no_titles_labels_units_currencies_captions_or_adjectives() -> None:
    found = extract([body for _, _, _, body in DOCS], "uk", load())
    for junk in ("President", "CRS Report", "CRS", "Report", "FY", "Figure", "UAH", "Другої",
                 "Друга", "Прем", "Премʼєр", "R", "Уряд"):  # fmt: skip
        assert junk not in found, (junk, found)


def test_inflected_forms_join_their_name() -> None:
    variants = load()
    assert extract(["Уряд Дениса Шмигаля. Міністр Денис Шмигаль."], "uk", variants) == [
        "Денис Шмигаль"
    ]
    assert extract(["Переговори з Росією. Удар по Росії."], "uk", variants) == ["Russia"]
    assert extract(["Засідання Верховної Ради. Рішення Верховної Ради."], "uk", variants) == [
        "Верховна Рада"
    ]
    # a sentence's common first word is no part of a name; a name's words agree in case
    assert extract(["Пропоную Російській Федерації мир."], "uk", variants) == [
        "Російська Федерація"
    ]
    found = extract(["Зустріч з канцлером Німеччини Олафом Шольцом."], "uk", variants)
    assert sorted(found) == ["Німеччина", "Олаф Шольц"]
    # Russian: a title, then a name ending in an adjective is none (its noun is lowercase)
    found = extract(["Председатель Правительства Республики Алтай приехал в Усть-Канский район."],
                    "ru", variants)  # fmt: skip
    assert found == ["Республика Алтай"]


def test_each_name_once_across_scripts_under_its_most_written_spelling(archive) -> None:
    facet = names(archive)
    # three Ukrainian documents write Денис Шмигаль (in any case), one English one Denys Shmyhal
    assert facet.get("Денис Шмигаль") == 4
    assert "Denys Shmyhal" not in facet and "Дениса Шмигаля" not in facet
    assert facet.get("Russia") == 3  # Росією, Росії, Russia
    assert facet.get("Kyiv") == 2  # Києві, Kyiv
    for junk in ("President", "CRS Report", "FY", "Figure", "UAH", "Другої", "Прем"):
        assert junk not in facet


def test_any_spelling_of_a_name_selects_all_its_documents(archive) -> None:
    ids = {"uk1", "uk2", "uk3", "en1"}
    for spelling in ("Денис Шмигаль", "Denys Shmyhal"):
        page = archive.search(SearchQuery(text="", filters={"names": (spelling,)}, per_page=50))
        assert {archive.document(h.id).source_id for h in page.hits} == ids, spelling
        # ...and shows it ticked under the spelling the facet shows, once
        ticked = [(v.value, v.count) for v in page.facets["names"] if v.selected]
        assert ticked == [("Денис Шмигаль", 4)], spelling


def test_filter_boxes_match_across_scripts_and_inflections(archive) -> None:
    query = SearchQuery(text="")
    authors = archive.facet_values(query, "authors", "Shmyhal", 1, 10)
    assert "Денис Шмигаль" in [v.value for v in authors.values]
    assert [v.value for v in archive.facet_values(query, "names", "Шмигаля", 1, 10).values] == [
        "Денис Шмигаль"
    ]
    assert "Russia" in [
        v.value for v in archive.facet_values(query, "names", "Росією", 1, 10).values
    ]
    assert archive.facet_values(query, "names", "Zzyzx", 1, 10).values == ()


def test_over_http_the_filter_box_and_typeahead_cross_scripts(archive) -> None:
    with serving(create_app(archive)) as url, httpx.Client(base_url=url, timeout=30) as client:
        answer = client.get("/api/facets/authors", params={"facet_match": "Shmyhal"})
        assert answer.status_code == 200
        assert "Денис Шмигаль" in [v["value"] for v in answer.json()["values"]]
        answer = client.get("/api/facets/names", params={"facet_match": "Шмигаля"})
        assert [v["value"] for v in answer.json()["values"]] == ["Денис Шмигаль"]
        # the lemma is offered, with its other spellings, not only inflected forms
        offered = [
            s["text"] for s in client.get("/api/suggest", params={"q": "Киї"}).json()["suggestions"]
        ]
        assert "Київ" in offered, offered
        # ...and when typed in full, the name is offered too (with its documents)
        full = client.get("/api/suggest", params={"q": "Київ"}).json()["suggestions"]
        assert any(s["text"] == "Київ" and s["kind"] == "name" for s in full), full
        offered = [
            s["text"]
            for s in client.get("/api/suggest", params={"q": "Shmy"}).json()["suggestions"]
        ]
        assert "Denys Shmyhal" in offered, offered
        # hostile text in the box is an answer, not a server error (too long: a 400)
        for match, status in (
            ("<script>", 200),
            ("'" * 50, 200),
            ("\u02bc", 200),
            ("Ш" * 500, 400),
        ):
            answer = client.get("/api/facets/names", params={"facet_match": match})
            assert answer.status_code == status, match


def test_a_coarse_key_bridges_scripts_and_romanisations_not_distinct_names() -> None:
    table = new_table("names")
    values = ["Borodianka", "Borodyanka", "Бородянка", "Hanoi", "Khan", "Ghani", "Barr", "Barry"]
    numbers = dict(zip(values, table.numbers(values).tolist(), strict=True))
    assert numbers["Borodianka"] == numbers["Borodyanka"] == numbers["Бородянка"]
    assert len({numbers[v] for v in ("Hanoi", "Khan", "Ghani")}) == 3
    assert numbers["Barr"] != numbers["Barry"]
    written = {"Borodianka": 1, "Borodyanka": 26, "Бородянка": 26}
    table.show(lambda v: written.get(v, 0))
    assert table.values[numbers["Бородянка"]] == "Borodyanka"  # ties: code point order
    assert set(table.aliases("Бородянка")) == {"Borodianka", "Borodyanka", "Бородянка"}


def test_spelling_counts_follow_new_and_retired_segments(settings) -> None:
    """Which spelling a name is shown under is counted once per segment and carried from one
    generation to the next (archive.search.facets.SpellingTally): after every commit, and after
    a reindex retires every segment, the carried counts equal a count over the segments."""
    from archive.search.engine import SearchEngine
    from tests.conftest import parts

    def check(engine: SearchEngine) -> str:
        engine.changed()
        facets = engine.generation().facets
        table = facets.tables["names"]
        assert table.spellings, "two spellings of one name"
        for spelling in {v for vs in table.spellings.values() for v in vs}:
            counted = 0
            for part in facets.parts:
                values = part.values("names")
                if spelling in values:
                    counted += int(part.value_counts("names")[values.index(spelling)])
            assert table.tally[spelling] == counted, spelling
        return table.shown("Denys Shmyhal")

    by_id = {d[0]: d for d in DOCS}
    with Archive(settings) as archive, parts(settings) as (_, catalog, index):
        engine = SearchEngine(index, catalog.get_many)

        def add(source_id: str) -> None:
            _, language, authors, body = by_id[source_id]
            meta = Overrides(language=language, authors=tuple(authors), title=source_id)
            archive.add(body.encode(), f"{source_id}.txt", meta)

        add("en1")
        add("uk1")
        assert check(engine) == "Denys Shmyhal"  # one each: code point order
        add("uk2")
        add("uk3")
        assert check(engine) == "Денис Шмигаль"  # three Ukrainian documents write it
        archive.reindex()
        assert check(engine) == "Денис Шмигаль"
        engine.close()
