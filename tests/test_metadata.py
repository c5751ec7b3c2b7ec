"""Bylines, language, suggestions and an archivist's overrides (dates: test_dates.py)."""

from __future__ import annotations

import gzip
import itertools
import json
import subprocess
import sys

import pytest

from archive.errors import BadRequest
from archive.ingest.extract import extract, iter_jsonl
from archive.ingest.metadata import (
    apply,
    detect_language,
    parse_byline,
    suggest,
    title_from_filename,
)
from archive.models import Block, Extracted, Hints, Metadata, Overrides
from tests.conftest import (
    CRS_MD,
    NEWS_SITE,
    SHARED_CORPORA,
    corpus_records,
    demo_records,
    news_page,
    sample_path,
    transcript_md,
)

SAMPLE = sample_path()


# -- bylines -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("By La Marx International 11/6/23", (("La Marx International",), "11/6/23")),
        ("By Jane Doe and John Roe | March 3, 2021", (("Jane Doe", "John Roe"), "March 3, 2021")),
        ("By A, B and C", (("A", "B", "C"), None)),
        ("By Ann Lee, Bo Park and Cy Diaz", (("Ann Lee", "Bo Park", "Cy Diaz"), None)),
        ("By A & B — 2021-03-03", (("A", "B"), "2021-03-03")),
        ("By Jane Doe on March 3, 2021", (("Jane Doe",), "March 3, 2021")),
        ("BY N. R. KLEINFIELD", (("N. R. KLEINFIELD",), None)),
        ("Por María López y Juan Pérez", (("María López", "Juan Pérez"), None)),
        (
            "Por Ana de la Torre | 08 de enero de 2019",
            (("Ana de la Torre",), "08 de enero de 2019"),
        ),
        ("By Ludwig van Beethoven", (("Ludwig van Beethoven",), None)),
    ],
)
def test_parse_byline(line: str, expected: tuple) -> None:
    assert parse_byline(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "By the end of February 2023, it was already clear that the offensive had failed",
        "By 2025 the economy will have grown",
        "Byline: nothing",
        "Jane Doe and John Roe",
        "By",
        "By " + "Name " * 50,
        "Bakhmut: A giant graveyard of Putin mercenaries",
    ],
)
def test_not_a_byline(line: str) -> None:
    assert parse_byline(line) is None


# -- language ------------------------------------------------------------------------------------

OWN_PARAGRAPHS = {
    "es": [
        "El ayuntamiento aprobó el miércoles un plan para acelerar la construcción de viviendas "
        "en las ciudades grandes. Según el ministerio, los fondos para la vivienda social se "
        "duplicarán.",
        "El concejo municipal discutió hasta muy tarde el nuevo presupuesto, pero no hubo "
        "acuerdo porque la oposición pedía más dinero para las escuelas y el transporte.",
    ],
    "ru": [
        "Правительство в среду одобрило новые меры, которые должны ускорить строительство жилья "
        "в крупных городах. По данным министерства, средства на социальное жильё удвоятся.",
        "Городской совет до поздней ночи обсуждал новый бюджет, но договориться не удалось, "
        "потому что оппозиция требовала больше денег для школ и общественного транспорта.",
    ],
    "de": [
        "Die Bundesregierung hat am Mittwoch neue Maßnahmen beschlossen, die den Wohnungsbau in "
        "den Städten beschleunigen sollen. Nach Angaben des Ministeriums werden die Mittel für den "
        "sozialen Wohnungsbau verdoppelt.",
        "Der Stadtrat diskutierte bis spät in die Nacht über den neuen Haushalt, aber eine "
        "Einigung wurde nicht erzielt, weil die Opposition mehr Geld für Schulen forderte.",
    ],
    "fr": [
        "Le gouvernement a présenté mercredi un projet de loi qui vise à accélérer la construction "
        "de logements dans les grandes villes. Selon le ministère, les crédits seront doublés.",
        "Le conseil municipal a débattu jusque tard dans la nuit du nouveau budget, mais aucun "
        "accord n'a été trouvé parce que l'opposition demandait plus d'argent pour les écoles.",
    ],
    "pt": [
        "O governo apresentou na quarta-feira um projeto de lei que pretende acelerar a "
        "construção de habitação nas grandes cidades. Segundo o ministério, os recursos serão "
        "duplicados.",
        "A câmara municipal discutiu até tarde o novo orçamento, mas não houve acordo porque a "
        "oposição pedia mais dinheiro para as escolas e para os transportes.",
    ],
    "it": [
        "Il governo ha presentato mercoledì un disegno di legge che punta ad accelerare la "
        "costruzione di case nelle grandi città. Secondo il ministero, i fondi raddoppiano.",
        "Il consiglio comunale ha discusso fino a tarda notte del nuovo bilancio, ma non è stato "
        "raggiunto un accordo perché l'opposizione chiedeva più soldi per le scuole.",
    ],
}


