"""The `archive` command: serve, ingest, search, reindex, check, ocr, users, tokens."""

from __future__ import annotations

import html
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import click

from archive.cli import accounts, roots
from archive.config import Settings
from archive.core.archive import Archive
from archive.errors import ArchiveError, OcrUnavailable
from archive.models import IngestReport, Overrides, SearchQuery
from archive.processes import return_large_allocations, trim_heap_now_and_then

# An import of this many files or fewer says how it read each one; a larger one counts them.
READ_AS_ONE_BY_ONE = 20


class ProgressLine:
    """A one-line progress display on stderr: a bar when the total is known, a count otherwise."""

    def __init__(self, label: str, stream=None) -> None:  # noqa: ANN001 - a text stream
        self.label = label
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self.last = 0.0
        self.done = 0
        self.shown = False

    def __call__(self, done: int, total: int | None, item: str = "") -> None:
        self.done = done
        now = time.monotonic()
        if now - self.last < 0.1 and done != total:
            return
        self.last = now
        rate = done / max(now - self.start, 1e-6)
        if total:
            filled = int(30 * done / total)
            text = f"{self.label} [{'#' * filled}{'.' * (30 - filled)}] {done:,}/{total:,}"
        else:
            text = f"{self.label} {done:,}"
        text += f"  {rate:,.0f}/s"
        if item and self.stream.isatty():
            text += f"  {item[-40:]}"
        end = "\r" if self.stream.isatty() else "\n"
        self.stream.write(text.ljust(100)[:120] + end)
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown and self.stream.isatty():
            self.stream.write("\n")
        self.shown = False


def _open(ctx: click.Context, *, announce: bool = False, index_now: bool = True) -> Archive:
    settings = roots.announced(ctx) if announce else roots.existing(ctx)
    bar = ProgressLine("indexing")
    archive = Archive(settings, progress=bar, index_now=index_now)
    bar.finish()
    return archive


@click.group()
@click.option(
    "--root",
    type=click.Path(file_okay=False),
    default=None,
    help="Data root holding uploads/ and index/ (default: ARCHIVE_ROOT, else the current"
    " folder, if it holds an archive: see `archive init`)",
)
@click.pass_context
def main(ctx: click.Context, root: str | None) -> None:
    """A searchable archive of articles."""
    try:
        ctx.obj = Settings.from_env(root)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="Load the demo collection when the archive is empty.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, demo: bool) -> None:
    """Serve the archive over HTTP."""
    settings = roots.announced(ctx) if demo else roots.existing(ctx)
    return_large_allocations()  # a server searching in-process holds the same arrays
    trim_heap_now_and_then()  # and its threads search
    # a damaged or outdated index is rebuilt by the indexing worker while the server answers;
    # opened before the web's imports, so that its search processes start meanwhile
    archive = Archive(settings, background=True)
    import uvicorn

    from archive.web import create_app

    if demo and archive.is_empty():
        from archive.cli.demo import demo_paths, demo_size

        click.echo("The archive is empty: loading the demo collection.", err=True)
        bar = ProgressLine("loading demo")
        total = demo_size()  # so that the bar fills up (an import's own total is unknown)
        report = archive.ingest_paths(
            demo_paths(), progress=lambda done, _, item: bar(done, total, item), demo=True
        )
        bar.finish()
        click.echo(f"Demo loaded: {len(report.added)} documents.", err=True)
    click.echo(f"Serving {archive.count():,} documents at http://{host}:{port}/", err=True)
    try:
        uvicorn.run(create_app(archive), host=host, port=port, log_level="warning")
    finally:
        archive.close()


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--title")
@click.option("--author", "authors", multiple=True, help="Repeat for several authors.")
@click.option("--publication")
@click.option("--date", help="YYYY-MM-DD, or as written (11/6/23 is read day first by default).")
@click.option("--language", help="Two-letter code: en, es, ru, uk, de, fr, pt, it…")
@click.option("--tag", "tags", multiple=True, help="Repeat for several tags.")
@click.pass_context
def ingest(
    ctx: click.Context,
    paths: tuple[Path, ...],
    title: str | None,
    authors: tuple[str, ...],
    publication: str | None,
    date: str | None,
    language: str | None,
    tags: tuple[str, ...],
) -> None:
    """Add files, folders and JSONL(.gz) files to the archive."""
    given = any((title, authors, publication, date, language, tags))
    if given and (len(paths) > 1 or paths[0].is_dir()):
        raise click.UsageError("Metadata options apply to a single file; give one file path.")
    overrides = None
    if given:
        overrides = Overrides(
            title=title,
            authors=authors or None,
            publication=publication,
            date=date,
            language=language,
            tags=tags or None,
        )
    with _open(ctx, announce=True) as archive:
        bar = ProgressLine("ingesting")
        report = archive.ingest_paths(paths, overrides, progress=bar)
        bar.finish()
        waiting = set(report.added) & set(archive.needing_ocr())
    for name, existing in report.duplicates:
        click.echo(f"duplicate: {name} is already document {existing}")
    _echo_read_as(report)
    for name, reason in report.failed:
        click.echo(f"failed: {reason}" if name in reason else f"failed: {name}: {reason}")
    if report.more_duplicates or report.more_failed:
        click.echo(
            f"(not listed: {report.more_duplicates} more duplicates, "
            f"{report.more_failed} more failures)"
        )
    click.echo(
        f"added {len(report.added)}, duplicates {len(report.duplicates) + report.more_duplicates}"
        f", failed {len(report.failed) + report.more_failed}"
    )
    if waiting:
        click.echo(
            f"needs OCR: {len(waiting)} kept as drafts with scanned pages unread (Tesseract is"
            " not installed); `archive ocr` reads them once it is"
        )
    if report.failed:
        sys.exit(1)


