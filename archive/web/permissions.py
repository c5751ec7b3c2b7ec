"""Who may do what: one table for every route, enforced in one place, tested as a matrix.

Keys are (method, path template as routed); a route missing from the table is refused, and a
test fails for it. Levels: PUBLIC (anyone, always: static files, the login page), READ (anyone
when the archive is public, else any signed-in user or read token), WRITE (archivists, admins,
write tokens), ADMIN (admins only; tokens never), ACCOUNT (any signed-in user in the browser,
for their own account; tokens never, so a token cannot mint more tokens).
"""

from __future__ import annotations

PUBLIC = "public"
READ = "read"
WRITE = "write"
ADMIN = "admin"
ACCOUNT = "account"
LEVELS = (PUBLIC, READ, WRITE, ADMIN, ACCOUNT)

TABLE: dict[tuple[str, str], str] = {
    # reading (issue 2)
    ("GET", "/"): READ,
    ("GET", "/search"): READ,
    ("GET", "/documents/{id:int}"): READ,
    ("GET", "/documents/{id:int}/original"): READ,
    ("GET", "/api/search"): READ,
    ("GET", "/api/documents/{id:int}"): READ,
    ("GET", "/static"): PUBLIC,
    # accounts (issue 3)
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/account"): ACCOUNT,
    ("POST", "/account/tokens"): ACCOUNT,
    ("POST", "/account/tokens/{token_id:int}/revoke"): ACCOUNT,
    ("GET", "/admin"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("POST", "/admin/users/{username}/role"): ADMIN,
    ("POST", "/admin/users/{username}/disabled"): ADMIN,
    ("POST", "/admin/tokens"): ADMIN,
    ("POST", "/admin/tokens/{token_id:int}/revoke"): ADMIN,
}
