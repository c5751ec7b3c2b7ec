"""The SQLite catalog, on a real database file in tmp_path."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.errors import ArchiveError, Duplicate, NotFound
from archive.models import Block, Document, Metadata, NewRow
from archive.storage.catalog import SCHEMA_VERSION, Catalog


def sha(n: int | str) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


def row(n: int, **metadata: object) -> NewRow:
    meta = Metadata(title=f"Doc {n}", **metadata)  # type: ignore[arg-type]
    blocks = (Block("heading", f"Heading {n}", 1), Block("paragraph", f"Body of {n}."))
    return NewRow(sha(n), f"doc{n}.txt", "txt", 100 + n, meta, blocks)


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    cat = Catalog(tmp_path / "catalog.sqlite3")
    yield cat
    cat.close()


FULL_METADATA = Metadata(
    title="Ünïcode «title» — 日本語 🚀",
    authors=("Jane Doe", "Иван Петров"),
    publication="La Marx International",
    date="2023-06-11",
    date_ambiguous=True,
    date_readings=("2023-06-11", "2023-11-06"),
    language="uk",
    tags=("politics", "économie"),
    url="https://example.org/a?b=1&c=ü",
)
FULL_BLOCKS = (
    Block("heading", "Заголовок", 1),
    Block("paragraph", 'Text with "quotes", <tags>, \\backslashes\\ and\nnewlines.'),
    Block("caption", "A caption", 0),
    Block("heading", "Sub", 3),
)


def test_add_get_round_trip_every_field(catalog: Catalog) -> None:
    doc_id = catalog.add(
        sha("full"), "статья.html", "html", 12345, FULL_METADATA, FULL_BLOCKS, "src-42"
    )
    doc = catalog.get(doc_id)
    assert isinstance(doc, Document)
    assert doc.id == doc_id
    assert doc.sha256 == sha("full")
    assert (doc.filename, doc.format, doc.size, doc.source_id) == (
        "статья.html",
        "html",
        12345,
        "src-42",
    )
    assert doc.metadata == FULL_METADATA
    assert doc.blocks == FULL_BLOCKS
    assert isinstance(doc.blocks, tuple) and isinstance(doc.metadata.authors, tuple)
    assert doc.added_at.endswith("+00:00") and doc.added_at[:2] == "20"
    assert catalog.get_many([doc_id]) == {doc_id: doc}


def test_round_trip_empty_values(catalog: Catalog) -> None:
    meta = Metadata(title="")
    doc_id = catalog.add(sha("empty"), "", "txt", 0, meta, [])
    doc = catalog.get(doc_id)
    assert doc.metadata == meta
    assert doc.metadata.date is None and doc.metadata.authors == () and doc.metadata.tags == ()
    assert doc.blocks == ()
    assert doc.source_id is None


def test_lists_given_come_back_as_tuples(catalog: Catalog) -> None:
    meta = Metadata(title="t", authors=["A", "B"], tags=["x"])  # type: ignore[arg-type]
    doc = catalog.get(catalog.add(sha(1), "f", "txt", 1, meta, [Block("paragraph", "p")]))
    assert doc.metadata.authors == ("A", "B") and doc.metadata.tags == ("x",)
    assert doc.blocks == (Block("paragraph", "p"),)


def test_duplicate_carries_existing_id(catalog: Catalog) -> None:
    first = catalog.add(sha(1), "a.txt", "txt", 1, Metadata(title="a"), [])
    with pytest.raises(Duplicate) as caught:
        catalog.add(sha(1), "b.txt", "txt", 1, Metadata(title="b"), [])
    assert caught.value.existing_id == first
    assert caught.value.status == 409
    assert str(first) in caught.value.message
    assert catalog.count() == 1
    assert catalog.get(first).filename == "a.txt"
    assert catalog.find_sha(sha(1)) == first
    assert catalog.find_sha(sha(2)) is None


def test_add_many_with_duplicates(catalog: Catalog) -> None:
    existing = catalog.add(sha(2), "old.txt", "txt", 1, Metadata(title="old"), [])
    rows = [row(1), row(2), row(3), row(1), row(4)]
    results = catalog.add_many(rows)
    assert [dup for _, dup in results] == [False, True, False, True, False]
    assert results[1][0] == existing
    assert results[3][0] == results[0][0]
    new_ids = [results[i][0] for i in (0, 2, 4)]
    assert len(set(new_ids)) == 3 and existing not in new_ids
    assert catalog.count() == 4
    assert catalog.all_ids() == {existing, *new_ids}
    assert catalog.get(existing).filename == "old.txt"  # not overwritten
    assert catalog.get(results[2][0]).metadata.title == "Doc 3"
    assert catalog.add_many([]) == []


def test_add_many_is_one_transaction(catalog: Catalog) -> None:
    bad = NewRow("short", "x", "txt", 1, Metadata(title="x"), [])  # fails the sha CHECK
    with pytest.raises(sqlite3.IntegrityError):
        catalog.add_many([row(1), row(2), bad])
    assert catalog.count() == 0


def test_get_not_found(catalog: Catalog) -> None:
    with pytest.raises(NotFound, match="no document 99"):
        catalog.get(99)
    assert catalog.get_many([]) == {}


def test_get_many(catalog: Catalog) -> None:
    ids = [i for i, _ in catalog.add_many([row(n) for n in range(20)])]
    wanted = ids[3:13] + [10_000]
    found = catalog.get_many(wanted)
    assert set(found) == set(ids[3:13])
    assert all(found[i].id == i for i in found)
    assert found[ids[5]].metadata.title == "Doc 5"


def test_unindexed_and_mark_indexed(catalog: Catalog) -> None:
    ids = [i for i, _ in catalog.add_many([row(n) for n in range(10)])]
    assert catalog.count_unindexed() == 10
    batch = catalog.unindexed(4)
    assert [d.id for d in batch] == ids[:4]  # oldest first
    catalog.mark_indexed([d.id for d in batch])
    assert catalog.count_unindexed() == 6
    assert [d.id for d in catalog.unindexed(100)] == ids[4:]
    catalog.mark_indexed(ids[4:])
    assert catalog.count_unindexed() == 0 and catalog.unindexed(10) == []
    catalog.mark_all_unindexed()
    assert catalog.count_unindexed() == 10


def test_metadata_change_during_indexing_is_not_lost(catalog: Catalog) -> None:
    [(doc_id, _)] = catalog.add_many([row(1)])
    batch = catalog.unindexed(10)  # the indexer reads the old metadata...
    catalog.update_metadata(doc_id, Metadata(title="New title"))  # ...an edit lands...
    catalog.mark_indexed([d.id for d in batch])  # ...and the indexer commits the old one
    assert [d.metadata.title for d in catalog.unindexed(10)] == ["New title"]
    catalog.mark_indexed([doc_id])
    assert catalog.count_unindexed() == 0


def test_update_metadata_and_delete(catalog: Catalog) -> None:
    [(doc_id, _)] = catalog.add_many([row(1)])
    catalog.mark_indexed([doc_id])
    catalog.update_metadata(doc_id, FULL_METADATA)
    doc = catalog.get(doc_id)
    assert doc.metadata == FULL_METADATA
    assert doc.blocks == row(1).blocks  # blocks untouched
    assert catalog.count_unindexed() == 1
    with pytest.raises(NotFound):
        catalog.update_metadata(999, FULL_METADATA)
    catalog.delete(doc_id)
    with pytest.raises(NotFound):
        catalog.get(doc_id)
    with pytest.raises(NotFound):
        catalog.delete(doc_id)
    assert catalog.count() == 0


def test_ids_are_never_reused(catalog: Catalog) -> None:
    [(first, _), (last, _)] = catalog.add_many([row(1), row(2)])
    catalog.delete(last)
    [(again, _)] = catalog.add_many([row(3)])
    assert again > last > first


def test_iter_documents_in_batches(catalog: Catalog) -> None:
    for start in range(0, 1200, 300):
        catalog.add_many([row(n) for n in range(start, start + 300)])
    seen = []
    for doc in catalog.iter_documents(batch_size=250):
        seen.append(doc.id)
        if len(seen) == 600:
            # A write mid-iteration must not be blocked by, or break, the iteration.
            catalog.add_many([row(5000)])
    assert len(seen) == 1201
    assert seen == sorted(seen) and len(set(seen)) == 1201
    assert [d.metadata.title for d in catalog.iter_documents(batch_size=7)][:2] == [
        "Doc 0",
        "Doc 1",
    ]


def test_pragmas_on_every_connection(tmp_path: Path, catalog: Catalog) -> None:
    def pragmas() -> tuple[str, int, int, int]:
        # each thread reads through its own connection
        names = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        return tuple(catalog.query(f"PRAGMA {name}")[0][0] for name in names)  # type: ignore[return-value]

    results = [pragmas()]
    worker = threading.Thread(target=lambda: results.append(pragmas()))
    worker.start()
    worker.join()
    assert len(results) == 2
    for mode, synchronous, foreign_keys, busy in results:
        assert mode == "wal"
        assert synchronous == 2  # FULL
        assert foreign_keys == 1
        assert busy >= 1000
    # WAL is recorded in the file itself: a plain connection sees it too.
    plain = sqlite3.connect(tmp_path / "catalog.sqlite3")
    assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    plain.close()


def test_concurrent_readers_while_one_thread_writes(catalog: Catalog) -> None:
    errors: list[BaseException] = []
    done = threading.Event()
    reads = [0]

    def writer() -> None:
        try:
            for batch in range(40):
                catalog.add_many([row(batch * 25 + n) for n in range(25)])
                ids = [d.id for d in catalog.unindexed(25)]
                catalog.mark_indexed(ids)
        except BaseException as e:
            errors.append(e)
        finally:
            done.set()

    def reader() -> None:
        try:
            last_count = 0
            while not done.is_set():
                count = catalog.count()
                assert count >= last_count  # never goes backwards
                assert count % 25 == 0  # a batch is seen whole or not at all
                last_count = count
                ids = sorted(catalog.all_ids())[-10:]
                docs = catalog.get_many(ids)
                assert set(docs) == set(ids)  # rows seen are complete
                if ids:
                    assert catalog.get(ids[0]).blocks
                catalog.count_unindexed()
                reads[0] += 1
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=writer)] + [
        threading.Thread(target=reader) for _ in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert catalog.count() == 1000
    assert catalog.count_unindexed() == 0
    assert reads[0] > 6


def test_concurrent_writers_are_serialised(catalog: Catalog) -> None:
    errors: list[BaseException] = []
    results: list[tuple[int, bool]] = []

    def writer(k: int) -> None:
        try:
            # Every thread adds the same 50 shas: each must be added exactly once.
            results.extend(catalog.add_many([row(n) for n in range(50)]))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert catalog.count() == 50
    assert sum(not dup for _, dup in results) == 50


def test_connections_of_finished_threads_are_closed(catalog: Catalog) -> None:
    for _ in range(30):
        t = threading.Thread(target=catalog.count)
        t.start()
        t.join()
    catalog.count()
    assert catalog.open_connections <= 2


def test_survives_close_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    cat = Catalog(path)
    doc_id = cat.add(sha("full"), "a.html", "html", 5, FULL_METADATA, FULL_BLOCKS)
    cat.add_many([row(n) for n in range(5)])
    cat.mark_indexed([doc_id])
    cat.set_meta("index_schema", "7")
    cat.close()
    with pytest.raises(ArchiveError, match="closed"):
        cat.count()

    again = Catalog(path)
    try:
        assert again.count() == 6
        assert again.count_unindexed() == 5
        assert again.get(doc_id).metadata == FULL_METADATA
        assert again.get(doc_id).blocks == FULL_BLOCKS
        assert again.get_meta("index_schema") == "7"
        assert again.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert again.get_meta("nothing") is None
    finally:
        again.close()


def test_creates_its_folder(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "new" / "uploads" / "catalog.sqlite3")
    assert cat.count() == 0
    cat.close()


def test_meta_overwrite(catalog: Catalog) -> None:
    catalog.set_meta("k", "1")
    catalog.set_meta("k", "2")
    assert catalog.get_meta("k") == "2"


def test_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    Catalog(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE catalog_meta SET value = '999' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(ArchiveError, match="999"):
        Catalog(path)
