"""Accounts on a real catalog: passwords, sessions, throttling, API tokens.

Argon2 runs with cheap parameters (a Settings value), and time is a clock passed in, so expiry
and throttling are tested without sleeping.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.accounts import Accounts
from archive.accounts.throttle import MAX_DELAY, delay
from archive.accounts.users import LOGIN_FAILED
from archive.config import Settings
from archive.errors import BadRequest, NotFound, TooManyRequests, Unauthorized
from archive.models import SESSION_SECONDS
from archive.storage.catalog import Catalog

PASSWORD = "correct horse battery"


def cheap_settings(root: Path, time_cost: int = 1) -> Settings:
    return Settings(
        root=root,
        password_time_cost=time_cost,
        password_memory_kib=8,
        password_parallelism=1,
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    yield catalog
    catalog.close()


@pytest.fixture
def accounts(catalog: Catalog, clock: Clock, tmp_path: Path) -> Accounts:
    accounts = Accounts(catalog, cheap_settings(tmp_path), clock)
    accounts.users.add("alice", PASSWORD, "admin")
    accounts.users.add("bob", PASSWORD, "archivist")
    return accounts


def dump(catalog: Catalog, table: str) -> str:
    return repr(catalog.query(f"SELECT * FROM {table}"))


# --- passwords ---------------------------------------------------------------------------------
def test_passwords_are_stored_as_argon2id_hashes(accounts: Accounts, catalog: Catalog) -> None:
    [(stored,)] = catalog.query("SELECT password_hash FROM users WHERE username = 'alice'")
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in dump(catalog, "users")
    assert accounts.users.verify_password("alice", PASSWORD).username == "alice"


def test_wrong_password_unknown_user_and_disabled_user_fail_alike(accounts: Accounts) -> None:
    accounts.users.set_disabled("bob", True)
    for username, password in [
        ("alice", "wrong password"),
        ("nobody", PASSWORD),
        ("bob", PASSWORD),
    ]:
        with pytest.raises(Unauthorized) as caught:
            accounts.users.verify_password(username, password)
        assert caught.value.message == LOGIN_FAILED
    accounts.users.set_disabled("bob", False)
    assert accounts.users.verify_password("bob", PASSWORD).role == "archivist"


def test_a_hash_is_upgraded_when_the_cost_changes(
    accounts: Accounts, catalog: Catalog, clock: Clock, tmp_path: Path
) -> None:
    stronger = Accounts(catalog, cheap_settings(tmp_path, time_cost=2), clock)
    stronger.users.verify_password("alice", PASSWORD)
    [(stored,)] = catalog.query("SELECT password_hash FROM users WHERE username = 'alice'")
    assert ",t=2," in stored
    assert stronger.users.verify_password("alice", PASSWORD).username == "alice"


def test_usernames_roles_and_password_lengths_are_checked(accounts: Accounts) -> None:
    for username, password, role in [
        ("../x", PASSWORD, "reader"),
        ("carol", "short", "reader"),
        ("carol", PASSWORD, "superuser"),
        ("ALICE", PASSWORD, "reader"),  # usernames are case-insensitive
    ]:
        with pytest.raises(BadRequest):
            accounts.users.add(username, password, role)
    with pytest.raises(Unauthorized):
        accounts.users.verify_password("alice", PASSWORD + "x" * 2000)


def test_the_last_active_admin_stays(accounts: Accounts) -> None:
    for change in (
        lambda: accounts.users.set_role("alice", "reader"),
        lambda: accounts.users.set_disabled("alice", True),
    ):
        with pytest.raises(BadRequest):
            change()
    assert accounts.users.get("alice").role == "admin"
    accounts.users.set_role("bob", "admin")
    accounts.users.set_role("alice", "reader")  # bob is still there
    with pytest.raises(NotFound):
        accounts.users.set_role("nobody", "reader")


# --- sessions ----------------------------------------------------------------------------------
def test_every_login_opens_a_new_session_and_ends_the_previous(
    accounts: Accounts, catalog: Catalog
) -> None:
    first = accounts.sessions.login("alice", PASSWORD)
    second = accounts.sessions.login("alice", PASSWORD, previous=first.secret)
    assert first.secret != second.secret and first.session.csrf != second.session.csrf
    assert len(second.secret) >= 43  # 32 random bytes
    assert accounts.sessions.find(first.secret) is None
    found = accounts.sessions.find(second.secret)
    assert found is not None and found.user.username == "alice"
    assert found.csrf == second.session.csrf
    stored = dump(catalog, "sessions")
    assert second.secret not in stored
    assert hashlib.sha256(second.secret.encode()).hexdigest() in stored


def test_logout_ends_the_session(accounts: Accounts) -> None:
    opened = accounts.sessions.login("alice", PASSWORD)
    accounts.sessions.logout(opened.secret)
    assert accounts.sessions.find(opened.secret) is None
    assert accounts.sessions.find("made-up") is None


def test_sessions_expire(accounts: Accounts, clock: Clock) -> None:
    opened = accounts.sessions.login("alice", PASSWORD)
    clock.now += SESSION_SECONDS - 60
    assert accounts.sessions.find(opened.secret) is not None
    clock.now += 61
    assert accounts.sessions.find(opened.secret) is None


def test_disabling_a_user_ends_sessions_and_stops_tokens(accounts: Accounts) -> None:
    opened = accounts.sessions.login("bob", PASSWORD)
    token = accounts.tokens.create("bob", "script", "write")
    accounts.users.set_disabled("bob", True)
    assert accounts.sessions.find(opened.secret) is None
    assert accounts.tokens.authenticate(token.secret) is None
    accounts.users.set_disabled("bob", False)
    assert accounts.tokens.authenticate(token.secret) is not None
    assert accounts.sessions.find(opened.secret) is None  # ended for good


def test_a_role_change_applies_to_open_sessions(accounts: Accounts) -> None:
    opened = accounts.sessions.login("bob", PASSWORD)
    accounts.users.set_role("bob", "reader")
    found = accounts.sessions.find(opened.secret)
    assert found is not None and found.user.role == "reader"


# --- throttling --------------------------------------------------------------------------------
def test_repeated_failures_slow_down_and_a_success_resets(accounts: Accounts, clock: Clock) -> None:
    for _ in range(5):
        with pytest.raises(Unauthorized):
            accounts.sessions.login("alice", "wrong password", "10.0.0.1")
    # the 6th attempt is refused before the password is looked at, even the right one
    with pytest.raises(TooManyRequests) as caught:
        accounts.sessions.login("alice", PASSWORD, "10.0.0.2")
    assert caught.value.retry_after == 2 and caught.value.headers == {"Retry-After": "2"}
    assert "try again in 2 s" in caught.value.message
    clock.now += 2
    with pytest.raises(Unauthorized):
        accounts.sessions.login("alice", "wrong password", "10.0.0.1")
    with pytest.raises(TooManyRequests) as caught:
        accounts.sessions.login("alice", PASSWORD)
    assert caught.value.retry_after == 4
    clock.now += 4
    accounts.sessions.login("alice", PASSWORD)
    for _ in range(5):  # the count started over
        with pytest.raises(Unauthorized):
            accounts.sessions.login("alice", "wrong password")
    # other users are not affected by alice's failures
    accounts.sessions.login("bob", PASSWORD)


def test_one_address_trying_many_usernames_slows_down(accounts: Accounts) -> None:
    for n in range(20):
        with pytest.raises(Unauthorized):
            accounts.sessions.login(f"user{n}", "wrong password", "10.0.0.9")
    with pytest.raises(TooManyRequests):
        accounts.sessions.login("alice", PASSWORD, "10.0.0.9")
    accounts.sessions.login("alice", PASSWORD, "10.0.0.10")


def test_delays_double_up_to_fifteen_minutes() -> None:
    assert [delay(n, 5) for n in range(4, 9)] == [0, 2, 4, 8, 16]
    assert delay(100, 5) == MAX_DELAY == 900


# --- API tokens --------------------------------------------------------------------------------
def test_tokens_are_random_long_and_stored_hashed(accounts: Accounts, catalog: Catalog) -> None:
    made = [accounts.tokens.create("alice", f"t{n}", "read") for n in range(50)]
    secrets = {m.secret for m in made}
    assert len(secrets) == 50
    for m in made:
        assert m.secret.startswith("arc_") and len(m.secret) >= 4 + 43  # >= 256 random bits
        assert not hasattr(m.token, "secret")
    stored = dump(catalog, "tokens")
    assert not any(s in stored for s in secrets)
    assert hashlib.sha256(made[0].secret.encode()).hexdigest() in stored
    listed = accounts.tokens.all("alice")
    assert len(listed) == 50 and all(secret not in repr(listed) for secret in secrets)


def test_token_scope_and_owner(accounts: Accounts) -> None:
    accounts.users.add("rita", PASSWORD, "reader")
    with pytest.raises(BadRequest):
        accounts.tokens.create("rita", "script", "write")
    with pytest.raises(BadRequest):
        accounts.tokens.create("alice", "script", "admin")
    with pytest.raises(BadRequest):
        accounts.tokens.create("alice", " ", "read")
    new = accounts.tokens.create("bob", "script", "write")
    found = accounts.tokens.authenticate(new.secret)
    assert found is not None
    user, token = found
    assert (user.username, token.scope, token.name) == ("bob", "write", "script")
    assert accounts.tokens.authenticate("arc_" + "x" * 43) is None
    assert accounts.tokens.authenticate(new.secret[:-1]) is None


def test_revoked_tokens_stop_working(accounts: Accounts) -> None:
    new = accounts.tokens.create("bob", "script", "read")
    with pytest.raises(NotFound):  # only the owner (or an admin, without owner) revokes
        accounts.tokens.revoke(new.token.id, owner="alice")
    assert accounts.tokens.authenticate(new.secret) is not None
    revoked = accounts.tokens.revoke(new.token.id, owner="bob")
    assert revoked.revoked_at is not None
    assert accounts.tokens.authenticate(new.secret) is None
    with pytest.raises(NotFound):
        accounts.tokens.revoke(9999)
    with pytest.raises(NotFound):  # beyond SQLite's integers: no such token, not an overflow
        accounts.tokens.revoke(2**63)


def test_last_used_is_recorded_at_most_once_a_minute(accounts: Accounts, clock: Clock) -> None:
    new = accounts.tokens.create("bob", "script", "read")
    assert new.token.last_used_at is None
    accounts.tokens.authenticate(new.secret)
    first = accounts.tokens.get(new.token.id).last_used_at
    assert first is not None
    clock.now += 30
    accounts.tokens.authenticate(new.secret)
    assert accounts.tokens.get(new.token.id).last_used_at == first
    clock.now += 31
    accounts.tokens.authenticate(new.secret)
    assert accounts.tokens.get(new.token.id).last_used_at > first
