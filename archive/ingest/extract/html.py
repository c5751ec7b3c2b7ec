"""HTML with the standard library's tolerant parser: one pass, an explicit stack, no recursion.

Text is gathered into blocks as it streams by; each block remembers whether it sat inside an
<article> (and which) or <main>. At the end the largest article wins, else main, else the body:
that is what keeps menus, sidebars and related-article lists out. Elements that are never
content (script, nav, aside, …) are skipped with everything inside them; widgets recognised by
their class/id (share, related, comments, …) are set aside the same way (see _chosen).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from archive.ingest.extract.txt import take_byline
from archive.models import Block, Extracted, Hints

_SKIP = frozenset(
    "script style noscript nav footer aside form template svg iframe object embed canvas "
    "select button dialog head".split()
)
_VOID = frozenset("area base br col embed hr img input link meta source track wbr param".split())
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
# Tags whose start or end separates blocks; anything else (a, span, em, …) is inline.
_BLOCKS = frozenset(
    "p div li ul ol dl dt dd blockquote pre table tr thead tbody tfoot section article main "
    "header figure figcaption address details summary caption hr body center".split()
) | frozenset(_HEADINGS)
_CELLS = frozenset(("td", "th"))
_CHROME = re.compile(
    r"(?:^|[\s_-])(?:share|sharing|sharedaddy|social|related|relatedposts|comments?|likes?|"
    r"widget|sidebar|breadcrumbs?|advert|advertisement|ads?|banner|cookies?|newsletter|"
    r"subscribe|popup|modal|menu|navbar|nav|promo|sponsored|paywall)(?:$|[\s_-])",
    re.IGNORECASE,
)
_META_HINTS = {
    "og:title": "title",
    "twitter:title": "title",
    "og:site_name": "publication",
    "article:published_time": "date",
    "date": "date",
    "pubdate": "date",
    "publish-date": "date",
    "dc.date": "date",
    "dc.date.issued": "date",
    "datepublished": "date",
    "article:author": "authors",
    "author": "authors",
    "dc.creator": "authors",
    "article:tag": "tags",
    "keywords": "tags",
    "news_keywords": "tags",
    "og:url": "url",
    "og:locale": "language",
    "dc.language": "language",
}
MAX_DEPTH = 2000  # deeper nesting is flattened rather than tracked


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.counts: dict[str, int] = {}
        self.skip_at: int | None = None  # stack depth of the skipped element, while skipping
        self.chrome_at: int | None = None  # likewise for a widget kept aside (see _chosen)
        self.article = 0  # id of the <article> we are in (0: none); ids count up
        self.article_stack: list[int] = []
        self.articles_seen = 0
        self.buffer: list[str] = []
        self.blocks: list[tuple[Block, int, bool, bool]] = []  # (block, article, in main, chrome)
        self.meta: dict[str, list[str]] = {}
        self.title: list[str] = []
        self.lang = ""
        self.time = ""
        self.canonical = ""

    # -- structure ---------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key and a.get("content"):
                self.meta.setdefault(key, []).append(a["content"])
            return
        if tag == "html" and a.get("lang"):
            self.lang = a["lang"]
        if tag == "link" and "canonical" in a.get("rel", "").lower():
            self.canonical = a.get("href", "")
        if tag == "time" and not self.time:
            self.time = a.get("datetime", "")
        if self.skip_at is not None:
            if tag not in _VOID:
                self._push(tag)
            return
        if tag in _BLOCKS:
            self._flush()
        elif tag in _CELLS:
            self.buffer.append(" ")
        if tag == "br":  # <br><br> is how old pages separate paragraphs
            if self.buffer and self.buffer[-1] == "\n":
                self._flush()
            else:
                self.buffer.append("\n")
        if tag in _VOID:
            return
        self._push(tag)
        inside_content = bool(self.counts.get("article") or self.counts.get("main"))
        # A page <header> is chrome; an article's own <header> holds its title and byline.
        if tag in _SKIP or (tag == "header" and not inside_content):
            self.skip_at = len(self.stack)
        elif (
            self.chrome_at is None
            and tag not in ("html", "body", "main", "article")
            and _CHROME.search(f"{a.get('class', '')} {a.get('id', '')}")
        ):
            self._flush()
            self.chrome_at = len(self.stack)
        if tag == "article":
            self.articles_seen += 1
            self.article_stack.append(self.articles_seen)
            self.article = self.articles_seen

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or not self.counts.get(tag):
            return  # a stray end tag: ignore it, as browsers do
        if self.skip_at is None and (tag in _BLOCKS or tag in _CELLS):
            if tag in _CELLS:
                self.buffer.append(" ")
            else:
                self._flush()
        while self.stack:  # pop through unclosed children up to the matching start tag
            top = self.stack.pop()
            self.counts[top] -= 1
            if self.skip_at is not None and len(self.stack) < self.skip_at:
                self.skip_at = None
            if self.chrome_at is not None and len(self.stack) < self.chrome_at:
                self._flush()
                self.chrome_at = None
            if top == "article" and self.article_stack:
                self.article_stack.pop()
                self.article = self.article_stack[-1] if self.article_stack else 0
            if top == tag:
                break

    def _push(self, tag: str) -> None:
        if len(self.stack) < MAX_DEPTH:
            self.stack.append(tag)
            self.counts[tag] = self.counts.get(tag, 0) + 1

    # -- text --------------------------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        if self.counts.get("title") and not self.counts.get("svg"):
            self.title.append(data)
        if self.skip_at is None and not self.counts.get("title"):
            if self.buffer and self.buffer[-1] == "\n" and not data.strip():
                return  # keep a <br> last, so that a second one is seen
            self.buffer.append(data)

    def _flush(self) -> None:
        raw = "".join(self.buffer)
        self.buffer = []
        text = raw.strip("\n") if self.counts.get("pre") else " ".join(raw.split())
        if not text:
            return
        level = next((_HEADINGS[t] for t in reversed(self.stack) if t in _HEADINGS), 0)
        if level:
            block = Block("heading", text, level)
        elif self.counts.get("figcaption") or self.counts.get("caption"):
            block = Block("caption", text)
        else:
            block = Block("paragraph", text)
        chrome = self.chrome_at is not None
        self.blocks.append((block, self.article, bool(self.counts.get("main")), chrome))

    def close(self) -> None:
        super().close()
        self._flush()


def _chosen(blocks: list[tuple[Block, int, bool, bool]]) -> list[Block]:
    """The largest <article>, else <main>, else everything; widgets (share buttons, related
    posts) go unless that would leave almost nothing: a class name is only a hint."""
    sizes: dict[int, int] = {}
    for block, article, _, chrome in blocks:
        if article and not chrome:
            sizes[article] = sizes.get(article, 0) + len(block.text)
    if sizes:
        best = max(sizes, key=lambda k: sizes[k])
        region = [(b, chrome) for b, article, _, chrome in blocks if article == best]
    elif any(main for _, _, main, _ in blocks):
        region = [(b, chrome) for b, _, main, chrome in blocks if main]
    else:
        region = [(b, chrome) for b, _, _, chrome in blocks]
    clean = [b for b, chrome in region if not chrome]
    if sum(len(b.text) for b in clean) >= 0.25 * sum(len(b.text) for b, _ in region):
        return clean
    return [b for b, _ in region]


def _strip_site(title: str, site: str | None) -> str:
    """ "Headline - Site Name" -> "Headline" when the suffix is the site's name."""
    if site:
        for sep in (" - ", " | ", " — ", " – ", " :: "):
            if title.endswith(sep + site):
                return title[: -len(sep + site)].strip()
    return title


