"""Accounts: users and roles, argon2 passwords, sessions with CSRF tokens, API tokens.

Secrets (session ids, API tokens) are random, handed out once, and stored only as SHA-256
digests: they carry at least 256 bits, so a fast hash is enough and a stolen catalog yields no
usable credential. Passwords are low-entropy, so they get argon2id. Every wrong username,
password or disabled account fails with the same Unauthorized message, after the same work.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from archive.accounts.throttle import LoginThrottle
from archive.config import Settings
from archive.errors import BadRequest, NotFound, Unauthorized
from archive.storage.catalog import Catalog

ROLES = ("reader", "archivist", "admin")
SCOPES = ("read", "write")
SESSION_SECONDS = 14 * 24 * 3600
TOKEN_PREFIX = "arc_"
# last_used_at is a hint for admins, not an audit trail: one write a minute per token is plenty.
LAST_USED_EVERY = 60.0
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MIN_PASSWORD, MAX_PASSWORD = 8, 1024  # the upper bound keeps one login from costing a minute
LOGIN_FAILED = "Wrong username or password."


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    disabled: bool
    created_at: str


@dataclass(frozen=True)
class Token:
    id: int
    username: str
    name: str
    scope: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    expires_at: str


@dataclass(frozen=True)
class NewSession:
    """A session just opened: ``secret`` goes into the cookie and is never stored."""

    secret: str
    session: Session


@dataclass(frozen=True)
class NewToken:
    """A token just created: ``secret`` is shown once and is never stored."""

    secret: str
    token: Token


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


_USER = "SELECT id, username, role, disabled, created_at FROM users"
_TOKEN = (
    "SELECT t.id, u.username, t.name, t.scope, t.created_at, t.last_used_at, t.revoked_at"
    " FROM tokens t JOIN users u ON u.id = t.user_id"
)


def _user(row: tuple) -> User:
    return User(row[0], row[1], row[2], bool(row[3]), row[4])


class Accounts:
    def __init__(
        self, catalog: Catalog, settings: Settings, clock: Callable[[], float] = time.time
    ) -> None:
        self.catalog = catalog
        self.clock = clock
        self.hasher = PasswordHasher(
            time_cost=settings.password_time_cost,
            memory_cost=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
        )
        self.throttle = LoginThrottle(catalog, clock)
        self._dummy: str | None = None

    def _dummy_hash(self) -> str:
        """Verified against when the username is unknown, so that costs as much as a wrong
        password; made on first use, as opening an archive must stay cheap."""
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy

    def _now(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).isoformat(timespec="seconds")

    # --- users ---------------------------------------------------------------------------------
    def add_user(self, username: str, password: str, role: str) -> User:
        if not USERNAME.fullmatch(username):
            raise BadRequest(
                "A username is 1 to 64 letters, digits, dots, dashes or underscores,"
                " starting with a letter or digit."
            )
        _check_role(role)
        password_hash = self._hash(password)
        with self.catalog.transaction() as conn:
            if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
                raise BadRequest(f"There is already a user {username}.")
            conn.execute(
                "INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
                (username, password_hash, role, self._now()),
            )
        return self.user(username)

    def _hash(self, password: str) -> str:
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise BadRequest(f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters.")
        return self.hasher.hash(password)

    def users(self) -> list[User]:
        return [_user(r) for r in self.catalog.query(f"{_USER} ORDER BY username")]

    def user(self, username: str) -> User:
        rows = self.catalog.query(f"{_USER} WHERE username = ?", (username,))
        if not rows:
            raise NotFound(f"There is no user {username}.")
        return _user(rows[0])

    def set_role(self, username: str, role: str) -> User:
        _check_role(role)
        self._update_user(username, "UPDATE users SET role = ? WHERE username = ?", role)
        return self.user(username)

    def set_disabled(self, username: str, disabled: bool) -> User:
        """Disable (ending every session; tokens stop working too) or enable an account."""
        self._update_user(username, "UPDATE users SET disabled = ? WHERE username = ?", disabled)
        if disabled:
            with self.catalog.transaction() as conn:
                conn.execute(
                    "DELETE FROM sessions WHERE user_id ="
                    " (SELECT id FROM users WHERE username = ?)",
                    (username,),
                )
        return self.user(username)

    def set_password(self, username: str, password: str) -> None:
        """A new password; every session of the user ends."""
        password_hash = self._hash(password)
        user = self.user(username)
        with self.catalog.transaction() as conn:
            conn.execute(
                "UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user.id)
            )
            conn.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))

    def _update_user(self, username: str, sql: str, value: object) -> None:
        active_admins = "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0"
        with self.catalog.transaction() as conn:
            before = conn.execute(active_admins).fetchone()[0]
            if conn.execute(sql, (value, username)).rowcount == 0:
                raise NotFound(f"There is no user {username}.")
            # Rolled back with the change: nobody could manage accounts in the browser after it.
            if before and not conn.execute(active_admins).fetchone()[0]:
                raise BadRequest("The archive must keep at least one active admin.")

    def verify_password(self, username: str, password: str, address: str | None = None) -> User:
        """The enabled user with this password, else Unauthorized; TooManyRequests when throttled.

        The same message and the same argon2 work for an unknown user, a disabled one and a wrong
        password, so a login form cannot be used to find out which usernames exist.
        """
        self.throttle.attempt(username, address)
        rows = self.catalog.query(
            "SELECT id, username, role, disabled, created_at, password_hash FROM users"
            " WHERE username = ?",
            (username,),
        )
        stored = rows[0][5] if rows else self._dummy_hash()
        too_long = len(password) > MAX_PASSWORD
        try:
            self.hasher.verify(stored, "" if too_long else password)
            valid = bool(rows) and not rows[0][3] and not too_long
        except (VerificationError, InvalidHashError):
            valid = False
        if not valid:
            raise Unauthorized(LOGIN_FAILED)
        self.throttle.succeeded(username, address)
        if self.hasher.check_needs_rehash(stored):  # the cost settings changed since it was set
            with self.catalog.transaction() as conn:
                conn.execute(
                    "UPDATE users SET password_hash = ? WHERE id = ?",
                    (self.hasher.hash(password), rows[0][0]),
                )
        return _user(rows[0][:5])

    # --- sessions ------------------------------------------------------------------------------
    def login(
        self,
        username: str,
        password: str,
        address: str | None = None,
        previous: str | None = None,
    ) -> NewSession:
        """Check the password and open a new session; ``previous`` (the old cookie) is ended,
        so a session id planted before the login is worth nothing after it."""
        user = self.verify_password(username, password, address)
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        created = self._now()
        expires = datetime.fromtimestamp(now + SESSION_SECONDS, UTC).isoformat(timespec="seconds")
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

    def session(self, secret: str) -> Session | None:
        """The live session with this cookie value, else None (unknown, expired, disabled)."""
        rows = self.catalog.query(
            "SELECT u.id, u.username, u.role, u.disabled, u.created_at, s.csrf, s.expires_at"
            " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?",
            (digest(secret),),
        )
        if not rows or rows[0][3] or rows[0][6] <= self._now():
            return None
        return Session(_user(rows[0][:5]), rows[0][5], rows[0][6])

    def logout(self, secret: str) -> None:
        with self.catalog.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE id_hash = ?", (digest(secret),))

    # --- API tokens ----------------------------------------------------------------------------
    def create_token(self, username: str, name: str, scope: str) -> NewToken:
        name = name.strip()
        if not 1 <= len(name) <= 100:
            raise BadRequest("A token's name has 1 to 100 characters.")
        if scope not in SCOPES:
            raise BadRequest(f"A token's scope is one of: {', '.join(SCOPES)}.")
        user = self.user(username)
        if scope == "write" and user.role == "reader":
            raise BadRequest("A reader's tokens can only read.")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.catalog.transaction() as conn:
            token_id = conn.execute(
                "INSERT INTO tokens (user_id, name, token_hash, scope, created_at)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                (user.id, name, digest(secret), scope, self._now()),
            ).fetchone()[0]
        return NewToken(secret, self.token(token_id))

    def token(self, token_id: int) -> Token:
        rows = self.catalog.query(f"{_TOKEN} WHERE t.id = ?", (token_id,))
        if not rows:
            raise NotFound(f"There is no token {token_id}.")
        return Token(*rows[0])

    def tokens(self, username: str | None = None) -> list[Token]:
        """Every token, or one user's, revoked ones included (newest first)."""
        if username is None:
            rows = self.catalog.query(f"{_TOKEN} ORDER BY t.id DESC")
        else:
            rows = self.catalog.query(
                f"{_TOKEN} WHERE u.username = ? ORDER BY t.id DESC", (username,)
            )
        return [Token(*r) for r in rows]

    def revoke_token(self, token_id: int, owner: str | None = None) -> Token:
        """Revoke a token; with ``owner``, only if it is theirs (else NotFound, not Forbidden:
        whether someone else's token id exists is none of their business)."""
        token = self.token(token_id)
        if owner is not None and token.username != owner:
            raise NotFound(f"There is no token {token_id}.")
        with self.catalog.transaction() as conn:
            conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (self._now(), token_id),
            )
        return self.token(token_id)

    def authenticate_token(self, secret: str) -> tuple[User, Token] | None:
        """The enabled user and live token this secret belongs to, else None."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        rows = self.catalog.query(
            "SELECT u.id, u.username, u.role, u.disabled, u.created_at, t.id, t.last_used_at"
            " FROM tokens t JOIN users u ON u.id = t.user_id"
            " WHERE t.token_hash = ? AND t.revoked_at IS NULL",
            (digest(secret),),
        )
        if not rows or rows[0][3]:
            return None
        token_id, last_used = rows[0][5], rows[0][6]
        now = self.clock()
        if last_used is None or datetime.fromisoformat(last_used).timestamp() <= (
            now - LAST_USED_EVERY
        ):
            with self.catalog.transaction() as conn:
                conn.execute(
                    "UPDATE tokens SET last_used_at = ? WHERE id = ?", (self._now(), token_id)
                )
        return _user(rows[0][:5]), self.token(token_id)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise BadRequest(f"A role is one of: {', '.join(ROLES)}.")
