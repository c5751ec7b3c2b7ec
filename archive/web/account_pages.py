"""Sign in and out, one's own API tokens (/account), users and all tokens (/admin).

Every route is thin: parse the form, one Archive call (in a thread: argon2 and SQLite block),
render or redirect. The gate in auth.py has already checked the permission level and the CSRF
token. These pages may show a new token or a user list: they are kept out of every cache.
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from archive.errors import TooManyRequests, Unauthorized
from archive.models import ROLES, SCOPES, NewToken
from archive.web.auth import (
    COOKIE,
    clear_session_cookie,
    current_user,
    set_session_cookie,
)
from archive.web.endpoint import archive_of, render, see_other

FORM_LIMITS = {"max_files": 0, "max_fields": 20}


def _username(request: Request) -> str:
    user = current_user(request)
    assert user is not None  # the gate lets only signed-in users reach these routes
    return user.username


async def _form(request: Request) -> FormData:
    return await request.form(**FORM_LIMITS)


def _field(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


# A path on this site: "//evil.example" and "/\\evil.example" are other sites, and browsers drop
# tabs and newlines from URLs, so "/\t/evil.example" would be one too.
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\\\x00-\x1f\x7f]*")


def safe_next(target: str) -> str:
    return target if _LOCAL_PATH.fullmatch(target) else "/"


# --- signing in and out ------------------------------------------------------------------------
def login_page(request: Request) -> Response:
    context = {"next": safe_next(request.query_params.get("next", "/")), "username": ""}
    return render(request, "login.html", context | {"error": None}, no_store=True)


async def login(request: Request) -> Response:
    form = await _form(request)
    username, password = _field(form, "username").strip(), _field(form, "password")
    target = safe_next(_field(form, "next") or "/")
    address = request.client.host if request.client else None
    try:
        # argon2 takes tens of milliseconds of CPU: off the event loop
        opened = await run_in_threadpool(
            archive_of(request).login, username, password, address, request.cookies.get(COOKIE)
        )
    except (Unauthorized, TooManyRequests) as exc:
        context = {"next": target, "username": username, "error": exc.message}
        response = render(request, "login.html", context, exc.status, no_store=True)
        response.headers.update(exc.headers)
        return response
    response = see_other(target)
    set_session_cookie(response, request, opened.secret)
    return response


def logout(request: Request) -> Response:
    cookie = request.cookies.get(COOKIE)
    if cookie:
        archive_of(request).logout(cookie)
    response = see_other("/")
    clear_session_cookie(response, request)
    return response


# --- one's own tokens --------------------------------------------------------------------------
def _account_page(request: Request, new: NewToken | None = None) -> Response:
    context = {
        "tokens": archive_of(request).tokens(_username(request)),
        "scopes": SCOPES,
        "new_token": new,
    }
    return render(request, "account.html", context, 201 if new else 200, no_store=True)


def account_page(request: Request) -> Response:
    return _account_page(request)


def _create_own_token(request: Request, form: FormData) -> Response:
    name, scope = _field(form, "name"), _field(form, "scope")
    new = archive_of(request).create_token(_username(request), name, scope)
    return _account_page(request, new)


async def create_own_token(request: Request) -> Response:
    return await run_in_threadpool(_create_own_token, request, await _form(request))


def revoke_own_token(request: Request) -> Response:
    token_id = request.path_params["token_id"]
    archive_of(request).revoke_token(token_id, owner=_username(request))
    return see_other("/account")


# --- administration ----------------------------------------------------------------------------
def _admin_page(request: Request, new: NewToken | None = None) -> Response:
    archive = archive_of(request)
    context = {
        "users": archive.users(),
        "tokens": archive.tokens(),
        "roles": ROLES,
        "scopes": SCOPES,
        "new_token": new,
    }
    return render(request, "admin.html", context, 201 if new else 200, no_store=True)


def admin_page(request: Request) -> Response:
    return _admin_page(request)


async def add_user(request: Request) -> Response:
    form = await _form(request)
    await run_in_threadpool(
        archive_of(request).add_user,
        _field(form, "username").strip(),
        _field(form, "password"),
        _field(form, "role"),
    )
    return see_other("/admin")


async def set_role(request: Request) -> Response:
    form = await _form(request)
    username = request.path_params["username"]
    await run_in_threadpool(archive_of(request).set_role, username, _field(form, "role"))
    return see_other("/admin")


async def set_disabled(request: Request) -> Response:
    form = await _form(request)
    disabled = _field(form, "disabled") == "1"
    username = request.path_params["username"]
    await run_in_threadpool(archive_of(request).set_disabled, username, disabled)
    return see_other("/admin")


def _create_admin_token(request: Request, form: FormData) -> Response:
    name, scope = _field(form, "name"), _field(form, "scope")
    new = archive_of(request).create_token(_username(request), name, scope)
    return _admin_page(request, new)


async def create_admin_token(request: Request) -> Response:
    return await run_in_threadpool(_create_admin_token, request, await _form(request))


def revoke_token(request: Request) -> Response:
    archive_of(request).revoke_token(request.path_params["token_id"])
    return see_other("/admin")


ROUTES = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/account", account_page, methods=["GET"]),
    Route("/account/tokens", create_own_token, methods=["POST"]),
    Route("/account/tokens/{token_id:int}/revoke", revoke_own_token, methods=["POST"]),
    Route("/admin", admin_page, methods=["GET"]),
    Route("/admin/users", add_user, methods=["POST"]),
    Route("/admin/users/{username}/role", set_role, methods=["POST"]),
    Route("/admin/users/{username}/disabled", set_disabled, methods=["POST"]),
    Route("/admin/tokens", create_admin_token, methods=["POST"]),
    Route("/admin/tokens/{token_id:int}/revoke", revoke_token, methods=["POST"]),
]
