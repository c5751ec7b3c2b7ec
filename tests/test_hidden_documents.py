"""Nothing of a trashed, edited-away, purged or draft document reaches a reader (issue 10).

Whoosh keeps a deleted document's terms, with counts that include it, until its segment is
merged: an edit is a delete and an add, the trash a delete. Every surface that offers words or
counts is checked here, signed out, on a real server (uvicorn, the real routes, a real index
with its worker): autocomplete, "did you mean", facet typeahead, the timeline, the facets of a
search and More like this. Each case first shows its words offered while the document is
visible (so a pass is not an empty vocabulary), then hidden.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from archive import Archive
from archive.config import Settings
from archive.web import create_app
from tests.live_server import serving

PASSWORD = "a long enough password"
# Document 1 and the hidden ones share this text, so that More like this pairs them.
SHARED = (
    "Marsupial habitats along the eucalyptus ridge were surveyed at dusk. Burrowing wombats,"
    " nocturnal quolls and echidnas foraged beneath the canopy while rangers counted droppings,"
    " measured burrows and photographed tracks in the sandstone gullies."
)
OTHER = (
    "Seabird colonies on the headland were counted from the lighthouse. Gannets, shearwaters"
    " and terns nested on the cliffs while volunteers logged every chick and fledgling."
)


@dataclass
class Server:
    url: str
    token: dict[str, str]
    session: dict[str, str]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    settings = Settings(
        root=tmp_path_factory.mktemp("hidden") / "archive",
        rate_limits="off",
        # The worker's rounds merge only 4 segments of like size, each under a batch's worth of
        # documents (archive.search.merges.tiered_merges): with 3, the few rounds here leave a
        # deleted version in its segment, as a large archive whose segments are big does.
        index_batch_size=3,
        password_time_cost=1,
        password_memory_kib=8,
        password_parallelism=1,
    )
    with Archive(settings, background=True) as archive:
        archive.add_user("archivist", PASSWORD, "archivist")
        secret = archive.create_token("archivist", "t", "write").secret
        opened = archive.login("archivist", PASSWORD)
        with serving(create_app(archive)) as url:
            session = {"Cookie": f"archive_session={opened.secret}", "X-CSRF-Token":
                       opened.session.csrf, "Origin": url}  # fmt: skip
            running = Server(url, {"Authorization": f"Bearer {secret}"}, session)
            with httpx.Client(base_url=url, timeout=60) as client:
                for n, year in enumerate((2020, 2021, 2022)):
                    upload(client, running, {
                        "title": f"Ranger survey number {n + 1}",
                        "text": f"{OTHER if n else SHARED}\n\nSurvey {n + 1}, season {year}.\n",
                        "filename": f"survey-{n}.txt", "authors": ["Dana Ranger"],
                        "tags": ["fieldwork"], "date": f"{year}-06-0{n + 1}", "language": "en",
                    })  # fmt: skip
            yield running


def upload(client: httpx.Client, server: Server, payload: dict) -> int:
    r = client.post("/api/documents", json=payload, headers=server.token)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == ("published" if payload.get("publish", True) else "draft")
    assert r.json()["searchable"] or payload.get("publish") is False, r.text
    return r.json()["id"]


@pytest.fixture
def reader(server: Server) -> Iterator[httpx.Client]:
    """A signed-out client."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


