"""The ingest pipeline, top to bottom: bytes -> checked, extracted, described (Prepared).

Pure: it writes nothing. Storing and cataloguing (archive.core.archive.commit) and indexing are
the caller's, so a crash between the catalog commit and the index commit is repaired by indexing
again at start.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from archive.config import Settings
from archive.errors import ArchiveError, InvalidUpload, TooLarge, UnsupportedFormat
from archive.ingest import extract, metadata
from archive.ingest.filenames import safe_filename
from archive.models import Extracted, NewRow, Overrides

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
MAX_ZIP_MEMBERS = 100_000
MAX_ZIP_RATIO = 200
# A gzipped JSONL file may expand far beyond the upload limit; this bounds what we inflate.
MAX_INFLATED = 2 * 1024**3


@dataclass(frozen=True)
class Prepared:
    """A document ready to store: its original bytes and what the catalog will hold."""

    name: str
    row: NewRow
    data: bytes


def prepare(
    data: bytes,
    filename: str,
    settings: Settings,
    overrides: Overrides | None = None,
    extracted: Extracted | None = None,
) -> Prepared:
    """Check, extract and describe one file; raises InvalidUpload and its leaves.

    `extracted` skips extraction when the caller already has it (a JSONL record).
    """
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(
            f"{filename}: {len(data):,} bytes is over the limit of {settings.max_upload_bytes:,}."
        )
    if extracted is None:
        extracted = extract.extract(data, filename)
    meta = metadata.suggest(extracted, filename, settings.date_order)
    if overrides is not None:
        meta = metadata.apply(meta, overrides, settings.date_order)
    row = NewRow(
        sha256=_sha256(data),
        filename=safe_filename(filename),  # shown and downloaded under it: ingest.filenames
        format=extracted.format,
        size=len(data),
        metadata=meta,
        blocks=extracted.blocks,
        source_id=extracted.hints.source_id,
    )
    return Prepared(filename, row, data)


@dataclass(frozen=True)
class Item:
    """One document found under the paths given: prepared, or refused with a reason."""

    name: str
    prepared: Prepared | None = None
    error: str | None = None


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
                yield Item(str(path), error=f"{path}: no such file or folder")
            continue
        for file in files:
            try:
                data = file.read_bytes()
            except OSError as exc:
                if counter.take():
                    yield Item(str(file), error=f"{file}: cannot be read ({exc.strerror})")
                continue
            yield from _data_items(str(file), file.name, data, settings, overrides, counter)


def _data_items(
    name: str,
    filename: str,
    data: bytes,
    settings: Settings,
    overrides: Overrides | None,
    counter: _Counter,
) -> Iterator[Item]:
    try:
        if data.startswith(GZIP_MAGIC):
            data = _gunzip(data, name)
        kind = extract.detect(data, filename)
    except UnsupportedFormat:
        if data.startswith(ZIP_MAGIC) and zipfile.is_zipfile(io.BytesIO(data)):
            yield from _zip_items(name, data, settings, overrides, counter)
            return
        kind = None
    except ArchiveError as exc:
        if counter.take():
            yield Item(name, error=exc.message)
        return
    if kind == "jsonl":
        yield from _jsonl_items(data, filename, settings, overrides, counter)
        return
    if not counter.take():
        return
    try:
        yield Item(name, replace(prepare(data, filename, settings, overrides), name=name))
    except ArchiveError as exc:
        yield Item(name, error=exc.message)


def _jsonl_items(
    data: bytes, filename: str, settings: Settings, overrides: Overrides | None, counter: _Counter
) -> Iterator[Item]:
    for record in extract.iter_jsonl(data, filename):
        if not counter.take():
            continue
        if record.error is not None or record.original is None:
            yield Item(record.name, error=record.error or "unreadable record")
            continue
        try:
            prepared = prepare(
                record.original, _record_filename(record.name), settings, overrides,
                extracted=record.extracted,
            )  # fmt: skip
        except ArchiveError as exc:
            yield Item(record.name, error=exc.message)
            continue
        yield Item(record.name, replace(prepared, name=record.name))


def _zip_items(
    name: str, data: bytes, settings: Settings, overrides: Overrides | None, counter: _Counter
) -> Iterator[Item]:
    """The members of a zip of articles, checked against zip bombs before any is inflated."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
        _check_zip(name, members, settings)
    except (zipfile.BadZipFile, ArchiveError) as exc:
        if counter.take():
            message = exc.message if isinstance(exc, ArchiveError) else f"{name}: {exc}"
            yield Item(name, error=message)
        return
    for member in sorted(members, key=lambda m: m.filename):
        member_name = f"{name}:{member.filename}"
        base = Path(member.filename).name
        if base.startswith(".") or member.filename.startswith("__MACOSX/"):
            continue
        try:
            inner = archive.read(member)
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            if counter.take():
                yield Item(member_name, error=f"{member_name}: cannot be read ({exc})")
            continue
        yield from _data_items(member_name, base, inner, settings, overrides, counter)


def _check_zip(name: str, members: list[zipfile.ZipInfo], settings: Settings) -> None:
    if len(members) > MAX_ZIP_MEMBERS:
        raise InvalidUpload(f"{name}: more than {MAX_ZIP_MEMBERS:,} files in one zip")
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


def _gunzip(data: bytes, name: str) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            out = f.read(MAX_INFLATED + 1)
    except (OSError, EOFError) as exc:
        raise InvalidUpload(f"{name}: a broken gzip file ({exc})") from exc
    if len(out) > MAX_INFLATED:
        raise InvalidUpload(f"{name}: inflates to more than {MAX_INFLATED:,} bytes")
    return out


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
