"""Sign in and out, one's own API tokens (/account), users and all tokens (/admin).

Every route is thin: parse the form, one call into Archive.accounts, render or redirect. The gate
in auth.py has already checked the permission level and the CSRF token.
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from archive.accounts.users import ROLES, SCOPES, Accounts, NewToken
from archive.errors import TooManyRequests, Unauthorized
from archive.web.auth import (
    COOKIE,
    clear_session_cookie,
    current_user,
    set_session_cookie,
)

FORM_LIMITS = {"max_files": 0, "max_fields": 20}


def _accounts(request: Request) -> Accounts:
    return request.app.state.archive.accounts


def _username(request: Request) -> str:
    user = current_user(request)
    assert user is not None  # the gate lets only signed-in users reach these routes
    return user.username


async def _form(request: Request) -> FormData:
    return await request.form(**FORM_LIMITS)


def _field(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _render(request: Request, name: str, context: dict[str, object], status: int = 200) -> Response:
    response = request.app.state.templates.TemplateResponse(
        request, name, context, status_code=status
    )
    # These pages may show a new token or a user list: keep them out of every cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _back(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


# A path on this site: "//evil.example" and "/\\evil.example" are other sites, and browsers drop
# tabs and newlines from URLs, so "/\t/evil.example" would be one too.
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\\\x00-\x1f\x7f]*")


def safe_next(target: str) -> str:
    return target if _LOCAL_PATH.fullmatch(target) else "/"


# --- signing in and out ------------------------------------------------------------------------
def login_page(request: Request) -> Response:
    context = {"next": safe_next(request.query_params.get("next", "/")), "username": ""}
    return _render(request, "login.html", context | {"error": None})


async def login(request: Request) -> Response:
    form = await _form(request)
    username, password = _field(form, "username").strip(), _field(form, "password")
    target = safe_next(_field(form, "next") or "/")
    address = request.client.host if request.client else None
    try:
        # argon2 takes tens of milliseconds of CPU: off the event loop
        opened = await run_in_threadpool(
            _accounts(request).login, username, password, address, request.cookies.get(COOKIE)
        )
    except (Unauthorized, TooManyRequests) as exc:
        context = {"next": target, "username": username, "error": exc.message}
        response = _render(request, "login.html", context, status=exc.status)
        response.headers.update(exc.headers)
        return response
    response = _back(target)
    set_session_cookie(response, request, opened.secret)
    return response


def logout(request: Request) -> Response:
    cookie = request.cookies.get(COOKIE)
    if cookie:
        _accounts(request).logout(cookie)
    response = _back("/")
    clear_session_cookie(response, request)
    return response


# --- one's own tokens --------------------------------------------------------------------------
def _account_context(request: Request, new: NewToken | None = None) -> dict[str, object]:
    return {
        "tokens": _accounts(request).tokens(_username(request)),
        "scopes": SCOPES,
        "new_token": new,
    }


def account_page(request: Request) -> Response:
    return _render(request, "account.html", _account_context(request))


async def create_own_token(request: Request) -> Response:
    form = await _form(request)
    new = _accounts(request).create_token(
        _username(request), _field(form, "name"), _field(form, "scope")
    )
    return _render(request, "account.html", _account_context(request, new), status=201)


def revoke_own_token(request: Request) -> Response:
    token_id = request.path_params["token_id"]
    _accounts(request).revoke_token(token_id, owner=_username(request))
    return _back("/account")


# --- administration ----------------------------------------------------------------------------
def _admin_context(request: Request, new: NewToken | None = None) -> dict[str, object]:
    accounts = _accounts(request)
    return {
        "users": accounts.users(),
        "tokens": accounts.tokens(),
        "roles": ROLES,
        "scopes": SCOPES,
        "new_token": new,
    }


def admin_page(request: Request) -> Response:
    return _render(request, "admin.html", _admin_context(request))


async def add_user(request: Request) -> Response:
    form = await _form(request)
    await run_in_threadpool(
        _accounts(request).add_user,
        _field(form, "username").strip(),
        _field(form, "password"),
        _field(form, "role"),
    )
    return _back("/admin")


async def set_role(request: Request) -> Response:
    form = await _form(request)
    _accounts(request).set_role(request.path_params["username"], _field(form, "role"))
    return _back("/admin")


async def set_disabled(request: Request) -> Response:
    form = await _form(request)
    disabled = _field(form, "disabled") == "1"
    _accounts(request).set_disabled(request.path_params["username"], disabled)
    return _back("/admin")


async def create_admin_token(request: Request) -> Response:
    form = await _form(request)
    new = _accounts(request).create_token(
        _username(request), _field(form, "name"), _field(form, "scope")
    )
    return _render(request, "admin.html", _admin_context(request, new), status=201)


def revoke_token(request: Request) -> Response:
    _accounts(request).revoke_token(request.path_params["token_id"])
    return _back("/admin")


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