@pytest.fixture
def archivist(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def hidden_payload(word: str, year: int, publish: bool = True) -> dict:
    """A document whose title, author, tag and publication carry words of its own."""
    return {
        "title": f"{word.capitalize()}trash Secret Memo",
        "text": f"{SHARED}\n\nMemo {year}, filed by the ridge office.\n",
        "filename": f"{word}.txt",
        "authors": [f"Ignatius {word.capitalize()}well"],
        "tags": [f"{word}onlytag"],
        "publication": f"{word.capitalize()}pub Gazette",
        "date": f"{year}-03-14",
        "language": "en",
        "publish": publish,
    }


def offered(reader: httpx.Client, typed: str) -> list[str]:
    r = reader.get("/api/suggest", params={"q": typed})
    assert r.status_code == 200, r.text
    return [s["text"].lower() for s in r.json()["suggestions"]]


def facet_values(reader: httpx.Client, facet: str, typed: str) -> list[str]:
    r = reader.get(f"/api/facets/{facet}", params={"facet_match": typed})
    assert r.status_code == 200, r.text
    return [v["value"].lower() for v in r.json()["values"]]


def search(reader: httpx.Client, q: str = "") -> dict:
    r = reader.get("/api/search", params={"q": q} if q else {})
    assert r.status_code == 200, r.text
    return r.json()


def year_count(reader: httpx.Client, year: int) -> int:
    timeline = search(reader)["timeline"]
    return sum(b["count"] for b in timeline if b["period"].startswith(str(year)))


def similar_ids(reader: httpx.Client, doc_id: int) -> set[int]:
    r = reader.get(f"/api/documents/{doc_id}/similar")
    assert r.status_code == 200, r.text
    return {s["id"] for s in r.json()["similar"]}


def traces(
    reader: httpx.Client, word: str, year: int, doc_id: int, published: bool = False
) -> list[str]:
    """Every place a reader could see the document's words (and, unless it is still published,
    the document); empty when they are hidden."""
    found = []
    for typed in (word[:6], f"{word}trash"[:9], f"{word}well"[:7], f"{word}only"):
        hits = [t for t in offered(reader, typed) if word in t]
        if hits:
            found.append(f"suggest {typed!r}: {hits}")
    for facet, typed in (("authors", f"{word}well"), ("tags", f"{word}only"),
                         ("publication", f"{word}pub")):  # fmt: skip
        if values := facet_values(reader, facet, typed):
            found.append(f"facet {facet} {typed!r}: {values}")
    everything = search(reader)
    for facet, values in everything["facets"].items():
        if shown := [v["value"] for v in values if word in v["value"].lower()]:
            found.append(f"facet {facet} of the whole archive: {shown}")
    if count := year_count(reader, year):
        found.append(f"timeline {year}: {count}")
    # "did you mean": a slip of the hidden word beside a slip of a live one, so that the
    # corrected query would find something
    for q in (f"{word}trsh", f"{word}trsh OR rangr", f"{word}wel OR eucalyptis"):
        suggestion = search(reader, q)["suggestion"] or ""
        if word in suggestion.lower():
            found.append(f"did you mean for {q!r}: {suggestion!r}")
    for q in (f"{word}trash", f"{word}onlytag", f'"{word.capitalize()}pub Gazette"'):
        if hits := search(reader, q)["hits"]:
            found.append(f"search {q!r}: {[h['id'] for h in hits]}")
    if not published and doc_id in similar_ids(reader, 1):
        found.append("More like this of document 1")
    if not published and reader.get(f"/api/documents/{doc_id}").status_code != 404:
        found.append("the document by id")
    return found


def test_the_checks_see_a_visible_documents_words(
    server: Server, reader: httpx.Client, archivist: httpx.Client
) -> None:
    """The control: while published, every surface shows the document's words."""
    doc_id = upload(archivist, server, hidden_payload("quokka", 1991))
    assert "quokkatrash" in offered(reader, "Quokka")
    assert "trashonlytag" not in offered(reader, "quokkaonly")  # (its own words only)
    assert "quokkaonlytag" in offered(reader, "quokkaonly")
    assert "quokkawell" in offered(reader, "Quokkaw")
    assert facet_values(reader, "authors", "quokkawell") == ["ignatius quokkawell"]
    assert year_count(reader, 1991) == 1
    assert doc_id in similar_ids(reader, 1)
    assert "quokkatrash" in (search(reader, "quokkatrsh OR rangr")["suggestion"] or "").lower()
    assert len(traces(reader, "quokka", 1991, doc_id)) >= 10


def test_a_trashed_document_leaves_no_trace(
    server: Server, reader: httpx.Client, archivist: httpx.Client
) -> None:
    """The issue's steps: upload, DELETE (trashed), then signed out nothing of it is offered."""
    doc_id = upload(archivist, server, hidden_payload("numbat", 1992))
    assert "numbattrash" in offered(reader, "Numbat")
    r = archivist.delete(f"/api/documents/{doc_id}", headers=server.token)
    assert r.status_code == 200 and r.json()["status"] == "trashed", r.text
    assert traces(reader, "numbat", 1992, doc_id) == []


def test_an_edit_takes_the_old_words_away(
    server: Server, reader: httpx.Client, archivist: httpx.Client
) -> None:
    """An edit that removes words: the document stays, its old words are offered no more."""
    doc_id = upload(archivist, server, hidden_payload("bilby", 1993))
    assert "bilbytrash" in offered(reader, "Bilby")
    edit = {"title": "Ranger memo, revised", "authors": ["Dana Ranger"], "tags": ["fieldwork"],
            "publication": "Ridge Office", "date": "2021-03-14"}  # fmt: skip
    r = archivist.patch(f"/api/documents/{doc_id}", json=edit, headers=server.token)
    assert r.status_code == 200 and r.json()["searchable"], r.text
    assert doc_id in similar_ids(reader, 1)  # still published, and still like the others
    assert traces(reader, "bilby", 1993, doc_id, published=True) == []


def test_a_document_deleted_from_the_trash_leaves_no_trace(
    server: Server, reader: httpx.Client, archivist: httpx.Client
) -> None:
    doc_id = upload(archivist, server, hidden_payload("potoroo", 1994))
    assert "potorootrash" in offered(reader, "Potoroo")
    r = archivist.delete(f"/api/documents/{doc_id}", headers=server.token)
    assert r.status_code == 200, r.text
    r = archivist.post("/trash/empty", data={"confirm": "yes"}, headers=server.session)
    assert r.status_code == 303 and "emptied=" in r.headers["location"], r.text
    assert archivist.get(f"/api/documents/{doc_id}", headers=server.token).status_code == 404
    assert traces(reader, "potoroo", 1994, doc_id) == []


def test_a_draft_leaves_no_trace(
    server: Server, reader: httpx.Client, archivist: httpx.Client
) -> None:
    doc_id = upload(archivist, server, hidden_payload("dunnart", 1995, publish=False))
    assert traces(reader, "dunnart", 1995, doc_id) == []
