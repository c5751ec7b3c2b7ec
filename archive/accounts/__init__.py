"""Accounts: users (roles, passwords), sessions with CSRF, API tokens, and the login throttle.

Secrets (session ids, API tokens) are random, handed out once, and stored only as SHA-256
digests; passwords get argon2id. Everything is kept in the catalog, through storage's Catalog.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from archive.accounts.sessions import Sessions
from archive.accounts.tokens import Tokens
from archive.accounts.users import Users
from archive.config import Settings
from archive.storage.catalog import Catalog


class Accounts:
    """The three parts over one catalog and one clock (tests pass their own)."""

    def __init__(
        self, catalog: Catalog, settings: Settings, clock: Callable[[], float] = time.time
    ) -> None:
        self.users = Users(catalog, settings, clock)
        self.sessions = Sessions(catalog, self.users, clock)
        self.tokens = Tokens(catalog, self.users, clock)


__all__ = ["Accounts"]
