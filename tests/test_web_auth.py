"""Sign in and out, cookies, private mode, CSRF, and the permission matrix over every route.

The routes are found by walking app.routes, so a route added anywhere is in the matrix and the
CSRF checks without editing this file; a route missing from permissions.TABLE fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from archive.accounts.users import LOGIN_FAILED
from archive.config import Settings
from archive.core.archive import Archive
from archive.models import FACETS
from archive.web import create_app
from archive.web.auth import COOKIE
from archive.web.permissions import ACCOUNT, ADMIN, PUBLIC, READ, TABLE, WRITE

PASSWORD = "correct horse battery"
SAME_ORIGIN = "http://testserver"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

# What each principal may reach, written out here rather than derived from auth.allows, so the
# implementation is checked against the specification and not against itself.
MAY = {
    "anonymous": {PUBLIC, READ},
    "reader": {PUBLIC, READ, ACCOUNT},
    "archivist": {PUBLIC, READ, ACCOUNT, WRITE},
    "admin": {PUBLIC, READ, ACCOUNT, WRITE, ADMIN},
    "token-read": {PUBLIC, READ},  # an admin's token: its scope, not its owner, limits it
    "token-write": {PUBLIC, READ, WRITE},  # an admin's too: tokens never reach ADMIN
}


@dataclass
class Site:
    archive: Archive
    app: Starlette
    doc_id: int
    token_id: int  # a token of "target", for the revoke routes
    secrets: dict[str, str]  # API tokens of the token principals


def make_site(root: Path, private: bool = False) -> Iterator[Site]:
    settings = Settings(
        root=root,
        index_batch_size=50,
        private=private,
        password_time_cost=1,
        password_memory_kib=8,
        password_parallelism=1,
        # the matrix and CSRF tests send hundreds of requests from one address in a burst; the
        # rate limits have tests of their own (test_web_security.py)
        rate_limits="off",
    )
    with Archive(settings) as archive:
        doc = archive.add(b"Partisans crossed the river in the winter offensive.\n", "a.txt")
        for name in ("reader", "archivist", "admin", "target"):
            archive.add_user(name, PASSWORD, "reader" if name == "target" else name)
        target_token = archive.create_token("target", "target's", "read")
        secrets = {
            "token-read": archive.create_token("admin", "r", "read").secret,
            "token-write": archive.create_token("admin", "w", "write").secret,
        }
        yield Site(archive, create_app(archive), doc.id, target_token.token.id, secrets)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    yield from make_site(tmp_path / "archive")


@pytest.fixture
def private_site(tmp_path: Path) -> Iterator[Site]:
    yield from make_site(tmp_path / "archive", private=True)


def credentials(site: Site, principal: str) -> dict[str, str]:
    """Headers for one request as this principal: a fresh session (with its CSRF token and a
    same-site Origin, so CSRF is never what refuses it), or an API token (no CSRF at all)."""
    if principal == "anonymous":
        return {"Origin": SAME_ORIGIN}
    if principal.startswith("token-"):
        return {"Authorization": f"Bearer {site.secrets[principal]}"}
    opened = site.archive.login(principal, PASSWORD)
    return {
        "Cookie": f"{COOKIE}={opened.secret}",
        "X-CSRF-Token": opened.session.csrf,
        "Origin": SAME_ORIGIN,
    }


def routes(app: Starlette) -> list[tuple[str, str]]:
    """(method, route path) for every route the app serves, HEAD aside (it follows GET)."""
    found = []
    for route in app.routes:
        if isinstance(route, Mount):
            found.append(("GET", route.path))
        elif isinstance(route, Route):
            found += [(m, route.path) for m in sorted(route.methods or ()) if m != "HEAD"]
    return found


def url(site: Site, path: str) -> str:
    """A real address for a route: real ids for its parameters."""
    values = {
        "id": str(site.doc_id),
        "token_id": str(site.token_id),
        "username": "target",
        "facet": FACETS[0],
        "fingerprint": "0123456789ab",
    }

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in values, f"the matrix needs a real value for {{{name}}} in {path}"
        return values[name]

    if path == "/static":
        return "/static/style.css"
    return re.sub(r"\{(\w+)(?::\w+)?\}", fill, path)


def send(site: Site, method: str, path: str, headers: dict[str, str], **kwargs: object):
    # a fresh client per request: no cookie from an earlier response leaks into the next
    client = TestClient(site.app, raise_server_exceptions=False)
    return client.request(
        method, url(site, path), headers=headers, follow_redirects=False, **kwargs
    )


def refused(response, principal: str, method: str, path: str) -> bool:
    if (method, path) == ("POST", "/login") and LOGIN_FAILED in response.text:
        return False  # the endpoint's own answer to the matrix's empty form, not the gate's
    if response.status_code in (401, 403):
        return True
    # an anonymous reader of a page is sent to sign in
    location = response.headers.get("location", "")
    return (
        principal == "anonymous"
        and response.status_code == 303
        and location.startswith("/login?next=")
    )


# --- the table covers the app -------------------------------------------------------------------
def test_every_route_is_in_the_permission_table_and_nothing_else_is(site: Site) -> None:
    served = routes(site.app)
    missing = [key for key in served if key not in TABLE]
    assert not missing, f"routes missing from permissions.TABLE: {missing}"
    stale = [key for key in TABLE if key not in served]
    assert not stale, f"permissions.TABLE names routes that do not exist: {stale}"
    assert len(served) >= 30


def test_no_route_changes_anything_below_write_level(site: Site) -> None:
    # The matrix checks that the gate enforces the table; this checks the table itself where a
    # rule is simple enough to state: changing data needs an account, /admin needs an admin.
    # POST /oai is OAI-PMH's query sent as a form: a reading, and the one POST at READ level
    open_doors = {("POST", "/login"), ("POST", "/logout"), ("POST", "/oai")}
    for method, path in routes(site.app):
        level = TABLE[(method, path)]
        if method in UNSAFE and (method, path) not in open_doors:
            assert level in (WRITE, ADMIN, ACCOUNT), (method, path, level)
        if path.startswith("/admin"):
            assert level == ADMIN, (method, path, level)


def test_a_route_missing_from_the_table_is_refused(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(TABLE, ("GET", "/search"))
    response = send(site, "GET", "/search", credentials(site, "admin"))
    assert response.status_code == 403
    assert send(site, "GET", "/no-such-page", {}).status_code == 404


# --- the matrix ---------------------------------------------------------------------------------
def run_matrix(site: Site, private: bool) -> int:
    checked = 0
    # reads first: a state-changing route may trash the document the reads use
    ordered = sorted(routes(site.app), key=lambda key: key[0] in UNSAFE)
    for method, path in ordered:
        level = TABLE[(method, path)]
        for principal, levels in MAY.items():
            allowed = level in levels and not (
                private and principal == "anonymous" and level == READ
            )
            response = send(site, method, path, credentials(site, principal))
            status = response.status_code
            where = f"{principal} {method} {path} ({level}) -> {status} {response.text[:200]}"
            if allowed:
                assert not refused(response, principal, method, path), where
                assert status < 500, where
            else:
                assert refused(response, principal, method, path), where
                assert not 200 <= status < 300, where
            checked += 1
    return checked


def test_permission_matrix_public_archive(site: Site) -> None:
    assert run_matrix(site, private=False) >= 30 * len(MAY)


def test_permission_matrix_private_archive(private_site: Site) -> None:
    assert run_matrix(private_site, private=True) >= 30 * len(MAY)


# --- CSRF on every state-changing route ---------------------------------------------------------
def unsafe_routes(site: Site) -> list[tuple[str, str]]:
    # a READ-level POST (OAI-PMH's) changes nothing: no CSRF is asked of it (its own test below)
    found = [key for key in routes(site.app) if key[0] in UNSAFE and TABLE[key] != READ]
    assert len(found) >= 15
    return found


def test_csrf_is_required_on_every_state_changing_route(site: Site) -> None:
    for method, path in unsafe_routes(site):
        good = credentials(site, "admin")
        cases = {
            "no token": {k: v for k, v in good.items() if k != "X-CSRF-Token"},
            "wrong token": good | {"X-CSRF-Token": good["X-CSRF-Token"][:-2] + "xx"},
            "foreign origin": good | {"Origin": "https://evil.example"},
            "foreign referer": {k: v for k, v in good.items() if k != "Origin"}
            | {"Referer": "https://evil.example/form"},
            "null origin": good | {"Origin": "null"},
        }
        for case, headers in cases.items():
            response = send(site, method, path, headers)
            assert response.status_code == 403, f"{case}: {method} {path} -> {response.status_code}"
        response = send(site, method, path, good)
        assert not refused(response, "admin", method, path), f"{method} {path}: {response.text}"


def test_the_csrf_token_may_come_as_a_form_field(site: Site) -> None:
    for method, path in unsafe_routes(site):
        good = credentials(site, "admin")
        csrf = good.pop("X-CSRF-Token")
        urlencoded = send(site, method, path, good, data={"csrf": csrf})
        assert not refused(urlencoded, "admin", method, path), f"{method} {path}: {urlencoded.text}"
        good = credentials(site, "admin")
        csrf = good.pop("X-CSRF-Token")
        multipart = send(
            site, method, path, good, data={"csrf": csrf}, files={"x": ("x.txt", b"x")}
        )
        assert not refused(multipart, "admin", method, path), f"{method} {path}: {multipart.text}"
        good = credentials(site, "admin")
        del good["X-CSRF-Token"]
        wrong = send(site, method, path, good, data={"csrf": "nope"})
        assert wrong.status_code == 403


def test_bearer_tokens_need_no_csrf_but_a_cookie_does(site: Site) -> None:
    token = {"Authorization": f"Bearer {site.secrets['token-write']}"}
    body = {"title": "Renamed by a script"}
    response = send(site, "PATCH", "/api/documents/{id:int}", token, json=body)
    assert response.status_code == 200, response.text
    assert site.archive.document(site.doc_id).metadata.title == "Renamed by a script"
    session = credentials(site, "archivist")
    del session["X-CSRF-Token"]
    response = send(site, "PATCH", "/api/documents/{id:int}", session, json=body)
    assert response.status_code == 403
    assert response.json() == {"ok": False, "error": response.json()["error"], "status": 403}


# --- signing in and out -------------------------------------------------------------------------
def cookie_header(response) -> str:
    [header] = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    return header


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


@pytest.mark.parametrize("base_url", ["http://testserver", "https://testserver"])
def test_login_and_logout(site: Site, base_url: str) -> None:
    client = TestClient(site.app, base_url=base_url)
    home = client.get("/")
    assert "Sign in" in home.text and "Sign out" not in home.text
    login = client.post(
        "/login",
        data={"username": "archivist", "password": PASSWORD, "next": "/upload"},
        follow_redirects=False,
    )
    assert login.status_code == 303 and login.headers["location"] == "/upload"
    flags = [part.strip().lower() for part in cookie_header(login).split(";")]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert ("secure" in flags) == base_url.startswith("https")
    first = client.cookies[COOKIE]
    home = client.get("/")
    assert "archivist" in home.text and "Sign out" in home.text
    # signing in again (with the CSRF token, as a signed-in user) rotates the session id
    again = client.post(
        "/login",
        data={"username": "archivist", "password": PASSWORD, "csrf": csrf_of(home.text)},
        follow_redirects=False,
    )
    assert again.status_code == 303
    second = client.cookies[COOKIE]
    assert second != first and site.archive.session(first) is None
    home = client.get("/")
    logout = client.post("/logout", data={"csrf": csrf_of(home.text)}, follow_redirects=False)
    assert logout.status_code == 303
    assert "max-age=0" in cookie_header(logout).lower()
    assert site.archive.session(second) is None
    stale = TestClient(site.app, base_url=base_url, cookies={COOKIE: second})
    assert stale.get("/account", follow_redirects=False).status_code == 303


def test_secure_cookies_can_be_forced_for_a_tls_proxy(tmp_path: Path) -> None:
    for site in make_site(tmp_path / "archive"):
        site.archive.settings = site.archive.settings.with_(secure_cookies=True)
        client = TestClient(site.app)
        login = client.post(
            "/login", data={"username": "reader", "password": PASSWORD}, follow_redirects=False
        )
        assert "secure" in cookie_header(login).lower()


def test_a_failed_login_says_the_same_for_any_reason(site: Site) -> None:
    site.archive.set_disabled("target", True)
    client = TestClient(site.app)
    texts = set()
    for username, password in [("reader", "nope nope"), ("nobody", PASSWORD), ("target", PASSWORD)]:
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 401 and COOKIE not in response.cookies
        assert LOGIN_FAILED in response.text
        texts.add(re.sub(r'value="[^"]*"', "", response.text))
    assert len(texts) == 1  # the same page whatever the reason (the typed username aside)


def test_repeated_failed_logins_get_429_with_retry_after(site: Site) -> None:
    client = TestClient(site.app)
    for _ in range(5):
        assert (
            client.post("/login", data={"username": "reader", "password": "x" * 9}).status_code
            == 401
        )
    response = client.post("/login", data={"username": "reader", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "try again in" in response.text


def test_login_redirects_only_within_the_site(site: Site) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/x.example"):
        response = TestClient(site.app).post(
            "/login",
            data={"username": "reader", "password": PASSWORD, "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"


def test_a_login_form_from_another_site_is_refused(site: Site) -> None:
    client = TestClient(site.app)
    data = {"username": "reader", "password": PASSWORD}
    response = client.post("/login", data=data, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and COOKIE not in response.cookies


# --- private mode and tokens --------------------------------------------------------------------
def test_a_private_archive_asks_to_sign_in(private_site: Site) -> None:
    client = TestClient(private_site.app)
    page = client.get("/search?q=partisans", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/search%3Fq%3Dpartisans"
    api = client.get("/api/search?q=partisans")
    assert api.status_code == 401
    assert api.json() == {"ok": False, "error": api.json()["error"], "status": 401}
    assert client.get("/login").status_code == 200
    assert client.get("/static/style.css").status_code == 200
    login = client.post(
        "/login",
        data={"username": "reader", "password": PASSWORD, "next": "/search?q=partisans"},
    )
    assert login.status_code == 200 and "Partisans" in login.text
    token = {"Authorization": f"Bearer {private_site.secrets['token-read']}"}
    assert TestClient(private_site.app).get("/api/search", headers=token).status_code == 200


def test_a_bad_or_revoked_token_gets_401(site: Site) -> None:
    client = TestClient(site.app)
    response = client.get("/api/search", headers={"Authorization": "Bearer arc_nope"})
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/", headers={"Authorization": "Basic eDp4"}).status_code == 401
    new = site.archive.create_token("archivist", "gone", "write")
    site.archive.revoke_token(new.token.id)
    response = client.get("/api/search", headers={"Authorization": f"Bearer {new.secret}"})
    assert response.status_code == 401 and response.json()["status"] == 401


def test_tokens_are_made_shown_once_and_revoked_in_the_browser(site: Site) -> None:
    client = TestClient(site.app)
    client.post("/login", data={"username": "archivist", "password": PASSWORD})
    csrf = csrf_of(client.get("/account").text)
    made = client.post("/account/tokens", data={"csrf": csrf, "name": "laptop", "scope": "write"})
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    [secret] = re.findall(r"arc_[\w-]{43}", made.text)
    assert secret not in client.get("/account").text
    api = TestClient(site.app, headers={"Authorization": f"Bearer {secret}"})
    assert api.get("/api/search").status_code == 200
    [token] = site.archive.tokens("archivist")
    revoked = client.post(f"/account/tokens/{token.id}/revoke", data={"csrf": csrf})
    assert revoked.status_code == 200
    assert api.get("/api/search").status_code == 401
    # someone else's token is not yours to revoke
    response = client.post(f"/account/tokens/{site.token_id}/revoke", data={"csrf": csrf})
    assert response.status_code == 404


def test_admins_manage_users_in_the_browser(site: Site) -> None:
    client = TestClient(site.app)
    client.post("/login", data={"username": "admin", "password": PASSWORD})
    csrf = csrf_of(client.get("/admin").text)
    form = {"csrf": csrf, "username": "newbie", "password": PASSWORD, "role": "reader"}
    assert client.post("/admin/users", data=form).status_code == 200
    client.post("/admin/users/newbie/role", data={"csrf": csrf, "role": "archivist"})
    client.post("/admin/users/newbie/disabled", data={"csrf": csrf, "disabled": "1"})
    user = site.archive.user("newbie")
    assert (user.role, user.disabled) == ("archivist", True)
    page = client.get("/admin").text
    assert "newbie" in page and "target&#39;s" in page
    assert PASSWORD not in page
