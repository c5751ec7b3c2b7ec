"""archive.search.lexicon.Presence: whether any segment holds a term, answered from a small
segment's listed terms or a large one's dictionary, always as Whoosh's own lookup answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from archive.models import Overrides, SearchQuery
from archive.search import lexicon
from archive.search.engine import SearchEngine
from archive.search.index import Index
from tests.conftest import parts

TEXTS = [
    ("Zelensky met Biden in Kyiv to discuss grain exports.", "en"),
    ("Шмигаль говорив про енергетику у Львові.", "uk"),
    ("The senate voted on the budget in Washington.", "en"),
]


def _text_terms(leaf) -> list[tuple[str, str]]:  # noqa: ANN001 - a Whoosh segment reader
    """The segment's terms that are text (numeric fields' terms are bytes of numbers)."""
    out = []
    for fieldname, raw in leaf.all_terms():
        try:
            text = raw.decode("utf-8")
            if leaf.schema[fieldname].to_bytes(text) == raw:
                out.append((fieldname, text))
        except ValueError:  # not UTF-8, or a number's field
            continue
    return out


@pytest.fixture
def segments(archive) -> Iterator[tuple[SearchEngine, Index, list[tuple[str, object]]]]:
    """An engine over an archive of the three texts, a segment each (the archive adds them one
    by one), its index, and (segment id, segment reader) of each."""
    for n, (text, language) in enumerate(TEXTS):
        archive.add(
            text.encode(), f"d{n}.txt", Overrides(language=language, date=f"2023-05-0{n + 1}")
        )
    with parts(archive.settings) as (_, catalog, index):
        engine = SearchEngine(index, catalog.get_many)
        reader = engine.generation().reader
        yield (
            engine,
            index,
            [(leaf.segment().segment_id(), leaf) for leaf, _ in reader.leaf_readers()],
        )
        engine.close()


def test_listed_and_asked_segments_answer_as_whoosh(segments, monkeypatch) -> None:
    engine, _, leaves = segments
    held = sorted({term for _, leaf in leaves for term in _text_terms(leaf)})
    missing = [(f, t + "qqx") for f, t in held[::7]] + [("no_such_field", "kyiv")]
    assert len(held) > 20
    for docs in (lexicon.LISTED_SEGMENT_DOCS, 0):  # every segment listed, then none
        monkeypatch.setattr(lexicon, "LISTED_SEGMENT_DOCS", docs)
        presence = lexicon.Presence()
        for fieldname, text in held + missing:
            expected = any((fieldname, text) in leaf for _, leaf in leaves)
            assert presence.contains(leaves, fieldname, text) == expected, (fieldname, text)
        assert bool(presence.listed) == bool(docs)


def test_answers_of_segments_merged_away_are_forgotten(segments, monkeypatch) -> None:
    """Under writes every index round adds a segment and merges retire them: what was learned
    of a retired segment goes with it (before, it stayed until a limit of 64 listed segments
    or 300,000 answers was reached, and a server under writes grew for as long)."""
    engine, index, leaves = segments
    assert len(leaves) == len(TEXTS)  # a segment each: the archive adds them one by one
    held = sorted({term for _, leaf in leaves for term in _text_terms(leaf)})
    asked = held + [(f, t + "qqx") for f, t in held]
    for docs in (lexicon.LISTED_SEGMENT_DOCS, 0):  # every segment listed, then none
        monkeypatch.setattr(lexicon, "LISTED_SEGMENT_DOCS", docs)
        presence = lexicon.Presence()
        for fieldname, text in asked:
            presence.contains(leaves, fieldname, text)
        assert (presence.listed, bool(presence.known)) == ((3, False) if docs else (0, True))
        first, first_leaf = leaves[0]
        presence.retain({first})
        # every word was asked of the first segment (the first looked in): only its answers stay
        assert (presence.listed, presence.known) == ((1, 0) if docs else (0, len(asked)))
        for fieldname, text in asked:
            expected = (fieldname, text) in first_leaf
            assert presence.contains(leaves[:1], fieldname, text) == expected

    # the engine's own memory: after a merge of the three segments into one, only the
    # merged segment's answers are kept (a private attribute: nothing else shows them)
    monkeypatch.setattr(lexicon, "LISTED_SEGMENT_DOCS", 0)
    for words in ("grain", "budget", "енергетику", "nowhereqqx"):
        engine.search(SearchQuery(text=words))
    assert engine._presence.known >= 3 * 4  # each word asked of all three, at least
    writer = index.whoosh_index.writer()
    writer.commit(optimize=True)
    engine.changed()
    engine.search(SearchQuery(text="grain"))
    (merged,) = [
        leaf.segment().segment_id() for leaf, _ in engine.generation().reader.leaf_readers()
    ]
    assert set(engine._presence._known) == {merged}
    assert engine._presence.known == len(engine._presence._known[merged])
