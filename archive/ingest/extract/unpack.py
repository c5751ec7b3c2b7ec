"""Compressed data read with limits enforced as the bytes arrive: gzip streams and zip members.

What a compressed file says of itself is a claim: a zip's directory may give 100 bytes for a
member that inflates to a gigabyte, and a gzip stream tells its size only at its end. zipfile's
read() inflates a whole member before it compares it with the declared size, and gzip's read()
of a whole stream inflates all of it: gigabytes in memory before any check can run (issue 10).
Here data is inflated a chunk at a time and counted as it arrives, against
- a cap on the bytes: the upload limit for one member or one compressed document, and a Budget
  for all that one imported file inflates to (its members and their layers together);
- a cap on the ratio of inflated to compressed bytes, MAX_RATIO once past RATIO_FLOOR: text
  deflates 3 to 10 times, a bomb about 1,000, so a bomb stops after RATIO_FLOOR bytes.
Past either, reading stops with TooLarge or InvalidUpload, whose message names the file and
member. Only stored and deflated zip members are read (zipfile inflates bzip2 and LZMA without
a bound on the output of each chunk), and a zip's directory, which zipfile reads and parses
whole before anything can be checked, is first measured by its end records (open_zip).
"""

from __future__ import annotations

import gzip
import io
import re
import struct
import zipfile
import zlib
from typing import BinaryIO

from archive.errors import InvalidUpload, TooLarge

CHUNK = 64 * 1024
MAX_RATIO = 200
RATIO_FLOOR = 16 * 1024 * 1024
MAX_INFLATED = 2 * 1024**3  # what one imported file may inflate to in all
MAX_MEMBERS = 100_000
# zipfile holds about 500 bytes per member it parses; a directory entry takes 46 bytes and its
# name, so this bounds the parse to a few hundred MB however short the names (100,000 members
# with names of 100 characters take 15 MB)
MAX_DIRECTORY = 16 * 1024 * 1024
READ_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_EOCD = struct.Struct("<4s4H2LH")  # the end of central directory record
_EOCD64 = struct.Struct("<4sQ2H2L4Q")  # its zip64 form, just before a 20-byte locator
_LOCATOR = 20
TAIL = 65_535 + _EOCD.size + _LOCATOR + _EOCD64.size  # where the end records can be
_DRIVE = re.compile(r"[A-Za-z]:")
_SEPARATORS = re.compile(r"[\\/]")


class Budget:
    """What one imported file may inflate to in all: its members and their layers together."""

    def __init__(self, limit: int = MAX_INFLATED) -> None:
        self.limit = limit
        self.used = 0

    @property
    def spent(self) -> bool:
        return self.used > self.limit

    def refund(self, size: int) -> None:
        """Bytes read again (a peek at the start of a stream) are counted once."""
        self.used -= size

    def take(self, size: int, label: str) -> None:
        self.used += size
        if self.spent:
            raise TooLarge(
                f"{label}: the file inflates to more than {self.limit:,} bytes in all;"
                " reading stopped there"
            )


def _check(label: str, inflated: int, compressed: int, limit: int) -> None:
    if inflated > limit:
        raise TooLarge(f"{label}: inflates to more than {limit:,} bytes; reading stopped there")
    if inflated > RATIO_FLOOR and inflated > MAX_RATIO * compressed:
        raise InvalidUpload(
            f"{label}: inflates more than {MAX_RATIO}:1 ({inflated:,} bytes from at most"
            f" {compressed:,}), a decompression bomb; reading stopped there"
        )


# --- gzip -------------------------------------------------------------------------------------
class _Counted(io.RawIOBase):
    """The compressed bytes read so far."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001 - a writable buffer
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


class _Inflating(io.RawIOBase):
    """A gzip stream's contents (all its members), counted against the limits as they come."""

    def __init__(self, compressed: BinaryIO, label: str, limit: int, budget: Budget | None):
        self._source = _Counted(compressed)
        self._gzip = gzip.GzipFile(fileobj=self._source, mode="rb")
        self.label, self.limit, self.budget = label, limit, budget
        self.inflated = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001 - a writable buffer
        try:
            data = self._gzip.read(min(len(buffer), CHUNK))
        except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
            raise InvalidUpload(
                f"{self.label}: cannot read the data, a broken gzip file ({exc})"
            ) from None
        self.inflated += len(data)
        _check(self.label, self.inflated, self._source.count, self.limit)
        if self.budget is not None:
            self.budget.take(len(data), self.label)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._gzip.close()
            self._source.close()
        super().close()


