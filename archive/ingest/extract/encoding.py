"""Bytes to text: UTF-8 (BOM optional), UTF-16/32 with a BOM, or a legacy single-byte encoding
(cp1251, KOI8-R, cp1252, …) told by charset-normalizer.

A legacy encoding is accepted only when charset-normalizer recognises the language of what it
decoded: every byte string decodes as cp1251 or Latin-1, so a guess without that check would
store mojibake. A text too short to tell is refused, asking for UTF-8. UTF-8 is tried first and
costs nothing more than before: the detector runs only on bytes that are not UTF-8.
"""

from __future__ import annotations

import re

from archive.errors import UnsupportedFormat

_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
# The detector reads this much of the file; the whole file is then decoded with its answer.
SAMPLE_BYTES = 256 * 1024
# Encodings that decode the same bytes alike often tie (cp1250 and cp1252 on Spanish with "ñ"
# differ only there): a tie goes to the encoding our languages' writers most used.
PREFERRED = ("cp1252", "cp1251", "koi8_r", "koi8_u", "iso8859_1", "iso8859_15", "cp1250",
             "iso8859_5", "mac_cyrillic", "cp866", "iso8859_2")  # fmt: skip
TIE = 0.02  # chaos (charset-normalizer's "mess") within this of the best is a tie


def bom_codec(data: bytes) -> str | None:
    """The codec a byte-order mark names, if the data starts with one."""
    return next((c for bom, c in _BOMS if data.startswith(bom)), None)


def decode(data: bytes) -> str:
    """The text of the bytes. Binary data and text whose encoding cannot be told raise
    UnsupportedFormat whose message says what the bytes are instead ("binary data (…)"), for
    the caller to name the file."""
    codec = bom_codec(data) or "utf-8"
    if codec == "utf-8" and b"\x00" in data:
        raise UnsupportedFormat("binary data (it contains NUL bytes)")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        if codec != "utf-8":
            raise UnsupportedFormat(f"damaged {codec.upper()} text (at byte {exc.start})") from None
        text = _legacy(data, exc.start)
    if text.startswith("\ufeff"):
        text = text[1:]
    sample = text[:65536]
    controls = len(_CONTROL.findall(sample))
    if "\x00" in sample or controls > max(2, len(sample) // 100):
        raise UnsupportedFormat("binary data (it contains control characters)")
    return text


def legacy_codec(data: bytes) -> str | None:
    """The legacy encoding charset-normalizer reads the bytes in with a language it knows,
    else None."""
    import charset_normalizer  # 15 ms to import, and only text that is not UTF-8 needs it

    results = list(charset_normalizer.from_bytes(data[:SAMPLE_BYTES]))
    known = [r for r in results if r.coherence > 0 and r.encoding not in ("utf_8", "ascii")]
    if not known:
        return None
    best = min(r.chaos for r in known)
    tied = [r for r in known if r.chaos <= best + TIE]
    top = max(r.coherence for r in tied)
    tied = [r for r in tied if r.coherence >= top - TIE]
    rank = {codec: i for i, codec in enumerate(PREFERRED)}
    return min(tied, key=lambda r: rank.get(r.encoding, len(rank))).encoding


def _legacy(data: bytes, bad_at: int) -> str:
    codec = legacy_codec(data)
    if codec is not None:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass  # the sample decoded, the rest does not: not that encoding after all
    raise UnsupportedFormat(
        f"not UTF-8 text (undecodable byte at offset {bad_at}), and its encoding cannot be told"
        " (too little text, or not text at all); re-save it as UTF-8",
    )
