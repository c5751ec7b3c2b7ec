"""Each segment's facet arrays saved beside the index (archive/search/sidecars.py): written by
the writer after a commit, loaded by a new engine instead of read out of Whoosh, ignored and
read again when damaged, and removed when a merge retires their segment."""

from __future__ import annotations

import numpy as np

from archive.models import Overrides, SearchQuery
from archive.search import sidecars
from archive.search.engine import SearchEngine
from archive.search.facets import SegmentValues

from .conftest import parts

TEXTS = [
    "Zelensky met Biden in Kyiv to discuss grain exports.",
    "Shmyhal spoke about energy in Lviv; Zelensky agreed.",
    "The senate voted on the budget in Washington.",
    "Grain corridor talks in Istanbul with Erdogan.",
]


def fill(archive) -> None:  # noqa: ANN001 - the conftest fixture
    for n, text in enumerate(TEXTS):
        tags = ("war", "grain") if n % 2 else ("politics",)
        archive.add(text.encode(), f"doc-{n}.txt", Overrides(tags=tags, date=f"202{n}-05-01"))


def segment_ids(engine: SearchEngine) -> set[str]:
    reader = engine.generation().reader
    return {leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()}


def page_facets(engine: SearchEngine, text: str = "") -> dict:
    page = engine.search(SearchQuery(text=text, per_page=5))
    return {f: [(v.value, v.count) for v in vs] for f, vs in page.facets.items()}, page.total


def test_each_segment_has_its_arrays_after_a_commit(archive) -> None:
    fill(archive)
    with parts(archive.settings) as (_, catalog, index):
        engine = SearchEngine(index, catalog.get_many)
        ids = segment_ids(engine)
        saved = {p.stem for p in sidecars.folder(index.path).glob("*.npz")}
        assert ids and saved == ids
        engine.close()


def test_saved_arrays_are_what_the_segment_holds(archive) -> None:
    fill(archive)
    with parts(archive.settings) as (_, catalog, index):
        engine = SearchEngine(index, catalog.get_many)
        for leaf, _ in engine.generation().reader.leaf_readers():
            key = leaf.segment().segment_id()
            loaded = SegmentValues.of(leaf, index.path)
            read = SegmentValues.read(leaf)
            assert sidecars.load(index.path, key, leaf.doc_count_all()) is not None
            assert np.array_equal(loaded.dates, read.dates)
            for facet, (values, starts, ord_) in read.facets.items():
                assert loaded.facets[facet][0] == values
                assert np.array_equal(loaded.facets[facet][1], starts)
                assert np.array_equal(loaded.facets[facet][2], ord_)
        engine.close()


def test_a_damaged_file_is_read_again_and_counts_stay_right(archive) -> None:
    fill(archive)
    with parts(archive.settings) as (_, catalog, index):
        first = SearchEngine(index, catalog.get_many)
        expected = page_facets(first, "grain")
        assert expected[1] == 3 and dict(expected[0]["tags"])["grain"] == 2
        first.close()
        files = sorted(sidecars.folder(index.path).glob("*.npz"))
        files[0].write_bytes(b"not a zip file")
        files[-1].write_bytes(files[-1].read_bytes()[:40])  # cut short
        second = SearchEngine(index, catalog.get_many)
        assert page_facets(second, "grain") == expected
        # read again and saved whole
        for leaf, _ in second.generation().reader.leaf_readers():
            key = leaf.segment().segment_id()
            assert sidecars.load(index.path, key, leaf.doc_count_all()) is not None
        second.close()


def test_a_merge_removes_the_retired_segments_files(archive) -> None:
    fill(archive)
    with parts(archive.settings) as (_, catalog, index):
        before = {p.stem for p in sidecars.folder(index.path).glob("*.npz")}
        assert len(before) > 1
    archive.reindex()
    with parts(archive.settings) as (_, catalog, index):
        engine = SearchEngine(index, catalog.get_many)
        after = {p.stem for p in sidecars.folder(index.path).glob("*.npz")}
        assert after == segment_ids(engine) and not after & before
        assert page_facets(engine, "grain")[1] == 3
        engine.close()


def test_sparse_and_dense_facet_counts_agree(archive, monkeypatch) -> None:
    # a narrow search gathers its documents' own pairs; a broad one masks every pair
    from archive.search import facets

    fill(archive)
    archive.trash(archive.search(SearchQuery(text="senate")).hits[0].id, actor="test")
    with parts(archive.settings) as (_, catalog, index):
        engine = SearchEngine(index, catalog.get_many)
        cache = engine.generation().facets
        rng = np.random.default_rng(3)
        masks = [cache.live, np.zeros(len(cache.live), dtype=bool)]
        masks += [rng.random(len(cache.live)) < share for share in (0.2, 0.5, 0.9)]
        for mask in masks:
            mask = mask & cache.live
            for facet in ("tags", "names", "year", "language"):
                monkeypatch.setattr(facets, "SPARSE_SHARE", 10**9)
                sparse = dict(cache._count(facet, mask).items())
                monkeypatch.setattr(facets, "SPARSE_SHARE", 0)
                dense = dict(cache._count(facet, mask).items())
                assert sparse == dense, facet
        assert dict(cache._count("tags", cache.live).items()) == {
            "grain": 2,
            "war": 2,
            "politics": 1,
        }
        engine.close()


