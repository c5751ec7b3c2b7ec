"""Security headers on every response, originals as sandboxed attachments, and rate limits.

Every route is found by walking app.routes (as the permission matrix does), so a route added
later is checked without editing this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from archive.config import Settings
from archive.core.archive import Archive
from archive.errors import TooManyRequests
from archive.web import create_app
from archive.web.ratelimit import Rate, RateLimiter, parse_rates
from archive.web.security import CSP, LIMITED
from tests.test_web_auth import PASSWORD, SAME_ORIGIN, Site, credentials, make_site, routes, send

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    yield from make_site(tmp_path / "archive")


def forbids_inline_script(policy: str) -> bool:
    directives = dict((d.strip() + " ").split(" ", 1) for d in policy.split(";") if d.strip())
    script = directives.get("script-src", directives.get("default-src", "*")).split()
    return bool(script) and all(s in ("'self'", "'none'") for s in script)


def assert_secured(response, where: str) -> None:
    headers = response.headers
    assert forbids_inline_script(headers.get("content-security-policy", "")), where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") == "same-origin", where
    assert headers.get("x-frame-options") == "DENY", where


def test_the_policy_forbids_inline_script_plugins_framing_and_base() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("principal", ["anonymous", "admin", "token-write"])
def test_every_route_answers_with_the_security_headers(site: Site, principal: str) -> None:
    checked = 0
    # reads first: a state-changing route may trash the document the reads use
    for method, path in sorted(routes(site.app), key=lambda key: key[0] != "GET"):
        response = send(site, method, path, credentials(site, principal))
        assert_secured(response, f"{principal} {method} {path} -> {response.status_code}")
        checked += 1
    assert checked >= 30


def test_error_pages_carry_the_headers_too(site: Site) -> None:
    client = TestClient(site.app, raise_server_exceptions=False)
    for response in (
        client.get("/no-such-page"),
        client.get("/api/no-such-thing"),
        client.put("/search"),
        client.get("/search?q=%22unclosed"),
        client.get("/api/search?q=*x"),
        client.get("/documents/999999"),
    ):
        assert response.status_code >= 400
        assert_secured(response, f"{response.request.url} -> {response.status_code}")


def test_even_a_500_carries_the_headers(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(site.archive, "search", broken)
    response = TestClient(site.app, raise_server_exceptions=False).get("/api/search?q=x")
    assert response.status_code == 500
    assert_secured(response, "500")


def test_an_original_is_a_sandboxed_attachment_that_is_never_sniffed(site: Site) -> None:
    doc = site.archive.add(b"<html><script>alert(1)</script><p>hi there</p></html>", "x.html")
    response = TestClient(site.app).get(f"/documents/{doc.id}/original")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["x-content-type-options"] == "nosniff"
    # its own policy, stricter than the pages': kept, not overwritten by the middleware
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"


def test_templates_have_no_inline_script_style_or_handlers() -> None:
    # The policy would block them anyway; this names the template that would break. A JSON-LD
    # data block (<script type="application/ld+json">, the document page's schema.org record) is
    # never executed, so the policy does not touch it: it alone is allowed.
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)(?! type=\"application/ld\+json\">)|<style|\sstyle=|\son[a-z]+="
        r"|javascript:",
        re.I,
    )
    found = [
        f"{path.name}: {m.group()}"
        for path in TEMPLATES.rglob("*.html")
        for m in inline.finditer(path.read_text())
    ]
    assert not found


# --- rate limits -------------------------------------------------------------------------------
def test_a_bucket_allows_its_burst_then_the_rate_and_says_when_to_come_back() -> None:
    now = [0.0]
    limiter = RateLimiter({"search": Rate(2, 3)}, clock=lambda: now[0])
    for _ in range(3):
        limiter.take("search", "a")
    with pytest.raises(TooManyRequests) as caught:
        limiter.take("search", "a")
    assert caught.value.status == 429 and caught.value.headers == {"Retry-After": "1"}
    limiter.take("search", "b")  # another client has its own bucket
    limiter.take("upload", "a")  # and a kind without a limit is not limited
    now[0] = 0.5  # one token back at 2 per second
    limiter.take("search", "a")
    with pytest.raises(TooManyRequests):
        limiter.take("search", "a")
    slow = RateLimiter({"login": Rate(0.1, 1)}, clock=lambda: now[0])
    slow.take("login", "a")
    with pytest.raises(TooManyRequests) as caught:
        slow.take("login", "a")
    assert caught.value.retry_after == 10


def test_rates_parse_and_refuse_typos() -> None:
    assert parse_rates("search=20/60, login=1/10") == {
        "search": Rate(20.0, 60),
        "login": Rate(1.0, 10),
    }
    assert parse_rates("off") == {}
    for bad in ("serch=1/2", "search=1", "search=x/2"):
        with pytest.raises(ValueError):
            parse_rates(bad)


def test_rates_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVE_RATE_LIMITS", "off")
    assert Settings.from_env(tmp_path).rate_limits == "off"
    monkeypatch.setenv("ARCHIVE_RATE_LIMITS", "search=5")
    settings = Settings.from_env(tmp_path)
    # a typo fails when the server starts (the app is made), not at the first request
    with Archive(settings) as archive, pytest.raises(ValueError, match="PER_SECOND/BURST"):
        create_app(archive)


def test_limited_routes_exist(site: Site) -> None:
    served = set(routes(site.app))
    assert set(LIMITED) <= served


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Site]:
    """A site whose limits are tiny: 2 searches, 1 upload, 2 sign-ins, then 1 per 100 s."""
    settings = Settings(
        root=tmp_path / "archive",
        rate_limits="search=0.01/2,upload=0.01/1,login=0.01/2",
        password_time_cost=1,
        password_memory_kib=8,
        password_parallelism=1,
    )
    with Archive(settings) as archive:
        doc = archive.add(b"Partisans crossed the river in the winter offensive.\n", "a.txt")
        archive.add_user("archivist", PASSWORD, "archivist")
        secrets = {
            "token-write": archive.create_token("archivist", "w", "write").secret,
            "token-other": archive.create_token("archivist", "o", "write").secret,
        }
        yield Site(archive, create_app(archive), doc.id, 0, secrets)


def assert_429(response, api: bool) -> None:
    assert response.status_code == 429, response.text[:300]
    assert re.fullmatch(r"[1-9]\d*", response.headers["retry-after"])
    assert int(response.headers["retry-after"]) <= 100
    if api:
        body = response.json()
        assert body["ok"] is False and body["status"] == 429 and "try again" in body["error"]
    else:
        assert response.headers["content-type"].startswith("text/html")
        assert "try again in" in response.text


def test_search_is_limited_per_address_and_per_token_in_both_shapes(limited: Site) -> None:
    here = TestClient(limited.app, client=("10.0.0.1", 1000))
    first = here.get("/search?q=partisans")
    assert first.status_code == 200, first.text[-2000:]
    assert here.get("/api/search?q=partisans").status_code == 200
    assert_429(here.get("/api/search?q=partisans"), api=True)
    assert_429(here.get("/search?q=partisans"), api=False)
    assert_429(here.get("/api/suggest?q=pa"), api=True)
    # the document page is not a search: still served
    assert here.get(f"/documents/{limited.doc_id}").status_code == 200
    # another address has its own allowance; so does each token, wherever it comes from
    there = TestClient(limited.app, client=("10.0.0.2", 1000))
    assert there.get("/api/search?q=partisans").status_code == 200
    token = {"Authorization": f"Bearer {limited.secrets['token-write']}"}
    for _ in range(2):
        assert here.get("/api/search?q=x", headers=token).status_code == 200
    assert_429(there.get("/api/search?q=x", headers=token), api=True)
    other = {"Authorization": f"Bearer {limited.secrets['token-other']}"}
    assert here.get("/api/search?q=x", headers=other).status_code == 200


def test_uploads_are_limited_per_token_and_per_signed_in_user(limited: Site) -> None:
    client = TestClient(limited.app)
    token = {"Authorization": f"Bearer {limited.secrets['token-write']}"}
    first = client.post("/api/documents", json={"text": "One river."}, headers=token)
    assert first.status_code == 201
    # refused before the body is read: even a body that would be a 400 gets the 429
    assert_429(client.post("/api/documents", json={"nope": 1}, headers=token), api=True)
    assert_429(client.post("/api/imports", headers=token), api=True)
    session = credentials(limited, "archivist")
    files = {"file": ("b.txt", b"Another river.\n")}
    response = client.post("/upload", files=files, headers=session)
    assert response.status_code < 400
    assert_429(client.post("/upload", files=files, headers=session), api=False)


def test_sign_in_is_limited_per_address_whatever_the_name(limited: Site) -> None:
    client = TestClient(limited.app, client=("10.0.0.3", 1000), follow_redirects=False)
    form = {"username": "archivist", "password": PASSWORD}
    headers = {"Origin": SAME_ORIGIN}
    assert client.post("/login", data=form, headers=headers).status_code == 303
    wrong = {"username": "someone", "password": "guess"}
    second = client.post("/login", data=wrong, headers=headers)
    assert second.status_code < 429, second.text[-1500:]
    assert_429(client.post("/login", data=form, headers=headers), api=False)
    elsewhere = TestClient(limited.app, client=("10.0.0.4", 1000), follow_redirects=False)
    assert elsewhere.post("/login", data=form, headers=headers).status_code == 303


def test_default_limits_are_off_nowhere_and_generous(tmp_path: Path) -> None:
    rates = parse_rates(Settings(root=tmp_path).rate_limits)
    assert set(rates) == {"search", "upload", "login"}
    assert rates["search"].burst >= 30 and rates["upload"].burst >= 10
