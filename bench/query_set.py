"""Fixed, deterministic sets of benchmark queries drawn from the corpus records.

The same records and seed give the same queries on every run: nothing here iterates a set or a
dict whose order depends on string hashing. Every query is built from one document's own words
and metadata, so each has at least one hit in the archive (phrases and stop words aside).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field

from archive.search.analysis import stop_words

# (kind, how many): 200 in all
MIX = (
    ("frequent", 24),
    ("rare", 20),
    ("name", 24),
    ("two-words", 24),
    ("three-words", 16),
    ("phrase", 20),
    ("or", 10),
    ("not", 10),
    ("facet-language", 6),
    ("facet-year", 6),
    ("facet-tags", 6),
    ("facet-publication", 6),
    ("multi-within", 6),
    ("multi-across", 6),
    ("date-range", 12),
    ("date-syntax", 4),
)
# bench/compare.py's set, plain text every engine can run: 100 single words, 60 two-word AND,
# 20 phrases and 20 five-word OR (the archive's syntax: words are ANDed, "a phrase", a OR b).
COMPARE_MIX = (
    ("word-frequent", 40),
    ("word-mid", 30),
    ("word-rare", 30),
    ("and-2", 60),
    ("phrase", 20),
    ("or-5", 20),
)
# Query languages, cycled per kind: en 40 %, es, ru, uk 20 % each.
LANG_CYCLE = ("en", "uk", "es", "en", "ru", "en", "uk", "es", "en", "ru")
# Documents per language whose words make the frequency table (all of a smaller language).
STATS_SAMPLE = 2500
ALPHA = re.compile(r"^[^\W\d_]{3,}$")
RESERVED = {"AND", "OR", "NOT", "TO"}


@dataclass(frozen=True)
class BenchQuery:
    kind: str
    lang: str
    text: str
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    date_from: str | None = None
    date_to: str | None = None

    def describe(self) -> str:
        extra = [f"{k}={'|'.join(v)}" for k, v in self.filters.items()]
        if self.date_from or self.date_to:
            extra.append(f"date={self.date_from or '*'}..{self.date_to or '*'}")
        return self.text + (f"  [{', '.join(extra)}]" if extra else "")

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "lang": self.lang,
            "text": self.text,
            "filters": {k: list(v) for k, v in self.filters.items()},
            "date_from": self.date_from,
            "date_to": self.date_to,
        }


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text)


class _Language:
    """One language's documents and the document frequency of their content words."""

    def __init__(self, lang: str, records: list[dict], rng: random.Random) -> None:
        self.lang = lang
        self.records = records
        self.stops = stop_words(lang)
        sample = records if len(records) <= STATS_SAMPLE else rng.sample(records, STATS_SAMPLE)
        df: Counter[str] = Counter()
        for r in sample:
            df.update(sorted(set(self.content_words(r["body"]))))
        ranked = sorted(df.items(), key=lambda kv: (-kv[1], kv[0]))
        self.df = dict(ranked)
        self.frequent = [w for w, _ in ranked[:300]]
        self.rare = [w for w, c in ranked if c <= 2 and len(w) >= 5]
        # mid-frequency words: good partners for multi-word queries
        self.mid_words = [w for w, c in ranked[50:4000] if c >= 3]
        self.mid = set(self.mid_words)

    def content_words(self, text: str) -> list[str]:
        return [
            w for w in (x.lower() for x in _words(text)) if ALPHA.match(w) and w not in self.stops
        ]

    def doc(self, rng: random.Random, need: str = "") -> dict:
        """A random document, with a non-empty `need` field when asked."""
        for _ in range(1000):
            r = rng.choice(self.records)
            if not need or r.get(need):
                return r
        raise LookupError(f"no {self.lang} document has {need}")

    def doc_words(self, r: dict, rng: random.Random, n: int) -> list[str]:
        """n distinct mid-frequency words of one document (so the query has a hit)."""
        words = sorted(set(self.content_words(r["body"])))
        pool = [w for w in words if w in self.mid] or words
        return rng.sample(pool, min(n, len(pool)))


