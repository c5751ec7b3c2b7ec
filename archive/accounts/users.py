"""Users: usernames, roles and argon2 passwords.

Passwords are low-entropy, so they get argon2id. Every wrong username, wrong password or disabled
account fails with the same Unauthorized message, after the same work.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from archive.accounts.throttle import LoginThrottle
from archive.config import Settings
from archive.errors import BadRequest, NotFound, Unauthorized
from archive.models import ROLES, User
from archive.storage.catalog import Catalog

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MIN_PASSWORD, MAX_PASSWORD = 8, 1024  # the upper bound keeps one login from costing a minute
LOGIN_FAILED = "Wrong username or password."

USER_COLUMNS = "u.id, u.username, u.role, u.disabled, u.created_at"  # user_of reads them
_SELECT = f"SELECT {USER_COLUMNS} FROM users u"
_ACTIVE_ADMINS = "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0"


def digest(secret: str) -> str:
    """How a session id or an API token is stored: they carry at least 256 random bits, so a
    fast hash is enough, and a stolen catalog yields no usable credential."""
    return hashlib.sha256(secret.encode()).hexdigest()


def timestamp(seconds: float) -> str:
    """A time as the catalog stores times: ISO, UTC, to the second."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def user_of(row: tuple) -> User:
    """A User from the USER_COLUMNS of a row."""
    return User(row[0], row[1], row[2], bool(row[3]), row[4])


class Users:
    def __init__(self, catalog: Catalog, settings: Settings, clock: Callable[[], float]) -> None:
        self.catalog = catalog
        self.clock = clock
        self.hasher = PasswordHasher(
            time_cost=settings.password_time_cost,
            memory_cost=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
        )
        self.throttle = LoginThrottle(catalog, clock)
        self._dummy: str | None = None

    def add(self, username: str, password: str, role: str) -> User:
        if not USERNAME.fullmatch(username):
            raise BadRequest(
                "A username is 1 to 64 letters, digits, dots, dashes or underscores,"
                " starting with a letter or digit."
            )
        _check_role(role)
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise BadRequest(f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters.")
        password_hash = self.hasher.hash(password)
        with self.catalog.transaction() as conn:
            if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
                raise BadRequest(f"There is already a user {username}.")
            conn.execute(
                "INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
                (username, password_hash, role, timestamp(self.clock())),
            )
        return self.get(username)

    def all(self) -> list[User]:
        return [user_of(r) for r in self.catalog.query(f"{_SELECT} ORDER BY username")]

    def get(self, username: str) -> User:
        rows = self.catalog.query(f"{_SELECT} WHERE username = ?", (username,))
        if not rows:
            raise NotFound(f"There is no user {username}.")
        return user_of(rows[0])

    def set_role(self, username: str, role: str) -> User:
        _check_role(role)
        self._update(username, "UPDATE users SET role = ? WHERE username = ?", role)
        return self.get(username)

    def set_disabled(self, username: str, disabled: bool) -> User:
        """Disable (ending every session; tokens stop working too) or enable an account."""
        self._update(username, "UPDATE users SET disabled = ? WHERE username = ?", disabled)
        if disabled:
            with self.catalog.transaction() as conn:
                conn.execute(
                    "DELETE FROM sessions WHERE user_id ="
                    " (SELECT id FROM users WHERE username = ?)",
                    (username,),
                )
        return self.get(username)

    def _update(self, username: str, sql: str, value: object) -> None:
        with self.catalog.transaction() as conn:
            before = conn.execute(_ACTIVE_ADMINS).fetchone()[0]
            if conn.execute(sql, (value, username)).rowcount == 0:
                raise NotFound(f"There is no user {username}.")
            # Rolled back with the change: nobody could manage accounts in the browser after it.
            if before and not conn.execute(_ACTIVE_ADMINS).fetchone()[0]:
                raise BadRequest("The archive must keep at least one active admin.")

    def verify_password(self, username: str, password: str, address: str | None = None) -> User:
        """The enabled user with this password, else Unauthorized; TooManyRequests when throttled.

        The same message and the same argon2 work for an unknown user, a disabled one and a wrong
        password, so a login form cannot be used to find out which usernames exist.
        """
        self.throttle.attempt(username, address)
        rows = self.catalog.query(
            f"SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE username = ?", (username,)
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
        return user_of(rows[0])

    def _dummy_hash(self) -> str:
        """Verified against when the username is unknown, so that costs as much as a wrong
        password; made on first use, as opening an archive must stay cheap."""
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise BadRequest(f"A role is one of: {', '.join(ROLES)}.")
