"""Which archive a command works on, and the rule that none is made where nobody chose.

Without --root or ARCHIVE_ROOT the root is the current folder, which must already hold an
archive: opening one creates uploads/ and index/, and a command typed in the wrong folder
should say so rather than leave an empty archive there. `archive init` makes one on purpose;
`serve --demo` and `ingest`, which are how a newcomer starts, make one and say where.
"""

from __future__ import annotations

import click

from archive.config import Settings


def exists(settings: Settings) -> bool:
    """Whether the root holds an archive (its catalog)."""
    return settings.catalog_path.exists()


def existing(ctx: click.Context) -> Settings:
    """The settings of an archive that exists, or an error saying how to choose one."""
    settings: Settings = ctx.obj
    if not settings.root_chosen and not exists(settings):
        raise click.UsageError(
            f"There is no archive in {settings.root}; this command would create uploads/ and"
            " index/ there. Run `archive init` to make one in this folder, or choose another"
            " with --root DIR (or ARCHIVE_ROOT=DIR)."
        )
    return settings


def announced(ctx: click.Context) -> Settings:
    """The settings of the archive a command will use, made if need be; says which on stderr."""
    settings: Settings = ctx.obj
    if exists(settings):
        click.echo(f"Using the archive in {settings.root}", err=True)
    else:
        how = "" if settings.root_chosen else " (the current folder; choose with --root DIR)"
        click.echo(f"Making a new archive in {settings.root}{how}: uploads/ and index/", err=True)
    return settings
