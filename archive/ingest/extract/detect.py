"""What an upload is, judged by its bytes: the file name only breaks a tie between text kinds.

PDF and DOCX are recognised here too, cheaply and without their parsers: a PDF by its header
(and refused when it is also a ZIP: a polyglot means different things to different readers),
a DOCX by its ZIP directory and its [Content_Types].xml (macro-enabled documents are refused).
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from pathlib import PurePath
from xml.etree import ElementTree

from archive.errors import InvalidUpload, UnsupportedFormat
from archive.ingest.extract import encoding, unpack

ACCEPTED = (
    "accepted types are plain text, Markdown, HTML, JSONL, PDF, DOCX and images to read by OCR"
    " (PNG, JPEG, TIFF)"
)
# Images read by OCR (image.py), by their magic bytes; other images are refused (_MAGIC).
IMAGES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)

# (magic at offset 0, what it is); checked in order, so longer/more specific magics come first.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document (DOC/XLS/PPT)"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x7fELF", "an executable (ELF)"),
    (b"\xca\xfe\xba\xbe", "a compiled program (Java class or Mach-O)"),
    (b"\xcf\xfa\xed\xfe", "an executable (Mach-O)"),
    (b"\x00asm", "a WebAssembly module"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xfd7zXZ\x00", "an XZ archive"),
    (b"\x28\xb5\x2f\xfd", "a Zstandard archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"OggS", "an Ogg audio/video file"),
    (b"fLaC", "a FLAC audio file"),
    (b"ID3", "an MP3 audio file"),
    (b"{\\rtf", "an RTF document"),
    (b"%!PS", "a PostScript file"),
)
_ZIP_KINDS = (
    (b"word/", "a Word (DOCX) document"),
    (b"xl/", "an Excel (XLSX) workbook"),
    (b"ppt/", "a PowerPoint (PPTX) presentation"),
    (b"application/epub+zip", "an EPUB book"),
    (b"application/vnd.oasis.opendocument", "an OpenDocument file"),
)
_HTML_START = re.compile(
    r"\A(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]"
    r"|<(?:meta|title|div|p|article|section|h[1-6]|table|ul|main|span|a)[\s>/])",
    re.IGNORECASE | re.DOTALL,
)
_MD_LINE = re.compile(
    r"^(?:#{1,6}\s+\S|```|~~~|>\s|[-*+]\s+\S|\d+\.\s+\S|(?:=+|-+)\s*$|\|.*\|)", re.MULTILINE
)
_MD_STRONG = re.compile(r"^(?:#{1,6}\s+\S|```|~~~)", re.MULTILINE)
_MD_INLINE = re.compile(r"!?\[[^\]\n]+\]\([^)\s]+\)|\*\*[^*\n]+\*\*|`[^`\n]+`|__[^_\n]+__")
_MD_NAMES = (".md", ".markdown", ".mdown", ".mkd")
JSON_NAMES = (".json",)
JSONL_NAMES = (".jsonl", ".ndjson")
# What JSONL sniffing reads: the first lines of the first megabyte.
SNIFF_LINES = 50
SNIFF_BYTES = 1024 * 1024
_SPACE = re.compile(rb"\s+")
_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_EOCD = struct.Struct("<4s4H2LH")  # the ZIP end-of-central-directory record
# A DOCX's directory lists tens of parts; these bound what the (server-side) sniffing reads.
MAX_ZIP_DIRECTORY = 1024 * 1024
MAX_CONTENT_TYPES = 1024 * 1024
_CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def _refuse(name: str, what: str) -> UnsupportedFormat:
    return UnsupportedFormat(f"{name or 'upload'}: this is {what}; {ACCEPTED}")


def declares_dtd(xml: bytes) -> bool:
    """Whether XML bytes declare a DTD or an entity; UTF-16/32 is checked with its NULs removed."""
    if _DTD.search(xml):
        return True
    return b"\x00" in xml[:4] and bool(_DTD.search(xml.replace(b"\x00", b"")))


def _zip_directory(data: bytes) -> tuple[int, int] | None:
    """(central directory offset, size) from a well-formed end record in the last 64 KB (where
    ZIP readers look for it), else None.

    Read by hand because zipfile parses the whole directory before any check could run: a
    50 MB upload can hold a million entries.
    """
    start = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if start < 0 or len(data) - start < _EOCD.size:
        return None
    *_, entries, size, offset, comment = _EOCD.unpack_from(data, start)
    if start + _EOCD.size + comment > len(data):
        return None  # a stray signature inside other data, not an end record
    directory = start - size  # offsets may be shifted by data prepended to the ZIP
    if directory < 0 or (entries and data[directory : directory + 4] != b"PK\x01\x02"):
        return None
    return offset, size


def _pdf_kind(data: bytes, name: str) -> str:
    if _zip_directory(data) is not None:
        raise _refuse(name, "a PDF that is also a ZIP archive (a polyglot file)")
    return "pdf"


def _zip_kind(data: bytes, name: str) -> str:
    """A Word document is "docx"; anything else in a ZIP is refused (415), a damaged DOCX is
    unreadable (422)."""
    label = name or "upload"
    looks_like_word = b"word/" in data[:8192]
    directory = _zip_directory(data)
    if directory is None:
        if looks_like_word:
            raise InvalidUpload(
                f"{label}: a damaged or truncated DOCX (no ZIP directory at its end)"
            )
        raise _refuse(name, "a ZIP archive")
    if b"%PDF" in data[:1024]:  # PDF readers look for their header anywhere in the first 1 KB
        raise _refuse(name, "a ZIP archive that is also a PDF (a polyglot file)")
    declared = unpack.directory_size(data[-unpack.TAIL :])  # a zip64 record's size too
    if max(directory[1], declared[1] if declared else 0) > MAX_ZIP_DIRECTORY:
        raise InvalidUpload(f"{label}: a ZIP archive with an oversized directory")
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        names = set(package.namelist())
        if "[Content_Types].xml" not in names or "word/document.xml" not in names:
            if any(n.startswith("word/") for n in names):
                raise InvalidUpload(f"{label}: a damaged DOCX (it lacks its main parts)")
            # names tell XLSX and PPTX; EPUB and ODF store their type in a first, stored member
            seen = "\n".join(sorted(names)).encode() + data[:2048]
            raise _refuse(name, next((w for k, w in _ZIP_KINDS if k in seen), "a ZIP archive"))
        info = package.getinfo("[Content_Types].xml")
        if info.file_size > MAX_CONTENT_TYPES:
            raise InvalidUpload(f"{label}: a DOCX with an oversized [Content_Types].xml")
        # read in chunks: zipfile's read() would inflate it whole before checking its size
        part = f"{label}: [Content_Types].xml"
        content_types = unpack.read_member(package, info, part, MAX_CONTENT_TYPES)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise InvalidUpload(f"{label}: a damaged ZIP archive ({exc})") from None
    main = _main_content_type(content_types, label)
    if "macroenabled" in main.lower() or "word/vbaProject.bin" in names:
        raise _refuse(name, "a macro-enabled Word document (DOCM)")
    if main != DOCX_MAIN:
        raise _refuse(name, f"a Word file of another kind ({main or 'no content type'})")
    return "docx"


def _main_content_type(xml: bytes, label: str) -> str:
    """The content type [Content_Types].xml gives /word/document.xml (an Override, else the
    Default for .xml). The DTD check first: ElementTree would expand internal entities."""
    if declares_dtd(xml):
        raise InvalidUpload(f"{label}: a DOCX whose [Content_Types].xml declares a DTD; refused")
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise InvalidUpload(f"{label}: a damaged DOCX ([Content_Types].xml: {exc})") from None
    default = ""
    for element in root:
        if element.tag == f"{_CONTENT_TYPES_NS}Override":
            if element.get("PartName", "").lower() == "/word/document.xml":
                return element.get("ContentType", "")
        elif (
            element.tag == f"{_CONTENT_TYPES_NS}Default"
            and element.get("Extension", "").lower() == "xml"
        ):
            default = element.get("ContentType", "")
    return default


def _binary_kind(data: bytes) -> str | None:
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        head = data[:2048]
        return next((what for key, what in _ZIP_KINDS if key in head), "a ZIP archive")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return what
    if data[:4] == b"RIFF" and data[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return {b"WEBP": "a WebP image", b"WAVE": "a WAV audio file"}.get(
            data[8:12], "an AVI video"
        )
    if data[4:8] == b"ftyp":
        return "an MP4/QuickTime video"
    if data[:2] == b"MZ" and b"\x00" in data[:64]:
        return "a Windows executable"
    if re.match(rb"BZh[1-9]1AY&SY", data):
        return "a bzip2 archive"
    return None


def _skip_space(data: bytes, start: int = 0) -> int:
    """The offset of the first non-whitespace byte at or after `start` (len(data) if none)."""
    space = _SPACE.match(data, start)
    return space.end() if space else start


def is_jsonl(data: bytes, name: str = "") -> bool:
    """Whether bytes (the start of a file will do) are JSON records a line each: of the first
    SNIFF_LINES non-blank lines, one parses as an object and at least half start as one. So
    a file of records with a broken line first, in the middle or last is still JSONL (each bad
    line is reported by its number when read) rather than one text document of raw JSON; a
    file named .jsonl or .ndjson needs only a line that starts as a record, so one whose
    records are all broken fails line by line instead of becoming text.

    Works on offsets so that a 100 MB upload is not copied just to be sniffed.
    """
    start = _skip_space(data)
    if data.startswith(b"\xef\xbb\xbf", start):
        start = _skip_space(data, start + 3)
    first_end = data.find(b"\n", start)
    if first_end < 0:
        return False  # one line: a JSON file, not JSONL
    sample = data[start : start + SNIFF_BYTES]
    parts = sample.split(b"\n")
    if start + SNIFF_BYTES < len(data):
        parts.pop()  # cut off by the sample
    if len(parts) < 2:  # a first record longer than the sample: judged by it and the next line
        parts = [data[start:first_end], data[first_end + 1 : first_end + 65537].split(b"\n")[0]]
    lines = [line.strip() for line in parts if line.strip()][:SNIFF_LINES]
    shaped = [line for line in lines if line.startswith(b"{")]
    if PurePath(name).suffix.lower() in JSONL_NAMES and shaped:
        return True  # named so, with records however broken: each bad line fails by number
    if not any(_is_record(line) for line in shaped):
        return False
    return len(lines) >= 2 and 2 * len(shaped) >= len(lines)


def _is_record(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def decode(data: bytes, name: str = "") -> str:
    """Bytes to text (encoding.py: UTF-8, a BOM's UTF-16/32, or a legacy encoding told with
    confidence); anything else is refused (415) with what it looked like."""
    try:
        return encoding.decode(data)
    except UnsupportedFormat as exc:
        raise _refuse(name, exc.message) from None


def _json_kind(text: str) -> str | None:
    if not text.startswith("{"):
        return None
    try:
        return "json" if isinstance(json.loads(text), dict) else None
    except ValueError:
        return None


def _refuse_broken_json(body: str, name: str) -> None:
    """JSON that does not parse, or parses as something other than a record, is refused with
    the parser's reason rather than stored as plain text whose title is raw JSON."""
    if body[:1] not in "{[":
        return
    suffix = PurePath(name).suffix.lower()
    first = body.split("\n", 1)[0].strip()
    try:
        json.loads(body)  # it starts with "{" or "[", and a parsed "{" was a record already
    except ValueError as exc:
        if suffix in JSON_NAMES + JSONL_NAMES or (body[0] == "{" and _is_record(first.encode())):
            raise InvalidUpload(f"{name or 'upload'}: not valid JSON ({exc})") from None
        return  # prose that happens to start with a bracket
    raise InvalidUpload(
        f"{name or 'upload'}: a JSON array, not a record; upload one JSON object, or many as"
        " JSONL (one object a line)"
    )


