"""Who is asking, and may they: session cookies, API tokens, CSRF, and the permission gate.

``protect(app)`` wraps every route of the app in a gate that looks up (method, route path) in
permissions.TABLE, so an unknown address still gets the router's 404 and a route missing from
the table gets 403. The gate runs inside the router, so its ArchiveError leaves are mapped by
errors.py like any endpoint's.

CSRF: a state-changing request that a session cookie authenticates must carry the session's CSRF
token (header X-CSRF-Token, or form field ``csrf``), and a foreign Origin/Referer is refused for
every state-changing request, signed in or not (that also stops login CSRF). Bearer-token requests
are exempt: a browser never attaches an Authorization header on its own.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote_plus, urlsplit

from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from archive.errors import Forbidden, TooLarge, Unauthorized
from archive.models import SESSION_SECONDS, Token, User
from archive.web import permissions, security
from archive.web.endpoint import archive_of
from archive.web.errors import is_api

COOKIE = "archive_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The CSRF field is looked for in a url-encoded form of up to FORM_LIMIT bytes, and in the first
# MULTIPART_PREFIX bytes of a multipart one, so an upload streams on without being buffered.
FORM_LIMIT = 1024 * 1024
MULTIPART_PREFIX = 64 * 1024


@dataclass(frozen=True)
class Principal:
    """The requester: nobody (user None), a signed-in user (csrf set), or a user's API token."""

    user: User | None = None
    token: Token | None = None
    csrf: str | None = None


ANONYMOUS = Principal()


def _resolve(request: Request) -> Principal:
    archive = archive_of(request)
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, secret = authorization.partition(" ")
        found = archive.authenticate_token(secret.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            # A script with a wrong token must hear so, not quietly get the anonymous view.
            raise Unauthorized("This API token is not valid (revoked, or mistyped?).")
        return Principal(found[0], found[1])
    cookie = request.cookies.get(COOKIE)
    session = archive.session(cookie) if cookie else None
    return Principal(session.user, csrf=session.csrf) if session else ANONYMOUS


def authenticate(request: Request) -> Principal:
    """Resolve the requester once per request; Unauthorized for a bad API token."""
    state = request.scope.setdefault("state", {})
    if "principal" not in state:
        state["principal"] = _resolve(request)
    return state["principal"]


def principal(request: Request) -> Principal:
    """The requester as the gate found it; anonymous where no gate ran (a 404 page) or the
    token was bad (the 401 page itself must still render)."""
    try:
        return authenticate(request)
    except Unauthorized:
        return ANONYMOUS


def current_user(request: Request) -> User | None:
    return principal(request).user


def actor(request: Request) -> str:
    """The name the audit log records for this request's user or token."""
    who = principal(request)
    if who.user is None:
        return "anonymous"
    if who.token is not None:
        return f"token:{who.token.name}@{who.user.username}"
    return who.user.username


def csrf_field(request: Request) -> Markup:
    """The hidden CSRF input every state-changing form carries.

    In a multipart form put it before the file inputs: only the first 64 KB are searched for it.
    """
    csrf = principal(request).csrf
    if csrf is None:
        return Markup("")
    return Markup('<input type="hidden" name="csrf" value="{}">').format(escape(csrf))


def allows(who: Principal, level: str, private: bool) -> bool:
    """Whether this requester may use a route of this permission level."""
    user, token = who.user, who.token
    if level == permissions.PUBLIC:
        return True
    if level == permissions.READ:
        return not private or user is not None
    if user is None:
        return False
    if level == permissions.ACCOUNT:
        return token is None  # a token cannot mint more tokens
    if level == permissions.WRITE:
        return user.role in ("archivist", "admin") and (token is None or token.scope == "write")
    if level == permissions.ADMIN:
        return user.role == "admin" and token is None
    return False


# --- cookies ---------------------------------------------------------------------------------
def _secure(request: Request) -> bool:
    forced = archive_of(request).settings.secure_cookies
    return request.url.scheme == "https" if forced is None else forced


def set_session_cookie(response: Response, request: Request, secret: str) -> None:
    response.set_cookie(
        COOKIE,
        secret,
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))


