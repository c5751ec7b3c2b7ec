"""`archive users …` and `archive tokens …`: accounts on the command line.

Each command opens Archive.accounts_only (the catalog, not the index: managing accounts next to a
running server must not contend for the index writer, and SQLite's WAL lets both processes write
the catalog) and makes one call.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager

import click

from archive.cli import roots
from archive.core.archive import Archive
from archive.models import ROLES, SCOPES


def _archive(ctx: click.Context) -> AbstractContextManager[Archive]:
    return Archive.accounts_only(roots.existing(ctx))


def _read_password(from_stdin: bool) -> str:
    # Never an argument: command lines end up in shell history and in `ps` for every user.
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise click.UsageError("No terminal to ask for the password: use --password-stdin.")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group()
def users() -> None:
    """Add, list and change user accounts."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def add_user(ctx: click.Context, name: str, role: str, password_stdin: bool) -> None:
    """Add a user (the password is asked for twice, or read from stdin)."""
    password = _read_password(password_stdin)
    with _archive(ctx) as archive:
        user = archive.add_user(name, password, role)
    click.echo(f"added {user.username} ({user.role})")


@users.command("list")
@click.pass_context
def list_users(ctx: click.Context) -> None:
    """List users with their roles."""
    with _archive(ctx) as archive:
        found = archive.users()
    for user in found:
        state = "disabled" if user.disabled else "active"
        click.echo(f"{user.username}\t{user.role}\t{state}\t{user.created_at}")


@users.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@click.pass_context
def set_role(ctx: click.Context, name: str, role: str) -> None:
    """Change a user's role."""
    with _archive(ctx) as archive:
        user = archive.set_role(name, role)
    click.echo(f"{user.username} is now {user.role}")


@users.command("disable")
@click.argument("name")
@click.pass_context
def disable(ctx: click.Context, name: str) -> None:
    """Disable a user: their sessions end and their tokens stop working."""
    with _archive(ctx) as archive:
        archive.set_disabled(name, True)
    click.echo(f"disabled {name}")


@users.command("enable")
@click.argument("name")
@click.pass_context
def enable(ctx: click.Context, name: str) -> None:
    """Enable a disabled user again."""
    with _archive(ctx) as archive:
        archive.set_disabled(name, False)
    click.echo(f"enabled {name}")


@click.group()
def tokens() -> None:
    """Create, list and revoke API tokens."""


@tokens.command("create")
@click.argument("user")
@click.option("--scope", type=click.Choice(SCOPES), required=True)
@click.option("--name", required=True, help="What the token is for, e.g. 'nightly import'.")
@click.pass_context
def create_token(ctx: click.Context, user: str, scope: str, name: str) -> None:
    """Create a token; it is printed once, on stdout, and cannot be shown again."""
    with _archive(ctx) as archive:
        new = archive.create_token(user, name, scope)
    click.echo(f"token {new.token.id} for {user} ({scope}); it is shown only now:", err=True)
    click.echo(new.secret)


@tokens.command("list")
@click.option("--user", help="Only this user's tokens.")
@click.pass_context
def list_tokens(ctx: click.Context, user: str | None) -> None:
    """List tokens (never their secrets)."""
    with _archive(ctx) as archive:
        found = archive.tokens(user)
    for t in found:
        state = f"revoked {t.revoked_at}" if t.revoked_at else "active"
        used = t.last_used_at or "never used"
        click.echo(f"{t.id}\t{t.username}\t{t.name}\t{t.scope}\t{t.created_at}\t{used}\t{state}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@click.pass_context
def revoke(ctx: click.Context, token_id: int) -> None:
    """Revoke a token by its id (see `archive tokens list`)."""
    with _archive(ctx) as archive:
        archive.revoke_token(token_id)
    click.echo(f"revoked token {token_id}")
