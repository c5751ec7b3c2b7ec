"""Hostile files: each ends quickly in a 4xx ArchiveError (or, for HTML renamed .txt, is read as
what it is), and the test process, standing in for the server, is unharmed.

The bombs are built here, small on disk: a few KB each that unpack to many MB.
"""

from __future__ import annotations

import builtins
import io
import resource
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from docx.oxml.parser import parse_xml
from lxml.etree import XMLSyntaxError

from archive.errors import ArchiveError, InvalidUpload, UnsupportedFormat
from archive.ingest.extract import Limits, detect, docx, extract, sandbox
from tests.conftest import CRS_PDF
from tests.test_extract_docx import report_docx, rezip
from tests.test_extract_pdf import build_pdf, report_pdf, serialize, text_stream

# Tight enough for a test, far above what the real files here need (~0.5 s, ~100 MB).
TIGHT = Limits(wall_seconds=3.0, cpu_seconds=2, memory_bytes=192 * 1024 * 1024)
W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


@pytest.fixture(autouse=True)
def quick_and_harmless() -> Iterator[None]:
    """Every case here ends within 5 s, and the test process grows by less than 100 MB: the
    parsing happened in a sandboxed child, not in us."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    yield
    assert time.monotonic() - start < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KiB


def refused(data: bytes, name: str, limits: Limits = TIGHT) -> ArchiveError:
    with pytest.raises(ArchiveError) as caught:
        extract(data, name, limits=limits)
    assert 400 <= caught.value.status < 500, caught.value
    assert caught.value.message.startswith(f"{name}: ")
    return caught.value


# -- wrong type behind a right name -------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200, b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200],
    ids=["elf", "windows-exe"],
)
def test_an_executable_renamed_pdf_is_refused(data: bytes) -> None:
    error = refused(data, "invoice.pdf")
    assert error.status == 415 and "executable" in error.message


def test_html_renamed_txt_is_read_as_html() -> None:
    page = b"<html><body><h1>Notice</h1><p>Read me.</p><script>alert(1)</script></body></html>"
    assert detect(page, "notice.txt") == "html"
    got = extract(page, "notice.txt")
    assert got.format == "html"  # stored as .html, not .txt
    assert "alert" not in got.text and "Read me." in got.text


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    ],
    ids=["svg", "svg-with-prolog"],
)
def test_an_svg_with_script_is_refused(data: bytes) -> None:
    assert refused(data, "logo.svg").status == 415


def test_a_pdf_zip_polyglot_is_refused() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload.html", "<script>alert(1)</script>")
    error = refused(report_pdf() + archive.getvalue(), "report.pdf")
    assert error.status == 415 and "polyglot" in error.message
    # The other way round: a DOCX that a PDF reader would open too (%PDF in its first 1 KB).
    pdf_first = rezip(report_docx(), {"0.pdf": b"%PDF-1.7\n"})
    stored_first = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(pdf_first)) as src, zipfile.ZipFile(stored_first, "w") as dst:
        dst.writestr("0.pdf", b"%PDF-1.7\n")
        for item in src.infolist():
            if item.filename != "0.pdf":
                dst.writestr(item, src.read(item))
    error = refused(stored_first.getvalue(), "letter.docx")
    assert error.status == 415 and "polyglot" in error.message


# -- broken and looping PDFs ---------------------------------------------------------------------


def test_a_truncated_pdf_is_refused() -> None:
    data = CRS_PDF.read_bytes()  # a real report, cut
    error = refused(data[: len(data) * 6 // 10], "cut.pdf")
    assert error.status == 422 and "truncated" in error.message


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"


@pytest.mark.parametrize(
    "objects",
    [
        # a page tree that contains itself
        [CATALOG, b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
         b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>"],
        # objects that are references to each other
        [CATALOG, b"3 0 R", b"2 0 R"],
        # a form that draws itself, forever
        [CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
         b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
         b"/Resources << /XObject << /Fm1 5 0 R >> >> >>",
         b"<< /Length 7 >>\nstream\n/Fm1 Do\nendstream",
         b"<< /Type /XObject /Subtype /Form /BBox [0 0 9 9] /Resources << /XObject << /Fm1 5 0 R"
         b" >> >> /Length 7 >>\nstream\n/Fm1 Do\nendstream"],
    ],
    ids=["page-tree-cycle", "reference-cycle", "self-drawing-form"],
)  # fmt: skip
def test_a_pdf_with_circular_references_is_refused(objects: list[bytes]) -> None:
    assert refused(serialize(objects), "loop.pdf").status == 422


def one_page(chunk: bytes, times: int) -> bytes:
    """A page whose content stream is `chunk` repeated, compressed: built a chunk at a time, so
    the test process never holds the unpacked stream."""
    packer = zlib.compressobj(9)
    packed = b"".join(packer.compress(chunk) for _ in range(times)) + packer.flush()
    return serialize(
        [
            CATALOG,
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packed), packed),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def test_a_pdf_that_keeps_the_parser_busy_is_stopped_by_the_time_limit() -> None:
    # 3 million tiny text operations (an unclosed BT is fine): 42 MB of content in 80 KB.
    data = one_page(b"BT /F1 10 Tf " + b"(a) Tj 1 0 Td " * 30_000, 100)
    assert len(data) < 100_000
    error = refused(data, "busy.pdf", Limits(wall_seconds=2.0, cpu_seconds=1))
    assert error.status == 422 and "it took too long" in error.message


def test_a_stream_bomb_is_stopped_by_the_memory_limit() -> None:
    data = one_page(b"\x00" * 1024 * 1024, 200)  # 200 MB of zeros in 200 KB
    assert len(data) < 250_000
    # 128 MiB of address space: a child holds ~90 MB of it before it reads (its helper imports
    # only the extractors' modules since 2fe3908: 23 MB before pypdf, 168 MB with the whole
    # archive), and at 192 MiB pypdf's own decompression limit (75 MB) stops it first
    error = refused(data, "bomb.pdf", replace(TIGHT, memory_bytes=128 * 1024 * 1024))
    assert error.status == 422 and "used too much memory" in error.message
    # With room to spare, pypdf's own decompression limit (75 MB) stops it instead.
    roomy = Limits(wall_seconds=4.0, cpu_seconds=3)
    assert "safety limit" in refused(data, "bomb.pdf", roomy).message


def test_a_huge_length_is_refused_not_believed() -> None:
    page = text_stream([(700, "F1", 10, "Some text.")])
    data = build_pdf([page]).replace(b"/Length %d " % len(page), b"/Length 99999999999 ")
    assert b"99999999999" in data
    assert refused(data, "long.pdf").status == 422


# -- ZIP and XML bombs in DOCX -------------------------------------------------------------------


def test_a_zip_bomb_named_docx_is_refused() -> None:
    bomb = rezip(report_docx(), {"word/media/zeros.bin": b"\x00" * (10 * 1024 * 1024)})
    assert len(bomb) < 60_000
    error = refused(bomb, "bomb.docx")
    assert error.status == 422 and "zip bomb" in error.message


def test_package_limits_count_parts_and_unpacked_size(monkeypatch: pytest.MonkeyPatch) -> None:
    # Called in-process with lowered limits: the real ones need megabytes of test data.
    data = report_docx()
    monkeypatch.setattr(docx, "MAX_MEMBERS", 5)
    with pytest.raises(InvalidUpload, match="parts, over the limit of 5"):
        docx.check_package(data)
    monkeypatch.setattr(docx, "MAX_MEMBERS", 5000)
    monkeypatch.setattr(docx, "MAX_UNPACKED", 10_000)
    with pytest.raises(InvalidUpload, match="unpacks to .* over the limit of 10,000"):
        docx.check_package(data)


ENTITIES = b"".join(
    b'<!ENTITY lol%d "%s">\n' % (n, b"&lol%d;" % (n - 1) * 10) for n in range(1, 10)
)
LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE w:document [\n<!ENTITY lol0 "lol">\n%s]>\n'
    b"<w:document %s><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
) % (ENTITIES, W)
XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b"<w:document %s><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>" % W
)

XXE_UTF16 = XXE.replace(b'"1.0"', b'"1.0" encoding="UTF-16"').decode().encode("utf-16")


def test_a_billion_laughs_docx_is_refused() -> None:
    error = refused(rezip(report_docx(), {"word/document.xml": LAUGHS}), "laughs.docx")
    assert error.status == 422 and "DTD" in error.message


@pytest.mark.parametrize(
    ("part", "body"),
    [
        ("word/document.xml", XXE),
        ("word/styles.xml", XXE),
        ("word/document.xml", XXE_UTF16),
        ("[Content_Types].xml", XXE),
    ],
    ids=["document", "styles", "utf-16", "content-types"],
)  # fmt: skip
def test_an_external_entity_docx_is_refused(part: str, body: bytes) -> None:
    error = refused(rezip(report_docx(), {part: body}), "xxe.docx")
    assert error.status == 422 and "DTD" in error.message
    assert "root:" not in error.message


def test_python_docx_parser_would_not_expand_entities_either() -> None:
    # The second line of defence, should a DTD ever get past the scan: python-docx's lxml parser
    # resolves no entities and reads no files. If a python-docx upgrade changes that, this fails.
    passwd = Path("/etc/passwd").read_text()
    assert "root:" in passwd
    text = "".join(parse_xml(XXE).itertext())
    assert "root:" not in text
    start = time.monotonic()
    try:
        laughs = "".join(parse_xml(LAUGHS).itertext())
    except XMLSyntaxError as exc:  # libxml2's own guard may refuse it outright: fine too
        assert "amplification" in str(exc)
    else:
        assert len(laughs) < 1000
    assert time.monotonic() - start < 1


@pytest.mark.parametrize("vba_only", [False, True], ids=["content-type", "vba-project"])
def test_a_docm_renamed_docx_is_refused(vba_only: bool) -> None:
    data = report_docx()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        types = z.read("[Content_Types].xml")
    if not vba_only:
        types = types.replace(
            b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml"
        ).replace(
            b"application/vnd.openxmlformats-officedocument.ms-word", b"application/vnd.ms-word"
        )
        assert b"application/vnd.ms-word.document.macroEnabled.main+xml" in types
    parts = {"[Content_Types].xml": types}
    if vba_only:  # the macros themselves, under an innocent content type
        parts["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0"
    docm = rezip(data, parts)
    error = refused(docm, "letter.docx")
    assert error.status == 415 and "macro-enabled" in error.message


# -- deep HTML -----------------------------------------------------------------------------------


def test_deeply_nested_html_is_quick_and_harmless() -> None:
    page = (
        b"<html><body>"
        + b"<div>" * 100_000
        + b"deep text"
        + b"</div>" * 100_000
        + b"</body></html>"
    )
    try:
        got = extract(page, "deep.html")
    except ArchiveError as exc:  # refusing it would be fine too, as long as it is a 4xx
        assert 400 <= exc.status < 500
    else:
        assert "deep text" in got.text


# -- the sandbox itself --------------------------------------------------------------------------
# builtins.exec stands in for a parser that misbehaves in each way a parser can.


CPU_FIRST = Limits(wall_seconds=4.5, cpu_seconds=1, memory_bytes=192 * 1024 * 1024)
WALL_FIRST = Limits(wall_seconds=1.0, cpu_seconds=4)


@pytest.mark.parametrize(
    ("code", "limits", "message"),
    [
        # A generous wall clock, so that the CPU limit fires first even on a busy machine.
        ("while True: pass", CPU_FIRST, "took too long (over 1 s of CPU time)"),
        ("import time; time.sleep(60)", WALL_FIRST, "took too long (over 1 s)"),
        ("x = bytearray(512 * 1024 * 1024)", CPU_FIRST, "used too much memory (over 192 MiB)"),
        ("import ctypes; ctypes.string_at(0)", CPU_FIRST, "crashed"),
        ("raise ValueError('bad table')", CPU_FIRST, "could not be read (ValueError: bad table)"),
    ],
    ids=["cpu", "wall-clock", "memory", "segfault", "exception"],
)
def test_the_sandbox_turns_every_failure_into_a_422(
    code: str, limits: Limits, message: str
) -> None:
    with pytest.raises(InvalidUpload) as caught:
        sandbox.run(builtins.exec, code, limits)
    assert type(caught.value) is InvalidUpload and message in caught.value.message


def test_the_sandbox_keeps_an_extractors_status() -> None:
    code = "from archive.errors import UnsupportedFormat; raise UnsupportedFormat('not ours')"
    with pytest.raises(UnsupportedFormat, match="not ours"):
        sandbox.run(builtins.exec, code, TIGHT)


def test_after_all_that_a_good_file_still_reads() -> None:
    assert extract(report_pdf(), "survey.pdf").blocks[0].text == "The River Survey"
    assert extract(report_docx(), "harvest.docx").blocks[0].text == "Harvest Report 2023"