def _echo_read_as(report: IngestReport) -> None:
    """What type each file was read as: file by file for a few, by type for many."""
    if sum(report.read_as_counts.values()) <= READ_AS_ONE_BY_ONE:
        for file, label in report.read_as:
            click.echo(f"read as {label}: {file}")
    click.echo(f"files read as: {report.read_as_summary()}")


@main.command()
@click.argument("query", default="")
@click.option("--json", "as_json", is_flag=True, help="Print the page as JSON.")
@click.option("--per-page", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--page", default=1, show_default=True, type=click.IntRange(1))
@click.option(
    "--sort", default="relevance", type=click.Choice(["relevance", "newest", "oldest", "title"])
)
@click.pass_context
def search(
    ctx: click.Context, query: str, as_json: bool, per_page: int, page: int, sort: str
) -> None:
    """Search the archive."""
    with _open(ctx) as archive:
        result = archive.search(SearchQuery(text=query, page=page, per_page=per_page, sort=sort))
    if as_json:
        click.echo(json.dumps(asdict(result), ensure_ascii=False, indent=2, default=list))
        return
    click.echo(f"{result.total:,} documents")
    for hit in result.hits:
        byline = " · ".join(
            x for x in (", ".join(hit.authors), hit.publication, hit.date or "") if x
        )
        click.echo(f"\n[{hit.id}] {hit.title}\n    {byline}")
        for snippet in hit.snippets:
            click.echo(
                "    " + html.unescape(snippet.replace("<mark>", "[").replace("</mark>", "]"))
            )
    if result.suggestion:
        click.echo(f"\nDid you mean: {result.suggestion}")


@main.command()
@click.pass_context
def reindex(ctx: click.Context) -> None:
    """Rebuild the index from the catalog."""
    with _open(ctx, index_now=False) as archive:  # an outdated index is rebuilt here, once
        bar = ProgressLine("reindexing")
        count = archive.reindex(progress=bar)
        bar.finish()
    click.echo(f"reindexed {count} documents")


@main.command()
@click.option(
    "--repair", is_flag=True, help="Fix what can be fixed (files are moved, never deleted)."
)
@click.option(
    "--source",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="An export or backup folder to restore missing or damaged originals from.",
)
@click.pass_context
def check(ctx: click.Context, repair: bool, source: Path | None) -> None:
    """Compare originals, catalog and index; exit 1 when something is (still) wrong."""
    with _open(ctx) as archive:
        problems = archive.check(repair=repair, source=source)
        count = archive.count()
        left = archive.check() if repair and problems else problems
    for problem in problems:
        click.echo(str(problem))
    click.echo(f"checked {count} documents: {len(problems)} problems", nl=False)
    click.echo(f", {len(left)} left after repair" if repair and problems else "")
    if left:
        sys.exit(1)


@main.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Make an archive (uploads/ and index/) in the root: --root DIR, else the current folder."""
    settings: Settings = ctx.obj
    if roots.exists(settings):
        click.echo(f"There is an archive in {settings.root} already.")
        return
    with Archive(settings):
        pass
    click.echo(f"Made an archive in {settings.root}: uploads/ and index/.")


@main.command()
@click.argument("ids", nargs=-1, type=click.IntRange(1))
@click.pass_context
def ocr(ctx: click.Context, ids: tuple[int, ...]) -> None:
    """Read by OCR the scanned pages that wait for it (uploads kept where Tesseract was
    absent), or those of the documents IDS; each then has its text and is searchable."""
    with _open(ctx) as archive:
        archive.check_ocr()  # before anything: says how to install Tesseract
        wanted = list(ids) or archive.needing_ocr()
        if not wanted:
            click.echo("No document waits for OCR.")
            return
        bar = ProgressLine("reading by OCR")
        read, failed = 0, []
        for n, doc_id in enumerate(wanted):
            bar(n, len(wanted), f"document {doc_id}")
            try:
                doc = archive.read_by_ocr(doc_id)
            except ArchiveError as exc:
                if isinstance(exc, OcrUnavailable):
                    raise
                failed.append((doc_id, exc.message))
                continue
            read += 1
            bar(n + 1, len(wanted), f"document {doc_id}")
            bar.finish()
            done = doc.ocr.summary() if doc.ocr else "no scanned pages"
            click.echo(f"document {doc_id} ({doc.filename}): {done}; {doc.status}")
        bar.finish()
    for doc_id, reason in failed:
        click.echo(f"failed: document {doc_id}: {reason}")
    click.echo(f"read {read} of {len(wanted)} documents by OCR")
    if failed:
        sys.exit(1)


main.add_command(accounts.users)
main.add_command(accounts.tokens)


@main.command("export")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def export_cmd(ctx: click.Context, dest: Path) -> None:
    """Write the whole archive to DEST: originals, metadata, collections, users, audit log."""
    with _open(ctx) as archive:
        bar = ProgressLine("exporting")
        count = archive.export(dest, progress=bar)
        bar.finish()
    click.echo(f"exported {count} documents to {dest} (checksums in {dest / 'SHA256SUMS'})")


@main.command("import")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.pass_context
def import_cmd(ctx: click.Context, src: Path) -> None:
    """Restore an export into an empty archive, after checking every checksum."""
    with _open(ctx) as archive:
        bar = ProgressLine("importing")
        count = archive.import_export(src, progress=bar)
        bar.finish()
    click.echo(f"imported {count} documents from {src}")


def run() -> None:
    try:
        main(standalone_mode=True)
    except ArchiveError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
