"""Security headers on every response, and the rate limits the auth gate applies per route.

The Content-Security-Policy allows scripts, styles and images from this site only: no inline
script, no inline style, no event-handler attributes, no plugins, no framing, no <base>. So if
escaping ever failed, an injected <script> or onerror= would still not run. Templates and the
static JS are written for it (classes instead of style attributes, listeners in app.js).

A response that set its own policy keeps it: an original's download sends a stricter one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from archive.web.ratelimit import RateLimiter, parse_rates

if TYPE_CHECKING:
    from archive.web.auth import Principal

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # Search words travel in URLs: a link out to a source site must not carry them along.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "Cross-Origin-Opener-Policy": "same-origin",
}

# Which rate limit a route counts against: (method, route path as in permissions.TABLE) -> kind.
LIMITED = {
    ("GET", "/"): "search",
    ("GET", "/search"): "search",
    ("GET", "/api/search"): "search",
    ("GET", "/search.atom"): "search",
    ("GET", "/search.csv"): "search",
    ("GET", "/search.jsonl"): "search",
    ("GET", "/suggest.json"): "search",
    ("GET", "/api/suggest"): "search",
    ("GET", "/api/facets/{facet}"): "search",
    ("GET", "/api/documents/{id:int}/similar"): "search",
    ("POST", "/api/documents"): "upload",
    ("POST", "/upload"): "upload",
    ("POST", "/api/imports"): "upload",
    ("POST", "/import"): "upload",
    ("POST", "/login"): "login",
}


class SecurityHeaders:
    """ASGI middleware: adds HEADERS to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def secure(app: Starlette) -> None:
    """Headers on every response, and the app's rate limiter from its archive's Settings.

    The middleware wraps the whole stack, outside Starlette's ServerErrorMiddleware, so even a
    500 page carries the policy (app.add_middleware would put it inside).
    """
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeaders(build())  # type: ignore[method-assign]
    app.state.rate_limiter = RateLimiter(parse_rates(app.state.archive.settings.rate_limits))


def client_key(request: Request, who: Principal) -> str:
    """Whom a rate limit counts: the token, else the signed-in user, else the address."""
    if who.token is not None:
        return f"token:{who.token.id}"
    if who.user is not None:
        return f"user:{who.user.username}"
    return address_key(request)


def address_key(request: Request) -> str:
    # Behind a reverse proxy every client shares its address: run uvicorn with
    # --proxy-headers (and --forwarded-allow-ips) so request.client is the real one.
    return f"addr:{request.client.host if request.client else 'unknown'}"


def check_rate(request: Request, path: str, who: Principal) -> None:
    """Count this request against its route's limit; TooManyRequests (429) when over it."""
    method = "GET" if request.method == "HEAD" else request.method
    kind = LIMITED.get((method, path))
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if kind is None or limiter is None:
        return
    # Sign-in attempts count per address whoever claims to be asking.
    key = address_key(request) if kind == "login" else client_key(request, who)
    limiter.take(kind, key)
