"""Extraction on real files (the repository's, and pages the tests write the way sites serve
them): type by content, blocks in order, hints."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from archive.errors import InvalidUpload, UnsupportedFormat
from archive.ingest.extract import (
    BINARY_EXTRACTORS,
    EXTRACTORS,
    canonical,
    detect,
    extract,
    iter_jsonl,
)
from archive.models import Block
from tests.conftest import (
    CRS_MD,
    CRS_PDF,
    DEMO_COLLECTION,
    NEWS_CHROME,
    NEWS_SITE,
    NEWS_URL,
    SHARED_CORPORA,
    TRANSCRIPT_CAPTION,
    corpus_records,
    demo_records,
    news_page,
    sample_path,
    transcript_md,
)

SAMPLE = sample_path()

# What a reader of the sample article sees: section titles stand alone between blank lines;
# captions sit directly above the paragraph under their picture.
SAMPLE_HEADINGS = [
    '1) The defeat of Putin\'s "Winter Offensive"',
    "Bakhmut: A giant graveyard of Putin mercenaries",
    'The defeat of the "Winter Offensive" opens the prospect of disintegration of the Russian '
    "Federation",
    "NATO and China come to the rescue of Putin",
    "The Partisans of Russia break in and the revolution becomes international",
    # Stands alone like a heading; it may have been a video title, but nothing in the text says so.
    "Commander Cesar August launches the proclamation of the Legion for the Freedom of Russia "
    "against Putin's dictatorship",
    'The emergence of Russian Partisans is part of the "explosion" of the Partisan phenomenon',
    "We Marxists are with the peoples of Ukraine and Russia against Putin's dictatorship",
]
SAMPLE_CAPTIONS = [
    "Russian partisans of the Legion of Freedom fighting against Putin's dictatorship",
    "Xi Jinping and Putin Summit on March 20 2023",
    'Wall Street bosses ask Xi Jinping to mediate for a "Peace Agreement" on March 1, 2023',
    "Partisans of the Russian Freedom Legion, linked to the Russian National Republican Army",
    "The G7 Summit on May 21, 2023 in Hiroshima Japan",
    "Logo of the Communist Anarcho Organization of Russia (BOAK)",
    "Logo of the Berdyansk Partisan Army",
    "Logo of the Resistance's Partisans Movement of Ukraine",
    "Logo of the National Center of Ukrainian Resistance",
    "Logo of ATESH Partisan Movement",
]


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


# -- detection -----------------------------------------------------------------------------------


# Addresses from the demo collection (CC0) as a news site's pages: the page, what it says.
UK = [r for r in corpus_records() if r["id"].startswith("resistinua:uk:")]
PAGES = {r["id"]: (news_page(r, [o for o in UK if o is not r][:4]), r) for r in UK[:3]}
PAGE, PAGE_RECORD = next(iter(PAGES.values()))


def allsides_record() -> dict:
    """A record as the AllSides dataset has it (Article-Bias-Prediction's JSON files): its own
    keys, the text twice (`content` tokenised, `content_original` as published). Our words."""
    return {
        "topic": "elections",
        "source": "The Riverside Courier",
        "bias": 1,
        "url": "https://courier.example.org/2016/09/20/turnout/",
        "title": "Turnout rises in the river towns",
        "date": "2016-09-20",
        "authors": "Maria Ortega",
        "content": "More people voted in the river towns this year , the county clerk said .",
        "content_original": "More people voted in the river towns this year, the county clerk "
        "said.\n\nLines were longest in the morning.",
        "source_url": "courier.example.org",
        "bias_text": "center",
        "ID": "0RiverTurnout16",
    }


REAL = {
    "sample article": (lambda: SAMPLE.read_bytes(), "txt"),
    "an address as text": (lambda: PAGE_RECORD["body"].encode(), "txt"),
    "a news page": (lambda: PAGE, "html"),
    "CRS Markdown": (lambda: CRS_MD.read_bytes(), "md"),
    "CRS PDF": (lambda: CRS_PDF.read_bytes(), "pdf"),
    "a transcript": (transcript_md, "md"),
    "an AllSides record": (lambda: json.dumps(allsides_record(), indent=1).encode(), "json"),
    "the demo collection": (lambda: DEMO_COLLECTION.read_bytes(), "gzip"),
}


@pytest.mark.parametrize("name", REAL)
def test_detect_real_files(name: str) -> None:
    read, kind = REAL[name]
    assert detect(read(), name) == kind


def test_detect_by_content_not_by_name() -> None:
    assert detect(PAGE, "article.txt") == "html"
    assert detect(transcript_md(), "notes.txt") == "md"  # plenty of Markdown syntax
    assert detect(b"Just a line of text.\n\nAnother one.\n", "a.md") == "md"  # a tie: the name
    assert detect(b"Just a line of text.\n\nAnother one.\n", "a.txt") == "txt"
    assert detect(CRS_PDF.read_bytes(), "report.txt") == "pdf"
    assert detect(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.txt") == "png"  # OCR's
    with pytest.raises(UnsupportedFormat) as caught:
        detect(b"GIF89a\x01\x00\x01\x00", "photo.txt")
    assert caught.value.status == 415
    assert caught.value.message == (
        "photo.txt: this is a GIF image; accepted types are plain text, Markdown, HTML, JSONL, "
        "PDF, DOCX and images to read by OCR (PNG, JPEG, TIFF)"
    )


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"PK\x03\x04\x14\x00" + b"\x00" * 40, "ZIP"),
        (b"GIF89a\x01\x00\x01\x00", "GIF"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 20, "ELF"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "Windows executable"),
        (b"hello\x00world", "NUL"),
        ("Привет, мир".encode("cp1251"), "UTF-8"),
        ("café au lait".encode("latin-1"), "UTF-8"),
        (b"\x01\x02\x03\x04\x05\x06 some text \x07\x08", "control characters"),
    ],
)
def test_binaries_and_non_utf8_are_refused(data: bytes, what: str) -> None:
    with pytest.raises(UnsupportedFormat) as caught:
        detect(data, "upload.txt")
    assert caught.value.message.startswith("upload.txt: this is ")
    assert what in caught.value.message


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n  ", "\ufeff  \n".encode()])
def test_empty_is_invalid(data: bytes) -> None:
    with pytest.raises(InvalidUpload, match="empty") as caught:
        detect(data, "blank.txt")
    assert caught.value.status == 422


def test_bom_and_utf16_are_text() -> None:
    text = "Заголовок статьи\n\nПервый абзац статьи, в котором есть текст.\n"
    boms = (text.encode("utf-8-sig"), b"\xff\xfe" + text.encode("utf-16-le"))
    for data in (*boms, b"\xfe\xff" + text.encode("utf-16-be")):
        blocks = extract(data, "a.txt").blocks
        assert [b.kind for b in blocks] == ["heading", "paragraph"]
        assert blocks[0].text == "Заголовок статьи"
    # UTF-16 without a BOM is full of NUL bytes: refused rather than guessed at.
    with pytest.raises(UnsupportedFormat, match="NUL"):
        detect(text.encode("utf-16-le"), "a.txt")


def test_json_and_jsonl_are_told_apart() -> None:
    record = {"id": "x:1", "title": "T", "body": "One.\nTwo."}
    one = json.dumps(record).encode()
    assert detect(one) == "json"
    assert detect(json.dumps(record, indent=2).encode()) == "json"
    assert detect(one + b"\n" + one + b"\n") == "jsonl"
    # not a record, and never taken for plain text whose title is raw JSON
    with pytest.raises(InvalidUpload, match="a JSON array, not a record"):
        detect(b"[1, 2, 3]")
    with pytest.raises(InvalidUpload, match="bulk import"):
        extract(one + b"\n" + one, "many.jsonl")
    with pytest.raises(InvalidUpload, match="bulk import"):
        extract(gzip.compress(one), "many.jsonl.gz")


def test_a_document_without_text_is_invalid() -> None:
    with pytest.raises(InvalidUpload, match="no text"):
        extract(b"<html><body><script>var x = 1;</script><nav>Home</nav></body></html>", "x.html")
    with pytest.raises(InvalidUpload, match="no text"):
        extract(b'{"id": "a", "title": "No body"}', "x.json")


# -- plain text ----------------------------------------------------------------------------------


def test_sample_article_headings_captions_and_byline() -> None:
    extracted = extract(SAMPLE.read_bytes(), SAMPLE.name)
    assert extracted.format == "txt"
    headings = [b.text for b in extracted.blocks if b.kind == "heading"]
    captions = [b.text for b in extracted.blocks if b.kind == "caption"]
    assert headings == SAMPLE_HEADINGS
    assert captions == SAMPLE_CAPTIONS
    assert all(b.level == 2 for b in extracted.blocks if b.kind == "heading")
    # The byline becomes hints and leaves the body.
    assert extracted.hints.authors == ("La Marx International",)
    assert extracted.hints.date == "11/6/23"
    assert "By La Marx International" not in extracted.text
    first = extracted.blocks[0]
    assert first.kind == "paragraph" and first.text.startswith("The National Liberation struggle")
    assert extracted.blocks[-1].text.endswith("on the path of the fight for Global Socialism.")
    # Nothing lost: every word of the file but the byline is in the blocks, in order.
    source = SAMPLE.read_text(encoding="utf-8").split("\n", 1)[1]
    assert words(extracted.text) == words(source)


def test_hard_wrapped_text_joins_its_lines() -> None:
    text = (
        "A Short Title\n\n"
        "This paragraph was wrapped at a fixed width by an old editor so that\n"
        "every line is short and none of them ends with a full stop until the\n"
        "very end of the paragraph.\n\n"
        "A second paragraph, also wrapped at the same width by the same old\n"
        "editor, which also ends properly.\n"
    )
    blocks = extract(text.encode(), "wrapped.txt").blocks
    assert [b.kind for b in blocks] == ["heading", "paragraph", "paragraph"]
    assert blocks[1].text.startswith(
        "This paragraph was wrapped at a fixed width by an old editor so"
    )
    assert "so that every line" in blocks[1].text


# -- Markdown ------------------------------------------------------------------------------------


def test_markdown_structure_and_inline_markup() -> None:
    text = """---
title: "Front matter title"
author: Jane Doe, John Roe
date: 2021-03-03
tags: [politics, europe]
---
Setext Heading
==============

A paragraph with *emphasis*, **strong**, `code`, a [link](https://example.org) and
a soft-wrapped second line.

## ATX heading ##

- first item
  continued
- second item

> A quotation
> over two lines.

![A picture of the harbour](harbour.jpg)

[Home](/) | [About](/about) | [Contact](/contact)
"""
    extracted = extract(text.encode(), "doc.md")
    assert extracted.format == "md"
    assert extracted.blocks == (
        Block("heading", "Setext Heading", 1),
        Block(
            "paragraph",
            "A paragraph with emphasis, strong, code, a link and a soft-wrapped second line.",
        ),
        Block("heading", "ATX heading", 2),
        Block("paragraph", "first item continued"),
        Block("paragraph", "second item"),
        Block("paragraph", "A quotation over two lines."),
        Block("caption", "A picture of the harbour"),
    )
    hints = extracted.hints
    assert hints.title == "Front matter title"
    assert hints.authors == ("Jane Doe", "John Roe")
    assert hints.date == "2021-03-03"
    assert hints.tags == ("politics", "europe")


# The shipped report; with ../shared beside the repository, its six other CRS reports too.
CRS = [CRS_MD, *sorted(p for p in SHARED_CORPORA.glob("raw/crs_*.md") if p.name != CRS_MD.name)]


@pytest.mark.parametrize("path", CRS, ids=[p.stem[:14] for p in CRS])
def test_crs_markdown_matches_the_corpus_text(path: Path) -> None:
    extracted = extract(path.read_bytes(), path.name)
    doc_id = "crs:" + path.stem.removeprefix("crs_")
    record = next(r for r in demo_records() if r["id"] == doc_id)  # all 92 CRS reports
    hints = extracted.hints
    assert hints.title == record["title"]
    assert hints.date == record["date_raw"]
    assert hints.url and hints.url.startswith("https://www.congress.gov/crs-product/")
    if record["authors"]:
        assert hints.authors == tuple(record["authors"])
    # The body the corpus kept is here, paragraph by paragraph ...
    flat = re.sub(r"[\W_]+", "", extracted.text.lower())
    lines = [ln for ln in record["body"].split("\n") if len(ln.strip()) > 30]
    found = sum(re.sub(r"[\W_]+", "", ln.lower())[:40] in flat for ln in lines)
    assert found >= 0.8 * len(lines), (found, len(lines))
    # ... and the site's navigation is not.
    for chrome in (
        "Citation",
        "Subscribe",
        "Site Feedback",
        "Hide Overview",
        "PDF Version History",
    ):
        assert chrome not in extracted.text
    assert "Version:" not in extracted.text and "Product Type" not in extracted.text
    headings = [b for b in extracted.blocks if b.kind == "heading"]
    assert headings[0] == Block("heading", record["title"], 1)
    assert len(headings) >= 3


def test_transcript_markdown_caption_and_wrapped_heading() -> None:
    extracted = extract(transcript_md(), "2019-01-08.md")
    kinds = [(b.kind, b.text) for b in extracted.blocks[:5]]
    assert kinds[0] == (
        "heading",
        "Versión estenográfica | Presentación del Programa de Huertos Escolares",
    )
    assert kinds[1] == (
        "heading",
        "Acto encabezado por la presidenta municipal Elena Ruiz Campos, desde el Palacio Municipal",
    )
    assert kinds[2] == ("paragraph", "Ayuntamiento de San Telmo | 08 de enero de 2019")
    assert kinds[3] == ("caption", TRANSCRIPT_CAPTION)  # the alt text, not repeated
    assert kinds[4] == (
        "paragraph",
        "PRESIDENTA MUNICIPAL ELENA RUIZ CAMPOS: Buenos días a todas y a todos.",
    )
    assert not any("example.org" in b.text or "](" in b.text for b in extracted.blocks)


def test_transcript_asides_are_not_headings() -> None:
    extracted = extract(transcript_md(), "2019-01-08.md")
    headings = [b.text for b in extracted.blocks if b.kind == "heading"]
    assert len(headings) == 2
    assert not any(h.startswith("(") or h.endswith("?") or ":" in h[:25] for h in headings[1:])
    # the asides, questions and voices are all there, as paragraphs
    paragraphs = [b.text for b in extracted.blocks if b.kind == "paragraph"]
    for text in (
        "(APLAUSOS)",
        "¿Por qué un huerto?",
        "(FINALIZA VIDEO)",
        "Muchas gracias a todos.",
    ):
        assert text in paragraphs, text
    assert "VOZ NIÑA: En mi escuela sembramos lechugas, rábanos y cilantro." in paragraphs


# -- HTML ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("rid", PAGES)
def test_html_article_text_without_site_chrome(rid: str) -> None:
    page, record = PAGES[rid]
    extracted = extract(page, "page.html")
    expected, got = words(record["body"]), set(words(extracted.text))
    assert sum(w in got for w in expected) >= 0.95 * len(expected)
    # Next to nothing beyond the article itself (the page holds menus, widgets and other titles).
    assert len(set(words(extracted.text)) - set(expected)) <= 0.05 * len(set(expected))
    for chrome in NEWS_CHROME:
        assert chrome not in extracted.text
    hints = extracted.hints
    assert hints.publication == NEWS_SITE
    assert hints.title == record["title"] and not hints.title.endswith(NEWS_SITE)
    assert hints.language == "uk-UA"
    assert hints.date and re.match(r"20\d\d-\d\d-\d\dT", hints.date)
    assert hints.url and hints.url.startswith(NEWS_URL)


def test_html_blocks_and_meta() -> None:
    page = """<!DOCTYPE html><html lang="en"><head><title>Page title | The Daily</title>
<meta property="og:title" content="The headline">
<meta property="og:site_name" content="The Daily">
<meta property="article:published_time" content="2021-03-03T10:00:00Z">
<meta name="author" content="Jane Doe"><meta property="article:author" content="https://x.com/jd">
<meta property="article:tag" content="Politics"><meta name="keywords" content="europe, trade">
<style>p { color: red }</style></head>
<body><header><a href="/">The Daily</a></header><nav><ul><li>Home</li></ul></nav>
<main><article><h1>The headline</h1><p>First <b>bold</b> paragraph.<p>Second paragraph
<figure><img src="a.jpg"><figcaption>A caption</figcaption></figure>
<ul><li>Item one<li>Item two</ul><table><tr><td>cell a</td><td>cell b</td></tr></table>
<div class="share-buttons"><a>Share on Facebook</a></div>
<script>document.write("no")</script></article>
<aside>Related stories</aside></main><footer>© 2021</footer></body></html>"""
    extracted = extract(page.encode(), "page.txt")
    assert extracted.format == "html"
    assert extracted.blocks == (
        Block("heading", "The headline", 1),
        Block("paragraph", "First bold paragraph."),
        Block("paragraph", "Second paragraph"),
        Block("caption", "A caption"),
        Block("paragraph", "Item one"),
        Block("paragraph", "Item two"),
        Block("paragraph", "cell a cell b"),
    )
    hints = extracted.hints
    assert (hints.title, hints.publication, hints.language) == ("The headline", "The Daily", "en")
    assert hints.date == "2021-03-03T10:00:00Z"
    assert hints.authors == ("Jane Doe",)  # a profile URL is not a name
    assert hints.tags == ("Politics", "europe", "trade")


def test_html_without_article_uses_body_and_title_tag() -> None:
    page = b"<html><head><title>Plain page - Site</title></head><body><p>Only text.</p></body>"
    extracted = extract(page, "x.html")
    assert extracted.blocks == (Block("paragraph", "Only text."),)
    assert extracted.hints.title == "Plain page - Site"


def test_html_malformed_and_deeply_nested() -> None:
    deep = b"<html><body>" + b"<div>" * 100_000 + b"<p>deep text" + b"</span></b>" * 10
    assert extract(deep, "deep.html").blocks == (Block("paragraph", "deep text"),)
    broken = b"<p>one<p>two<li>three</div></div><h2>four<p>five &amp; six"
    assert [b.text for b in extract(broken, "broken.html").blocks] == [
        "one",
        "two",
        "three",
        "four",
        "five & six",
    ]


def test_bylines_leave_md_and_html_bodies_like_txt() -> None:
    md = extract(b"# Title\n\nBy Jane Doe, 2021-03-03\n\n**Note:** body text.\n", "a.md")
    assert md.blocks == (Block("heading", "Title", 1), Block("paragraph", "Note: body text."))
    assert (md.hints.authors, md.hints.date) == (("Jane Doe",), "2021-03-03")
    page = b"<body><p>By Ann Lee | March 3, 2021</p>Line one<br>still one<br> <br>Line two</body>"
    html = extract(page, "a.html")
    assert [b.text for b in html.blocks] == ["Line one still one", "Line two"]
    assert (html.hints.authors, html.hints.date) == (("Ann Lee",), "March 3, 2021")


# -- JSON records and JSONL ----------------------------------------------------------------------


def test_json_record_extraction_and_given_fields() -> None:
    record = {
        "id": "allsides:004Gt3gcsotuiYmz",
        "title": " A title ",
        "authors": ["Jane Doe", "John Roe"],
        "publication": "The Daily",
        "date": "2016-09-20",
        "language": "en",
        "tags": ["terrorism"],
        "url": None,
        "body": "First paragraph.\n\nSecond paragraph.\n",
    }
    extracted = extract(canonical(record), "record.json")
    assert extracted.format == "json"
    assert [b.text for b in extracted.blocks] == ["First paragraph.", "Second paragraph."]
    hints = extracted.hints
    assert hints.title == "A title" and hints.source_id == "allsides:004Gt3gcsotuiYmz"
    assert hints.given == {"title", "authors", "publication", "date", "language", "tags"}


def test_original_allsides_record() -> None:
    raw = allsides_record()
    extracted = extract(json.dumps(raw, indent=1).encode(), "004Gt3gcsotuiYmz.json")
    assert extracted.hints.publication == raw["source"]
    assert extracted.hints.tags == (raw["topic"],)
    assert extracted.hints.source_id == raw["ID"]
    # the text as published, not the tokenised copy beside it
    assert [b.text for b in extracted.blocks] == [
        "More people voted in the river towns this year, the county clerk said.",
        "Lines were longest in the morning.",
    ]


def test_iter_jsonl_on_a_real_corpus_file_round_trips() -> None:
    path = DEMO_COLLECTION
    items = list(iter_jsonl(path.read_bytes(), path.name))
    assert len(items) == 447 and not [i for i in items if i.error]
    with gzip.open(path, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    for n, (item, record) in enumerate(zip(items, records, strict=True), start=1):
        assert item.name == f"demo.jsonl.gz:{n} ({record['id']})"
        assert item.original == canonical(record)
        assert item.extracted is not None and item.extracted.hints.source_id == record["id"]
        assert extract(item.original, "x.json") == item.extracted  # the stored original re-extracts


def test_iter_jsonl_reports_bad_lines_and_goes_on() -> None:
    good = json.dumps({"id": "a:1", "title": "One", "body": "Text one."})
    lines = [good, "{not json", "[1, 2]", '{"id": "a:2", "title": "No body"}', "", good]
    data = ("\n".join(lines) + "\n").encode() + b'{"id": "\xff"}\n'
    items = list(iter_jsonl(gzip.compress(data), "up.jsonl.gz"))
    assert [i.name for i in items] == [
        "up.jsonl.gz:1 (a:1)",
        "up.jsonl.gz:2",
        "up.jsonl.gz:3",
        "up.jsonl.gz:4 (a:2)",
        "up.jsonl.gz:6 (a:1)",
        "up.jsonl.gz:7",
    ]
    assert [i.error is None for i in items] == [True, False, False, False, True, False]
    assert "JSON" in (items[1].error or "") and "body" in (items[3].error or "")
    truncated = gzip.compress(data)[:-30]
    last = list(iter_jsonl(truncated, "cut.jsonl.gz"))[-1]
    assert last.error and "cannot read" in last.error


def test_every_format_has_an_extractor() -> None:
    assert set(EXTRACTORS) == {"txt", "md", "html", "json"}
    assert set(BINARY_EXTRACTORS) == {"pdf", "docx", "png", "jpeg", "tiff"}
