"""Bulk import files sent over the web (a zip or JSONL), kept under ``uploads/imports/`` for the
import job that reads them."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

FOLDER = "imports"
# The bytes are copied to disk in chunks of this size.
COPY_CHUNK = 1024 * 1024


def save(uploads_dir: Path, stream: BinaryIO, filename: str) -> Path:
    """Copy stream into uploads/imports: a temp file, fsync'd, renamed to a name of its own
    (two imports of "articles.zip" must not overwrite each other). `filename` comes cleaned
    (ingest.filenames): no folders, no control characters."""
    folder = uploads_dir / FOLDER
    name = filename.replace("/", "_").replace("\\", "_")  # never a path, even if not cleaned
    folder.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as out:
            shutil.copyfileobj(stream, out, COPY_CHUNK)
            out.flush()
            os.fsync(out.fileno())
        final = folder / f"{secrets.token_hex(6)}-{name or 'import'}"
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return final


def given_name(path: Path) -> str:
    """The name a saved import file was sent under (save() adds a prefix of its own)."""
    return path.name.split("-", 1)[-1] if path.parent.name == FOLDER else path.name
