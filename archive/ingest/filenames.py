"""The name an uploaded file is shown and downloaded under: whatever the uploader sent, made safe.

Originals are stored under their checksum, so a name never becomes a path on our disk; it is
shown on pages (escaped), in JSON, and in the Content-Disposition of a download, where a reader's
browser turns it into a file name on theirs. So: no folders (`../`, `C:\\`), no control characters
(NUL, CR/LF would split a header elsewhere), no bidirectional overrides (`invoice\\u202etxt.exe`
reads as `invoiceexe.txt`), no Windows device names (CON, NUL.txt, COM1), no leading dots.
"""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 200
FALLBACK = "document"
# Format characters (Cf) include the bidi embeddings, overrides and isolates and zero-widths.
_HIDDEN = ("Cc", "Cf", "Cs", "Co", "Cn")
_DEVICE = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)


def safe_filename(name: str) -> str:
    """The last path component of `name` without invisible or dangerous characters."""
    base = re.split(r"[/\\]", name)[-1]
    # tabs, newlines and exotic spaces become plain spaces; other invisible characters go
    visible = "".join(
        " " if c.isspace() else c
        for c in base
        if c.isspace() or unicodedata.category(c) not in _HIDDEN
    )
    cleaned = re.sub(r"\s+", " ", visible).strip(" .")
    if _DEVICE.match(cleaned):
        cleaned = f"_{cleaned}"
    if len(cleaned) > MAX_CHARS:
        stem, dot, ext = cleaned.rpartition(".")
        keep = ext if dot and len(ext) <= 10 else ""
        cleaned = cleaned[: MAX_CHARS - len(keep) - 1].rstrip(" .") + (f".{keep}" if keep else "")
    return cleaned or FALLBACK
