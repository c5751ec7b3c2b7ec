"""Hostile uploads against a real server: each gets its 4xx quickly, nothing lands outside
uploads/ (and index/), hostile file names are made safe, traversal in ids is a 404, and the server
keeps answering. The hostile files are the extraction tests' builders (tests/test_extract_*.py);
here they travel through HTTP, the API and the archivist's /upload form alike.
"""

from __future__ import annotations

import io
import socket
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from archive.config import Settings
from archive.core.archive import Archive
from archive.web import create_app
from tests.live_server import serving
from tests.test_extract_docx import report_docx, rezip
from tests.test_extract_hostile import CATALOG, LAUGHS, XXE
from tests.test_extract_pdf import report_pdf, serialize

LIMIT = 256 * 1024  # a small upload limit keeps "one byte over" cheap
QUICK = 10.0  # seconds: a refusal within the extraction sandbox's own limits
SENTINEL = "root:x:0:0:sentinel\n"


@dataclass
class Server:
    url: str
    root: Path  # the archive's data root
    outside: Path  # a folder beside it, with a passwd file the traversal attempts aim at
    token: dict[str, str]
    session: dict[str, str]  # an archivist's cookie and CSRF token, for the /upload form


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("hostile-uploads")
    outside = base / "etc"
    outside.mkdir()
    (outside / "passwd").write_text(SENTINEL)
    settings = Settings(
        root=base / "srv" / "archive",
        max_upload_bytes=LIMIT,
        rate_limits="off",
        password_time_cost=1,
        password_memory_kib=8,
        password_parallelism=1,
    )
    with Archive(settings, background=True) as archive:
        archive.add_user("archivist", "a long enough password", "archivist")
        secret = archive.create_token("archivist", "t", "write").secret
        opened = archive.login("archivist", "a long enough password")
        with serving(create_app(archive)) as url:
            session = {"Cookie": f"archive_session={opened.secret}", "X-CSRF-Token":
                       opened.session.csrf, "Origin": url}  # fmt: skip
            yield Server(url, settings.root, outside, {"Authorization": f"Bearer {secret}"},
                         session)  # fmt: skip


def tree(root: Path) -> dict[str, int]:
    """Every file under root with its size, except the archive's own data folders."""
    return {
        str(p.relative_to(root)): p.stat().st_size
        for p in root.rglob("*")
        if p.is_file() and not {"uploads", "index"} & set(p.relative_to(root).parts)
    }


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    """A client; after the test, nothing changed outside uploads/ and the server still answers."""
    base = server.root.parents[1]
    before = tree(base)
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c
        assert c.get("/api/search", params={"q": "x"}).status_code == 200
    assert tree(base) == before
    assert (server.outside / "passwd").read_text() == SENTINEL


BOUNDARY = "hostile-boundary-7d1f"


