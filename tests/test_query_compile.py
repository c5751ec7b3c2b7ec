"""The compiler's lookups against Whoosh's and brute force: near terms, matched documents."""

from __future__ import annotations

import numpy as np
import pytest

from archive.models import Overrides, SearchQuery
from archive.search.analysis import edit_distance
from archive.search.compile import ALL
from archive.search.engine import SearchEngine
from archive.search.nearby import fuzzy_allowance
from archive.search.syntax import parse

from .conftest import parts

TEXTS = [
    "Shelling near Donetsk went on; the Donetsk front held.",
    "Reports from Donestk, a slip of the pen, and from Donetsk again.",
    "New York and the new mayor of York: subjects of the day.",
    "The subject was settled; a submitted subplot, a subpart, a sublet.",
    "A subactivity of the committee met in New York.",
    "Trump and Donald Trump, said the New York paper; Trump again.",
    "Kyiv and Kiev: the same city in two spellings.",
    "Nothing here but words about weather and rain in Kyiv.",
]


@pytest.fixture
def segmented(archive):
    """An archive whose index has several segments (one commit per document), one deleted."""
    dates = ["2015-03-02", "2016", "2016-07", None, "2019-12-31", "2020-01-01", "2023-05-05", None]
    docs = [
        archive.add(text.encode(), f"doc-{n}.txt", Overrides(date=date))
        for n, (text, date) in enumerate(zip(TEXTS, dates, strict=True))
    ]
    archive.trash(docs[-1].id, actor="test")
    return archive


@pytest.fixture
def engine(segmented):
    """A search engine of its own over the archive's index (the Archive keeps its parts)."""
    with parts(segmented.settings) as (_, catalog, index):
        opened = SearchEngine(index, catalog.get_many)
        yield opened
        opened.close()


def test_the_index_has_several_segments(engine) -> None:
    reader = engine.generation().reader
    assert len(reader.leaf_readers()) > 1  # else Lexicon.near's merge is untested


@pytest.mark.parametrize("maxdist", [1, 2])
def test_near_terms_are_whoosh_terms_within_in_lexicon_order(engine, maxdist: int) -> None:
    generation = engine.generation()
    reader = generation.reader
    terms = [t.decode() for t in reader.lexicon("body")]
    for text in ["en:donestk", "en:subact", "en:subject", "en:york", "en:kiev", "en:zzzz"]:
        theirs = sorted(
            t.decode() if isinstance(t, bytes) else t
            for t in reader.terms_within("body", text, maxdist, prefix=4)
        )
        brute = [t for t in terms if t[:4] == text[:4] and edit_distance(t, text) <= maxdist]
        near = generation.lexicon.near
        assert list(near("body", text, maxdist, 4)) == theirs == brute, text
        assert near("body", text, maxdist, 4) is near("body", text, maxdist, 4)  # remembered


def test_the_fuzzy_allowance_is_the_stems_not_the_words() -> None:
    assert [fuzzy_allowance(s) for s in ("kyiv", "subact", "donetsk", "subactivity")] == [
        0, 1, 1, 2,
    ]  # fmt: skip


ENGLISH = "The members of the board agreed that they would return to it later in the week."


def test_a_rare_word_that_exists_is_not_widened_into_near_stems(archive) -> None:
    # "subactivity" stems to "subact", two edits from "subject"; "felder" is one edit from the
    # stem "feder" (federal: 6,555 documents at 20k): a word found in the archive keeps its
    # own documents, and is widened only into a word as the archive writes it (test_slips.py)
    archive.add(f"A subactivity of the committee met. {ENGLISH}".encode(), "rare.txt")
    archive.add(f"Songwriters: Don Felder and Don Henley. {ENGLISH}".encode(), "felder.txt")
    for n in range(6):
        archive.add(f"The subject came up again, time {n}. {ENGLISH}".encode(), f"subject-{n}.txt")
        archive.add(f"A federal budget, number {n}. {ENGLISH}".encode(), f"federal-{n}.txt")
        archive.add(f"A subacto, one of them, number {n}. {ENGLISH}".encode(), f"subacto-{n}.txt")
    assert archive.search(SearchQuery(text="subactivity")).total == 1
    assert archive.search(SearchQuery(text="felder")).total == 1


QUERIES = [
    "Donetsk",
    "Donestk",
    "Trump",
    "Donald Trump",
    '"new york"',
    "york OR kyiv",
    "york -mayor",
    "NOT york",
    "title:york",
    "sub*",
    "the",
    "Shelling near Donetsk went on the front held again and again",
    "date:[2000 TO 2030]",
    "date:[2016 TO 2019]",
    "date:[2016-07 TO 2020-01-01] OR trump",
    "date:[2019-12-31 TO 2019-12-31]",
    "york date:[2015 TO 2016]",
    "weather",
]


def whoosh_scores(searcher, query) -> dict[int, float]:  # noqa: ANN001 - Whoosh objects
    """Every match's score as Whoosh's own matchers give it, walked one document at a time
    (its top-k collector skips blocks and may miss both documents and parts of a score)."""
    scores = {}
    context = searcher.context(needs_current=False)
    for subsearcher, offset in searcher.leaf_searchers():
        matcher = query.matcher(subsearcher, context)
        while matcher.is_active():
            scores[matcher.id() + offset] = matcher.score()
            matcher.next()
    return scores


def _parts_named(query, name: str) -> bool:  # noqa: ANN001 - a Whoosh query
    return type(query).__name__ == name or any(_parts_named(q, name) for q in query.children())