@pytest.mark.parametrize(
    ("lang", "text"), [(lang, text) for lang, texts in OWN_PARAGRAPHS.items() for text in texts]
)
def test_detect_language_own_paragraphs(lang: str, text: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize("text", ["", "Hello", "12 345 678", "東京は日本の首都です。", "OK, fine."])
def test_detect_language_unsure(text: str) -> None:
    assert detect_language(text) == ""


def _language_samples() -> list[tuple[str, dict]]:
    """Up to 200 records of each source and language of the demo collection (en, uk); with
    ../shared beside the repository, up to 200 of each of its corpus files too (en, es, ru, uk)."""
    groups: dict[str, list[dict]] = {}
    for record in demo_records():
        groups.setdefault(f"demo {record['source']} {record['language']}", []).append(record)
    for path in sorted(SHARED_CORPORA.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            groups[path.name] = [json.loads(line) for line in itertools.islice(f, 200)]
    return [(name, r) for name, records in groups.items() for r in records[:200]]


def test_detect_language_on_the_corpora() -> None:
    """Accuracy per language on real records (their `language` field)."""
    totals: dict[str, list[int]] = {}
    for _, record in _language_samples():
        guess = detect_language(record["title"] + "\n\n" + record["body"])
        right, seen = totals.setdefault(record["language"], [0, 0])
        totals[record["language"]] = [right + (guess == record["language"]), seen + 1]
    report = {lang: (right / seen, seen) for lang, (right, seen) in sorted(totals.items())}
    print("\nlanguage accuracy:", {k: f"{acc:.3f} of {n}" for k, (acc, n) in report.items()})
    # Spanish and Russian: OWN_PARAGRAPHS and the written records, and ../shared's when there.
    languages = ("en", "es", "ru", "uk") if SHARED_CORPORA.is_dir() else ("en", "uk")
    for lang in languages:
        accuracy, seen = report[lang]
        assert seen >= 50 and accuracy >= 0.95, (lang, report)


@pytest.mark.parametrize("record", corpus_records(), ids=lambda r: r["id"])
def test_detect_language_of_each_sample_record(record: dict) -> None:
    assert detect_language(record["title"] + "\n\n" + record["body"]) == record["language"]


# -- suggestions ---------------------------------------------------------------------------------


def test_suggest_for_the_sample_article() -> None:
    meta = suggest(extract(SAMPLE.read_bytes(), SAMPLE.name), SAMPLE.name)
    assert meta == Metadata(
        title="Partisans winter offensive",
        authors=("La Marx International",),
        date="2023-06-11",
        date_ambiguous=True,
        date_readings=("2023-06-11", "2023-11-06"),
        language="en",
    )
    us = suggest(extract(SAMPLE.read_bytes(), SAMPLE.name), SAMPLE.name, date_order="MDY")
    assert (us.date, us.date_readings) == ("2023-11-06", ("2023-11-06", "2023-06-11"))


def test_suggest_for_html_and_markdown() -> None:
    uk = [r for r in corpus_records() if r["language"] == "uk"]
    page = news_page(uk[0], uk[1:4])
    meta = suggest(extract(page, "page.html"), "page.html")
    assert meta.title == uk[0]["title"]  # "Title - Site" in the page's <title> and og:title
    assert (meta.date, meta.date_ambiguous, meta.language) == (uk[0]["date"], False, "uk")
    assert meta.publication == NEWS_SITE
    crs = CRS_MD
    meta = suggest(extract(crs.read_bytes(), crs.name), crs.name)
    assert (meta.title, meta.authors) == ("Iran and Nuclear Weapons Production", ("Kerr, Paul K.",))
    # 04/09/2026 is US order in the source, yet DMY by default: flagged, both readings kept.
    assert (meta.date, meta.date_ambiguous) == ("2026-09-04", True)
    assert meta.date_readings == ("2026-09-04", "2026-04-09")
    assert meta.tags == ("Defense & Intelligence", "Foreign Affairs")
    meta = suggest(extract(transcript_md(), "2019-01-08.md"), "2019-01-08.md")
    assert (meta.date, meta.language) == ("2019-01-08", "es")  # from the dateline


def test_suggest_keeps_a_records_own_metadata() -> None:
    first = next(r for r in corpus_records() if r["language"] == "uk")  # with tags, a URL
    data = gzip.compress(json.dumps(first, ensure_ascii=False).encode() + b"\n")
    item = next(iter_jsonl(data, "resistinua.jsonl.gz"))
    assert item.extracted is not None and item.original is not None
    record = json.loads(item.original)
    meta = suggest(item.extracted, "record.json")
    assert meta.title == record["title"]
    assert meta.authors == tuple(record["authors"])
    assert (meta.date, meta.language, meta.url) == (record["date"], "uk", record["url"])
    assert meta.tags == tuple(record["tags"])


def test_suggest_title_fallbacks_and_byline_in_blocks() -> None:
    blocks = (
        Block("paragraph", "By Jane Doe | 3 March 2021"),
        Block("paragraph", "The council met on Tuesday. It argued about the budget for hours."),
        Block("heading", "What was decided", 2),
    )
    meta = suggest(Extracted("txt", blocks), "scan_0042.txt")
    assert meta.title == "What was decided"  # the name is not descriptive; the first heading
    assert (meta.authors, meta.date, meta.date_ambiguous) == (("Jane Doe",), "2021-03-03", False)
    meta = suggest(Extracted("txt", blocks[1:2]), "")
    assert meta.title == "The council met on Tuesday."
    heading_first = (Block("heading", "Budget night", 1), *blocks[1:])
    assert suggest(Extracted("md", heading_first), "council-notes.md").title == "Budget night"
    hinted = Extracted("html", blocks, Hints(title="  The  title ", language="en-GB"))
    assert (suggest(hinted, "x.html").title, suggest(hinted, "x.html").language) == (
        "The title",
        "en",
    )


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("partisans-winter-offensive.txt", "Partisans winter offensive"),
        ("Budget_Report_2021.md", "Budget Report 2021"),
        ("allsides_en.jsonl.gz", None),
        ("scan_0042.pdf", None),
        ("document (3).txt", None),
        ("zvezdaaltaya_17.html", None),
        ("", None),
    ],
)
def test_title_from_filename(name: str, title: str | None) -> None:
    assert title_from_filename(name) == title


