"""Bulk import jobs: their progress lives in the catalog, so the terminal, the browser and a
resumed run all read the same figures."""

from __future__ import annotations

import fcntl
import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from archive.errors import BadRequest, NotFound
from archive.models import Job
from archive.storage import import_files
from archive.storage.catalog import Catalog

# What a job is: an archivist's import, or the demo collection loaded by `serve --demo`,
# which the list of recent imports leaves out (no one imported it).
IMPORT = "import"
DEMO = "demo"
# A job keeps the first reasons for failures; the count says how many there were.
MAX_ERRORS = 200
LOCK_WAIT_SECONDS = 2.0
ORPHAN_MESSAGE = (
    "Stopped when the process running it ended (a restart or a crash). Every batch before that"
    " is stored; import the same file again to resume after it."
)


_COLUMNS = (
    "id, kind, source, actor, state, created_at, updated_at, total, done, added, duplicates,"
    " failed, errors, message, read_as"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _job(r: tuple) -> Job:
    errors = tuple((name, reason) for name, reason in json.loads(r[12]))
    saved = Path(r[2].splitlines()[0]) if r[2] else None
    name = import_files.given_name(saved) if saved else ""
    saved_as = str(saved) if saved and saved.name != name else ""
    read_as = json.loads(r[14] or "{}")
    files = tuple((file, label) for file, label in read_as.get("files", []))
    counts = {str(k): int(v) for k, v in read_as.get("counts", {}).items()}
    return Job(*r[:12], errors, r[13], name, saved_as, files, counts)  # type: ignore[arg-type]


def create(catalog: Catalog, kind: str, source: str, actor: str, total: int | None = None) -> Job:
    now = _now()
    with catalog.transaction() as conn:
        job_id = conn.execute(
            "INSERT INTO jobs (kind, source, actor, state, created_at, updated_at, total)"
            " VALUES (?, ?, ?, 'running', ?, ?, ?) RETURNING id",
            (kind, source, actor, now, now, total),
        ).fetchone()[0]
    return get(catalog, job_id)


def get(catalog: Catalog, job_id: int) -> Job:
    rows = catalog.query(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
    if not rows:
        raise NotFound(f"there is no import job {job_id}")
    return _job(rows[0])


def recent(catalog: Catalog, limit: int = 20) -> list[Job]:
    """The latest imports (the demo's load is not one)."""
    rows = catalog.query(
        f"SELECT {_COLUMNS} FROM jobs WHERE kind = ? ORDER BY id DESC LIMIT ?", (IMPORT, limit)
    )
    return [_job(r) for r in rows]


def resumable(catalog: Catalog, source: str) -> Job | None:
    """The latest unfinished job over the same source, if the last run was cut short."""
    rows = catalog.query(
        f"SELECT {_COLUMNS} FROM jobs WHERE source = ? ORDER BY id DESC LIMIT 1", (source,)
    )
    if rows and rows[0][4] in ("running", "interrupted"):
        return _job(rows[0])
    return None


def progress(
    catalog: Catalog,
    job_id: int,
    done: int,
    added: int,
    duplicates: int,
    failed: list[tuple[str, str]],
    total: int | None = None,
    state: str = "running",
    message: str = "",
    *,
    read_as: tuple[Sequence[tuple[str, str]], dict[str, int]] | None = None,
) -> None:
    """Record how far a job got; `failed` holds this update's new failures, `read_as` the files
    read so far and how each was read (the first ones listed, all counted by type)."""
    with catalog.transaction() as conn:
        row = conn.execute("SELECT errors, failed FROM jobs WHERE id = ?", (job_id,)).fetchone()
        errors = json.loads(row[0])
        errors.extend([list(f) for f in failed][: max(0, MAX_ERRORS - len(errors))])
        errors_json = json.dumps(errors, ensure_ascii=False)
        read_json = None
        if read_as is not None:
            files, counts = read_as
            read_json = json.dumps({"files": list(files), "counts": counts}, ensure_ascii=False)
        conn.execute(
            "UPDATE jobs SET done = ?, added = ?, duplicates = ?, failed = ?, errors = ?,"
            " total = coalesce(?, total), state = ?, message = ?, updated_at = ?,"
            " read_as = coalesce(?, read_as) WHERE id = ?",
            (
                done, added, duplicates, row[1] + len(failed), errors_json,
                total, state, message, _now(), read_json, job_id,
            ),
        )  # fmt: skip


def interrupt(catalog: Catalog, job_id: int, message: str) -> None:
    """The run stopped early: keep the counts of its last committed batch, to resume from."""
    with catalog.transaction() as conn:
        conn.execute(
            "UPDATE jobs SET state = 'interrupted', message = ?, updated_at = ? WHERE id = ?",
            (message[:500], _now(), job_id),
        )


@contextmanager
def running(folder: Path, job_id: int) -> Iterator[None]:
    """Held by the process that runs the job, for as long as it runs it: a "running" job whose
    lock nobody holds was left by a process that died (see interrupt_orphans).

    Raises BadRequest if another process is running this job (a resume started twice)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{job_id}.lock"
    with path.open("a") as handle:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS  # a sweep holds it for an instant
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BadRequest(
                        f"Import job {job_id} is running in another process."
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            path.unlink(missing_ok=True)  # while still held: a sweep never sees a stale lock


def interrupt_orphans(catalog: Catalog, folder: Path) -> int:
    """At start: jobs still "running" whose process is gone (a restart, a crash, a kill) are
    marked interrupted, so the browser stops showing them as live; a new run resumes them."""
    rows = catalog.query("SELECT id FROM jobs WHERE state = 'running'")
    orphans = 0
    for (job_id,) in rows:
        path = folder / f"{job_id}.lock"
        folder.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # alive in another process
            interrupt(catalog, job_id, ORPHAN_MESSAGE)
            path.unlink(missing_ok=True)
            orphans += 1
    return orphans
