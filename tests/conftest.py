"""Real archives in temporary folders: a real catalog, real originals, a real Whoosh index.

Test data comes from the repository alone: the demo collection (archive/cli/demo/: CRS
reports, public domain; Ukrainian addresses and their English versions, CC0) and tests/data/ (a
CRS report as PDF and Markdown, and records, a page template and a transcript written for the
tests: see its README), or is made by the tests. `make test` passes on a clone with nothing
beside it; the few tests that also read ../shared when it is there say so and pass without it.
"""

from __future__ import annotations

import functools
import gzip
import html
import json
import shutil
import string
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from archive import Archive, Settings
from archive.cli.demo import COLLECTION as DEMO_COLLECTION
from archive.cli.demo import SAMPLE_ARTICLE as SAMPLE
from archive.search.index import Index
from archive.storage.catalog import Catalog
from archive.storage.originals import Store

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
# A CRS report (public domain) as its PDF and its Markdown twin: tests/data/README.md.
CRS_STEM = "crs_IF12106v21-iran-and-nuclear-weapons-production"
CRS_PDF = DATA / f"{CRS_STEM}.pdf"
CRS_MD = DATA / f"{CRS_STEM}.md"
# ../shared beside the repository, when it is there: read only by tests that pass without it
# (the README names them).
SHARED_CORPORA = REPO.parent / "shared" / "corpora" / "political-news"


@contextmanager
def parts(settings: Settings) -> Iterator[tuple[Store, Catalog, Index]]:
    """The archive's parts opened on their own, as the outside world (a crash, a disk, another
    process) would meet them: for tests that damage one to see the archive notice and repair."""
    catalog = Catalog(settings.catalog_path)
    index = Index(settings)
    try:
        yield Store(settings.originals_dir), catalog, index
    finally:
        index.close()
        catalog.close()


def sample_path() -> Path:
    """The sample article, shipped with the demo collection."""
    return SAMPLE


# -- records -------------------------------------------------------------------------------------


@functools.cache
def _demo_records() -> tuple[str, ...]:
    with gzip.open(DEMO_COLLECTION, "rt", encoding="utf-8") as f:
        return tuple(line for line in f if line.strip())


def demo_records() -> list[dict]:
    """The demo collection's records (CRS reports, Ukrainian addresses and their English
    versions), in the file's order: fresh dicts on every call."""
    return [json.loads(line) for line in _demo_records()]


# The demo records each group starts with, in this order: the ones the sample archive holds.
# CRS reports of several authors (one by "Feickert, Andrew") and topics; Zelensky's and
# Yermak's addresses of 13-17 May 2022 in Ukrainian (tags such as "Голод" and "Міжнародні …")
# and the same addresses in English.
FIRST = {
    ("crs_reports", "en"): [
        "crs:IF10491v14-australia-background-and-u-s-relations",
        "crs:IF10753v6-energy-star-program",
        "crs:IF10753v7-energy-star-program",
        "crs:IF11043v3-the-federal-policy-for-the-protection-of-human-r",
        "crs:IF11175v11-u-s-mexico-trade-relations",
        "crs:IF11286v9-election-security-federal-funding-for-securing-e",
        "crs:IF11643v21-artemis-nasa-s-program-to-return-humans-to-the-m",
        "crs:IF11755v17-the-marine-corps-amphibious-combat-vehicle-acv",
    ],
    ("resistinua", "uk"): [
        f"resistinua:uk:{native}"
        for native in "HKFB5PFN2Wg q3J2FFKr6gE ySx3hwJxjaQ _lfphSteoTQ 6RyrRhJ-cys o69Ez-Uks5s "
        "SRJ2RhD4KrA U6OwMhb2dTg".split()
    ],
}
FIRST[("resistinua", "en")] = [i.replace(":uk:", ":en:") for i in FIRST[("resistinua", "uk")]]


# Records written for these tests (tests/data/README.md), in the corpus record schema: what the
# demo collection lacks. News in English from 2016 to 2020 (several authors, one record with none
# and one undated), Spanish and Russian ones from 2013 to 2021.
WRITTEN_RECORDS = DATA / "written_records.jsonl"


