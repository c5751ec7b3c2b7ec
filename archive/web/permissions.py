"""Who may do what: one table for every route, enforced in one place, tested as a matrix.

Keys are (method, path template as routed); a route missing from the table is refused, and a
test fails for it. Levels: PUBLIC (anyone, always: static files, the login page), READ (anyone
when the archive is public, else any signed-in user or read token), WRITE (archivists, admins,
write tokens), ADMIN (admins only; tokens never).
"""

from __future__ import annotations

PUBLIC = "public"
READ = "read"
WRITE = "write"
ADMIN = "admin"
LEVELS = (PUBLIC, READ, WRITE, ADMIN)

TABLE: dict[tuple[str, str], str] = {
    # reading (issue 2)
    ("GET", "/"): READ,
    ("GET", "/search"): READ,
    ("GET", "/documents/{id:int}"): READ,
    ("GET", "/documents/{id:int}/original"): READ,
    ("GET", "/api/search"): READ,
    ("GET", "/api/documents/{id:int}"): READ,
    ("GET", "/static"): PUBLIC,
}
