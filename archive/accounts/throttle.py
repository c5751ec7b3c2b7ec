"""Login throttling: repeated failures per username and per client address slow down.

Each key ("user:<name>", "addr:<address>") counts attempts in ``login_failures``. After a key's
free attempts, the next one must wait 2, 4, 8… seconds after the last, up to 15 minutes; a key
quiet for an hour starts over. An attempt is counted *before* the password is checked, in the
same transaction as the check, so a burst of parallel guesses cannot all slip through while the
first ones are still hashing; a success then gives its attempt back.

A success clears the username's count but only gives back the address's one attempt: an attacker
who owns one account must not be able to reset their address's count by signing in to it.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable

from archive.errors import TooManyRequests
from archive.storage.catalog import Catalog

FREE_PER_USER = 5
# Higher: several people behind one NAT address mistype their passwords too.
FREE_PER_ADDRESS = 20
MAX_DELAY = 15 * 60.0
FORGET_AFTER = 60 * 60.0


def delay(failures: int, free: int) -> float:
    """Seconds the next attempt must wait after the last one, given the failures so far."""
    if failures < free:
        return 0.0
    return min(2.0 ** (failures - free + 1), MAX_DELAY)


class LoginThrottle:
    def __init__(self, catalog: Catalog, clock: Callable[[], float]) -> None:
        self.catalog = catalog
        self.clock = clock

    @staticmethod
    def keys(username: str, address: str | None) -> list[tuple[str, int]]:
        keys = [(f"user:{username.strip().casefold()}", FREE_PER_USER)]
        if address:
            keys.append((f"addr:{address}", FREE_PER_ADDRESS))
        return keys

    def attempt(self, username: str, address: str | None) -> None:
        """Count one attempt, or raise TooManyRequests (counting nothing) when it must wait."""
        now = self.clock()
        keys = self.keys(username, address)
        with self.catalog.transaction() as conn:
            wait = 0.0
            for key, free in keys:
                row = conn.execute(
                    "SELECT failures, last_at FROM login_failures WHERE key = ?", (key,)
                ).fetchone()
                if row and now - row[1] < FORGET_AFTER:
                    wait = max(wait, row[1] + delay(row[0], free) - now)
            if wait > 0:
                seconds = math.ceil(wait)
                raise TooManyRequests(
                    f"Too many attempts; try again in {seconds} s.", retry_after=seconds
                )
            for key, _ in keys:
                self._count(conn, key, now)

    def _count(self, conn: sqlite3.Connection, key: str, now: float) -> None:
        conn.execute(
            "INSERT INTO login_failures (key, failures, last_at) VALUES (?, 1, ?)"
            " ON CONFLICT (key) DO UPDATE SET last_at = excluded.last_at,"
            " failures = CASE WHEN excluded.last_at - last_at > ? THEN 1 ELSE failures + 1 END",
            (key, now, FORGET_AFTER),
        )

    def succeeded(self, username: str, address: str | None) -> None:
        [(user_key, _), *address_keys] = self.keys(username, address)
        with self.catalog.transaction() as conn:
            conn.execute("DELETE FROM login_failures WHERE key = ?", (user_key,))
            for key, _ in address_keys:
                conn.execute(
                    "UPDATE login_failures SET failures = max(failures - 1, 0) WHERE key = ?",
                    (key,),
                )
