"""Exports of a search (/search.csv, /search.jsonl) on a real server (uvicorn, the real routes, a
real index with its worker) over a copy of the sample archive: read back with the csv module
and json, compared with the paged search (/api/search) they stand for.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from archive import Archive
from archive.config import Settings
from archive.models import Document, Metadata, SearchExport
from archive.web import create_app
from archive.web.exports import COLUMNS, csv_body, jsonl_body
from tests.live_server import serving

PASSWORD = "a long enough password"
# Everything that breaks a format written by hand: quotes, a comma and a semicolon (CSV's
# separators), ampersands, markup, braces, newlines (both kinds), a control character XML cannot
# hold, a line separator and a right-to-left override.
HOSTILE = 'Q"uo\'t, & <b>b</b>; {"x": [1]} }]]>\r\nnext line \x01 \u2028 \u202eRTL\u202c end'
HOSTILE_WORD = "zanzibarquux"
FORMULA = '=HYPERLINK("http://evil.example/","click")'


@dataclass
class Server:
    url: str
    archive: Archive
    hostile_id: int
    formula_id: int
    draft_id: int
    trashed_id: int


def _settings(root: Path, **more: object) -> Settings:
    fast = {"index_batch_size": 50, "rate_limits": "off", "password_time_cost": 1}
    fast |= {"password_memory_kib": 8, "password_parallelism": 1}
    return Settings(root=root, **(fast | more))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def server(
    _sample_archive_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("exports") / "archive"
    shutil.copytree(_sample_archive_template, root)
    with Archive(_settings(root), background=True) as archive:
        archive.add_user("archivist", PASSWORD, "archivist")
        secret = archive.create_token("archivist", "t", "write").secret
        token = {"Authorization": f"Bearer {secret}"}
        with serving(create_app(archive)) as url, httpx.Client(base_url=url, timeout=60) as client:

            def upload(payload: dict) -> int:
                r = client.post("/api/documents", json=payload, headers=token)
                assert r.status_code == 201, r.text
                return r.json()["id"]

            # a JSONL record, since only an import sets a document's source URL
            record = {
                "id": "hostile:1", "title": f"{HOSTILE_WORD} {HOSTILE}",
                "authors": [HOSTILE, "Plain Author"], "tags": [HOSTILE, "plain tag"],
                "publication": HOSTILE, "language": "en", "date": "2026-11-03",
                "url": f"https://example.org/a?b=1&c=\"2\"#{HOSTILE}",
                "body": f"The {HOSTILE_WORD} report: {HOSTILE}\n\nMore {HOSTILE_WORD} text.\n",
            }  # fmt: skip
            jsonl = root.parent / "hostile.jsonl"
            jsonl.write_text(json.dumps(record) + "\n", encoding="utf-8")
            [hostile_id] = archive.ingest_paths([jsonl]).added
            formula_id = upload({
                "title": f"{FORMULA} {HOSTILE_WORD}", "authors": ["-2+3", "@SUM(A1)"],
                "publication": "+44 news", "filename": "formula.txt", "date": "2026-11-02",
                "text": f"A {HOSTILE_WORD} memo whose title is a spreadsheet formula.\n",
            })  # fmt: skip
            draft_id = upload({
                "title": f"{HOSTILE_WORD} draft memo", "filename": "draft.txt", "publish": False,
                "text": f"A {HOSTILE_WORD} draft nobody confirmed.\n", "date": "2026-11-04",
            })  # fmt: skip
            trashed_id = upload({
                "title": f"{HOSTILE_WORD} trashed memo", "filename": "trashed.txt",
                "text": f"A {HOSTILE_WORD} memo sent to the trash.\n", "date": "2026-11-05",
            })  # fmt: skip
            r = client.delete(f"/api/documents/{trashed_id}", headers=token)
            assert r.status_code < 300, r.text
            assert archive.wait_searchable()
            yield Server(url, archive, hostile_id, formula_id, draft_id, trashed_id)


@pytest.fixture
def reader(server: Server) -> Iterator[httpx.Client]:
    """A signed-out client."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def read_csv(r: httpx.Response) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith('attachment; filename="archive-search-')
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8"), newline="")))
    assert tuple(rows[0]) == COLUMNS
    assert all(len(row) == len(COLUMNS) for row in rows)
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]