def test_names_identities_are_saved_and_an_older_file_is_read_again(archive) -> None:
    """The names facet's value identities (what merges its spellings, 20 µs a value) are saved
    with the arrays; a file saved before them (no identities) is read out of Whoosh again."""
    from archive.search.spellings import encode_identity

    fill(archive)
    with parts(archive.settings) as (_, catalog, index):
        engine = SearchEngine(index, catalog.get_many)
        leaf = next(leaf for leaf, _ in engine.generation().reader.leaf_readers())
        key, size = leaf.segment().segment_id(), leaf.doc_count_all()
        saved = sidecars.load(index.path, key, size)
        values = saved["names.values"]
        assert "Zelensky" in values
        assert saved["names.identity.values"] == [encode_identity(v) for v in values]
        older = {k: v for k, v in saved.items() if not k.endswith(".identity.values")}
        older.pop("format"), older.pop("size")
        assert sidecars.save(index.path, key, size, older)
        again = SegmentValues.of(leaf, index.path)  # read again, and saved whole
        assert again.identities["names"] == saved["names.identity.values"]
        assert "names.identity.values" in sidecars.load(index.path, key, size)
        engine.close()


def test_a_value_in_several_segments_is_kept_once(archive) -> None:
    # every document is its own commit here: "Zelensky" and the tag "grain" are written by
    # several segments, and a search process keeps one string of each, not one a segment
    fill(archive)
    with parts(archive.settings) as (_, catalog, index):
        engine = SearchEngine(index, catalog.get_many)
        leaves = engine.generation().reader.leaf_readers()
        assert len(leaves) > 1
        seen: dict[str, list[str]] = {}
        for leaf, _ in leaves:
            loaded = sidecars.load(index.path, leaf.segment().segment_id(), leaf.doc_count_all())
            assert loaded is not None
            for value in (*loaded["tags.values"], *loaded["names.values"]):
                seen.setdefault(value, []).append(value)
        repeated = {v: copies for v, copies in seen.items() if len(copies) > 1}
        assert "grain" in repeated
        for copies in repeated.values():
            assert all(c is copies[0] for c in copies)
        engine.close()


def whoosh_pairs(engine: SearchEngine, facet: str) -> dict[int, set[str]]:
    """Each searcher document's values of a facet, as Whoosh's own postings give them."""
    reader = engine.generation().reader
    held: dict[int, set[str]] = {}
    for leaf, offset in reader.leaf_readers():
        if facet not in leaf.indexed_field_names():
            continue
        for text in leaf.lexicon(facet):
            value = text.decode("utf-8")
            for doc in leaf.postings(facet, text).all_ids():
                held.setdefault(doc + offset, set()).add(value)
    return held


def test_counts_and_filters_agree_with_whoosh_over_any_documents(archive) -> None:
    # the generation keeps each document's values side by side (pairs ordered by document):
    # counts over any set of documents and a filter's documents must be Whoosh's, document
    # for document, a trashed one left out
    fill(archive)
    archive.trash(archive.search(SearchQuery(text="senate")).hits[0].id, actor="test")
    with parts(archive.settings) as (_, catalog, index):
        engine = SearchEngine(index, catalog.get_many)
        cache = engine.generation().facets
        rng = np.random.default_rng(5)
        masks = [cache.live, rng.random(len(cache.live)) < 0.5, rng.random(len(cache.live)) < 0.2]
        for facet in ("tags", "names", "year", "language"):
            held = whoosh_pairs(engine, facet)
            for mask in masks:
                mask = mask & cache.live
                expected: dict[str, int] = {}
                for doc in np.flatnonzero(mask).tolist():
                    for value in held.get(doc, ()):
                        expected[value] = expected.get(value, 0) + 1
                assert dict(cache.count(facet, mask).items()) == expected, facet
            for value in {v for values in held.values() for v in values}:
                docs = {d for d, values in held.items() if value in values and cache.live[d]}
                assert set(np.flatnonzero(cache.docs_with(facet, [value])).tolist()) == docs
        engine.close()


def test_a_file_of_the_older_layout_is_read_and_saved_anew(archive) -> None:
    # format 2 kept (document, value) pairs in value order; a file of it is converted on
    # load (no reading out of Whoosh) and saved in the current layout
    from archive.search.facets import FACET_FIELDS

    fill(archive)
    with parts(archive.settings) as (_, catalog, index):
        engine = SearchEngine(index, catalog.get_many)
        expected = page_facets(engine, "grain")
        engine.close()
        for path in sidecars.folder(index.path).glob("*.npz"):
            with np.load(path) as data:
                saved = {k: data[k] for k in data.files}
            size = int(saved["size"])
            older = {"format": np.array(2), "size": saved["size"]}
            for key, value in saved.items():
                facet = key.split(".")[0]
                if facet in FACET_FIELDS and key.endswith(".starts"):
                    doc = np.repeat(np.arange(size, dtype=np.int32), np.diff(value))
                    ord_ = saved[f"{facet}.ord"]
                    order = np.lexsort((doc, ord_))  # value order, as Whoosh's lexicon gives
                    older[f"{facet}.doc"], older[f"{facet}.ord"] = doc[order], ord_[order]
                elif not key.endswith(".ord") and key not in ("format", "size"):
                    older[key] = value
            with open(path, "wb") as f:
                np.savez(f, **older)
        again = SearchEngine(index, catalog.get_many)
        assert page_facets(again, "grain") == expected
        for path in sidecars.folder(index.path).glob("*.npz"):
            with np.load(path) as data:
                assert int(data["format"]) == sidecars.FORMAT and "names.starts" in data.files
        again.close()
