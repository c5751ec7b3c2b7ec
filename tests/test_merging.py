"""search/merging.py: a merge written beside the rounds (no lock) and swapped in by a commit,
with the documents deleted meanwhile deleted in the merged segment too."""

from __future__ import annotations

import dataclasses

from whoosh import index as whoosh_index

from archive import Archive, Settings
from archive.core.imports import commit
from archive.core.indexing import drain
from archive.ingest import pipeline
from archive.search import merging
from archive.search.merges import no_merges

from .conftest import parts


def live_ids(settings: Settings) -> list[int]:
    """The catalog ids of the index's live documents, as Whoosh reads them."""
    with whoosh_index.open_dir(str(settings.index_dir)).reader() as reader:
        return sorted(int(text) for text in reader.field_terms("id") if _live(reader, text))


def _live(reader, text: str) -> bool:  # noqa: ANN001 - a Whoosh reader
    return any(not reader.is_deleted(d) for d in reader.postings("id", text).all_ids())


def rounds(settings: Settings, texts: list[str], per_round: int = 1) -> list[int]:
    """Rounds of per_round documents (no merging), as a server's worker commits them; the ids."""
    ids = []
    with parts(settings) as (store, catalog, index):
        for start in range(0, len(texts), per_round):
            batch = [
                pipeline.prepare(text.encode(), f"{start + n}-{len(text)}.txt", settings)
                for n, text in enumerate(texts[start : start + per_round])
            ]
            ids += [doc_id for doc_id, _ in commit(batch, store, catalog)]
            drain(catalog, index, 50, merge=no_merges)
    return ids


def test_a_merge_written_beside_keeps_the_deletions_made_meanwhile(settings: Settings) -> None:
    settings = dataclasses.replace(settings, index_batch_size=50)
    Archive(settings).close()
    texts = [f"Report {n} on the herons of the delta." for n in range(12)]
    ids = rounds(settings, texts, per_round=3)  # four segments of three: a merge is due
    with parts(settings) as (_, catalog, index):
        index.write([], delete_ids=[ids[4]])  # deleted before the merge begins
        chosen = merging.choose(index, 50)
        assert len(chosen) == 4 and merging.choose(index, 50, set(chosen)) == []
        target = merging.folder(index, "1")
        assert merging.write_merged(index, chosen, target, 16)  # the child's part, here
        assert index.segment_sizes() == [3, 3, 3, 3]  # written beside: nothing changed yet
        # meanwhile the rounds go on: merged documents are deleted (a trash), one replaced
        index.write([], delete_ids=[ids[0], ids[5], ids[10]])
        index.write(list(catalog.get_many([ids[7]]).values()))  # a new copy, the old deleted
    ids += rounds(settings, ["A thirteenth report, on storks."])
    with parts(settings) as (_, _, index):
        assert merging.swap_in(index, target) is True
        # the twelve merged into one of eleven (ids[4] left out), its deletions carried over,
        # and the copy of ids[7] and the thirteenth report in their own rounds' segments
        assert sorted(index.segment_sizes()) == [1, 1, 11]
        assert not target.exists()
        assert merging.swap_in(index, target) is None  # nothing left to swap
    gone = {ids[0], ids[4], ids[5], ids[10]}
    assert live_ids(settings) == sorted(set(ids) - gone)
    with Archive(settings) as archive:
        from archive.models import SearchQuery

        found = archive.search(SearchQuery(text="herons", per_page=20))
        assert sorted(h.id for h in found.hits) == sorted(set(ids[:12]) - gone)
        # the catalog and the index agree but for the documents this test deleted from the
        # index alone (a trash deletes them from both)
        assert sorted(p.doc_id for p in archive.check()) == sorted(gone)


def test_a_merge_whose_segments_changed_otherwise_is_dropped(settings: Settings) -> None:
    from archive.search.merges import fewest_merges

    settings = dataclasses.replace(settings, index_batch_size=50)
    Archive(settings).close()
    ids = rounds(settings, [f"Note {n} about cranes." for n in range(4)])
    with parts(settings) as (_, _, index):
        target = merging.folder(index, "1")
        assert merging.write_merged(index, merging.choose(index, 50), target, 16)
        index.write([], merge=fewest_merges(1))  # another writer merged them meanwhile
        assert merging.swap_in(index, target) is False
        assert index.segment_sizes() == [4] and not target.exists()
        # and a merge of segments already gone is not written at all
        assert not merging.write_merged(index, ["gone"], target, 16)
        # what a failed merge left is removed, and the index is as it was
        half = merging.folder(index, "2")
        (half / "MAIN_partial.seg").parent.mkdir(parents=True)
        (half / "MAIN_partial.seg").write_bytes(b"cut short")
        merging.discard(half)
        assert not half.exists() and index.segment_sizes() == [4]
    assert live_ids(settings) == sorted(ids)


def test_a_round_merges_in_the_writer_again_once_segments_pile_up() -> None:
    # merges beside the rounds that fall behind must not let segments grow without bound
    from archive.search.merges import no_merges

    assert merging.round_merges(merging.MAX_SEGMENTS_BESIDE, 500) is no_merges
    piled = merging.round_merges(merging.MAX_SEGMENTS_BESIDE + 1, 500)
    assert piled is not no_merges and piled.__qualname__.startswith("tiered_merges")
