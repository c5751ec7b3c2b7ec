"""Domain errors. Each leaf carries the HTTP status the web layer maps it to.

ArchiveError (500)
├── NotFound (404)
├── InvalidUpload (422)          a file that cannot be read
│   ├── UnsupportedFormat (415)  a type we do not take, detected by content
│   └── TooLarge (413)
├── Duplicate (409)              the same bytes are already stored
├── BadQuery (400)               query syntax, unknown field, bad date, too expensive
├── BadRequest (400)             other invalid parameters
│   └── ProtocolError (400)      an OAI-PMH request refused (/oai answers 200 with <error>)
├── Unauthorized (401)           not signed in, or a wrong password, session or token
├── Forbidden (403)              signed in but not allowed, or a missing or wrong CSRF token
├── TooManyRequests (429)        too many failed logins; retry_after says when to try again
├── IndexBusy (503)              the index is being rebuilt
├── WorkerFailed (503)           the index worker process failed a round or died
├── SearchUnavailable (503)      no search process answered in time, or one died mid-search
├── OcrUnavailable (503)         OCR asked for where Tesseract is not installed
└── PrepareFailed (500)          a bulk import's helper process failed or died
"""

from __future__ import annotations


class ArchiveError(Exception):
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the web layer adds to this error's response."""
        return {}


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


class ProtocolError(BadRequest):
    """An OAI-PMH request the protocol refuses, with the protocol's error code (badArgument,
    badVerb, …): /oai answers it as the protocol says, 200 with <error code=…>."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Unauthorized(ArchiveError):
    status = 401

    @property
    def headers(self) -> dict[str, str]:
        # RFC 9110 asks a 401 to name the scheme; browsers prompt only for Basic and Digest.
        return {"WWW-Authenticate": 'Bearer realm="archive"'}


class Forbidden(ArchiveError):
    status = 403


class TooManyRequests(ArchiveError):
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class IndexBusy(ArchiveError):
    status = 503


class WorkerFailed(ArchiveError):
    """The index worker process failed a round or died; the rows stay unindexed for the next
    round, and a write that waits on it answers "not yet searchable"."""

    status = 503


class SearchUnavailable(ArchiveError):
    """A server's search process died while answering, or none was free or answered within
    Settings.search_wait_seconds: the search may be tried again (the process is replaced)."""

    status = 503

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": "1"}


class IndexWriteFailed(ArchiveError):
    """A bulk load's index commit holds fewer documents than were added (a sub-writer of
    Whoosh's multi-process writer failed): none of them is marked indexed, so the next start
    indexes them again."""

    status = 500


class PrepareFailed(ArchiveError):
    """A bulk import's helper process failed or died: the import stops after its last committed
    batch, and the same import resumes after it."""


class OcrUnavailable(ArchiveError):
    """OCR asked for (`archive ocr`, the edit page's button) where Tesseract is not installed."""

    status = 503
