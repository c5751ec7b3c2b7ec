"""What the paths of an import hold, one document at a time: files, folders, zips, gzip files
and JSONL, each read as a stream within the limits of ingest.extract.unpack (declared sizes are
never trusted), each document prepared by ingest.pipeline or refused with its reason, in a
stable order so that an interrupted import resumes after its last committed batch.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from archive.config import Settings
from archive.errors import ArchiveError, InvalidUpload, TooLarge, UnsupportedFormat
from archive.ingest import extract
from archive.ingest.extract import unpack
from archive.ingest.filenames import safe_filename
from archive.ingest.pipeline import Prepared, prepare
from archive.models import Overrides

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
MAX_ZIP_RATIO = 200  # declared by a member's directory entry: refused before any is read
# A gzipped JSONL file may expand far beyond the upload limit: a file (its members and layers
# together) may inflate to this much, counted as the bytes arrive (extract.unpack).
MAX_INFLATED = unpack.MAX_INFLATED
# The start of a compressed file's contents, read to tell JSONL from one compressed document.
PEEK = 1024 * 1024
# An archive (zip, gzip) may hold archives, which may not: a zip of zips of zips is refused.
MAX_NESTING = 1
GZIPPED = " (gzip)"


# How a file was read, in words an archivist reads in an import's summary.
READ_AS = {
    "txt": "plain text",
    "md": "Markdown",
    "html": "HTML",
    "json": "a JSON record",
    "jsonl": "JSONL",
    "pdf": "PDF",
    "docx": "DOCX",
    "png": "PNG image",
    "jpeg": "JPEG image",
    "tiff": "TIFF image",
}
NOT_READ = "unreadable"


@dataclass(frozen=True)
class Item:
    """One document found under the paths given: prepared, or refused with a reason.

    `source` is the file (or zip member) it came from, and `read_as` how that file was read
    (READ_AS; NOT_READ when its type could not be told): the many records of one JSONL file
    share both, so an import can say what each file was taken for.
    """

    name: str
    prepared: Prepared | None = None
    error: str | None = None
    source: str = ""
    read_as: str = NOT_READ


class _Counter:
    """Counts the documents met so far, so a resumed run skips the done ones unread."""

    def __init__(self, skip: int) -> None:
        self.skip = skip
        self.seen = 0

    def take(self) -> bool:
        self.seen += 1
        return self.seen > self.skip


def iter_items(
    paths: Sequence[Path], settings: Settings, overrides: Overrides | None = None, skip: int = 0
) -> Iterator[Item]:
    """Every document in files, folders, zip and JSONL(.gz) files, in a stable order.

    The first `skip` documents are passed over without being extracted (resuming a run).
    """
    counter = _Counter(skip)
    for path in paths:
        if path.is_dir():
            # hidden files, and the archive's own data should a folder hold it, are not articles
            own = (settings.uploads_dir.resolve(), settings.index_dir.resolve())
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and not p.resolve().is_relative_to(own[0])
                and not p.resolve().is_relative_to(own[1])
            )
        elif path.is_file():
            files = [path]
        else:
            if counter.take():
                yield Item(str(path), error=f"{path}: no such file or folder", source=str(path))
            continue
        for file in files:
            yield from _file_items(file, settings, overrides, counter)


def _file_items(
    file: Path, settings: Settings, overrides: Overrides | None, counter: _Counter
) -> Iterator[Item]:
    """A file's documents. A file no larger than one document may be is read whole; a larger
    one can only be a gzip, zip or JSONL file, read from the disk as a stream (a gzip file's
    contents as they inflate, a zip's members one at a time, JSONL a line at a time)."""
    name = str(file)
    budget = unpack.Budget(MAX_INFLATED)
    try:
        handle = file.open("rb")
    except OSError as exc:
        if counter.take():
            yield Item(name, error=f"{file}: cannot be read ({exc.strerror})", source=name)
        return
    with handle:
        try:
            head = handle.read(PEEK)
            whole = os.fstat(handle.fileno()).st_size <= settings.max_upload_bytes
            data = head + handle.read() if whole else None
        except OSError as exc:
            if counter.take():
                yield Item(name, error=f"{file}: cannot be read ({exc.strerror})", source=name)
            return
        if data is not None:
            yield from _data_items(name, file.name, data, settings, overrides, counter, budget)
        elif head.startswith(GZIP_MAGIC):
            opener = lambda: file.open("rb")  # noqa: E731 - read twice: peeked, then streamed
            yield from _gzip_items(name, file.name, opener, settings, overrides, counter, budget)
        elif head.startswith(ZIP_MAGIC) and zipfile.is_zipfile(handle):
            yield from _zip_items(name, handle, settings, overrides, counter, budget)
        elif _jsonl_start(head, file.name):
            handle.seek(0)
            yield from _jsonl_items(handle, file.name, settings, overrides, counter, name)
        elif counter.take():
            yield Item(name, error=_too_large(name, settings, "is"), source=name)


def _data_items(
    name: str,
    filename: str,
    data: bytes,
    settings: Settings,
    overrides: Overrides | None,
    counter: _Counter,
    budget: unpack.Budget,
    depth: int = 0,
    wrapper: str = "",
) -> Iterator[Item]:
    """The documents in bytes: one document, JSONL, a zip or a gzip file (depth: the archives
    they came out of; wrapper: " (gzip)" for what came out of a gzip file)."""
    if data.startswith(GZIP_MAGIC):
        opener = lambda: io.BytesIO(data)  # noqa: E731
        yield from _gzip_items(name, filename, opener, settings, overrides, counter, budget, depth)
        return
    try:
        kind = extract.detect(data, filename)
    except UnsupportedFormat:
        if data.startswith(ZIP_MAGIC) and zipfile.is_zipfile(io.BytesIO(data)):
            source = io.BytesIO(data)
            yield from _zip_items(name, source, settings, overrides, counter, budget, depth)
            return
        kind = None
    except ArchiveError as exc:
        if counter.take():
            yield Item(name, error=exc.message, source=name)
        return
    if kind == "jsonl":
        read_as = READ_AS["jsonl"] + wrapper
        yield from _jsonl_items(data, filename, settings, overrides, counter, name, read_as)
        return
    if not counter.take():
        return
    read_as = READ_AS.get(kind or "", NOT_READ) + (wrapper if kind else "")
    try:
        prepared = replace(prepare(data, filename, settings, overrides), name=name)
    except ArchiveError as exc:
        yield Item(name, error=exc.message, source=name, read_as=read_as)
        return
    yield Item(name, prepared, source=name, read_as=read_as)


def _gzip_items(
    name: str,
    filename: str,
    opener: Callable[[], BinaryIO],
    settings: Settings,
    overrides: Overrides | None,
    counter: _Counter,
    budget: unpack.Budget,
    depth: int = 0,
) -> Iterator[Item]:
    """A gzip file's documents: its contents inflated as a stream within unpack's limits. JSONL
    is read from the stream a line at a time; anything else is one document (or a zip), read
    whole if it inflates to no more than the upload limit."""
    limit = settings.max_upload_bytes
    try:
        if depth > MAX_NESTING:
            raise InvalidUpload(f"{name}: a compressed file inside an archive inside another")
        with unpack.gunzip(opener(), name, MAX_INFLATED, budget) as stream:
            head = stream.read(PEEK)
            streamed = len(head) == PEEK and extract.is_jsonl(head, filename)
            if not streamed and len(head) == PEEK:
                head += stream.read(max(0, limit + 1 - len(head)))
                streamed = len(head) > limit and _jsonl_start(head, filename)
            if len(head) > limit and not streamed:
                raise TooLarge(_too_large(name, settings, "inflates to"))
    except ArchiveError as exc:
        if counter.take():
            yield Item(name, error=exc.message, source=name)
        return
    except OSError as exc:
        if counter.take():
            yield Item(name, error=f"{name}: cannot be read ({exc.strerror})", source=name)
        return
    if streamed:  # again from the start, a line at a time
        budget.refund(len(head))
        head = b""
        read_as = READ_AS["jsonl"] + GZIPPED
        with unpack.gunzip(opener(), name, MAX_INFLATED, budget) as stream:
            yield from _jsonl_items(stream, filename, settings, overrides, counter, name, read_as)
        return
    yield from _data_items(
        name, filename, head, settings, overrides, counter, budget, depth + 1, GZIPPED
    )


def _jsonl_start(head: bytes, filename: str) -> bool:
    """Whether a file too large for one document starts as JSONL does (its first line may be
    too long for extract.is_jsonl to see a second)."""
    starts = head.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"{")
    return starts or extract.is_jsonl(head, filename)


