"""Archive: the one API the web app and the CLI share. (Interface first; bodies being written.)"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from archive.config import Settings
from archive.models import (
    Document,
    DocumentView,
    IngestReport,
    Overrides,
    Page,
    SearchQuery,
)

# progress(done, total, label): total may be None when unknown
Progress = Callable[[int, int | None, str], None]


class Archive:
    def __init__(self, settings: Settings) -> None:
        """Open store, catalog and index under settings.root; repair an index left behind."""
        raise NotImplementedError

    def close(self) -> None: ...

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- ingest -------------------------------------------------------------------------------
    def add(self, data: bytes, filename: str, overrides: Overrides | None = None) -> Document:
        """Store, catalog and index one file; raises Duplicate, UnsupportedFormat, InvalidUpload."""
        raise NotImplementedError

    def ingest_paths(
        self,
        paths: Iterable[Path],
        overrides: Overrides | None = None,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Files, folders and JSONL(.gz) files; returns what was added, duplicated and refused."""
        raise NotImplementedError

    # --- reading ------------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> Page:
        raise NotImplementedError

    def document(self, doc_id: int) -> Document:
        """Raises NotFound."""
        raise NotImplementedError

    def document_view(self, doc_id: int, q: str = "") -> DocumentView:
        raise NotImplementedError

    def original_path(self, doc_id: int) -> tuple[Path, str]:
        """The stored original and the download filename."""
        raise NotImplementedError

    def is_empty(self) -> bool:
        raise NotImplementedError

    # --- maintenance --------------------------------------------------------------------------
    def reindex(self, progress: Progress | None = None) -> int:
        raise NotImplementedError

    def check(self) -> list[str]:
        raise NotImplementedError