def read_jsonl(r: httpx.Response) -> list[dict]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/jsonl; charset=utf-8"
    assert r.headers["content-disposition"].endswith(".jsonl")
    body = r.content.decode("utf-8")
    assert body == "" or body.endswith("\n")  # no match: an empty body
    return [json.loads(line) for line in body.split("\n")[:-1]]


def searched_ids(reader: httpx.Client, params: dict[str, str]) -> list[int]:
    """Every id of the paged API search, walking its pages of 5 (every copy of a text: an
    export lists documents)."""
    ids: list[int] = []
    page = 1
    while True:
        paged = {**params, "per_page": "5", "page": str(page), "collapse": "false"}
        r = reader.get("/api/search", params=paged)
        assert r.status_code == 200, r.text
        body = r.json()
        ids += [hit["id"] for hit in body["hits"]]
        if page * 5 >= body["total"]:
            return ids
        page += 1


SEARCHES = [
    {},  # everything, newest first
    {"q": "energy"},  # relevance
    {"q": "the", "sort": "title"},
    {"language": "en"},  # a facet filter
    {"language": "uk", "sort": "oldest"},
]


@pytest.mark.parametrize("params", SEARCHES)
def test_every_match_once_in_the_search_order(reader: httpx.Client, params: dict) -> None:
    expected = searched_ids(reader, params)
    assert len(expected) > 5, "the search must span more than one page"
    assert len(set(expected)) == len(expected)
    csv_rows = read_csv(reader.get("/search.csv", params=params))
    assert [int(row["id"]) for row in csv_rows] == expected
    lines = read_jsonl(reader.get("/search.jsonl", params=params))
    assert [line["id"] for line in lines] == expected
    for r in (reader.get("/search.csv", params=params), reader.get("/search.jsonl")):
        assert "x-archive-export-truncated" not in r.headers
    total = reader.get("/search.jsonl", params=params).headers["x-archive-export-total"]
    assert int(total) == len(expected)


def test_page_and_page_size_do_not_cut_an_export(reader: httpx.Client) -> None:
    whole = [line["id"] for line in read_jsonl(reader.get("/search.jsonl"))]
    paged = read_jsonl(reader.get("/search.jsonl", params={"page": "3", "per_page": "10"}))
    assert [line["id"] for line in paged] == whole


def test_a_facet_filter_applies(reader: httpx.Client) -> None:
    rows = read_jsonl(reader.get("/search.jsonl", params={"language": "uk"}))
    assert rows and all(row["language"] == "uk" for row in rows)
    everything = read_jsonl(reader.get("/search.jsonl"))
    assert len(rows) < len(everything)


def test_drafts_and_trashed_documents_never_appear(server: Server, reader: httpx.Client) -> None:
    for params in ({}, {"q": HOSTILE_WORD}, {"q": "draft memo"}, {"q": "trashed"}):
        ids = {line["id"] for line in read_jsonl(reader.get("/search.jsonl", params=params))}
        ids |= {int(row["id"]) for row in read_csv(reader.get("/search.csv", params=params))}
        assert server.draft_id not in ids and server.trashed_id not in ids, params
    ids = {
        line["id"] for line in read_jsonl(reader.get("/search.jsonl", params={"q": HOSTILE_WORD}))
    }
    assert {server.hostile_id, server.formula_id} <= ids


def test_hostile_text_round_trips_exactly(server: Server, reader: httpx.Client) -> None:
    doc = reader.get(f"/api/documents/{server.hostile_id}").json()
    # the catalog folds runs of whitespace in short fields; every other hostile character stays
    for value in (doc["title"], doc["authors"][0], doc["tags"][0], doc["publication"], doc["url"]):
        assert all(c in value for c in "\"',&<>;{}[]\x01\u202e"), value
    params = {"q": HOSTILE_WORD}
    [line] = [
        x for x in read_jsonl(reader.get("/search.jsonl", params=params)) if x["id"] == doc["id"]
    ]
    for name in COLUMNS[:-1]:
        assert line[name] == doc[name], name
    assert line["document_url"] == f"{server.url}/documents/{doc['id']}"
    [row] = [
        x for x in read_csv(reader.get("/search.csv", params=params)) if x["id"] == str(doc["id"])
    ]
    assert row["title"] == doc["title"]
    assert row["publication"] == doc["publication"]
    assert row["authors"] == "; ".join(doc["authors"])
    assert row["tags"] == "; ".join(doc["tags"])
    assert row["url"] == doc["url"]
    assert row["date"] == "2026-11-03" and row["date_ambiguous"] == "false"
    assert row["document_url"] == line["document_url"]
    # the raw JSON Lines hold one record a line: no raw newline or line separator inside one
    raw = reader.get("/search.jsonl", params=params).content.decode("utf-8")
    assert "\u2028" not in raw and "\u2029" not in raw


