"""Names in several spellings, scripts and slips; the names facet; long pasted queries."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import Archive, Settings
from archive.errors import BadQuery
from archive.models import SearchQuery
from archive.search.analysis import edit_distance
from archive.search.names import extract
from archive.search.variants import load, name_key
from tests.conftest import sample_path

RECORDS = [
    ("kyiv", "en", "Missiles hit Kyiv overnight", "Missiles hit Kyiv overnight, officials said."),
    ("kiev", "en", "Missiles hit Kiev overnight", "Missiles hit Kiev overnight, officials said."),
    ("uk", "uk", "Ракети над Києвом", "Ракети влучили в Київ вночі, повідомила адміністрація."),
    ("vuh", "uk", "Бої під Вугледаром", "Бої під Вугледаром тривають третій тиждень."),
    ("ru", "ru", "Зеленский в Бахмуте", "Президент Зеленский посетил позиции под Бахмутом."),
    ("slip", "en", "Front report", "Shelling near Donestk went on."),
] + [
    (f"don{n}", "en", f"Shelling in Donetsk {n}", f"Shelling in Donetsk continued, report {n}.")
    for n in range(4)
]


def ids(archive: Archive, text: str) -> list[str]:
    page = archive.search(SearchQuery(text=text, per_page=50))
    return [archive.document(h.id).source_id or "sample" for h in page.hits]


@pytest.fixture(scope="module")
def names_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    root = tmp_path_factory.mktemp("names")
    jsonl = root / "records.jsonl"
    lines = [
        json.dumps({"id": i, "language": lang, "title": title, "body": body}, ensure_ascii=False)
        for i, lang, title, body in RECORDS
    ]
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Archive(Settings(root=root / "archive")) as archive:
        report = archive.ingest_paths([sample_path(), jsonl])
        assert not report.failed, report.failed
        yield archive


def test_name_keys_meet_across_scripts_and_endings() -> None:
    assert name_key("Bakhmut") == name_key("Бахмут") == name_key("Бахмуте")
    assert name_key("Zelenskyy") == name_key("Зеленського") == name_key("Zelensky")
    assert name_key("Donetsk") == name_key("Донецьк") == name_key("Донецка")
    assert name_key("Prigozhin") == name_key("Пригожина")
    assert name_key("Kyiv") != name_key("Kharkiv")
    assert edit_distance("donestk", "donetsk") == 1 and edit_distance("kyiv", "kiev") == 2


def test_the_sample_is_found_by_kyiv_zelensky_in_cyrillic_and_donetsk(names_archive) -> None:
    # the sample writes "Kiev" (never "Kyiv"), "Zelensky" (never in Cyrillic), "Donetsk" once
    # and "Donestk" once: variants and scripts bridge the first two
    text = sample_path().read_text(encoding="utf-8")
    assert "Kyiv" not in text and "Kiev" in text and "Зеленський" not in text
    assert "Zelensky" in text and "Donetsk" in text and "Donestk" in text
    for query in ("Kyiv", "Зеленський", "Donetsk"):
        assert "sample" in ids(names_archive, query), query


def test_variants_and_scripts_find_each_other_and_exact_ranks_first(names_archive) -> None:
    found = ids(names_archive, "Kyiv")
    assert {"kyiv", "kiev", "uk", "sample"} <= set(found)
    assert found.index("kyiv") < found.index("kiev")  # the exact spelling first
    assert ids(names_archive, "Kiev").index("kiev") < ids(names_archive, "Kiev").index("kyiv")
    assert "ru" in ids(names_archive, "Zelenskyy")  # Зеленский, through the variants file
    assert "ru" in ids(names_archive, "Bakhmut")  # Бахмутом, the variants file and the alias
    # a name the variants file does not know meets across scripts by its key alone
    assert ids(names_archive, "Vuhledar") == ["vuh"]


def test_variant_matches_are_highlighted(names_archive) -> None:
    page = names_archive.search(SearchQuery(text="Kyiv", per_page=50))
    snippets = {names_archive.document(h.id).source_id: " ".join(h.snippets) for h in page.hits}
    assert "<mark>Kyiv</mark>" in snippets["kyiv"]
    assert "<mark>Kiev</mark>" in snippets["kiev"]
    assert "<mark>Київ</mark>" in snippets["uk"]
    vuh = names_archive.search(SearchQuery(text="Vuhledar")).hits[0]
    assert "<mark>Вугледаром</mark>" in " ".join(vuh.snippets)


def test_fuzzy_matching_reaches_rare_slips_but_not_common_words(names_archive) -> None:
    # "Donestk" stands in two documents here (the sample and "slip"), "Donetsk" in five: a word
    # the archive holds twice keeps its own matches (issue 13: widening words found in two or
    # three documents matched "awarded" for "awardees" at 20k). A slip written once beside a
    # word ten times as frequent finds that word: test_search_honesty.py, on the demo
    assert set(ids(names_archive, "Donestk")) == {"sample", "slip"}
    # "Donetsk" is common here (five documents): it is not widened to the misspelling
    assert set(ids(names_archive, "Donetsk")) == {"don0", "don1", "don2", "don3", "sample"}
    # asked for, the near spellings come: the exact one first
    slipped = ids(names_archive, "Donestk~")
    assert {"don0", "don1", "don2", "don3", "sample", "slip"} == set(slipped)
    assert slipped.index("slip") < slipped.index("don0")
    assert ids(names_archive, "qqzzxxvv") == []


def test_names_facet_on_the_sample(names_archive) -> None:
    page = names_archive.search(SearchQuery(text="Partisans", per_page=50))
    assert [h.id for h in page.hits] == [1]
    names = [v.value for v in page.facets["names"]]
    for expected in ("Putin", "Bakhmut", "Wagner", "Prigozhin", "NATO", "Xi Jinping"):
        assert expected in names, (expected, names)
    assert len(names) <= 30
    assert "Partisans" not in names and "August" not in names  # common words, months
    # selecting a name filters by it, merged across scripts: Бахмутом is Bakhmut
    bakhmut = names_archive.search(SearchQuery(filters={"names": ("Bakhmut",)}, per_page=50))
    assert {names_archive.document(h.id).source_id for h in bakhmut.hits} == {None, "ru"}


def test_long_pasted_queries_rank_partial_matches_and_never_raise(names_archive) -> None:
    # one word of a pasted sentence is absent everywhere: the rest still finds the sample
    pasted = 'Wagner mercenaries suffered "20,000 casualties in Bakhmut (Prigozhin said: zzqx'
    assert ids(names_archive, pasted)[0] == "sample"
    # a short query keeps AND's precision and its syntax errors
    assert ids(names_archive, "Bakhmut zzqx") == []
    with pytest.raises(BadQuery):
        names_archive.search(SearchQuery(text='"unclosed'))


def test_editing_the_variants_file_rebuilds_the_index(tmp_path: Path) -> None:
    variants = tmp_path / "variants.txt"
    variants.write_text("Kyiv | Kiev\n", encoding="utf-8")
    settings = Settings(root=tmp_path / "archive", variants_path=variants)
    body = "Бої під Вугледаром. Troops shelled Ugledar again and again."
    record = {"id": "v", "language": "en", "title": "Front", "body": body}
    (tmp_path / "r.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n")
    with Archive(settings) as archive:
        archive.ingest_paths([tmp_path / "r.jsonl"])
        names = [v.value for v in archive.search(SearchQuery()).facets["names"]]
        assert "Ugledar" in names and "Вугледаром" in names and "Vuhledar" not in names
    variants.write_text("Kyiv | Kiev\nVuhledar | Ugledar | Вугледар\n", encoding="utf-8")
    with Archive(settings) as archive:
        assert archive.index_version.endswith(load(variants).digest)
        names = [v.value for v in archive.search(SearchQuery()).facets["names"]]
        assert "Vuhledar" in names and "Ugledar" not in names  # rebuilt with the new file
        assert "Вугледаром" not in names


def test_a_query_gets_only_a_few_fuzzy_lookups(archive):
    """Slip lookups scan the lexicon in Python (tens of ms each): a query of many rare words
    gets FUZZY_WORDS_PER_QUERY of them, so it cannot hold the searcher for seconds."""
    from archive.models import SearchQuery
    from archive.search.nearby import FUZZY_WORDS_PER_QUERY, SLIP_MIN_DF, SLIP_RATIO

    copies = max(SLIP_MIN_DF, SLIP_RATIO)  # a slip's target is that much more frequent

    rare = "brelvanik crostemal dravinoku frelomast grovanite hestrabul jolvimark klostaver".split()
    for n, word in enumerate(rare):
        archive.add(f"Notes on {word} today.".encode(), f"rare-{n}.txt")
        for copy in range(copies):  # the name one letter away, as written: a slip's target
            name = word[:-1].capitalize() + "z"
            archive.add(f"Notes on {name}, copy {copy}.".encode(), f"common-{n}-{copy}.txt")
    page = archive.search(SearchQuery(text=" OR ".join(rare), per_page=100))
    assert page.total == len(rare) + copies * FUZZY_WORDS_PER_QUERY


def test_runs_at_sentence_starts_and_after_skipped_characters() -> None:
    variants = load()
    # a common word capitalised at a sentence start is not a name, even after "1) " or quotes;
    # mid-sentence after a parenthesis or digits the run stands as written
    blocks = [
        "After talks in Geneva, Lavrov left. Talks resumed.",
        '1) Talks with Lavrov. "Talks ended," he said (Geneva 2) Lavrov said.',
        "talks went on",
    ]
    assert extract(blocks, "en", variants) == ["Lavrov", "Geneva"]
    # the first word of a block starts a sentence; a single word only seen there is no name
    assert extract(["Zorvania was shelled again"], "en", variants) == []
    assert extract(["Shelling of Zorvania again"], "en", variants) == ["Zorvania"]


def test_repeated_mentions_count_once_each_whatever_their_context() -> None:
    variants = load()
    text = " ".join(["Wagner said.", "Then Wagner left.", "(Wagner)", "Bakhmut fell; Wagner won."])
    assert extract([text, "Wagner again and Bakhmut"], "en", variants) == ["Wagner", "Bakhmut"]


def test_blocks_of_digits_quotes_and_capitals_take_linear_time() -> None:
    """A match never starts inside skipped characters: hostile text is not quadratic."""
    started = time.perf_counter()
    for text in ("1 " * 100_000, '("' * 100_000, ". " * 100_000, "Ab " * 60_000):
        extract([text], "en", load())
    assert time.perf_counter() - started < 5
