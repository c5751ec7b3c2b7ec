"""A server whose searches run in search processes (Settings.search_processes, archive.core.
searchers): real uvicorn, real processes, a real index and its worker.

Every write acknowledged is found by the next search whichever process answers it, a trash hides
the document at once, a killed search process is replaced while searches answer (a 503 at worst,
never a 500 or a hang), and the search processes end with their server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from archive import Archive
from archive.config import Settings
from archive.models import SearchQuery
from archive.web import create_app
from tests.live_server import serving

from .conftest import REPO

PROCESSES = 2
PASSWORD = "a long enough password"


@dataclass
class Server:
    archive: Archive
    url: str
    token: dict[str, str]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    settings = Settings(
        root=tmp_path / "archive",
        rate_limits="off",
        search_processes=PROCESSES,
        search_wait_seconds=20,
        password_time_cost=1,
        password_memory_kib=8,
        password_parallelism=1,
    )
    with Archive(settings, background=True) as archive:
        archive.add_user("archivist", PASSWORD, "archivist")
        secret = archive.create_token("archivist", "t", "write").secret
        with serving(create_app(archive)) as url:
            yield Server(archive, url, {"Authorization": f"Bearer {secret}"})


def word(n: int) -> str:
    """A word of its own for each upload (letters only: digits are not words to the index)."""
    return "quokka" + "".join("bcdfghjklm"[int(d)] for d in str(n))


def upload(client: httpx.Client, server: Server, n: int) -> int:
    payload = {
        "title": f"Field note {n}",
        "text": f"The {word(n)} was seen near the salt lake at dawn, foraging alone.",
        "filename": f"note-{n}.txt",
        "language": "en",
    }
    r = client.post("/api/documents", json=payload, headers=server.token)
    assert r.status_code == 201, r.text
    assert r.json()["searchable"] is True, r.text
    return r.json()["id"]


def found(client: httpx.Client, text: str) -> list[int]:
    r = client.get("/api/search", params={"q": text})
    assert r.status_code == 200, r.text
    return [hit["id"] for hit in r.json()["hits"]]


def searched(client: httpx.Client, text: str) -> int:
    return client.get("/api/search", params={"q": text}).status_code


def searched_by_all(url: str, text: str, times: int) -> list[list[int]]:
    """The same search sent `times` times at once (each process answers some of them)."""
    with ThreadPoolExecutor(times) as pool:

        def one(_: int) -> list[int]:
            with httpx.Client(base_url=url, timeout=60) as client:
                return found(client, text)

        return list(pool.map(one, range(times)))


def wait_for(condition, timeout: float = 60.0) -> None:  # noqa: ANN001 - a predicate
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_every_acknowledged_upload_is_found_by_the_next_search(server: Server) -> None:
    wait_for(lambda: len(server.archive.search_processes) == PROCESSES)
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for n in range(10):
            doc_id = upload(client, server, n)
            # one after another the processes take turns (the free one waited longest goes
            # first), so these reach every process, each with the commit new to it
            for _ in range(PROCESSES + 1):
                assert found(client, word(n)) == [doc_id]
            assert all(ids == [doc_id] for ids in searched_by_all(server.url, word(n), 4))
        assert len(found(client, "salt lake")) == 10


def test_a_trashed_document_is_hidden_from_the_next_search(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        kept, trashed = upload(client, server, 1), upload(client, server, 2)
        assert sorted(found(client, "foraging")) == sorted([kept, trashed])
        for _ in range(PROCESSES):  # every process has seen it
            assert found(client, word(2)) == [trashed]
        r = client.delete(f"/api/documents/{trashed}", headers=server.token)
        assert r.status_code == 200 and r.json()["status"] == "trashed", r.text
        for _ in range(PROCESSES + 1):
            assert found(client, word(2)) == []
            assert found(client, "foraging") == [kept]
        assert client.get(f"/documents/{trashed}").status_code == 404
        assert client.get(f"/api/documents/{trashed}/similar").status_code == 404


def test_errors_and_other_searches_cross_from_the_processes(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        doc_id = upload(client, server, 3)
        r = client.get("/api/search", params={"q": '"unclosed'})
        assert r.status_code == 400 and "quote" in r.json()["error"], r.text
        assert client.get("/api/documents/999999/similar").status_code == 404
        page = client.get(f"/documents/{doc_id}", params={"q": word(3)})
        assert page.status_code == 200 and f"<mark>{word(3)}</mark>" in page.text
        r = client.get("/api/suggest", params={"q": "fiel"})
        assert r.status_code == 200, r.text
        assert "Field note 3" in [s["text"] for s in r.json()["suggestions"]]
        r = client.get("/api/facets/language", params={"q": word(3)})
        assert r.status_code == 200 and r.json()["values"][0]["value"] == "en", r.text


def test_a_killed_search_process_is_replaced(server: Server) -> None:
    wait_for(lambda: len(server.archive.search_processes) == PROCESSES)
    before = server.archive.search_processes
    with httpx.Client(base_url=server.url, timeout=60) as client:
        doc_id = upload(client, server, 4)
        os.kill(before[0], signal.SIGKILL)
        statuses = []
        for _ in range(2 * PROCESSES):  # the killed one's turn comes: refused, or sent on
            r = client.get("/api/search", params={"q": word(4)})
            statuses.append(r.status_code)
            if r.status_code == 503:
                assert "try again" in r.json()["error"] and r.headers["Retry-After"] == "1"
            else:
                assert r.status_code == 200 and [h["id"] for h in r.json()["hits"]] == [doc_id]
        assert set(statuses) <= {200, 503} and 200 in statuses
        wait_for(lambda: len(server.archive.search_processes) == PROCESSES)
        after = server.archive.search_processes
        assert before[0] not in after and before[1] in after
        later = upload(client, server, 5)  # the new process, too, sees every commit
        for _ in range(PROCESSES + 1):
            assert found(client, word(5)) == [later]


def test_a_search_process_that_stops_answering_is_replaced(tmp_path: Path) -> None:
    """A hung process (stopped here) costs its search a 503 after search_wait_seconds, never a
    hang, and is replaced."""
    settings = Settings(
        root=tmp_path / "archive", rate_limits="off", search_processes=1, search_wait_seconds=2
    )
    with Archive(settings, background=True) as archive, serving(create_app(archive)) as url:
        archive.add(b"Pelicans fish in the shallow bay.", "a.txt")
        assert archive.wait_searchable(30)
        wait_for(lambda: len(archive.search_processes) == 1)
        [stuck] = archive.search_processes
        os.kill(stuck, signal.SIGSTOP)
        with httpx.Client(base_url=url, timeout=60) as client:
            began = time.monotonic()
            r = client.get("/api/search", params={"q": "pelicans"})
            assert r.status_code == 503 and "no answer within 2 s" in r.json()["error"], r.text
            assert time.monotonic() - began < 10
            wait_for(lambda: archive.search_processes not in ([], [stuck]))
            assert not _alive(stuck)  # killed, though stopped
            # its successor answers once started (a 503 until then: the wait here is 2 s)
            statuses = []
            wait_for(lambda: statuses.append(searched(client, "pelicans")) or statuses[-1] == 200)
            assert set(statuses) <= {200, 503}


SERVE = [sys.executable, "-m", "archive", "--root", "{root}", "serve", "--port", "{port}"]


def _children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is pid."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(stat[1]) == pid and stat[0] != "Z":
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_search_processes_end_with_their_server(tmp_path: Path, how: signal.Signals) -> None:
    port = free_port()
    env = {**os.environ, "ARCHIVE_SEARCH_PROCESSES": str(PROCESSES)}
    command = [part.format(root=tmp_path / "archive", port=port) for part in SERVE]
    server = subprocess.Popen(command, cwd=REPO, env=env, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            try:
                return httpx.get(f"{url}/api/search", params={"q": "x"}).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(answers)
        # the search processes and the index worker (started by the first round)
        wait_for(lambda: len(_children(server.pid)) >= PROCESSES)
        children = _children(server.pid)
        server.send_signal(how)
        server.wait(30)
        wait_for(lambda: not any(_alive(pid) for pid in children), timeout=15)
    finally:
        server.kill()
        server.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_searches_in_one_process_of_its_own_by_default(tmp_path: Path) -> None:
    """Settings' default (issue 12): the server keeps the requests and the uploads' work, one
    search process the searches; its answer is the one the server would give itself."""
    settings = Settings(root=tmp_path / "archive", rate_limits="off")
    with Archive(settings, background=True) as archive:
        wait_for(lambda: len(archive.search_processes) == 1)
        [pid] = archive.search_processes
        assert pid != os.getpid()
        doc = archive.add(b"A note on the zanzibarian archive.", "note.txt")
        assert archive.wait_searchable(30)
        assert [h.id for h in archive.search(SearchQuery(text="zanzibarian")).hits] == [doc.id]
        assert archive.search_processes == [pid]  # the same process answered