def _markdown_score(text: str) -> int:
    """Markdown syntax seen: an ATX heading or a code fence counts double (prose has neither)."""
    sample = text[:65536]
    lines = len(_MD_LINE.findall(sample)) + len(_MD_STRONG.findall(sample))
    inline = len(_MD_INLINE.findall(sample))
    front = 1 if re.match(r"---\n(?:[\w-]+:.*\n)+---\n", sample) else 0
    return lines + inline + 3 * front


def classify(text: str, name: str = "") -> str:
    """The kind of decoded text: html, json, md or txt (jsonl is found on the bytes)."""
    body = text.lstrip()
    if not body:
        raise InvalidUpload(f"{name or 'upload'}: the file is empty")
    head = body[:4096]
    lowered = head.lower()
    if lowered.startswith("<?xml"):
        if "<html" in lowered:
            return "html"
        raise _refuse(name, "an XML file")
    if lowered.startswith("<svg"):
        raise _refuse(name, "an SVG image")
    if _HTML_START.match(head):
        return "html"
    kind = _json_kind(body.rstrip())
    if kind:
        return kind
    _refuse_broken_json(body, name)
    score = _markdown_score(body)
    named_md = PurePath(name).suffix.lower() in _MD_NAMES
    # Strong Markdown wins over a name; otherwise the name breaks the tie.
    if score >= 3:
        return "md"
    return "md" if named_md else "txt"


def detect_with_text(data: bytes, name: str = "") -> tuple[str, str | None]:
    """(format, decoded text); the text is None for gzip and jsonl, which are read as streams,
    and for pdf, docx and images (png, jpeg, tiff), which are read from their bytes."""
    if _skip_space(data) == len(data):
        raise InvalidUpload(f"{name or 'upload'}: the file is empty")
    if data[:2] == b"\x1f\x8b":
        return "gzip", None
    if data.startswith(b"%PDF"):
        return _pdf_kind(data, name), None
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data, name), None
    image = next((kind for magic, kind in IMAGES if data.startswith(magic)), None)
    if image:
        return image, None
    what = _binary_kind(data)
    if what:
        raise _refuse(name, what)
    if is_jsonl(data, name):
        return "jsonl", None
    text = decode(data, name)
    return classify(text, name), text
