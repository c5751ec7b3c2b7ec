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
    ("GET", "/documents/{id:int}/cite.bib"): READ,
    ("GET", "/documents/{id:int}/cite.ris"): READ,
    ("GET", "/documents/{id:int}/cite.json"): READ,
    # passage permalinks (issue 15): a redirect to the document, a reading like it
    ("GET", "/documents/{id:int}/passages/{fingerprint}"): READ,
    ("GET", "/api/search"): READ,
    ("GET", "/api/documents/{id:int}"): READ,
    # finding more (issue 4)
    ("GET", "/advanced"): READ,
    ("GET", "/api/suggest"): READ,
    ("GET", "/api/facets/{facet}"): READ,
    ("GET", "/api/documents/{id:int}/similar"): READ,
    # the API's description (issue 5): nothing in it is private, and a script reads it first
    ("GET", "/api/openapi.json"): PUBLIC,
    # OAI-PMH for harvesters (issue 11): a reading like the search, by GET or by POST (the
    # protocol's form-encoded POST): the one POST that changes nothing, so the gate asks no
    # CSRF token of it (a READ level never does: auth.Gate)
    ("GET", "/oai"): READ,
    ("POST", "/oai"): READ,
    # feeds and OpenSearch (issue 11): a search's Atom twin, the description a browser adds as
    # a search engine and its suggestions: readings like the search, so a private archive's need
    # a signed-in user or a read token
    ("GET", "/search.atom"): READ,
    ("GET", "/opensearch.xml"): READ,
    ("GET", "/suggest.json"): READ,
    # exports of a search (CSV, JSON Lines): every match's metadata, a reading like the search
    ("GET", "/search.csv"): READ,
    ("GET", "/search.jsonl"): READ,
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
    # uploads and curation (issue 3): everything that changes data, and the archivists' pages
    ("POST", "/api/documents"): WRITE,
    ("PATCH", "/api/documents/{id:int}"): WRITE,
    ("DELETE", "/api/documents/{id:int}"): WRITE,
    ("POST", "/api/imports"): WRITE,
    # an import's progress names its file and its failures: for archivists, like the import
    ("GET", "/api/jobs/{id:int}"): WRITE,
    ("GET", "/upload"): WRITE,
    ("POST", "/upload"): WRITE,
    ("GET", "/documents/{id:int}/edit"): WRITE,
    ("POST", "/documents/{id:int}/edit"): WRITE,
    ("POST", "/documents/{id:int}/trash"): WRITE,
    ("POST", "/documents/{id:int}/restore"): WRITE,
    ("POST", "/documents/{id:int}/collections"): WRITE,
    ("POST", "/documents/{id:int}/copies"): WRITE,
    ("POST", "/documents/{id:int}/ocr"): WRITE,
    ("GET", "/drafts"): WRITE,
    ("GET", "/trash"): WRITE,
    ("POST", "/trash/empty"): WRITE,
    # bulk actions (issue 14): many documents in one atomic action
    ("POST", "/bulk"): WRITE,
    ("POST", "/api/documents/bulk"): WRITE,
    ("GET", "/collections"): WRITE,
    # the JSON twins of the three lists above (issue 15): the same people, the same answers
    ("GET", "/api/drafts"): WRITE,
    ("GET", "/api/trash"): WRITE,
    ("GET", "/api/collections"): WRITE,
    ("POST", "/collections"): WRITE,
    ("POST", "/collections/delete"): WRITE,
    ("GET", "/import"): WRITE,
    ("POST", "/import"): WRITE,
}