def multipart(name: str, data: bytes) -> bytes:
    """A one-file form with the name's bytes as they are: httpx would percent-encode NUL, CR
    and LF, and an attacker's client does not have to."""
    head = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n")  # fmt: skip
    return head.encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def upload(client: httpx.Client, server: Server, name: str, data: bytes, form: bool = False):
    """POST one file through the API (a token) or the /upload page (a session); (response, s)."""
    path, headers = ("/upload", server.session) if form else ("/api/documents", server.token)
    headers = {**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    started = time.monotonic()
    response = client.post(path, content=multipart(name, data), headers=headers)
    return response, time.monotonic() - started


# --- limits -------------------------------------------------------------------------------------
@pytest.mark.parametrize("form", [False, True], ids=["api", "form"])
def test_one_byte_over_the_limit_is_413(client: httpx.Client, server: Server, form: bool) -> None:
    response, seconds = upload(client, server, "big.txt", b"a" * (LIMIT + 1), form)
    assert response.status_code == 413 and seconds < QUICK


@pytest.mark.parametrize("form", [False, True], ids=["api", "form"])
def test_ten_thousand_fields_and_a_huge_nameless_field_are_refused(
    client: httpx.Client, server: Server, form: bool
) -> None:
    path, headers = ("/upload", server.session) if form else ("/api/documents", server.token)
    files = {"file": ("a.txt", b"Some text about a river.\n")}
    for data in ({"tag": [f"t{i}" for i in range(10_000)]}, {"title": "t" * (2 * LIMIT)}):
        response = client.post(path, files=files, data=data, headers=headers)
        assert response.status_code in (400, 413), response.text[:300]
    many = {f"f{i}": "x" for i in range(10_000)}
    response = client.post(path, files=files, data=many, headers=headers)
    assert response.status_code in (400, 413)


# --- names --------------------------------------------------------------------------------------
NAMES = {
    "../../../etc/passwd.txt": "passwd.txt",
    "..\\..\\..\\etc\\passwd.txt": "passwd.txt",
    "/etc/passwd.txt": "passwd.txt",
    "C:\\Windows\\System32\\notes.txt": "notes.txt",
    "nul\x00byte.txt": "nulbyte.txt",
    # the form's own header line ends at the CR LF: the parser reads the name up to there
    "crlf\r\nSet-Cookie: stolen=1.txt": '"crlf',
    "tab\tand\x1bescape.txt": "tab andescape.txt",
    "invoice\u202etxt.exe.txt": "invoicetxt.exe.txt",
    "<script>alert(1)<\\script>.txt": "script>.txt",
    '"><img src=x onerror=alert(1)>.txt': '"><img src=x onerror=alert(1)>.txt',
    "CON": "_CON",
    "NUL.txt": "_NUL.txt",
    "COM1": "_COM1",
    "  ..hidden.txt": "hidden.txt",
}


@pytest.mark.parametrize("name", list(NAMES), ids=[repr(n)[:30] for n in NAMES])
def test_a_hostile_file_name_is_made_safe_where_it_is_shown(
    client: httpx.Client, server: Server, name: str
) -> None:
    text = f"A note about the river, filed as {name!r}.\n".encode()
    response, _ = upload(client, server, name, text)
    assert response.status_code == 201, response.text[:300]
    doc = response.json()
    assert doc["filename"] == NAMES[name]
    original = client.get(doc["original"])
    assert original.status_code == 200 and original.content == text
    disposition = original.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert disposition.isascii() and "\r" not in disposition and "\n" not in disposition
    fallback = disposition.split('"')[1]
    assert "/" not in fallback and "\\" not in fallback and ".." not in fallback.strip("_")
    page = client.get(f"/documents/{doc['id']}")
    # shown escaped, as text: no markup of the name's own reaches the page
    assert "<script>alert" not in page.text and "<img src=x" not in page.text


# --- hostile contents ---------------------------------------------------------------------------
def polyglot() -> bytes:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as z:
        z.writestr("payload.html", "<script>alert(1)</script>")
    return report_pdf() + packed.getvalue()


def docm() -> bytes:
    return rezip(report_docx(), {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"})


HOSTILE_FILES = {
    "executable as pdf": ("invoice.pdf", lambda: b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200),
    "windows exe as pdf": ("invoice.pdf", lambda: b"MZ\x90\x00\x03\x00" + b"\x00" * 200),
    "pdf/zip polyglot": ("report.pdf", polyglot),
    "svg with script": ("logo.svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg">'
                        b"<script>alert(1)</script></svg>"),
    "docm as docx": ("letter.docx", docm),
    "zip bomb as docx": ("bomb.docx", lambda: rezip(report_docx(),
                         {"word/media/zeros.bin": b"\x00" * (10 * 1024 * 1024)})),
    "billion laughs": ("laughs.docx", lambda: rezip(report_docx(), {"word/document.xml": LAUGHS})),
    "external entity": ("xxe.docx", lambda: rezip(report_docx(), {"word/document.xml": XXE})),
    "circular pdf": ("loop.pdf", lambda: serialize([CATALOG, b"3 0 R", b"2 0 R"])),
    "self-drawing pdf form": ("form.pdf", lambda: serialize([
        CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /XObject << /Fm1 5 0 R >> >> >>",
        b"<< /Length 7 >>\nstream\n/Fm1 Do\nendstream",
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 9 9] /Resources << /XObject << /Fm1 5 0 R"
        b" >> >> /Length 7 >>\nstream\n/Fm1 Do\nendstream"])),
    "an empty file": ("empty.txt", lambda: b""),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(HOSTILE_FILES))
@pytest.mark.parametrize("form", [False, True], ids=["api", "form"])
def test_a_hostile_file_gets_its_4xx_quickly(
    client: httpx.Client, server: Server, kind: str, form: bool
) -> None:
    name, build = HOSTILE_FILES[kind]
    response, seconds = upload(client, server, name, build(), form)
    assert 400 <= response.status_code < 500, (kind, response.status_code, response.text[:300])
    assert seconds < QUICK, (kind, seconds)
    if not form:
        assert response.json()["ok"] is False


def test_html_renamed_txt_is_accepted_as_html_without_its_script(
    client: httpx.Client, server: Server
) -> None:
    page = (
        b"<html><body><h1>Notice</h1><p>Read me, river.</p><script>alert(1)</script></body></html>"
    )
    response, _ = upload(client, server, "notice.txt", page)
    assert response.status_code == 201
    doc = response.json()
    assert doc["format"] == "html"
    assert "alert" not in " ".join(b["text"] for b in doc["blocks"])


def test_deeply_nested_html_is_quick_and_harmless(client: httpx.Client, server: Server) -> None:
    page = b"<html><body>" + b"<div>" * 50_000 + b"deep river" + b"</div>" * 50_000 + b"</body>"
    response, seconds = upload(client, server, "deep.html", page)
    assert response.status_code in (201, 413, 415, 422) and seconds < QUICK


# --- traversal in document ids ------------------------------------------------------------------
TRAVERSALS = [
    "/documents/..%2f..%2fetc%2fpasswd",
    "/documents/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/documents/%2e%2e/%2e%2e/etc/passwd",
    "/documents/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/documents/..%5c..%5cetc%5cpasswd",
    "/documents/%5c..%5c..%5cetc%5cpasswd",
    "/documents/1%2f..",
    "/documents/1%2f..%2f..%2f..%2fetc%2fpasswd",
    "/documents/1/original%2f..%2f..%2fetc%2fpasswd",
    "/documents/%2e%2e%2f1/original",
    "/documents/1%00",
    "/documents/-1",
    "/documents/0",
    "/documents/99999999999999999999999999",
    "/documents/1e3",
    "/api/documents/..%2f..%2fetc%2fpasswd",
    "/api/documents/1%2f..%2f2",
    "/api/documents/%2e%2e%5c%2e%2e%5cetc%5cpasswd",
    "/api/documents/99999999999999999999999999",
    "/api/documents/1/similar%2f..%2f..%2fetc%2fpasswd",
    "/static/..%2f..%2fconfig.py",
    "/static/%2e%2e/%2e%2e/config.py",
    "/static/..%5c..%5cconfig.py",
]


def raw_get(url: str, target: str) -> tuple[int, bytes]:
    """GET `target` byte for byte (no client normalising dots or escapes); (status, body)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n"
                  .encode())  # fmt: skip
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_in_a_document_id_is_a_404(
    client: httpx.Client, server: Server, target: str
) -> None:
    status, body = raw_get(server.url, target)
    assert status in (400, 404), (target, status, body[:200])
    assert b"root:" not in body and b"Settings" not in body