def test_a_formula_looking_cell_is_neutralised(server: Server, reader: httpx.Client) -> None:
    params = {"q": HOSTILE_WORD}
    [row] = [
        x
        for x in read_csv(reader.get("/search.csv", params=params))
        if x["id"] == str(server.formula_id)
    ]
    assert row["title"] == f"'{FORMULA} {HOSTILE_WORD}"
    assert row["authors"] == "'-2+3; @SUM(A1)"
    assert row["publication"] == "'+44 news"
    for cells in read_csv(reader.get("/search.csv")):
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells.values())
    # JSON is no spreadsheet: the title stays as it was written
    [line] = [
        x
        for x in read_jsonl(reader.get("/search.jsonl", params=params))
        if x["id"] == server.formula_id
    ]
    assert line["title"] == f"{FORMULA} {HOSTILE_WORD}"


def test_a_bad_parameter_is_a_400(reader: httpx.Client) -> None:
    for path in ("/search.csv", "/search.jsonl"):
        for params in ({"year": "20x4"}, {"sort": "sideways"}, {"from": "2024-13"}):
            assert reader.get(path, params=params).status_code == 400, (path, params)


def test_the_search_page_shows_the_export_menu(reader: httpx.Client) -> None:
    r = reader.get(
        "/search", params={"q": "energy", "language": "en", "page": "2", "per_page": "10"}
    )
    assert r.status_code == 200
    assert '<details class="export-menu">' in r.text and "<summary>Export</summary>" in r.text
    for path in ("/search.csv", "/search.jsonl"):
        href = f'href="{path}?q=energy&amp;language=en"'
        assert href in r.text, path
        # the link is the search: its export is what the search matches
        expected = dict(parse_qsl(urlsplit(f"{path}?q=energy&language=en").query))
        assert reader.get(path, params=expected).status_code == 200
    empty = reader.get("/search", params={"q": "nosuchwordanywhereqq"})
    assert "export-menu" not in empty.text


@pytest.fixture
def small_site(tmp_path: Path) -> Iterator[tuple[str, Archive]]:
    """Five documents, an export limit of three."""
    with Archive(_settings(tmp_path / "archive", export_limit=3)) as archive:
        for n in range(5):
            archive.add(f"Partisans crossed river number {n}.\n".encode(), f"r{n}.txt")
        with serving(create_app(archive)) as url:
            yield url, archive


def test_the_limit_truncates_and_says_so(small_site: tuple[str, Archive]) -> None:
    url, _ = small_site
    with httpx.Client(base_url=url, timeout=60) as client:
        expected = [hit["id"] for hit in client.get("/api/search?q=river").json()["hits"]]
        assert len(expected) == 5
        r = client.get("/search.csv", params={"q": "river"})
        assert r.headers["x-archive-export-truncated"] == "3 of 5"
        assert [int(row["id"]) for row in read_csv(r)] == expected[:3]
        r = client.get("/search.jsonl", params={"q": "river"})
        assert r.headers["x-archive-export-truncated"] == "3 of 5"
        *lines, last = read_jsonl(r)
        assert [line["id"] for line in lines] == expected[:3]
        assert last == {"truncated": True, "total": 5, "limit": 3}
        page = client.get("/search", params={"q": "river"}).text
        assert 'class="export-note">The first 3 of 5' in page
        assert "export-note" not in client.get("/search", params={"q": "number 4"}).text
        r = client.get("/search.jsonl", params={"q": "number 4"})
        assert "x-archive-export-truncated" not in r.headers
        assert all("truncated" not in line for line in read_jsonl(r))


@pytest.fixture
def private_site(tmp_path: Path) -> Iterator[tuple[str, Archive]]:
    with Archive(_settings(tmp_path / "archive", private=True)) as archive:
        archive.add(b"Partisans crossed the river in the winter offensive.\n", "a.txt")
        with serving(create_app(archive)) as url:
            yield url, archive


