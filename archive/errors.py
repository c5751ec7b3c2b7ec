"""Domain errors. Each leaf carries the HTTP status the web layer maps it to.

ArchiveError (500)
├── NotFound (404)
├── InvalidUpload (422)          a file that cannot be read
│   ├── UnsupportedFormat (415)  a type we do not take, detected by content
│   └── TooLarge (413)
├── Duplicate (409)              the same bytes are already stored
├── BadQuery (400)               query syntax, unknown field, bad date, too expensive
├── BadRequest (400)             other invalid parameters
└── IndexBusy (503)              the index is being rebuilt
"""

from __future__ import annotations


class ArchiveError(Exception):
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ArchiveError):
    status = 404


class InvalidUpload(ArchiveError):
    status = 422


class UnsupportedFormat(InvalidUpload):
    status = 415


class TooLarge(InvalidUpload):
    status = 413


class Duplicate(ArchiveError):
    status = 409

    def __init__(self, message: str, existing_id: int) -> None:
        super().__init__(message)
        self.existing_id = existing_id


class BadQuery(ArchiveError):
    status = 400


class BadRequest(ArchiveError):
    status = 400


class IndexBusy(ArchiveError):
    status = 503
