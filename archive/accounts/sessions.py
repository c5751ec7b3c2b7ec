"""Sessions: a browser's sign-in, a random cookie value with its own CSRF token.

The cookie value is handed out once and stored only as its digest. Every login opens a new
session, and ends the one the browser came with, so a session id planted before the login is worth
nothing after it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from archive.accounts.users import USER_COLUMNS, Users, digest, timestamp, user_of
from archive.models import SESSION_SECONDS, NewSession, Session
from archive.storage.catalog import Catalog


class Sessions:
    def __init__(self, catalog: Catalog, users: Users, clock: Callable[[], float]) -> None:
        self.catalog = catalog
        self.users = users
        self.clock = clock

    def login(
        self,
        username: str,
        password: str,
        address: str | None = None,
        previous: str | None = None,
    ) -> NewSession:
        """Check the password (throttled by username and address) and open a new session;
        ``previous`` (the old cookie) is ended."""
        user = self.users.verify_password(username, password, address)
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        created, expires = timestamp(now), timestamp(now + SESSION_SECONDS)
        with self.catalog.transaction() as conn:
            if previous:
                conn.execute("DELETE FROM sessions WHERE id_hash = ?", (digest(previous),))
            conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (created,))
            conn.execute(
                "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (digest(secret), user.id, csrf, created, expires),
            )
        return NewSession(secret, Session(user, csrf, expires))

    def find(self, secret: str) -> Session | None:
        """The live session with this cookie value, else None (unknown, expired, disabled)."""
        rows = self.catalog.query(
            f"SELECT {USER_COLUMNS}, s.csrf, s.expires_at"
            " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?",
            (digest(secret),),
        )
        if not rows or rows[0][3] or rows[0][6] <= timestamp(self.clock()):
            return None
        return Session(user_of(rows[0]), rows[0][5], rows[0][6])

    def logout(self, secret: str) -> None:
        with self.catalog.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE id_hash = ?", (digest(secret),))