def written_records() -> list[dict]:
    with WRITTEN_RECORDS.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _groups() -> dict[tuple[str, str], list[dict]]:
    """Records by (source, language): the demo's FIRST ones first, then the rest of the demo
    collection shortest first (tests that take many records stay quick), then the written."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for record in demo_records():
        groups.setdefault((record["source"], record["language"]), []).append(record)
    for key, records in groups.items():
        first = FIRST.get(key, [])
        rank = {rid: n for n, rid in enumerate(first)}
        records.sort(key=lambda r: (rank.get(r["id"], len(first)), len(r["body"]), r["id"]))
        missing = set(first) - {r["id"] for r in records[: len(first)]}
        assert not missing, f"not in {DEMO_COLLECTION.name}: {sorted(missing)}"
    for record in written_records():
        groups.setdefault((record["source"], record["language"]), []).append(record)
    return groups


def corpus_records(per_file: int = 8) -> list[dict]:
    """The first `per_file` records of each group (CRS reports, Ukrainian addresses, their
    English versions, and the written English, Spanish and Russian records, of which there are
    fewer): several languages, authors, dates from 2013 to 2026, and tags."""
    return [r for records in _groups().values() for r in records[:per_file]]


# -- files the tests write -----------------------------------------------------------------------

NEWS_SITE = "Вісті громади"
NEWS_URL = "https://visti.example.org/"
# Words of the site's chrome (menus, share buttons, related posts, loading notes): never text.
NEWS_CHROME = ("Поділитися", "Подобається", "Схожі", "Telegram", "Головна", "Завантаження")
MENU = (("", "Головна"), ("news", "Новини"), ("economy", "Економіка"), ("culture", "Культура"),
        ("sport", "Спорт"), ("contacts", "Контакти"))  # fmt: skip


def news_page(record: dict, others: list[dict]) -> bytes:
    """`record` as a news site (WordPress with Jetpack, as many are) serves it: the article in
    <main>, wrapped in a page header and menu, share and like widgets, related posts, comments,
    a sidebar and a footer that list `others`' titles, with the usual <meta> tags
    (tests/data/news_page.html)."""
    e = html.escape
    date = record["date"]
    link = '<a href="{}{}/">{}</a>'.format
    teaser = (
        '<div class="col-md-4"><div class="mg-blog-post-3 minh back-img">'
        '<div class="mg-blog-inner">'
        '<div class="mg-blog-category">{}</div><h4 class="title">{}</h4>'
        '<div class="mg-blog-meta"><span class="mg-blog-date">{}</span></div></div></div></div>'
    ).format
    fields = {
        "title": e(record["title"]),
        "site": NEWS_SITE,
        "site_url": NEWS_URL,
        "url": f"{NEWS_URL}{date[:4]}/{date[5:7]}/{record['id'].rsplit(':', 1)[-1]}/",
        "date": date,
        "year": date[:4],
        "month": date[:7],
        "description": e(record["body"][:200]),
        "paragraphs": "".join(f"<p>{e(p)}</p>\n" for p in record["body"].split("\n") if p.strip()),
        "menu": "".join(f'<li class="menu-item">{link(NEWS_URL, k, n)}</li>' for k, n in MENU),
        "related": "".join(
            f"<li>{link(NEWS_URL, n, e(o['title']))}</li>" for n, o in enumerate(others)
        ),
        "teasers": "".join(
            teaser(
                link(NEWS_URL, "category/news", "Новини"),
                link(NEWS_URL, n, e(o["title"])),
                o["date"],
            )
            for n, o in enumerate(others)
        ),
        "previous": e(others[0]["title"]),
        "calendar": "".join(
            "<tr>"
            + "".join(f"<td>{d}</td>" for d in range(w * 7 + 1, min(w * 7 + 8, 32)))
            + "</tr>"
            for w in range(5)
        ),
    }
    template = (DATA / "news_page.html").read_text(encoding="utf-8")
    return string.Template(template).substitute(fields).encode("utf-8")


# A press-conference transcript in Markdown as a government site publishes them (headings that
# wrap, a dateline, a picture with its caption repeated under it, speakers in bold, asides in
# parentheses, questions standing alone, a video's voices in italics): tests/data/transcript.md.
TRANSCRIPT = DATA / "transcript.md"
TRANSCRIPT_CAPTION = (
    "La presidenta municipal Elena Ruiz Campos presentó el Programa de Huertos Escolares"
)


def transcript_md() -> bytes:
    return TRANSCRIPT.read_bytes()


# -- fixtures ------------------------------------------------------------------------------------

# Tests send requests in bursts far beyond what a person or a script would; the rate limits have
# their own tests (test_web_security.py), so the shared fixtures switch them off.
NO_LIMITS = "off"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(root=tmp_path / "archive", index_batch_size=50, rate_limits=NO_LIMITS)


@pytest.fixture
def archive(settings: Settings) -> Iterator[Archive]:
    with Archive(settings) as opened:
        yield opened


@pytest.fixture(scope="session")
def _sample_archive_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample-archive")
    jsonl = root.parent / "records.jsonl"
    records = corpus_records()
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    with Archive(Settings(root=root, index_batch_size=50)) as archive:
        report = archive.ingest_paths([sample_path(), jsonl])
        assert not report.failed, report.failed
        assert len(report.added) == len(records) + 1
    return root


@pytest.fixture
def sample_archive(_sample_archive_template: Path, tmp_path: Path) -> Iterator[Archive]:
    """The sample article (document 1) plus corpus_records(): 8 CRS reports, 8 Ukrainian
    addresses and their English versions, and the written records; indexed."""
    root = tmp_path / "sample-archive"
    shutil.copytree(_sample_archive_template, root)
    with Archive(Settings(root=root, index_batch_size=50, rate_limits=NO_LIMITS)) as opened:
        yield opened


def thousand_records(count: int = 1000, part_chars: int = 6000) -> list[dict]:
    """`count` records cut from the demo collection: each record's paragraphs in parts of at
    most about `part_chars` characters (news-article size), each part a record of its own with
    the record's metadata, its own id and "(part n)" after the title."""
    out: list[dict] = []
    for record in demo_records():
        parts: list[list[str]] = [[]]
        for paragraph in record["body"].split("\n"):
            if parts[-1] and sum(map(len, parts[-1])) + len(paragraph) > part_chars:
                parts.append([])
            parts[-1].append(paragraph)
        for n, part in enumerate(parts, start=1):
            body = "\n".join(part).strip()
            if body:
                title = record["title"] if len(parts) == 1 else f"{record['title']} (part {n})"
                out.append({**record, "id": f"{record['id']}#{n}", "title": title, "body": body})
                if len(out) == count:
                    return out
    raise AssertionError(f"the demo collection gives {len(out)} parts, fewer than {count}")


@pytest.fixture(scope="session")
def thousand_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1,000-document archive (thousand_records()) to copy: build once, use by copying."""
    root = tmp_path_factory.mktemp("thousand")
    source = root.parent / "thousand.jsonl"
    source.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in thousand_records()),
        encoding="utf-8",
    )
    with Archive(Settings(root=root)) as archive:
        report = archive.ingest_paths([source])
        assert len(report.added) == 1000, report.failed[:3]
    return root
