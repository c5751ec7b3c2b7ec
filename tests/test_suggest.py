"""Autocomplete and "did you mean", from the archive's own vocabulary."""

from __future__ import annotations

import time

from archive.models import Overrides, SearchQuery
from archive.search.analysis import edit_distance
from archive.search.suggest import Vocabulary


def vocabulary() -> Vocabulary:
    return Vocabulary(
        names={"Volodymyr Zelensky": 12, "Zé Ramalho": 2, "Yevgeny Prigozhin": 5},
        terms={"zelensky": 7, "zero": 30, "zeal": 2, "bakhmut": 9, "bakery": 1, "ramalho": 2},
        titles=[(7, "The battle for Bakhmut"), (9, "Bakhmut: a giant graveyard"), (3, "Zero hour")],
    )


def test_names_complete_from_any_of_their_words_and_fold_accents():
    got = vocabulary().complete("zel")
    assert got[0].text == "Volodymyr Zelensky" and got[0].kind == "name" and got[0].count == 12
    assert [s.text for s in vocabulary().complete("ze") if s.kind == "name"][:2] == [
        "Volodymyr Zelensky",
        "Zé Ramalho",
    ]
    assert "Zé Ramalho" in {s.text for s in vocabulary().complete("ZE RAM")}
    assert vocabulary().complete("vOLODYMYR z")[0].text == "Volodymyr Zelensky"


def test_terms_complete_the_last_word_and_frequent_ones_come_first():
    terms = [s for s in vocabulary().complete("ze") if s.kind == "term"]
    assert [s.text for s in terms] == ["zero", "zelensky", "zeal"]
    assert [s.text for s in vocabulary().complete("war in bak") if s.kind == "term"] == [
        "war in bakhmut",
        "war in bakery",
    ]


def test_titles_match_at_any_word_and_carry_their_document():
    titles = [s for s in vocabulary().complete("bakh") if s.kind == "title"]
    # matched from the first word first, then shorter
    assert [(s.text, s.id) for s in titles] == [
        ("Bakhmut: a giant graveyard", 9),
        ("The battle for Bakhmut", 7),
    ]
    assert vocabulary().complete("b") == [] and vocabulary().complete(" ") == []
    assert len(vocabulary().complete("z", 8)) == 0
    assert len(vocabulary().complete("ze", 3)) == 3


def test_archive_suggests_names_words_and_titles_fast(sample_archive):
    got = sample_archive.suggest("partisan")
    assert any(s.kind == "title" and s.id == 1 for s in got), got
    assert any(s.text.lower() == "bakhmut" for s in sample_archive.suggest("bakh"))
    assert any(s.kind == "name" for s in sample_archive.suggest("Володимир"))
    sample_archive.suggest("wa")  # builds the vocabulary once per searcher
    words = ["partisans", "winter", "offensive", "Zelensky", "президента", "Bakhmut", "report"]
    times = []
    for word in words * 3:
        for n in range(2, len(word) + 1):
            start = time.perf_counter()
            sample_archive.suggest(word[:n])
            times.append(time.perf_counter() - start)
    times.sort()
    assert times[int(0.95 * len(times))] < 0.02


def test_the_vocabulary_follows_the_index(archive):
    archive.add(b"Nothing here.", "a.txt", Overrides(title="Quokka sightings"))
    assert "Quokka sightings" in {s.text for s in archive.suggest("quok")}
    archive.add(b"Another one.", "b.txt", Overrides(title="Quokkas of Rottnest"))
    assert {s.text for s in archive.suggest("quok")} >= {"Quokka sightings", "Quokkas of Rottnest"}


def test_did_you_mean_corrects_word_by_word_keeping_case(sample_archive):
    page = sample_archive.search(SearchQuery(text="Partisnas Bkahmut"))
    assert page.total == 0
    assert page.suggestion == "Partisans Bakhmut"
    assert sample_archive.search(SearchQuery(text=page.suggestion)).total > 0
    assert sample_archive.search(SearchQuery(text="partisns")).suggestion == "partisans"
    # a word that is right stays as typed
    assert sample_archive.search(SearchQuery(text="partisans Bakhmot")).suggestion == (
        "partisans Bakhmut"
    )
    assert sample_archive.search(SearchQuery(text="zzqqxx Bakhmot")).suggestion is None


def _articles(archive, word: str, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        text = f"Article {n} on the {word} and its budget, number {n}.".encode()
        archive.add(text, f"{word}-{n}.txt", Overrides(title=f"The {word} report {n}"))


def test_a_rare_spelling_with_few_hits_gets_the_frequent_one(archive):
    # short words: the engine's fuzzy matching leaves them alone (longer rare words already
    # find their common spelling, and then have hits enough not to need a suggestion)
    _articles(archive, "quay", 8)
    _articles(archive, "quey", 1, start=100)  # a typo that made it into one document
    page = archive.search(SearchQuery(text="quey budget"))
    assert page.total == 1
    assert page.suggestion == "quay budget"
    # no suggestion for the right spelling, nor when the other is not much more frequent
    assert archive.search(SearchQuery(text="quay")).suggestion is None
    _articles(archive, "veel", 2, start=200)
    _articles(archive, "veal", 3, start=300)
    assert archive.search(SearchQuery(text="veel")).total == 2
    assert archive.search(SearchQuery(text="veel")).suggestion is None


def test_distance_counts_a_swap_as_one_edit():
    assert edit_distance("bakhmut", "bkahmut") == 1
    assert edit_distance("kyiv", "kyiv") == 0
    assert edit_distance("prigozin", "prigozhin") == 1
    assert edit_distance("abc", "") == 3


def test_a_slow_vocabulary_is_kept_after_additions_never_after_deletions(archive, monkeypatch):
    # as if building it took long (a large archive): kept while documents are only added
    from archive.search import engine

    monkeypatch.setattr(engine, "VOCABULARY_REBUILD_SECONDS", -1.0)
    first = archive.add(b"Nothing here.", "a.txt", Overrides(title="Quokka sightings"))
    assert "Quokka sightings" in {s.text for s in archive.suggest("quok")}
    archive.add(b"Another one.", "b.txt", Overrides(title="Quokkas of Rottnest"))
    offered = {s.text for s in archive.suggest("quok")}
    assert "Quokka sightings" in offered and "Quokkas of Rottnest" not in offered  # kept
    archive.trash(first.id, actor="test")
    # a deletion: built again, and the trashed document's title is gone
    offered = {s.text for s in archive.suggest("quok")}
    assert "Quokkas of Rottnest" in offered and "Quokka sightings" not in offered
    monkeypatch.setattr(engine, "VOCABULARY_SECONDS", 0.0)  # too old to keep
    archive.add(b"A third.", "c.txt", Overrides(title="Quokka census"))
    assert "Quokka census" in {s.text for s in archive.suggest("quok")}