# --- CSRF ------------------------------------------------------------------------------------
def _same_origin(request: Request) -> bool:
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return True  # old browsers and privacy settings omit both; the token still guards
    parsed = urlsplit(source)
    # netloc, not scheme: behind a proxy that ends TLS, the request itself arrives as http.
    host = request.headers.get("host", "").lower()
    return parsed.scheme in ("http", "https") and parsed.netloc.lower() == host


async def _form_csrf(request: Request, receive: Receive) -> tuple[str | None, Receive]:
    """The ``csrf`` field of a form body, and a receive that replays what was read."""
    content_type = request.headers.get("content-type", "")
    media = content_type.partition(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        limit = FORM_LIMIT
    elif media == "multipart/form-data":
        limit = MULTIPART_PREFIX
    else:
        return None, receive
    chunks: list[bytes] = []
    size, more = 0, True
    while more and size < limit:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        more = message.get("more_body", False)
    data = b"".join(chunks)
    if media == "multipart/form-data":
        token = _multipart_field(data, content_type, "csrf")
    elif more:
        raise TooLarge("A form is at most 1 MB.")
    else:
        found = re.search(rb"(?:^|&)csrf=([^&]*)", data)
        token = unquote_plus(found.group(1).decode("latin-1")) if found else None
    pending: list[Message] = [{"type": "http.request", "body": data, "more_body": more}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return token, replay


def _multipart_field(data: bytes, content_type: str, name: str) -> str | None:
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if not found:
        return None
    parts = data.split(b"--" + found.group(1).encode("latin-1"))
    for part in parts[1:-1]:  # whole parts only: each is followed by another boundary
        head, sep, body = part.partition(b"\r\n\r\n")
        if sep and re.search(rb'[;\s]name="' + name.encode() + rb'"', head, re.IGNORECASE):
            return body.removesuffix(b"\r\n").decode("utf-8", "replace")
    return None


async def check_csrf(request: Request, who: Principal, receive: Receive) -> Receive:
    if who.token is not None:
        return receive
    if not _same_origin(request):
        raise Forbidden("This form was sent from another site.")
    if who.csrf is None:
        return receive  # no session: nothing ambient to abuse, and the route's level decides
    token = request.headers.get("x-csrf-token")
    if token is None:
        token, receive = await _form_csrf(request, receive)
    if token is None or not hmac.compare_digest(token.encode(), who.csrf.encode()):
        raise Forbidden("The form's security token is missing or out of date; reload the page.")
    return receive


# --- the gate --------------------------------------------------------------------------------
class Gate:
    """Wraps one route's ASGI app: permission table lookup, authentication, CSRF."""

    def __init__(self, app: ASGIApp, path: str) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        method = "GET" if request.method == "HEAD" else request.method
        level = permissions.TABLE.get((method, self.path))
        if level is None:
            raise Forbidden(f"{method} {self.path} is not in the permission table.")
        if level == permissions.PUBLIC and method not in UNSAFE_METHODS:
            # static files and the login page: no catalog query, unless a template asks
            await self.app(scope, receive, send)
            return
        # a thread: a token's last_used_at write may wait for the catalog's write lock
        who = await run_in_threadpool(authenticate, request)
        security.check_rate(request, self.path, who)  # 429 before any body is read
        if method in UNSAFE_METHODS and level != permissions.READ:
            # a READ route changes nothing (POST /oai is a query sent as a form): no CSRF
            receive = await check_csrf(request, who, receive)
        if not allows(who, level, archive_of(request).settings.private):
            if who.user is not None:
                raise Forbidden("Your account is not allowed to do this.")
            if method == "GET" and not is_api(request):
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                response = RedirectResponse(f"/login?next={quote(target)}", status_code=303)
                await response(scope, receive, send)
                return
            raise Unauthorized("Please sign in (or send an API token) to do this.")
        await self.app(scope, receive, send)


def protect(app: Starlette) -> None:
    """Put a Gate in front of every route of app: the permission table is enforced for all."""
    for route in app.router.routes:
        if isinstance(route, Route | Mount):
            # The route objects are module-level, shared by every app made in one process (the
            # tests make many): wrap them once, or each request would pass N gates.
            inner = route.app.app if isinstance(route.app, Gate) else route.app
            route.app = Gate(inner, route.path)