def _split_tags(values: list[str]) -> tuple[str, ...]:
    parts = (p.strip() for v in values for p in v.split(","))
    return tuple(dict.fromkeys(p for p in parts if p))


def _hints(p: _Parser) -> Hints:
    found: dict[str, list[str]] = {}
    for key, field in _META_HINTS.items():  # dict order is priority order within a field
        for value in p.meta.get(key, []):
            value = " ".join(value.split())
            if value and not (field == "authors" and value.startswith(("http://", "https://"))):
                found.setdefault(field, []).append(value)
    first = {field: values[0] for field, values in found.items()}
    site = first.get("publication")
    title = first.get("title") or " ".join("".join(p.title).split()) or None
    return Hints(
        title=_strip_site(title, site) if title else None,
        authors=tuple(dict.fromkeys(found.get("authors", []))),
        publication=site,
        date=first.get("date") or p.time or None,
        language=p.lang or first.get("language") or None,
        tags=_split_tags(found.get("tags", [])),
        url=first.get("url") or p.canonical or None,
    )


def extract(text: str) -> Extracted:
    parser = _Parser()
    parser.feed(text)
    parser.close()
    blocks, hints = take_byline(_chosen(parser.blocks), _hints(parser))
    return Extracted("html", tuple(blocks), hints)
