"""The ingest pipeline, top to bottom: bytes -> checked, extracted, described -> stored, catalogued.

Indexing is not here: the caller indexes what the catalog holds unindexed (archive.core), so a
crash between the catalog commit and the index commit is repaired by indexing again at start.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from archive import extract, metadata
from archive.catalog import Catalog, NewRow
from archive.config import Settings
from archive.errors import ArchiveError, InvalidUpload, TooLarge
from archive.models import Overrides
from archive.store import Store, extension_for

GZIP_MAGIC = b"\x1f\x8b"
# A gzipped JSONL file may expand far beyond the upload limit; this bounds what we inflate.
MAX_INFLATED = 2 * 1024**3


@dataclass(frozen=True)
class Prepared:
    """A document ready to store: its original bytes and what the catalog will hold."""

    name: str
    row: NewRow
    data: bytes


def prepare(
    data: bytes, filename: str, settings: Settings, overrides: Overrides | None = None
) -> Prepared:
    """Check, extract and describe one file; raises InvalidUpload and its leaves."""
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(
            f"{filename}: {len(data):,} bytes is over the limit of {settings.max_upload_bytes:,}."
        )
    extracted = extract.extract(data, filename)
    meta = metadata.suggest(extracted, filename, settings.date_order)
    if overrides is not None:
        meta = metadata.apply(meta, overrides, settings.date_order)
    row = NewRow(
        sha256=_sha256(data),
        filename=Path(filename).name or "document",
        format=extracted.format,
        size=len(data),
        metadata=meta,
        blocks=extracted.blocks,
        source_id=extracted.hints.source_id,
    )
    return Prepared(filename, row, data)


def commit(items: Sequence[Prepared], store: Store, catalog: Catalog) -> list[tuple[int, bool]]:
    """Store the originals durably, then catalog them in one transaction: (id, duplicate) each.

    Only after this returns may a document be acknowledged.
    """
    if not items:
        return []
    store.put_many([(p.data, extension_for(p.row.format)) for p in items])
    return catalog.add_many([p.row for p in items])


@dataclass(frozen=True)
class Item:
    """One document found under the paths given: prepared, or refused with a reason."""

    name: str
    prepared: Prepared | None = None
    error: str | None = None


def iter_items(
    paths: Sequence[Path], settings: Settings, overrides: Overrides | None = None
) -> Iterator[Item]:
    """Every document in files, folders and JSONL(.gz) files, in a stable order."""
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
            yield Item(str(path), error=f"{path}: no such file or folder")
            continue
        for file in files:
            yield from _file_items(file, settings, overrides)


def _file_items(file: Path, settings: Settings, overrides: Overrides | None) -> Iterator[Item]:
    name = str(file)
    try:
        data = file.read_bytes()
    except OSError as exc:
        yield Item(name, error=f"{name}: cannot be read ({exc.strerror})")
        return
    try:
        if data.startswith(GZIP_MAGIC):
            data = _gunzip(data, name)
        kind = extract.detect(data, file.name)
    except ArchiveError as exc:
        yield Item(name, error=exc.message)
        return
    if kind != "jsonl":
        try:
            yield Item(name, replace(prepare(data, file.name, settings, overrides), name=name))
        except ArchiveError as exc:
            yield Item(name, error=exc.message)
        return
    for record in extract.iter_jsonl(data, file.name):
        if record.error is not None or record.original is None:
            yield Item(record.name, error=record.error or "unreadable record")
            continue
        try:
            prepared = prepare(record.original, _record_filename(record.name), settings, overrides)
        except ArchiveError as exc:
            yield Item(record.name, error=exc.message)
            continue
        yield Item(record.name, replace(prepared, name=record.name))


def _record_filename(name: str) -> str:
    """A record's own file name: its source id when it has one, as a .json file."""
    inner = name.rpartition("(")[2].rstrip(")") if name.endswith(")") else name
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in inner)[:120]
    return f"{safe or 'record'}.json"


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