# -- overrides -----------------------------------------------------------------------------------

SUGGESTED = Metadata(
    title="Suggested",
    authors=("A",),
    publication="P",
    date="2023-06-11",
    date_ambiguous=True,
    date_readings=("2023-06-11", "2023-11-06"),
    language="en",
    tags=("t",),
    url="https://example.org/a",
)


def test_apply_nothing_changes_nothing() -> None:
    assert apply(SUGGESTED, Overrides()) == SUGGESTED


def test_apply_archivist_wins() -> None:
    meta = apply(
        SUGGESTED,
        Overrides(
            title="  Their   title ",
            authors=(" Jane Doe ", "", "Jane Doe", "John Roe"),
            publication=" The Daily ",
            date="2023-11-06",
            language="UK",
            tags=("war", " war ", "peace"),
        ),
    )
    assert meta == Metadata(
        title="Their title",
        authors=("Jane Doe", "John Roe"),
        publication="The Daily",
        date="2023-11-06",
        language="uk",
        tags=("war", "peace"),
        url="https://example.org/a",
    )


def test_apply_empty_values() -> None:
    meta = apply(SUGGESTED, Overrides(title="  ", publication="", date="", language="", tags=()))
    assert meta.title == "Suggested"  # never empty
    assert (meta.publication, meta.date, meta.date_ambiguous, meta.date_readings) == (
        "",
        None,
        False,
        (),
    )
    assert (meta.language, meta.tags) == ("", ())


def test_apply_dates_are_parsed() -> None:
    meta = apply(SUGGESTED, Overrides(date="3 марта 2021"))
    assert (meta.date, meta.date_ambiguous, meta.date_readings) == ("2021-03-03", False, ())
    meta = apply(SUGGESTED, Overrides(date="1/2/2020"), date_order="MDY")
    assert (meta.date, meta.date_ambiguous) == ("2020-01-02", True)
    with pytest.raises(BadRequest, match="'next tuesday'.*YYYY-MM-DD") as caught:
        apply(SUGGESTED, Overrides(date="next tuesday"))
    assert caught.value.status == 400


@pytest.mark.parametrize("code", ["eng", "english", "e", "en-US", "12"])
def test_apply_rejects_bad_language(code: str) -> None:
    with pytest.raises(BadRequest, match="two-letter"):
        apply(SUGGESTED, Overrides(language=code))


def test_the_language_model_is_loaded_once_when_many_ask_at_once() -> None:
    """A server's first uploads come together: each thread used to load a model of its own
    (20 uploads at once waited 10 s). In a fresh interpreter, 8 threads ask at once."""
    script = (
        "import threading\n"
        "from archive.ingest import language_id\n"
        "barrier, got = threading.Barrier(8), []\n"
        "def ask():\n"
        "    barrier.wait()\n"
        "    got.append(id(language_id.model()))\n"
        "threads = [threading.Thread(target=ask) for _ in range(8)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "print(len(got), len(set(got)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.split() == ["8", "1"], done.stderr
