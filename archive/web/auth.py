"""Who is asking: session cookies and API tokens. (Interface stub; the accounts work fills it.)"""

from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request


def actor(request: Request) -> str:
    """The name the audit log records for this request's user or token."""
    return "anonymous"


def csrf_field(request: Request) -> Markup:
    """The hidden CSRF input every state-changing form carries."""
    return Markup("")