def _too_large(name: str, settings: Settings, verb: str) -> str:
    return (
        f"{name}: {verb} more than {settings.max_upload_bytes:,} bytes, the limit for one"
        " document, and is neither a zip nor JSONL"
    )


def _jsonl_items(
    data: bytes | BinaryIO,
    filename: str,
    settings: Settings,
    overrides: Overrides | None,
    counter: _Counter,
    source: str,
    read_as: str = READ_AS["jsonl"],
) -> Iterator[Item]:
    for record in extract.iter_jsonl(data, filename):
        if not counter.take():
            continue
        if record.error is not None or record.original is None:
            error = record.error or "unreadable record"
            yield Item(record.name, error=error, source=source, read_as=read_as)
            continue
        try:
            prepared = prepare(
                record.original, _record_filename(record.name), settings, overrides,
                extracted=record.extracted,
            )  # fmt: skip
        except ArchiveError as exc:
            yield Item(record.name, error=exc.message, source=source, read_as=read_as)
            continue
        yield Item(record.name, replace(prepared, name=record.name), source=source, read_as=read_as)


def _zip_items(
    name: str,
    source: BinaryIO,
    settings: Settings,
    overrides: Overrides | None,
    counter: _Counter,
    budget: unpack.Budget,
    depth: int = 0,
) -> Iterator[Item]:
    """The members of a zip of articles: refused at once if its directory declares a bomb, then
    each member inflated within unpack's limits (what the directory declares is not trusted).
    A member named as a path out of the zip fails with its reason."""
    try:
        if depth > MAX_NESTING:
            raise InvalidUpload(f"{name}: a zip inside an archive inside another")
        archive = unpack.open_zip(source, name)
        members = [m for m in archive.infolist() if not m.is_dir()]
        _check_zip(name, members, settings)
    except (zipfile.BadZipFile, ArchiveError) as exc:
        if counter.take():
            message = exc.message if isinstance(exc, ArchiveError) else f"{name}: {exc}"
            yield Item(name, error=message, source=name)
        return
    for member in sorted(members, key=lambda m: m.filename):
        member_name = f"{name}:{member.filename}"
        base = unpack.member_basename(member.filename)
        unsafe = unpack.unsafe_name(member.filename)
        if unsafe is not None:
            if counter.take():
                error = f"{member_name}: {unsafe}; not read"
                yield Item(member_name, error=error, source=member_name)
            continue
        if base.startswith(".") or member.filename.startswith("__MACOSX/"):
            continue
        try:
            inner = unpack.read_member(
                archive, member, member_name, settings.max_upload_bytes, budget
            )
        except ArchiveError as exc:
            if counter.take():
                yield Item(member_name, error=exc.message, source=member_name)
            if budget.spent:  # every member after it would fail alike
                return
            continue
        yield from _data_items(
            member_name, base, inner, settings, overrides, counter, budget, depth + 1
        )


def _check_zip(name: str, members: list[zipfile.ZipInfo], settings: Settings) -> None:
    if len(members) > unpack.MAX_MEMBERS:
        raise InvalidUpload(f"{name}: more than {unpack.MAX_MEMBERS:,} files in one zip")
    total = 0
    for m in members:
        if m.file_size > settings.max_upload_bytes:
            raise TooLarge(f"{name}: {m.filename} is over the size limit when unpacked")
        if m.compress_size and m.file_size / m.compress_size > MAX_ZIP_RATIO:
            raise InvalidUpload(f"{name}: {m.filename} is compressed suspiciously well (zip bomb?)")
        total += m.file_size
    if total > MAX_INFLATED:
        raise InvalidUpload(f"{name}: unpacks to more than {MAX_INFLATED:,} bytes")


def _record_filename(name: str) -> str:
    """A record's own file name: its source id when it has one ("allsides:04Gt.json"), as a .json
    file, cleaned like any uploaded name."""
    inner = name.rpartition("(")[2].rstrip(")") if name.endswith(")") else name
    return safe_filename(f"{inner[:120] or 'record'}.json")
