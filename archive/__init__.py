"""A searchable archive of articles."""

from archive.config import Settings
from archive.core.archive import Archive

__all__ = ["Archive", "Settings"]
