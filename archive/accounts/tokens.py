"""API tokens: a script's credential, with a scope (read or write) and a name saying what for.

A token is random, shown once when it is made, and stored only as its digest. A revoked token
stays listed; a disabled user's tokens stop working until the user is enabled again.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from archive.accounts.users import USER_COLUMNS, Users, digest, timestamp, user_of
from archive.errors import BadRequest, NotFound
from archive.models import SCOPES, NewToken, Token, User, is_row_id
from archive.storage.catalog import Catalog

TOKEN_PREFIX = "arc_"
# last_used_at is a hint for admins, not an audit trail: one write a minute per token is plenty.
LAST_USED_EVERY = 60.0
_SELECT = (
    "SELECT t.id, u.username, t.name, t.scope, t.created_at, t.last_used_at, t.revoked_at"
    " FROM tokens t JOIN users u ON u.id = t.user_id"
)


class Tokens:
    def __init__(self, catalog: Catalog, users: Users, clock: Callable[[], float]) -> None:
        self.catalog = catalog
        self.users = users
        self.clock = clock

    def create(self, username: str, name: str, scope: str) -> NewToken:
        name = name.strip()
        if not 1 <= len(name) <= 100:
            raise BadRequest("A token's name has 1 to 100 characters.")
        if scope not in SCOPES:
            raise BadRequest(f"A token's scope is one of: {', '.join(SCOPES)}.")
        user = self.users.get(username)
        if scope == "write" and user.role == "reader":
            raise BadRequest("A reader's tokens can only read.")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.catalog.transaction() as conn:
            token_id = conn.execute(
                "INSERT INTO tokens (user_id, name, token_hash, scope, created_at)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                (user.id, name, digest(secret), scope, timestamp(self.clock())),
            ).fetchone()[0]
        return NewToken(secret, self.get(token_id))

    def get(self, token_id: int) -> Token:
        if is_row_id(token_id):
            rows = self.catalog.query(f"{_SELECT} WHERE t.id = ?", (token_id,))
            if rows:
                return Token(*rows[0])
        raise NotFound(f"There is no token {token_id}.")

    def all(self, username: str | None = None) -> list[Token]:
        """Every token, or one user's, revoked ones included (newest first)."""
        if username is None:
            rows = self.catalog.query(f"{_SELECT} ORDER BY t.id DESC")
        else:
            rows = self.catalog.query(
                f"{_SELECT} WHERE u.username = ? ORDER BY t.id DESC", (username,)
            )
        return [Token(*r) for r in rows]

    def revoke(self, token_id: int, owner: str | None = None) -> Token:
        """Revoke a token; with ``owner``, only if it is theirs (else NotFound, not Forbidden:
        whether someone else's token id exists is none of their business)."""
        token = self.get(token_id)
        if owner is not None and token.username != owner:
            raise NotFound(f"There is no token {token_id}.")
        with self.catalog.transaction() as conn:
            conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (timestamp(self.clock()), token_id),
            )
        return self.get(token_id)

    def authenticate(self, secret: str) -> tuple[User, Token] | None:
        """The enabled user and live token this secret belongs to, else None."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        rows = self.catalog.query(
            f"SELECT {USER_COLUMNS}, t.id, t.last_used_at"
            " FROM tokens t JOIN users u ON u.id = t.user_id"
            " WHERE t.token_hash = ? AND t.revoked_at IS NULL",
            (digest(secret),),
        )
        if not rows or rows[0][3]:
            return None
        token_id, last_used = rows[0][5], rows[0][6]
        if last_used is None or datetime.fromisoformat(last_used).timestamp() <= (
            self.clock() - LAST_USED_EVERY
        ):
            with self.catalog.transaction() as conn:
                conn.execute(
                    "UPDATE tokens SET last_used_at = ? WHERE id = ?",
                    (timestamp(self.clock()), token_id),
                )
        return user_of(rows[0]), self.get(token_id)
