"""Settings: read once from the environment (ARCHIVE_*), then passed down as a value."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

DATE_ORDERS = ("DMY", "MDY")


@dataclass(frozen=True)
class Settings:
    root: Path
    # Whether the root was chosen (--root, ARCHIVE_ROOT) or is the current folder by default:
    # the CLI makes no archive in a folder nobody chose (archive/cli/roots.py).
    root_chosen: bool = True
    # How to read a numeric date whose day and month could be swapped (11/6/23).
    date_order: str = "DMY"
    max_upload_bytes: int = 50 * 1024 * 1024
    # Unindexed catalog rows go to Whoosh in one commit per batch.
    index_batch_size: int = 500
    writer_timeout: float = 60.0
    # A server's writes (upload, publish, edit) answer once the index has them, waiting at most
    # this long; after that they answer anyway, saying the document is not yet searchable.
    index_wait_seconds: float = 10.0
    # A server's index rounds begin at most this often (a group commit): the writes that arrive
    # meanwhile share one commit, one merge and one new index generation for every search
    # process (ARCHIVE_INDEX_ROUND_SECONDS; 0: a round as soon as the last one ends). A write
    # after a quiet spell starts its round at once; under a stream a write waits for its round:
    # up to this much longer. Under the 20k load test (docs/reliability.md, session 8) 2 s
    # against 0.5 s: no upload past the 10 s wait in six 60 s runs against 20 a run (a round's
    # largest merge ~960 documents every ~960 uploads, against ~1,500), search p50 80-93
    # against 100-105 ms, uploads 7.6 against 10-11/s.
    index_round_seconds: float = 2.0
    # A server's searches run in this many search processes beside it (archive.core.searchers),
    # each with its own reader of the index, so that searching uses every core; 0: in the server
    # process itself (ARCHIVE_SEARCH_PROCESSES). The CLI's commands always search in-process.
    # One by default: at 100k under the load test (20 uploaders, 20 searchers) a server searching
    # itself answered p50 1.9 s, 9.6 searches a second (its one core also took the uploads'
    # catalogue work: copies, translations), one search process p50 340 ms, 40.6 a second, with
    # 611 MB at the peak in all processes (docs/reliability.md, session 13). Each process holds
    # its own caches of the index (~260 MB at 100k); two gave little more on this 2-core machine
    # (p50 259 ms, 50.6 searches a second, peak 846 MB), where the server and the worker need
    # the cores too.
    search_processes: int = 1
    # Pages each generation of the index remembers having answered (archive.search.answers),
    # so that a search asked again before the next commit is not run again; 0: none
    # (ARCHIVE_SEARCH_ANSWERS; bench/compare.py's timed pass asks its warm-up's queries again).
    search_answers: int = 128
    # The longest a search waits for a free search process and then for its answer before it is
    # refused with 503 (a process that took that long is replaced; ARCHIVE_SEARCH_WAIT_SECONDS).
    search_wait_seconds: float = 30.0
    # Whoosh writer memory (MB) per writer process: the postings it sorts in memory before it
    # spills a run to disk (Whoosh's estimate; Python holds ~1.3 times that).
    index_memory_mb: int = 256
    # A bulk load (a CLI import of prepare_process_min_bytes or more, a reindex) commits the
    # index once its writer holds this many documents, or half the index if that is more
    # (archive.search.bulk: a few large segments and no merges).
    index_segment_docs: int = 5_000
    # A bulk load writes with Whoosh's multi-process writer, this many sub-writers, each of
    # them a segment per commit (archive.search.bulk); 1: the one writer in the loading
    # process. Still a single writer of the index: the sub-writers work under its lock. They
    # take documents in whatever order they come free; equal scores and dates are ordered by
    # catalog id, not by place in the index, so the pages are the same
    # (ARCHIVE_BULK_INDEX_PROCS).
    bulk_index_procs: int = 2
    # A bulk import of at least this many bytes prepares its documents in a helper process
    # beside the index writer (archive.core.prepare); -1: never.
    prepare_process_min_bytes: int = 4 * 1024 * 1024
    # The archivist's own variants file (names in several spellings); None: the bundled one.
    variants_path: Path | None = None
    # Reading requires a login (a private archive); by default the archive is public.
    private: bool = False
    # The session cookie's Secure flag: None sets it when the request came over https; True
    # forces it (TLS ended at a proxy that forwards plain http), False never (local testing).
    secure_cookies: bool | None = None
    # argon2id cost (argon2-cffi's defaults, RFC 9106's low-memory profile); tests lower it.
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    password_parallelism: int = 4
    # Requests per second/burst per token, user or address, by kind (archive.web.ratelimit);
    # "off" for none (ARCHIVE_RATE_LIMITS; a loopback load test may want that).
    rate_limits: str = "search=20/60,upload=5/20,login=1/10"
    # Records (or headers) per OAI-PMH list response; a longer list continues with a token.
    oai_page_size: int = 100
    # Identify's adminEmail (the protocol requires one): whom a harvester's operator writes to.
    oai_admin_email: str = "archivist@example.org"
    # Documents in a search's CSV or JSON Lines export at most (/search.csv, /search.jsonl); an
    # export cut short says so (ARCHIVE_EXPORT_LIMIT).
    export_limit: int = 10_000
    # OCR of scanned pages and images (ingest/extract/ocr.py): the tesseract command (a name on
    # PATH or a path; ARCHIVE_TESSERACT); where it is absent, uploads are kept marked "needs
    # OCR" for `archive ocr`. Each page may take ocr_page_seconds (ARCHIVE_OCR_PAGE_SECONDS;
    # a clean 300 dpi page takes 1-5 s: docs/ocr.md), and a document has at most ocr_max_pages
    # read (ARCHIVE_OCR_MAX_PAGES): the rest are recorded as unread.
    tesseract: str = "tesseract"
    ocr_page_seconds: float = 60.0
    ocr_max_pages: int = 50

    @property
    def uploads_dir(self) -> Path:
        return self.root / "uploads"

    @property
    def originals_dir(self) -> Path:
        return self.uploads_dir / "originals"

    @property
    def catalog_path(self) -> Path:
        return self.uploads_dir / "catalog.sqlite3"

    @property
    def jobs_dir(self) -> Path:
        """A lock file per running import job (archive.storage.jobs.running)."""
        return self.uploads_dir / "jobs"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, root: str | os.PathLike[str] | None = None) -> Settings:
        """Settings from ARCHIVE_* variables; an explicit root wins over ARCHIVE_ROOT."""
        env = os.environ
        chosen = root if root is not None else env.get("ARCHIVE_ROOT", ".")
        order = env.get("ARCHIVE_DATE_ORDER", "DMY").upper()
        if order not in DATE_ORDERS:
            raise ValueError(f"ARCHIVE_DATE_ORDER must be one of {', '.join(DATE_ORDERS)}")
        kwargs: dict[str, object] = {"root": Path(chosen).resolve(), "date_order": order}
        kwargs["root_chosen"] = root is not None or "ARCHIVE_ROOT" in env
        if "ARCHIVE_MAX_UPLOAD_BYTES" in env:
            kwargs["max_upload_bytes"] = int(env["ARCHIVE_MAX_UPLOAD_BYTES"])
        if "ARCHIVE_INDEX_BATCH_SIZE" in env:
            kwargs["index_batch_size"] = int(env["ARCHIVE_INDEX_BATCH_SIZE"])
        if "ARCHIVE_PREPARE_PROCESS_MIN_BYTES" in env:
            kwargs["prepare_process_min_bytes"] = int(env["ARCHIVE_PREPARE_PROCESS_MIN_BYTES"])
        if "ARCHIVE_BULK_INDEX_PROCS" in env:
            kwargs["bulk_index_procs"] = max(1, int(env["ARCHIVE_BULK_INDEX_PROCS"]))
        if "ARCHIVE_INDEX_WAIT_SECONDS" in env:
            kwargs["index_wait_seconds"] = float(env["ARCHIVE_INDEX_WAIT_SECONDS"])
        if "ARCHIVE_INDEX_ROUND_SECONDS" in env:
            kwargs["index_round_seconds"] = float(env["ARCHIVE_INDEX_ROUND_SECONDS"])
        if "ARCHIVE_SEARCH_ANSWERS" in env:
            kwargs["search_answers"] = int(env["ARCHIVE_SEARCH_ANSWERS"])
        if "ARCHIVE_SEARCH_PROCESSES" in env:
            kwargs["search_processes"] = int(env["ARCHIVE_SEARCH_PROCESSES"])
        if "ARCHIVE_SEARCH_WAIT_SECONDS" in env:
            kwargs["search_wait_seconds"] = float(env["ARCHIVE_SEARCH_WAIT_SECONDS"])
        if env.get("ARCHIVE_VARIANTS"):
            kwargs["variants_path"] = Path(env["ARCHIVE_VARIANTS"]).resolve()
        if "ARCHIVE_RATE_LIMITS" in env:
            # kept as text (the ground floor imports no part): the web parses it when the app
            # is created, so a typo still fails at startup, not per request
            kwargs["rate_limits"] = env["ARCHIVE_RATE_LIMITS"]
        if "ARCHIVE_OAI_PAGE_SIZE" in env:
            kwargs["oai_page_size"] = int(env["ARCHIVE_OAI_PAGE_SIZE"])
        if "ARCHIVE_EXPORT_LIMIT" in env:
            kwargs["export_limit"] = int(env["ARCHIVE_EXPORT_LIMIT"])
        if env.get("ARCHIVE_TESSERACT"):
            kwargs["tesseract"] = env["ARCHIVE_TESSERACT"]
        if "ARCHIVE_OCR_PAGE_SECONDS" in env:
            kwargs["ocr_page_seconds"] = float(env["ARCHIVE_OCR_PAGE_SECONDS"])
        if "ARCHIVE_OCR_MAX_PAGES" in env:
            kwargs["ocr_max_pages"] = max(1, int(env["ARCHIVE_OCR_MAX_PAGES"]))
        if env.get("ARCHIVE_OAI_ADMIN_EMAIL"):
            kwargs["oai_admin_email"] = env["ARCHIVE_OAI_ADMIN_EMAIL"]
        kwargs["private"] = env.get("ARCHIVE_PRIVATE", "0") not in ("", "0", "false", "no")
        secure = env.get("ARCHIVE_SECURE_COOKIES", "auto").lower()
        if secure not in ("auto", "1", "0"):
            raise ValueError("ARCHIVE_SECURE_COOKIES must be auto, 1 or 0")
        kwargs["secure_cookies"] = None if secure == "auto" else secure == "1"
        return cls(**kwargs)  # type: ignore[arg-type]


def one_thread_for_ocr() -> None:
    """Tesseract runs one OpenMP thread (for the processes this one starts: the sandbox's child
    that runs it). Debian's build otherwise starts a thread a core, and on a busy machine they
    spin against each other and against the sandbox's other children: a 300 dpi page took 20 s
    instead of 6 s, and twice the CPU (docs/ocr.md). Here, as this module is the one place
    that touches the environment."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
