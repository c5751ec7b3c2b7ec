"""`archive export DIR` and `archive import DIR`: the whole archive as plain files with checksums.

An export holds the originals (by checksum, as in uploads/), the catalog's documents with their
metadata and blocks, collections, users (names and roles, never passwords or tokens), the audit
log and an archivist's joins and splits of copies and translations (decisions.jsonl; an export
made before it has none), as JSON Lines, plus SHA256SUMS over every file. An import into an
empty archive restores it exactly (same ids), after checking every checksum; the index is then
rebuilt from the catalog.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from archive.errors import BadRequest, InvalidUpload
from archive.models import Block, Document, Metadata, OcrRecord
from archive.storage import exports
from archive.storage.catalog import Catalog
from archive.storage.originals import Store, extension_for, file_sha256

SUMS = "SHA256SUMS"
FORMAT = "archive-export 1"
DECISIONS = "decisions.jsonl"  # optional: exports before issue 16 have none
Progress = Callable[[int, int | None, str], None]


def export(catalog: Catalog, store: Store, dest: Path, progress: Progress | None = None) -> int:
    """Write the archive to dest (new or empty); returns the number of documents."""
    if dest.exists() and any(dest.iterdir()):
        raise BadRequest(f"{dest} is not empty: export into a new or empty folder")
    (dest / "originals").mkdir(parents=True, exist_ok=True)
    total = catalog.count()
    count = 0
    with (dest / "documents.jsonl").open("w", encoding="utf-8") as out:
        for doc in catalog.iter_documents():
            ext = extension_for(doc.format)
            target = dest / "originals" / doc.sha256[:2] / f"{doc.sha256}.{ext}"
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(store.path(doc.sha256, ext), target)
            out.write(_line(_document_record(doc)))
            count += 1
            if progress:
                progress(count, total, doc.filename)
    _write_lines(dest / "collections.jsonl", exports.collections(catalog))
    _write_lines(dest / "users.jsonl", exports.users(catalog))
    _write_lines(dest / "audit.jsonl", exports.audit(catalog))
    _write_lines(dest / DECISIONS, exports.decisions(catalog))
    (dest / "FORMAT").write_text(FORMAT + "\n")
    sums = [f"{file_sha256(p)}  {p.relative_to(dest).as_posix()}" for p in sorted(_files(dest))]
    (dest / SUMS).write_text("\n".join(sums) + "\n")
    return count


def import_(
    catalog: Catalog, store: Store, src: Path, progress: Progress | None = None
) -> list[Document]:
    """Restore an export into this (empty) archive's originals and catalog; returns the
    documents restored (the caller indexes them)."""
    if catalog.count():
        raise BadRequest("import needs an empty archive: use a new --root")
    verify(src)
    docs = [_document(json.loads(line)) for line in _lines(src / "documents.jsonl")]
    # originals and rows under one hold of the writers' lock: a crash leaves no half import
    with store.writing():
        for n, doc in enumerate(docs, 1):
            ext = extension_for(doc.format)
            data = (src / "originals" / doc.sha256[:2] / f"{doc.sha256}.{ext}").read_bytes()
            store.put(data, ext)
            if progress:
                progress(n, len(docs), doc.filename)
        catalog.restore(docs)
    exports.restore(
        catalog,
        docs,
        [json.loads(line) for line in _lines(src / "collections.jsonl")],
        [json.loads(line) for line in _lines(src / "users.jsonl")],
        [json.loads(line) for line in _lines(src / "audit.jsonl")],
        [json.loads(line) for line in _lines(src / DECISIONS)]
        if (src / DECISIONS).is_file()
        else [],
    )
    return docs


def verify(src: Path) -> None:
    """Every file listed with the right checksum, and no file unlisted; raises InvalidUpload."""
    sums_path = src / SUMS
    if not sums_path.is_file() or (src / "FORMAT").read_text().strip() != FORMAT:
        raise InvalidUpload(f"{src} is not an archive export (no {SUMS} or FORMAT)")
    listed: dict[str, str] = {}
    for line in sums_path.read_text().splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    present = {p.relative_to(src).as_posix() for p in _files(src)}
    if present != set(listed):
        extra, missing = sorted(present - set(listed)), sorted(set(listed) - present)
        raise InvalidUpload(
            f"{src}: files differ from {SUMS}: extra {extra[:5]}, missing {missing[:5]}"
        )
    for name, digest in listed.items():
        if file_sha256(src / name) != digest:
            raise InvalidUpload(f"{src}: {name} does not match its checksum")


def _document_record(doc: Document) -> dict[str, Any]:
    record = asdict(doc)
    record["blocks"] = [[b.kind, b.level, b.text] for b in doc.blocks]
    return record


def _document(r: dict[str, Any]) -> Document:
    m = r["metadata"]
    meta = Metadata(**{k: tuple(v) if isinstance(v, list) else v for k, v in m.items()})
    blocks = tuple(Block(kind, text, level) for kind, level, text in r["blocks"])
    return Document(
        r["id"], r["sha256"], r["filename"], r["format"], r["size"], meta, blocks,
        r["added_at"], r["source_id"], r["status"], tuple(r["collections"]),
        OcrRecord.from_json(r.get("ocr")),  # pages read by OCR (exports from before: none)
    )  # fmt: skip


def _line(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True) + "\n"


def _write_lines(path: Path, records: Iterator[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.writelines(_line(r) for r in records)


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as f:
        yield from (line for line in f if line.strip())


def _files(root: Path) -> Iterator[Path]:
    return (p for p in root.rglob("*") if p.is_file() and p.name != SUMS)
