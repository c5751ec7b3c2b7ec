"""Schemathesis against /api/openapi.json: generated requests, every answer checked against it.

In process, through the ASGI app, on a copy of the sample archive, with a write token so the
write operations get past the gate. Checks: no 5xx, every status and content type documented,
every body and header as described, and a JSON body that breaks the schema refused with a 4xx.
Not checked: "valid data is accepted", because a query string can match the schema's `string`
and still be bad syntax (a 400 by design, tests/test_hostile_queries.py); and "invalid data is
refused" for query strings and forms, where every value is text on the wire: an "object" where
an integer belongs arrives as `per_page=` (blank, so absent: valid), an integer where text
belongs as "7". Those cases still run every other check.

CI runs EXAMPLES per read operation and WRITE_EXAMPLES per write one. The full run quoted in
docs/reliability.md sets both to 200:
    SCHEMATHESIS_EXAMPLES=200 SCHEMATHESIS_WRITE_EXAMPLES=200 .venv/bin/pytest -q \
        tests/test_schemathesis.py
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from secrets import token_hex

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import BaseSchema, Case, GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient
from whoosh.codec.base import Segment

from archive.config import Settings
from archive.core.archive import Archive
from archive.web import create_app
from archive.web.openapi import PATHS
from archive.web.ratelimit import RateLimiter

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "200"))
WRITE_EXAMPLES = int(os.environ.get("SCHEMATHESIS_WRITE_EXAMPLES", "200"))
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]

# A refusal is any 4xx that names the fault: 413 (a field over its size) included, which
# schemathesis's default list leaves out.
CONFIG = schemathesis.config.SchemathesisConfig.from_str(
    """
[checks.negative_data_rejection]
expected-statuses = [400, 401, 403, 404, 405, 409, 413, 415, 422, 429]
"""
)


@pytest.fixture(scope="module", autouse=True)
def whoosh_names_not_seeded_by_hypothesis() -> Iterator[None]:
    """Hypothesis reseeds the `random` module for every example; Whoosh names its segments
    with it, so the indexing thread would draw an earlier segment's name again and trip an
    assertion. Outside Hypothesis the names are random; here too, from the OS."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            Segment, "_random_id", classmethod(lambda cls, size=16: token_hex(size)[:size])
        )
        yield


@pytest.fixture(scope="module")
def api(_sample_archive_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    root = tmp_path_factory.mktemp("schemathesis") / "archive"
    shutil.copytree(_sample_archive_template, root)
    # background=True as `archive serve` runs it: one indexing thread, writes never wait on it
    with Archive(Settings(root=root, index_batch_size=50), background=True) as archive:
        archive.add_user("fuzzer", "a long enough password", "archivist")
        secret = archive.create_token("fuzzer", "schemathesis", "write").secret
        app = create_app(archive)
        # thousands of requests from one client: the limiter has its own tests
        app.state.rate_limiter = RateLimiter({})
        schema = schemathesis.openapi.from_asgi("/api/openapi.json", app, config=CONFIG)
        yield schema, {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
def api_schema(api: tuple) -> schemathesis.BaseSchema:
    return api[0]


@pytest.fixture(scope="module")
def token(api: tuple) -> dict[str, str]:
    return api[1]


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        database=None,  # no .hypothesis folder in the repository
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


# reads first: the writes trash and edit the documents the reads would look at
OPERATIONS = sorted(
    ((method.upper(), path) for path, ops in PATHS.items() for method in ops),
    key=lambda op: op[0] != "GET",
)
KNOWN_IDS = st.integers(1, 60)  # the sample archive's documents (and the jobs the fuzz starts)
COUNTS: dict[str, Counter[str]] = {}


# schemathesis's own @schema.parametrize() cannot run under pytest 9 (it reads a node attribute
# pytest removed), so each operation is a plain parametrized test driving Hypothesis itself.
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_api_keeps_to_its_description(
    api_schema: BaseSchema, token: dict[str, str], method: str, path: str
) -> None:
    operation = api_schema[path][method]
    counts = COUNTS.setdefault(f"{method} {path}", Counter())
    # valid requests (per the schema) and invalid ones, which must be refused with a 4xx
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    cases = st.one_of(*(operation.as_strategy(mode) for mode in modes))
    if "{id}" in path:  # random ids are all 404s: half the cases use ids that exist
        cases = st.one_of(
            cases,
            KNOWN_IDS.flatmap(
                lambda n: operation.as_strategy(GenerationMode.POSITIVE, path_parameters={"id": n})
            ),
        )

    @fuzz(EXAMPLES if method == "GET" else WRITE_EXAMPLES)
    @given(case=cases)
    def run(case: Case) -> None:
        checks = CHECKS if case.media_type == "application/json" else CHECKS[:-1]
        response = case.call_and_validate(headers=token, checks=checks)
        counts[f"{response.status_code // 100}xx"] += 1
        counts["examples"] += 1

    run()
    print(f"\n{method} {path}: {dict(counts)}")
    assert counts["examples"] >= min(EXAMPLES if method == "GET" else WRITE_EXAMPLES, 20)


# --- what the fuzzing found, kept as plain regression tests -----------------------------------
@pytest.mark.parametrize(
    "target",
    [
        "/api/facets/authors?facet_page=%C2%B2",  # "²".isdigit() is true; int("²") raised: a 500
        "/search?facet_more=authors&facet_page=%C2%B2",
        "/api/search?from=%D9%A2%D9%A0%D9%A2%D9%A3",  # Arabic-Indic ٢٠٢٣ passed for a date
        "/api/search?year=%D9%A2%D9%A0%D9%A2%D9%A3",
        "/api/search?page=%D9%A3",
        "/api/search?q=year:%D9%A2%D9%A0%D9%A2%D9%A3",
        "/api/search?q=date:%D9%A2%D9%A0%D9%A2%D9%A3",
    ],
)
def test_digits_are_ascii_digits(api: tuple, target: str) -> None:
    app = api[0].app
    assert TestClient(app, raise_server_exceptions=False).get(target).status_code == 400


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/api/documents/2", b'{"title": "a \\ud864 b"}'),  # a lone surrogate: was a 500
        ("PATCH", "/api/documents/2", b'{"tags": ["\\udc00"]}'),
        ("POST", "/api/documents", b'{"text": "a \\ud864 river"}'),
        ("POST", "/api/documents", b'{"text": "a river", "title": "%s"}' % (b"t" * 20_000)),
    ],
)
def test_json_bodies_hold_text_within_the_field_limit(
    api: tuple, method: str, path: str, body: bytes
) -> None:
    client = TestClient(api[0].app, raise_server_exceptions=False)
    headers = {**api[1], "Content-Type": "application/json"}
    response = client.request(method, path, content=body, headers=headers)
    assert response.status_code == 400, response.text