@pytest.mark.parametrize("text", QUERIES)
def test_matches_and_scores_are_what_whoosh_gives(segmented, engine, text: str) -> None:
    generation = engine.generation()
    searcher = generation.searcher
    compiled = generation.compile(parse(text)).query
    expected = set(searcher.docs_for_query(compiled))
    assert expected or "date" not in text  # the date ranges each match some documents
    scored = generation.scored(compiled)
    assert set(np.flatnonzero(scored.mask).tolist()) == expected
    assert segmented.search(SearchQuery(text=text)).total == len(expected)
    # a stop word's ConstantScoreQuery(..., 0.0) adds nothing here, as compile.py means it
    # to; Whoosh's ListMatcher takes the falsy 0.0 for "unset" and adds 1.0
    if compiled is not ALL and not _parts_named(compiled, "ConstantScoreQuery"):
        theirs = whoosh_scores(searcher, compiled)
        for doc in expected:
            assert scored.score[doc] == pytest.approx(theirs[doc], rel=1e-12), (text, doc)
        # the page holds the best scores of all the matches (Whoosh's collector could miss some)
        page = segmented.search(SearchQuery(text=text, per_page=5))
        best = sorted(theirs.values(), reverse=True)[:5]
        assert [h.score for h in page.hits] == [round(v, 4) for v in best], text


@pytest.mark.parametrize("text", ["Trump", "Donald Trump", "Donetsk", "york OR kyiv", "Kyiv"])
def test_a_page_ranked_with_bounds_is_the_exactly_scored_page(segmented, engine, text) -> None:
    # phrases that add no document (variant spellings) are walked only where they could
    # change the page: every page must be the one the exact scores give
    from archive.search.scoring import _has_extra_phrases, top

    generation = engine.generation()
    compiled = generation.compile(parse(text)).query
    if text == "Trump":  # the variant "Donald Trump" is a phrase beside the word: bounded
        assert _has_extra_phrases(compiled)
    exact = generation.scored(compiled)
    matched = exact.mask
    for start, stop in [(0, 1), (0, 2), (1, 3), (0, 5), (2, 8), (0, 50)]:
        ranked = generation.evaluator.ranked(compiled, matched, start, stop)
        assert ranked == top(exact.score, matched, start, stop, generation.facets.ids), (
            text,
            start,
            stop,
        )


@pytest.mark.parametrize("text", ['"new york"', "Donald Trump", '"york mayor"~3'])
def test_a_phrase_kept_from_an_earlier_search_scores_as_whoosh_does(
    segmented, engine, text
) -> None:
    # which documents hold a phrase is walked once per segment and kept (TermCache): asked
    # again, in this generation or the next, the matches and scores are still Whoosh's
    for _ in range(2):
        generation = engine.generation()
        compiled = generation.compile(parse(text)).query
        theirs = whoosh_scores(generation.searcher, compiled)
        scored = generation.scored(compiled)
        assert set(np.flatnonzero(scored.mask).tolist()) == set(theirs)
        for doc, score in theirs.items():
            assert scored.score[doc] == pytest.approx(score, rel=1e-12), (text, doc)
    kept = engine.generation().evaluator.cache._phrases  # noqa: SLF001 - what this test is about
    # keys: (segment, field, the phrase's indexed words, slop); words carry their language
    assert any(key[2] == ("en:new", "en:york") for key in kept) or text != '"new york"'


def test_kept_postings_are_compact_only_where_exact() -> None:
    # a term's postings are kept as int32 numbers and float32 frequencies (half the memory);
    # a frequency float32 would round stays float64, so scores stay Whoosh's to the last bit
    from archive.search.scoring import TermCache, _compact

    ids, weights = _compact(np.array([0, 5, 9], dtype=np.int64), np.array([1.0, 3.0, 250.0]))
    assert ids.dtype == np.int32 and weights.dtype == np.float32
    assert TermCache.frequencies(weights).tolist() == [1.0, 3.0, 250.0]
    _, boosted = _compact(np.array([1], dtype=np.int64), np.array([0.1]))
    assert boosted.dtype == np.float64 and boosted[0] == 0.1


def test_the_term_cache_keeps_no_entry_of_a_rounds_small_segment(engine, monkeypatch) -> None:
    # under writes a segment comes with every index round and goes with the next merges: its
    # terms' postings are read each time (microseconds), not kept (the cache filled with them)
    from archive.search import scoring
    from archive.search.postings import posting_arrays

    (segment, leaf), *_ = [
        (leaf.segment().segment_id(), leaf) for leaf, _ in engine.generation().reader.leaf_readers()
    ]
    terms = [(f, raw.decode()) for f, raw in leaf.all_terms() if f == "body"]
    absent = [("body", "en:qqxnowhere"), ("title", "en:qqxnowhere")]
    assert terms and leaf.doc_count_all() <= scoring.UNKEPT_SEGMENT_DOCS
    for unkept, kept in ((scoring.UNKEPT_SEGMENT_DOCS, 0), (0, len(terms) + len(absent))):
        monkeypatch.setattr(scoring, "UNKEPT_SEGMENT_DOCS", unkept)
        cache = scoring.TermCache()
        for fieldname, text in terms + absent:
            ids, weights = cache.postings(segment, leaf, fieldname, text)
            theirs, their_weights = posting_arrays(leaf, fieldname, text)
            assert ids.tolist() == theirs.tolist() and weights.tolist() == their_weights.tolist()
        assert len(cache._terms) == kept  # noqa: SLF001 - what this test is about
        # an absent term's entry is one pair shared by all (most terms asked for are absent)
        assert cache.postings(segment, leaf, *absent[0]) is cache.postings(
            segment, leaf, *absent[1]
        )