def test_a_private_archive_refuses_them_without_login(private_site: tuple[str, Archive]) -> None:
    url, archive = private_site
    archive.add_user("reader", PASSWORD, "reader")
    secret = archive.create_token("reader", "r", "read").secret
    with httpx.Client(base_url=url, timeout=60) as client:
        for path in ("/search.csv?q=river", "/search.jsonl?q=river"):
            refused = client.get(path)
            assert refused.status_code in (302, 303, 401, 403), path
            assert "Partisans" not in refused.text and "a.txt" not in refused.text
            allowed = client.get(path, headers={"Authorization": f"Bearer {secret}"})
            assert allowed.status_code == 200, (path, allowed.text[:200])
            assert "a.txt" in allowed.text


def test_exports_count_as_searches(tmp_path: Path) -> None:
    """Rate limited like a search: the same bucket as /search and /api/search."""
    with Archive(_settings(tmp_path / "archive", rate_limits="search=0.001/3")) as archive:
        archive.add(b"Partisans crossed the river.\n", "a.txt")
        with serving(create_app(archive)) as url, httpx.Client(base_url=url) as client:
            paths = ("/search.csv", "/search.jsonl?q=river", "/api/search", "/search.csv")
            statuses = [client.get(path).status_code for path in paths]
    assert statuses == [200, 200, 200, 429]


@pytest.fixture
def thousand_site(thousand_template: Path, tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "thousand"
    shutil.copytree(thousand_template, root)
    with Archive(_settings(root)) as archive, serving(create_app(archive)) as url:
        yield url


def test_a_thousand_documents_stream_in_batches(thousand_site: str) -> None:
    """More than Archive.export_search's batch of 500 catalog rows: all of them, once, in the
    search's order, streamed (chunked, no Content-Length) rather than built whole."""
    with httpx.Client(base_url=thousand_site, timeout=120) as client:
        expected: list[int] = []
        for page in range(1, 21):
            paged = {"per_page": "50", "page": str(page), "collapse": "false"}
            r = client.get("/api/search", params=paged)
            expected += [hit["id"] for hit in r.json()["hits"]]
        assert len(expected) == len(set(expected)) == 1000
        with client.stream("GET", "/search.jsonl") as r:
            assert r.headers.get("transfer-encoding") == "chunked"
            assert "content-length" not in r.headers
            body = r.read()
        assert [json.loads(line)["id"] for line in body.splitlines()] == expected
        rows = read_csv(client.get("/search.csv", params={"sort": "title"}))
        titled = client.get(
            "/api/search", params={"sort": "title", "per_page": "50", "collapse": "false"}
        ).json()
        assert [int(row["id"]) for row in rows[:50]] == [hit["id"] for hit in titled["hits"]]
        assert len(rows) == len({row["id"] for row in rows}) == 1000


# Text the catalog itself never holds (it folds whitespace in metadata), written straight to the
# format writers: they must stay valid whatever a future field carries.
RAW = 'a "q", b\r\nc\nd\re \x00\x01\x1f \u2028\u2029 \u202eRTL\u202c {"k": 1} & <x> \\ end'


def test_the_writers_keep_any_text_valid_and_exact() -> None:
    meta = Metadata(
        title=RAW, authors=(RAW, "B"), publication=RAW, date="2024-02", language="uk",
        tags=(RAW,), url=RAW,
    )  # fmt: skip
    doc = Document(7, "0" * 64, RAW, "txt", 1, meta, (), "2026-01-01T00:00:00+00:00")
    export = SearchExport(total=9, limit=1, documents=iter([doc]))
    text = b"".join(csv_body(export, "http://h")).decode("utf-8")
    header, row = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(header) == COLUMNS
    cells = dict(zip(COLUMNS, row, strict=True))
    assert cells["title"] == cells["publication"] == cells["url"] == cells["filename"] == RAW
    assert cells["authors"] == f"{RAW}; B" and cells["tags"] == RAW
    export = SearchExport(total=9, limit=1, documents=iter([doc]))
    body = b"".join(jsonl_body(export, "http://h")).decode("utf-8")
    assert "\u2028" not in body and "\u2029" not in body
    first, last = body.split("\n")[:-1]
    assert json.loads(first)["title"] == RAW and json.loads(first)["authors"] == [RAW, "B"]
    assert json.loads(last) == {"truncated": True, "total": 9, "limit": 1}