def gunzip(
    compressed: BinaryIO, label: str, limit: int = MAX_INFLATED, budget: Budget | None = None
) -> io.BufferedReader:
    """A reader (read, readline) of a gzip stream's contents within the limits; closing it
    closes `compressed`. Reads raise InvalidUpload (TooLarge) naming `label` past a limit."""
    return io.BufferedReader(_Inflating(compressed, label, limit, budget), CHUNK)


# --- zip --------------------------------------------------------------------------------------
def unsafe_name(name: str) -> str | None:
    """Why a zip member's name is a path out of the zip (absolute, a drive, ..), or None."""
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "its name is an absolute path, not a name inside the zip"
    if ".." in _SEPARATORS.split(name):
        return "its name is a path out of the zip (..)"
    return None


def member_basename(name: str) -> str:
    """The last part of a member's name, whichever separator its zip used."""
    return _SEPARATORS.split(name)[-1]


def directory_size(tail: bytes) -> tuple[int, int] | None:
    """(members, bytes) of the central directory a zip's end records declare (the larger of the
    classic and the zip64 record), found in its last TAIL bytes; None without an end record."""
    start = tail.rfind(b"PK\x05\x06")
    if start < 0 or len(tail) - start < _EOCD.size:
        return None
    *_, members, size, _, _ = _EOCD.unpack_from(tail, start)
    locator = start - _LOCATOR
    if locator >= _EOCD64.size and tail.startswith(b"PK\x06\x07", locator):
        record = _EOCD64.unpack_from(tail, locator - _EOCD64.size)
        if record[0] == b"PK\x06\x06":
            members, size = max(members, record[7]), max(size, record[8])
    return members, size


def open_zip(source: BinaryIO, label: str) -> zipfile.ZipFile:
    """The zip in a seekable source, opened once its declared directory passed MAX_MEMBERS
    and MAX_DIRECTORY; InvalidUpload otherwise. The caller closes source."""
    source.seek(0, io.SEEK_END)
    source.seek(max(0, source.tell() - TAIL))
    declared = directory_size(source.read())
    if declared is None:
        raise InvalidUpload(f"{label}: a damaged zip (no directory at its end)")
    members, size = declared
    if members > MAX_MEMBERS:
        raise InvalidUpload(f"{label}: more than {MAX_MEMBERS:,} files in one zip")
    if size > MAX_DIRECTORY:
        raise InvalidUpload(f"{label}: a zip whose directory is over {MAX_DIRECTORY:,} bytes")
    source.seek(0)
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise InvalidUpload(f"{label}: a damaged zip ({exc})") from None


def read_member(
    package: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    label: str,
    limit: int,
    budget: Budget | None = None,
) -> bytes:
    """A member's bytes, inflated a chunk at a time: TooLarge past `limit` whatever the
    directory declares; InvalidUpload past MAX_RATIO of the compressed size (zipfile reads no
    more compressed bytes than declared), for a method other than stored or deflated, for an
    encrypted member, or when the data does not match the directory (size, CRC)."""
    if info.compress_type not in READ_METHODS:
        raise InvalidUpload(
            f"{label}: compressed with method {info.compress_type} (not deflate); only stored"
            " and deflated members are read"
        )
    if info.flag_bits & 0x1:
        raise InvalidUpload(f"{label}: encrypted (password-protected); not read")
    chunks: list[bytes] = []
    inflated = 0
    try:
        with package.open(info) as member:
            while chunk := member.read(CHUNK):
                inflated += len(chunk)
                _check(label, inflated, info.compress_size, limit)
                if budget is not None:
                    budget.take(len(chunk), label)
                chunks.append(chunk)
    except zipfile.BadZipFile as exc:
        raise InvalidUpload(
            f"{label}: cannot be read ({exc}); its data does not match what the zip's directory"
            " says of it (a damaged or forged zip)"
        ) from None
    except (OSError, EOFError, zlib.error, ValueError, RuntimeError, NotImplementedError) as exc:
        raise InvalidUpload(f"{label}: cannot be read ({exc})") from None
    return b"".join(chunks)