class _Builder:
    def __init__(self, records: list[dict], seed: int) -> None:
        self.rng = random.Random(seed)
        by_lang: dict[str, list[dict]] = {}
        for r in records:
            by_lang.setdefault(r["language"], []).append(r)
        self.langs = {lang: _Language(lang, rs, self.rng) for lang, rs in sorted(by_lang.items())}
        tag_counts = Counter(t for r in records for t in r["tags"])
        self.popular_tags = [t for t, _ in sorted(tag_counts.items(), key=lambda kv: -kv[1])[:20]]
        pub_counts = Counter(r["publication"] for r in records if r["publication"])
        self.popular_pubs = [p for p, _ in sorted(pub_counts.items(), key=lambda kv: -kv[1])[:10]]

    def build(self, kind: str, lang: str) -> BenchQuery:
        rng = self.rng
        L = self.langs[lang]
        if kind in ("frequent", "word-frequent"):
            return BenchQuery(kind, lang, rng.choice(L.frequent))
        if kind == "word-mid":
            return BenchQuery(kind, lang, rng.choice(L.mid_words or L.frequent))
        if kind == "and-2":
            return BenchQuery(kind, lang, " ".join(L.doc_words(L.doc(rng), rng, 2)))
        if kind == "or-5":
            return BenchQuery(kind, lang, " OR ".join(self._words_of_one(L, 5)))
        if kind in ("rare", "word-rare"):
            return BenchQuery(kind, lang, rng.choice(L.rare or L.frequent))
        if kind == "name":
            return BenchQuery(kind, lang, self._name(L))
        if kind in ("two-words", "three-words"):
            words = L.doc_words(L.doc(rng), rng, 2 if kind == "two-words" else 3)
            return BenchQuery(kind, lang, " ".join(words))
        if kind == "phrase":
            return BenchQuery(kind, lang, self._phrase(L))
        if kind == "or":
            a, b = rng.sample(L.frequent[50:300], 2)
            return BenchQuery(kind, lang, f"{a} OR {b}")
        if kind == "not":
            a, b = L.doc_words(L.doc(rng), rng, 2)
            return BenchQuery(kind, lang, f"{a} -{b}" if rng.random() < 0.5 else f"{a} NOT {b}")
        if kind.startswith(("facet-", "multi-")):
            return self._facet(kind, L)
        if kind == "date-range":
            return self._dates(kind, L)
        if kind == "date-syntax":
            r = L.doc(rng, "date")
            year = int(r["date"][:4])
            word = L.doc_words(r, rng, 1)[0]
            return BenchQuery(kind, lang, f"{word} date:[{year - 1} TO {year}]")
        raise ValueError(kind)

    def _words_of_one(self, L: _Language, n: int) -> list[str]:
        """n distinct words of one document (of the first with that many)."""
        for _ in range(200):
            words = L.doc_words(L.doc(self.rng), self.rng, n)
            if len(words) == n:
                return words
        raise LookupError(f"no {L.lang} document has {n} distinct words")

    def _name(self, L: _Language) -> str:
        for _ in range(200):
            words = _words(self.rng.choice(L.records)["title"])
            caps = [
                i
                for i, w in enumerate(words)
                if i > 0 and w[:1].isupper() and ALPHA.match(w) and w not in RESERVED
                and w.lower() not in L.stops
            ]  # fmt: skip
            if not caps:
                continue
            i = self.rng.choice(caps)
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if nxt[:1].isupper() and ALPHA.match(nxt) and nxt not in RESERVED:
                return f"{words[i]} {nxt}"
            return words[i]
        return self.rng.choice(L.frequent)

    def _phrase(self, L: _Language) -> str:
        for _ in range(200):
            r = L.doc(self.rng)
            paragraphs = [p for p in r["body"].split("\n") if len(p) > 80]
            if not paragraphs:
                continue
            words = _words(self.rng.choice(paragraphs))
            n = self.rng.choice((2, 2, 3))
            if len(words) <= n:
                continue
            i = self.rng.randrange(len(words) - n)
            chunk = words[i : i + n]
            ends = (chunk[0].lower(), chunk[-1].lower())
            if all(ALPHA.match(w) for w in chunk) and not any(e in L.stops for e in ends):
                return '"' + " ".join(w.lower() for w in chunk) + '"'
        return '"' + " ".join(L.doc_words(L.doc(self.rng), self.rng, 2)) + '"'

    def _facet(self, kind: str, L: _Language) -> BenchQuery:
        rng = self.rng
        need = {
            "facet-year": "date",
            "facet-tags": "tags",
            "facet-publication": "publication",
            "multi-within": "tags",
        }.get(kind, "")
        r = L.doc(rng, need)
        word = L.doc_words(r, rng, 1)[0]
        filters: dict[str, tuple[str, ...]]
        if kind == "facet-language":
            filters = {"language": (r["language"],)}
        elif kind == "facet-year":
            filters = {"year": (r["date"][:4],)}
        elif kind == "facet-tags":
            filters = {"tags": (rng.choice(r["tags"]),)}
        elif kind == "facet-publication":
            filters = {"publication": (r["publication"],)}
        elif kind == "multi-within":
            own = rng.choice(r["tags"])
            other = rng.choice([t for t in self.popular_tags if t != own])
            filters = {"tags": (own, other)}
        else:  # multi-across: several facets, one of them multi-select
            filters = {"language": (r["language"],)}
            if r.get("date"):
                year = int(r["date"][:4])
                filters["year"] = (str(year), str(year - 1))
            if r.get("publication"):
                other = rng.choice([p for p in self.popular_pubs if p != r["publication"]])
                filters["publication"] = (r["publication"], other)
        return BenchQuery(kind, L.lang, word, filters)

    def _dates(self, kind: str, L: _Language) -> BenchQuery:
        rng = self.rng
        r = L.doc(rng, "date")
        word = L.doc_words(r, rng, 1)[0]
        date = r["date"]
        shape = rng.randrange(4)
        if shape == 0:  # years
            start, end = str(int(date[:4]) - rng.randrange(3)), date[:4]
        elif shape == 1:  # months
            start, end = date[:7], date[:7]
        elif shape == 2:  # open start
            start, end = None, date
        else:  # open end
            start, end = date[:7], None
        return BenchQuery(kind, L.lang, word, date_from=start, date_to=end)


def build_queries(
    records: list[dict], seed: int = 2024, mix: tuple[tuple[str, int], ...] = MIX
) -> list[BenchQuery]:
    """len(mix) kinds, 200 queries, in a fixed order; the same records and seed, the same set."""
    builder = _Builder(records, seed)
    available = [lang for lang in LANG_CYCLE if lang in builder.langs] or sorted(builder.langs)
    out: list[BenchQuery] = []
    seen: set[tuple[object, ...]] = set()
    for kind, count in mix:
        n = 0
        for attempt in range(count * 20):
            lang = available[attempt % len(available)]
            try:
                q = builder.build(kind, lang)
            except LookupError:  # e.g. no Russian document has tags: another language's turn
                continue
            key = (q.text, tuple(sorted(q.filters.items())), q.date_from, q.date_to)
            if key in seen:
                continue
            seen.add(key)
            out.append(q)
            n += 1
            if n == count:
                break
    return out
