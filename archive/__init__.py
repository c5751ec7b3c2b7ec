"""A searchable archive of articles."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archive.config import Settings
    from archive.core.archive import Archive

__all__ = ["Archive", "Settings"]


def __getattr__(name: str) -> object:
    # imported on first use: a helper process (an index merge, a search process) imports only
    # the modules it runs, not every room of the archive (measured: ~0.25 s and ~18 MB less)
    if name == "Archive":
        from archive.core.archive import Archive

        return Archive
    if name == "Settings":
        from archive.config import Settings

        return Settings
    raise AttributeError(f"module 'archive' has no attribute {name!r}")
